import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestRepositories } from "@loop/db/testing";
import { isTerminal, type LoopEvent, type Task } from "@loop/shared";
import { expect, onTestFinished } from "vitest";
import { ArtifactStore } from "../../src/artifacts.ts";
import { EventBus } from "../../src/events.ts";
import type { RunDeps } from "../../src/loop/run-context.ts";
import { TaskRun } from "../../src/loop/task-run.ts";
import { Orchestrator, type SubmitInput } from "../../src/orchestrator.ts";
import { resolveSettings, type Settings } from "../../src/settings.ts";
import { memoryAgents, type Scripts } from "./memory-agents.ts";

const silent = { info() {}, warn() {}, error() {} };

/**
 * The run loop in-process: real SQLite (in memory, the real migrations), a real EventBus and
 * ArtifactStore in a temp dir, and scripted agents (memory-agents.ts) instead of the CLIs. One call
 * per test; everything is closed and removed when the test finishes.
 *
 *   const h = loopHarness({ scripts: { reviewer: ["STATUS: ISSUES_FOUND\n- fix x", "STATUS: DONE"] } });
 *   const task = await h.submit();
 *   expect((await h.ended(task.id)).status).toBe("done");
 */
export function loopHarness(opts: { scripts?: Scripts; settings?: Partial<Settings>; start?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), "loop-core-"));
  const workDir = join(root, "work");
  mkdirSync(workDir);
  const repos = createTestRepositories();
  const bus = new EventBus(repos);
  const agents = memoryAgents(opts.scripts);
  const settings = resolveSettings({ artifactsDir: join(root, "loops"), ...opts.settings });
  const orchestrator = new Orchestrator({ repos, bus, settings, agents });
  onTestFinished(async () => {
    await orchestrator.shutdown();
    bus.close();
    repos.handle.close();
    rmSync(root, { recursive: true, force: true });
  });
  if (opts.start !== false) orchestrator.start();

  const events = (taskId: string): LoopEvent[] =>
    repos.events.listAfter({ afterId: 0, taskId, limit: 100_000 });

  return {
    root,
    workDir,
    repos,
    bus,
    settings,
    orchestrator,
    agents,
    submit: (input: Partial<SubmitInput> = {}) =>
      orchestrator.submit({ title: "t", prompt: "Do the thing.", workingDir: workDir, ...input }),
    /** Waits until the task has ended (a terminal status) and returns it. */
    async ended(taskId: string, statuses: (s: Task["status"]) => boolean = isTerminal): Promise<Task> {
      await expect
        .poll(() => repos.tasks.get(taskId)?.status, { timeout: 5000, interval: 5 })
        .toSatisfy((s: Task["status"] | undefined) => s !== undefined && statuses(s));
      await orchestrator.idle();
      return repos.tasks.get(taskId)!;
    },
    events,
    /** The task's event types in order, without agent output lines. */
    types: (taskId: string) =>
      events(taskId)
        .map((e) => e.type)
        .filter((t) => t !== "agent.output"),
    artifacts: (taskId: string): string[] => {
      try {
        return readdirSync(join(settings.artifactsDir, taskId)).sort();
      } catch {
        return [];
      }
    },
    artifact: (taskId: string, name: string) => new ArtifactStore(settings.artifactsDir).read(taskId, name),
    /**
     * One TaskRun of a task already in the database, without the orchestrator's queue: what it
     * leaves is the run's doing alone.
     */
    async runOnce(task: Task): Promise<Task> {
      const deps: RunDeps = {
        repos,
        bus,
        settings,
        artifacts: new ArtifactStore(settings.artifactsDir),
        log: silent,
        closing: new AbortController().signal,
        agents: agents(task),
      };
      const run = new TaskRun(deps, task);
      await run.execute();
      return repos.tasks.get(task.id)!;
    },
  };
}
