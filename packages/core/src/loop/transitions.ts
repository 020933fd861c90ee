import { classifyFault, type IterationTexts } from "@loop/db";
import { type AgentErrorKind, type AgentName, MAX_ITERATIONS_LIMIT, type TaskStatus } from "@loop/shared";
import { agentLabel, DEFAULT_ROLES, type Roles } from "../agents/roles.ts";
import { type Stalemate, stalemateReason } from "../findings/index.ts";
import { type CheckReport, checkHow } from "../prompts/check.ts";
import type { HistoryEntry } from "../prompts/index.ts";

export { type Budget, type Budgets, budgetDefaults, rebudget } from "./budget.ts";

/**
 * The run loop as pure functions: from what just happened to the next phase. No I/O here, so
 * the policy is tested by table (test/transitions.test.ts).
 */
export type Phase =
  /** The worker's run of iteration n. */
  | { kind: "work"; n: number }
  /** loop's check of iteration n (the task's checkCommand), after the worker's run. */
  | { kind: "check"; n: number; workerOutput: string }
  /** The reviewer's run of iteration n, on what the worker answered (and the check's result, if any). */
  | { kind: "review"; n: number; workerOutput: string; check: CheckReport | null }
  | { kind: "paused"; agent: AgentName; until: Date; reason: string; resume: Phase }
  /** The run stops with the task paused; `waiting`: step mode, it waits for the user after a review. */
  | { kind: "interrupted"; reason: string; waiting?: { openFindings: number } }
  | { kind: "finished"; status: FinalStatus; reason: string };

export type FinalStatus = Extract<TaskStatus, "done" | "needs_attention" | "failed" | "cancelled">;

/** Why the run is being stopped from outside, if it is. */
/** What stops a run from outside; "accept": the user accepts a task that waits out a usage limit. */
export type StopCause =
  | { kind: "user" }
  | { kind: "shutdown" }
  | { kind: "fault"; message: string }
  | { kind: "accept" };

export interface ReviewOutcome {
  n: number;
  verdict: "DONE" | "ISSUES_FOUND";
  maxIterations: number;
  /** A finding the reviews keep reporting (findStalemate over the ledger), or null. */
  stalemate: Stalemate | null;
  /** Who reviewed (the reason names it); codex unless the task said. */
  reviewer?: AgentName | undefined;
  /**
   * Step mode (pauseAfterIteration): the open findings after the review, and a review that is not DONE
   * and does not end the task makes it wait for the user; null or absent: the loop goes on.
   */
  waitWith?: number | null | undefined;
  /** loop's check of this iteration, if the task has one. */
  check?: CheckReport | null | undefined;
}

/**
 * The verdict an iteration counts as: a STATUS: DONE while loop's check fails is ISSUES_FOUND (a
 * passing check never turns ISSUES_FOUND into DONE).
 */
export const countedVerdict = (
  verdict: "DONE" | "ISSUES_FOUND",
  check: { ok: boolean } | null | undefined,
) => (verdict === "DONE" && check && !check.ok ? "ISSUES_FOUND" : verdict);

export function afterReview(r: ReviewOutcome): Phase {
  if (countedVerdict(r.verdict, r.check) === "DONE") {
    const who = agentLabel(r.reviewer ?? DEFAULT_ROLES.reviewer);
    return { kind: "finished", status: "done", reason: `${who} reported STATUS: DONE in iteration ${r.n}` };
  }
  if (r.stalemate !== null) {
    return { kind: "finished", status: "needs_attention", reason: stalemateReason(r.stalemate) };
  }
  if (r.n >= r.maxIterations) {
    const failing = r.check && !r.check.ok ? r.check : null;
    return {
      kind: "finished",
      status: "needs_attention",
      reason: failing
        ? `Reached the iteration cap (${r.maxIterations}) with the check failing: \`${failing.command}\` ${checkHow(failing)}`
        : `Reached the iteration cap (${r.maxIterations}) with issues remaining`,
    };
  }
  if (r.waitWith !== null && r.waitWith !== undefined) {
    const k = r.waitWith;
    return {
      kind: "interrupted",
      reason: `Waiting for you after iteration ${r.n}: ${k} open finding${k === 1 ? "" : "s"}`,
      waiting: { openFindings: k },
    };
  }
  return { kind: "work", n: r.n + 1 };
}

export interface FailureInput {
  n: number;
  agent: AgentName;
  errorKind: AgentErrorKind;
  error: string;
  resetsAt?: string | null | undefined;
  stop: StopCause | null;
  /** Usage-limit pauses so far in this run. */
  pauses: number;
  maxPauses: number;
  backoffMs: number;
  marginMs: number;
  now: Date;
  /** The step to repeat after a usage-limit wait. */
  retry: Phase;
  /** How an error_max_budget_usd stop is told ("Budget reached: $0.0787 spent of $0.03"). */
  budgetReason?: string | undefined;
}

