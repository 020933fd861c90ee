import { describe, expect, it } from "vitest";
import { useLoop } from "./harness.ts";

describe("a model server that goes silent", () => {
  it("claude waits on it; loop's idle timeout stops claude and leaves nothing behind", async () => {
    // Long enough for claude to start on a busy machine; the silence comes after its first tool call.
    const loop = await useLoop({ env: { LOOP_IDLE_TIMEOUT_MS: "6000" } });
    const ask = "Anything [hang]";
    loop.model.script({
      claude: [
        {
          match: ask,
          replies: [{ tool: { bash: "echo before the silence" } }, { text: "never sent", hang: true }],
        },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const { task: t } = await loop.waitForTask(
      task.id,
      (x) => x.status !== "queued" && x.status !== "running",
    );
    expect(t.status).toBe("failed");
    expect(t.statusReason).toMatch(/^claude made no progress for 6 s/);
    expect(loop.model.calls("claude").map((r) => r.step)).toEqual([0, 1]);
    await loop.settle();
  });
});
