/*
 * The diff view's model, read from the changes the server sends as data (GET …/changes): never
 * from NNN-changes.md. No diff library at run time here: this module is small and loads with the
 * page; the library loads with the view itself (types only).
 */
import type { ChangedFile, Changes, DiffHunk } from "@loop/shared";
import { capNotes, fileDetail, NOT_GIT_NOTE, statusWord, summaryLine } from "@loop/shared/changes-text";
import type { ChangeData, HunkData } from "react-diff-view";

export type FileStatus = ChangedFile["status"];
type DiffType = "add" | "delete" | "modify" | "rename" | "copy";

export interface FileView {
  key: string;
  /** The file's (new) path: what its language is read from. */
  path: string;
  /** `path`, or `old → new` for a rename or copy. */
  label: string;
  status: FileStatus;
  added: number;
  deleted: number;
  binary: boolean;
  /** Shown open at first: small files in a diff of few files. */
  open: boolean;
  diffType: DiffType;
  hunks: HunkData[];
}

/** A file starts collapsed past this many changed lines, or when the diff has more files than this. */
export const OPEN_MAX_LINES = 300;
export const OPEN_MAX_FILES = 20;

const DIFF_TYPE: Partial<Record<FileStatus, DiffType>> = {
  added: "add",
  deleted: "delete",
  renamed: "rename",
  copied: "copy",
};

const label = (f: ChangedFile) => (f.oldPath && f.oldPath !== f.path ? `${f.oldPath} → ${f.path}` : f.path);

/** One section per file whose diff is shown (git); files the size cap left out are named in the notes. */
export function fileViews(changes: Pick<Changes, "files">): FileView[] {
  const shown = changes.files.filter((f) => f.patch !== null);
  return shown.map((f, i) => {
    const added = f.added ?? 0;
    const deleted = f.deleted ?? 0;
    return {
      key: `${i}:${label(f)}`,
      path: f.path,
      label: label(f),
      status: f.status,
      added,
      deleted,
      binary: f.binary,
      open: shown.length <= OPEN_MAX_FILES && added + deleted <= OPEN_MAX_LINES,
      diffType: DIFF_TYPE[f.status] ?? "modify",
      hunks: (f.patch?.hunks ?? []).map(hunkData),
    };
  });
}

/** A hunk as react-diff-view draws it, with line numbers, a run of deletions and its insertions interleaved. */
export function hunkData(h: DiffHunk): HunkData {
  let oldLine = h.oldStart;
  let newLine = h.newStart;
  const changes: ChangeData[] = [];
  for (const l of h.lines) {
    if (l.kind === "ctx") {
      changes.push({
        type: "normal",
        isNormal: true,
        content: l.text,
        oldLineNumber: oldLine++,
        newLineNumber: newLine++,
      });
    } else if (l.kind === "del") {
      changes.push({ type: "delete", isDelete: true, content: l.text, lineNumber: oldLine++ });
    } else if (l.kind === "add") {
      changes.push({ type: "insert", isInsert: true, content: l.text, lineNumber: newLine++ });
    }
    // `note` ("\ No newline at end of file") is not a line of either side.
  }
  const { header, oldStart, oldLines, newStart, newLines } = h;
  return { content: header, oldStart, oldLines, newStart, newLines, changes: zip(changes) };
}

/** react-diff-view's `nearbySequences: "zip"`: each insertion after the deletion it replaces. */
function zip(changes: readonly ChangeData[]): ChangeData[] {
  const out: ChangeData[] = [];
  let last: ChangeData | null = null;
  let lastDeletion = -1;
  changes.forEach((c, i) => {
    if (last && c.type === "insert" && lastDeletion >= 0) {
      out.splice(lastDeletion + 1, 0, c);
      lastDeletion += 2;
    } else {
      out.push(c);
      lastDeletion = c.type === "delete" ? (last?.type === "delete" ? lastDeletion : i) : last ? i : -1;
    }
    last = c;
  });
  return out;
}

/** The summary line, or null when nothing could be compared (the notes say why). */
export const changesSummary = (c: Changes): string | null => (c.kind === "none" ? null : summaryLine(c));

/** What the view says above the files: outside git, the notes, what the caps left out. */
export function changesNotes(c: Changes): string[] {
  return [...(c.kind === "files" ? [NOT_GIT_NOTE] : []), ...c.notes, ...capNotes(c.omitted)];
}

/** "added a.txt (2 B)": the list of changed files when no diff is shown (outside git). */
export const fileListLine = (f: ChangedFile) => `${statusWord(f.status)} ${label(f)}${fileDetail(f)}`;
