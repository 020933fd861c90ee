export * from "./agents/index.ts";
export * from "./artifacts.ts";
export * from "./events.ts";
export * from "./orchestrator.ts";
export * from "./prompts/index.ts";
export * from "./runner/index.ts";
