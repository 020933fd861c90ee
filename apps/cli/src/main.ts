#!/usr/bin/env node
// `pnpm loop …` (root package.json) or the `loop` bin: run by Node's type stripping, like the server.
import { api, findServer } from "./client.ts";
import { COMMANDS, readStdin } from "./commands.ts";
import { readEnv } from "./config.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { HELP } from "./usage.ts";

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const run = COMMANDS[name];
  if (!run) throw new CliError(EXIT.usage, `unknown command ${name} (see pnpm loop --help)`);
  const env = readEnv();
  return run(rest, {
    env,
    // Found when a command needs it: bad usage is said even with no server.
    api: () => api(findServer(env)),
    io: {
      out: (l) => process.stdout.write(`${l}\n`),
      terminal: process.stdout.isTTY
        ? { write: (s) => process.stdout.write(s), columns: process.stdout.columns || 80 }
        : undefined,
      err: (l) => process.stderr.write(`${l}\n`),
      stdin: readStdin,
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`loop: ${e.message}\n`);
      process.exitCode = e.code;
    } else {
      process.stderr.write(`loop: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = EXIT.error;
    }
  },
);
