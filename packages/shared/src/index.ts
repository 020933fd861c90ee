export * from "./errors.ts";
export * from "./events.ts";
export * from "./findings.ts";
export * from "./landing.ts";
export * from "./limits.ts";
export * from "./server-info.ts";
export * from "./task.ts";
export * from "./usage.ts";
