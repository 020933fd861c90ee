import { classifyStorageError, type StorageFaultKind } from "@loop/db";
import { AppError, describeZodError, ERROR_STATUS, type ErrorCode } from "@loop/shared";
import type { FastifyError, FastifyInstance } from "fastify";
import type { z } from "zod";

export { AppError };

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
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message } });
    }
    // The database or the artifacts folder refused a write: say so, with a status a client can act on.
    const code = String(err.code ?? "");
    const storage = classifyStorageError(
      err,
      code.startsWith("SQLITE") ? app.config.dbPath : `the artifacts folder ${app.config.artifactsDir}`,
    );
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
      return reply
        .status(400)
        .send({ error: { code: "invalid_body", message: `body is not valid JSON: ${err.message}` } });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: "invalid_body", message: err.message } });
    }
    req.log.error({ err }, "unhandled error");
    return reply.status(500).send({
      error: { code: "internal_error", message: `Internal error (request ${req.id}); see the server log.` },
    });
  });
}
