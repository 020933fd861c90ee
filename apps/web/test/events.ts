import type { LoopEvent } from "@loop/shared";

type Data<T extends LoopEvent["type"]> = Extract<LoopEvent, { type: T }>["data"];

/** Builds a stream of events with growing ids, as the server would store them. */
export function eventStream(taskId = "t1") {
  let id = 0;
  const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  return {
    ev<T extends LoopEvent["type"]>(type: T, data: Data<T>, iteration: number | null = null): LoopEvent {
      id++;
      return { id, taskId, iteration, type, ts: at(id), data } as LoopEvent;
    },
    out(
      n: number,
      line: string,
      extra: Partial<Data<"agent.output">> = {},
      agent: "claude" | "codex" = "claude",
    ) {
      return this.ev("agent.output", { agent, stream: "stdout", line, ...extra }, n);
    },
  };
}
