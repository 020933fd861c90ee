import type { ServerResponse } from "node:http";
import type { EventBus } from "@loop/core";
import type { EventRepository, EventRow } from "@loop/db";
import { type EphemeralEvent, type LoopEvent, partialMessage } from "@loop/shared";

export interface EventStreamOptions {
  res: ServerResponse;
  events: EventRepository;
  bus: EventBus;
  /** Only this task's events; all tasks when absent. */
  taskId?: string;
  /**
   * Tasks whose output events (agent.output) are sent; every other event type is sent for all
   * tasks. Absent: output of every task (the stream as it always was).
   */
  outputOf?: ReadonlySet<string>;
  /** Send the stored events, then an `event: end` message with the last id, and end (no live part). */
  once?: boolean;
  /**
   * Also send the live text agents are writing (agent.partial: never stored, never replayed) as
   * `event: partial` frames without an `id:`. Without it every data frame is a stored event.
   */
  partial?: boolean;
  /** Send everything with a greater id (the client's Last-Event-ID). */
  afterId: number;
  heartbeatMs: number;
  /** A client whose socket has not drained for this long is cut off; it resumes with Last-Event-ID. */
  drainTimeoutMs: number;
  /** Rows read from SQLite per replay page. */
  pageSize: number;
  /** Live events held for this stream before it falls back to re-reading SQLite. */
  maxQueued: number;
  /** The `retry:` hint sent to EventSource clients. */
  retryMs: number;
  onClose: (stream: EventStream) => void;
}

/** A partial message is skipped while more than this is waiting in the socket. */
const PARTIAL_MAX_BACKLOG = 16 * 1024;

/** Frames above this size are written in separate socket writes so back-pressure is checked often. */
const WRITE_CHUNK_BYTES = 64 * 1024;

/** Serialised once per event, however many streams send it. */
const frames = new WeakMap<LoopEvent, string>();
export function frame(e: LoopEvent): string {
  let f = frames.get(e);
  if (f === undefined) {
    f = `id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`;
    frames.set(e, f);
  }
  return f;
}

/** The same frame, from a stored row (its data column is already JSON). */
export const rowFrame = (r: EventRow): string =>
  `id: ${r.id}\ndata: {"id":${r.id},"taskId":${JSON.stringify(r.task_id)},"iteration":${r.iteration ?? "null"},"type":${JSON.stringify(r.type)},"ts":${JSON.stringify(r.ts)},"data":${r.data}}\n\n`;

interface Outgoing {
  id: number;
  frame(): string;
}
/** Types that are agent output: the bulk of the traffic, sent only for the tasks a client shows. */
export const OUTPUT_TYPES: ReadonlySet<string> = new Set(["agent.output", "check.output", "agent.partial"]);

const fromEvent = (e: LoopEvent): Outgoing => ({ id: e.id, frame: () => frame(e) });
const fromRow = (r: EventRow): Outgoing => ({ id: r.id, frame: () => rowFrame(r) });

/**
 * One SSE response. SQLite is the source of truth and the stream is a cursor over it:
 *
 * - It subscribes to the bus *before* the first read, so an event is either already stored when a
 *   replay page is read or lands in the live queue afterwards: no gap. Every event is sent only if
 *   its id is greater than the last one sent: no duplicate.
 * - Replay reads pages of `pageSize` rows and writes the next page only after the socket drained,
 *   so a long history never sits in memory.
 * - Live events queue up to `maxQueued`; past that the queue is dropped and the stream re-reads
 *   from SQLite, so a slow client costs a bounded amount of memory whatever the agents print.
 * - A socket that stays full for `drainTimeoutMs` is destroyed; EventSource (or our client)
 *   reconnects with Last-Event-ID and gets exactly what it missed.
 */
export class EventStream {
  private readonly o: EventStreamOptions;
  private lastId: number;
  private queue: LoopEvent[] = [];
  /** True when the live queue is not trustworthy (start, or it overflowed): read SQLite next. */
  private needsReplay = true;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  /** A live stream (follows new events), not a one-off replay (`once`). */
  get live(): boolean {
    return !this.o.once;
  }

