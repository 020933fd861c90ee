import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError, parseOr } from "../../errors.ts";
import { EventStream } from "./stream.ts";

export interface EventRoutesOptions {
  /** Tunables for tests; production uses the defaults and the config. */
  drainTimeoutMs?: number;
  pageSize?: number;
  maxQueued?: number;
  retryMs?: number;
}

const LAST_ID_RULE = "must be an event id: decimal digits only (e.g. 42)";
/**
 * An event id as a client sends it back: decimal digits and nothing else. No coercion: `1e3`,
 * `0x10`, ` 7 `, `-1` and `1.5` are refused rather than read as some other cursor.
 */
const LastId = z
  .string({ error: LAST_ID_RULE })
  .regex(/^[0-9]{1,16}$/, LAST_ID_RULE)
  .transform(Number)
  .refine(Number.isSafeInteger, LAST_ID_RULE);
/**
 * `output`: whose agent output a stream carries: `all` (the default), `none`, or task ids joined by
 * commas (at most 100). Every other event type is sent for every task whatever `output` says.
 * `once=1`: the stored events only, then `event: end` with `{"lastEventId":N}`, then the end.
 * `partial=1`: also the live text agents are writing, as `event: partial` frames without an id.
 */
const TaskIdList = z
  .string()
  .max(100 * 101)
  .transform((s) => (s === "" ? [] : s.split(",")))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "must be task ids joined by commas")).max(100));
const Query = z.object({
  lastEventId: LastId.optional(),
  output: z.union([z.enum(["all", "none"]), TaskIdList]).optional(),
  once: z.enum(["1", "true", "0", "false"], { error: "once must be 1 or 0" }).optional(),
  partial: z.enum(["1", "true", "0", "false"], { error: "partial must be 1 or 0" }).optional(),
});
const IdParams = z.object({ id: z.string().min(1).max(100) });

declare module "fastify" {
  interface FastifyInstance {
    /** Open SSE responses (for the connection limit, shutdown and tests); owned by buildApp. */
    eventStreams: Set<EventStream>;
  }
}

/** Ends every open stream: clients see a clean end and reconnect (to the next server) with their last id. */
export function endAllStreams(streams: Set<EventStream>): void {
  for (const s of streams) s.end();
}

/**
 * GET /api/events and GET /api/tasks/:id/events. A stream stays open after its task finishes:
 * a retry or resume of the task writes new events later, and EventSource would reconnect anyway.
 */
export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, opts) => {
  const streams = app.eventStreams;

  /** The header wins: EventSource sends it on reconnect while its URL still has the first query. */
  const afterId = (req: FastifyRequest): number => {
    // Node has already dropped the whitespace around a header's value (RFC 9110 OWS); an empty
    // header is no id at all, as EventSource sends none before its first id.
    const header = req.headers["last-event-id"];
    if (typeof header === "string" && header !== "") {
      const r = LastId.safeParse(header);
      if (!r.success) throw new AppError("invalid_query", `Last-Event-ID: ${r.error.issues[0]?.message}`);
      return r.data;
    }
    return parseOr("invalid_query", Query, req.query).lastEventId ?? 0;
  };
  const filters = (req: FastifyRequest) => {
    const q = parseOr("invalid_query", Query, req.query);
    const output =
      q.output === "all" || q.output === undefined ? undefined : q.output === "none" ? [] : q.output;
    return {
      ...(output && { outputOf: new Set(output) }),
      once: q.once === "1" || q.once === "true",
      partial: q.partial === "1" || q.partial === "true",
    };
  };

  const open = (req: FastifyRequest, reply: FastifyReply, taskId?: string) => {
    const after = afterId(req);
    const { outputOf, once, partial } = filters(req);
    if (taskId !== undefined && !app.repos.tasks.get(taskId)) {
      throw new AppError("task_not_found", `No task with id ${taskId}`);
    }
    // HEAD gets the stream's headers and nothing else: it must not hold a stream slot.
    if (req.method === "HEAD") {
      return reply.type("text/event-stream; charset=utf-8").header("cache-control", "no-cache").send();
    }
    const max = app.config.sseMaxConnections;
    if (streams.size >= max) {
      throw new AppError(
        "too_many_streams",
        `${streams.size} event streams are already open (LOOP_SSE_MAX_CONNECTIONS=${max}); close some tabs or raise the limit`,
      );
    }
    reply.hijack();
    const stream = new EventStream({
      res: reply.raw,
      events: app.repos.events,
      bus: app.bus,
      afterId: after,
      heartbeatMs: app.config.sseHeartbeatMs,
      drainTimeoutMs: opts.drainTimeoutMs ?? 30_000,
      pageSize: opts.pageSize ?? 500,
      maxQueued: opts.maxQueued ?? 2_000,
      retryMs: opts.retryMs ?? 2_000,
      onClose: (s) => streams.delete(s),
      ...(taskId !== undefined && { taskId }),
      ...(outputOf && taskId === undefined && { outputOf }),
      once,
      partial,
    });
    streams.add(stream);
  };

  app.get("/events", async (req, reply) => open(req, reply));

  app.get("/tasks/:id/events", async (req, reply) => {
    const { id } = parseOr("invalid_query", IdParams, req.params);
    return open(req, reply, id);
  });
};