export const interruptedReason = (stop: StopCause, where: string): string => {
  switch (stop.kind) {
    case "shutdown":
      return `interrupted by a server stop ${where}; resume it to continue from there`;
    case "fault":
      return `${capitalize(stop.message)}: interrupted ${where}; resume it once that is fixed`;
    case "user":
      return `cancelled by the user ${where}`;
    case "accept":
      return `stopped ${where} for the user's accept`;
    default: {
      const unreachable: never = stop;
      throw new Error(`unknown stop ${JSON.stringify(unreachable)}`);
    }
  }
};

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The settings afterFailure needs, by their names there. */
export const usageLimitPolicy = (s: {
  maxUsageLimitPauses: number;
  usageLimitBackoffMs: number;
  usageLimitMarginMs: number;
}) => ({
  maxPauses: s.maxUsageLimitPauses,
  backoffMs: s.usageLimitBackoffMs,
  marginMs: s.usageLimitMarginMs,
});

/** Longest task.statusReason taken from an agent's error text. */
export const MAX_REASON_CHARS = 300;

/**
 * An agent's error for the reason banner: its first sentence, or ~300 characters. The whole text
 * stays in the log (agent.finished) and in the NNN-<agent>-output.md artifact.
 */
export function shortReason(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= MAX_REASON_CHARS) return flat;
  const cut = flat.slice(0, MAX_REASON_CHARS);
  // The first sentence that ends after a real start ("claude exited with code 0: …").
  const sentence = /^.{40,}?[.!?](?= )/.exec(cut);
  if (sentence) return `${sentence[0]} …`;
  const space = cut.lastIndexOf(" ");
  return `${space > 200 ? cut.slice(0, space) : cut}…`;
}

/** After an agent run that did not succeed. */
export function afterFailure(f: FailureInput): Phase {
  const where = `during iteration ${f.n} (${f.agent})`;
  if (f.stop) {
    return f.stop.kind === "user"
      ? {
          kind: "finished",
          status: "cancelled",
          reason: `Cancelled by the user during iteration ${f.n} (${f.agent} was stopped)`,
        }
      : { kind: "interrupted", reason: interruptedReason(f.stop, where) };
  }
  switch (f.errorKind) {
    case "usage_limit": {
      if (f.pauses >= f.maxPauses) {
        return {
          kind: "finished",
          status: "failed",
          reason: `${shortReason(f.error)} (gave up after ${f.maxPauses} usage-limit pauses)`,
        };
      }
      const backoff = Math.min(2 * 3600_000, f.backoffMs * 2 ** f.pauses);
      const resetsAt = f.resetsAt ? new Date(f.resetsAt) : null;
      const until =
        resetsAt && !Number.isNaN(resetsAt.getTime())
          ? new Date(resetsAt.getTime() + f.marginMs)
          : new Date(f.now.getTime() + backoff);
      return {
        kind: "paused",
        agent: f.agent,
        until,
        reason: `${f.agent} hit its usage limit (${shortReason(f.error)}); loop resumes iteration ${f.n} at ${until.toISOString()}`,
        resume: f.retry,
      };
    }
    case "budget_exceeded":
      return { kind: "finished", status: "needs_attention", reason: f.budgetReason ?? f.error };
    case "cancelled":
      return { kind: "finished", status: "cancelled", reason: `Cancelled ${where} (${f.agent} was stopped)` };
    case "timeout":
    case "idle_timeout":
    case "spawn_failed":
    case "exit_nonzero":
    case "agent_error":
    case "no_result":
    case "empty_output":
      return { kind: "finished", status: "failed", reason: shortReason(f.error) };
    default: {
      const unreachable: never = f.errorKind;
      throw new Error(`unknown error kind ${unreachable}`);
    }
  }
}

/**
 * A step that threw: a storage fault (the database or the artifacts folder refused a write)
 * interrupts the run, so the task is paused and resumable; anything else is a failure.
 */
export function afterStepError(err: unknown, where: string, paths: { db: string; artifacts: string }): Phase {
  const fault = classifyFault(err, paths);
  if (fault)
    return {
      kind: "interrupted",
      reason: interruptedReason({ kind: "fault", message: fault.message }, where),
    };
  return {
    kind: "finished",
    status: "failed",
    reason: `Internal error ${where}: ${(err as Error)?.message ?? String(err)}`,
  };
}

/** After the worker's answer: loop's check when the task has one, else the review. */
export const afterWork = (n: number, workerOutput: string, checkCommand: string | null): Phase =>
  checkCommand ? { kind: "check", n, workerOutput } : { kind: "review", n, workerOutput, check: null };

