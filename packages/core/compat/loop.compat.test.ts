import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventOf, HealthResponse, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compareVersions, TESTED_VERSIONS } from "../src/agents/tested-versions.ts";
import { compatSuite } from "./harness.ts";

const outputs = (events: LoopEvent[], agent: "claude" | "codex") =>
  events.filter((e): e is EventOf<"agent.output"> => e.type === "agent.output" && e.data.agent === agent);
const jsonLines = (events: LoopEvent[], agent: "claude" | "codex") =>
  outputs(events, agent)
    .filter((e) => e.data.stream === "stdout" && e.data.line.startsWith("{"))
    .map((e) => JSON.parse(e.data.line) as Record<string, unknown>);

describe("a loop with the real CLIs", () => {
  const suite = compatSuite();

  it("ends done after two iterations: claude really writes and edits files, codex really reads them", async () => {
    const { loop } = suite;
    const wd = loop.workdir({ git: true, files: { "README.md": "# demo\n" } });
    const ask = "Create hello.txt greeting the world [two-iterations]";
    loop.model.script({
      claude: [
        {
          match: ask,
          times: 1,
          replies: [
            {
              text: "Creating hello.txt.",
              tool: { write: { path: join(wd, "hello.txt"), content: "hello\n" } },
            },
            { text: "Created hello.txt." },
          ],
        },
        {
          match: ask,
          replies: [
            { tool: { bash: "echo 'hello, world' > hello.txt" } },
            { text: "hello.txt now greets the world." },
          ],
        },
      ],
      codex: [
        {
          match: ask,
          times: 1,
          replies: [
            { tool: { bash: "cat hello.txt" } },
            { text: "STATUS: ISSUES_FOUND\n- hello.txt: says only hello; make it say hello, world" },
          ],
        },
        { match: ask, replies: [{ text: "STATUS: DONE" }] },
      ],
    });

    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 3 });
    const { task: done, iterations } = await loop.waitForTask(
      task.id,
      (t) => t.status !== "queued" && t.status !== "running",
    );
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 2",
    });
    expect(iterations.map((i) => i.verdict)).toEqual(["ISSUES_FOUND", "DONE"]);
    expect(readFileSync(join(wd, "hello.txt"), "utf8")).toBe("hello, world\n");

    // Each CLI got loop's prompt on stdin, whole; the second claude turn carries codex's finding.
    const claudeTurns = loop.model.calls("claude").filter((r) => r.step === 0);
    const codexTurns = loop.model.calls("codex").filter((r) => r.step === 0);
    expect(claudeTurns).toHaveLength(2);
    expect(codexTurns).toHaveLength(2);
    expect(claudeTurns[0]!.prompt.trim()).toBe((await loop.artifact(task.id, "001-claude-prompt.md")).trim());
    expect(codexTurns[0]!.prompt.trim()).toBe((await loop.artifact(task.id, "001-codex-prompt.md")).trim());
    expect(claudeTurns[1]!.prompt).toContain("make it say hello, world");
    expect(loop.model.requests.filter((r) => r.api !== "other" && r.rule === null)).toEqual([]);

    // codex ran its command in the working directory (read-only sandbox) and saw claude's file.
    const events = await loop.events(task.id);
    const commands = jsonLines(events, "codex").filter(
      (j) => j.type === "item.completed" && (j.item as { type?: string }).type === "command_execution",
    );
    expect(commands[0]?.item).toMatchObject({ aggregated_output: "hello\n", exit_code: 0 });
    expect(await loop.artifact(task.id, "001-codex-output.md")).toMatch(/^STATUS: ISSUES_FOUND/);
  });

  it("ends at the cap with issues remaining, in a directory that is not a git repository", async () => {
    const { loop } = suite;
    const wd = loop.workdir();
    const ask = "Write a poem [cap]";
    loop.model.script({
      claude: [{ match: ask, replies: [{ text: "Here is a poem." }] }],
      codex: [{ match: ask, replies: [{ text: "STATUS: ISSUES_FOUND\n- the poem does not rhyme" }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 1 });
    const { task: t, iterations } = await loop.waitForTask(
      task.id,
      (x) => x.status !== "queued" && x.status !== "running",
    );
    expect(t).toMatchObject({
      status: "needs_attention",
      statusReason: "Reached the iteration cap (1) with issues remaining",
    });
    expect(iterations.map((i) => i.verdict)).toEqual(["ISSUES_FOUND"]);
  });

  it("a review with no STATUS line: codex exec resume <thread> is asked for the verdict alone", async () => {
    const { loop } = suite;
    const wd = loop.workdir({ git: true, files: { "README.md": "# demo\n" } });
    const ask = "Say hello [reask]";
    loop.model.script({
      claude: [{ match: ask, replies: [{ text: "Said hello." }] }],
      codex: [
        { match: ask, replies: [{ text: "Looks good to me; nothing left to fix." }] },
        { match: "does not start with a STATUS line", replies: [{ text: "STATUS: DONE" }] },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 2 });
    const { task: done, iterations } = await loop.waitForTask(
      task.id,
      (t) => t.status !== "queued" && t.status !== "running",
    );
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
    });
    expect(iterations.map((i) => i.verdict)).toEqual(["DONE"]);

    // The re-ask continued the review's thread: same id, and the model saw the review before it.
    const events = await loop.events(task.id);
    const threads = jsonLines(events, "codex")
      .filter((j) => j.type === "thread.started")
      .map((j) => j.thread_id);
    expect(threads).toHaveLength(2);
    expect(threads[1]).toBe(threads[0]);
    const starts = events.filter((e) => e.type === "agent.started" && e.data.agent === "codex");
    expect((starts[1]!.data as { argv: string[] }).argv).toEqual(
      expect.arrayContaining(["resume", threads[0] as string, "-"]),
    );
    const reask = loop.model.calls("codex").find((r) => r.rule === 1);
    expect(JSON.stringify(reask?.body)).toContain("Looks good to me; nothing left to fix.");
    expect(await loop.artifact(task.id, "001-codex-verdict-output.md")).toBe("STATUS: DONE\n");
  });

  it("health finds both CLIs with their versions; a custom-provider codex is only a warning", async () => {
    const { loop } = suite;
    const r = await loop.api<HealthResponse>("/api/health");
    expect(r.status).toBe(200);
    const { claude, codex } = r.body.agents;
    expect(claude).toMatchObject({
      bin: loop.clis.claude.bin,
      found: true,
      version: `${loop.clis.claude.version} (Claude Code)`,
      loggedIn: true,
      testedVersion: TESTED_VERSIONS.claude,
    });
    expect(codex).toMatchObject({
      bin: loop.clis.codex.bin,
      found: true,
      version: `codex-cli ${loop.clis.codex.version}`,
      loggedIn: false,
      testedVersion: TESTED_VERSIONS.codex,
    });
    // Only with --latest, when npm has a newer CLI than the pinned one.
    for (const [agent, h] of [
      ["claude", claude],
      ["codex", codex],
    ] as const) {
      const v = loop.clis[agent].version;
      expect(h.newerThanTested).toBe(
        compareVersions(v, TESTED_VERSIONS[agent]) > 0
          ? `${agent} ${v} is newer than the tested ${TESTED_VERSIONS[agent]}`
          : undefined,
      );
    }
  });
});
