import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./helpers.ts";
import { startServer } from "./process.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const DONE = scenario({ claude: [claude.ok("fixed it")], codex: [codex.review("STATUS: DONE")] });

/** Starts the server at the default log level, runs one task to its end, stops the server. */
async function runOneTask(env: Record<string, string>) {
  dir = mkdtempSync(join(tmpdir(), "loop-term-"));
  const wd = join(dir, "work");
  mkdirSync(wd);
  writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(DONE));
  // No LOG_LEVEL: the default a person gets.
  const s = await startServer(dir, { LOG_LEVEL: "", ...env });
  const created = await s.api("/api/tasks", {
    method: "POST",
    body: { title: "Fix the parser", prompt: "p", workingDir: wd, maxIterations: 2 },
  });
  expect(created.status).toBe(201);
  const id = created.json.task.id as string;
  await waitFor(async () => (await s.api(`/api/tasks/${id}`)).json.task.status === "done", 30_000, "done");
  await s.api("/api/tasks");
  await s.api("/api/health");
  await waitFor(() => s.out.stdout.includes("finished: done"), 10_000, "the finished line");
  s.child.kill("SIGTERM");
  expect(await s.exited).toBe(0);
  return { id, lines: s.out.stdout.trimEnd().split("\n"), token: s.token };
}

describe("what the terminal shows (real process, default log level)", () => {
  it("JSON: the URL line first, then one line per lifecycle event with task id and title, no request lines", async () => {
    const { id, lines, token } = await runOneTask({ LOG_FORMAT: "json" });
    expect(lines[0]).toMatch(new RegExp(`^loop is running: http://127\\.0\\.0\\.1:\\d+/\\?token=${token}$`));
    const entries = lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
    const lifecycle = entries.filter((e) => e.taskId === id).map((e) => [e.event, e.title, e.msg]);
    expect(lifecycle).toEqual([
      ["task.created", "Fix the parser", `task ${id} "Fix the parser" queued (${join(dir, "work")})`],
      ["task.started", "Fix the parser", `task ${id} "Fix the parser" started`],
      [
        "task.finished",
        "Fix the parser",
        `task ${id} "Fix the parser" finished: done (Codex reported STATUS: DONE in iteration 1)`,
      ],
    ]);
    // Nothing per request, nothing from Fastify's start-up: the lifecycle and the shutdown note only.
    expect(entries.filter((e) => e.taskId === undefined).map((e) => e.msg)).toEqual([
      "shutting down: no new work, stopping the running agent",
    ]);
  });

  it("pretty: the same events as readable lines, no JSON", async () => {
    const { id, lines } = await runOneTask({ LOG_FORMAT: "pretty" });
    expect(lines[0]).toMatch(/^loop is running: /);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(`^\\d\\d:\\d\\d:\\d\\d task ${id} "Fix the parser" queued \\(.*work\\)$`),
      ),
      expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d task ${id} "Fix the parser" started$`)),
      expect.stringMatching(
        new RegExp(
          `^\\d\\d:\\d\\d:\\d\\d task ${id} "Fix the parser" finished: done \\(Codex reported STATUS: DONE in iteration 1\\)$`,
        ),
      ),
      expect.stringMatching(
        /^\d\d:\d\d:\d\d shutting down: no new work, stopping the running agent signal=SIGTERM$/,
      ),
    ]);
  });
});
