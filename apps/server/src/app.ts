import type { AgentAvailability } from "@loop/core";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Config } from "./config.ts";
import { rawErrorOptions, registerErrorHandling } from "./errors.ts";
import { headersPlugin } from "./plugins/headers.ts";
import { loggingPlugin, QuietRequestLogs } from "./plugins/logging.ts";
import { notifyPlugin } from "./plugins/notify.ts";
import { rateLimitPlugin } from "./plugins/rate-limit.ts";
import { securityPlugin } from "./plugins/security.ts";
import { type ServicesOptions, servicesPlugin } from "./plugins/services.ts";
import { staticPlugin } from "./plugins/static.ts";
import { type EventRoutesOptions, endAllStreams, eventRoutes } from "./routes/events/index.ts";
import type { EventStream } from "./routes/events/stream.ts";
import { type HealthProbe, healthRoutes } from "./routes/health/index.ts";
import { landingRoutes } from "./routes/landing/index.ts";
import { queueRoutes } from "./routes/queue/index.ts";
import { changesRoutes } from "./routes/tasks/changes.ts";
import { taskRoutes } from "./routes/tasks/index.ts";
import { personRoutes } from "./routes/tasks/person.ts";
import { usageRoutes } from "./routes/usage/index.ts";

export interface AppDeps {
  config: Config;
  /** Orchestrator overrides and the sweep method (tests). */
  services?: Omit<ServicesOptions, "config">;
  /** The access token every /api request must carry. */
  token: string;
  logger?: FastifyServerOptions["logger"];
  /** Checks the agent CLIs for /api/health (tests pass a fast one). */
  healthProbe?: HealthProbe;
  /** The CLIs' health, its first check already begun (server.ts); made by the services plugin otherwise. */
  agents?: AgentAvailability;
  /** SSE tunables (tests shorten the drain timeout and the page size). */
  sse?: EventRoutesOptions;
  /** Wait before a failed notification's one retry (tests shorten it; default 1 s). */
  notifyRetryDelayMs?: number;
  /** Serve the SPA from this directory (default apps/web/dist). */
  webRoot?: string;
}

declare module "fastify" {
  interface FastifyInstance {
    config: Config;
  }
}

export const BODY_LIMIT = 256 * 1024;

/** A URL fit for logs: the `token` query parameter replaced. */
export const redactToken = (url: string): string => url.replace(/([?&]token=)[^&#]*/gi, "$1[redacted]");

type Compilers = NonNullable<NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]>;
/**
 * Route schemas are the zod schemas of @loop/shared: they check requests and shape responses. Given
 * as the factories (not set on the instance), Fastify never loads its default compilers, ajv and
 * fast-json-stringify (~15 ms of every start, pnpm bench cold_start_ratio). Fastify types the
 * factories after those defaults; it calls them for a compiler of the shape zod's are.
 */
const zodCompilers = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as Compilers;

/**
 * Builds the ready-to-listen app with its services (database, bus, orchestrator: plugins/services.ts,
 * released on close). Never listens itself: server.ts does, tests use inject() or listen(0).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    // One line per request, at debug: the terminal stays readable at info.
    logController: new QuietRequestLogs(),
    bodyLimit: BODY_LIMIT,
    // Long-lived SSE responses must not be cut by the default request timeouts.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...rawErrorOptions,
    schemaController: { compilersFactory: zodCompilers },
  });
  app.decorate("config", deps.config);
  await app.register(servicesPlugin, {
    config: deps.config,
    ...deps.services,
    ...(deps.healthProbe && { probe: deps.healthProbe }),
    agents: deps.agents,
  });
  await app.register(loggingPlugin);
  if (deps.config.notifyUrl) {
    await app.register(notifyPlugin, {
      url: deps.config.notifyUrl,
      timeoutMs: deps.config.notifyTimeoutMs,
      ...(deps.notifyRetryDelayMs !== undefined && { retryDelayMs: deps.notifyRetryDelayMs }),
    });
  }
  app.decorate("eventStreams", new Set<EventStream>());
  // Before the listener closes: otherwise close() would wait for (or cut) the open streams.
  app.addHook("preClose", async () => endAllStreams(app.eventStreams));

  // JSON only: drop Fastify's default text/plain parser so anything else is a 415.
  app.removeContentTypeParser("text/plain");
  registerErrorHandling(app);
  await app.register(headersPlugin);
  await app.register(securityPlugin, {
    token: deps.token,
    port: () => {
      const a = app.server.address();
      return a && typeof a === "object" ? a.port : undefined;
    },
  });

  await app.register(rateLimitPlugin);
  // routes
  await app.register(taskRoutes, { prefix: "/api" });
  await app.register(personRoutes, { prefix: "/api" });
  await app.register(landingRoutes, { prefix: "/api" });
  await app.register(changesRoutes, { prefix: "/api" });
  await app.register(queueRoutes, { prefix: "/api" });
  await app.register(eventRoutes, { prefix: "/api", ...deps.sse });
  await app.register(healthRoutes, { prefix: "/api" });
  await app.register(usageRoutes, { prefix: "/api" });

  await app.register(staticPlugin, { root: deps.webRoot });
  return app;
}
