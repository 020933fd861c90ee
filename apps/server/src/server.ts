import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { EventBus, Orchestrator } from "@loop/core";
import { openRepositories } from "@loop/db";
import { buildApp, redactToken } from "./app.ts";
import { type Config, ConfigError, forgetSecrets, loadConfig } from "./config.ts";
import { secureStorage } from "./fs-perms.ts";

/** The only place that listens and handles signals. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`loop: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  forgetSecrets();
  if (config.dbPath !== ":memory:") mkdirSync(dirname(config.dbPath), { recursive: true });
  secureStorage(config, (m) => process.stderr.write(`loop: warning: ${m}\n`));

  const repos = openRepositories(config.dbPath);
  const bus = new EventBus(repos);
  const token = config.token ?? randomBytes(24).toString("base64url");
  const logger = {
    level: config.logLevel,
    // Request logs must not carry the access token (the first visit is /?token=…).
    serializers: {
      req: (req: { method: string; url: string; host?: string }) => ({
        method: req.method,
        url: redactToken(req.url),
        host: req.host,
      }),
    },
  };
  let app: Awaited<ReturnType<typeof buildApp>>;
  const orchestrator = new Orchestrator({
    repos,
    bus,
    settings: {
      claudeBin: config.claudeBin,
      codexBin: config.codexBin,
      claudeArgs: config.claudeArgs,
      codexArgs: config.codexArgs,
      claudePermissionMode: config.claudePermissionMode,
      iterationTimeoutMs: config.iterationTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      killGraceMs: config.killGraceMs,
      maxQueueDepth: config.maxQueueDepth,
      defaultMaxIterations: config.maxIterations,
      artifactsDir: config.artifactsDir,
      stallIterations: config.stallIterations,
      maxOutputBytes: config.maxOutputBytes,
      exitGraceMs: config.exitGraceMs,
    },
    logger: {
      info: (o, m) => app?.log.info(o, m),
      warn: (o, m) => app?.log.warn(o, m),
      error: (o, m) => app?.log.error(o, m),
    },
  });
  app = await buildApp({ config, repos, bus, orchestrator, token, logger });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down: no new work, stopping the running agent");
    const force = setTimeout(() => {
      app.log.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.killGraceMs + 15_000);
    force.unref();
    try {
      await orchestrator.shutdown();
      await app.close();
    } finally {
      repos.handle.close();
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  await app.listen({ host: config.host, port: config.port });
  await orchestrator.start();
  const addr = app.server.address();
  const port = addr && typeof addr === "object" ? addr.port : config.port;
  // The one line a person needs: open it and the cookie is set.
  process.stdout.write(`loop is running: http://127.0.0.1:${port}/?token=${token}\n`);
}

main().catch((err) => {
  process.stderr.write(
    `loop: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
