import type { Task } from "@loop/shared";
import { canCancel, isActive, isTerminal } from "@loop/shared/statuses";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, navigate } from "../../app/router.tsx";
import { ApiError, api } from "../../lib/api.ts";
import { fetchDetail, forgetTask, keys } from "../../lib/cache.ts";
import { useNow } from "../../lib/clock.ts";
import { globalStreamState } from "../../lib/events.ts";
import {
  AGENT_LABEL,
  claudeDetail,
  codexDetail,
  elapsedMs,
  formatBudget,
  formatClaudeUsage,
  formatCodexUsage,
  formatDuration,
  formatIterations,
} from "../../lib/format.ts";
import { useStore } from "../../lib/store.ts";
import { ArtifactsPanel } from "../artifacts/ArtifactsPanel.tsx";
import { TaskOverview } from "../changes/TaskOverview.tsx";
import { BranchPanel } from "../landing/BranchPanel.tsx";
import { setViewing } from "../notifications/notifications.ts";
import { StatusBadge } from "../tasks/StatusBadge.tsx";
import { usePageFollow } from "./follow.ts";
import { IterationSection } from "./IterationSection.tsx";
import type { TaskView } from "./model.ts";
import { ResumeControl } from "./ResumeControl.tsx";
import { NoteBox, SteeringPanel } from "./SteeringPanel.tsx";
import { useTaskView } from "./useTaskView.ts";
import { WorktreeInfo } from "./WorktreeInfo.tsx";

export function TaskPage({ id }: { id: string }) {
  // The task's rows (task, iterations, findings) come from the cache, which the stream keeps current.
  const detail = useQuery({ queryKey: keys.task(id), queryFn: () => fetchDetail(id) });
  const [extra, setExtra] = useState<number | null>(null);
  const stream = useStore(globalStreamState);

  useEffect(() => {
    setViewing(id);
    return () => setViewing(null);
  }, [id]);

  const view = useTaskView(id);

  const task = detail.data?.task ?? null;
  const iterations = detail.data?.iterations ?? [];
  const findings = detail.data?.findings ?? [];
  const now = useNow(task ? isActive(task.status) : false);
  const iterationsRef = useRef<HTMLElement>(null);
  const follow = usePageFollow(task?.status === "running", iterationsRef);

  const missing = detail.error instanceof ApiError && detail.error.status === 404;
  if (detail.isPending) return <p className="muted page-pad">Loading task…</p>;
  if (missing)
    return (
      <div className="page-pad">
        <h1>Task not found</h1>
        <p>
          There is no task with id <code>{id}</code>. <Link href="/">Back to all tasks</Link>
        </p>
      </div>
    );
  if (!task)
    return (
      <p className="form-error page-pad" role="alert">
        Could not load the task: {(detail.error as Error | null)?.message ?? "unknown error"}
      </p>
    );

  const restByN = new Map(iterations.map((it) => [it.n, it]));
  const ns = [...new Set([...view.iterations.map((it) => it.n), ...iterations.map((it) => it.n)])].sort(
    (a, b) => a - b,
  );
  const latest = ns[ns.length - 1];
  const steering = waitsForUser(task, view);
  const retry = () =>
    api.tasks.retry(task.id).then((r) => navigate(`/tasks/${encodeURIComponent(r.task.id)}`));

  return (
    <div className="task-page">
      <TaskHeader task={task} view={view} now={now} streamState={stream} steering={steering} />
      {steering && (
        <SteeringPanel
          task={task}
          findings={view.findings ?? findings}
          iterations={iterations}
          onRetry={retry}
          extra={extra}
          setExtra={setExtra}
        />
      )}
      <TaskOverview findings={view.findings ?? findings} changes={view.changes} />
      <BranchPanel task={task} />
      <div className="task-body">
        <main className="iterations" aria-label="Iterations" ref={iterationsRef}>
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
              taskId={id}
              n={n}
              maxIterations={task.maxIterations}
              live={view.iterations.find((it) => it.n === n) ?? null}
              stored={restByN.get(n) ?? null}
              isLatest={n === latest}
              version={view.version}
              worker={task.worker}
              reviewer={task.reviewer}
              taskStatus={task.status}
              findings={view.findings ?? findings}
            />
          ))}
          {(task.status === "running" || task.status === "queued") && <NoteBox taskId={task.id} />}
        </main>
        <ArtifactsPanel taskId={task.id} refreshKey={detail.data?.lastEventId ?? 0} />
      </div>
      {task.status === "running" && !follow.following && (
        <button type="button" className="jump-live" onClick={follow.jump}>
          ↓ Jump to live
        </button>
      )}
    </div>
  );
}

