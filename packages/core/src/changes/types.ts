/** What a diff of two snapshots yields (diff.ts computes it, markdown.ts renders it). */

export type ChangeStatus = "added" | "modified" | "deleted" | "renamed" | "copied" | "type_changed";

export interface ChangedFile {
  path: string;
  /** The path before a rename or copy; null otherwise. */
  oldPath: string | null;
  status: ChangeStatus;
  /** Lines added and deleted; null for binary files and outside git. */
  added: number | null;
  deleted: number | null;
  binary: boolean;
  /** Outside git: sizes in bytes (null when absent on that side). */
  oldSize?: number | null;
  newSize?: number | null;
}

/** A file whose diff is not shown in full. */
export interface OmittedDiff {
  path: string;
  /** `file_cap`: some of its hunks are left out; `total_cap`: none of it is shown. */
  reason: "file_cap" | "total_cap";
  /** Hunks shown, for `file_cap`. */
  shownHunks: number;
}

export interface Changes {
  /** `git`: a line diff; `files`: a list of changed files; `none`: nothing could be compared. */
  kind: "git" | "files" | "none";
  files: ChangedFile[];
  /** Lines added and deleted over all text files (git only; 0 otherwise). */
  added: number;
  deleted: number;
  /** The unified diff as shown, within the caps; "" outside git. */
  patch: string;
  omitted: OmittedDiff[];
  /** Sentences for the reader: caps, unreadable files, why nothing was compared. */
  notes: string[];
  /** The content of NNN-changes.md. */
  markdown: string;
}
