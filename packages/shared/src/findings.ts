import { z } from "zod";

export const FindingStatus = z.enum(["open", "resolved"]);
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
  /** `resolved`: a later review no longer reported it. */
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
});
export type Finding = z.infer<typeof Finding>;
