import type { AgentName } from "@loop/shared";
import type { Settings } from "../settings.ts";
import { runClaude } from "./claude.ts";
import { runCodex } from "./codex.ts";
import type { Agent, AgentRequest, Agents, AgentsFactory, Reviewer, Role, Roles, Worker } from "./roles.ts";
import type { AgentOutcome } from "./types.ts";

/**
 * The real agents: the claude and codex CLIs as workers and reviewers.
 * - claude works with `claude --print … --permission-mode <LOOP_CLAUDE_PERMISSION_MODE>` (acceptEdits)
 *   and reviews with `--permission-mode plan` (it never writes);
 * - codex reviews with `codex exec --sandbox read-only …` and works with `--sandbox workspace-write`.
 * Both continue a session when asked (`claude --resume <id>`, `codex exec … resume <thread> -`).
 */
export type CliSettings = Pick<
  Settings,
  "claudeBin" | "claudeArgs" | "claudePermissionMode" | "codexBin" | "codexArgs"
>;

/** The reviewer's claude never writes: plan mode lets it read and run nothing that changes files. */
export const CLAUDE_REVIEW_PERMISSION_MODE = "plan";

export function cliAgent(agent: AgentName, role: Role, s: CliSettings): Agent {
  const run =
    agent === "claude"
      ? (o: AgentRequest) =>
          runClaude({
            ...o,
            bin: s.claudeBin,
            extraArgs: s.claudeArgs,
            permissionMode: role === "worker" ? s.claudePermissionMode : CLAUDE_REVIEW_PERMISSION_MODE,
            // The reviewer runs nothing that is not read-only (plan mode): no commands are added.
            allowedCommands: role === "worker" ? o.allowedCommands : undefined,
          }).then(markSessionMissing)
      : (o: AgentRequest) =>
          runCodex({
            ...o,
            bin: s.codexBin,
            extraArgs: s.codexArgs,
            sandbox: role === "worker" ? "workspace-write" : "read-only",
            resume: o.resumeSessionId,
          });
  return { name: agent, run };
}

/** The Orchestrator's `agents` factory for the real CLIs. */
export const cliAgents =
  (s: CliSettings): AgentsFactory =>
  (roles: Roles): Agents => ({
    worker: { ...cliAgent(roles.worker, "worker", s), role: "worker" } satisfies Worker,
    reviewer: { ...cliAgent(roles.reviewer, "reviewer", s), role: "reviewer" } satisfies Reviewer,
  });

/** What claude 2.1.332 says for a --resume id it has no conversation for (fixtures/real/claude-2.1.332-resume-unknown.jsonl). */
const SESSION_MISSING = /No conversation found with session ID/i;

/** A failed resume of a conversation claude no longer has: the loop starts a new one instead. */
function markSessionMissing(o: AgentOutcome): AgentOutcome {
  return !o.ok && o.errorKind !== "usage_limit" && SESSION_MISSING.test(o.error)
    ? { ...o, sessionMissing: true }
    : o;
}
