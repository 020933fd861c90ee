import type { Server } from "node:http";
import type { Socket } from "node:net";
import { classifyFault, type StorageFaultKind } from "@loop/db";
import { AppError, describeIssues, describeZodError, ERROR_STATUS, type ErrorCode } from "@loop/shared";
import type { FastifyError, FastifyHttpOptions, FastifyInstance, FastifyReply } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import type { z } from "zod";
import { RAW_RESPONSE_HEADERS } from "./plugins/headers.ts";

export { AppError };

// Not `import … from "node:http"`: its ES-module facade reads every export, and one of them loads
// Node's bundled undici (fetch, WebSocket) — ~60 ms of every start for a table of reason phrases.
const HTTP_REASONS = process.getBuiltinModule("node:http").STATUS_CODES;

/**
 * A route schema refused the request (fastify-type-provider-zod): a bad body is invalid_body, a bad
 * path parameter or query invalid_query, with the sentence describeZodError would say.
 */
function schemaError(err: unknown): { code: ErrorCode; message: string } | undefined {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const issues = err.validation.map((v) => ({
    path: v.instancePath.split("/").filter((k) => k !== ""),
    message: v.message ?? "is not valid",
  }));
  return {
    code: err.validationContext === "body" ? "invalid_body" : "invalid_query",
    message: describeIssues(issues),
  };
}

/** Parses input with a zod schema or throws AppError(code) with a sentence naming each bad field. */
export function parseOr<S extends z.ZodType>(code: ErrorCode, schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new AppError(code, describeZodError(r.error));
  return r.data;
}

const STORAGE_CODES: Record<StorageFaultKind, ErrorCode> = {
  busy: "database_busy",
  full: "storage_full",
  readonly: "storage_readonly",
  io: "storage_error",
};

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_body",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_body",
  FST_ERR_BAD_URL: "bad_request",
  FST_ERR_MAX_PARAM_LENGTH: "uri_too_long",
};

/** Fastify's own 4xx errors without a code of ours, by status. */
const STATUS_CODES: Record<number, ErrorCode> = {
  408: "request_timeout",
  413: "payload_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  429: "rate_limited",
  431: "headers_too_large",
};

/**
 * Requests Node's parser rejects (431 headers too large, 408, malformed lines) never reach Fastify:
 * answer them on the socket in our error shape, with the security headers.
 */
function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "headers_too_large", "The request's headers are larger than the server accepts (16 KiB)"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", "The request took too long to arrive"]
        : [400, "bad_request", "The request is not valid HTTP"];
  this.log.debug({ err: { code: err.code } }, "client error");
  if (socket.writable) {
    const text = JSON.stringify({ error: { code, message } });
    const headers = Object.entries({
      ...RAW_RESPONSE_HEADERS,
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      connection: "close",
    });
    socket.write(
      `HTTP/1.1 ${status} ${HTTP_REASONS[status]}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${text}`,
    );
  }
  socket.destroy();
}

/**
 * Server options for the paths Fastify answers before any hook runs (bad URLs, over-long
 * parameters, unparsable requests), so they too get our shape and headers; and no Node-level Host
 * check, since the security plugin answers a missing Host itself (in JSON).
 */
export const rawErrorOptions = {
  clientErrorHandler,
  frameworkErrors(err: FastifyError, _req: unknown, reply: FastifyReply) {
    const code = FASTIFY_CODES[err.code] ?? "bad_request";
    const message = code === "uri_too_long" ? "A path segment is too long" : "The URL is not valid";
    void reply.headers(RAW_RESPONSE_HEADERS).status(ERROR_STATUS[code]).send({ error: { code, message } });
  },
  http: { requireHostHeader: false },
} satisfies Partial<FastifyHttpOptions<Server>>;

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      const files = err.files && { files: err.files };
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, ...files } });
    }
    const invalid = schemaError(err);
    if (invalid) return reply.status(ERROR_STATUS[invalid.code]).send({ error: invalid });
    // The database or the artifacts folder refused a write: say so, with a status a client can act on.
    const storage = classifyFault(err, { db: app.config.dbPath, artifacts: app.config.artifactsDir });
    if (storage) {
      req.log.warn({ err }, "storage fault");
      const mappedCode = STORAGE_CODES[storage.kind];
      return reply
        .status(ERROR_STATUS[mappedCode])
        .send({ error: { code: mappedCode, message: `${storage.message}; nothing was changed, try again` } });
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) {
      return reply.status(ERROR_STATUS[mapped]).send({ error: { code: mapped, message: err.message } });
    }
    // Malformed JSON comes from the body parser as a SyntaxError with statusCode 400.
    if (err.statusCode === 400 || err instanceof SyntaxError) {
      // Fastify's own message already says "Body is not valid JSON …": say it once.
      const message = /not valid JSON/i.test(err.message)
        ? "The body is not valid JSON"
        : `The body is not valid JSON: ${err.message}`;
      return reply.status(400).send({ error: { code: "invalid_body", message } });
    }
    if (err.statusCode && err.statusCode < 500) {
      const code = STATUS_CODES[err.statusCode] ?? "bad_request";
      return reply.status(err.statusCode).send({ error: { code, message: err.message } });
    }
    req.log.error({ err }, "unhandled error");
    return reply.status(500).send({
      error: { code: "internal_error", message: `Internal error (request ${req.id}); see the server log.` },
    });
  });
}
