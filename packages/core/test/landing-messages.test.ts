import { emptyUsage, type Finding, type Iteration, type Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { mergeMessage, prBody, withTrailer } from "../src/landing/messages.ts";
import { iterationMessage } from "../src/loop/isolation.ts";

const task = {
  id: "01TASK",
  title: "Add  notes\nnow",
  prompt: "Write notes.txt\nwith two lines",
  status: "done",
  statusReason: "Codex reported STATUS: DONE in iteration 2",
  maxIterations: 5,
  usage: emptyUsage(),
} as Task;
const it2 = (n: number, verdict: Iteration["verdict"]) => ({ n, status: "done", verdict }) as Iteration;
const finding = (id: string, text: string, status: Finding["status"]) =>
  ({ id, text, status, firstIteration: 1, lastIteration: 1 }) as Finding;

describe("landing's words", () => {
  it("the merge message: title, final reason, iterations, findings resolved and open, trailer", () => {
    const m = mergeMessage("squash", {
      task,
      iterations: [it2(1, "ISSUES_FOUND"), it2(2, "DONE")],
      findings: [
        finding("F1", "notes.txt: TWO\nmust be upper", "resolved"),
        finding("F2", "no README", "open"),
      ],
      branch: "loop/01TASK",
      commits: 2,
    });
    expect(m).toBe(
      [
        "Add notes now",
        "",
        "Codex reported STATUS: DONE in iteration 2",
        "",
        "Iterations: 2 (cap 5); the last review: done.",
        "Findings resolved: 1",
        "- F1: notes.txt: TWO must be upper",
        "Findings still open: 1",
        "- F2: no README",
        "",
        "Squashed from loop/01TASK (2 commits) by loop.",
        "",
        "Loop-Task: 01TASK",
        "",
      ].join("\n"),
    );
  });

  it("a message of the user's own keeps loop's trailer, once", () => {
    expect(withTrailer("Notes\n\n", task)).toBe("Notes\n\nLoop-Task: 01TASK\n");
    expect(withTrailer("Notes\n\nLoop-Task: 01TASK", task)).toBe("Notes\n\nLoop-Task: 01TASK\n");
  });

  it("an iteration's commit names the title, the iteration and the verdict", () => {
    expect(iterationMessage(task, 3, { verdict: "ISSUES_FOUND" })).toBe(
      "Add notes now (loop iteration 3, review: issues found)\n\nLoop-Task: 01TASK\nLoop-Iteration: 3\n",
    );
    expect(iterationMessage(task, 1, { unreviewed: "the task ended cancelled" }).split("\n")[0]).toBe(
      "Add notes now (loop iteration 1, not reviewed: the task ended cancelled)",
    );
  });

  it("the PR body quotes the prompt and lists findings and cost per agent", () => {
    const body = prBody({ task, iterations: [it2(1, "DONE")], findings: [finding("F1", "x", "resolved")] });
    expect(body).toContain("> Write notes.txt\n> with two lines\n");
    expect(body).toContain("Resolved (1):\n- **F1** x\n");
    expect(body).toContain("Still open (0):\n- none\n");
    expect(body).toContain("- Claude: $0.0000");
    expect(body).toContain("- Codex: tokens in 0");
  });
});