  constructor(o: EventStreamOptions) {
    this.o = o;
    this.lastId = o.afterId;
    const off = o.bus.subscribe((e) => this.onLive(e));
    const offPartial = o.partial && !o.once ? o.bus.subscribeEphemeral((e) => this.onPartial(e)) : undefined;
    this.unsubscribe = () => {
      off();
      offPartial?.();
    };
    o.res.on("close", () => this.close());
    o.res.socket?.setNoDelay(true);
    o.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store, no-transform",
      connection: "keep-alive",
      "x-content-type-options": "nosniff",
      // Reverse proxies (nginx) would otherwise buffer the stream.
      "x-accel-buffering": "no",
    });
    o.res.write(`retry: ${o.retryMs}\n: connected\n\n`);
    this.heartbeat = setInterval(() => {
      // A full socket is handled by the drain timeout; a ping would only pile on.
      if (!this.closed && o.res.writableLength === 0) o.res.write(": ping\n\n");
    }, o.heartbeatMs);
    this.heartbeat.unref();
    this.pump().catch(() => this.destroy());
  }

  /** The id of the last event written to the socket. */
  get position(): number {
    return this.lastId;
  }

  /** Ends the response cleanly (server shutdown); the client reconnects to the next server. */
  end(): void {
    if (this.closed) return;
    this.o.res.end();
    this.close();
  }

  private destroy(): void {
    this.o.res.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.unsubscribe();
    this.queue = [];
    this.wake?.();
    this.o.onClose(this);
  }

  private onLive(e: LoopEvent): void {
    if (this.closed || (this.o.taskId !== undefined && e.taskId !== this.o.taskId)) return;
    const { outputOf } = this.o;
    if (outputOf && OUTPUT_TYPES.has(e.type) && !outputOf.has(e.taskId)) return;
    if (!this.needsReplay) {
      if (this.queue.length < this.o.maxQueued) this.queue.push(e);
      else {
        this.queue = [];
        this.needsReplay = true;
      }
    }
    this.wake?.();
  }

  /**
   * Live-only text (`event: partial`, no `id:` line: the client does not move its position) goes
   * straight out, and only to a socket that keeps up: a backed-up client just misses some; the
   * next one catches up. Output filters apply as to agent.output.
   */
  private onPartial(e: EphemeralEvent): void {
    if (this.closed || (this.o.taskId !== undefined && e.taskId !== this.o.taskId)) return;
    if (this.o.outputOf && !this.o.outputOf.has(e.taskId)) return;
    if (this.o.res.writableLength > PARTIAL_MAX_BACKLOG) return;
    this.o.res.write(`event: partial\ndata: ${JSON.stringify(partialMessage(e))}\n\n`);
  }

  private async pump(): Promise<void> {
    while (!this.closed) {
      if (this.needsReplay) {
        // Cleared before the (synchronous) read: anything stored later is queued again.
        this.needsReplay = false;
        this.queue = [];
        await this.replay();
        if (this.o.once) {
          await this.send(`event: end\ndata: {"lastEventId":${this.lastId}}\n\n`);
          this.end();
        }
      } else if (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.write(batch.map(fromEvent));
      } else {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
      }
    }
  }

  private async replay(): Promise<void> {
    const { events, taskId, pageSize, outputOf } = this.o;
    while (!this.closed) {
      const page = events.listRowsAfter({
        afterId: this.lastId,
        limit: pageSize,
        ...(taskId && { taskId }),
        ...(outputOf && { outputOf: [...outputOf] }),
      });
      if (page.length > 0) await this.write(page.map(fromRow));
      if (page.length < pageSize) return;
    }
  }

  private async write(events: Outgoing[]): Promise<void> {
    let chunk = "";
    for (const e of events) {
      if (e.id <= this.lastId) continue;
      chunk += e.frame();
      this.lastId = e.id;
      if (chunk.length >= WRITE_CHUNK_BYTES) {
        await this.send(chunk);
        chunk = "";
        if (this.closed) return;
      }
    }
    if (chunk) await this.send(chunk);
  }

  private async send(chunk: string): Promise<void> {
    if (this.closed) return;
    if (this.o.res.write(chunk)) return;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.o.drainTimeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.o.res.off("drain", onDrain);
        this.o.res.off("close", onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      this.o.res.on("drain", onDrain);
      this.o.res.on("close", onClose);
    });
    if (!drained) this.destroy();
  }
}
