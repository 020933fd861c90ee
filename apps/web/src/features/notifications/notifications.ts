import type { LoopEvent, TaskStatus } from "@loop/shared";
import { isTerminal } from "@loop/shared/statuses";
import { navigate } from "../../app/router.tsx";
import { api } from "../../lib/api.ts";
import { isLeader, streamCoverage } from "../../lib/events.ts";
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

const openedAt = Date.now();

/** What an event means for the user, or null when it is none of their business (or history). */
export function attentionOf(
  e: LoopEvent,
  joined: number | null,
  since: number,
): { status: TaskStatus; reason: string } | null {
  let status: TaskStatus;
  if (e.type === "task.finished") status = e.data.status;
  else if (e.type === "task.paused" || e.type === "task.interrupted" || e.type === "task.waiting")
    status = "paused";
  else return null;
  // Ended, or paused (a usage limit, an interruption): both wait for the user.
  if (!isTerminal(status) && status !== "paused") return null;
  // Only what happened after this page opened: never the history a stream may replay.
  if (joined === null || e.id <= joined || Date.parse(e.ts) < since - 2_000) return null;
  return { status, reason: e.data.reason };
}

/** The highest event id any tab of this browser notified about (a new leader replays a few). */
const NOTIFIED_KEY = "loop:notified-up-to";
function claim(id: number): boolean {
  try {
    if (Number(localStorage.getItem(NOTIFIED_KEY) ?? 0) >= id) return false;
    localStorage.setItem(NOTIFIED_KEY, String(id));
  } catch {
    // No storage (private mode): the leader alone still notifies each event once.
  }
  return true;
}

const titles = new Map<string, string>();

/**
 * Endings and pauses from the shared stream. Every tab counts them in its title; only the tab
 * holding the stream shows a notification, once per event across the browser's tabs.
 */
export function onEvents(events: readonly LoopEvent[]): void {
  const { joined } = streamCoverage.get();
  for (const e of events) {
    if (e.type === "task.updated" && e.data.task.title !== undefined) titles.set(e.taskId, e.data.task.title);
    const news = attentionOf(e, joined, openedAt);
    if (!news) continue;
    const watched = viewing === e.taskId && document.visibilityState === "visible";
    if (watched) continue;
    if (e.type === "task.finished") unseen.set((s) => new Set(s).add(e.taskId));
    if (isLeader.get() && claim(e.id)) void notify(e.taskId, news.status, news.reason);
  }
}

export const notificationsSupported = (): boolean => typeof Notification !== "undefined";

async function notify(taskId: string, status: TaskStatus, reason: string): Promise<void> {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  let title = titles.get(taskId) ?? "A task";
  if (!titles.has(taskId)) {
    try {
      title = (await api.tasks.get(taskId)).task.title;
    } catch {
      // The notification still says what happened, just without the title.
    }
  }
  const n = new Notification(`${title}: ${STATUS_LABEL[status]}`, { body: reason, tag: `loop-${taskId}` });
  n.onclick = () => {
    window.focus();
    navigate(`/tasks/${encodeURIComponent(taskId)}`);
  };
}
