import { isTerminal, type TaskStatus } from "@loop/shared";
import { connectEvents } from "@loop/shared/event-client";
import type { Api } from "./client.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { LivePrinter, type Terminal } from "./live.ts";
import { eventLine } from "./render.ts";

export interface TailOptions {
  out: (line: string) => void;
  /** Connection notes (lost, back) go here, apart from the task's own lines. */
  note: (line: string) => void;
  /** First reconnect delay (tests shorten it). */
  retryMs?: number;
  /** Set when stdout is a terminal: the growing line is drawn in place there (live.ts). */
  terminal?: Terminal | undefined;
}

/**
 * Follows a task's event stream until it ends and resolves with its final status. A dropped
 * stream is resumed with Last-Event-ID (the shared event client), so every event prints once.
 * A task.finished ends the tail only if it is the task's last: a task resumed since then finished
 * an earlier run, and its replayed events go on.
 */
export function tail(api: Api, id: string, opts: TailOptions): Promise<TaskStatus> {
  const { note } = opts;
  const live = new LivePrinter(opts.out, opts.terminal);
  return new Promise<TaskStatus>((resolve, reject) => {
    let lost = false;
    let checking = Promise.resolve();
    const client = connectEvents({
      url: `${api.server.url}/api/tasks/${encodeURIComponent(id)}/events`,
      headers: { authorization: `Bearer ${api.server.token}` },
      retryMs: opts.retryMs ?? 500,
      maxRetryMs: 5_000,
      onBatch(events) {
        for (const e of events) {
          if (e.type === "agent.output" || e.type === "agent.finished") live.settle(e.data.agent);
          const line = eventLine(e);
          if (line !== undefined) live.line(line);
          if (e.type === "task.finished") {
            const finished = e;
            checking = checking.then(async () => {
              const final = await lastEnd(api, id, finished.ts).catch(() => finished.data.status);
              if (final) {
                client.close();
                resolve(final);
              }
            });
          }
        }
      },
      // Asking for them makes the client open the stream with ?partial=1.
      onPartial(messages) {
        for (const m of messages) if (m.taskId === id) live.partial(m);
      },
      onState(state, detail) {
        if (state === "reconnecting" && !lost) {
          lost = true;
          note(`connection to ${api.server.url} lost (${detail.error ?? "closed"}); reconnecting…`);
        } else if (state === "open" && lost) {
          lost = false;
          note("reconnected");
        } else if (state === "closed" && detail.status !== undefined) {
          const code = detail.status === 401 || detail.status === 403 ? EXIT.unreachable : EXIT.error;
          reject(new CliError(code, detail.error ?? `the event stream answered HTTP ${detail.status}`));
        }
      },
    });
  });
}

/** The task's final status if the run that ended at `ts` is its latest, else undefined. */
async function lastEnd(api: Api, id: string, ts: string): Promise<TaskStatus | undefined> {
  const { task } = await api.tasks.get(id);
  if (!isTerminal(task.status) || task.finishedAt === null) return undefined;
  // finishedAt is written just before the event, so the latest run's event is never older.
  return ts >= task.finishedAt ? task.status : undefined;
}
