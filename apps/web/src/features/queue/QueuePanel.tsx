import type { QueueResponse } from "@loop/shared";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "../../app/router.tsx";
import { api } from "../../lib/api.ts";
import { keys, queryClient, queueQuery } from "../../lib/cache.ts";

const HELD_REFRESH_MS = 3000;

/**
 * The queue as the server has it: what runs next, in order, with move / remove controls, and a
 * pause for the whole queue (the running task finishes; nothing new starts; it survives restarts).
 * The cache reads it again when a task's status changes (lib/cache.ts).
 */
export function QueuePanel() {
  // A held queue goes on by itself once the CLI is back; nothing is announced: look again now and then.
  const read = useQuery({
    ...queueQuery,
    refetchInterval: (q) => (q.state.data?.waiting ? HELD_REFRESH_MS : false),
  });
  const queue = read.data ?? null;
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const error = actionError ?? (read.error ? (read.error as Error).message : null);

  const act = async (fn: () => Promise<QueueResponse | unknown>) => {
    setBusy(true);
    try {
      const r = await fn();
      if (r && typeof r === "object" && "tasks" in r)
        queryClient.setQueryData(keys.queue, r as QueueResponse);
      else await queryClient.invalidateQueries({ queryKey: keys.queue });
      setActionError(null);
    } catch (err) {
      setActionError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (!queue) return error ? <p className="form-error">Could not load the queue: {error}</p> : null;
  // Always there, empty or not: pausing before filing a batch is how a person lines work up.
  const { paused, tasks, waiting, waits, runningTasks } = queue;
  return (
    <section className="card queue-panel" aria-labelledby="queue-heading">
      <div className="queue-head">
        <h2 id="queue-heading">Queue{paused ? " (paused)" : ""}</h2>
        <span className="spacer" />
        <button
          type="button"
          onClick={() => act(() => (paused ? api.queue.resume() : api.queue.pause()))}
          disabled={busy}
        >
          {paused ? "Resume queue" : "Pause queue"}
        </button>
      </div>
      {paused && (
        <p className="muted">
          Paused:{" "}
          {runningTasks.length > 1
            ? "the running tasks finish; "
            : queue.running
              ? "the running task finishes; "
              : ""}
          nothing new starts until you resume the queue.
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
              <span className="queue-item">
                <Link href={`/tasks/${encodeURIComponent(t.id)}`}>{t.title}</Link>
                {t.after && (
                  <span className="muted queue-wait">
                    after <Link href={`/tasks/${encodeURIComponent(t.after)}`}>{t.after}</Link>
                  </span>
                )}
                {waits[t.id] && !paused && <span className="muted queue-wait">{waits[t.id]}</span>}
              </span>
              <button
                type="button"
                className="subtle"
                aria-label={`Move ${t.title} to the top`}
                disabled={busy || i === 0}
                onClick={() => act(() => api.tasks.move(t.id, "top"))}
              >
                Top
              </button>
              <button
                type="button"
                className="subtle"
                aria-label={`Move ${t.title} up`}
                disabled={busy || i === 0}
                onClick={() => act(() => api.tasks.move(t.id, "up"))}
              >
                ↑
              </button>
              <button
                type="button"
                className="subtle"
                aria-label={`Move ${t.title} down`}
                disabled={busy || i === tasks.length - 1}
                onClick={() => act(() => api.tasks.move(t.id, "down"))}
              >
                ↓
              </button>
              <button
                type="button"
                className="subtle danger"
                aria-label={`Remove ${t.title} from the queue`}
                disabled={busy}
                // The list keeps its row, cancelled "Removed from the queue" (the task.updated before the delete).
                onClick={() => act(() => api.tasks.delete(t.id))}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">
          Nothing is waiting. Pause the queue first to line up several tasks before any starts.
        </p>
      )}
    </section>
  );
}
