import type { LoopEvent, TaskStatus } from "@loop/shared";
import { navigate } from "../../app/router.tsx";
import { api } from "../../lib/api.ts";
import { STATUS_LABEL } from "../../lib/format.ts";
import { createStore } from "../../lib/store.ts";

/** Tasks that ended (or need attention) since this page loaded and that the user has not opened. */
export const unseen = createStore<ReadonlySet<string>>(new Set());

/** The task page currently open, so its own ending is not counted as unseen while it is watched. */
let viewing: string | null = null;

export function setViewing(taskId: string | null): void {
  viewing = taskId;
  if (taskId) markSeen(taskId);
}

export function markSeen(taskId: string): void {
  unseen.set((s) => {
    if (!s.has(taskId)) return s;
    const next = new Set(s);
    next.delete(taskId);
    return next;
  });
}

const NOTIFY: ReadonlySet<TaskStatus> = new Set(["done", "needs_attention", "failed", "cancelled", "paused"]);

/** Endings and pauses from the live global stream: count them and, if allowed, notify. */
export function onGlobalEvents(events: readonly LoopEvent[]): void {
  for (const e of events) {
    let status: TaskStatus;
    if (e.type === "task.finished") status = e.data.status;
    else if (e.type === "task.paused" || e.type === "task.interrupted") status = "paused";
    else continue;
    if (!NOTIFY.has(status)) continue;
    const watched = viewing === e.taskId && document.visibilityState === "visible";
    if (watched) continue;
    if (e.type === "task.finished") unseen.set((s) => new Set(s).add(e.taskId));
    void notify(e.taskId, status, e.data.reason);
  }
}

export const notificationsSupported = (): boolean => typeof Notification !== "undefined";

async function notify(taskId: string, status: TaskStatus, reason: string): Promise<void> {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  let title = "A task";
  try {
    title = (await api.getTask(taskId)).task.title;
  } catch {
    // The notification still says what happened, just without the title.
  }
  const n = new Notification(`${title}: ${STATUS_LABEL[status]}`, { body: reason, tag: `loop-${taskId}` });
  n.onclick = () => {
    window.focus();
    navigate(`/tasks/${encodeURIComponent(taskId)}`);
  };
}
