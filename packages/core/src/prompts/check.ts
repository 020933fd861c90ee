import type { CheckResult } from "@loop/shared";

/** loop's check of one iteration as the prompts and the verdict see it: its result and output tail. */
export interface CheckReport extends CheckResult {
  command: string;
  /** The last lines the command printed (stdout and stderr as they came). */
  output: string;
}

/** Characters of a check's output quoted in a prompt (its end: where test runners summarise). */
export const CHECK_PROMPT_TAIL = 4000;

/** "exited with code 1", "timed out after 600000 ms", "was stopped by a signal". */
export function checkHow(c: CheckResult, timeoutMs?: number): string {
  if (c.timedOut) return `timed out${timeoutMs ? ` after ${timeoutMs} ms` : ""} and was killed`;
  if (c.exitCode === null) return "could not run or was killed";
  return `exited with code ${c.exitCode}`;
}

/** The ledger's entry for a failing check (one wording, so later iterations pair with it). */
export const checkFinding = (c: CheckReport): string =>
  `The check \`${c.command}\` fails: loop ran it after the worker and it ${checkHow(c)}. Make it pass.`;

const fenceOf = (s: string) => {
  const longest = Math.max(2, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}text\n${s}\n${f}`;
};

export function outputTail(output: string, max = CHECK_PROMPT_TAIL): string {
  const t = output.trimEnd();
  if (t.length <= max) return t || "(no output)";
  return `[… ${t.length - max} earlier characters omitted]\n${t.slice(-max)}`;
}

/** The reviewer's {{check}}: this iteration's check, its exit code and the tail of its output. */
export function reviewerCheckSection(c: CheckReport | null, n: number): string {
  if (!c) return "";
  const verdict = c.ok
    ? "It passed."
    : "It FAILED: the task is not done while it fails, whatever the code looks like; a STATUS: DONE will not be accepted.";
  return [
    `## loop's check in iteration ${n}`,
    "",
    `After the worker's run, loop ran the check \`${c.command}\` in the working directory: it ${checkHow(c)} (${(c.durationMs / 1000).toFixed(1)} s). ${verdict}`,
    "",
    fenceOf(outputTail(c.output)),
  ].join("\n");
}

/**
 * The worker's {{check}}: the previous iteration's failing check (the prompt leads with it), or, with
 * a check and nothing failing, what loop will run after this turn.
 */
export function workerCheckSection(command: string | null, last: CheckReport | null, lastN: number): string {
  if (!command) return "";
  const note = `After you finish, loop runs \`${command}\` in the working directory; the task is done only when it exits 0. You may run it yourself.`;
  if (!last || last.ok) return `## The check\n\n${note}`;
  return [
    `## The check failed in iteration ${lastN}`,
    "",
    `\`${last.command}\` ${checkHow(last)}. Fix what makes it fail first. The end of its output:`,
    "",
    fenceOf(outputTail(last.output)),
    "",
    note,
  ].join("\n");
}
