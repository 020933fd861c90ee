import { execFileSync } from "node:child_process";
import type { EventOf, LoopEvent, Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const span = (events: LoopEvent[]) => {
  const ts = (type: string) =>
    Date.parse(
      events.find(
        (e): e is EventOf<"agent.started"> =>
          e.type === type && "agent" in e.data && e.data.agent === "claude",
      )!.ts,
    );
  return { start: ts("agent.started"), end: ts("agent.finished") };
};

describe("LOOP_MAX_PARALLEL=2 with the real CLIs", () => {
  const suite = compatSuite({ env: { LOOP_MAX_PARALLEL: "2" } });

  it("two worktree tasks on one repository run at once and end done, each branch with its own change", async () => {
    const { loop } = suite;
    const repo = loop.workdir({ git: true, files: { "README.md": "# demo\n" } });
    const asks = ["Create a.txt [parallel-a]", "Create b.txt [parallel-b]"];
    loop.model.script({
      claude: asks.map((ask, i) => {
        const file = i === 0 ? "a.txt" : "b.txt";
        // Long enough for the other task's claude to start meanwhile.
        return {
          match: ask,
          replies: [{ tool: { bash: `echo ${file} > ${file} && sleep 4` } }, { text: `Created ${file}.` }],
        };
      }),
      codex: asks.map((ask) => ({ match: ask, replies: [{ text: "STATUS: DONE\nThe file is there." }] })),
    });
    const tasks: Task[] = [];
    for (const ask of asks) {
      const r = await loop.api<{ task: Task }>("/api/tasks", {
        method: "POST",
        body: { title: ask, prompt: ask, workingDir: repo, maxIterations: 2, isolation: "worktree" },
      });
      expect(r.status).toBe(201);
      tasks.push(r.body.task);
    }
    for (const t of tasks) {
      const { task } = await loop.waitForTask(t.id, finished, 120_000);
      expect(task).toMatchObject({
        status: "done",
        statusReason: "Codex reported STATUS: DONE in iteration 1",
      });
    }
    const [a, b] = await Promise.all(tasks.map(async (t) => span(await loop.events(t.id))));
    // The two claude runs overlapped in time.
    expect(a!.start).toBeLessThan(b!.end);
    expect(b!.start).toBeLessThan(a!.end);
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
    expect(git("diff", "--name-only", "main", `loop/${tasks[0]!.id}`)).toBe("a.txt");
    expect(git("diff", "--name-only", "main", `loop/${tasks[1]!.id}`)).toBe("b.txt");
    // The user's checkout is as it was.
    expect(git("status", "--porcelain")).toBe("");
  });
});
