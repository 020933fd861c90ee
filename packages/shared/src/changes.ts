import { z } from "zod";

/*
 * What changed in the working directory during one iteration (or over the whole task), as the core
 * computes it: stored with the iteration, sent by GET /api/tasks/:id/iterations/:n/changes and
 * GET /api/tasks/:id/changes, rendered by the dashboard. NNN-changes.md and changes.md are one
 * rendering of it (packages/core/src/changes/markdown.ts), never read back.
 */

export const ChangeStatus = z.enum(["added", "modified", "deleted", "renamed", "copied", "type_changed"]);
export type ChangeStatus = z.infer<typeof ChangeStatus>;

/** One line of a hunk: `+`, `-`, ` `, or git's `\ No newline at end of file` (`note`); `text` without the mark. */
export const DiffLine = z.object({
  kind: z.enum(["add", "del", "ctx", "note"]),
  text: z.string(),
});
export type DiffLine = z.infer<typeof DiffLine>;

export const DiffHunk = z.object({
  /** The `@@ -1,3 +1,4 @@ …` line as git wrote it. */
  header: z.string(),
  oldStart: z.number().int(),
  oldLines: z.number().int(),
  newStart: z.number().int(),
  newLines: z.number().int(),
  lines: z.array(DiffLine),
});
export type DiffHunk = z.infer<typeof DiffHunk>;

/** One file's part of the unified diff, as shown (within the size caps). */
export const FilePatch = z.object({
  /** git's lines before the first hunk: `diff --git …`, mode, `index …`, `---`/`+++`, `Binary files … differ`. */
  header: z.array(z.string()),
  /** Its hunks in order; fewer than git's when the file's own cap cut it short (see `omitted`). */
  hunks: z.array(DiffHunk),
});
export type FilePatch = z.infer<typeof FilePatch>;

export const ChangedFile = z.object({
  path: z.string(),
  /** The path before a rename or copy; null otherwise. */
  oldPath: z.string().nullable(),
  status: ChangeStatus,
  /** Lines added and deleted; null for binary files and outside git. */
  added: z.number().int().nullable(),
  deleted: z.number().int().nullable(),
  binary: z.boolean(),
  /** Outside git: sizes in bytes (null when absent on that side). */
  oldSize: z.number().int().nullable().optional(),
  newSize: z.number().int().nullable().optional(),
  /** git: the file's diff as shown; null outside git, or when the total cap left it out. */
  patch: FilePatch.nullable(),
});
export type ChangedFile = z.infer<typeof ChangedFile>;

/** A file whose diff is not shown in full. */
export const OmittedDiff = z.object({
  path: z.string(),
  /** `file_cap`: some of its hunks are left out; `total_cap`: none of it is shown. */
  reason: z.enum(["file_cap", "total_cap"]),
  /** Hunks shown, for `file_cap`. */
  shownHunks: z.number().int(),
});
export type OmittedDiff = z.infer<typeof OmittedDiff>;

export const Changes = z.object({
  /** "Changes in iteration 2", "Changes over the whole task": the Markdown's heading. */
  title: z.string(),
  /** `git`: a line diff; `files`: a list of changed files (not a git repository); `none`: nothing could be compared. */
  kind: z.enum(["git", "files", "none"]),
  /** Every changed file, sorted as git (or the file walk) lists them. */
  files: z.array(ChangedFile),
  /** Lines added and deleted over all text files (git only; 0 otherwise). */
  added: z.number().int(),
  deleted: z.number().int(),
  omitted: z.array(OmittedDiff),
  /** Sentences for the reader: an incomplete snapshot, unreadable files, why nothing was compared. */
  notes: z.array(z.string()),
});
export type Changes = z.infer<typeof Changes>;

/** GET /api/tasks/:id/iterations/:n/changes and GET /api/tasks/:id/changes. */
export const ChangesResponse = z.object({ changes: Changes });
export type ChangesResponse = z.infer<typeof ChangesResponse>;

export const IterationParams = z.object({
  id: z.string().min(1).max(100),
  n: z.coerce.number().int().min(1).max(100_000),
});
export type IterationParams = z.infer<typeof IterationParams>;
