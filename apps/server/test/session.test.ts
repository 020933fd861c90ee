import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Iteration, Task } from "@loop/shared";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp;
afterEach(() => t?.close());

const PROMPT = "Add a --json flag to the CLI; keep the old output as the default.";

async function file(body: Record<string, unknown>): Promise<Task> {
  const r = await t.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Add a flag", prompt: PROMPT, ...body },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
}

const settled = (id: string, status = ["done", "needs_attention", "failed", "cancelled"]) =>
  waitFor(() => {
    const task = t.repos.tasks.get(id);
    return task && status.includes(task.status) ? task : undefined;
  }, 120_000);

/** What the fake claude got in its k-th call (argv, prompt). */
const call = (wd: string, k: number): { argv: string[]; prompt: string } =>
  JSON.parse(readFileSync(join(wd, ".fake-state", `claude-${k}.json`), "utf8"));
const resumed = (argv: string[]) => (argv.includes("--resume") ? argv[argv.indexOf("--resume") + 1] : null);
const artifact = (id: string, name: string) => readFileSync(join(t.config.artifactsDir, id, name), "utf8");
const size = (id: string, name: string) => statSync(join(t.config.artifactsDir, id, name)).size;
const iterations = (id: string): Iteration[] => t.repos.iterations.list(id);
const warnings = (id: string) =>
  t.events(id).flatMap((e) => (e.type === "task.warning" ? [(e.data as { message: string }).message] : []));

/** n iterations: Codex finds something new n-1 times, then DONE. */
const loopOf = (n: number) =>
  scenario({
    claude: Array.from({ length: n }, (_, i) =>
      claude.ok(`Fixed round ${i + 1}: updated cli.ts and its tests.`),
    ),
    codex: [
      ...Array.from({ length: n - 1 }, (_, i) =>
        codex.review(
          `STATUS: ISSUES_FOUND\n- cli.ts:${10 + i}: case ${i + 1} of --json prints the wrong field`,
        ),
      ),
      codex.review("STATUS: DONE"),
    ],
  });

