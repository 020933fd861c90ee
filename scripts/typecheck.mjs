// `pnpm typecheck`: two tsc programs at once — every package but the web app in one (tsconfig.check.json,
// so the code they share is checked once rather than once per package importing it), and the web app
// with its own DOM and bundler settings. Each package's own `pnpm typecheck` still checks it alone.
// Exits 1 when either finds an error.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = (project) =>
  new Promise((done) => {
    const child = spawn(process.execPath, [tsc, "--noEmit", "-p", project], { cwd: root, stdio: "inherit" });
    child.on("exit", (code) => done(code === 0));
    child.on("error", () => done(false));
  });

const results = await Promise.all([run("tsconfig.check.json"), run("apps/web/tsconfig.json")]);
process.exit(results.every(Boolean) ? 0 : 1);
