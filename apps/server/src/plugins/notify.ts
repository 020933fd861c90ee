import type { LoopEvent, Task, TaskStatus } from "@loop/shared";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** The JSON body POSTed to LOOP_NOTIFY_URL (contract.md "Notifications"). */
export interface Notification {
  /** One readable line: a Slack-style webhook shows it as the message. */
  text: string;
  task: { id: string; title: string; status: TaskStatus; statusReason: string | null };
  /** Opens the task in the dashboard (without the token: the browser keeps its cookie). */
  url: string;
}

const WORDS: Partial<Record<TaskStatus, string>> = {
  done: "is done",
  needs_attention: "needs your attention",
  failed: "failed",
  cancelled: "was cancelled",
  paused: "is paused",
};

/** The notification for a task's end or pause, or undefined for every other event. */
export function notificationFor(
  e: LoopEvent,
  task: Task | undefined,
  baseUrl: string,
): Notification | undefined {
  let status: TaskStatus;
  let reason: string;
  switch (e.type) {
    case "task.finished":
      status = e.data.status;
      reason = e.data.reason;
      break;
    case "task.paused":
      status = "paused";
      reason = `${e.data.reason} (resumes by itself at ${e.data.resumeAt})`;
      break;
    case "task.interrupted":
    case "task.waiting":
      status = "paused";
      reason = e.data.reason;
      break;
    default:
      return undefined;
  }
  const title = task?.title ?? e.taskId;
  return {
    text: `loop: "${title}" ${WORDS[status] ?? status} — ${reason}`,
    task: { id: e.taskId, title, status, statusReason: reason },
    url: `${baseUrl}/tasks/${encodeURIComponent(e.taskId)}`,
  };
}

export interface NotifyOptions {
  url: string;
  timeoutMs: number;
  /** Wait before the one retry (tests shorten it). */
  retryDelayMs?: number;
}

/** One POST; throws with a readable reason on a network error, a timeout or a non-2xx answer. */
async function post(url: string, body: Notification, timeoutMs: number, stop: AbortSignal): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
    });
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError") throw new Error(`no answer within ${timeoutMs} ms`);
    if (e.name === "AbortError") throw new Error("the server stopped before it answered");
    throw new Error((e.cause as Error | undefined)?.message ?? e.message);
  }
  // Drain the body so the connection is released.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

/** The receiver's URL for logs: no query string (an ntfy or Slack token may sit there or in the path). */
const shown = (url: string) => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
};

/**
 * LOOP_NOTIFY_URL: when a task ends or pauses, POSTs a Notification there. Off the worker's path
 * (the bus listener only starts a promise), with a timeout, one retry, and a warning on failure —
 * in the log and as the task's `task.warning` event — never a failed task. On close, waits for the
 * POSTs under way (each bounded by its timeouts).
 */
export const notifyPlugin = fp<NotifyOptions>(
  async (app: FastifyInstance, opts) => {
    const retryDelayMs = opts.retryDelayMs ?? 1000;
    const inFlight = new Set<Promise<void>>();
    const stop = new AbortController();
    let closing = false;
    const baseUrl = () => {
      const a = app.server.address();
      const port = a && typeof a === "object" ? a.port : app.config.port;
      return `http://127.0.0.1:${port}`;
    };

    const deliver = async (e: LoopEvent, n: Notification) => {
      const errors: string[] = [];
      for (;;) {
        try {
          await post(opts.url, n, opts.timeoutMs, stop.signal);
          app.log.debug({ taskId: e.taskId, attempts: errors.length + 1 }, "notification sent");
          return;
        } catch (err) {
          errors.push((err as Error).message);
        }
        if (errors.length === 2 || closing) break;
        await new Promise((r) => setTimeout(r, retryDelayMs));
      }
      const tries = errors.length === 2 ? "failed twice" : "failed";
      const message = `notification to ${shown(opts.url)} ${tries} (${errors.join("; then ")}); the task is not affected`;
      // plugins/logging.ts logs the event as a warning; once the database is closing, only a log line is left.
      if (closing) app.log.warn({ taskId: e.taskId, event: e.type }, message);
      else app.bus.emit({ taskId: e.taskId, iteration: null, type: "task.warning", data: { message } });
    };

    const unsubscribe = app.bus.subscribe((e) => {
      const kinds = ["task.finished", "task.paused", "task.interrupted", "task.waiting"];
      if (!kinds.includes(e.type)) return;
      const n = notificationFor(e, app.repos.tasks.get(e.taskId), baseUrl());
      if (!n) return;
      const p = deliver(e, n).finally(() => inFlight.delete(p));
      inFlight.add(p);
    });
    // A stop pauses the running task; the person stopping the server knows, so that pause is not sent.
    app.addHook("preClose", async () => {
      closing = true;
      unsubscribe();
    });
    // The POSTs under way get a moment (at most 3 s) to finish, then are cut: a stop must not wait on a receiver.
    app.addHook("onClose", async () => {
      const all = Promise.allSettled([...inFlight]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, Math.min(opts.timeoutMs, 3000))))]);
      clearTimeout(timer);
      stop.abort();
      await all;
    });
  },
  { name: "loop-notify", dependencies: ["services"] },
);
