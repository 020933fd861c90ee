import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

// GitHub-flavoured Markdown (tables, task lists, strikethrough, autolinks): what the agents write.
const plugins = [remarkGfm];

/**
 * A table scrolls sideways inside itself when it is wider than the panel (artifacts.css): it takes
 * the focus so a keyboard can scroll it too (axe-core: scrollable-region-focusable).
 */
const components: Components = {
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll container must be reachable by keyboard
  table: ({ node: _node, ...props }) => <table tabIndex={0} {...props} />,
};

/**
 * Renders Markdown without raw HTML: react-markdown leaves HTML in the source as text (no
 * rehype-raw), and its default URL transform drops javascript: and other unsafe links. Loaded
 * lazily (ArtifactsPanel), so neither it nor remark-gfm is in the initial bundle.
 */
export default function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml remarkPlugins={plugins} components={components}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
