/*
 * Reading NNN-changes.md (or a raw unified diff) for the diff view. No diff library here: this
 * module is small and loads with the page; the library loads with the view itself.
 */

/** What the diff view shows of an NNN-changes.md. */
export interface ChangesDoc {
  /** The `# …` heading, or null. */
  title: string | null;
  /** The summary line ("3 files changed, +12 -4 …"), or null. */
  summary: string | null;
  /** The `> …` notes and other sentences: caps, "not a git repository", why nothing was compared. */
  notes: string[];
  /** The unified diff ("" when there is none, e.g. outside git). */
  diff: string;
  /** Outside git: the listed files (`- added \`a.txt\` (12 B)`), as written. */
  fileList: string[];
}

const RAW_DIFF = /^(diff --git |--- |Index: )/;
const SUMMARY = /^(\d+ files? changed|No files changed)/;

/** Splits an NNN-changes.md into its parts; a raw unified diff is taken as the diff alone. */
export function parseChangesDoc(source: string): ChangesDoc {
  const text = source.replace(/\r\n?/g, "\n");
  if (RAW_DIFF.test(text.trimStart())) {
    return { title: null, summary: null, notes: [], diff: text.trimStart(), fileList: [] };
  }
  const doc: ChangesDoc = { title: null, summary: null, notes: [], diff: "", fileList: [] };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^(`{3,}|~{3,})\s*diff\s*$/.exec(line);
    if (open) {
      const fence = open[1]!;
      const body: string[] = [];
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.startsWith(fence) && l.trim().replace(/[`~]/g, "") === "" && l.trim()[0] === fence[0]) break;
        body.push(l);
      }
      if (!doc.diff) doc.diff = body.join("\n");
      continue;
    }
    if (doc.title === null && /^# /.test(line)) doc.title = line.slice(2).trim();
    else if (line.startsWith("> ")) doc.notes.push(line.slice(2).trim());
    else if (/^- /.test(line)) doc.fileList.push(line.slice(2).trim());
    else if (doc.summary === null && SUMMARY.test(line)) doc.summary = line.trim();
    else if (line.trim() !== "" && !line.startsWith("#")) doc.notes.push(line.trim());
  }
  return doc;
}

/** What the header lines of one file's section say, which the diff parser does not always keep. */
export interface SectionInfo {
  binary: boolean;
  created: boolean;
  deleted: boolean;
}

/** One entry per `diff --git` section, in order. */
export function sectionInfo(diff: string): SectionInfo[] {
  const out: SectionInfo[] = [];
  let current: SectionInfo | null = null;
  let inHunk = false;
  for (const line of diff.split("\n")) {
    if (line.startsWith("diff --git ")) {
      current = { binary: false, created: false, deleted: false };
      out.push(current);
      inHunk = false;
      continue;
    }
    if (!current || inHunk) continue;
    if (line.startsWith("@@")) inHunk = true;
    else if (line.startsWith("new file mode")) current.created = true;
    else if (line.startsWith("deleted file mode")) current.deleted = true;
    else if (/^Binary files .* differ$/.test(line) || line === "GIT binary patch") current.binary = true;
  }
  return out;
}

export type FileStatus = "added" | "deleted" | "modified" | "renamed" | "copied";

/** The parts of a parsed file the view needs (react-diff-view's FileData has them all). */
export interface ParsedFile {
  type: "add" | "delete" | "modify" | "rename" | "copy";
  oldPath: string;
  newPath: string;
  hunks: readonly { changes: readonly { type: "insert" | "delete" | "normal" }[] }[];
}

export interface FileView<F extends ParsedFile = ParsedFile> {
  key: string;
  /** `path`, or `old → new` for a rename or copy. */
  label: string;
  status: FileStatus;
  added: number;
  deleted: number;
  binary: boolean;
  /** Shown open at first: small files in a diff of few files. */
  open: boolean;
  file: F;
}

/** A file starts collapsed past this many changed lines, or when the diff has more files than this. */
export const OPEN_MAX_LINES = 300;
export const OPEN_MAX_FILES = 20;

const STATUS: Record<ParsedFile["type"], FileStatus> = {
  add: "added",
  delete: "deleted",
  modify: "modified",
  rename: "renamed",
  copy: "copied",
};

/** The view model of each parsed file; `diff` is the text it was parsed from (for binary and mode lines). */
export function fileViews<F extends ParsedFile>(files: readonly F[], diff: string): FileView<F>[] {
  const sections = sectionInfo(diff);
  const aligned = sections.length === files.length;
  return files.map((file, i) => {
    const info = aligned ? sections[i]! : { binary: false, created: false, deleted: false };
    let status = STATUS[file.type];
    if (info.created) status = "added";
    else if (info.deleted) status = "deleted";
    let added = 0;
    let deleted = 0;
    for (const h of file.hunks) {
      for (const c of h.changes) {
        if (c.type === "insert") added++;
        else if (c.type === "delete") deleted++;
      }
    }
    const path = status === "deleted" || file.newPath === "/dev/null" ? file.oldPath : file.newPath;
    const label =
      (status === "renamed" || status === "copied") && file.oldPath !== file.newPath
        ? `${file.oldPath} → ${file.newPath}`
        : path;
    return {
      key: `${i}:${label}`,
      label,
      status,
      added,
      deleted,
      binary: info.binary,
      open: files.length <= OPEN_MAX_FILES && added + deleted <= OPEN_MAX_LINES,
      file,
    };
  });
}
