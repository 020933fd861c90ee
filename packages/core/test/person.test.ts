import { AppError } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { reviewLedger } from "../src/loop/review-step.ts";
import { acceptTask, addNote, resumeWithNote, setFinding, steeringContext } from "../src/steering.ts";
import { loopHarness } from "./support/loop-harness.ts";
import { fail } from "./support/memory-agents.ts";

/** The person in the loop: notes, dismissed findings, the reviewer's answer by id, step mode, accept. */

// Codex's review of iteration 1 and its rewording of the test finding in iteration 2 (the case).
const REVIEW_1 = `STATUS: ISSUES_FOUND

1. \`src/slugify.ts:12\` — \`slugify("Crème Brûlée")\` returns \`"crme-brle"\`: the ASCII filter drops accented letters instead of folding them. Normalize with \`s.normalize("NFKD").replace(/[\\u0300-\\u036f]/g, "")\` before filtering.
2. \`src/slugify.ts:20\` — consecutive separators are not collapsed: \`slugify("a  --  b")\` gives \`"a-----b"\`. Collapse runs of \`-\` into one.
3. \`test/slugify.test.ts\` has no case with non-ASCII input, so the accent bug above would not be caught. Add a test for accented titles.`;
const REVIEW_2_REWORDED = `STATUS: ISSUES_FOUND

- Nothing in the suite feeds Unicode titles through the function yet — e.g. "Crème Brûlée" or "naïve café" — so the NFKD folding is unverified; please cover it with an assertion.`;
const REVIEW_2_BY_ID = `STATUS: ISSUES_FOUND

- [F3] Nothing in the suite feeds Unicode titles through the function yet — e.g. "Crème Brûlée" or "naïve café" — so the NFKD folding is unverified; please cover it with an assertion.

STILL OPEN: F3`;

const silent = { info() {}, warn() {}, error() {} };
const steer = (h: ReturnType<typeof loopHarness>) =>
  steeringContext(h.orchestrator, { repos: h.repos, bus: h.bus, log: silent });

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
};

describe("the reviewer's answer by id (the ledger)", () => {
  const first = reviewLedger([], 1, "ISSUES_FOUND", REVIEW_1).ledger;

  it("a reworded finding the reviewer names by id stays one open finding, not 'resolved' plus a new one", () => {
    expect(first.map((f) => f.id)).toEqual(["F1", "F2", "F3"]);
    const step = reviewLedger(first, 2, "ISSUES_FOUND", REVIEW_2_BY_ID);
    const open = step.ledger.filter((f) => f.status === "open");
    expect(open.map((f) => f.id)).toEqual(["F3"]);
    expect(open[0]!.text).toContain("Nothing in the suite feeds Unicode titles");
    expect(open[0]!.text).not.toContain("[F3]");
    expect(open[0]!.streak).toBe(2);
    expect(step.ledger).toHaveLength(3);
    expect(step.resolved).toEqual(["F1", "F2"]);
    expect(step.opened).toEqual([]);
  });

  it("without an answer by id it falls back to matching by similarity (which misses this rewording)", () => {
    const step = reviewLedger(first, 2, "ISSUES_FOUND", REVIEW_2_REWORDED);
    expect(step.ledger.map((f) => `${f.id}:${f.status}`)).toEqual([
      "F1:resolved",
      "F2:resolved",
      "F3:resolved",
      "F4:open",
    ]);
  });

  it("a STILL OPEN line keeps a finding open that the review does not list again; 'none' resolves them all", () => {
    const kept = reviewLedger(
      first,
      2,
      "ISSUES_FOUND",
      "STATUS: ISSUES_FOUND\n\n- [F2] Still collapses nothing.\n\nSTILL OPEN: F1, F2",
    );
    expect(kept.ledger.map((f) => `${f.id}:${f.status}`)).toEqual(["F1:open", "F2:open", "F3:resolved"]);
    expect(kept.ledger[0]!.text).toBe(first[0]!.text);
    const none = reviewLedger(
      first,
      2,
      "ISSUES_FOUND",
      "STATUS: ISSUES_FOUND\n\n- A new thing in `README.md`.\n\nSTILL OPEN: none",
    );
    expect(none.ledger.map((f) => `${f.id}:${f.status}`)).toEqual([
      "F1:resolved",
      "F2:resolved",
      "F3:resolved",
      "F4:open",
    ]);
  });
});

