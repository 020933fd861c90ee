export * from "./agents/index.ts";
export * from "./artifacts.ts";
export * from "./changes/index.ts";
export * from "./events.ts";
export * from "./findings.ts";
export * from "./orchestrator.ts";
export * from "./prompts/index.ts";
export * from "./runner/index.ts";
