import type { CreateTaskBody } from "@loop/shared";

export interface NewTaskInput {
  title: string;
  prompt: string;
  workingDir: string;
  maxIterations: string;
  /** The "Isolate in a git worktree" checkbox. */
  isolate: boolean;
  /** The "Continue Claude's session" checkbox; unchecked leaves it to the server (LOOP_CONTINUE_SESSION). */
  continueSession?: boolean;
  /** "Claude budget ($)": maxCostUsd; empty = the server's default (LOOP_MAX_COST_USD). */
  maxCostUsd?: string;
  /** "Codex budget (tokens)": maxCodexTokens; empty = the server's default (LOOP_MAX_CODEX_TOKENS). */
  maxCodexTokens?: string;
}

/** The POST /api/tasks body from the form's fields. */
export function newTaskBody(f: NewTaskInput): CreateTaskBody {
  const body: CreateTaskBody = { title: f.title, prompt: f.prompt, workingDir: f.workingDir.trim() };
  // Empty means "use the server's default"; anything else goes as typed so the server can say what is wrong.
  if (f.maxIterations.trim() !== "") body.maxIterations = Number(f.maxIterations);
  if (f.isolate) body.isolation = "worktree";
  if (f.continueSession) body.continueSession = true;
  // As typed (a "$" and thousands separators aside), so the server's message names a bad value.
  const num = (s: string) =>
    Number(
      s
        .trim()
        .replace(/^\$/, "")
        .replace(/[,_\s]/g, ""),
    );
  if (f.maxCostUsd?.trim()) body.maxCostUsd = num(f.maxCostUsd);
  if (f.maxCodexTokens?.trim()) body.maxCodexTokens = num(f.maxCodexTokens);
  return body;
}
