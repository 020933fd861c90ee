// Helpers for streaming tests over real HTTP (a listening server on port 0, not inject()).
import { request } from "node:http";
import type { LoopEvent } from "@loop/shared";
import type { FastifyInstance } from "fastify";
import { TEST_TOKEN } from "./helpers.ts";

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const a = app.server.address();
  if (!a || typeof a !== "object") throw new Error("not listening");
  return `http://127.0.0.1:${a.port}`;
}

export const authHeaders = { authorization: `Bearer ${TEST_TOKEN}` };

/** Parses the complete frames of SSE text: events (id + parsed data), comments and retry hints. */
export function parseFrames(text: string): { events: LoopEvent[]; comments: string[]; retry?: number } {
  const events: LoopEvent[] = [];
  const comments: string[] = [];
  let retry: number | undefined;
  // The last piece is an unfinished frame (or empty): a client only acts on complete frames.
  for (const block of text.split("\n\n").slice(0, -1)) {
    let data: string | undefined;
    let id: string | undefined;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim());
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("data: ")) data = line.slice(6);
      else if (line.startsWith("retry: ")) retry = Number(line.slice(7));
    }
    if (data !== undefined) {
      const e = JSON.parse(data) as LoopEvent;
      if (String(e.id) !== id) throw new Error(`frame id ${id} does not match event id ${e.id}`);
      events.push(e);
    }
  }
  return { events, comments, ...(retry !== undefined && { retry }) };
}

export interface RawStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Everything received so far. */
  text(): string;
  /** Resolves when the server ended or cut the response. */
  ended: Promise<void>;
  pause(): void;
  resume(): void;
  close(): void;
}

/** A raw SSE request with node:http, so a test can pause reading and see exactly what was sent. */
export function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { ...authHeaders, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      const ended = new Promise<void>((r) => {
        res.on("end", () => r());
        res.on("close", () => r());
        res.on("error", () => r());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => body,
        ended,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}
