import type { Repositories } from "@loop/db";
import type { AgentName, LoopEvent, NewEvent, ParsedLine } from "@loop/shared";
import { MAX_LINE_BYTES } from "@loop/shared";

export type EventListener = (event: LoopEvent) => void;

/**
 * The one in-process publisher. Every event is stored in SQLite first (synchronously, so it gets
 * its id) and only then handed to listeners: a listener never sees an event that a later replay
 * from the database would not also return.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly repos: Repositories;

  constructor(repos: Repositories) {
    this.repos = repos;
  }

  emit(event: NewEvent): LoopEvent {
    const stored = this.repos.events.append(event);
    for (const l of this.listeners) {
      try {
        l(stored);
      } catch {
        // A broken subscriber (e.g. a socket that just died) must not stop the run.
      }
    }
    return stored;
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
      this.emit({
        taskId,
        iteration,
        type: "agent.output",
        data: { agent, stream, line, ...(parsed && { parsed }) },
      });
      return;
    }
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      this.emit({
        taskId,
        iteration,
        type: "agent.output",
        data: {
          agent,
          stream,
          line: piece,
          ...(i > 0 && { continuation: true }),
          final: last,
          ...(last && parsed && { parsed }),
        },
      });
    });
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
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
