import type { Finding, Iteration, LoopEvent, Task } from "@loop/shared";
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, navigate } from "../../app/router.tsx";
import { ApiError, api } from "../../lib/api.ts";
import { useNow } from "../../lib/clock.ts";
import { useTaskEvents } from "../../lib/events.ts";
import {
  canCancel,
  claudeDetail,
  codexDetail,
  elapsedMs,
  formatBudget,
  formatClaudeUsage,
  formatCodexUsage,
  formatDuration,
  formatIterations,
  isActiveStatus,
  isTerminalStatus,
} from "../../lib/format.ts";
import { ArtifactsPanel } from "../artifacts/ArtifactsPanel.tsx";
import { TaskOverview } from "../changes/TaskOverview.tsx";
import { setViewing } from "../notifications/notifications.ts";
import { StatusBadge } from "../tasks/StatusBadge.tsx";
import { IterationSection } from "./IterationSection.tsx";
import { applyEvents, createTaskView, patchTask, type TaskView } from "./model.ts";
import { ResumeControl } from "./ResumeControl.tsx";
import { WorktreeInfo } from "./WorktreeInfo.tsx";

type Load =
  | { state: "loading" }
  | { state: "missing" }
  | { state: "error"; message: string }
  | { state: "ready" };

/** Events after which the stored iteration rows (durations, usage) and the artifacts change. */
const REFRESH_ON = new Set<LoopEvent["type"]>([
  "iteration.finished",
  "task.finished",
  "agent.finished",
  "task.started",
]);

export function TaskPage({ id }: { id: string }) {
  const [task, setTask] = useState<Task | null>(null);
  const [iterations, setIterations] = useState<Iteration[]>([]);
  const [findings, setFindings] = useState<Finding[]>([]);
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const viewRef = useRef<TaskView>(createTaskView());
  const [, setVersion] = useState(0);
  const [artifactsTick, setArtifactsTick] = useState(0);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loaded = useRef(false);
  const fetchDetail = useCallback(async () => {
    try {
      const d = await api.getTask(id);
      setTask(d.task);
      setIterations(d.iterations);
      setFindings(d.findings);
      setLoad({ state: "ready" });
      loaded.current = true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setLoad({ state: "missing" });
      // Once shown, a task stays on screen through a server restart: the stream reconnects and
      // a refetch follows (below); only a first load that fails is an error page.
      else if (!loaded.current) setLoad({ state: "error", message: (err as Error).message });
    }
  }, [id]);

  useEffect(() => {
    void fetchDetail();
    setViewing(id);
    return () => {
      setViewing(null);
      clearTimeout(refetchTimer.current);
    };
  }, [id, fetchDetail]);

  const onBatch = useCallback(
    (events: LoopEvent[]) => {
      const view = viewRef.current;
      const fresh = events.filter((e) => e.id > view.lastEventId);
      if (!applyEvents(view, fresh)) return;
      setVersion(view.version);
      setTask((t) => (t ? fresh.reduce(patchTask, t) : t));
      if (fresh.some((e) => REFRESH_ON.has(e.type))) {
        clearTimeout(refetchTimer.current);
        refetchTimer.current = setTimeout(() => {
          void fetchDetail();
          setArtifactsTick((n) => n + 1);
        }, 150);
      }
    },
    [fetchDetail],
  );
  const stream = useTaskEvents(id, onBatch);
  // Back after a disconnect: the stored rows (durations, usage) may have changed meanwhile.
  const wasOpen = useRef(false);
  useEffect(() => {
    if (stream === "open" && wasOpen.current) {
      void fetchDetail();
      setArtifactsTick((n) => n + 1);
    }
    if (stream === "open") wasOpen.current = true;
  }, [stream, fetchDetail]);

  const now = useNow(task ? isActiveStatus(task.status) : false);

  if (load.state === "loading") return <p className="muted page-pad">Loading task…</p>;
  if (load.state === "missing")
    return (
      <div className="page-pad">
        <h1>Task not found</h1>
        <p>
          There is no task with id <code>{id}</code>. <Link href="/">Back to all tasks</Link>
        </p>
      </div>
    );
  if (load.state === "error" || !task)
    return (
      <p className="form-error page-pad" role="alert">
        Could not load the task: {load.state === "error" ? load.message : "unknown error"}
      </p>
    );

  const view = viewRef.current;
  const restByN = new Map(iterations.map((it) => [it.n, it]));
  const ns = [...new Set([...view.iterations.map((it) => it.n), ...iterations.map((it) => it.n)])].sort(
    (a, b) => a - b,
  );
  const latest = ns[ns.length - 1];

  return (
    <div className="task-page">
      <TaskHeader task={task} view={view} now={now} onTask={setTask} streamState={stream} />
      <TaskOverview findings={view.findings ?? findings} changes={view.changes} />
      <div className="task-body">
        <main className="iterations" aria-label="Iterations">
          {ns.length === 0 && (
            <p className="muted card">
              {task.status === "queued"
                ? "Waiting in the queue: it starts when the tasks before it finish."
                : "No iterations yet."}
            </p>
          )}
          {ns.map((n) => (
            <IterationSection
              key={n}
              n={n}
              maxIterations={task.maxIterations}
              live={view.iterations.find((it) => it.n === n) ?? null}
              stored={restByN.get(n) ?? null}
              isLatest={n === latest}
              version={view.version}
            />
          ))}
        </main>
        <ArtifactsPanel taskId={task.id} refreshKey={artifactsTick} />
      </div>
    </div>
  );
}

