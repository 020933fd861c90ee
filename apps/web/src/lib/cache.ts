import {
  Iteration,
  type LoopEvent,
  Task,
  type TaskChange,
  type TaskDetailResponse,
  type TaskListResponse,
  type TaskStatus,
} from "@loop/shared";
import { type InfiniteData, QueryClient } from "@tanstack/react-query";
import { applyTaskToPages, type ListFilter } from "../features/tasks/listModel.ts";
import { ApiError, api } from "./api.ts";
import { streamCoverage, subscribeEvents } from "./events.ts";

/**
 * The one cache of REST reads (TanStack Query). Nothing goes stale by time: the shared event
 * stream keeps every cached snapshot current by applying the rows the server sends
 * (task.updated, iteration.updated, findings.updated), so no view refetches "just in case".
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: Number.POSITIVE_INFINITY,
      refetchOnWindowFocus: false,
      retry: (n, err) => !(err instanceof ApiError && err.status < 500 && err.status > 0) && n < 2,
    },
  },
});

export const keys = {
  tasks: (filter: ListFilter) => ["tasks", filter] as const,
  task: (id: string) => ["task", id] as const,
  queue: ["queue"] as const,
  health: ["health"] as const,
  usage: ["usage"] as const,
};

/** GET /api/queue as one cached query: the queue panel, the running tasks, the form's "Run after". */
export const queueQuery = { queryKey: keys.queue, queryFn: () => api.queue.get() };

const ROW_TYPES: ReadonlySet<LoopEvent["type"]> = new Set([
  "task.updated",
  "iteration.updated",
  "findings.updated",
]);
/** Row events kept to bring a snapshot that was in flight up to date. */
const RECENT_MAX = 2_000;
let recent: LoopEvent[] = [];
/** The highest id pushed out of `recent`: a snapshot older than it cannot be brought up to date. */
let droppedUpTo = 0;

/** The row events after `asOf` this tab has seen, or null when some may be missing. */
export function rowsAfter(asOf: number): LoopEvent[] | null {
  const { joined } = streamCoverage.get();
  if ((joined !== null && asOf < joined) || droppedUpTo > asOf) return null;
  return recent.filter((e) => e.id > asOf);
}

/** Applies one row event to a task page's snapshot (the server's state, as it sends it). */
export function applyToDetail(d: TaskDetailResponse, e: LoopEvent): TaskDetailResponse {
  if (e.taskId !== d.task.id || e.id <= d.lastEventId) return d;
  switch (e.type) {
    // Row events carry what changed (a new row: all of it): merged into the row held.
    case "task.updated":
      return { ...d, task: { ...d.task, ...e.data.task }, lastEventId: e.id };
    case "iteration.updated": {
      const change = e.data.iteration;
      const held = d.iterations.find((x) => x.n === change.n);
      const it = held ? { ...held, ...change } : Iteration.safeParse(change).data;
      if (!it) return { ...d, lastEventId: e.id };
      const iterations = d.iterations.filter((x) => x.n !== it.n);
      iterations.push(it);
      iterations.sort((a, b) => a.n - b.n);
      return { ...d, iterations, lastEventId: e.id };
    }
    case "findings.updated":
      return { ...d, findings: e.data.findings, lastEventId: e.id };
    case "note.added":
      if (d.notes.some((n) => n.id === e.data.note.id)) return { ...d, lastEventId: e.id };
      return { ...d, notes: [...d.notes, e.data.note], lastEventId: e.id };
    default:
      return d;
  }
}

/** GET /api/tasks/:id, brought up to the events this tab saw while the answer was on its way. */
export async function fetchDetail(id: string): Promise<TaskDetailResponse> {
  for (let attempt = 0; ; attempt++) {
    const d = await api.tasks.get(id);
    const after = rowsAfter(d.lastEventId);
    if (after) return after.reduce(applyToDetail, d);
    if (attempt >= 2) return d;
  }
}

/** One page of GET /api/tasks, brought up to date the same way. */
export async function fetchListPage(filter: ListFilter, cursor: string | null): Promise<TaskListResponse> {
  for (let attempt = 0; ; attempt++) {
    const page = await api.tasks.list({
      limit: 25,
      ...(cursor && { cursor }),
      ...(filter.status && { status: filter.status }),
      ...(filter.q && { q: filter.q }),
    });
    const after = rowsAfter(page.lastEventId);
    if (after) {
      let pages = [page];
      for (const e of after) {
        if (e.type !== "task.updated") continue;
        const row = wholeRow(
          e.data.task,
          pages[0]!.tasks.find((t) => t.id === e.taskId),
        );
        if (row) pages = applyTaskToPages(pages, filter, row, e.id, cursor === null);
      }
      return pages[0]!;
    }
    if (attempt >= 2) return page;
  }
}

