import type { Finding, Iteration, Landed, Task } from "@loop/shared";

/*
 * The words that go with a landed branch: the merge (or squash) commit's message, the pull
 * request's body, and result.md's note. All from the task's rows, never from its Markdown.
 */

const oneLine = (s: string, max = 160) => {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const resolved = (ledger: readonly Finding[]) => ledger.filter((f) => f.status === "resolved");
const open = (ledger: readonly Finding[]) => ledger.filter((f) => f.status === "open");

const verdictWord = (i: Iteration | undefined) =>
  i?.verdict === "DONE" ? "done" : i?.verdict === "ISSUES_FOUND" ? "issues found" : "no verdict";

export const trailer = (task: Pick<Task, "id">) => `Loop-Task: ${task.id}`;

export interface MessageInput {
  task: Task;
  iterations: readonly Iteration[];
  findings: readonly Finding[];
  branch: string;
  commits: number;
}

/** The merge or squash commit's message: title, final reason, iterations, findings resolved, trailer. */
export function mergeMessage(mode: "merge" | "squash", m: MessageInput): string {
  const { task, iterations, findings } = m;
  const done = resolved(findings);
  const left = open(findings);
  const lines = [
    oneLine(task.title, 200),
    "",
    task.statusReason ?? `The task is ${task.status}.`,
    "",
    `Iterations: ${iterations.length} (cap ${task.maxIterations}); the last review: ${verdictWord(iterations.at(-1))}.`,
    `Findings resolved: ${done.length}${done.length ? "" : "."}`,
    ...done.map((f) => `- ${f.id}: ${oneLine(f.text)}`),
    ...(left.length
      ? [`Findings still open: ${left.length}`, ...left.map((f) => `- ${f.id}: ${oneLine(f.text)}`)]
      : []),
    "",
    `${mode === "squash" ? "Squashed" : "Merged"} from ${m.branch} (${m.commits} commit${m.commits === 1 ? "" : "s"}) by loop.`,
    "",
    trailer(task),
    "",
  ];
  return lines.join("\n");
}

/** A message the user wrote, with loop's trailer added when it lacks it. */
export function withTrailer(message: string, task: Pick<Task, "id">): string {
  const text = message.trimEnd();
  return text.includes(trailer(task)) ? `${text}\n` : `${text}\n\n${trailer(task)}\n`;
}

const money = (n: number) => `$${n.toFixed(4)}`;

/** The pull request's body: the task's summary in Markdown. */
export function prBody(m: Omit<MessageInput, "commits" | "branch">): string {
  const { task, iterations, findings } = m;
  const done = resolved(findings);
  const left = open(findings);
  const u = task.usage;
  const item = (f: Finding) => `- **${f.id}** ${oneLine(f.text, 300)}`;
  return [
    `Made by loop in task \`${task.id}\`: ${iterations.length} iteration${iterations.length === 1 ? "" : "s"} of a worker and a reviewer.`,
    "",
    "## The task",
    "",
    ...task.prompt
      .trim()
      .split("\n")
      .map((l) => `> ${l}`.trimEnd()),
    "",
    "## How it ended",
    "",
    `- Status: **${task.status}**${task.statusReason ? ` — ${task.statusReason}` : ""}`,
    `- Iterations: ${iterations.length} of at most ${task.maxIterations}`,
    ...iterations.map((i) => `  - ${i.n}: ${i.status}, review: ${verdictWord(i)}`),
    "",
    "## Findings",
    "",
    `Resolved (${done.length}):`,
    ...(done.length ? done.map(item) : ["- none"]),
    "",
    `Still open (${left.length}):`,
    ...(left.length ? left.map(item) : ["- none"]),
    "",
    "## Cost per agent",
    "",
    `- Claude: ${money(u.claude.costUsd)} (tokens in ${u.claude.inputTokens}, out ${u.claude.outputTokens}, cache read ${u.claude.cacheReadTokens}, cache write ${u.claude.cacheWriteTokens})`,
    `- Codex: tokens in ${u.codex.inputTokens} (cached ${u.codex.cachedInputTokens}), out ${u.codex.outputTokens} (reasoning ${u.codex.reasoningTokens})`,
    "",
  ].join("\n");
}

const WHAT: Record<Landed["mode"], string> = {
  merge: "Merged into",
  squash: "Squashed into",
  pr: "Pushed for a pull request against",
  discard: "Discarded",
};

/** One line saying what became of the branch (result.md, the CLI). */
export function landedLine(task: Pick<Task, "worktree">, landed: Landed): string {
  const branch = task.worktree?.branch ?? "the branch";
  const short = landed.commit.slice(0, 12);
  if (landed.mode === "discard") {
    return `Discarded ${branch} (its worktree and branch removed; it was at ${short}) at ${landed.at}`;
  }
  const url = landed.url ? ` ${landed.url}` : "";
  return `${WHAT[landed.mode]} ${landed.base ?? "?"} from ${branch} as ${short} at ${landed.at}${url}`;
}
