import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventOf, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const jsonLines = (events: LoopEvent[], agent: "claude" | "codex") =>
  events
    .filter((e): e is EventOf<"agent.output"> => e.type === "agent.output" && e.data.agent === agent)
    .filter((e) => e.data.stream === "stdout" && e.data.line.startsWith("{"))
    .map((e) => JSON.parse(e.data.line) as Record<string, unknown>);

describe("swapped roles with the real CLIs: codex works, claude reviews", () => {
  const suite = compatSuite();

  it("ends done after two iterations; codex writes in workspace-write, claude reviews in plan mode", async () => {
    const { loop } = suite;
    const wd = loop.workdir({ git: true, files: { "README.md": "# demo\n" } });
    const ask = "Create hello.txt greeting the world [swapped]";
    loop.model.script({
      codex: [
        {
          match: ask,
          times: 1,
          replies: [{ tool: { bash: "echo hello > hello.txt" } }, { text: "Created hello.txt." }],
        },
        {
          // The resumed thread's new turn carries only what is new: claude's finding.
          match: "make it say hello, world",
          replies: [
            { tool: { bash: "echo 'hello, world' > hello.txt" } },
            { text: "hello.txt now greets the world." },
          ],
        },
      ],
      claude: [
        {
          match: ask,
          times: 1,
          replies: [{ text: "STATUS: ISSUES_FOUND\n- hello.txt: says only hello; make it say hello, world" }],
        },
        { match: ask, replies: [{ text: "STATUS: DONE\nhello.txt greets the world." }] },
      ],
    });

    const task = await loop.createTask({
      prompt: ask,
      workingDir: wd,
      maxIterations: 3,
      worker: "codex",
      reviewer: "claude",
      continueSession: true,
    });
    expect(task).toMatchObject({ worker: "codex", reviewer: "claude" });
    const { task: done, iterations } = await loop.waitForTask(task.id, finished, 90_000);
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Claude reported STATUS: DONE in iteration 2",
      worker: "codex",
      reviewer: "claude",
    });
    expect(iterations.map((i) => i.verdict)).toEqual(["ISSUES_FOUND", "DONE"]);
    // codex's command really ran in the working directory, sandboxed to it but allowed to write.
    expect(readFileSync(join(wd, "hello.txt"), "utf8")).toBe("hello, world\n");

    const events = await loop.events(task.id);
    const started = events.filter((e): e is EventOf<"agent.started"> => e.type === "agent.started");
    expect(started.map((e) => e.data.agent)).toEqual(["codex", "claude", "codex", "claude"]);
    const dir = join(loop.dir, "loops", task.id);
    expect(started[0]!.data.argv).toEqual([
      loop.clis.codex.bin,
      "exec",
      "--sandbox",
      "workspace-write",
      "--skip-git-repo-check",
      "--json",
      "-o",
      join(dir, "001-codex-output.md"),
      "-C",
      wd,
      "-",
    ]);
    expect(started[1]!.data.argv).toEqual([
      loop.clis.claude.bin,
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--include-partial-messages",
      "--permission-mode",
      "plan",
    ]);
    // With continueSession the second iteration continues codex's own thread, in the same sandbox.
    const thread = jsonLines(events, "codex").find((j) => j.type === "thread.started")?.thread_id;
    expect(typeof thread).toBe("string");
    expect(started[2]!.data.argv).toEqual(
      expect.arrayContaining(["--sandbox", "workspace-write", "resume", thread as string, "-"]),
    );
    expect(started[3]!.data.argv).toEqual(expect.arrayContaining(["--permission-mode", "plan"]));
    expect(started[3]!.data.argv).not.toContain("acceptEdits");

    // Artifacts are named by agent, whichever role it plays.
    for (const name of [
      "001-codex-prompt.md",
      "001-codex-output.md",
      "001-claude-prompt.md",
      "001-claude-output.md",
      "002-codex-prompt.md",
      "002-claude-output.md",
    ]) {
      expect(existsSync(join(dir, name)), name).toBe(true);
    }
    expect(await loop.artifact(task.id, "001-claude-output.md")).toMatch(/^STATUS: ISSUES_FOUND/);
    expect(await loop.artifact(task.id, "001-codex-output.md")).toContain("Created hello.txt.");
    // Each CLI got loop's prompt whole on stdin; codex's second turn carries claude's finding.
    const codexTurns = loop.model.calls("codex").filter((r) => r.step === 0);
    const claudeTurns = loop.model.calls("claude").filter((r) => r.step === 0);
    expect(codexTurns).toHaveLength(2);
    expect(claudeTurns).toHaveLength(2);
    expect(codexTurns[0]!.prompt.trim()).toBe((await loop.artifact(task.id, "001-codex-prompt.md")).trim());
    expect(claudeTurns[0]!.prompt.trim()).toBe((await loop.artifact(task.id, "001-claude-prompt.md")).trim());
    expect(codexTurns[1]!.prompt).toContain("make it say hello, world");
    expect(loop.model.requests.filter((r) => r.api !== "other" && r.rule === null)).toEqual([]);
  });

  it("claude as the reviewer cannot write: plan mode refuses its Write, the review still counts", async () => {
    const { loop } = suite;
    const wd = loop.workdir({ git: true, files: { "README.md": "# demo\n" } });
    const ask = "Tidy the README [reviewer-writes]";
    loop.model.script({
      codex: [{ match: ask, replies: [{ text: "The README is tidy." }] }],
      claude: [
        {
          match: ask,
          replies: [
            { tool: { write: { path: join(wd, "fixed-by-reviewer.txt"), content: "no\n" } } },
            { text: "STATUS: DONE\nNothing to fix." },
          ],
        },
      ],
    });
    const task = await loop.createTask({
      prompt: ask,
      workingDir: wd,
      maxIterations: 1,
      worker: "codex",
      reviewer: "claude",
    });
    const { task: done } = await loop.waitForTask(task.id, finished, 90_000);
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Claude reported STATUS: DONE in iteration 1",
    });
    expect(existsSync(join(wd, "fixed-by-reviewer.txt"))).toBe(false);
    // What claude sent back to the model for the Write: an error, not a written file.
    const result = JSON.stringify(loop.model.calls("claude").at(-1)?.body);
    expect(result).toContain(
      `"content":"Cannot write to ${join(wd, "fixed-by-reviewer.txt")} while in plan mode.","is_error":true`,
    );
  });
});
