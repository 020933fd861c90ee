import { capNotes, fileDetail, NOT_GIT_NOTE, statusWord, summaryLine } from "@loop/shared/changes-text";
import { patchLines } from "./patch.ts";
import type { ChangedFile, Changes } from "./types.ts";

export { summaryLine };

/** Files listed one by one in the Markdown; the rest are counted. */
const MAX_LISTED = 1000;

/** The Markdown of NNN-changes.md (or of the whole task's change): one rendering of the data. */
export function renderChanges(c: Changes): string {
  const out = [`# ${c.title}`, ""];
  if (c.kind === "none") {
    out.push(...c.notes.flatMap((n) => [n, ""]));
    return out.join("\n");
  }
  if (c.kind === "files") out.push(NOT_GIT_NOTE, "");
  out.push(summaryLine(c), "");
  if (c.files.length > 0) {
    out.push(...c.files.slice(0, MAX_LISTED).map(fileLine));
    if (c.files.length > MAX_LISTED) out.push(`- … and ${c.files.length - MAX_LISTED} more`);
    out.push("");
  }
  const notes = [...c.notes, ...capNotes(c.omitted, code)];
  if (notes.length > 0) out.push(...notes.map((n) => `> ${n}`), "");
  const patch = patchOf(c);
  if (c.kind === "git" && patch !== "") out.push(fenced(patch), "");
  return out.join("\n");
}

/** The unified diff as shown (within the caps), as git wrote it; "" outside git. */
export function patchOf(c: Pick<Changes, "files">): string {
  return c.files.flatMap((f) => (f.patch ? patchLines(f.patch) : [])).join("\n");
}

function fileLine(f: ChangedFile): string {
  const name = f.oldPath ? `${code(f.oldPath)} → ${code(f.path)}` : code(f.path);
  return `- ${statusWord(f.status)} ${name}${fileDetail(f)}`;
}

/** A ```diff fence, longer when the diff holds a line that would close it. */
function fenced(patch: string): string {
  let longest = 2;
  for (const m of patch.matchAll(/^ {0,3}(`{3,})/gm)) longest = Math.max(longest, m[1]!.length);
  const f = "`".repeat(longest + 1);
  return `${f}diff\n${patch}\n${f}`;
}

/** Inline code that survives backticks in the text. */
function code(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const tick = "`".repeat(longest + 1);
  const pad = longest > 0 ? " " : "";
  return `${tick}${pad}${s}${pad}${tick}`;
}
