import { describe, expect, it } from "vitest";
import { landedText } from "../src/features/landing/BranchPanel.tsx";

const task = { worktree: { path: "/w", branch: "loop/01ABC" } };
const at = "2026-01-02T03:04:05.000Z";

describe("the Branch panel's landed line", () => {
  it("names the mode, the base and the commit; a discard names the branch's last tip", () => {
    const commit = "0123456789abcdef0123";
    expect(landedText(task, { commit, mode: "squash", at, base: "main" })).toMatch(
      /^Squashed into main as 0123456789ab on .+\.$/,
    );
    expect(landedText(task, { commit, mode: "merge", at, base: "dev" })).toMatch(
      /^Merged into dev as 0123456789ab/,
    );
    expect(landedText(task, { commit, mode: "discard", at, base: null })).toMatch(
      /^Discarded loop\/01ABC \(it was at 0123456789ab\) on /,
    );
  });
});
