import { parseVerdict } from "../agents/verdict.ts";

const ITEM = /^( *)([-*+]|\d{1,3}[.)])( +)(\S.*)$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}(\s|$)/;
const RULE = /^ {0,3}([-*_])( *\1){2,} *$/;
const CHECKBOX = /^\[[ xX]\] +/;

interface Item {
  indent: number;
  /** Column where the item's text starts; continuation lines are de-indented by up to this much. */
  contentCol: number;
  lines: string[];
}

/**
 * The findings of a review: the list items after its STATUS line (`-`, `*`, `+`, `1.`, `1)`), each
 * with its continuation lines; nested items and fenced code belong to the item they are in. Text
 * before the STATUS line, headings and paragraphs between lists are not findings. A review whose
 * body has no list item but does have text counts that text as its one finding, so a prose-only
 * review still feeds the stalemate guard. Which verdict the review gave is not looked at here.
 */
export function parseFindings(review: string): string[] {
  const lines = review.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  const body = lines.slice(statusLineIndex(lines) + 1);
  const items: Item[] = [];
  let current: Item | null = null;
  let blank = false;
  let fence: string | null = null;
  const push = (item: Item, line: string) => {
    if (blank) item.lines.push("");
    const strip = Math.min(item.contentCol, line.length - line.trimStart().length);
    item.lines.push(line.slice(strip).trimEnd());
    blank = false;
  };

  for (const line of body) {
    if (fence !== null) {
      if (current) push(current, line);
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") fence = null;
      continue;
    }
    if (line.trim() === "") {
      blank = current !== null;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    const fenceOpen = FENCE.exec(line);
    if (fenceOpen) {
      fence = fenceOpen[1]!;
      if (current && (!blank || indent > current.indent)) push(current, line);
      else current = null;
      continue;
    }
    if (HEADING.test(line) || RULE.test(line)) {
      current = null;
      blank = false;
      continue;
    }
    const item = ITEM.exec(line);
    if (item && !(current && indent > current.indent)) {
      const text = item[4]!.replace(CHECKBOX, "");
      current = { indent, contentCol: indent + item[2]!.length + item[3]!.length, lines: [text] };
      items.push(current);
      blank = false;
      continue;
    }
    // A nested item, an indented continuation, or a lazy continuation right below the item's text.
    if (current && (!blank || indent > current.indent)) push(current, line);
    else {
      current = null;
      blank = false;
    }
  }

  const found = items.map((i) => i.lines.join("\n").trim()).filter((t) => t !== "");
  if (found.length > 0 || items.length > 0) return found;
  const prose = body.join("\n").trim();
  return prose === "" ? [] : [prose];
}

/** Index of the STATUS line: the first non-empty line if it is one, else the first line that is; -1 if none. */
function statusLineIndex(lines: readonly string[]): number {
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first === -1) return -1;
  if (parseVerdict(lines[first]!).explicit) return first;
  return lines.findIndex((l) => l.trim() !== "" && parseVerdict(l).explicit);
}
