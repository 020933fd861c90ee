import type { AgentName, CheckResult, Finding, Iteration } from "@loop/shared";
import { useId, useState } from "react";
import { AGENT_LABEL, formatDuration } from "../../lib/format.ts";
import { ChangesDisclosure } from "../changes/ChangesDisclosure.tsx";
import { AgentUsage } from "./AgentUsage.tsx";
import { DisclosureButton } from "./DisclosureButton.tsx";
import { LiveLine } from "./LiveLine.tsx";
import { LogView } from "./LogView.tsx";
import { agentState, iterationState, lineCount } from "./logic.ts";
import type { AgentLog, CheckLog, IterationView } from "./model.ts";

export function IterationSection({
  taskId,
  n,
  maxIterations,
  live,
  stored,
  isLatest,
  version,
  worker,
  reviewer,
  taskStatus,
  findings = [],
}: {
  taskId: string;
  n: number;
  /** The task's roles: the worker's panel comes first, then the changes, then the reviewer's. */
  worker: AgentName;
  reviewer: AgentName;
  maxIterations: number;
  /** The task's findings ledger: the review's own findings are quoted under its verdict. */
  findings?: readonly Finding[];
  /** The task's status: no agent runs while the task does not (after a crash, a stop). */
  taskStatus: string;
  live: IterationView | null;
  stored: Iteration | null;
  isLatest: boolean;
  version: number;
}) {
  const headingId = useId();
  const verdict = live?.verdict?.status ?? stored?.verdict ?? null;
  const state = iterationState(live, stored?.status, taskStatus);
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
          <span className={`muted iteration-state state-${state.replace(/\W/g, "")}`}>{state}</span>
        )}
        <CheckBadge check={stored?.check ?? live?.check?.finished ?? null} running={checkRunning(live)} />
        {stored?.usage && <AgentUsage usage={stored.usage} />}
      </header>
      {live?.notes.map((note) => (
        <blockquote className="user-note" key={note.id} aria-label={`Your note for iteration ${n}`}>
          <strong>Your note:</strong> <span className="pre-wrap">{note.text}</span>
        </blockquote>
      ))}
      {/* The iteration's claude* fields hold the worker's run, its codex* fields the reviewer's (api.md). */}
      <ReviewSummary
        reviewer={reviewer}
        firstLine={live?.verdict?.firstLine ?? null}
        verdict={verdict}
        reported={reportedIn(findings, n)}
      />
      <AgentPanel
        taskId={taskId}
        n={n}
        agent={worker}
        part="works"
        log={live?.[worker] ?? null}
        durationMs={stored?.claudeDurationMs ?? live?.[worker].finished?.durationMs ?? null}
        promptBytes={stored?.claudePromptBytes ?? null}
        defaultOpen={isLatest}
        version={version}
        taskStatus={taskStatus}
      />
      {live?.changes && (
        <ChangesDisclosure recorded={live.changes} title="Changes" label={`Changes in iteration ${n}`} />
      )}
      {live?.check && <CheckPanel n={n} log={live.check} defaultOpen={isLatest} />}
      <AgentPanel
        taskId={taskId}
        n={n}
        agent={reviewer}
        part="reviews"
        log={live?.[reviewer] ?? null}
        durationMs={stored?.codexDurationMs ?? live?.[reviewer].finished?.durationMs ?? null}
        promptBytes={stored?.codexPromptBytes ?? null}
        defaultOpen={isLatest}
        version={version}
        taskStatus={taskStatus}
      />
    </section>
  );
}

