import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventOf, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const claudeArgv = (events: LoopEvent[]) =>
  events
    .filter((e): e is EventOf<"agent.started"> => e.type === "agent.started" && e.data.agent === "claude")
    .map((e) => e.data.argv);

/** A tiny repository whose `node --test` fails until sum.mjs adds instead of subtracting. */
const REPO = {
  "package.json": '{ "name": "tiny", "type": "module", "private": true }\n',
  "sum.mjs": "export const sum = (a, b) => a - b;\n",
  "sum.test.mjs": [
    'import assert from "node:assert/strict";',
    'import { test } from "node:test";',
    'import { sum } from "./sum.mjs";',
    'test("sum adds", () => assert.equal(sum(2, 3), 5));',
    "",
  ].join("\n"),
};

describe("loop's check with the real CLIs", () => {
  const suite = compatSuite();

  it("done means verified: a DONE on failing tests goes on; claude runs the check itself (allowed), fixes, and the passing check ends it", async () => {
    const { loop } = suite;
    const wd = loop.workdir({ git: true, files: REPO });
    const ask = "Make sum add its arguments [check]";
    loop.model.script({
      claude: [
        {
          // Iteration 2: its prompt leads with the failing check.
          match: "## The check failed in iteration 1",
          replies: [
            { tool: { bash: "node --test" } },
            {
              tool: {
                write: { path: join(wd, "sum.mjs"), content: "export const sum = (a, b) => a + b;\n" },
              },
            },
            { tool: { bash: "node --test" } },
            { text: "sum.mjs now adds; node --test passes." },
          ],
        },
        { match: ask, replies: [{ text: "Looked at sum.mjs; it seems fine." }] },
      ],
      codex: [{ match: ask, replies: [{ text: "STATUS: DONE" }] }],
    });

    const task = await loop.createTask({
      prompt: ask,
      workingDir: wd,
      maxIterations: 3,
      checkCommand: "node --test",
    });
    const { task: done, iterations } = await loop.waitForTask(task.id, finished, 120_000);
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 2",
    });
    expect(iterations.map((i) => [i.verdict, i.check?.ok, i.check?.exitCode])).toEqual([
      ["ISSUES_FOUND", false, 1],
      ["DONE", true, 0],
    ]);
    expect(readFileSync(join(wd, "sum.mjs"), "utf8")).toContain("a + b");

    // The failure's output reached both prompts of iteration 1 → 2: codex's review, claude's next turn.
    const codexTurns = loop.model.calls("codex").filter((r) => r.step === 0);
    const claudeTurns = loop.model.calls("claude").filter((r) => r.step === 0);
    expect(codexTurns[0]!.prompt).toContain(
      "loop ran the check `node --test` in the working directory: it exited with code 1",
    );
    expect(codexTurns[0]!.prompt).toMatch(/fail 1/);
    expect(claudeTurns[1]!.prompt).toMatch(/^## The check failed in iteration 1/);
    expect(claudeTurns[1]!.prompt).toMatch(/fail 1/);
    expect(codexTurns[1]!.prompt).toMatch(/it exited with code 0 \(.*\)\. It passed\./);

    // claude really ran `node --test` itself: allowed by --allowedTools, never "requires approval".
    for (const argv of claudeArgv(await loop.events(task.id))) {
      expect(argv.slice(argv.indexOf("--allowedTools"), argv.indexOf("--allowedTools") + 2)).toEqual([
        "--allowedTools",
        "Bash(node --test:*)",
      ]);
    }
    const fixTurn = loop.model
      .calls("claude")
      .filter((r) => r.prompt === claudeTurns[1]!.prompt && r.step > 0)
      .map((r) => JSON.stringify(r.body));
    expect(fixTurn).toHaveLength(3);
    expect(fixTurn[0]).not.toMatch(/requires approval/i);
    expect(fixTurn[0]).toMatch(/fail 1/);
    expect(fixTurn[2]).toMatch(/pass 1/);
    expect(await loop.artifact(task.id, "001-check.md")).toContain("- Exit code: 1");
  }, 180_000);
});
