import type { AgentName } from "@loop/shared";
import { useEffect, useRef, useState } from "react";
import { useNow } from "../../lib/clock.ts";
import { subscribePartial } from "../../lib/events.ts";
import { activity, growingText, heartbeat } from "./live.ts";
import type { AgentLog } from "./model.ts";

/**
 * Under a running agent's log: the text it is writing right now (agent.partial, live only; gone
 * once the complete message is stored as a log line) and a heartbeat ("thinking · 42 s") counted
 * on this page's clock from the last line that arrived.
 */
export function LiveLine({
  taskId,
  n,
  agent,
  log,
}: {
  taskId: string;
  n: number;
  agent: AgentName;
  log: AgentLog;
}) {
  const [partial, setPartial] = useState<{ text: string; length: number } | null>(null);
  const since = useRef({ version: log.version, at: Date.now() });
  if (since.current.version !== log.version) since.current = { version: log.version, at: Date.now() };
  const now = useNow(true);

  useEffect(
    () =>
      subscribePartial((m) => {
        if (m.taskId !== taskId || m.iteration !== n || m.agent !== agent) return;
        since.current = { ...since.current, at: Date.now() };
        setPartial({ text: m.text, length: m.length });
      }),
    [taskId, n, agent],
  );
  // A stored line arrived (the complete message): the growing line is done.
  useEffect(() => setPartial(null), [log.version]);

  const last = log.lines.at(-1);
  return (
    <div className="live-line">
      {partial && (
        <p className="live-text" title={`${agent} is writing`}>
          {growingText(partial.text, partial.length)}
          <span className="cursor" aria-hidden="true">
            ▍
          </span>
        </p>
      )}
      <p className="heartbeat muted" role="status" aria-label={`${agent} activity`}>
        {heartbeat(activity(agent, last, partial !== null), now - since.current.at)}
      </p>
    </div>
  );
}
