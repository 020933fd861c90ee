import type { PartialMessage } from "@loop/shared/event-client";

/** A terminal to draw on: raw writes and its width. */
export interface Terminal {
  write: (s: string) => void;
  columns: number;
}

const CLEAR = "\r\x1b[2K";
const MARK = "✎";

/**
 * The text an agent is writing right now (`event: partial` frames), printed among the task's log
 * lines. On a terminal it is one line at the bottom, overwritten in place as it grows and wiped
 * when the complete message arrives (printed as a log line). Piped, it is plain lines: each line
 * of the growing text once it is complete, so a long answer shows progress without escape codes.
 */
export class LivePrinter {
  /** The message being written: whose, and how much of it was printed (piped). */
  private current: { agent: string; iteration: number | null; printed: number; length: number } | null = null;
  /** What the terminal's last line shows now ("" = nothing). */
  private shown = "";

  private readonly out: (line: string) => void;
  private readonly terminal: Terminal | undefined;

  constructor(out: (line: string) => void, terminal?: Terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** A log line: printed above the growing line, which is drawn again under it. */
  line(text: string): void {
    if (!this.terminal || !this.shown) {
      this.out(text);
      return;
    }
    const again = this.shown;
    this.terminal.write(CLEAR);
    this.out(text);
    this.terminal.write(again);
  }

  partial(m: PartialMessage): void {
    const c = this.current;
    // A shorter text than before is the agent's next message.
    if (!c || c.agent !== m.agent || c.iteration !== m.iteration || m.length < c.length) {
      this.current = { agent: m.agent, iteration: m.iteration, printed: 0, length: m.length };
    }
    const cur = this.current!;
    cur.length = m.length;
    if (this.terminal) {
      this.draw(m);
      return;
    }
    // Piped: the complete lines not printed yet. `text` is the tail of the message (its last
    // PARTIAL_TAIL_CHARS characters): absolute offsets say which of its lines are new.
    const start = m.length - m.text.length;
    let from = Math.max(cur.printed, start);
    for (;;) {
      const nl = m.text.indexOf("\n", from - start);
      if (nl < 0) break;
      const piece = m.text.slice(from - start, nl);
      if (piece.trim()) this.out(`${m.agent} ${MARK} ${from > cur.printed ? "…" : ""}${piece}`);
      from = start + nl + 1;
      cur.printed = from;
    }
  }

  /** The agent's complete message was stored (or it stopped): its growing line is done. */
  settle(agent: string): void {
    if (this.current?.agent !== agent) return;
    this.current = null;
    if (this.terminal && this.shown) {
      this.terminal.write(CLEAR);
      this.shown = "";
    }
  }

  private draw(m: PartialMessage): void {
    const t = this.terminal!;
    // The line being written; right after a newline, the one just finished.
    const lastLine = m.text.trimEnd().split("\n").at(-1) ?? "";
    const prefix = `${m.agent} ${MARK} `;
    const room = Math.max(10, t.columns - prefix.length - 1);
    const body = lastLine.length > room ? `…${lastLine.slice(lastLine.length - room + 1)}` : lastLine;
    this.shown = `${prefix}${body}`;
    t.write(`${CLEAR}${this.shown}`);
  }
}
