import { classifyStorageError, type Repositories } from "@loop/db";
import type { EventBus } from "./events.ts";
import type { Logger } from "./loop/run-context.ts";

/**
 * Before the next task starts: waits (with backoff) until pending events are stored and a test
 * write succeeds, so storage that failed the last run works again. False once `accepting` is not.
 */
export async function storageReady(
  repos: Repositories,
  bus: EventBus,
  log: Logger,
  accepting: () => boolean,
): Promise<boolean> {
  let wait = 100;
  for (;;) {
    if (!accepting()) return false;
    const drained = bus.pending === 0 || (await bus.drain(1000));
    if (drained) {
      try {
        repos.state.set("worker.heartbeat", new Date().toISOString());
        return true;
      } catch (err) {
        if (!classifyStorageError(err, repos.handle.path)) throw err;
      }
    }
    log.warn({ fault: bus.fault?.message }, "storage not writable yet; the queue waits");
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 5000);
  }
}
