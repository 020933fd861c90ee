import type { Task, Verdict } from "@loop/shared";
import { runDir } from "../run/isolation.ts";

/** What one finished iteration contributes to the next prompts. */
export interface HistoryEntry {
  n: number;
  claudeOutput: string;
  review: string;
  verdict: Verdict;
}

type TaskInput = Pick<Task, "title" | "prompt" | "workingDir" | "maxIterations"> &
  Partial<Pick<Task, "worktree">>;

/** The latest iterations are quoted in full; older ones are shortened so prompts stay bounded. */
const RECENT_FULL = 2;
const FULL_LIMIT = 20_000;
const OLD_LIMIT = 2_000;

const clip = (s: string, max: number) =>
  s.length <= max
    ? s
    : `${s.slice(0, max)}\n\n[… ${s.length - max} more characters omitted; see the artifacts]`;

function history(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return "";
  const parts = entries.map((e, i) => {
    const limit = i >= entries.length - RECENT_FULL ? FULL_LIMIT : OLD_LIMIT;
    return [
      `### Iteration ${e.n}`,
      "",
      "What Claude reported:",
      "",
      fence(clip(e.claudeOutput.trim() || "(no output)", limit)),
      "",
      `What Codex found (verdict: ${e.verdict}):`,
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
 * `openFindings`: the ledger's open findings as a checklist (renderOpenFindings), "" when none;
 * Claude is asked to go through it.
 */
export function buildClaudePrompt(
  task: TaskInput,
  past: readonly HistoryEntry[],
  n: number,
  openFindings = "",
): string {
  const last = past.at(-1);
  const instruction =
    last === undefined
      ? [
          `## Your job (iteration ${n} of at most ${task.maxIterations})`,
          "",
          "Carry out the request above in the working directory: make the changes, run what you need to check them.",
          "A reviewer (Codex) will inspect the working directory read-only after you finish.",
          "End with a short summary of what you changed and anything left undone.",
        ]
      : [
          `## Your job (iteration ${n} of at most ${task.maxIterations})`,
          "",
          openFindings
            ? `The reviewer found issues in iteration ${last.n}; the open findings are the checklist above. Address each one in the working directory,`
            : `The reviewer found issues in iteration ${last.n} (quoted above). Address every finding in the working directory,`,
          "or explain briefly why a finding is wrong. Do not undo earlier correct work.",
          "End with a short summary of what you changed in this iteration.",
        ];
  return `${[taskSection(task), history(past), openFindings.trim(), instruction.join("\n")].filter(Boolean).join("\n\n")}\n`;
}

export function buildCodexPrompt(
  task: TaskInput,
  past: readonly HistoryEntry[],
  n: number,
  claudeOutput: string,
): string {
  return `${[
    taskSection(task),
    history(past),
    `## What Claude reported in iteration ${n}`,
    fence(clip(claudeOutput.trim() || "(no output)", FULL_LIMIT)),
    [
      "## Your job: review",
      "",
      "Review the current state of the working directory against the request above. You are read-only: do not",
      "modify files. Inspect the code, run read-only checks (tests, linters) if useful, and judge whether the",
      "request is fully and correctly done.",
      "",
      "Answer in exactly this format. The FIRST line must be one of:",
      "",
      "STATUS: DONE",
      "STATUS: ISSUES_FOUND",
      "",
      "Use STATUS: DONE only when nothing important remains. With STATUS: ISSUES_FOUND, list each finding on",
      "the following lines: what is wrong, where (file and line), and what to do, most important first.",
    ].join("\n"),
  ]
    .filter(Boolean)
    .join("\n\n")}\n`;
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