/** "during iteration 2 (claude)", "during the check of iteration 2" (agent null), "before it started". */
export const whereIn = (w: { n: number; agent: AgentName | null } | null): string =>
  !w
    ? "before it started"
    : w.agent
      ? `during iteration ${w.n} (${w.agent})`
      : `during the check of iteration ${w.n}`;

/** A check stopped from outside (it never counts as failing): a cancel ends the task, anything else pauses it. */
export function afterCheckStop(stop: StopCause, n: number): Phase {
  const where = `during the check of iteration ${n}`;
  return stop.kind === "user"
    ? {
        kind: "finished",
        status: "cancelled",
        reason: `Cancelled by the user ${where} (the check was stopped)`,
      }
    : { kind: "interrupted", reason: interruptedReason(stop, where) };
}

/** When a usage-limit wait ends early. */
export function afterWaitCut(stop: StopCause, agent: AgentName, n: number, reason: string): Phase {
  if (stop.kind === "user") {
    return {
      kind: "finished",
      status: "cancelled",
      reason: "Cancelled by the user while paused for a usage limit",
    };
  }
  return {
    kind: "interrupted",
    reason: `${interruptedReason(stop, `while iteration ${n} (${agent}) waited for a usage limit`)} (${reason})`,
  };
}

/**
 * The end a task's stored reviews had already decided when its run stopped without recording it (a
 * server that died between storing Codex's last review and the task row): what afterReview gives
 * for its last iteration, or null when that iteration is not finished or the run would go on.
 */
export function decidedEnd(
  iterations: readonly IterationTexts[],
  maxIterations: number,
  stalemate: Stalemate | null,
  reviewer?: AgentName,
): (Phase & { kind: "finished" }) | null {
  const last = iterations.at(-1);
  if (last?.status !== "done" || !last.verdict) return null;
  const next = afterReview({ n: last.n, verdict: last.verdict, maxIterations, stalemate, reviewer });
  return next.kind === "finished" ? next : null;
}

export type ResumePoint =
  | { ok: true; phase: Phase & { kind: "work" | "check" | "review" }; history: HistoryEntry[]; from: string }
  | { ok: false; reason: string };

/**
 * Where a task continues: after its last finished agent run. An iteration whose review is stored
 * is finished; one with the worker's answer stored continues with the check (a task with a check
 * whose result is not stored yet) or the review; anything else repeats from the worker. The history
 * of the prompts is the stored finished iterations.
 */
export function resumePoint(
  iterations: readonly IterationTexts[],
  maxIterations: number,
  roles: Roles & { checkCommand?: string | null } = DEFAULT_ROLES,
): ResumePoint {
  const { worker, reviewer } = roles;
  const command = roles.checkCommand ?? null;
  const report = (it: Pick<IterationTexts, "check" | "checkOutput">): CheckReport | null =>
    command && it.check ? { ...it.check, command, output: it.checkOutput ?? "" } : null;
  const history: HistoryEntry[] = [];
  for (const it of iterations) {
    if (it.status === "done" && it.review !== null && it.claudeOutput !== null && it.verdict) {
      const check = report(it);
      history.push({
        n: it.n,
        workerOutput: it.claudeOutput,
        review: it.review,
        verdict: it.verdict,
        ...(check && { check }),
      });
    }
  }
  const last = iterations.at(-1);
  if (!last) return { ok: true, phase: { kind: "work", n: 1 }, history, from: "the start" };
  if (last.status === "done") {
    if (last.verdict === "DONE")
      return {
        ok: false,
        reason: `${agentLabel(reviewer)} already reported STATUS: DONE in iteration ${last.n}`,
      };
    const n = last.n + 1;
    if (n > maxIterations) {
      // extraIterations cannot raise a cap that is already the most a task may have.
      const more =
        maxIterations >= MAX_ITERATIONS_LIMIT
          ? "that is the most a task may have: retry it to start over"
          : "resume it with extraIterations to run more";
      return { ok: false, reason: `it reached its iteration cap (${maxIterations}); ${more}` };
    }
    return { ok: true, phase: { kind: "work", n }, history, from: `iteration ${n} (${worker})` };
  }
  if (last.claudeOutput !== null && command && !last.check) {
    return {
      ok: true,
      phase: { kind: "check", n: last.n, workerOutput: last.claudeOutput },
      history,
      from: `the check of iteration ${last.n} (${worker}'s answer is kept)`,
    };
  }
  if (last.claudeOutput !== null) {
    return {
      ok: true,
      phase: { kind: "review", n: last.n, workerOutput: last.claudeOutput, check: report(last) },
      history,
      from: `iteration ${last.n} (${reviewer}; ${worker}'s answer is kept)`,
    };
  }
  return { ok: true, phase: { kind: "work", n: last.n }, history, from: `iteration ${last.n} (${worker})` };
}