function TaskHeader({
  task,
  view,
  now,
  onTask,
  streamState,
}: {
  task: Task;
  view: TaskView;
  now: number;
  onTask: (t: Task) => void;
  streamState: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const elapsed = elapsedMs(task, now);
  const terminal = isTerminalStatus(task.status);

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () =>
    act(async () => {
      onTask((await api.cancelTask(task.id)).task);
    });
  const remove = () => {
    const ok = window.confirm(
      `Delete "${task.title}"? Its log, iterations and artifact files (${task.id}) are removed for good.`,
    );
    if (!ok) return;
    return act(async () => {
      await api.deleteTask(task.id);
      navigate("/");
    });
  };
  const retry = () =>
    act(async () => {
      const r = await api.retryTask(task.id);
      navigate(`/tasks/${encodeURIComponent(r.task.id)}`);
    });
  const resume = (extraIterations?: number) =>
    act(async () => {
      onTask((await api.resumeTask(task.id, extraIterations)).task);
    });

  return (
    <header className="task-header card">
      <div className="task-header-top">
        <div className="crumbs">
          <Link href="/">All tasks</Link>
          <span aria-hidden="true"> / </span>
        </div>
        <h1>{task.title}</h1>
        <StatusBadge status={task.status} />
        <span className="spacer" />
        {canCancel(task.status) && (
          <button type="button" className="danger" onClick={cancel} disabled={busy || view.cancelRequested}>
            {view.cancelRequested ? "Cancelling…" : "Cancel"}
          </button>
        )}
        <ResumeControl task={task} waitingForLimit={view.paused !== null} busy={busy} onResume={resume} />
        {terminal && (
          <button
            type="button"
            onClick={retry}
            disabled={busy}
            title="Start over as a new task, from iteration 1"
          >
            Retry
          </button>
        )}
        {terminal && (
          <button type="button" className="danger" onClick={remove} disabled={busy}>
            Delete
          </button>
        )}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {task.statusReason && <p className={`reason reason-${task.status}`}>{task.statusReason}</p>}
      {view.paused && task.status === "paused" && (
        <p className="muted">
          Paused for {view.paused.agent}; resumes around {new Date(view.paused.resumeAt).toLocaleTimeString()}
          .
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Iteration</dt>
          <dd>
            <progress
              max={task.maxIterations}
              value={task.currentIteration}
              aria-label={`Iteration ${task.currentIteration} of ${task.maxIterations}`}
            />{" "}
            {formatIterations(task)}
          </dd>
        </div>
        <div>
          <dt>Run time</dt>
          <dd>{elapsed === null ? "not started" : formatDuration(elapsed)}</dd>
        </div>
        <div>
          <dt>Claude</dt>
          <dd title={claudeDetail(task.usage.claude)}>{formatClaudeUsage(task.usage.claude)}</dd>
        </div>
        <div>
          <dt>Codex</dt>
          <dd title={codexDetail(task.usage.codex)}>{formatCodexUsage(task.usage.codex)}</dd>
        </div>
        {formatBudget(task) && (
          <div>
            <dt>Budget</dt>
            <dd>{formatBudget(task)}</dd>
          </div>
        )}
        <div className="wide">
          <dt>Working directory</dt>
          <dd>
            <code>{task.workingDir}</code>
          </dd>
        </div>
        <WorktreeInfo task={task} />
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={task.createdAt}>{new Date(task.createdAt).toLocaleString()}</time>
          </dd>
        </div>
        {task.retryOf && (
          <div>
            <dt>Retry of</dt>
            <dd>
              <Link href={`/tasks/${encodeURIComponent(task.retryOf)}`}>{task.retryOf}</Link>
            </dd>
          </div>
        )}
        <div>
          <dt>Live</dt>
          <dd>{streamState === "open" ? "connected" : streamState}</dd>
        </div>
      </dl>
      <details className="prompt">
        <summary>Prompt</summary>
        <pre>{task.prompt}</pre>
      </details>
      {view.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {view.warnings.map((w) => (
            <li key={w.id}>
              {w.iteration !== null && <strong>Iteration {w.iteration}: </strong>}
              {w.message}
            </li>
          ))}
        </ul>
      )}
    </header>
  );
}
