import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp;
afterEach(() => t?.close());

async function run(wd: string): Promise<Task> {
  const r = await t.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Long answer", prompt: "Write a lot", workingDir: wd, maxIterations: 1 },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  const id = r.json().task.id as string;
  return taskEnded(t, id, 120_000);
}

const SIZES = [
  ["200 KB", 200 * 1024],
  ["1 MB", 1024 * 1024],
  ["5 MB", 5 * 1024 * 1024],
] as const;

describe("an answer printed on one very long line is read whole", () => {
  for (const [label, bytes] of SIZES) {
    it(`claude: a ${label} answer (assistant message + result line) ends done, its artifact byte-exact`, async () => {
      t = await createTestApp({ LOOP_MAX_OUTPUT_MB: "64" });
      const wd = t.workdir(
        scenario({ claude: [claude.ok("Done.", { bytes })], codex: [codex.review("STATUS: DONE")] }),
      );
      const task = await run(wd);
      expect(task.status, task.statusReason ?? "").toBe("done");
      const printed = readFileSync(join(wd, ".fake-state", "claude-1-answer.txt"));
      expect(printed.length).toBe(bytes);
      const artifact = readFileSync(join(t.config.artifactsDir, task.id, "001-claude-output.md"));
      expect(artifact.equals(printed)).toBe(true);
    }, 180_000);

    it(`codex: a ${label} review (agent_message) ends done, its artifact byte-exact`, async () => {
      t = await createTestApp({ LOOP_MAX_OUTPUT_MB: "64" });
      const wd = t.workdir(
        scenario({
          claude: [claude.ok("Done.")],
          codex: [codex.review("STATUS: DONE", { bytes, noFile: true })],
        }),
      );
      const task = await run(wd);
      expect(task.status, task.statusReason ?? "").toBe("done");
      const printed = readFileSync(join(wd, ".fake-state", "codex-1-answer.txt"));
      expect(printed.length).toBe(bytes);
      const artifact = readFileSync(join(t.config.artifactsDir, task.id, "001-codex-output.md"));
      expect(artifact.equals(printed)).toBe(true);
    }, 180_000);
  }
});