/**
 * A task this tab deleted leaves the cache. No event says so (its events go with it), so other
 * tabs keep showing it until they reload or open it (404: "Task not found").
 */
export function forgetTask(id: string): void {
  queryClient.removeQueries({ queryKey: keys.task(id) });
  queryClient.setQueriesData<InfiniteData<TaskListResponse, string | null>>(
    { queryKey: ["tasks"] },
    (data) =>
      data
        ? { ...data, pages: data.pages.map((p) => ({ ...p, tasks: p.tasks.filter((t) => t.id !== id) })) }
        : data,
  );
  void queryClient.invalidateQueries({ queryKey: keys.queue });
  void queryClient.invalidateQueries({ queryKey: keys.health });
}

const lastStatus = new Map<string, TaskStatus>();

/** A task.updated change made a whole row: on its own (a new task) or over the row held. */
function wholeRow(change: TaskChange, held: Task | undefined): Task | undefined {
  return held ? { ...held, ...change } : Task.safeParse(change).data;
}

/** The newest whole row of a task this tab holds: its page's, else a list's. */
function heldTask(id: string): Task | undefined {
  const detail = queryClient.getQueryData<TaskDetailResponse>(keys.task(id));
  if (detail) return detail.task;
  for (const [, data] of queryClient.getQueriesData<InfiniteData<TaskListResponse>>({
    queryKey: ["tasks"],
  })) {
    const t = data?.pages.flatMap((p) => p.tasks).find((x) => x.id === id);
    if (t) return t;
  }
  return undefined;
}

function applyEvents(events: readonly LoopEvent[]): void {
  let queueChanged = false;
  // task.usage comes after each agent run, whose subscription windows (in GET /api/health) are stored by then.
  let windowsChanged = false;
  for (const e of events) {
    if (e.type === "task.usage") windowsChanged = true;
    if (!ROW_TYPES.has(e.type)) continue;
    recent.push(e);
    if (e.type === "task.updated") {
      const change = e.data.task;
      if (change.status !== undefined && lastStatus.get(change.id) !== change.status) {
        queueChanged = true;
        lastStatus.set(change.id, change.status);
      }
      const task = wholeRow(change, heldTask(change.id));
      for (const q of queryClient.getQueryCache().findAll({ queryKey: ["tasks"] })) {
        const filter = q.queryKey[1] as ListFilter;
        // A task this tab holds no row of may now belong in a list: that list is read again.
        if (!task) void queryClient.invalidateQueries({ queryKey: q.queryKey, exact: true });
        else
          queryClient.setQueryData<InfiniteData<TaskListResponse, string | null>>(q.queryKey, (data) =>
            data ? { ...data, pages: applyTaskToPages(data.pages, filter, task, e.id, true) } : data,
          );
      }
    }
    queryClient.setQueryData<TaskDetailResponse>(keys.task(e.taskId), (d) => (d ? applyToDetail(d, e) : d));
  }
  if (recent.length > RECENT_MAX) {
    const cut = recent.length - RECENT_MAX;
    droppedUpTo = recent[cut - 1]!.id;
    recent = recent.slice(cut);
  }
  // The queue's order and the counts in the top bar are not in any row event: read them again.
  if (queueChanged) {
    void queryClient.invalidateQueries({ queryKey: keys.queue });
    void queryClient.invalidateQueries({ queryKey: keys.health });
  } else if (windowsChanged) void queryClient.invalidateQueries({ queryKey: keys.health });
  // Each agent run's usage arrives as task.usage: the spend summary reads its sums again.
  if (windowsChanged) void queryClient.invalidateQueries({ queryKey: keys.usage });
}

let started = false;

/** Keeps the cache current from the shared stream (once per tab). */
export function startCache(): void {
  if (started) return;
  started = true;
  subscribeEvents((events) => applyEvents(events));
  // Snapshots answered before this tab knew where it joined the stream may miss a change: read them again.
  const off = streamCoverage.subscribe(() => {
    const { joined } = streamCoverage.get();
    if (joined === null) return;
    off();
    const stale = (asOf: number | undefined) => asOf !== undefined && asOf < joined;
    void queryClient.invalidateQueries({
      predicate: (q) => {
        const data = q.state.data as
          | TaskDetailResponse
          | InfiniteData<TaskListResponse>
          | { lastEventId?: number }
          | undefined;
        if (!data) return false;
        if ("pages" in data) return data.pages.some((p) => stale(p.lastEventId));
        return stale(data.lastEventId);
      },
    });
  });
}
