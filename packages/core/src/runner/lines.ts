import { StringDecoder } from "node:string_decoder";

/** A single line longer than this is delivered in pieces, so one runaway line cannot exhaust memory. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** Splits a byte stream into lines (\n or \r\n) without holding more than one partial line. */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private readonly emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.emit = emit;
  }

  push(chunk: Buffer): void {
    let text = this.partial + this.decoder.write(chunk);
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      const line = text.slice(0, nl);
      this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
      text = text.slice(nl + 1);
      nl = text.indexOf("\n");
    }
    while (text.length > MAX_LINE_CHARS) {
      this.emit(text.slice(0, MAX_LINE_CHARS));
      text = text.slice(MAX_LINE_CHARS);
    }
    this.partial = text;
  }

  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest.length > 0) this.emit(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
  }
}
