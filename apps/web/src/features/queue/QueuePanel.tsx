import type { LoopEvent } from "@loop/shared";
import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "../../app/router.tsx";
import { api, type QueueState } from "../../lib/api.ts";
import { subscribeGlobalEvents } from "../../lib/events.ts";

/** Events after which the queue's order or membership may have changed. */
const QUEUE_EVENTS: ReadonlySet<LoopEvent["type"]> = new Set([
  "task.created",
  "task.started",
  "task.finished",
  "task.requeued",
  "task.interrupted",
]);

const HELD_REFRESH_MS = 3000;

/**
 * The queue as the server has it: what runs next, in order, with move / remove controls, and a
 * pause for the whole queue (the running task finishes; nothing new starts; it survives restarts).
 */
export function QueuePanel() {
  const [queue, setQueue] = useState<QueueState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const refresh = useCallback(() => {
    api.queue().then(
      (q) => {
        setQueue(q);
        setError(null);
      },
      (err: Error) => setError(err.message),
    );
  }, []);

  useEffect(() => {
    refresh();
    const off = subscribeGlobalEvents((events) => {
      if (!events.some((e) => QUEUE_EVENTS.has(e.type))) return;
      // One fetch per burst of events.
      clearTimeout(timer.current);
      timer.current = setTimeout(refresh, 150);
    });
    return () => {
      off();
      clearTimeout(timer.current);
    };
  }, [refresh]);

  const act = async (fn: () => Promise<QueueState | unknown>) => {
    setBusy(true);
    try {
      const r = await fn();
      if (r && typeof r === "object" && "tasks" in r) setQueue(r as QueueState);
      else refresh();
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  // A held queue goes on by itself once the CLI is back; nothing is announced: look again now and then.
  const held = Boolean(queue?.waiting);
  useEffect(() => {
    if (!held) return;
    const t = setInterval(refresh, HELD_REFRESH_MS);
    return () => clearInterval(t);
  }, [held, refresh]);

  if (!queue) return error ? <p className="form-error">Could not load the queue: {error}</p> : null;
  const { paused, tasks, waiting } = queue;
  if (tasks.length === 0 && !paused) return null;
  return (
    <section className="card queue-panel" aria-labelledby="queue-heading">
      <div className="queue-head">
        <h2 id="queue-heading">Queue{paused ? " (paused)" : ""}</h2>
        <span className="spacer" />
        <button type="button" onClick={() => act(() => api.setQueuePaused(!paused))} disabled={busy}>
          {paused ? "Resume queue" : "Pause queue"}
        </button>
      </div>
      {paused && (
        <p className="muted">
          Paused: {queue.running ? "the running task finishes; " : ""}nothing new starts until you resume the
          queue.
        </p>
      )}
      {waiting && !paused && (
        <p className="queue-waiting" role="status">
          The queue is {waiting}: nothing starts until the CLI works again (checked every few seconds).
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {tasks.length > 0 ? (
        <ol className="queue-list" aria-label="Queued tasks, next first">
          {tasks.map((t, i) => (
            <li key={t.id}>
              <Link href={`/tasks/${encodeURIComponent(t.id)}`}>{t.title}</Link>
              <span className="spacer" />
              <button
                type="button"
                className="subtle"
                aria-label={`Move ${t.title} to the top`}
                disabled={busy || i === 0}
                onClick={() => act(() => api.moveTask(t.id, "top"))}
              >
                Top
              </button>
              <button
                type="button"
                className="subtle"
                aria-label={`Move ${t.title} up`}
                disabled={busy || i === 0}
                onClick={() => act(() => api.moveTask(t.id, "up"))}
              >
                ↑
              </button>
              <button
                type="button"
                className="subtle"
                aria-label={`Move ${t.title} down`}
                disabled={busy || i === tasks.length - 1}
                onClick={() => act(() => api.moveTask(t.id, "down"))}
              >
                ↓
              </button>
              <button
                type="button"
                className="subtle danger"
                aria-label={`Remove ${t.title} from the queue`}
                disabled={busy}
                onClick={() => act(() => api.deleteTask(t.id))}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">Nothing is waiting.</p>
      )}
    </section>
  );
}
