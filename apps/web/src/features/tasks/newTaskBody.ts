import type { AgentName, CreateTaskBody } from "@loop/shared";

export interface NewTaskInput {
  title: string;
  prompt: string;
  workingDir: string;
  maxIterations: string;
  /** The "Isolate in a git worktree" checkbox. */
  isolate: boolean;
  /** The "Continue Claude's session" checkbox; unchecked leaves it to the server (LOOP_CONTINUE_SESSION). */
  continueSession?: boolean;
  /** The "Run after" select: the id of a queued or running task, or "" for none. */
  after?: string;
  /** The "Step mode" checkbox: pauseAfterIteration. */
  step?: boolean;
  /** The Worker and Reviewer selects (as shown: the server's defaults until changed). */
  worker?: AgentName;
  reviewer?: AgentName;
  /** "Claude budget ($)": maxCostUsd; empty = the server's default (LOOP_MAX_COST_USD). */
  maxCostUsd?: string;
  /** "Codex budget (tokens)": maxCodexTokens; empty = the server's default (LOOP_MAX_CODEX_TOKENS). */
  maxCodexTokens?: string;
  /** The "Check command" field; empty leaves it to the server (LOOP_CHECK_COMMAND). */
  checkCommand?: string;
}

/** The POST /api/tasks body from the form's fields. */
export function newTaskBody(f: NewTaskInput): CreateTaskBody {
  const body: CreateTaskBody = { title: f.title, prompt: f.prompt, workingDir: f.workingDir.trim() };
  // Empty means "use the server's default"; anything else goes as typed so the server can say what is wrong.
  if (f.maxIterations.trim() !== "") body.maxIterations = Number(f.maxIterations);
  if (f.isolate) body.isolation = "worktree";
  if (f.continueSession) body.continueSession = true;
  if (f.step) body.pauseAfterIteration = true;
  if (f.after) body.after = f.after;
  if (f.worker) body.worker = f.worker;
  if (f.reviewer) body.reviewer = f.reviewer;
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
  if (f.checkCommand !== undefined && f.checkCommand.trim() !== "") body.checkCommand = f.checkCommand.trim();
  return body;
}
