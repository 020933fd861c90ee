import type { EventOf, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { useLoop } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const started = (events: LoopEvent[]) =>
  events
    .filter((e): e is EventOf<"agent.started"> => e.type === "agent.started" && e.data.agent === "claude")
    .map((e) => e.data.argv);
const resumeOf = (argv: string[]) => (argv.includes("--resume") ? argv[argv.indexOf("--resume") + 1] : null);

describe("session continuity with the real claude", () => {
  it("iteration 2 resumes claude's session: same id, the model gets the earlier turn the prompt no longer repeats", async () => {
    const loop = await useLoop({ env: { LOOP_CONTINUE_SESSION: "1" } });
    const wd = loop.workdir();
    const ask = "Write notes.txt [session]";
    const finding = "notes.txt is missing a title [session-finding]";
    loop.model.script({
      claude: [
        { match: finding, replies: [{ text: "Added the title." }] },
        { match: ask, replies: [{ text: "Wrote notes.txt." }] },
      ],
      codex: [
        { match: "Added the title.", replies: [{ text: "STATUS: DONE" }] },
        { match: ask, replies: [{ text: `STATUS: ISSUES_FOUND\n- ${finding}` }] },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 3 });
    const { task: done, iterations } = await loop.waitForTask(task.id, finished);
    expect(done).toMatchObject({ status: "done", continueSession: true, currentIteration: 2 });

    const [one, two] = iterations;
    expect(one!.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(two!.claudeSessionId).toBe(one!.claudeSessionId);
    const argv = started(await loop.events(task.id));
    expect(argv.map(resumeOf)).toEqual([null, one!.claudeSessionId]);

    // The resumed request carries the first turn (the task) although the prompt sent did not.
    const second = loop.model.calls("claude").find((r) => r.prompt.includes(finding))!;
    const sent = await loop.artifact(task.id, "002-claude-prompt.md");
    expect(second.prompt.trim()).toBe(sent.trim());
    expect(sent).not.toContain(ask);
    expect(JSON.stringify(second.body)).toContain(ask);
    expect(two!.claudePromptBytes!).toBe(Buffer.byteLength(sent));
  });

  it("a session claude did not keep: the real 'No conversation found' answer, then the full prompt in the same iteration", async () => {
    // --no-session-persistence: claude keeps no session, so every --resume finds none.
    const loop = await useLoop({
      env: { LOOP_CONTINUE_SESSION: "1", LOOP_CLAUDE_ARGS: "--no-session-persistence" },
    });
    const wd = loop.workdir();
    const ask = "Write todo.txt [lost-session]";
    loop.model.script({
      claude: [{ match: ask, replies: [{ text: "Wrote todo.txt." }] }],
      codex: [{ match: ask, replies: [{ text: "STATUS: ISSUES_FOUND\n- todo.txt is empty" }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 2 });
    const { task: t, iterations } = await loop.waitForTask(task.id, finished);
    const events = await loop.events(task.id);
    const lost = iterations[0]!.claudeSessionId!;
    expect(started(events).map(resumeOf)).toEqual([null, lost, null]);
    const warning = events.find(
      (e): e is EventOf<"task.warning"> => e.type === "task.warning" && e.data.message.includes(lost),
    );
    expect(warning?.data.message).toContain(`No conversation found with session ID: ${lost}`);
    expect(await loop.artifact(task.id, "002-claude-prompt.md")).toContain("Earlier iterations");
    expect(t).toMatchObject({ status: "needs_attention", currentIteration: 2 });
    expect(iterations[1]).toMatchObject({ status: "done" });
  });
});