describe("the person in the loop, in-process", () => {
  it("a note given on a queued task goes verbatim into iteration 1's worker and review prompts, once", async () => {
    const h = loopHarness({
      start: false,
      scripts: { reviewer: ["STATUS: ISSUES_FOUND\n\n- The README lacks an example.", "STATUS: DONE"] },
    });
    const task = await h.submit({ maxIterations: 3 });
    const text = "Use tabs, not spaces.\n\nAnd keep `README.md` short — *really* short.";
    const note = await addNote(steer(h), task.id, text);
    expect(note).toMatchObject({ text, forIteration: 1 });
    h.orchestrator.start();
    expect((await h.ended(task.id)).status).toBe("done");
    const { worker, reviewer } = h.agents.of();
    expect(worker.prompts[0]).toContain(`## Notes from the user`);
    expect(worker.prompts[0]).toContain(text);
    expect(reviewer.prompts[0]).toContain(text);
    expect(worker.prompts[1]).not.toContain(text);
    expect(reviewer.prompts[1]).not.toContain(text);
    expect(h.repos.notes.list(task.id)).toEqual([note]);
    expect(await h.artifact(task.id, "notes.md")).toContain(text);
    expect(h.events(task.id).find((e) => e.type === "note.added")).toMatchObject({ iteration: 1 });
  });

  it("a note given while the worker runs reaches that iteration's review and the worker's next prompt", async () => {
    let taskId = "";
    const h = loopHarness({
      scripts: {
        worker: [
          async () => {
            await addNote(steer(h), taskId, "Drop the retry logic; the user decided.");
            return {
              ok: true,
              output: "Did it.",
              usage: null as never,
              sessionId: null,
              exitCode: 0,
              durationMs: 1,
              pid: undefined,
            } as never;
          },
          "Did the rest.",
        ],
        reviewer: ["STATUS: ISSUES_FOUND\n\n- Retry logic missing.", "STATUS: DONE"],
      },
    });
    const task = await h.submit({ maxIterations: 3 });
    taskId = task.id;
    expect((await h.ended(task.id)).status).toBe("done");
    const { worker, reviewer } = h.agents.of();
    const note = "Drop the retry logic; the user decided.";
    expect(worker.prompts[0]).not.toContain(note);
    expect(reviewer.prompts[0]).toContain(note);
    expect(worker.prompts[1]).toContain(note);
    expect(reviewer.prompts[1]).not.toContain(note);
    expect(h.events(task.id).find((e) => e.type === "note.added")?.iteration).toBe(1);
  });

  it("step mode: pauses after each review that is not DONE; dismiss, note, resume; a dismissed finding raised again stays dismissed and never stalls the task; accept ends it", async () => {
    const same = "STATUS: ISSUES_FOUND\n\n- `src/api.ts:40` — the error body lacks a `code` field; add one.";
    const h = loopHarness({ settings: { stallIterations: 2 }, scripts: { reviewer: [same] } });
    const task = await h.submit({ maxIterations: 5, pauseAfterIteration: true });
    let t = await h.ended(task.id, (s) => s === "paused");
    expect(t.statusReason).toBe("Waiting for you after iteration 1: 1 open finding");
    expect(h.events(task.id).find((e) => e.type === "task.waiting")).toMatchObject({
      iteration: 1,
      data: { openFindings: 1 },
    });
    const dismissed = await setFinding(
      steer(h),
      task.id,
      "F1",
      "dismissed",
      "Out of scope: the API is frozen.",
    );
    expect(dismissed).toMatchObject({
      status: "dismissed",
      dismissReason: "Out of scope: the API is frozen.",
    });
    await resumeWithNote(h.orchestrator, steer(h), {
      id: task.id,
      extra: 0,
      caps: {},
      note: "Leave the API alone.",
    });
    t = await h.ended(
      task.id,
      (s) => s === "paused" && h.repos.iterations.get(task.id, 2)?.status === "done",
    );
    // Raised again in iteration 2 (and it would have been a stalemate at 2 reviews): stays dismissed.
    expect(h.repos.findings.list(task.id)).toMatchObject([
      { id: "F1", status: "dismissed", lastIteration: 2 },
    ]);
    expect(t.statusReason).toBe("Waiting for you after iteration 2: 0 open findings");
    const { worker, reviewer } = h.agents.of();
    expect(reviewer.prompts[1]).toContain("Dismissed by the user");
    expect(reviewer.prompts[1]).toContain(
      '**F1** (dismissed by the user: "Out of scope: the API is frozen.")',
    );
    expect(worker.prompts[1]).toContain("Leave the API alone.");
    expect(reviewer.prompts[1]).toContain("Leave the API alone.");
    // Accept: done, the reason says who decided, result.md says so.
    const accepted = await acceptTask(steer(h), task.id, "Good enough for now.");
    expect(accepted.status).toBe("done");
    expect(accepted.statusReason).toBe("Accepted by the user after iteration 2: Good enough for now.");
    expect(await h.artifact(task.id, "result.md")).toContain("Accepted by the user after iteration 2");
    expect(h.repos.notes.list(task.id).map((n) => n.text)).toEqual([
      "Leave the API alone.",
      "Good enough for now.",
    ]);
  });

  it("the reviewer's prompt lists the open findings with ids and asks for STILL OPEN; its by-id answer keeps one finding", async () => {
    const h = loopHarness({
      scripts: { reviewer: [REVIEW_1, REVIEW_2_BY_ID, "STATUS: DONE\n\nSTILL OPEN: none"] },
    });
    const task = await h.submit({ maxIterations: 3 });
    expect((await h.ended(task.id)).status).toBe("done");
    const { reviewer } = h.agents.of();
    expect(reviewer.prompts[0]).not.toContain("STILL OPEN");
    expect(reviewer.prompts[1]).toContain("- **F3** (reported in iteration 1):");
    expect(reviewer.prompts[1]).toContain("`STILL OPEN: F1, F3`");
    const after2 = h.events(task.id).filter((e) => e.type === "findings.updated")[1]!;
    expect(after2.data).toMatchObject({ opened: [], resolved: ["F1", "F2"] });
    expect(h.repos.findings.list(task.id).map((f) => f.id)).toEqual(["F1", "F2", "F3"]);
  });

  it("refused requests change nothing: a note on an ended task, an unknown finding, accept on a done or queued task", async () => {
    const h = loopHarness({ start: false });
    const queued = await h.submit();
    expect(await code(acceptTask(steer(h), queued.id))).toBe("not_acceptable");
    expect(await code(setFinding(steer(h), queued.id, "F9", "dismissed"))).toBe("finding_not_found");
    h.orchestrator.start();
    const done = await h.ended(queued.id);
    expect(await code(addNote(steer(h), done.id, "too late"))).toBe("not_open");
    expect(await code(acceptTask(steer(h), done.id))).toBe("not_acceptable");
    expect(h.repos.tasks.get(done.id)).toEqual(done);
    expect(h.repos.notes.list(done.id)).toEqual([]);
  });

  it("accept on a task waiting out a usage limit ends the wait, then the task is done as it is", async () => {
    const h = loopHarness({
      settings: { usageLimitBackoffMs: 60_000 },
      scripts: { worker: [fail("usage_limit", "claude: usage limit reached")] },
    });
    const task = await h.submit();
    await expect.poll(() => h.types(task.id)).toContain("task.paused");
    expect(h.repos.tasks.get(task.id)!.status).toBe("paused");
    const accepted = await acceptTask(steer(h), task.id, "Stop here, I will finish it.");
    expect(accepted).toMatchObject({
      status: "done",
      statusReason: "Accepted by the user before any iteration finished: Stop here, I will finish it.",
    });
    expect(h.orchestrator.queue().runningTasks).toEqual([]);
    // The wait ended as a stop for the accept, then the task finished; the worker never ran again.
    const types = h.types(task.id);
    expect(types.indexOf("task.interrupted")).toBeLessThan(types.lastIndexOf("task.finished"));
    expect(h.repos.tasks.get(task.id)!.statusReason).toContain("Accepted by the user");
  });
});
