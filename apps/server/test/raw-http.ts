import { connect, type Socket } from "node:net";

/** A response as it came off the socket: every header kept, repeats included. */
export interface RawResponse {
  status: number;
  /** Lower-cased names; a repeated header has several values. */
  headers: Map<string, string[]>;
  header(name: string): string | undefined;
  body: string;
  /** The body as JSON (throws when it is not). */
  json(): { error?: { code: string; message: string } } & Record<string, unknown>;
}

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/**
 * Writes `head` (and `body`) on a fresh TCP connection and reads the answer. No HTTP client is
 * involved, so duplicate, missing or malformed headers reach the server exactly as written.
 * `headersOnly` resolves as soon as the head arrives (for event streams) and closes the socket.
 */
export function rawExchange(
  port: number,
  data: string | Buffer,
  opts: { headersOnly?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`no complete answer within ${opts.timeoutMs ?? 10_000} ms`)),
      opts.timeoutMs ?? 10_000,
    );
    socket.on("connect", () => socket.write(data));
    socket.on("data", (c) => {
      chunks.push(c);
      if (opts.headersOnly && Buffer.concat(chunks).includes("\r\n\r\n")) finish();
    });
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (e) => {
      // A server that answered and then reset the connection (client errors) still answered.
      if (chunks.length > 0) finish();
      else finish(e);
    });
  });
}

/** One request in wire format. `Connection: close` is added so the answer ends with the socket. */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: HeaderList,
  opts: { body?: string; version?: string; headersOnly?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const lines = [`${method} ${target} HTTP/${opts.version ?? "1.1"}`];
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  lines.push("Connection: close");
  if (opts.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(opts.body)}`);
  const text = `${lines.join("\r\n")}\r\n\r\n${opts.body ?? ""}`;
  return rawExchange(port, text, opts);
}

function parse(buf: Buffer): RawResponse {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no HTTP head in ${JSON.stringify(buf.toString("latin1").slice(0, 200))}`);
  const [statusLine, ...lines] = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "");
  if (!m) throw new Error(`not a status line: ${statusLine}`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const i = line.indexOf(":");
    const name = line.slice(0, i).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  let body = buf.subarray(end + 4);
  if (headers.get("transfer-encoding")?.includes("chunked")) body = dechunk(body);
  const text = body.toString("utf8");
  return {
    status: Number(m[1]),
    headers,
    header: (name) => headers.get(name.toLowerCase())?.join(", "),
    body: text,
    json: () => JSON.parse(text),
  };
}

/** Decodes as many complete chunks as arrived (a stream cut short keeps what came). */
function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = Number.parseInt(buf.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
