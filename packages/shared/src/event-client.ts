import { createParser } from "eventsource-parser";
import type { LoopEvent, PartialMessage } from "./events.ts";

/**
 * - `connecting`: first connection under way
 * - `open`: receiving (replay, then live)
 * - `reconnecting`: the connection dropped; trying again with the last id
 * - `closed`: stopped for good (close() was called, or the server refused with 401/403/404)
 */
export type StreamState = "connecting" | "open" | "reconnecting" | "closed";

export interface StreamStateDetail {
  /** HTTP status of a refused connection. */
  status?: number;
  /** Why the last connection ended or was refused, for display. */
  error?: string;
}

export type { PartialMessage };

export interface EventClientOptions {
  /**
   * `/api/events` or `/api/tasks/<id>/events` (absolute in Node). A function is called for every
   * connection attempt, so a caller can change the query (e.g. `output=`) and call reconnect().
   */
  url: string | (() => string);
  /** Resume after this id (0 = from the beginning). */
  lastEventId?: number;
  /** Extra request headers (Node callers pass `authorization`; the browser relies on the cookie). */
  headers?: Record<string, string>;
  /** Called with events in id order, each id once, never one the caller already had. */
  onBatch: (events: LoopEvent[]) => void;
  /**
   * The live text agents are writing (`event: partial` frames, no id), in the order they came;
   * called after onBatch in the same flush. Given this, the client asks for them (`partial=1`);
   * they never move lastEventId.
   */
  onPartial?: (messages: PartialMessage[]) => void;
  onState?: (state: StreamState, detail: StreamStateDetail) => void;
  /** Delivers batches: the SPA passes requestAnimationFrame so it renders once per frame. */
  schedule?: (flush: () => void) => void;
  /** First reconnect delay; the server's `retry:` hint replaces it; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Reconnect when nothing (not even a heartbeat) arrived for this long: catches dead sockets after sleep. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface EventClient {
  readonly state: StreamState;
  /** The id of the last event delivered. */
  readonly lastEventId: number;
  /** Drops the current connection and reconnects at once with the last id (e.g. on `online`). */
  reconnect(): void;
  close(): void;
}

/** A response status after which retrying cannot help. */
const FATAL = new Set([400, 401, 403, 404]);

/**
 * A fetch-based SSE client for loop's event streams. Unlike EventSource it can send headers, sees
 * HTTP statuses (a 401 stops instead of retrying forever), and dedupes by id, so a replay that
 * overlaps what was already delivered never doubles a line.
 */
