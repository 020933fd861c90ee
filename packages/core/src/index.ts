export * from "./agents/index.ts";
export * from "./artifacts.ts";
export * from "./changes/index.ts";
export * from "./events.ts";
export * from "./findings/index.ts";
export * from "./landing/index.ts";
export { allowedCommands } from "./loop/agent-step.ts";
export { CHECK_RUN, checkFile } from "./loop/check-step.ts";
export { branchOf, checkIsolation, runDir, WORKTREES_DIR } from "./loop/isolation.ts";
export { resultMarkdown } from "./loop/reports.ts";
export * from "./loop/transitions.ts";
export * from "./orchestrator.ts";
export { type OrchestratorDeps, rolesFor } from "./orchestrator-deps.ts";
export * from "./prompts/index.ts";
export * from "./recovery.ts";
export * from "./runner/index.ts";
export * from "./settings.ts";
export {
  acceptTask,
  addNote,
  resumeWithNote,
  type SteeringContext,
  setFinding,
  steeringContext,
} from "./steering.ts";
