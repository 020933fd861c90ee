import type { Finding, Verdict } from "@loop/shared";
import { agentLabel, parseVerdict } from "../agents/index.ts";
import { parseFindings, readStillOpen, readTag, updateLedger } from "../findings/index.ts";
import { type CheckReport, checkFinding, checkHow } from "../prompts/check.ts";
import type { RunContext } from "./run-context.ts";
import { countedVerdict } from "./transitions.ts";

export interface LedgerStep {
  ledger: Finding[];
  /** Ids this review added or reopened. */
  opened: string[];
  /** Ids this review no longer reported. */
  resolved: string[];
  /** False when the ledger is exactly as before (no event, nothing to store). */
  changed: boolean;
}

/**
 * The ledger after the review of iteration n (a DONE review reports no findings). The reviewer's
 * answer by id (`[F3] …` items, a `STILL OPEN: …` line; findings/answer.ts) decides which entries
 * its findings are; findings without an id are matched by similarity, as before. A failing check is
 * a finding of its own, naming the command; it is resolved by the first iteration whose check passes.
 */
export function reviewLedger(
  ledger: readonly Finding[],
  n: number,
  verdict: Verdict,
  review: string,
  check: CheckReport | null = null,
): LedgerStep {
  const { stillOpen, rest } = readStillOpen(review);
  const found = verdict === "DONE" ? [] : parseFindings(rest).map(readTag);
  const failing = check && !check.ok ? [checkFinding(check)] : [];
  // The reviewer does not name the check's finding by id: it stays a candidate for similarity.
  const checkIds = failing.length
    ? ledger.filter((f) => f.status === "open" && f.text === failing[0]).map((f) => f.id)
    : [];
  const still = verdict === "DONE" || !stillOpen ? null : new Set([...stillOpen, ...checkIds]);
  const next = updateLedger(ledger, n, [...failing, ...found], still);
  const was = new Map(ledger.map((f) => [f.id, f.status]));
  const opened = next.filter((f) => f.status === "open" && was.get(f.id) !== "open").map((f) => f.id);
  const resolved = next.filter((f) => f.status === "resolved" && was.get(f.id) === "open").map((f) => f.id);
  return { ledger: next, opened, resolved, changed: JSON.stringify(next) !== JSON.stringify(ledger) };
}

export type ReviewContext = Pick<RunContext, "deps" | "taskId" | "send" | "write">;

/**
 * Stores the reviewer's finished review of iteration n: its verdict (review.verdict, a warning when it has
 * no STATUS line), the iteration as done, and the ledger it gives, in one transaction so a resume
 * never counts a review twice; then findings.updated and iteration.finished. A STATUS: DONE while loop's
 * check failed is stored as ISSUES_FOUND (with a warning saying why).
 */
export async function recordReview(
  ctx: ReviewContext,
  n: number,
  review: string,
  check: CheckReport | null = null,
): Promise<{ verdict: Verdict; ledger: Finding[] }> {
  const { repos } = ctx.deps;
  const verdict = parseVerdict(review);
  ctx.send("review.verdict", { status: verdict.status, firstLine: verdict.firstLine }, n);
  if (!verdict.explicit) {
    const first = JSON.stringify(verdict.firstLine.slice(0, 200));
    ctx.send(
      "task.warning",
      {
        message: `${agentLabel(ctx.deps.agents.reviewer.name)}'s review in iteration ${n} has no STATUS line (first line: ${first}); counted as ISSUES_FOUND`,
      },
      n,
    );
  }
  const counted = countedVerdict(verdict.status, check);
  if (check && counted !== verdict.status) {
    ctx.send(
      "task.warning",
      {
        message: `${agentLabel(ctx.deps.agents.reviewer.name)} reported STATUS: DONE in iteration ${n}, but the check \`${check.command}\` ${checkHow(check)}: not accepted, counted as ISSUES_FOUND`,
      },
      n,
    );
  }
  const done = { status: "done", verdict: counted, finishedAt: new Date().toISOString() } as const;
  // The ledger is read in the transaction that replaces it: a finding the user dismissed meanwhile stays so.
  const step = await ctx.write(() =>
    repos.transaction(() => {
      const s = reviewLedger(repos.findings.list(ctx.taskId), n, verdict.status, review, check);
      repos.iterations.update(ctx.taskId, n, { ...done, review });
      if (s.changed) repos.findings.replace(ctx.taskId, s.ledger);
      return s;
    }),
  );
  ctx.deps.bus.iterationUpdated(ctx.taskId, n, done);
  if (step.changed) {
    const { ledger: findings, opened, resolved } = step;
    ctx.send("findings.updated", { findings, opened, resolved }, n);
  }
  ctx.send("iteration.finished", { n, verdict: counted, status: "done" }, n);
  return { verdict: counted, ledger: step.ledger };
}
