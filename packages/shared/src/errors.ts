import { z } from "zod";

/** One registry of error codes and the HTTP status each maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  /** Two Host headers (or Origins, Authorizations, …), no Host, or a target that is not a plain path. */
  ambiguous_request: 400,
  invalid_body: 400,
  invalid_query: 400,
  invalid_working_dir: 400,
  /** A task's `after` names no task, or would close a cycle of chained tasks. */
  invalid_after: 400,
  unauthorized: 401,
  forbidden_host: 403,
  forbidden_origin: 403,
  /** The browser says another site (Sec-Fetch-Site: cross-site or same-site) sent the request. */
  cross_site_request: 403,
  task_not_found: 404,
  artifact_not_found: 404,
  /** No changes are stored for that iteration (not computed yet, or the task ran on an older version). */
  changes_not_found: 404,
  not_found: 404,
  finding_not_found: 404,
  not_cancellable: 409,
  not_retryable: 409,
  not_deletable: 409,
  not_resumable: 409,
  not_queued: 409,
  /** A note on a task that has ended (resume it with a note instead). */
  not_open: 409,
  /** Accept on a task that is not needs_attention, paused or failed. */
  not_acceptable: 409,
  /** Landing (docs/landing.md): the task has no worktree branch (or it was discarded). */
  no_branch: 409,
  /** The base branch is checked out with uncommitted changes (or untracked files the merge would write). */
  working_tree_dirty: 409,
  merge_conflict: 409,
  /** Queued or running (a merge), not yet finished (a discard), or nothing left to merge. */
  not_mergeable: 409,
  /** An in-place task whose working directory is not a git repository: there is no diff to give. */
  no_patch: 409,
  /** git push to the repository's remote failed (the message says git's reason). */
  push_failed: 502,
  /** gh pr create failed (a pull request for the branch exists already, the base is not on the remote, …). */
  pr_failed: 502,
  request_timeout: 408,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  queue_full: 429,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  shutting_down: 503,
  /** An agent CLI the task needs is missing or broken (GET /api/health says which and why). */
  agent_unavailable: 503,
  /** The GitHub CLI is missing or not logged in, or the repository has no remote. */
  gh_unavailable: 503,
  database_busy: 503,
  storage_readonly: 503,
  storage_error: 503,
  storage_full: 507,
  too_many_streams: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), files: z.array(z.string()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * One readable sentence from a zod error: "title: must not be empty; maxIterations: must be at most
 * 100". One issue per field (the first), so nothing is said twice.
 */
export function describeZodError(error: Pick<z.ZodError, "issues">): string {
  return describeIssues(error.issues);
}

/** The same sentence from any list of issues (a field's path and what is wrong with it). */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const i of issues) {
    const path = i.path.map(String).join(".");
    if (seen.has(path)) continue;
    seen.add(path);
    parts.push(path ? `${path}: ${i.message}` : i.message);
  }
  return parts.join("; ");
}

/** An expected failure with a stable code; the server maps it to its HTTP status. */
export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** The files a refusal is about (working_tree_dirty, merge_conflict), sent as `error.files`. */
  readonly files: string[] | undefined;
  constructor(code: ErrorCode, message: string, details?: { files?: string[] }) {
    super(message);
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.files = details?.files;
  }
}
