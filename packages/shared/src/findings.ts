import { z } from "zod";

export const FindingStatus = z.enum(["open", "resolved", "dismissed"]);
export type FindingStatus = z.infer<typeof FindingStatus>;

/**
 * One distinct finding of Codex's reviews, tracked across iterations (contract: `id`, `text`, `status`,
 * `firstIteration`, `lastIteration`). The other fields are loop's additions; their defaults let an
 * entry stored with the contract's fields alone be read back.
 */
export const Finding = z.object({
  /** Stable across iterations and resumes: `F1`, `F2`, … in order of first appearance. */
  id: z.string(),
  /** The latest wording Codex used for it. */
  text: z.string(),
  /** `resolved`: a later review no longer reported it; `dismissed`: the user decided it stays unfixed. */
  status: FindingStatus,
  firstIteration: z.number().int(),
  /** The last iteration whose review reported it. */
  lastIteration: z.number().int(),
  /** Where its current open run started (differs from firstIteration once it came back); null when resolved. */
  openSince: z.number().int().nullable().default(null),
  /** How many reviews in a row, up to the latest, reported it; 0 when resolved. */
  streak: z.number().int().min(0).default(0),
  /** The iteration whose review no longer reported it; null while open. */
  resolvedIteration: z.number().int().nullable().default(null),
  /** Why the user dismissed it (PATCH …/findings/:findingId); absent unless dismissed with a reason. */
  dismissReason: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const FindingParams = z.object({
  id: z.string().min(1).max(100),
  findingId: z.string().min(1).max(20),
});
export type FindingParams = z.infer<typeof FindingParams>;
export const FindingResponse = z.object({ finding: Finding });
export type FindingResponse = z.infer<typeof FindingResponse>;

/** A note the user wrote for the agents (POST /api/tasks/:id/notes, or with resume or accept). */
export const Note = z.object({
  id: z.number().int(),
  text: z.string(),
  createdAt: z.string(),
  /** The iteration whose prompts carry it first (the one running when it was given, or the next). */
  forIteration: z.number().int(),
});
export type Note = z.infer<typeof Note>;
export const NoteResponse = z.object({ note: Note });
export type NoteResponse = z.infer<typeof NoteResponse>;
/** The longest note (characters). */
export const MAX_NOTE_CHARS = 20_000;
