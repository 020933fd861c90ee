import { StringDecoder } from "node:string_decoder";

/** Default longest line delivered whole; a longer one comes in pieces, so one runaway line cannot exhaust memory. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Splits a byte stream into lines (\n or \r\n) without holding more than one partial line. Linear
 * in the input however the line is chunked: a line's pieces are kept in a list and joined once,
 * when its newline arrives (concatenating and re-scanning the whole partial line per chunk was
 * quadratic: a 5 MB answer read in 4 KiB chunks copied gigabytes). Multi-byte UTF-8 characters
 * split across chunks are decoded whole.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private parts: string[] = [];
  private partChars = 0;
  private readonly emit: (line: string) => void;
  private readonly maxLineChars: number;

  constructor(emit: (line: string) => void, maxLineChars = MAX_LINE_CHARS) {
    this.emit = emit;
    this.maxLineChars = Math.max(1, maxLineChars);
  }

  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk));
  }

  /** The stream ended: a last line without a newline is delivered too. */
  end(): void {
    this.feed(this.decoder.end());
    if (this.partChars > 0) this.line();
  }

  private feed(text: string): void {
    let start = 0;
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      this.add(text.slice(start, nl));
      this.line();
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    if (start < text.length) this.add(start === 0 ? text : text.slice(start));
    if (this.partChars > this.maxLineChars) {
      let rest = this.take();
      while (rest.length > this.maxLineChars) {
        this.emit(rest.slice(0, this.maxLineChars));
        rest = rest.slice(this.maxLineChars);
      }
      this.add(rest);
    }
  }

  private add(s: string): void {
    if (s.length === 0) return;
    this.parts.push(s);
    this.partChars += s.length;
  }

  private take(): string {
    const s = this.parts.length === 1 ? this.parts[0]! : this.parts.join("");
    this.parts = [];
    this.partChars = 0;
    return s;
  }

  private line(): void {
    const line = this.take();
    this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}
