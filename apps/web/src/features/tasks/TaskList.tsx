import type { Task, TaskStatus } from "@loop/shared";
import { isActive } from "@loop/shared/statuses";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useDeferredValue, useEffect, useState } from "react";
import { Link } from "../../app/router.tsx";
import { fetchListPage, keys } from "../../lib/cache.ts";
import { useNow } from "../../lib/clock.ts";
import {
  elapsedMs,
  formatCost,
  formatDuration,
  formatIterations,
  formatRelative,
  formatTokens,
  STATUS_LABEL,
} from "../../lib/format.ts";
import type { ListFilter } from "./listModel.ts";
import { StatusBadge } from "./StatusBadge.tsx";

const STATUSES = Object.keys(STATUS_LABEL) as TaskStatus[];

/** The list's search and status filter as the URL keeps them (`/?q=parser&status=failed`): shareable, kept on reload and Back. */
export function readListUrl(search: string): { q: string; status: TaskStatus | "" } {
  const p = new URLSearchParams(search);
  const status = p.get("status") ?? "";
  return {
    q: p.get("q") ?? "",
    status: (STATUSES as string[]).includes(status) ? (status as TaskStatus) : "",
  };
}

export function listUrl(path: string, q: string, status: TaskStatus | ""): string {
  const p = new URLSearchParams();
  if (q) p.set("q", q);
  if (status) p.set("status", status);
  const qs = p.toString();
  return `${path}${qs ? `?${qs}` : ""}`;
}

export function TaskList() {
  const [status, setStatus] = useState<TaskStatus | "">(() => readListUrl(location.search).status);
  const [search, setSearch] = useState(() => readListUrl(location.search).q);
  const q = useDeferredValue(search.trim());
  // Replaced, not pushed: typing a search is not a trail of pages for Back.
  useEffect(() => {
    const next = listUrl(location.pathname, q, status);
    if (next !== location.pathname + location.search) history.replaceState(history.state, "", next);
  }, [q, status]);
  const filter: ListFilter = { ...(status && { status }), ...(q && { q }) };
  const list = useInfiniteQuery({
    queryKey: keys.tasks(filter),
    queryFn: ({ pageParam }) => fetchListPage(filter, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // While a new filter loads, the old list stays (no flash of "Loading…").
    placeholderData: keepPreviousData,
  });
  const tasks = list.data?.pages.flatMap((p) => p.tasks) ?? [];
  const filtered = Boolean(status || q);
  const error = list.error ? (list.error as Error).message : null;
  const now = useNow(tasks.some((t) => isActive(t.status)));

  return (
    <section className="card task-list" aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Tasks</h2>
      <search className="task-filters" aria-label="Find tasks">
        <input
          type="search"
          aria-label="Search tasks"
          placeholder="Search titles"
          value={search}
          maxLength={200}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select
          aria-label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value as TaskStatus | "")}
        >
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </search>
      {error && (
        <p className="form-error" role="alert">
          Could not load tasks: {error}
        </p>
      )}
      {list.isPending && !error && <p className="muted">Loading tasks…</p>}
      {list.isSuccess && tasks.length === 0 && filtered && (
        <p className="muted">
          No tasks match{q ? ` “${q}”` : ""}
          {status ? ` with status ${STATUS_LABEL[status]}` : ""}.
        </p>
      )}
      {list.isSuccess && tasks.length === 0 && !filtered && (
        <div className="empty">
          <p>
            <strong>No tasks yet.</strong>
          </p>
          <p>
            Fill in the form with what the worker should do and the repository to work in, then press Start.
            The reviewer checks each iteration (Claude works and Codex reviews unless you choose otherwise);
            the loop stops when the reviewer says <code>STATUS: DONE</code> or the iteration cap is reached.
          </p>
        </div>
      )}
      {tasks.length > 0 && (
        <ul className="tasks" aria-label="Tasks, newest first">
          {tasks.map((t) => (
            <TaskRow key={t.id} task={t} now={now} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button
          type="button"
          className="load-more"
          onClick={() => void list.fetchNextPage()}
          disabled={list.isFetchingNextPage}
        >
          {list.isFetchingNextPage ? "Loading…" : "Load older tasks"}
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
      {task.retryOf && (
        <div className="task-row-origin muted">
          Retry of <Link href={`/tasks/${encodeURIComponent(task.retryOf)}`}>an earlier task</Link>
        </div>
      )}
    </li>
  );
}
