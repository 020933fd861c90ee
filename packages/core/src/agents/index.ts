export {
  AgentAvailability,
  type AgentGate,
  type AgentProbe,
  type AgentsHealth,
  healthStatus,
  unavailableReason,
} from "./availability.ts";
export { budgetArg, ClaudeStream, claudeArgs, runClaude } from "./claude.ts";
export {
  CLAUDE_REVIEW_PERMISSION_MODE,
  type CliSettings,
  cliAgent,
  cliAgents,
} from "./cli-agents.ts";
export { type CodexSandbox, CodexStream, codexArgs, runCodex } from "./codex.ts";
export { codexRateLimits, readCodexRateLimits } from "./codex-rollout.ts";
export { probeAgent } from "./probe.ts";
export {
  describeRateLimit,
  type RateLimitInfo,
  readRateLimit,
  toSubscriptionWindow,
} from "./rate-limit.ts";
export {
  type Agent,
  type AgentRequest,
  type Agents,
  type AgentsFactory,
  agentLabel,
  DEFAULT_ROLES,
  type Reviewer,
  type Role,
  type Roles,
  type Worker,
} from "./roles.ts";
export { cliVersion, compareVersions, newerThanTested, TESTED_VERSIONS } from "./tested-versions.ts";
export type { AgentOutcome, AgentRunOptions } from "./types.ts";
export { detectUsageLimit, type UsageLimit } from "./usage-limit.ts";
export { type ParsedVerdict, parseVerdict } from "./verdict.ts";