/** A task that waits for the user: needs_attention, failed, or paused with nothing running it. */
const waitsForUser = (task: Task, view: TaskView) =>
  task.status === "needs_attention" ||
  task.status === "failed" ||
  (task.status === "paused" && view.paused === null);
/** What Delete does to a worktree task's branch, for its confirmation. */
function branchFate(task: Task): string {
  if (!task.worktree || task.landed?.mode === "discard") return "";
  return ` Its worktree is removed; the branch ${task.worktree.branch} stays in your repository (use Discard in the Branch panel to delete it too).`;
}

function TaskHeader({
  task,
  view,
  now,
  streamState,
  steering,
}: {
  task: Task;
  view: TaskView;
  now: number;
  streamState: string;
  /** The steering panel shows Resume and Retry. */
  steering: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const elapsed = elapsedMs(task, now);
  // Retry and Delete take a finished task, and a paused one that nothing runs (a stop, a crash, a fault).
  const stopped = isTerminal(task.status) || (task.status === "paused" && view.interrupted !== null);

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
  // The new state arrives as task.updated on the stream, like every other change.
  const cancel = () =>
    act(async () => {
      await api.tasks.cancel(task.id);
    });
  const remove = () => {
    const ok = window.confirm(
      `Delete "${task.title}"? Its log, iterations and artifact files (${task.id}) are removed for good.${branchFate(task)}`,
    );
    if (!ok) return;
    return act(async () => {
      await api.tasks.delete(task.id);
      forgetTask(task.id);
      navigate("/");
    });
  };
  const retry = () =>
    act(async () => {
      const r = await api.tasks.retry(task.id);
      navigate(`/tasks/${encodeURIComponent(r.task.id)}`);
    });
  const resume = (extraIterations?: number) =>
    act(async () => {
      await api.tasks.resume(task.id, extraIterations ? { extraIterations } : {});
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
        {!steering && (
          <ResumeControl task={task} waitingForLimit={view.paused !== null} busy={busy} onResume={resume} />
        )}
        {stopped && !steering && (
          <button
            type="button"
            onClick={retry}
            disabled={busy}
            title="Start over as a new task, from iteration 1"
          >
            Retry
          </button>
        )}
        {stopped && (
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
            {isTerminal(task.status) ? (
              // Ended: how many it took, never a bar stuck at 3/10 that reads as unfinished.
              <span className="iterations-ended">
                {task.currentIteration} {task.currentIteration === 1 ? "iteration" : "iterations"}{" "}
                <span className="muted">(cap {task.maxIterations})</span>
              </span>
            ) : (
              <>
                <progress
                  max={task.maxIterations}
                  value={task.currentIteration}
                  aria-label={`Iteration ${task.currentIteration} of ${task.maxIterations}`}
                />{" "}
                {formatIterations(task)}
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Roles</dt>
          <dd className="roles">
            {AGENT_LABEL[task.worker]} works · {AGENT_LABEL[task.reviewer]} reviews
          </dd>
        </div>
        {task.pauseAfterIteration && (
          <div>
            <dt>Step mode</dt>
            <dd>waits for you after each review</dd>
          </div>
        )}
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
