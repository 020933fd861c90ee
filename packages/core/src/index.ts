export * from "./artifacts.ts";
export * from "./events.ts";
export * from "./prompts/index.ts";
