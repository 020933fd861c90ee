import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { WorktreeInfo } from "../src/features/task/WorktreeInfo.tsx";
import { NewTaskForm } from "../src/features/tasks/NewTaskForm.tsx";
import { newTaskBody } from "../src/features/tasks/newTaskBody.ts";

const fields = { title: "t", prompt: "p", workingDir: " /w ", maxIterations: "" };

describe("worktree isolation in the web app", () => {
  it("the new-task form has an unchecked 'Isolate in a git worktree' checkbox", () => {
    const html = renderToStaticMarkup(
      <QueryClientProvider client={new QueryClient()}>
        <NewTaskForm onCreated={() => {}} />
      </QueryClientProvider>,
    );
    const box = html.match(/<input type="checkbox"[^>]*>/)?.[0] ?? "";
    expect(box).toContain('name="isolation"');
    expect(box).not.toContain("checked");
    expect(html).toContain("Isolate in a git worktree");
  });

  it("the checkbox asks for isolation: worktree; unchecked sends no isolation", () => {
    expect(newTaskBody({ ...fields, isolate: true })).toEqual({
      title: "t",
      prompt: "p",
      workingDir: "/w",
      isolation: "worktree",
    });
    expect(newTaskBody({ ...fields, maxIterations: "4", isolate: false })).toEqual({
      title: "t",
      prompt: "p",
      workingDir: "/w",
      maxIterations: 4,
    });
  });

  it("the session checkbox asks for continueSession: true; unchecked leaves it to the server", () => {
    expect(newTaskBody({ ...fields, isolate: false, continueSession: true })).toEqual({
      title: "t",
      prompt: "p",
      workingDir: "/w",
      continueSession: true,
    });
    expect(newTaskBody({ ...fields, isolate: false, continueSession: false })).not.toHaveProperty(
      "continueSession",
    );
  });

  it("the step-mode checkbox asks for pauseAfterIteration: true; unchecked sends nothing", () => {
    expect(newTaskBody({ ...fields, isolate: false, step: true })).toMatchObject({
      pauseAfterIteration: true,
    });
    expect(newTaskBody({ ...fields, isolate: false, step: false })).not.toHaveProperty("pauseAfterIteration");
  });

  it("'Run after' sends after with the chosen task's id; none sends nothing", () => {
    expect(newTaskBody({ ...fields, isolate: false, after: "01ABC" })).toMatchObject({ after: "01ABC" });
    expect(newTaskBody({ ...fields, isolate: false, after: "" })).not.toHaveProperty("after");
  });

  it("the task page names the branch and the worktree's path", () => {
    const worktree = { path: "/data/.loops/.worktrees/01ABC", branch: "loop/01ABC" };
    const html = renderToStaticMarkup(<WorktreeInfo task={{ worktree }} />);
    expect(html).toContain("<code>loop/01ABC</code>");
    expect(html).toContain("<code>/data/.loops/.worktrees/01ABC</code>");
    expect(renderToStaticMarkup(<WorktreeInfo task={{ worktree: null }} />)).toBe("");
  });
});
