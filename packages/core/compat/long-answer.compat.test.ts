import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

/** An answer of `bytes` UTF-8 bytes with multi-byte characters and newlines. */
function bigText(bytes: number, seed: string): string {
  const unit = `${seed}: ünïcødé ✓ 😀 line\n- item \`code\` **bold**\n`;
  const text = unit.repeat(Math.floor((bytes - 1) / Buffer.byteLength(unit)));
  return `${text}${"x".repeat(bytes - 1 - Buffer.byteLength(text))}\n`;
}

describe("a very long answer from the real CLIs", () => {
  const suite = compatSuite({ env: { LOOP_MAX_OUTPUT_MB: "64" } });

  for (const [label, bytes] of [
    ["1 MB", 1024 * 1024],
    ["5 MB", 5 * 1024 * 1024],
  ] as const) {
    it(`a ${label} claude answer and a ${label} codex review end done, both artifacts byte-exact`, async () => {
      const { loop } = suite;
      const wd = loop.workdir({ git: true });
      const ask = `Write a long answer [long-${label}]`;
      const answer = `Done.\n${bigText(bytes - 6, "answer")}`;
      const review = `STATUS: DONE\n${bigText(bytes - 13, "review")}`;
      loop.model.script({
        claude: [{ match: ask, replies: [{ text: answer }] }],
        codex: [{ match: ask, replies: [{ text: review }] }],
      });
      const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 1 });
      const { task: done } = await loop.waitForTask(
        task.id,
        (t) => t.status !== "queued" && t.status !== "running",
        180_000,
      );
      expect(done.status, done.statusReason ?? "").toBe("done");
      expect(await loop.artifact(task.id, "001-claude-output.md")).toBe(answer);
      expect(await loop.artifact(task.id, "001-codex-output.md")).toBe(review);
    }, 240_000);
  }
});
