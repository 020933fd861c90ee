import type { LoopEvent } from "@loop/shared";
import {
  connectEvents,
  type EventClient,
  type PartialMessage,
  replayEvents,
  type StreamState,
} from "@loop/shared/event-client";
import { useEffect, useRef } from "react";
import { api, unauthorized } from "./api.ts";
import { Backfill, covers, Inbox, outputParam, type RelayMessage, Subscriptions } from "./relay.ts";
import { createStore } from "./store.ts";

export type { PartialMessage, StreamState };

/**
 * One event stream per browser, whatever the number of tabs. The tab holding the Web Lock
 * `loop-events` (the leader) opens GET /api/events and relays every batch over the
 * BroadcastChannel `loop-events`; when it closes, the next tab gets the lock and resumes from the
 * last id it saw (tabs drop ids they already have). The stream carries state events of every task
 * and agent output only of the tasks some tab shows (`output=` the union of their subscriptions).
 */
const NAME = "loop-events";
const tab = typeof crypto.randomUUID === "function" ? crypto.randomUUID() : String(Math.random());

export type EventListener = (events: LoopEvent[], partials: PartialMessage[]) => void;
const listeners = new Set<EventListener>();

/** The shared stream's state, as the leader reports it: the "reconnecting…" banner reads it. */
export const globalStreamState = createStore<StreamState>("connecting");

/**
 * Whose output the stream carries now (null: every task's), and `joined`: the id after which
 * this tab receives every event (null until known). A snapshot read before `joined` may miss changes.
 */
export const streamCoverage = createStore<{ output: string[] | null; joined: number | null }>({
  output: [],
  joined: null,
});

/** True while this tab holds the stream (notifications are shown by the leader only). */
export const isLeader = createStore(false);

const inbox = new Inbox();
const subs = new Subscriptions();
const mine = new Map<string, number>();
let channel: BroadcastChannel | null = null;
let client: EventClient | null = null;
let connectedOutput: string[] = [];
let resubscribing = false;
let resubscribeTimer: ReturnType<typeof setTimeout> | undefined;

/** Every stored event once, in id order, and the partial messages, batched at most once per frame. */
export function subscribeEvents(fn: EventListener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * The live text agents are writing (`event: partial` frames of the shared stream, which asks for
 * them with `partial=1`), one by one: features/task/LiveLine.tsx shows them.
 */
export function subscribePartial(fn: (m: PartialMessage) => void): () => void {
  return subscribeEvents((_, partials) => {
    for (const m of partials) fn(m);
  });
}

const post = (m: RelayMessage) => channel?.postMessage(m);

function deliver(events: readonly LoopEvent[], partials: PartialMessage[]): void {
  const fresh = inbox.accept(events);
  if (fresh.length === 0 && partials.length === 0) return;
  for (const l of listeners) l(fresh, partials);
}

const outputKey = (output: readonly string[] | null) => (output === null ? "*" : output.join());

function noteState(state: StreamState, output: string[] | null, lastId: number): void {
  globalStreamState.set(state);
  streamCoverage.set((c) => {
    const joined = c.joined ?? lastId;
    return c.joined === joined && outputKey(c.output) === outputKey(output) ? c : { output, joined };
  });
}

const stateMessage = (to?: string): RelayMessage => ({
  kind: "state",
  state: client?.state ?? "connecting",
  output: connectedOutput,
  lastId: inbox.lastId,
  ...(to && { to }),
});

function onMessage(m: RelayMessage): void {
  switch (m.kind) {
    case "events":
      deliver(m.events, m.partials);
      return;
    case "state":
      if (client || (m.to && m.to !== tab)) return;
      noteState(m.state, m.output, m.lastId);
      return;
    case "subs":
      if (subs.set(m.tab, m.tasks)) resubscribe();
      return;
    case "bye":
      if (subs.remove(m.tab)) resubscribe();
      return;
    case "hello":
      if (mine.size > 0) post({ kind: "subs", tab, tasks: [...mine.keys()] });
      if (client) post(stateMessage(m.tab));
      return;
    default: {
      const _exhaustive: never = m;
      return;
    }
  }
}

/** The leader follows the union of the tabs' subscriptions: it reconnects after the last id. */
function resubscribe(): void {
  if (!client) return;
  clearTimeout(resubscribeTimer);
  // One reconnect for a burst of tabs opening or closing.
  resubscribeTimer = setTimeout(() => {
    if (!client || subs.union().join() === connectedOutput.join()) return;
    resubscribing = true;
    client.reconnect();
  }, 30);
}

/**
 * Once per frame while visible, and within 50 ms whatever the frame rate: a leader the browser
 * does not paint (a window behind others, a headless page not in front) gets a frame a second yet
 * relays for the tabs that are shown. A hidden leader gets no frames and throttled timers (once a
 * minute after a while): it flushes each chunk as it is read.
 */
const schedule = (flush: () => void) => {
  if (document.hidden) {
    queueMicrotask(flush);
    return;
  }
  // Whichever comes first flushes and cancels the other.
  const frame = requestAnimationFrame(() => {
    clearTimeout(timer);
    flush();
  });
  const timer = setTimeout(() => {
    cancelAnimationFrame(frame);
    flush();
  }, 50);
};

/** Runs while this tab holds the lock; the promise never settles, so the lock is held until the tab goes. */
async function lead(): Promise<never> {
  isLeader.set(true);
  let from = inbox.lastId;
  // A first stream starts at the newest event: every view loads its snapshot over REST.
  if (from === 0)
    from = await api.listTasks({ limit: 1 }).then(
      (r) => r.lastEventId,
      () => 0,
    );
  inbox.lastId = Math.max(inbox.lastId, from);
  let requested: string[] = [];
  client = connectEvents({
    url: () => {
      requested = subs.union();
      return `/api/events?output=${outputParam(requested)}`;
    },
    lastEventId: inbox.lastId,
    schedule,
    onBatch: (events) => relay(events, []),
    // Given onPartial, the client opens the stream with partial=1.
    onPartial: (partials) => relay([], partials),
    onState(s, detail) {
      if (detail.status === 401) unauthorized.set(true);
      // A reconnect for new subscriptions is not an outage: keep the banner away.
      if (s === "reconnecting" && resubscribing) return;
      if (s === "open") {
        resubscribing = false;
        connectedOutput = requested;
      }
      noteState(s, connectedOutput, inbox.lastId);
      post(stateMessage());
      if (s === "open" && subs.union().join() !== connectedOutput.join()) resubscribe();
    },
  });
  noteState("connecting", [], inbox.lastId);
  // After sleep or a network change, do not wait for the backoff timer.
  const wake = () => {
    if (client?.state === "reconnecting") client.reconnect();
  };
  window.addEventListener("online", wake);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) wake();
  });
  return new Promise<never>(() => {});
}