export function connectEvents(opts: EventClientOptions): EventClient {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const schedule = opts.schedule ?? ((f: () => void) => f());
  const baseRetry = opts.retryMs ?? 1_000;
  const maxRetry = opts.maxRetryMs ?? 30_000;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 45_000;

  let lastId = opts.lastEventId ?? 0;
  let state: StreamState = "connecting";
  let retry = baseRetry;
  let attempt = 0;
  let closed = false;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let pending: LoopEvent[] = [];
  let pendingPartial: PartialMessage[] = [];
  let flushScheduled = false;
  let reconnectNow = false;

  const setState = (s: StreamState, detail: StreamStateDetail = {}) => {
    if (s === state && !detail.error) return;
    state = s;
    opts.onState?.(s, detail);
  };

  const flush = () => {
    flushScheduled = false;
    if (closed || (pending.length === 0 && pendingPartial.length === 0)) return;
    const batch = pending;
    const partials = pendingPartial;
    pending = [];
    pendingPartial = [];
    if (batch.length > 0) opts.onBatch(batch);
    if (partials.length > 0) opts.onPartial?.(partials);
  };

  const accept = (msg: { id?: string | undefined; event?: string | undefined; data: string }) => {
    if (msg.event === "partial") {
      if (opts.onPartial) pendingPartial.push(JSON.parse(msg.data) as PartialMessage);
      return;
    }
    // Only stored events move the cursor: an unnamed frame without a matching id is not one of ours.
    if (msg.event !== undefined && msg.event !== "message") return;
    if (msg.id === undefined) return;
    const e = JSON.parse(msg.data) as LoopEvent;
    if (typeof e.id !== "number" || String(e.id) !== msg.id) return;
    if (e.id <= lastId) return;
    lastId = e.id;
    pending.push(e as LoopEvent);
  };

  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller?.abort(new Error("no data or heartbeat")), idleTimeoutMs);
  };

  const scheduleReconnect = (error: string) => {
    if (closed) return;
    setState("reconnecting", { error });
    // Jittered exponential backoff, so many tabs do not reconnect in lockstep after a restart.
    const delay = reconnectNow
      ? 0
      : Math.min(retry * 2 ** Math.min(attempt, 5), maxRetry) * (0.8 + Math.random() * 0.4);
    reconnectNow = false;
    attempt++;
    retryTimer = setTimeout(run, delay);
  };

  async function run(): Promise<void> {
    if (closed) return;
    const ac = new AbortController();
    controller = ac;
    let reason = "the stream ended";
    try {
      const url = resolveUrl(typeof opts.url === "string" ? opts.url : opts.url());
      if (opts.onPartial) url.searchParams.set("partial", "1");
      const res = await doFetch(url, {
        headers: { accept: "text/event-stream", "last-event-id": String(lastId), ...opts.headers },
        signal: ac.signal,
        cache: "no-store",
        credentials: "same-origin",
      });
      if (!res.ok || !res.body) {
        const message = await errorMessage(res);
        if (FATAL.has(res.status)) {
          closed = true;
          setState("closed", { status: res.status, error: message });
          return;
        }
        reason = message;
        return;
      }
      setState("open");
      armIdle();
      const parser = createParser({
        maxBufferSize: 16 * 1024 * 1024,
        onEvent(msg) {
          try {
            accept(msg);
          } catch {
            // Not JSON: not one of ours; skip rather than stop the stream.
          }
        },
        onRetry(ms) {
          retry = ms;
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armIdle();
        // Any byte (even a ping) proves the connection is alive: reset the backoff.
        attempt = 0;
        parser.feed(value);
        if ((pending.length > 0 || pendingPartial.length > 0) && !flushScheduled) {
          flushScheduled = true;
          schedule(flush);
        }
      }
    } catch (e) {
      reason = ac.signal.aborted ? String((ac.signal.reason as Error)?.message ?? "aborted") : String(e);
    } finally {
      clearTimeout(idleTimer);
      if (controller === ac) controller = undefined;
    }
    scheduleReconnect(reason);
  }

  void run();

  return {
    get state() {
      return state;
    },
    get lastEventId() {
      return lastId;
    },
    reconnect() {
      if (closed) return;
      clearTimeout(retryTimer);
      reconnectNow = true;
      if (controller) controller.abort(new Error("reconnect requested"));
      else {
        reconnectNow = false;
        void run();
      }
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(idleTimer);
      controller?.abort(new Error("closed"));
      setState("closed");
    },
  };
}

const resolveUrl = (url: string): URL =>
  new URL(url, (globalThis as { location?: { href: string } }).location?.href ?? "http://localhost/");

export interface ReplayOptions {
  /** `/api/tasks/<id>/events` (the `once=1` query is added). */
  url: string;
  lastEventId?: number;
  headers?: Record<string, string>;
  /** Pages of stored events in id order, as they arrive. */
  onBatch: (events: LoopEvent[]) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * A one-off replay (`?once=1`): the stored events after `lastEventId`, then the server's `end`
 * message. Resolves with the id the replay reached; rejects when the stream broke before its end,
 * so a caller never mistakes half a history for all of it.
 */
export async function replayEvents(opts: ReplayOptions): Promise<number> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const url = resolveUrl(opts.url);
  url.searchParams.set("once", "1");
  url.searchParams.set("lastEventId", String(opts.lastEventId ?? 0));
  const res = await doFetch(url, {
    headers: { accept: "text/event-stream", ...opts.headers },
    cache: "no-store",
    credentials: "same-origin",
    ...(opts.signal && { signal: opts.signal }),
  });
  if (!res.ok || !res.body) throw new Error(await errorMessage(res));
  let end: number | undefined;
  let batch: LoopEvent[] = [];
  const parser = createParser({
    maxBufferSize: 16 * 1024 * 1024,
    onEvent(msg) {
      if (msg.event === "end") end = (JSON.parse(msg.data) as { lastEventId: number }).lastEventId;
      else if (msg.id !== undefined) batch.push(JSON.parse(msg.data) as LoopEvent);
    },
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(value);
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      opts.onBatch(out);
    }
  }
  if (end === undefined) throw new Error("the replay ended early");
  return end;
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not our JSON error body
  }
  return `HTTP ${res.status}`;
}
