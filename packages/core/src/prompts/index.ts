import type { Note, Task, Verdict } from "@loop/shared";
import { agentLabel, DEFAULT_ROLES } from "../agents/roles.ts";
import { runDir } from "../loop/isolation.ts";
import { type CheckReport, checkHow, reviewerCheckSection, workerCheckSection } from "./check.ts";
import { DEFAULT_TEMPLATES, renderTemplate, type TemplateValues } from "./templates.ts";

export * from "./check.ts";
export * from "./templates.ts";

/** What one finished iteration contributes to the next prompts. */
export interface HistoryEntry {
  n: number;
  /** What the worker answered in that iteration. */
  workerOutput: string;
  review: string;
  verdict: Verdict;
  /** loop's check after the worker's run; null/absent when the task has none. */
  check?: CheckReport | null | undefined;
}

type TaskInput = Pick<Task, "title" | "prompt" | "workingDir" | "maxIterations"> &
  Partial<Pick<Task, "worktree" | "worker" | "reviewer" | "checkCommand">>;

/** "Claude" and "Codex" as the task casts them (the default pair when it names none). */
const labels = (task: TaskInput) => ({
  worker: agentLabel(task.worker ?? DEFAULT_ROLES.worker),
  reviewer: agentLabel(task.reviewer ?? DEFAULT_ROLES.reviewer),
});

/** The latest iterations are quoted in full; older ones are shortened so prompts stay bounded. */
const RECENT_FULL = 2;
const FULL_LIMIT = 20_000;
const OLD_LIMIT = 2_000;

const clip = (s: string, max: number) =>
  s.length <= max
    ? s
    : `${s.slice(0, max)}\n\n[… ${s.length - max} more characters omitted; see the artifacts]`;

function history(entries: readonly HistoryEntry[], who: ReturnType<typeof labels>): string {
  if (entries.length === 0) return "";
  const parts = entries.map((e, i) => {
    const limit = i >= entries.length - RECENT_FULL ? FULL_LIMIT : OLD_LIMIT;
    return [
      `### Iteration ${e.n}`,
      "",
      `What ${who.worker} reported:`,
      "",
      fence(clip(e.workerOutput.trim() || "(no output)", limit)),
      "",
      ...(e.check
        ? [`loop's check \`${e.check.command}\` ${e.check.ok ? "passed" : checkHow(e.check)}.`, ""]
        : []),
      `What ${who.reviewer} found (verdict: ${e.verdict}):`,
      "",
      fence(clip(e.review.trim() || "(no review)", limit)),
    ].join("\n");
  });
  return ["## Earlier iterations", "", ...parts].join("\n\n");
}

/** A fence longer than any backtick run inside, so quoted output cannot close it. */
function fence(s: string): string {
  const longest = Math.max(2, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}text\n${s}\n${f}`;
}

function taskSection(task: TaskInput): string {
  return [
    `# Task: ${task.title}`,
    "",
    `Working directory: ${runDir(task)}`,
    ...(task.worktree
      ? [
          "",
          `This is a git worktree of ${task.workingDir} on the branch ${task.worktree.branch}, kept apart ` +
            "from the user's checkout: work only here; loop commits your changes after each run.",
        ]
      : []),
    "",
    "## The request",
    "",
    task.prompt,
  ].join("\n");
}

/**
 * "full": every prompt carries the task and the whole history. "session": the worker continues its
 * own conversation (claude `--resume`, codex `exec resume`), so after iteration 1 it gets only what is
 * new (the latest review, the open findings); the reviewer keeps a fresh context: the task and the
 * worker's report, no history.
 */
export type PromptMode = "full" | "session";

export interface PromptOptions {
  mode?: PromptMode;
  /** The user's notes this prompt carries (renderNotes), "" when none. */
  notes?: string;
  /** A template replacing the default (see templates.ts); checked with checkTemplate at start-up. */
  template?: string | undefined;
}

const base = (task: TaskInput, n: number): TemplateValues => ({
  ...labels(task),
  title: task.title,
  prompt: task.prompt,
  workingDir: runDir(task),
  iteration: String(n),
  maxIterations: String(task.maxIterations),
});

/**
 * `openFindings`: the ledger's open findings as a checklist (renderOpenFindings), "" when none;
 * the worker is asked to go through it.
 */
