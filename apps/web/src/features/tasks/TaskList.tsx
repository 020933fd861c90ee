import type { LoopEvent, Task } from "@loop/shared";
import { useCallback, useEffect, useReducer, useState } from "react";
import { Link } from "../../app/router.tsx";
import { api } from "../../lib/api.ts";
import { useNow } from "../../lib/clock.ts";
import { subscribeGlobalEvents } from "../../lib/events.ts";
import {
  elapsedMs,
  formatCost,
  formatDuration,
  formatIterations,
  formatRelative,
  formatTokens,
  isActiveStatus,
} from "../../lib/format.ts";
import { addTasks, applyListEvents, emptyList, type ListState, mergeTasks } from "./listModel.ts";
import { StatusBadge } from "./StatusBadge.tsx";

const PAGE = 25;

type Action =
  | { type: "merge"; tasks: Task[]; nextCursor?: string | null }
  | { type: "add"; tasks: Task[] }
  | { type: "events"; events: LoopEvent[] };

export function TaskList() {
  const [state, dispatch] = useReducer((s: ListState, a: Action): ListState => {
    if (a.type === "merge") return mergeTasks(s, a.tasks, a.nextCursor);
    if (a.type === "add") return addTasks(s, a.tasks);
    return applyListEvents(s, a.events);
  }, emptyList);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(
    () =>
      subscribeGlobalEvents((events) => {
        dispatch({ type: "events", events });
        // A task filed elsewhere (another tab, a script): fetch it; its state is as of the fetch.
        for (const e of events) {
          if (e.type !== "task.created") continue;
          api.getTask(e.taskId).then(
            ({ task }) => dispatch({ type: "add", tasks: [task] }),
            () => {},
          );
        }
      }),
    [],
  );

  useEffect(() => {
    let stop = false;
    api.listTasks({ limit: PAGE }).then(
      (page) => !stop && dispatch({ type: "merge", tasks: page.tasks, nextCursor: page.nextCursor }),
      (err: Error) => !stop && setError(err.message),
    );
    return () => {
      stop = true;
    };
  }, []);

  const loadMore = useCallback(async () => {
    if (!state.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await api.listTasks({ limit: PAGE, cursor: state.nextCursor });
      dispatch({ type: "merge", tasks: page.tasks, nextCursor: page.nextCursor });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setLoadingMore(false);
    }
  }, [state.nextCursor]);

  const now = useNow(state.tasks.some((t) => isActiveStatus(t.status)));

  return (
    <section className="card task-list" aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Tasks</h2>
      {error && (
        <p className="form-error" role="alert">
          Could not load tasks: {error}
        </p>
      )}
      {!state.loaded && !error && <p className="muted">Loading tasks…</p>}
      {state.loaded && state.tasks.length === 0 && (
        <div className="empty">
          <p>
            <strong>No tasks yet.</strong>
          </p>
          <p>
            Fill in the form with what Claude should do and the repository to work in, then press Start. Codex
            reviews each iteration; the loop stops when Codex says <code>STATUS: DONE</code> or the iteration
            cap is reached.
          </p>
        </div>
      )}
      {state.tasks.length > 0 && (
        <ul className="tasks" aria-label="Tasks, newest first">
          {state.tasks.map((t) => (
            <TaskRow key={t.id} task={t} now={now} />
          ))}
        </ul>
      )}
      {state.nextCursor && (
        <button type="button" className="load-more" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? "Loading…" : "Load older tasks"}
        </button>
      )}
    </section>
  );
}

function TaskRow({ task, now }: { task: Task; now: number }) {
  const elapsed = elapsedMs(task, now);
  return (
    <li className="task-row" data-status={task.status}>
      <div className="task-row-main">
        <Link href={`/tasks/${encodeURIComponent(task.id)}`} className="task-title">
          {task.title}
        </Link>
        <StatusBadge status={task.status} />
      </div>
      <div className="task-row-meta muted">
        <span title="Iteration">iteration {formatIterations(task)}</span>
        <span title="Run time">{elapsed === null ? "not started" : formatDuration(elapsed)}</span>
        <span title="Claude's cost (total_cost_usd)">Claude {formatCost(task.usage.claude.costUsd)}</span>
        <span title="Codex's tokens (input + output)">
          Codex {formatTokens(task.usage.codex.inputTokens + task.usage.codex.outputTokens)} tokens
        </span>
        <time dateTime={task.createdAt} title={new Date(task.createdAt).toLocaleString()}>
          {formatRelative(task.createdAt, now)}
        </time>
      </div>
      {task.statusReason && <div className="task-row-reason">{task.statusReason}</div>}
    </li>
  );
}
