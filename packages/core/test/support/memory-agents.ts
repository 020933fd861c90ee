import {
  type AgentName,
  claudeOnly,
  codexOnly,
  emptyClaudeUsage,
  emptyCodexUsage,
  type Usage,
} from "@loop/shared";
import type {
  AgentOutcome,
  AgentRequest,
  Agents,
  Reviewer,
  Role,
  Roles,
  Worker,
} from "../../src/agents/index.ts";

/**
 * In-memory agents: a Worker and a Reviewer that answer from a script, with no child process. The
 * loop cannot tell them from the CLIs: each run says it started (onStart), prints its answer as one
 * stdout line (onLine) and returns an outcome. A step of the script is an answer (a string), an
 * outcome of its own (ok / fail below), or a function of the request; past the end of the script the
 * last step repeats. `calls` keeps every request, so a test can read the prompts and sessions sent.
 */
export type Step =
  | string
  | AgentOutcome
  | ((req: AgentRequest, call: number) => AgentOutcome | Promise<AgentOutcome>);

const usageOf = (agent: AgentName, n = 1): Usage =>
  agent === "claude"
    ? claudeOnly({
        ...emptyClaudeUsage(),
        costUsd: 0.01 * n,
        inputTokens: 100 * n,
        outputTokens: 10 * n,
        turns: 1,
      })
    : codexOnly({ ...emptyCodexUsage(), inputTokens: 100 * n, outputTokens: 10 * n });

/** A successful run that answered `output`. */
export const ok = (
  agent: AgentName,
  output: string,
  o: { sessionId?: string | null; usage?: Usage; warning?: string } = {},
): AgentOutcome => ({
  ok: true,
  output,
  usage: o.usage ?? usageOf(agent),
  sessionId: o.sessionId ?? `${agent}-session`,
  ...(o.warning && { warning: o.warning }),
  exitCode: 0,
  durationMs: 1,
  pid: undefined,
});

/** A failed run. */
export const fail = (
  errorKind: Extract<AgentOutcome, { ok: false }>["errorKind"],
  error: string,
  o: { resetsAt?: string | null; usage?: Usage | null; sessionMissing?: boolean } = {},
): AgentOutcome => ({
  ok: false,
  errorKind,
  error,
  usage: o.usage ?? null,
  exitCode: 1,
  durationMs: 1,
  pid: undefined,
  ...(o.resetsAt !== undefined && { resetsAt: o.resetsAt }),
  ...(o.sessionMissing && { sessionMissing: true }),
});

/** A run that goes on until the loop stops it (cancel, shutdown), then reports it was stopped. */
export const hang =
  (agent: AgentName): Step =>
  (req) =>
    new Promise((resolve) => {
      const stopped = () => resolve(fail("cancelled", `${agent} was stopped before it finished`));
      if (req.signal?.aborted) stopped();
      else req.signal?.addEventListener("abort", stopped, { once: true });
    });

export class ScriptedAgent {
  readonly name: AgentName;
  readonly role: Role;
  readonly calls: AgentRequest[] = [];
  private readonly script: Step[];

  constructor(name: AgentName, role: Role, script: Step[]) {
    if (script.length === 0) throw new Error("a script needs at least one step");
    this.name = name;
    this.role = role;
    this.script = script;
  }

  /** The prompts sent so far, in order. */
  get prompts(): string[] {
    return this.calls.map((c) => c.prompt);
  }

  async run(req: AgentRequest): Promise<AgentOutcome> {
    const call = this.calls.push(req) - 1;
    req.onStart?.({ pid: undefined, argv: [this.name, this.role] });
    const step = this.script[Math.min(call, this.script.length - 1)]!;
    const outcome =
      typeof step === "string"
        ? ok(this.name, step)
        : typeof step === "function"
          ? await step(req, call)
          : step;
    if (outcome.ok) req.onLine("stdout", outcome.output);
    return outcome;
  }
}

export interface Scripts {
  worker?: Step[];
  reviewer?: Step[];
}

/** The default scripts: the worker reports it did the work, the reviewer says DONE. */
export const DONE_SCRIPTS: Required<Scripts> = {
  worker: ["Did the work."],
  reviewer: ["STATUS: DONE\n\nLooks right."],
};

/**
 * The orchestrator's `agents` factory with scripted agents: every run of a task gets the same two
 * agents (so their `calls` add up over resumes), cast as the task's roles say.
 */
export function memoryAgents(scripts: Scripts = {}) {
  const made = new Map<string, { worker: ScriptedAgent; reviewer: ScriptedAgent }>();
  const factory = (roles: Roles): Agents => {
    const key = `${roles.worker}/${roles.reviewer}`;
    let pair = made.get(key);
    if (!pair) {
      pair = {
        worker: new ScriptedAgent(roles.worker, "worker", scripts.worker ?? DONE_SCRIPTS.worker),
        reviewer: new ScriptedAgent(roles.reviewer, "reviewer", scripts.reviewer ?? DONE_SCRIPTS.reviewer),
      };
      made.set(key, pair);
    }
    return { worker: pair.worker as Worker, reviewer: pair.reviewer as Reviewer };
  };
  return Object.assign(factory, {
    /** The agents of one arrangement (default: claude works, codex reviews), made on first use. */
    of: (roles: Roles = { worker: "claude", reviewer: "codex" }) => {
      factory(roles);
      return made.get(`${roles.worker}/${roles.reviewer}`)!;
    },
  });
}
