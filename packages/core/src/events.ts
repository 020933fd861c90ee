import { classifyStorageError, type Repositories, type StorageError } from "@loop/db";
import {
  type AgentName,
  type EphemeralEvent,
  type EventOf,
  Iteration,
  type IterationChange,
  type LoopEvent,
  type LoopEventType,
  MAX_LINE_BYTES,
  type NewEvent,
  type ParsedLine,
  type Task,
} from "@loop/shared";

export type EventListener = (event: LoopEvent) => void;
export type EventData<T extends LoopEventType> = EventOf<T>["data"];

/** Events held in memory while the database cannot take them; past this, new ones are dropped. */
const MAX_BACKLOG = 50_000;

/**
 * The one in-process publisher. Every event is stored in SQLite first and only then handed to
 * listeners: a listener never sees an event that a later replay from the database would not also
 * return, and an id is never handed out twice.
 *
 * When the database refuses a write (another process holds its lock, the disk is full, it became
 * read-only) events wait in order in a bounded backlog, retried in the background; the bus reports
 * the fault to its fault listeners (the running task pauses) and its recovery when the backlog is
 * stored again.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly faultListeners = new Set<(fault: StorageError) => void>();
  private readonly ephemeralListeners = new Set<(event: EphemeralEvent) => void>();
  private readonly repos: Repositories;
  private readonly where: string;
  private readonly busyTimeoutMs: number;
  private backlog: Array<{ event: NewEvent; at: Date }> = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 10;
  /** Set while stored events are behind: the bus is not healthy. */
  fault: StorageError | null = null;
  dropped = 0;
  /** Events lost per task while the backlog was full: said in a warning once storage works again. */
  private readonly droppedBy = new Map<string, number>();

  constructor(repos: Repositories, opts: { busyTimeoutMs?: number } = {}) {
    this.repos = repos;
    this.where = repos.handle.path;
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  }

  /**
   * task.updated: the task's id and the fields a write just changed (see taskChange), sent by the
   * writer right after the write, so the browser applies the server's state instead of re-deriving it.
   */
  taskUpdated(taskId: string, patch: Partial<Task>): void {
    this.send(taskId, null, "task.updated", { task: { ...patch, id: taskId } });
  }

  /** iteration.updated: n and the fields of `patch` the API shows; nothing when it changed none of them. */
  iterationUpdated(taskId: string, n: number, patch: object): void {
    const shown = iterationChange(n, patch);
    if (shown) this.send(taskId, n, "iteration.updated", { iteration: shown });
  }

  /** Stores and publishes one event; undefined when it had to wait in the backlog. */
  emit(event: NewEvent): LoopEvent | undefined {
    // Inside a caller's transaction the caller must see the failure (and roll back), and listeners
    // hear of the event only once it committed: a rollback gives its id to the next event.
    if (this.repos.handle.sqlite.inTransaction) {
      const stored = this.repos.events.append(event);
      this.repos.afterCommit(() => this.publish(stored));
      return stored;
    }
    if (this.backlog.length > 0) {
      this.enqueue(event);
      return undefined;
    }
    try {
      return this.publish(this.repos.events.append(event));
    } catch (err) {
      const fault = classifyStorageError(err, this.where);
      if (!fault) throw err;
      this.enqueue(event);
      if (fault.kind !== "busy") this.setFault(fault);
      this.scheduleRetry();
      return undefined;
    }
  }

  /** The typed form: `bus.send(taskId, n, "iteration.started", { n })`. */
  send<T extends LoopEventType>(
    taskId: string,
    iteration: number | null,
    type: T,
    data: EventData<T>,
  ): LoopEvent | undefined {
    return this.emit({ taskId, iteration, type, data } as NewEvent);
  }

  /** One agent output line, split into several events when it is longer than MAX_LINE_BYTES. */
  emitOutput(
    taskId: string,
    iteration: number | null,
    agent: AgentName,
    stream: "stdout" | "stderr",
    line: string,
    parsed?: ParsedLine,
  ): void {
    const pieces = splitUtf8(line, MAX_LINE_BYTES);
    if (pieces.length === 1) {
      this.send(taskId, iteration, "agent.output", { agent, stream, line, ...(parsed && { parsed }) });
      return;
    }
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      this.send(taskId, iteration, "agent.output", {
        agent,
        stream,
        line: piece,
        ...(i > 0 && { continuation: true }),
        final: last,
        ...(last && parsed && { parsed }),
      });
    });
  }

  /** One line loop's check printed (check.output), split like emitOutput's. */
  emitCheckOutput(taskId: string, iteration: number, stream: "stdout" | "stderr", line: string): void {
    const pieces = splitUtf8(line, MAX_LINE_BYTES);
    pieces.forEach((piece, i) => {
      const split = pieces.length > 1 && {
        ...(i > 0 && { continuation: true }),
        final: i === pieces.length - 1,
      };
      this.send(taskId, iteration, "check.output", { stream, line: piece, ...split });
    });
  }

  /** Live-only (EphemeralEvent): handed to ephemeral listeners now, never stored or replayed. */
  publishEphemeral(event: EphemeralEvent): void {
    for (const l of this.ephemeralListeners) {
      try {
        l(event);
      } catch {
        // Live-only: a listener that fails just misses it.
      }
    }
  }

  subscribeEphemeral(listener: (event: EphemeralEvent) => void): () => void {
    this.ephemeralListeners.add(listener);
    return () => this.ephemeralListeners.delete(listener);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once per fault (not per failed write); `fault` is null again once the backlog is stored. */
  onFault(listener: (fault: StorageError) => void): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  get pending(): number {
    return this.backlog.length;
  }

  /** Resolves once every waiting event is stored (or after timeoutMs, false). */
  async drain(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.backlog.length > 0 && Date.now() < deadline) {
      this.flush();
      if (this.backlog.length > 0) await new Promise((r) => setTimeout(r, 20));
    }
    return this.backlog.length === 0;
  }

  /** Stops retrying (the database is closing); what is still waiting is lost, and counted. */
  close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropped += this.backlog.length;
    this.backlog = [];
  }

  private publish(stored: LoopEvent): LoopEvent {
    for (const l of this.listeners) {
      try {
        l(stored);
      } catch {
        // A broken subscriber (e.g. a socket that just died) must not stop the run.
      }
    }
    return stored;
  }

  private enqueue(event: NewEvent): void {
    if (this.backlog.length >= MAX_BACKLOG) {
      this.dropped++;
      this.droppedBy.set(event.taskId, (this.droppedBy.get(event.taskId) ?? 0) + 1);
      return;
    }
    this.backlog.push({ event, at: new Date() });
  }

  private setFault(fault: StorageError): void {
    const first = this.fault === null;
    this.fault = fault;
    if (!first) return;
    for (const l of this.faultListeners) {
      try {
        l(fault);
      } catch {
        // A listener's failure must not stop the retries.
      }
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
      if (this.backlog.length > 0) this.scheduleRetry();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 500);
  }

  /** Stores the backlog in one transaction, then publishes it in order. */
  private flush(): void {
    if (this.backlog.length === 0) return;
    const batch = this.backlog;
    let stored: LoopEvent[];
    try {
      stored = this.repos.transaction(() => batch.map((b) => this.repos.events.append(b.event, b.at)));
    } catch (err) {
      const fault = classifyStorageError(err, this.where);
      if (!fault) throw err;
      const waited = Date.now() - batch[0]!.at.getTime();
      if (fault.kind !== "busy" || waited >= this.busyTimeoutMs) this.setFault(fault);
      return;
    }
    this.backlog = this.backlog.slice(batch.length);
    this.retryDelay = 10;
    for (const e of stored) this.publish(e);
    if (this.backlog.length > 0) return;
    this.fault = null;
    for (const [taskId, n] of this.droppedBy) {
      this.send(taskId, null, "task.warning", {
        message: `${n} events (mostly agent output lines) were lost: the database refused writes for longer than loop could hold them in memory`,
      });
    }
    this.droppedBy.clear();
  }
}

const ITERATION_FIELDS = new Set(Object.keys(Iteration.shape));

/** n and the fields of an iteration write the API shows (not its texts or snapshots), or null. */
export function iterationChange(n: number, patch: object): IterationChange | null {
  const shown = Object.entries(patch).filter(([k, v]) => ITERATION_FIELDS.has(k) && v !== undefined);
  return shown.length === 0 ? null : ({ ...Object.fromEntries(shown), n } as IterationChange);
}

/** Splits s into pieces of at most maxBytes UTF-8 bytes, never inside a code point. */
export function splitUtf8(s: string, maxBytes: number): string[] {
  // Fast path: a JS string never takes more than 3 UTF-8 bytes per UTF-16 unit.
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s) <= maxBytes) return [s];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    let w: number;
    let units = 1;
    if (code < 0x80) w = 1;
    else if (code < 0x800) w = 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      w = 4;
      units = 2;
    } else w = 3;
    if (bytes + w > maxBytes) {
      pieces.push(s.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += w;
    i += units - 1;
  }
  pieces.push(s.slice(start));
  return pieces;
}
