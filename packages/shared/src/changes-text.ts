/*
 * The sentences said about an iteration's changes, written once for NNN-changes.md (the core) and
 * the dashboard's diff view. No zod here: the dashboard imports this file as a value
 * (@loop/shared/changes-text) without pulling in the schemas.
 */
import type { ChangedFile, Changes, OmittedDiff } from "./changes.ts";

/** What the list says outside git, before the summary. */
export const NOT_GIT_NOTE =
  "Not a git repository: the files that changed, compared by size and content (no line diff).";

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

/** "renamed", "type changed". */
export const statusWord = (s: ChangedFile["status"]) => s.replace("_", " ");

/** What follows a file's name in the list: " (+2 -1)", " (binary)", " (3 B → 5 B)", " (6 B)", or "". */
export function fileDetail(f: ChangedFile): string {
  if (f.binary) return " (binary)";
  if (f.added !== null && f.deleted !== null) return ` (+${f.added} -${f.deleted})`;
  if (f.status === "modified" && f.oldSize != null && f.newSize != null) {
    return ` (${bytes(f.oldSize)} → ${bytes(f.newSize)})`;
  }
  const size = f.newSize ?? f.oldSize;
  return size != null ? ` (${bytes(size)})` : "";
}

/** The sentences for what the size caps left out; `name` quotes a path (inline code in Markdown). */
export function capNotes(
  omitted: readonly OmittedDiff[],
  name: (path: string) => string = (p) => p,
): string[] {
  const partly = omitted.filter((o) => o.reason === "file_cap");
  const unseen = omitted.filter((o) => o.reason === "total_cap");
  const notes: string[] = [];
  if (partly.length > 0) {
    const list = partly.map(
      (o) => `${name(o.path)} (${o.shownHunks} hunk${o.shownHunks === 1 ? "" : "s"} shown)`,
    );
    notes.push(`The diff of a file is capped in size; cut short: ${list.join(", ")}.`);
  }
  if (unseen.length > 0) {
    const list = unseen.slice(0, 50).map((o) => name(o.path));
    const more = unseen.length > 50 ? `, and ${unseen.length - 50} more` : "";
    notes.push(
      `The diff is capped in size; not shown (their line counts are above): ${list.join(", ")}${more}.`,
    );
  }
  return notes;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
