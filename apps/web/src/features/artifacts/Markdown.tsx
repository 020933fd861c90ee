import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";

// GitHub-flavoured Markdown (tables, task lists, strikethrough, autolinks): what the agents write.
const plugins = [remarkGfm];

/**
 * Renders Markdown without raw HTML: react-markdown leaves HTML in the source as text (no
 * rehype-raw), and its default URL transform drops javascript: and other unsafe links. Loaded
 * lazily (ArtifactsPanel), so neither it nor remark-gfm is in the initial bundle.
 */
export default function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml remarkPlugins={plugins}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
