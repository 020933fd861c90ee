// `pnpm test:compat`: the compatibility suite (packages/core/compat) against the pinned claude and
// codex. `pnpm test:compat --latest`: installs the newest published versions into a cache directory,
// runs the same suite against them and against the pinned ones, and prints which scenarios changed.
// Exits 1 when a scenario fails with the CLIs under test.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = { claude: "@anthropic-ai/claude-code", codex: "@openai/codex" };
const pinned = JSON.parse(readFileSync(join(root, "packages/core/package.json"), "utf8")).devDependencies;
const args = process.argv.slice(2);
const latest = args.includes("--latest");
const passThrough = args.filter((a) => a !== "--latest");

if (!latest) {
  const r = spawnSync("pnpm", ["vitest", "run", "--project", "compat", ...passThrough], {
    cwd: root,
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}

const pnpm = (argv, opts = {}) => {
  const r = spawnSync("pnpm", argv, { cwd: root, encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`pnpm ${argv.join(" ")} failed:\n${r.stdout ?? ""}${r.stderr ?? ""}`);
  return (r.stdout ?? "").trim();
};

const newest = Object.fromEntries(
  Object.entries(PACKAGES).map(([agent, pkg]) => [
    agent,
    pnpm(["view", pkg, "dist-tags.latest"]).split("\n").at(-1),
  ]),
);
for (const agent of Object.keys(PACKAGES)) {
  console.log(`${agent}: pinned ${pinned[PACKAGES[agent]]}, newest ${newest[agent]}`);
}

// One cache directory per pair of versions, outside the checkout: installed once, reused after.
const cacheRoot =
  process.env.LOOP_COMPAT_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "loop-compat");
const dir = join(cacheRoot, `claude-${newest.claude}_codex-${newest.codex}`);
const installed = Object.values(PACKAGES).every((p) =>
  existsSync(join(dir, "node_modules", p, "package.json")),
);
if (!installed) {
  console.log(`installing the newest CLIs into ${dir}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ private: true }, null, 2)}\n`);
  pnpm(
    [
      "add",
      "--dir",
      dir,
      `--allow-build=${PACKAGES.claude}`,
      `${PACKAGES.claude}@${newest.claude}`,
      `${PACKAGES.codex}@${newest.codex}`,
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
}

const reports = mkdtempSync(join(tmpdir(), "loop-compat-report-"));
/** Runs the suite, returns { "file > scenario": { status, message } }. */
function run(label, env) {
  const out = join(reports, `${label}.json`);
  console.log(`\n── ${label} ──`);
  spawnSync(
    "pnpm",
    [
      "vitest",
      "run",
      "--project",
      "compat",
      "--reporter=dot",
      "--reporter=json",
      `--outputFile.json=${out}`,
      ...passThrough,
    ],
    { cwd: root, stdio: "inherit", env: { ...process.env, ...env } },
  );
  if (!existsSync(out)) throw new Error(`the ${label} run wrote no report`);
  const report = JSON.parse(readFileSync(out, "utf8"));
  const results = {};
  for (const file of report.testResults) {
    const name = file.name.slice(file.name.indexOf("compat/") + 7);
    for (const t of file.assertionResults) {
      results[`${name} > ${t.fullName}`] = {
        status: t.status,
        message: (t.failureMessages ?? []).join("\n").split("\n").slice(0, 6).join("\n"),
      };
    }
  }
  return results;
}

const base = run(`pinned (claude ${pinned[PACKAGES.claude]}, codex ${pinned[PACKAGES.codex]})`, {});
const next = run(`newest (claude ${newest.claude}, codex ${newest.codex})`, { LOOP_COMPAT_CLI_DIR: dir });
rmSync(reports, { recursive: true, force: true });

const changed = [];
for (const name of new Set([...Object.keys(base), ...Object.keys(next)])) {
  const a = base[name]?.status ?? "missing";
  const b = next[name]?.status ?? "missing";
  if (a !== b) changed.push({ name, a, b, message: next[name]?.message ?? "" });
}
const failing = Object.entries(next).filter(([, r]) => r.status === "failed");
console.log("\n── drift ──");
if (changed.length === 0) console.log("no scenario changed between the pinned and the newest CLIs");
for (const c of changed) {
  console.log(`CHANGED  ${c.name}: ${c.a} with the pinned CLIs, ${c.b} with the newest`);
  if (c.message) console.log(c.message.replace(/^/gm, "           "));
}
if (failing.length === 0) {
  console.log(
    `all ${Object.keys(next).length} scenarios pass with claude ${newest.claude} and codex ${newest.codex}.` +
      (newest.claude !== pinned[PACKAGES.claude] || newest.codex !== pinned[PACKAGES.codex]
        ? " To adopt them: set the versions in packages/core/package.json (devDependencies) and the README's" +
          ' "Tested with" line, then pnpm install.'
        : ""),
  );
}
process.exit(failing.length === 0 ? 0 : 1);
