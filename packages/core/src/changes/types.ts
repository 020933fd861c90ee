/** What a diff of two snapshots yields: the shared schema's Changes (diff.ts computes it, markdown.ts renders it). */
import type { Changes } from "@loop/shared";

export type {
  ChangedFile,
  ChangeStatus,
  Changes,
  DiffHunk,
  DiffLine,
  FilePatch,
  OmittedDiff,
} from "@loop/shared";

/** The changes with their Markdown (the content of NNN-changes.md). */
export type RenderedChanges = Changes & { markdown: string };
