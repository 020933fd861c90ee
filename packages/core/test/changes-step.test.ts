import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestRepositories } from "@loop/db/testing";
import { describe, expect, it, onTestFinished } from "vitest";
import { ArtifactStore } from "../src/artifacts.ts";
import { EventBus } from "../src/events.ts";
import { ChangeTracker } from "../src/loop/changes-step.ts";
import type { RunDeps } from "../src/loop/run-context.ts";
import { resolveSettings } from "../src/settings.ts";

describe("ChangeTracker", () => {
  it("a directory it cannot snapshot is a warning, never a failure of the run", async () => {
    const root = mkdtempSync(join(tmpdir(), "loop-changes-step-"));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const repos = createTestRepositories();
    onTestFinished(() => repos.handle.close());
    const task = repos.tasks.create({
      title: "t",
      prompt: "p",
      workingDir: "/nonexistent/dir",
      maxIterations: 2,
    });
    repos.iterations.start(task.id, 1);
    const bus = new EventBus(repos);
    const silent = { info() {}, warn() {}, error() {} };
    const deps: Omit<RunDeps, "agents"> = {
      repos,
      bus,
      settings: resolveSettings({ artifactsDir: join(root, "loops") }),
      artifacts: new ArtifactStore(join(root, "loops")),
      log: silent,
      closing: new AbortController().signal,
    };
    const tracker = new ChangeTracker({
      deps,
      task,
      taskId: task.id,
      workingDir: task.workingDir,
      signal: new AbortController().signal,
      send: (type, data, n) => bus.send(task.id, n, type, data),
      write: async (fn) => fn(),
    });
    await tracker.before(1);
    await tracker.after(1, null);
    expect(await tracker.summary()).toMatch(/^The working directory could not be read: ENOENT/);

    // Without the row events (iteration.updated follows each stored snapshot).
    const events = repos.events
      .listAfter({ afterId: 0, taskId: task.id, limit: 100 })
      .filter((e) => e.type !== "task.updated" && e.type !== "iteration.updated");
    expect(events.map((e) => e.type)).toEqual([
      "task.warning",
      "task.warning",
      "changes.recorded",
      "changes.recorded",
    ]);
    expect(events[0]?.data).toMatchObject({
      message: expect.stringMatching(
        /^Changes in iteration 1: the working directory could not be snapshotted before/,
      ),
    });
    // The stored snapshot says why; the diff of it says so in NNN-changes.md.
    const stored = repos.iterations.snapshotsOf(task.id, 1);
    expect(stored?.before).toMatchObject({ kind: "unavailable" });
    expect(readdirSync(join(root, "loops", task.id)).sort()).toEqual(["001-changes.md", "changes.md"]);
    expect(await deps.artifacts.read(task.id, "001-changes.md")).toMatch(/could not be read: ENOENT/);
    // The same, as data: what the API sends and the Markdown was rendered from.
    expect(repos.iterations.changesOf(task.id, 1)).toMatchObject({
      title: "Changes in iteration 1",
      kind: "none",
      files: [],
      notes: [expect.stringMatching(/could not be read: ENOENT/)],
    });
    expect(repos.iterations.taskChanges(task.id)).toMatchObject({
      title: "Changes over the whole task",
      kind: "none",
    });
  });
});
