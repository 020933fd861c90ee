import type { EventOf, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const codexCommands = (events: LoopEvent[]) =>
  events
    .filter((e): e is EventOf<"agent.output"> => e.type === "agent.output" && e.data.agent === "codex")
    .filter((e) => e.data.stream === "stdout" && e.data.line.startsWith("{"))
    .map((e) => JSON.parse(e.data.line) as { type: string; item?: { type?: string } })
    .filter((j) => j.type === "item.completed" && j.item?.type === "command_execution")
    .map((j) => j.item as { command: string; exit_code: number; aggregated_output: string });

describe("codex as the worker, with a check", () => {
  const suite = compatSuite();

  it("codex's workspace-write sandbox runs the check command without asking (no allow list needed)", async () => {
    const { loop } = suite;
    const wd = loop.workdir({
      git: true,
      files: {
        "package.json": '{ "type": "module", "private": true }\n',
        "ok.test.mjs": 'import { test } from "node:test";\ntest("ok", () => {});\n',
      },
    });
    const ask = "Run the tests [codex-check]";
    loop.model.script({
      codex: [{ match: ask, replies: [{ tool: { bash: "node --test" } }, { text: "Ran the tests." }] }],
      claude: [{ match: ask, replies: [{ text: "STATUS: DONE" }] }],
    });
    const task = await loop.createTask({
      prompt: ask,
      workingDir: wd,
      maxIterations: 1,
      checkCommand: "node --test",
      worker: "codex",
      reviewer: "claude",
    });
    const { task: done, iterations } = await loop.waitForTask(task.id, finished, 120_000);
    const commands = codexCommands(await loop.events(task.id));
    expect(commands[0]).toMatchObject({ exit_code: 0 });
    expect(commands[0]?.aggregated_output).toMatch(/pass 1/);
    expect(done.status).toBe("done");
    expect(iterations[0]?.check).toMatchObject({ ok: true, exitCode: 0 });
  }, 180_000);
});
