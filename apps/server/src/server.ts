import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { agentAvailability } from "./agents.ts";
import { type Config, ConfigError, forgetSecrets, loadConfig } from "./config.ts";
import { secureStorage } from "./fs-perms.ts";
import { LISTENING_MESSAGE, logOutput } from "./log-output.ts";
import { keptToken, removeServerInfo, writeServerInfo } from "./state-files.ts";
import { stopOnSignals } from "./stop-signals.ts";

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
  // The agents inherit the environment: the token must not be in it.
  forgetSecrets();
  // The CLIs' checks are four process starts: begun first, they run while the rest of the server
  // loads (imported below, not above: the modules statically imported here are the few the config
  // and the checks need), the database opens and the app is built, and the first /api/health finds
  // them done (pnpm bench, cold_start_ratio).
  const agents = agentAvailability(config);
  agents.get().catch(() => undefined);
  const [{ buildApp, redactToken }, { InstanceLockedError }] = await Promise.all([
    import("./app.ts"),
    import("@loop/core"),
  ]);
  // Owner-only database and artifacts (0600/0700), created before anything opens them.
  if (config.dbPath !== ":memory:") mkdirSync(dirname(config.dbPath), { recursive: true });
  const warn = (m: string) => process.stderr.write(`loop: warning: ${m}\n`);
  secureStorage(config, warn);
  const token = config.token ?? keptToken(config.dbPath, warn);
  const output = logOutput({
    pretty: config.logFormat === "pretty" || (config.logFormat === "auto" && process.stdout.isTTY === true),
    out: process.stdout,
  });
  const logger = {
    level: config.logLevel,
    stream: output,
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
  try {
    // Opens the database, claims it, stops what a crashed server left running: before listening.
    app = await buildApp({ config, token, logger, agents });
  } catch (e) {
    if (e instanceof InstanceLockedError) {
      process.stderr.write(`loop: ${e.message}\n`);
      process.exit(3);
    }
    throw e;
  }

  // Ctrl-C/SIGTERM: no new work, the running agent's tree is stopped and its task paused, the
  // server file removed, the DB closed, exit 0. A repeat (a second Ctrl-C) does not cut that short.
  // Longest stop: the agent's and its tools' graces, the final write's busy wait, the drain.
  const maxMs = 2 * config.killGraceMs + config.dbBusyTimeoutMs + 15_000;
  stopOnSignals({
    maxMs,
    onStart: (signal) => app.log.info({ signal }, "shutting down: no new work, stopping the running agent"),
    onRepeat: (signal, leftMs) =>
      app.log.warn(
        { signal },
        `still stopping: loop exits once the running agent's processes are gone (at most ${Math.ceil(leftMs / 1000)} s more)`,
      ),
    onError: (err) => app.log.error({ err }, "fatal error; shutting down"),
    onTimeout: (ms) => {
      app.log.error(`could not stop within ${ms} ms; exiting (the next start stops what is left)`);
      removeServerInfo(config.dbPath);
    },
    stop: async () => {
      try {
        await app.close();
      } finally {
        removeServerInfo(config.dbPath);
      }
    },
  });

  await app.listen({ host: config.host, port: config.port, listenTextResolver: () => LISTENING_MESSAGE });
  const addr = app.server.address();
  const port = addr && typeof addr === "object" ? addr.port : config.port;
  const url = `http://127.0.0.1:${port}`;
  writeServerInfo(config.dbPath, { url, token, pid: process.pid, startedAt: new Date().toISOString() });
  // The one line a person needs: open it and the cookie is set. Log lines wait until it is out.
  process.stdout.write(`loop is running: ${url}/?token=${token}\n`);
  output.release();
}

main().catch((err) => {
  process.stderr.write(
    `loop: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
