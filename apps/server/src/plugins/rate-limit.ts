import fastifyRateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../errors.ts";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Mutating requests (file, cancel, retry, delete) per client and minute: filing a task starts an
 * agent, so a runaway script must not start hundreds. @fastify/rate-limit adds its hook to each
 * route after the app-level hooks, so a request the security plugin refuses never spends the
 * owner's budget (another site cannot lock the owner out). Register before the routes.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance) => {
    const max = app.config.rateLimitPerMinute;
    await app.register(fastifyRateLimit, {
      max,
      timeWindow: 60_000,
      allowList: (req) => READS.has(req.method),
      errorResponseBuilder: (_req, ctx) =>
        new AppError(
          "rate_limited",
          `More than ${ctx.max} changes in a minute; retry in ${ctx.after} (LOOP_RATE_LIMIT_PER_MINUTE)`,
        ),
    });
  },
  { name: "loop-rate-limit" },
);
