import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import Markdown from "../src/features/artifacts/Markdown.tsx";

const render = (source: string) => renderToStaticMarkup(<Markdown source={source} />);

describe("Markdown artifacts", () => {
  it("renders GitHub-flavoured tables, task lists and strikethrough", () => {
    const html = render(
      [
        "| Iteration | Verdict |",
        "|---|:---:|",
        "| 1 | ISSUES_FOUND |",
        "| 2 | DONE |",
        "",
        "- [x] tests pass",
        "- [ ] docs",
        "",
        "~~old plan~~",
      ].join("\n"),
    );
    // Focusable: a table wider than the panel scrolls sideways, by keyboard too.
    expect(html).toContain('<table tabindex="0">');
    expect(html).toContain("<th>Iteration</th>");
    expect(html).toMatch(/<td[^>]*>DONE<\/td>/);
    expect(html).toMatch(/<input type="checkbox" disabled="" checked=""\/> tests pass/);
    expect(html).toContain("<del>old plan</del>");
  });

  it("never renders raw HTML or unsafe links", () => {
    const html = render(
      '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n| a |\n|---|\n| <b>x</b> |\n\n[link](javascript:alert(3))',
    );
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("onerror");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("javascript:");
    expect(html).toContain("<table");
  });
});
