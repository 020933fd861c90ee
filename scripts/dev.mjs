// `pnpm dev`: the API server and Vite with HMR (Vite proxies /api to the server).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "./server-flags.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const children = [
  spawn(process.execPath, [...SERVER_NODE_FLAGS, "--watch", `${root}apps/server/src/server.ts`], {
    stdio: "inherit",
    env: process.env,
  }),
  spawn("pnpm", ["--filter", "@loop/web", "dev"], { stdio: "inherit", cwd: root, env: process.env }),
];
const stop = (signal) => {
  for (const c of children) c.kill(signal);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
for (const c of children)
  c.on("exit", (code) => {
    stop("SIGTERM");
    process.exitCode = code ?? 0;
  });
