// `pnpm dev`: the API server and Vite with HMR (Vite proxies /api to the server).
// Vite runs straight from its bin (no inner pnpm that would print ELIFECYCLE on Ctrl-C), and a stop
// the user asked for (SIGINT, SIGTERM) exits 0 once both children are gone.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "./server-flags.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const children = [
  spawn(process.execPath, [...SERVER_NODE_FLAGS, "--watch", `${root}apps/server/src/server.ts`], {
    stdio: "inherit",
    env: process.env,
  }),
  spawn(process.execPath, [`${root}apps/web/node_modules/vite/bin/vite.js`], {
    stdio: "inherit",
    cwd: `${root}apps/web`,
    env: process.env,
  }),
];
let stopping = false;
const stop = (signal) => {
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
let left = children.length;
for (const c of children)
  c.on("exit", (code, signal) => {
    // One child ending on its own (a crash, a port in use) takes the other down and reports it.
    if (!stopping && (code !== 0 || signal)) process.exitCode = code ?? 1;
    stop("SIGTERM");
    if (--left === 0) process.exit(process.exitCode ?? 0);
  });
