import type { EphemeralEvent, LoopEvent } from "@loop/shared";
import { connectEvents, type StreamState, type StreamStateDetail } from "@loop/shared/event-client";
import { useEffect, useRef, useState } from "react";
import { api, unauthorized } from "./api.ts";
import { createStore } from "./store.ts";

export type { StreamState };

/** Once per frame while visible; hidden tabs get no frames, so fall back to a timer (notifications). */
const schedule = (flush: () => void) => {
  if (document.hidden) setTimeout(flush, 200);
  else requestAnimationFrame(flush);
};

function connect(
  url: string,
  onBatch: (events: LoopEvent[]) => void,
  onState: (s: StreamState, detail: StreamStateDetail) => void,
): () => void {
  const client = connectEvents({
    url,
    onBatch,
    onEphemeral: (m) => {
      for (const l of ephemeralListeners) l(m);
    },
    schedule,
    onState(s, detail) {
      if (detail.status === 401) unauthorized.set(true);
      onState(s, detail);
    },
  });
  // After sleep or a network change, do not wait for the backoff timer.
  const wake = () => {
    if (client.state === "reconnecting") client.reconnect();
  };
  const onVisible = () => {
    if (!document.hidden) wake();
  };
  window.addEventListener("online", wake);
  document.addEventListener("visibilitychange", onVisible);
  return () => {
    window.removeEventListener("online", wake);
    document.removeEventListener("visibilitychange", onVisible);
    client.close();
  };
}

/** Live-only messages (agent.partial) of the open streams: features/task/LiveLine.tsx shows them. */
const ephemeralListeners = new Set<(m: EphemeralEvent) => void>();
export function subscribeEphemeral(fn: (m: EphemeralEvent) => void): () => void {
  ephemeralListeners.add(fn);
  return () => ephemeralListeners.delete(fn);
}

/** State of the app-wide stream (GET /api/events): the "reconnecting…" banner reads it. */
export const globalStreamState = createStore<StreamState>("connecting");
const globalListeners = new Set<(events: LoopEvent[]) => void>();

export function subscribeGlobalEvents(fn: (events: LoopEvent[]) => void): () => void {
  globalListeners.add(fn);
  return () => globalListeners.delete(fn);
}

/** The app-wide stream starts at the newest event: the task list loads its snapshot over REST. */
export function startGlobalEvents(afterId = 0): () => void {
  let stop: (() => void) | undefined;
  let cancelled = false;
  const open = (lastEventId: number) => {
    stop = connect(
      `/api/events?lastEventId=${lastEventId}`,
      (events) => {
        for (const l of globalListeners) l(events);
      },
      (s) => globalStreamState.set(s),
    );
  };
  if (afterId > 0) open(afterId);
  else
    void api
      .listTasks({ limit: 1 })
      .then((r) => r.lastEventId)
      // Without a position, the stream still works; it just replays the history first.
      .catch(() => 0)
      .then((id) => {
        if (!cancelled) open(id);
      });
  return () => {
    cancelled = true;
    stop?.();
  };
}

/** Every event of one task, from the first, then live; batches arrive at most once per frame. */
export function useTaskEvents(taskId: string, onBatch: (events: LoopEvent[]) => void): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const cb = useRef(onBatch);
  cb.current = onBatch;
  useEffect(
    () =>
      connect(
        `/api/tasks/${encodeURIComponent(taskId)}/events`,
        (events) => cb.current(events),
        (s) => setState(s),
      ),
    [taskId],
  );
  return state;
}
