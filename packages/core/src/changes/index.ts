export {
  DEFAULT_MAX_DIFF_BYTES,
  DEFAULT_MAX_FILE_DIFF_BYTES,
  type DiffOptions,
  diff,
  diffAll,
} from "./diff.ts";
export { DEFAULT_FILE_LIMITS, type FileEntry, type FileLimits } from "./files.ts";
export { patchOf, renderChanges, summaryLine } from "./markdown.ts";
export {
  type FilesSnapshot,
  type GitSnapshot,
  type Snapshot,
  type SnapshotOptions,
  snapshot,
  type UnavailableSnapshot,
} from "./snapshot.ts";
export type {
  ChangedFile,
  ChangeStatus,
  Changes,
  DiffHunk,
  DiffLine,
  FilePatch,
  OmittedDiff,
  RenderedChanges,
} from "./types.ts";
