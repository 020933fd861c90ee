import type { AgentName, Iteration } from "@loop/shared";
import { useId, useState } from "react";
import { formatDuration, formatUsage, usageDetail } from "../../lib/format.ts";
import { ChangesDisclosure } from "../changes/ChangesDisclosure.tsx";
import { LiveLine } from "./LiveLine.tsx";
import { LogView } from "./LogView.tsx";
import type { AgentLog, IterationView } from "./model.ts";

const AGENT_LABEL: Record<AgentName, string> = { claude: "Claude", codex: "Codex" };
const AGENT_ROLE: Record<AgentName, string> = { claude: "works", codex: "reviews" };

export function IterationSection({
  n,
  maxIterations,
  live,
  stored,
  isLatest,
  version,
}: {
  n: number;
  maxIterations: number;
  live: IterationView | null;
  stored: Iteration | null;
  isLatest: boolean;
  version: number;
}) {
  const headingId = useId();
  const verdict = live?.verdict?.status ?? stored?.verdict ?? null;
  const status = stored?.status ?? (live?.outcome ? live.outcome.status : live ? "running" : "unknown");
  return (
    <section className="iteration card" aria-labelledby={headingId} data-iteration={n}>
      <header className="iteration-head">
        <h2 id={headingId}>
          Iteration {n}
          <span className="muted"> of {maxIterations}</span>
        </h2>
        {verdict ? (
          <span className={`verdict verdict-${verdict}`}>
            {verdict === "DONE" ? "✓ STATUS: DONE" : "! STATUS: ISSUES_FOUND"}
          </span>
        ) : (
          <span className="muted">{status === "running" ? "in progress" : status}</span>
        )}
        {stored?.usage && (
          <span className="muted usage" title={usageDetail(stored.usage)}>
            {formatUsage(stored.usage)}
          </span>
        )}
      </header>
      {live?.verdict?.firstLine && (
        <p className="verdict-line">
          Codex: <q>{live.verdict.firstLine}</q>
        </p>
      )}
      <AgentPanel
        n={n}
        agent="claude"
        log={live?.claude ?? null}
        durationMs={stored?.claudeDurationMs ?? live?.claude.finished?.durationMs ?? null}
        defaultOpen={isLatest}
        version={version}
      />
      {live?.changes && (
        <ChangesDisclosure recorded={live.changes} title="Changes" label={`Changes in iteration ${n}`} />
      )}
      <AgentPanel
        n={n}
        agent="codex"
        log={live?.codex ?? null}
        durationMs={stored?.codexDurationMs ?? live?.codex.finished?.durationMs ?? null}
        defaultOpen={isLatest}
        version={version}
      />
    </section>
  );
}

function AgentPanel({
  n,
  agent,
  log,
  durationMs,
  defaultOpen,
}: {
  n: number;
  agent: AgentName;
  log: AgentLog | null;
  durationMs: number | null;
  defaultOpen: boolean;
  version: number;
}) {
  const failed = log?.finished ? !log.finished.ok : false;
  const [userOpen, setUserOpen] = useState<boolean | null>(null);
  const open = userOpen ?? (defaultOpen || failed);
  const bodyId = useId();
  const running = log?.started && !log.finished;
  const stopped = log?.finished?.errorKind === "cancelled";
  const state = !log?.started
    ? "not started"
    : running
      ? "running…"
      : stopped
        ? "stopped"
        : failed
          ? "failed"
          : "finished";
  const label = `${AGENT_LABEL[agent]} output, iteration ${n}`;
  return (
    <div className={`agent agent-${agent}${failed ? " agent-failed" : ""}`}>
      <h3 className="agent-head">
        <button
          type="button"
          className="disclosure"
          aria-expanded={open}
          aria-controls={bodyId}
          onClick={() => setUserOpen(!open)}
        >
          <span aria-hidden="true" className="chevron">
            {open ? "▾" : "▸"}
          </span>
          {AGENT_LABEL[agent]} <span className="muted">{AGENT_ROLE[agent]}</span>
        </button>
        <span className={`agent-state state-${state.replace(/\W/g, "")}`}>{state}</span>
        {durationMs !== null && <span className="muted">{formatDuration(durationMs)}</span>}
        {log && <span className="muted line-count">{log.outputLines.toLocaleString()} lines</span>}
      </h3>
      {failed && log?.finished?.error && (
        <p className="agent-error" role="note">
          {log.finished.error}
        </p>
      )}
      <div id={bodyId} hidden={!open}>
        {open && log && <LogView lines={log.lines} version={log.version} label={label} />}
        {open && log && running && <LiveLine n={n} agent={agent} log={log} />}
        {open && !log && <p className="muted log-empty">No output.</p>}
      </div>
    </div>
  );
}
