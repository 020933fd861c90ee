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
  /** The Worker and Reviewer selects (as shown: the server's defaults until changed). */
  worker?: AgentName;
  reviewer?: AgentName;
}

/** The POST /api/tasks body from the form's fields. */
export function newTaskBody(f: NewTaskInput): CreateTaskBody {
  const body: CreateTaskBody = { title: f.title, prompt: f.prompt, workingDir: f.workingDir.trim() };
  // Empty means "use the server's default"; anything else goes as typed so the server can say what is wrong.
  if (f.maxIterations.trim() !== "") body.maxIterations = Number(f.maxIterations);
  if (f.isolate) body.isolation = "worktree";
  if (f.continueSession) body.continueSession = true;
  if (f.worker) body.worker = f.worker;
  if (f.reviewer) body.reviewer = f.reviewer;
  return body;
}