function AgentPanel({
  taskId,
  n,
  agent,
  part,
  log,
  durationMs,
  promptBytes,
  defaultOpen,
  taskStatus,
}: {
  taskId: string;
  n: number;
  agent: AgentName;
  part: "works" | "reviews";
  taskStatus: string;
  log: AgentLog | null;
  durationMs: number | null;
  /** Size of the prompt sent (NNN-<agent>-prompt.md); null until it was sent. */
  promptBytes: number | null;
  defaultOpen: boolean;
  version: number;
}) {
  const state = agentState(log, taskStatus);
  const failed = state === "failed";
  const running = state === "running…";
  const [userOpen, setUserOpen] = useState<boolean | null>(null);
  const open = userOpen ?? (defaultOpen || failed);
  const bodyId = useId();
  const label = `${AGENT_LABEL[agent]} output, iteration ${n}`;
  return (
    <div className={`agent agent-${agent}${failed ? " agent-failed" : ""}`}>
      <h3 className="agent-head">
        <DisclosureButton open={open} controls={bodyId} onToggle={() => setUserOpen(!open)}>
          {AGENT_LABEL[agent]} <span className="muted agent-role">{part}</span>
        </DisclosureButton>
        <span className={`agent-state state-${state.replace(/\W/g, "")}`}>{state}</span>
        {durationMs !== null && <span className="muted">{formatDuration(durationMs)}</span>}
        {log && <span className="muted line-count">{lineCount(log.outputLines)}</span>}
        {promptBytes !== null && (
          <span
            className="muted prompt-bytes"
            title={`The prompt sent to ${AGENT_LABEL[agent]} in iteration ${n}`}
          >
            prompt {promptBytes.toLocaleString("en-US")} bytes
          </span>
        )}
      </h3>
      {(failed || state === "cancelled") && log?.finished?.error && (
        <p className={failed ? "agent-error" : "agent-note"} role="note">
          {log.finished.error}
        </p>
      )}
      <div id={bodyId} hidden={!open}>
        {open && log && <LogView lines={log.lines} version={log.version} label={label} />}
        {open && log && running && <LiveLine taskId={taskId} n={n} agent={agent} log={log} />}
        {open && !log && <p className="muted log-empty">No output.</p>}
      </div>
    </div>
  );
}

const checkRunning = (live: IterationView | null) => Boolean(live?.check && !live.check.finished);

/** The iteration's check in its header: passed (green) or failed (red), with its duration. */
function CheckBadge({ check, running }: { check: CheckResult | null; running: boolean }) {
  if (running && !check) return <span className="check-badge check-running">check running…</span>;
  if (!check) return null;
  const how = check.ok
    ? "✓ check passed"
    : check.timedOut
      ? "✗ check timed out"
      : `✗ check failed (exit ${check.exitCode ?? "–"})`;
  return (
    <span className={`check-badge ${check.ok ? "check-pass" : "check-fail"}`}>
      {how} <span className="check-duration">{formatDuration(check.durationMs)}</span>
    </span>
  );
}

/** loop's check of iteration n: its command and output (check.output lines), open when it failed. */
function CheckPanel({ n, log, defaultOpen }: { n: number; log: CheckLog; defaultOpen: boolean }) {
  const failed = log.finished !== null && !log.finished.ok;
  const [userOpen, setUserOpen] = useState<boolean | null>(null);
  const open = userOpen ?? (defaultOpen || failed);
  const bodyId = useId();
  return (
    <div className={`agent agent-check${failed ? " agent-failed" : ""}`}>
      <h3 className="agent-head">
        <DisclosureButton open={open} controls={bodyId} onToggle={() => setUserOpen(!open)}>
          Check <span className="muted mono">{log.command}</span>
        </DisclosureButton>
        <span className="muted line-count">{lineCount(log.outputLines)}</span>
      </h3>
      <div id={bodyId} hidden={!open}>
        {open && <LogView lines={log.lines} version={log.version} label={`Check output, iteration ${n}`} />}
      </div>
    </div>
  );
}

/** The findings a review reported: those first seen in or before iteration n and still reported in it. */
export const reportedIn = (findings: readonly Finding[], n: number): Finding[] =>
  findings.filter((f) => f.firstIteration <= n && f.lastIteration >= n);

/**
 * Under an iteration's verdict: what the reviewer found, in its words (the ledger's findings this review
 * reported), not only its STATUS line; the first line when it says more than the STATUS.
 */
function ReviewSummary({
  reviewer,
  firstLine,
  verdict,
  reported,
}: {
  reviewer: AgentName;
  firstLine: string | null;
  verdict: string | null;
  reported: Finding[];
}) {
  const bare = firstLine === null || /^\W*STATUS:\s*(DONE|ISSUES_FOUND)\W*$/i.test(firstLine.trim());
  if (bare && (verdict !== "ISSUES_FOUND" || reported.length === 0)) return null;
  return (
    <div className="verdict-line">
      {!bare && (
        <p>
          {AGENT_LABEL[reviewer]}: <q>{firstLine}</q>
        </p>
      )}
      {verdict === "ISSUES_FOUND" && reported.length > 0 && (
        <ul className="verdict-findings" aria-label={`What ${AGENT_LABEL[reviewer]} found`}>
          {reported.map((f) => (
            <li key={f.id}>
              <span className="mono">{f.id}</span> {f.text}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
