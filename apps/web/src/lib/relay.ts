import type { LoopEvent } from "@loop/shared";
import type { PartialMessage, StreamState } from "@loop/shared/event-client";

/**
 * What the tabs of one browser say to each other over BroadcastChannel. One tab (the leader,
 * holding a Web Lock) owns the event stream and relays it; every tab announces which tasks it shows.
 */
export type RelayMessage =
  /** A batch from the stream: stored events in id order, then the live text agents are writing. */
  | { kind: "events"; events: LoopEvent[]; partials: PartialMessage[] }
  /**
   * The leader's stream: its state, whose output it carries (null: every task's) and the last id
   * it relayed. Sent on every change, and to one tab (`to`) that said hello.
   */
  | { kind: "state"; state: StreamState; output: string[] | null; lastId: number; to?: string }
  /** The tasks one tab shows (their output must be on the stream). */
  | { kind: "subs"; tab: string; tasks: string[] }
  | { kind: "bye"; tab: string }
  /** A new tab: everyone answers with their subs, the leader with its state. */
  | { kind: "hello"; tab: string };

/**
 * Hands each stored event to a tab once. Ids only grow along the stream, and a new leader resumes
 * from its own last id, so what it replays that a tab already had is exactly what is <= lastId.
 * Partial messages are not events (no id) and do not pass through here.
 */
export class Inbox {
  lastId = 0;

  accept(events: readonly LoopEvent[]): LoopEvent[] {
    const fresh: LoopEvent[] = [];
    for (const e of events) {
      if (e.id <= this.lastId) continue;
      this.lastId = e.id;
      fresh.push(e);
    }
    return fresh;
  }
}

/** Which tasks each tab shows; the stream carries the output of their union. */
export class Subscriptions {
  private readonly byTab = new Map<string, readonly string[]>();

  /** Returns true when the union changed. */
  set(tab: string, tasks: readonly string[]): boolean {
    const before = this.key();
    if (tasks.length === 0) this.byTab.delete(tab);
    else this.byTab.set(tab, [...tasks]);
    return this.key() !== before;
  }

  remove(tab: string): boolean {
    return this.set(tab, []);
  }

  union(): string[] {
    return [...new Set([...this.byTab.values()].flat())].sort();
  }

  private key(): string {
    return this.union().join(",");
  }
}

/** The `output=` query of GET /api/events for a set of tasks. */
export const outputParam = (taskIds: readonly string[]): string =>
  taskIds.length === 0 ? "none" : taskIds.map(encodeURIComponent).join(",");

/** True when a stream carrying `output` sends this task's agent output. */
export const covers = (output: readonly string[] | null, taskId: string): boolean =>
  output === null || output.includes(taskId);

/**
 * A task page's log: its history comes from a one-off replay, its live part from the shared
 * stream. Live events wait here until the replay is done, then both are handed over in id order
 * with what the replay already gave dropped, so every line is applied exactly once.
 */
export class Backfill {
  private buffer: LoopEvent[] = [];
  private done = false;
  /** The highest id handed over. */
  lastId = 0;

  private readonly deliver: (events: LoopEvent[]) => void;

  constructor(deliver: (events: LoopEvent[]) => void) {
    this.deliver = deliver;
  }

  /** Pages of the replay, in id order. */
  history(events: readonly LoopEvent[]): void {
    this.hand(events);
  }

  /** Events of this task from the shared stream. */
  live(events: readonly LoopEvent[]): void {
    if (this.done) this.hand(events);
    else this.buffer.push(...events);
  }

  /** The replay reached its end: hand over what came live meanwhile. */
  finish(): void {
    this.done = true;
    const waiting = this.buffer;
    this.buffer = [];
    this.hand(waiting);
  }

  private hand(events: readonly LoopEvent[]): void {
    const fresh = events.filter((e) => e.id > this.lastId);
    if (fresh.length === 0) return;
    this.lastId = fresh[fresh.length - 1]!.id;
    this.deliver(fresh);
  }
}
