import type { LoopEvent, Task } from "@loop/shared";
import { patchTask } from "../task/model.ts";

export interface ListState {
  tasks: Task[];
  nextCursor: string | null;
  loaded: boolean;
}

export const emptyList: ListState = { tasks: [], nextCursor: null, loaded: false };

const newestFirst = (a: Task, b: Task) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Adds a page (or single tasks) to the list: newest first, each id once, fresher copies win. */
export function mergeTasks(
  state: ListState,
  incoming: readonly Task[],
  nextCursor?: string | null,
): ListState {
  const byId = new Map(state.tasks.map((t) => [t.id, t]));
  for (const t of incoming) byId.set(t.id, t);
  return {
    tasks: [...byId.values()].sort(newestFirst),
    nextCursor: nextCursor === undefined ? state.nextCursor : nextCursor,
    loaded: true,
  };
}

/** Adds tasks the list does not hold yet; a copy already there is kept (live events keep it fresh). */
export function addTasks(state: ListState, incoming: readonly Task[]): ListState {
  const have = new Set(state.tasks.map((t) => t.id));
  const fresh = incoming.filter((t) => !have.has(t.id));
  return fresh.length ? { ...state, tasks: [...state.tasks, ...fresh].sort(newestFirst) } : state;
}

/** Applies live events to the listed tasks (events of tasks not listed are ignored). */
export function applyListEvents(state: ListState, events: readonly LoopEvent[]): ListState {
  const index = new Map(state.tasks.map((t, i) => [t.id, i]));
  let tasks = state.tasks;
  for (const e of events) {
    const i = index.get(e.taskId);
    if (i === undefined) continue;
    const patched = patchTask(tasks[i]!, e);
    if (patched !== tasks[i]) {
      if (tasks === state.tasks) tasks = tasks.slice();
      tasks[i] = patched;
    }
  }
  return tasks === state.tasks ? state : { ...state, tasks };
}