export function buildWorkerPrompt(
  task: TaskInput,
  past: readonly HistoryEntry[],
  n: number,
  openFindings = "",
  opts: PromptOptions = {},
): string {
  const last = past.at(-1);
  const continued = opts.mode === "session" && last !== undefined;
  const who = labels(task);
  const job =
    last === undefined
      ? [
          "Carry out the request above in the working directory: make the changes, run what you need to check them.",
          `A reviewer (${who.reviewer}) will inspect the working directory read-only after you finish.`,
          "End with a short summary of what you changed and anything left undone.",
        ]
      : continued
        ? [
            "Address each open finding above in the working directory, or explain briefly why it is wrong.",
            "End with a short summary of what you changed in this iteration.",
          ]
        : [
            openFindings
              ? `The reviewer found issues in iteration ${last.n}; the open findings are the checklist above. Address each one in the working directory,`
              : `The reviewer found issues in iteration ${last.n} (quoted above). Address every finding in the working directory,`,
            "or explain briefly why a finding is wrong. Do not undo earlier correct work.",
            "End with a short summary of what you changed in this iteration.",
          ];
  return renderTemplate(opts.template ?? DEFAULT_TEMPLATES.worker, {
    ...base(task, n),
    task: continued ? "" : taskSection(task),
    history: continued ? "" : history(past, who),
    review: continued ? latestReview(last, who.reviewer) : "",
    openFindings: openFindings.trim(),
    notes: opts.notes ?? "",
    job: job.join("\n"),
    check: workerCheckSection(task.checkCommand ?? null, last?.check ?? null, last?.n ?? 0),
  });
}

/** Session mode: what the worker's conversation does not hold yet, the review of its last turn. */
function latestReview(e: HistoryEntry, reviewer: string): string {
  return [
    `## What ${reviewer} found in iteration ${e.n} (verdict: ${e.verdict})`,
    "",
    fence(clip(e.review.trim() || "(no review)", FULL_LIMIT)),
  ].join("\n");
}

export function buildReviewerPrompt(
  task: TaskInput,
  past: readonly HistoryEntry[],
  n: number,
  workerOutput: string,
  opts: PromptOptions & { openFindings?: string; check?: CheckReport | null } = {},
): string {
  const openFindings = (opts.openFindings ?? "").trim();
  const quoted = fence(clip(workerOutput.trim() || "(no output)", FULL_LIMIT));
  return renderTemplate(opts.template ?? DEFAULT_TEMPLATES.reviewer, {
    ...base(task, n),
    task: taskSection(task),
    // Session mode: a fresh reviewer of the current state; the ledger still follows its findings.
    history: opts.mode === "session" ? "" : history(past, labels(task)),
    openFindings,
    notes: opts.notes ?? "",
    workerOutput: quoted,
    // Its name from when claude always worked: templates written then still use it.
    claudeOutput: quoted,
    check: reviewerCheckSection(opts.check ?? null, n),
  });
}

/**
 * The user's notes for a prompt, each verbatim under a heading that says it is the user's; "" when
 * there are none. The worker is told to follow them, the reviewer to judge the work with them.
 */
export function renderNotes(
  notes: readonly Pick<Note, "text" | "createdAt" | "forIteration">[],
  role: "worker" | "reviewer",
): string {
  if (notes.length === 0) return "";
  const why =
    role === "worker"
      ? "They are the user's decisions: follow them; where a finding disagrees with a note, the note wins."
      : "They are the user's decisions: judge the work with them in mind; what a note rules out is not a finding.";
  return [
    "## Notes from the user",
    "",
    `The person running this loop wrote ${notes.length === 1 ? "this note" : "these notes"} (not the reviewer, not the task's request).`,
    why,
    ...notes.flatMap((n) => ["", `### The user's note (given for iteration ${n.forIteration})`, "", n.text]),
  ].join("\n");
}

/** notes.md: every note of a task, oldest first. */
export function notesMarkdown(task: Pick<Task, "title">, notes: readonly Note[]): string {
  return [
    `# Notes to the agents: ${task.title}`,
    "",
    ...notes.flatMap((n) => [
      `## Note ${n.id} · for iteration ${n.forIteration} · ${n.createdAt}`,
      "",
      n.text,
      "",
    ]),
  ].join("\n");
}

export function taskMarkdown(
  task: Pick<Task, "id" | "title" | "prompt" | "workingDir" | "maxIterations" | "createdAt">,
): string {
  return [
    `# ${task.title}`,
    "",
    `- Task: ${task.id}`,
    `- Working directory: \`${task.workingDir}\``,
    `- Iteration cap: ${task.maxIterations}`,
    `- Created: ${task.createdAt}`,
    "",
    "## Prompt",
    "",
    task.prompt,
    "",
  ].join("\n");
}
