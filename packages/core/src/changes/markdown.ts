import type { ChangedFile, Changes } from "./types.ts";

/** Files listed one by one in the Markdown; the rest are counted. */
const MAX_LISTED = 1000;

/** The Markdown of NNN-changes.md (or of the whole task's change). */
export function renderChanges(title: string, c: Omit<Changes, "markdown">): string {
  const out = [`# ${title}`, ""];
  if (c.kind === "none") {
    out.push(...c.notes.flatMap((n) => [n, ""]));
    return out.join("\n");
  }
  if (c.kind === "files") {
    out.push(
      "Not a git repository: the files that changed, compared by size and content (no line diff).",
      "",
    );
  }
  out.push(summaryLine(c), "");
  if (c.files.length > 0) {
    out.push(...c.files.slice(0, MAX_LISTED).map(fileLine));
    if (c.files.length > MAX_LISTED) out.push(`- … and ${c.files.length - MAX_LISTED} more`);
    out.push("");
  }
  const notes = [...c.notes, ...capNotes(c)];
  if (notes.length > 0) out.push(...notes.map((n) => `> ${n}`), "");
  if (c.kind === "git" && c.patch !== "") out.push(fenced(c.patch), "");
  return out.join("\n");
}

/** "3 files changed, +12 -4, 1 binary (logo.png)", or "No files changed." */
export function summaryLine(c: Pick<Changes, "kind" | "files" | "added" | "deleted">): string {
  const n = c.files.length;
  if (n === 0) return "No files changed.";
  const files = `${n} file${n === 1 ? "" : "s"} changed`;
  if (c.kind === "files") {
    const by = (s: ChangedFile["status"]) => c.files.filter((f) => f.status === s).length;
    return `${files}: ${by("added")} added, ${by("modified")} modified, ${by("deleted")} deleted.`;
  }
  const binary = c.files.filter((f) => f.binary);
  const bin = binary.length
    ? `, ${binary.length} binary (${binary
        .slice(0, 10)
        .map((f) => f.path)
        .join(", ")}${binary.length > 10 ? ", …" : ""})`
    : "";
  return `${files}, +${c.added} -${c.deleted}${bin}`;
}

function fileLine(f: ChangedFile): string {
  const name = f.oldPath ? `${code(f.oldPath)} → ${code(f.path)}` : code(f.path);
  const status = f.status.replace("_", " ");
  let detail: string;
  if (f.binary) detail = " (binary)";
  else if (f.added !== null && f.deleted !== null) detail = ` (+${f.added} -${f.deleted})`;
  else if (f.status === "modified" && f.oldSize != null && f.newSize != null) {
    detail = ` (${bytes(f.oldSize)} → ${bytes(f.newSize)})`;
  } else {
    const size = f.newSize ?? f.oldSize;
    detail = size != null ? ` (${bytes(size)})` : "";
  }
  return `- ${status} ${name}${detail}`;
}

function capNotes(c: Omit<Changes, "markdown">): string[] {
  const partly = c.omitted.filter((o) => o.reason === "file_cap");
  const unseen = c.omitted.filter((o) => o.reason === "total_cap");
  const notes: string[] = [];
  if (partly.length > 0) {
    const list = partly.map(
      (o) => `${code(o.path)} (${o.shownHunks} hunk${o.shownHunks === 1 ? "" : "s"} shown)`,
    );
    notes.push(`The diff of a file is capped in size; cut short: ${list.join(", ")}.`);
  }
  if (unseen.length > 0) {
    const list = unseen.slice(0, 50).map((o) => code(o.path));
    const more = unseen.length > 50 ? `, and ${unseen.length - 50} more` : "";
    notes.push(
      `The diff is capped in size; not shown (their line counts are above): ${list.join(", ")}${more}.`,
    );
  }
  return notes;
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

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