function relay(events: LoopEvent[], partials: PartialMessage[]): void {
  post({ kind: "events", events, partials });
  deliver(events, partials);
}

let started = false;

/** Joins the browser's shared stream (once per tab): follows the leader, or becomes it. */
export function startEvents(): void {
  if (started) return;
  started = true;
  if (typeof BroadcastChannel !== "undefined") {
    channel = new BroadcastChannel(NAME);
    channel.onmessage = (e: MessageEvent<RelayMessage>) => onMessage(e.data);
    post({ kind: "hello", tab });
  }
  window.addEventListener("pagehide", () => post({ kind: "bye", tab }));
  // Back from the back/forward cache: say hello again (the others dropped this tab's subscriptions).
  window.addEventListener("pageshow", (e) => {
    if (!e.persisted) return;
    post({ kind: "hello", tab });
    if (mine.size > 0) post({ kind: "subs", tab, tasks: [...mine.keys()] });
  });
  // Without Web Locks (or BroadcastChannel) every tab is its own leader: still correct, more connections.
  if (channel && navigator.locks) void navigator.locks.request(NAME, lead);
  else void lead();
}

/** Asks for a task's agent output on the shared stream for as long as the returned function is not called. */
export function watchTask(taskId: string): () => void {
  mine.set(taskId, (mine.get(taskId) ?? 0) + 1);
  const announce = () => {
    const tasks = [...mine.keys()];
    post({ kind: "subs", tab, tasks });
    if (subs.set(tab, tasks)) resubscribe();
  };
  announce();
  return () => {
    const n = (mine.get(taskId) ?? 1) - 1;
    if (n > 0) mine.set(taskId, n);
    else mine.delete(taskId);
    announce();
  };
}

/** Resolves once the shared stream carries this task's output (a replay started later misses nothing). */
function covered(taskId: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const { output } = streamCoverage.get();
      if (globalStreamState.get() === "open" && covers(output, taskId)) {
        off();
        offState();
        resolve();
      }
    };
    const off = streamCoverage.subscribe(check);
    const offState = globalStreamState.subscribe(check);
    signal.addEventListener("abort", () => {
      off();
      offState();
    });
    check();
  });
}

export interface TaskEventHandlers {
  /** Stored events of this task, each once, in id order: history first, then live. */
  onBatch: (events: LoopEvent[]) => void;
  /** The live text this task's agents are writing (no id, never replayed). */
  onPartial?: (messages: PartialMessage[]) => void;
}

/**
 * Every event of one task, from the first, then live, on the shared stream: subscribes to the
 * task, waits until the stream carries its output, replays its history once, then hands over
 * what arrived live meanwhile (see Backfill). Opens no stream of its own at rest.
 */
export function useTaskEvents(taskId: string, handlers: TaskEventHandlers): void {
  const cb = useRef(handlers);
  cb.current = handlers;
  useEffect(() => {
    const ac = new AbortController();
    const backfill = new Backfill((events) => cb.current.onBatch(events));
    const off = subscribeEvents((events, partials) => {
      const own = events.filter((e) => e.taskId === taskId);
      if (own.length > 0) backfill.live(own);
      const live = partials.filter((m) => m.taskId === taskId);
      if (live.length > 0) cb.current.onPartial?.(live);
    });
    const unwatch = watchTask(taskId);
    void (async () => {
      await covered(taskId, ac.signal);
      for (let attempt = 0; !ac.signal.aborted; attempt++) {
        try {
          await replayEvents({
            url: `/api/tasks/${encodeURIComponent(taskId)}/events`,
            lastEventId: backfill.lastId,
            onBatch: (events) => backfill.history(events),
            signal: ac.signal,
          });
          backfill.finish();
          return;
        } catch {
          // The server restarts or the task is gone (the page says so): try again, from where it got to.
          await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 10_000)));
        }
      }
    })();
    return () => {
      ac.abort();
      off();
      unwatch();
    };
  }, [taskId]);
}
