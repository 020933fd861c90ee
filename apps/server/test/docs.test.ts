import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, "")
    .replaceAll(" ", "-");
const anchors = (file: string) =>
  read(file)
    .replace(/```[\s\S]*?```/g, "")
    .split("\n")
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => slug(l.replace(/^#+ /, "")));

describe("the README and docs/", () => {
  it("the README stays a five-minute read", () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(250);
  });

  it.each(pages)("every relative link in %s leads to a file (and heading) that exists", (file) => {
    const text = read(file).replace(/```[\s\S]*?```/g, "");
    for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path = "", anchor] = target.split("#");
      const to = path === "" ? file : relative(ROOT, join(ROOT, dirname(file), path));
      expect(existsSync(join(ROOT, to)), `${file}: ${target}`).toBe(true);
      if (anchor) expect(anchors(to), `${file}: ${target}`).toContain(anchor);
    }
  });

  it("the README links every page of docs/", () => {
    const readme = read("README.md");
    for (const page of pages.filter((p) => p !== "README.md")) expect(readme).toContain(`](${page})`);
  });
});
