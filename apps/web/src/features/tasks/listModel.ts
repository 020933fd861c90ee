import type { Task, TaskListResponse, TaskStatus } from "@loop/shared";

/** What the list shows: GET /api/tasks's `status` and `q` (a title search). */
export interface ListFilter {
  status?: TaskStatus;
  q?: string;
}

/** The same test the server applies (q: contained in the title, ignoring case). */
export function matches(filter: ListFilter, task: Task): boolean {
  if (filter.status && task.status !== filter.status) return false;
  const q = filter.q?.trim().toLowerCase();
  return !q || task.title.toLowerCase().includes(q);
}

const newerFirst = (a: Task, b: Task) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Applies a task row from `task.updated` (event `eventId`) to the loaded pages of a list: it
 * replaces the listed copy, leaves a list it no longer matches, and joins one it now matches
 * where it belongs (ids sort by creation, newest first). A page read after the event
 * (`lastEventId >= eventId`) already holds this row or a newer one and is left alone. Pages not
 * loaded yet are the server's business: a row that belongs there is not inserted.
 */
export function applyTaskToPages(
  pages: readonly TaskListResponse[],
  filter: ListFilter,
  task: Task,
  eventId: number,
  mayInsert: boolean,
): TaskListResponse[] {
  const wanted = matches(filter, task);
  let found = false;
  const out = pages.map((p) => {
    const i = p.tasks.findIndex((t) => t.id === task.id);
    if (i < 0) return p;
    found = true;
    if (p.lastEventId >= eventId) return p;
    const tasks = p.tasks.slice();
    if (wanted) tasks[i] = task;
    else tasks.splice(i, 1);
    return { ...p, tasks };
  });
  if (found || !wanted || !mayInsert || out.length === 0) return out;
  const complete = out[out.length - 1]!.nextCursor === null;
  // The first page whose oldest task is older than this one; past the end only when all is loaded.
  let at = out.findIndex((p) => p.tasks.length === 0 || p.tasks[p.tasks.length - 1]!.id < task.id);
  if (at < 0 && complete) at = out.length - 1;
  if (at < 0 || out[at]!.lastEventId >= eventId) return out;
  const page = out[at]!;
  out[at] = { ...page, tasks: [...page.tasks, task].sort(newerFirst) };
  return out;
}
