import {
  AgentAvailability,
  type AgentProbe,
  newerThanTested,
  probeAgent,
  TESTED_VERSIONS,
} from "@loop/core/agent-checks";
import type { Config } from "./config.ts";

/**
 * The agent CLIs' health as `settings` name them (see AgentAvailability). A CLI newer than the one
 * the compatibility suite passed with may have changed a format or a flag: it is flagged.
 */
export function agentAvailability(
  settings: Pick<Config, "claudeBin" | "codexBin" | "healthIntervalMs">,
  probe: AgentProbe = probeAgent,
): AgentAvailability {
  return new AgentAvailability({
    probe: async (agent, bin) => {
      const h = await probe(agent, bin);
      const newer = newerThanTested(agent, h.version);
      return { ...h, testedVersion: TESTED_VERSIONS[agent], ...(newer && { newerThanTested: newer }) };
    },
    bins: { claude: settings.claudeBin, codex: settings.codexBin },
    intervalMs: settings.healthIntervalMs,
  });
}