describe("session continuity (continueSession)", () => {
  it("iteration 2 resumes claude's session with a smaller prompt; the bytes are recorded and shown", async () => {
    t = await createTestApp();
    const session = await file({ workingDir: t.workdir(loopOf(3)), maxIterations: 3, continueSession: true });
    const full = await file({ workingDir: t.workdir(loopOf(3)), maxIterations: 3 });
    expect(session.continueSession).toBe(true);
    expect(full.continueSession).toBe(false);
    expect(await settled(session.id)).toMatchObject({ status: "done", currentIteration: 3 });
    expect(await settled(full.id)).toMatchObject({ status: "done", currentIteration: 3 });

    const wd = session.workingDir;
    const first = "00000000-0000-4000-8000-000000000001";
    expect(resumed(call(wd, 1).argv)).toBeNull();
    expect(resumed(call(wd, 2).argv)).toBe(first);
    // The resumed conversation keeps its id, so iteration 3 continues the same one.
    expect(resumed(call(wd, 3).argv)).toBe(first);
    expect(iterations(session.id).map((i) => i.claudeSessionId)).toEqual([first, first, first]);

    // Only what is new: the latest review and the open findings, not the task or the history.
    const p2 = call(wd, 2).prompt;
    expect(p2).toBe(artifact(session.id, "002-claude-prompt.md"));
    expect(p2).toContain("case 1 of --json prints the wrong field");
    expect(p2).toContain("## Open review findings");
    expect(p2).not.toContain(PROMPT);
    expect(p2).not.toContain("Earlier iterations");

    const s = iterations(session.id);
    const f = iterations(full.id);
    for (const [id, its] of [
      [session.id, s],
      [full.id, f],
    ] as const) {
      for (const i of its) {
        const nnn = String(i.n).padStart(3, "0");
        expect(i.claudePromptBytes).toBe(size(id, `${nnn}-claude-prompt.md`));
        expect(i.codexPromptBytes).toBe(size(id, `${nnn}-codex-prompt.md`));
      }
    }
    expect(s[0]!.claudePromptBytes).toBe(f[0]!.claudePromptBytes);
    expect(s[1]!.claudePromptBytes!).toBeLessThan(f[1]!.claudePromptBytes!);
    expect(s[2]!.claudePromptBytes!).toBeLessThan(f[2]!.claudePromptBytes!);
    // Codex stays fresh: no history.
    expect(s[2]!.codexPromptBytes!).toBeLessThan(f[2]!.codexPromptBytes!);

    const detail = (await t.api({ url: `/api/tasks/${session.id}` })).json();
    expect(detail.task.continueSession).toBe(true);
    expect(detail.iterations[1]).toMatchObject({ claudePromptBytes: s[1]!.claudePromptBytes });
    const result = artifact(session.id, "result.md");
    expect(result).toContain(`| ${s[1]!.claudePromptBytes} / ${s[1]!.codexPromptBytes} |`);
    expect(result).toMatch(/- Prompts: \d+ bytes sent \(session mode/);
  });

  it("falls back to the full-history prompt in the same iteration when claude has lost the session", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        // The first session is not kept, so `--resume` of it finds no conversation.
        claude: [claude.ok("Did part 1", { noPersist: true }), claude.ok("Did part 2")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- part 2 missing"), codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 3, continueSession: true });
    expect(await settled(task.id)).toMatchObject({ status: "done", currentIteration: 2 });

    const lost = "00000000-0000-4000-8000-000000000001";
    expect(resumed(call(wd, 2).argv)).toBe(lost);
    expect(resumed(call(wd, 3).argv)).toBeNull();
    expect(warnings(task.id)).toContainEqual(
      expect.stringContaining(
        `Claude's session ${lost} could not be resumed: claude exited with code 1: No conversation found with session ID: ${lost}`,
      ),
    );
    const sent = call(wd, 3).prompt;
    expect(sent).toBe(artifact(task.id, "002-claude-prompt.md"));
    expect(sent).toContain(PROMPT);
    expect(sent).toContain("Earlier iterations");
    const it2 = iterations(task.id)[1]!;
    expect(it2).toMatchObject({ status: "done", claudeSessionId: "00000000-0000-4000-8000-000000000003" });
    expect(it2.claudePromptBytes).toBe(Buffer.byteLength(sent));
  });

  it("full-history mode (the default) never resumes and quotes the history; LOOP_CONTINUE_SESSION=1 flips the default", async () => {
    t = await createTestApp();
    const task = await file({ workingDir: t.workdir(loopOf(2)), maxIterations: 2 });
    expect(await settled(task.id)).toMatchObject({ status: "done" });
    expect([1, 2].map((k) => resumed(call(task.workingDir, k).argv))).toEqual([null, null]);
    const p2 = call(task.workingDir, 2).prompt;
    expect(p2).toContain(PROMPT);
    expect(p2).toContain("## Earlier iterations");
    expect(p2).toContain("Fixed round 1");
    await t.close();

    t = await createTestApp({ LOOP_CONTINUE_SESSION: "1" });
    const byDefault = await file({ workingDir: t.workdir(loopOf(2)), maxIterations: 2 });
    const optedOut = await file({
      workingDir: t.workdir(loopOf(2)),
      maxIterations: 2,
      continueSession: false,
    });
    expect([byDefault.continueSession, optedOut.continueSession]).toEqual([true, false]);
    await settled(byDefault.id);
    await settled(optedOut.id);
    expect(resumed(call(byDefault.workingDir, 2).argv)).not.toBeNull();
    expect(resumed(call(optedOut.workingDir, 2).argv)).toBeNull();

    const bad = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "x", prompt: "y", workingDir: optedOut.workingDir, continueSession: "yes" },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "invalid_body" });
    expect(bad.json().error.message).toContain("continueSession must be a boolean");
  });

  it("a failed task resumed in session mode continues the last known session", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("Did part 1"), claude.exit(1, "claude crashed"), claude.ok("Did part 2")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- part 2 missing"), codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 3, continueSession: true });
    expect(await settled(task.id)).toMatchObject({ status: "failed", currentIteration: 2 });
    const r = await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume`, payload: {} });
    expect(r.statusCode, r.body).toBe(200);
    expect(await settled(task.id, ["done", "failed", "needs_attention"])).toMatchObject({ status: "done" });
    const first = "00000000-0000-4000-8000-000000000001";
    expect(resumed(call(wd, 2).argv)).toBe(first);
    expect(resumed(call(wd, 3).argv)).toBe(first);
    expect(call(wd, 3).prompt).not.toContain(PROMPT);
  });

  it("a 10-iteration loop sends at most half the prompt bytes in session mode", async () => {
    t = await createTestApp({ LOOP_STALL_ITERATIONS: "0" });
    const total = async (continueSession: boolean) => {
      const task = await file({ workingDir: t.workdir(loopOf(10)), maxIterations: 10, continueSession });
      expect(await settled(task.id)).toMatchObject({ status: "done", currentIteration: 10 });
      let bytes = 0;
      for (let n = 1; n <= 10; n++) {
        const nnn = String(n).padStart(3, "0");
        bytes += size(task.id, `${nnn}-claude-prompt.md`) + size(task.id, `${nnn}-codex-prompt.md`);
      }
      const recorded = iterations(task.id).reduce(
        (sum, i) => sum + (i.claudePromptBytes ?? 0) + (i.codexPromptBytes ?? 0),
        0,
      );
      expect(recorded).toBe(bytes);
      return bytes;
    };
    const full = await total(false);
    const session = await total(true);
    const ratio = session / full;
    writeFileSync(join(t.dir, "ratio.txt"), `${full} ${session} ${ratio}`);
    console.info(
      `prompt bytes of 10 iterations: full ${full}, session ${session}, ratio ${ratio.toFixed(3)}`,
    );
    expect(ratio).toBeLessThanOrEqual(0.5);
  }, 300_000);

  it("prompt template files replace the defaults: placeholders filled, in both modes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-tpl-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, "claude.md"),
      "# {{title}} ({{iteration}}/{{maxIterations}})\n\n{{prompt}}\n\n{{history}}\n\n{{review}}\n\nDo it in {{workingDir}}.\n",
    );
    writeFileSync(
      join(dir, "codex.md"),
      "Review {{title}}.\n\n{{claudeOutput}}\n\n{{openFindings}}\n\nSTATUS first.\n",
    );
    t = await createTestApp({
      LOOP_CLAUDE_PROMPT_FILE: join(dir, "claude.md"),
      LOOP_CODEX_PROMPT_FILE: join(dir, "codex.md"),
    });
    const wd = t.workdir(loopOf(2));
    const task = await file({ workingDir: wd, maxIterations: 2, continueSession: true });
    expect(await settled(task.id)).toMatchObject({ status: "done" });
    expect(call(wd, 1).prompt).toBe(`# Add a flag (1/2)\n\n${PROMPT}\n\nDo it in ${wd}.\n`);
    const p2 = call(wd, 2).prompt;
    expect(p2).toMatch(/^# Add a flag \(2\/2\)\n\nAdd a --json flag/);
    expect(p2).toContain("## What Codex found in iteration 1 (verdict: ISSUES_FOUND)");
    expect(p2).not.toContain("Earlier iterations");
    expect(artifact(task.id, "001-codex-prompt.md")).toBe(
      "Review Add a flag.\n\n```text\nFixed round 1: updated cli.ts and its tests.\n```\n\nSTATUS first.\n",
    );
    // The reviewer's {{openFindings}}: the open findings by id, and how to answer about them by id.
    const c2 = artifact(task.id, "002-codex-prompt.md");
    expect(c2).toContain("- **F1** (reported in iteration 1): ");
    expect(c2).toContain("`STILL OPEN: F1, F3`");
  });
});
