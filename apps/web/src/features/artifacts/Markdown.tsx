import ReactMarkdown from "react-markdown";

/**
 * Renders Markdown without raw HTML: react-markdown leaves HTML in the source as text (no
 * rehype-raw), and its default URL transform drops javascript: and other unsafe links.
 */
export default function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml>{source}</ReactMarkdown>
    </div>
  );
}
