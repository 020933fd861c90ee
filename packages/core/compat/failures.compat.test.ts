import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EventOf, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite, waitFor } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const parsed = (events: LoopEvent[], agent: "claude" | "codex") =>
  events
    .filter((e): e is EventOf<"agent.output"> => e.type === "agent.output" && e.data.agent === agent)
    .flatMap((e) => (e.data.parsed ? [e.data.parsed] : []));

describe("failures with the real CLIs", () => {
  const suite = compatSuite();

  it("fails on claude's authentication error with claude's own words", async () => {
    const { loop } = suite;
    const ask = "Anything [claude-401]";
    loop.model.script({
      claude: [{ match: ask, replies: [{ error: { status: 401, message: "invalid x-api-key" } }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const { task: t } = await loop.waitForTask(task.id, finished);
    expect(t).toMatchObject({
      status: "failed",
      statusReason: "claude exited with code 1: Invalid API key · Fix external API key",
    });
    // CLAUDE_CODE_MAX_RETRIES=1: claude retries an authentication error once.
    expect(loop.model.calls("claude")).toHaveLength(2);
  });

  it("fails on codex's authentication error with codex's own words", async () => {
    const { loop } = suite;
    const ask = "Anything [codex-401]";
    loop.model.script({
      claude: [{ match: ask, replies: [{ text: "Done." }] }],
      codex: [{ match: ask, replies: [{ error: { status: 401, message: "Incorrect API key provided" } }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const { task: t } = await loop.waitForTask(task.id, finished);
    expect(t.status).toBe("failed");
    expect(t.statusReason).toBe(
      `codex exited with code 1: unexpected status 401 Unauthorized: Incorrect API key provided, url: ${loop.model.url}/v1/responses`,
    );
  });

  it("claude waits out a 429 as retry-after says, then goes on", async () => {
    const { loop } = suite;
    const ask = "Anything [claude-429]";
    loop.model.script({
      claude: [
        {
          match: ask,
          times: 1,
          replies: [
            {
              error: {
                status: 429,
                message: "Number of requests has exceeded your rate limit",
                retryAfter: 2,
              },
            },
          ],
        },
        { match: ask, replies: [{ text: "Done after the wait." }] },
      ],
      codex: [{ match: ask, replies: [{ text: "STATUS: DONE" }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const events = await loop.events(task.id);
    expect(events.at(-1)).toMatchObject({ type: "task.finished", data: { status: "done" } });
    const [first, second] = loop.model.calls("claude");
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);
    expect(parsed(events, "claude")).toContainEqual({
      kind: "retry",
      text: expect.stringMatching(/^API retry 1\/1 \(rate_limit\b/),
    });
  });

  it("cancel while claude's Bash tool runs a long command leaves no process behind", async () => {
    const { loop } = suite;
    const wd = loop.workdir();
    const ask = "Run the long job [cancel]";
    // A unique duration marks the tool's processes in `ps`.
    const long = "sleep 41.37";
    loop.model.script({
      claude: [
        {
          match: ask,
          replies: [
            { tool: { bash: `echo started > tool-started.txt && ${long} && echo finished` } },
            { text: "Finished." },
          ],
        },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd });
    await waitFor(() => existsSync(join(wd, "tool-started.txt")), 30_000, "the tool to start");
    const toolProcesses = () =>
      execFileSync("ps", ["-A", "-o", "pid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes(long) && !l.includes("ps -A"));
    await waitFor(() => toolProcesses().length > 0, 10_000, "the long command");
    const cancel = await loop.api(`/api/tasks/${task.id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    const { task: t } = await loop.waitForTask(task.id, finished);
    expect(t.status).toBe("cancelled");
    expect(toolProcesses()).toEqual([]);
    expect(existsSync(join(wd, "finished"))).toBe(false);
    const events = await loop.events(task.id);
    const claude = events.find((e): e is EventOf<"agent.started"> => e.type === "agent.started")!;
    expect(() => process.kill(claude.data.pid!, 0)).toThrow();
  });

  it("claude retries a dropped connection and a slow stream is still one answer", async () => {
    const { loop } = suite;
    const ask = "Anything [drop]";
    loop.model.script({
      claude: [
        { match: ask, times: 1, replies: [{ text: "This answer is cut off halfway", drop: true }] },
        { match: ask, replies: [{ text: "Done on the second try, slowly.", chunkDelayMs: 150 }] },
      ],
      codex: [{ match: ask, replies: [{ text: "STATUS: DONE" }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const events = await loop.events(task.id);
    expect(events.at(-1)).toMatchObject({ type: "task.finished", data: { status: "done" } });
    expect(await loop.artifact(task.id, "001-claude-output.md")).toBe("Done on the second try, slowly.\n");
    expect(loop.model.calls("claude")).toHaveLength(2);
    expect(parsed(events, "claude").filter((p) => p.kind === "retry")).toHaveLength(1);
    // Every JSON line the real CLIs printed has a readable form: the log never shows one raw.
    const raw = events.flatMap((e) =>
      e.type === "agent.output" && e.data.stream === "stdout" && !e.data.parsed ? [e.data.line] : [],
    );
    expect(raw).toEqual([]);
  });
});
