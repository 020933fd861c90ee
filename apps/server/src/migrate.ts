import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openDatabase } from "@loop/db";
import { ConfigError, loadConfig } from "./config.ts";
import { secureStorage } from "./fs-perms.ts";

// `pnpm db:migrate`: apply pending migrations to LOOP_DB_PATH and exit.
try {
  const config = loadConfig();
  mkdirSync(dirname(config.dbPath), { recursive: true });
  secureStorage(config, (m) => process.stderr.write(`loop: warning: ${m}\n`));
  const handle = openDatabase(config.dbPath);
  handle.close();
  process.stdout.write(`loop: migrations applied to ${config.dbPath}\n`);
} catch (e) {
  process.stderr.write(`loop: ${e instanceof ConfigError ? e.message : (e as Error).stack}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
}
