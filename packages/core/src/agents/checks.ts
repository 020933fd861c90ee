/*
 * What checking the agent CLIs needs, and nothing of the run loop: the server imports it on its own
 * (@loop/core/agent-checks) to begin the checks before the rest of it loads (apps/server/src/server.ts).
 */
export { AgentAvailability, type AgentProbe } from "./availability.ts";
export { probeAgent } from "./probe.ts";
export { newerThanTested, TESTED_VERSIONS } from "./tested-versions.ts";
