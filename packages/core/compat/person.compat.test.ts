import type { Finding, LoopEvent, Note, Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

/**
 * The person in the loop with the real CLIs: notes reach claude's and codex's prompts verbatim (as the
 * model server received them), a dismissed finding is marked so in codex's prompt and stays
 * dismissed when codex repeats it, and step mode pauses after iteration 1 until a resume.
 */
describe("the person in the loop with the real CLIs", () => {
  const suite = compatSuite();

  it("notes (one while claude runs, one with resume), a dismissed finding, step mode", async () => {
    const { loop } = suite;
    const wd = loop.workdir({ git: true, files: { "README.md": "# demo\n" } });
    const ask = "Add a greeting module [person-in-the-loop]";
    const whileRunning =
      "While you were working: name the file greet.txt, *not* hello.txt — keep `it` short.";
    const withResume = "Resume note: the README example is out of scope.\nSecond line, verbatim.";
    const finding2 = "README.md has no usage example; add one.";
    loop.model.script({
      claude: [
        {
          match: ask,
          times: 1,
          // A slow first turn: the note is given while claude runs.
          replies: [{ tool: { bash: "sleep 4" } }, { text: "Wrote greet.txt." }],
        },
        { match: ask, replies: [{ text: "Kept greet.txt; left the README alone as you said." }] },
      ],
      codex: [
        {
          match: "Wrote greet.txt.",
          times: 1,
          replies: [
            { text: `STATUS: ISSUES_FOUND\n- greet.txt is missing a trailing newline.\n- ${finding2}` },
          ],
        },
        {
          match: "left the README alone",
          times: 1,
          replies: [{ text: `STATUS: ISSUES_FOUND\n- [F2] ${finding2}\n\nSTILL OPEN: none` }],
        },
        { match: ask, replies: [{ text: "STATUS: DONE" }] },
      ],
    });

    const created = await loop.api<{ task: Task }>("/api/tasks", {
      method: "POST",
      body: { title: "person", prompt: ask, workingDir: wd, maxIterations: 4, pauseAfterIteration: true },
    });
    expect(created.status).toBe(201);
    const id = created.body.task.id;
    await loop.model.waitForRequest((r) => r.api === "claude" && r.prompt.includes(ask), 60_000);
    const n1 = await loop.api<{ note: Note }>(`/api/tasks/${id}/notes`, {
      method: "POST",
      body: { text: whileRunning },
    });
    expect(n1.status).toBe(201);
    expect(n1.body.note.forIteration).toBe(1);

    // Step mode: paused after iteration 1.
    const paused = await loop.waitForTask(
      id,
      (t) => t.status !== "queued" && t.status !== "running",
      120_000,
    );
    expect(paused.task).toMatchObject({
      status: "paused",
      statusReason: "Waiting for you after iteration 1: 2 open findings",
    });
    const codexTurns = () => loop.model.calls("codex").filter((r) => r.step === 0 && r.prompt.includes(ask));
    const claudeTurns = () =>
      loop.model.calls("claude").filter((r) => r.step === 0 && r.prompt.includes(ask));
    // The note given while claude ran: in that iteration's codex review prompt, not in claude's first.
    expect(claudeTurns()[0]!.prompt).not.toContain(whileRunning);
    expect(codexTurns()[0]!.prompt).toContain(whileRunning);

    const dis = await loop.api<{ finding: Finding }>(`/api/tasks/${id}/findings/F2`, {
      method: "PATCH",
      body: { status: "dismissed", reason: "Docs are another task." },
    });
    expect(dis.body.finding.status).toBe("dismissed");
    const resumed = await loop.api(`/api/tasks/${id}/resume`, { method: "POST", body: { note: withResume } });
    expect(resumed.status).toBe(200);

    // Iteration 2 repeats the dismissed finding: it stays dismissed; step mode waits again.
    const again = await loop.waitForTask(
      id,
      (t) => t.status !== "queued" && t.status !== "running" && t.currentIteration === 2,
      120_000,
    );
    expect(again.task.statusReason).toBe("Waiting for you after iteration 2: 0 open findings");
    const claude2 = claudeTurns()[1]!.prompt;
    const codex2 = codexTurns()[1]!.prompt;
    expect(claude2).toContain(whileRunning);
    expect(claude2).toContain(withResume);
    expect(codex2).toContain(withResume);
    expect(codex2).toContain('**F2** (dismissed by the user: "Docs are another task.")');
    expect(codex2).toContain("**F1** (reported in iteration 1)");
    const detail = await loop.api<{ findings: Finding[] }>(`/api/tasks/${id}`);
    expect(detail.body.findings.map((f) => `${f.id}:${f.status}`)).toEqual(["F1:resolved", "F2:dismissed"]);

    // A resume with a note finishes it.
    await loop.api(`/api/tasks/${id}/resume`, { method: "POST", body: { note: "Finish up." } });
    const done = await loop.waitForTask(id, (t) => t.status === "done", 120_000);
    expect(done.task.statusReason).toBe("Codex reported STATUS: DONE in iteration 3");
    expect(claudeTurns()[2]!.prompt).toContain("Finish up.");
    expect(codexTurns()[2]!.prompt).toContain("Finish up.");
    const events: LoopEvent[] = await loop.events(id);
    expect(events.filter((e) => e.type === "note.added").map((e) => e.iteration)).toEqual([1, 2, 3]);
  }, 300_000);
});
