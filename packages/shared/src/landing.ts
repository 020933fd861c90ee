import { z } from "zod";
import { Changes } from "./changes.ts";

/**
 * What happened to a worktree task's branch: merged or squashed into its base branch (commit = the
 * new commit on base), pushed for a pull request (commit = the pushed tip, url = the PR), or
 * discarded (commit = the tip the branch had, so `git branch <name> <commit>` brings it back).
 */
export const LandingMode = z.enum(["merge", "squash", "pr", "discard"]);
export type LandingMode = z.infer<typeof LandingMode>;

export const Landed = z.object({
  commit: z.string(),
  mode: LandingMode,
  at: z.string(),
  /** The branch it went into (merge, squash, pr); null for a discard. */
  base: z.string().nullable().default(null),
  /** The pull request's address (mode "pr"). */
  url: z.string().optional(),
});
export type Landed = z.infer<typeof Landed>;

export const BranchFile = z.object({
  path: z.string(),
  /** Lines added and deleted (0 and 0 for a binary file). */
  added: z.number().int(),
  deleted: z.number().int(),
  binary: z.boolean().optional(),
});
export type BranchFile = z.infer<typeof BranchFile>;

/** GET /api/tasks/:id/branch (contract: branch, base, ahead, behind, files, conflicts). */
export const BranchResponse = z.object({
  branch: z.string(),
  base: z.string(),
  /** Commits on the branch that base lacks, and on base that the branch lacks. */
  ahead: z.number().int(),
  behind: z.number().int(),
  /** What the branch changes since it left base (base...branch). */
  files: z.array(BranchFile),
  /** Files a merge into base would conflict on (computed without touching any working tree). */
  conflicts: z.array(z.string()),
  /** The branch's commits, newest first. */
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  /** The whole-branch diff (base...branch), cut at a size the page can show. */
  diff: z.string(),
  diffTruncated: z.boolean(),
  /** The same change as data (files, hunks), which the dashboard draws. */
  changes: Changes,
  /** Base already has everything the branch changes (merged or squashed): a merge would change nothing. */
  merged: z.boolean(),
  /** Whether base is checked out in the user's repository (a merge then updates its working tree). */
  baseCheckedOut: z.boolean(),
});
export type BranchResponse = z.infer<typeof BranchResponse>;

/** As the other bodies say it: not an object, or fields it does not know. */
const bodyError = (iss: { code: string; keys?: string[] }) =>
  iss.code === "invalid_type"
    ? "the body must be a JSON object"
    : iss.code === "unrecognized_keys"
      ? `unknown field${(iss.keys ?? []).length === 1 ? "" : "s"}: ${(iss.keys ?? []).join(", ")}`
      : undefined;

export const MergeBody = z.strictObject(
  {
    mode: z.enum(["merge", "squash"], { error: 'must be "merge" or "squash"' }).optional(),
    /** Replaces the generated message (loop's trailer naming the task is kept). */
    message: z
      .string({ error: "must be text" })
      .max(20_000, "must be at most 20,000 characters")
      .refine((s) => s.trim().length > 0, "must not be empty")
      .optional(),
  },
  { error: bodyError },
);
export type MergeBody = z.infer<typeof MergeBody>;

export const PrBody = z.strictObject(
  {
    title: z
      .string({ error: "must be text" })
      .max(256, "must be at most 256 characters")
      .refine((s) => s.trim().length > 0, "must not be empty")
      .optional(),
    body: z.string({ error: "must be text" }).max(60_000, "must be at most 60,000 characters").optional(),
  },
  { error: bodyError },
);
export type PrBody = z.infer<typeof PrBody>;

/** The GitHub CLI as GET /api/health reports it (pull requests need it found and logged in). */
export const GhHealth = z.object({
  bin: z.string(),
  found: z.boolean(),
  version: z.string().nullable(),
  loggedIn: z.boolean().nullable(),
  error: z.string().optional(),
});
export type GhHealth = z.infer<typeof GhHealth>;
