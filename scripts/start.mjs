// `pnpm start`: build the SPA if it is missing and the server bundle if it is missing or older than
// its sources, then run the bundle (which applies pending migrations and serves).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "./server-flags.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `loop needs Node >= 22.18 (it runs TypeScript natively); this is Node ${process.versions.node}.`,
  );
  process.exit(1);
}
if (!existsSync(`${root}apps/web/dist/index.html`)) {
  console.log("loop: building the dashboard (first start)…");
  const r = spawnSync("pnpm", ["--filter", "@loop/web", "build"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// After the version check: the build script is plain JavaScript, its esbuild a dev dependency.
const { ensureServerBuilt } = await import("./build-server.mjs");
const bundle = await ensureServerBuilt();
const server = spawn(process.execPath, [...SERVER_NODE_FLAGS, bundle, ...process.argv.slice(2)], {
  stdio: "inherit",
});
// Forward what asks loop to stop, so a signal sent to this process alone reaches the server; exit
// with its code. A terminal's Ctrl-C reaches the server directly as well (one process group), and
// pnpm forwards its own copy here: the server takes repeats as "still stopping", never "exit now"
// (apps/server/src/stop-signals.ts). This process waits for the server's exit whatever it gets.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
