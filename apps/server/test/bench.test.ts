/**
 * `pnpm bench`'s bookkeeping, not its figures (timing belongs in the bench, never in a test): the
 * target logic, and that one cheap measure run for real writes a valid bench/results.json entry.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type BenchResult, meets, toResult } from "../../../scripts/bench/results.mjs";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const measure = { name: "x_ms", unit: "ms", op: "<" as const, target: 25, digits: 1 };

describe("bench results", () => {
  it("passes a figure only when it meets its target, and never a missing or wrong one", () => {
    expect(meets(24.9, "<", 25)).toBe(true);
    expect(meets(25, "<", 25)).toBe(false);
    expect(meets(25, "<=", 25)).toBe(true);
    expect(meets(null, "<=", 25)).toBe(false);
    expect(meets(Number.NaN, "<=", 25)).toBe(false);
    // A speed-up is a floor.
    expect(meets(3.2, ">=", 3.2)).toBe(true);
    expect(meets(3.1, ">=", 3.2)).toBe(false);
    expect(toResult(measure, { value: 3.1234 })).toEqual({
      name: "x_ms",
      value: 3.1,
      unit: "ms",
      target: 25,
      op: "<",
      pass: true,
    });
    expect(toResult(measure, { value: 3, ok: false, note: "lines lost" })).toMatchObject({
      pass: false,
      note: "lines lost",
    });
    expect(toResult(measure, { value: null, note: "refused (400)" })).toMatchObject({
      value: null,
      pass: false,
    });
    expect(toResult(measure)).toMatchObject({ value: null, pass: false, note: "not measured" });
  });

  it("`bench --only spa_js_gzip_kb` writes one valid entry; an unknown name is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-bench-test-"));
    try {
      const out = join(dir, "results.json");
      const r = spawnSync(process.execPath, ["scripts/bench.mjs", "--only", "spa_js_gzip_kb", "--out", out], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 110_000,
      });
      const file = JSON.parse(readFileSync(out, "utf8")) as { results: BenchResult[]; node: string };
      expect(file.node).toBe(process.versions.node);
      expect(file.results).toHaveLength(1);
      const [entry] = file.results;
      expect(entry).toMatchObject({ name: "spa_js_gzip_kb", unit: "KB", target: 150, op: "<=" });
      expect(typeof entry!.value).toBe("number");
      expect(entry!.value).toBeGreaterThan(0);
      expect(entry!.pass).toBe(entry!.value! <= 150);
      expect(r.status).toBe(entry!.pass ? 0 : 1);
      expect(r.stdout).toMatch(/spa_js_gzip_kb/);

      const bad = spawnSync(process.execPath, ["scripts/bench.mjs", "--only", "nope"], {
        cwd: ROOT,
        encoding: "utf8",
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown measure nope/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
