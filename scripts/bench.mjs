// `pnpm bench`: loop's speed and memory against targets, measured on the real server (the bundle
// `pnpm start` runs, a child process) with the fake CLIs. Writes bench/results.json — a list of
// {name, value, unit, target, op, pass, note} — prints a table and exits 1 when a target is missed.
// Figures that can be ratios are: each side measured in the same run. How each is taken:
// docs/benchmarks.md.
//
//   pnpm bench                                 every measure (a few minutes of both cores)
//   pnpm bench --only replay_100k_ms,spa_js_gzip_kb
//   pnpm bench --out /tmp/results.json         write elsewhere
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { root } from "./bench/lib.mjs";
import { MEASURES } from "./bench/measures.mjs";
import { toResult } from "./bench/results.mjs";

const { values } = parseArgs({
  options: { only: { type: "string" }, out: { type: "string" }, list: { type: "boolean" } },
});
if (values.list) {
  for (const g of MEASURES) for (const m of g.measures) console.log(m.name);
  process.exit(0);
}
const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined;
const known = new Set(MEASURES.flatMap((g) => g.measures.map((m) => m.name)));
for (const n of only ?? []) {
  if (!known.has(n)) {
    console.error(`bench: unknown measure ${n}; known: ${[...known].join(", ")}`);
    process.exit(2);
  }
}

const results = [];
const work = mkdtempSync(join(tmpdir(), "loop-bench-"));
const started = performance.now();
try {
  for (const group of MEASURES) {
    const wanted = group.measures.filter((m) => !only || only.has(m.name));
    if (!wanted.length) continue;
    const dir = join(work, group.id);
    mkdirSync(dir, { recursive: true });
    let got;
    const t0 = performance.now();
    try {
      got = await group.run(dir);
    } catch (e) {
      // One broken measure must not hide the others' figures.
      got = Object.fromEntries(
        group.measures.map((m) => [m.name, { value: null, note: `failed: ${e?.stack ?? e}` }]),
      );
    }
    process.stderr.write(`bench: ${group.id} took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const m of wanted) {
      results.push(toResult(m, got[m.name]));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const out = values.out ?? join(root, "bench/results.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      node: process.versions.node,
      platform: `${process.platform}/${process.arch}`,
      date: new Date().toISOString(),
      seconds: Math.round((performance.now() - started) / 1000),
      results,
    },
    null,
    2,
  )}\n`,
);

const w = Math.max(...results.map((r) => r.name.length));
console.log(`\nloop bench — Node ${process.versions.node}, ${process.platform}/${process.arch}\n`);
for (const r of results) {
  const v = r.value === null ? "—" : String(r.value);
  console.log(
    `${r.pass ? "ok  " : "FAIL"}  ${r.name.padEnd(w)}  ${`${v} ${r.unit}`.padEnd(14)}  target ${r.op} ${r.target}${r.note ? `  · ${r.note.split("\n")[0]}` : ""}`,
  );
}
console.log(`\nwrote ${out}`);
const failed = results.filter((r) => !r.pass);
if (failed.length) {
  console.error(`\n${failed.length} target(s) missed: ${failed.map((r) => r.name).join(", ")}`);
  process.exit(1);
}
console.log("all targets met");
