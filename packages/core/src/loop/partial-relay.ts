import { type AgentName, PARTIAL_TAIL_CHARS } from "@loop/shared";
import type { EventBus } from "../events.ts";

/** At most one agent.partial per this long per run: deltas come much faster than anyone reads. */
export const PARTIAL_INTERVAL_MS = 100;

/**
 * Sends the text an agent is writing to live listeners as `agent.partial` (never stored): the tail
 * of the text so far, throttled. `clear()` when a stored line arrives (the complete message).
 */
export class PartialRelay {
  private latest: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly send: (text: string) => void;

  constructor(bus: EventBus, taskId: string, iteration: number, agent: AgentName) {
    this.send = (text) =>
      bus.publishEphemeral({
        type: "agent.partial",
        taskId,
        iteration,
        data: { agent, text: text.slice(-PARTIAL_TAIL_CHARS), length: text.length },
      });
  }

  push(textSoFar: string): void {
    this.latest = textSoFar;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.latest !== null) this.send(this.latest);
      this.latest = null;
    }, PARTIAL_INTERVAL_MS);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = null;
  }
}
