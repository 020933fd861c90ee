/**
 * Where the server's log lines go (pino writes one JSON object per line here). Lines are held
 * until `release()`: the URL line the person needs is always the first thing the terminal shows.
 * `pretty` turns each line into `12:04:05 WARN message key=value`; otherwise the JSON goes out as is.
 */
export interface LogOutput {
  write(line: string): void;
  release(): void;
}

/** Fastify's "Server listening at …" line says what the URL line says: listen() logs this text, dropped here. */
export const LISTENING_MESSAGE = "loop: listening";

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
// `event` repeats what a lifecycle line says in words.
const OMITTED = new Set(["level", "time", "pid", "hostname", "msg", "err", "event"]);

const clock = (time: unknown) => {
  const d = typeof time === "number" ? new Date(time) : new Date();
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
};

/** One pino JSON line as a readable line; fields the message already says are left out. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const msg = typeof entry.msg === "string" ? entry.msg : "";
  const level = LEVELS[Number(entry.level)] ?? "INFO";
  const fields = Object.entries(entry)
    .filter(([k, v]) => !OMITTED.has(k) && v !== undefined && !msg.includes(String(v)))
    .map(
      ([k, v]) =>
        `${k}=${typeof v === "string" ? v : typeof v === "number" ? +v.toFixed(1) : JSON.stringify(v)}`,
    );
  const head = [clock(entry.time), level === "INFO" ? "" : level, msg, ...fields].filter(Boolean).join(" ");
  const err = entry.err as { stack?: string; message?: string } | undefined;
  const detail = err ? `\n  ${(err.stack ?? err.message ?? "").split("\n").join("\n  ")}` : "";
  return `${head}${detail}\n`;
}

export function logOutput(opts: { pretty: boolean; out: { write(s: string): unknown } }): LogOutput {
  let held: string[] | undefined = [];
  const emit = (line: string) => opts.out.write(opts.pretty ? prettyLine(line) : line);
  return {
    write(line) {
      if (line.includes(`"msg":"${LISTENING_MESSAGE}"`)) return;
      if (held) held.push(line);
      else emit(line);
    },
    release() {
      const lines = held ?? [];
      held = undefined;
      for (const l of lines) emit(l);
    },
  };
}
