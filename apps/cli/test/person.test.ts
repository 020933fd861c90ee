import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../server/test/helpers.ts";
import { startServer } from "../../server/test/process.ts";
import { claude, codex, scenario } from "../../server/test/scenarios.ts";
import { EXIT } from "../src/exit-codes.ts";
import { cli, workdir } from "./run.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TWO_ROUNDS = scenario({
  claude: [claude.ok("did part 1"), claude.ok("did part 2")],
  codex: [
    codex.review("STATUS: ISSUES_FOUND\n- `src/a.ts` lacks validation\n- `README.md` lacks an example"),
    codex.review("STATUS: DONE"),
  ],
});

describe("pnpm loop: note, dismiss, reopen, resume --note, accept", () => {
  it("steers a step-mode task to done and accepts a capped one", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-cli-person-"));
    const d = dir;
    const env = { LOOP_DB_PATH: join(d, "loop.db") };
    const s = await startServer(d);
    const wd = workdir(d, "work", TWO_ROUNDS);
    const add = await cli(["add", "--title", "Step", "--step", "--prompt", "p"], { ...env, INIT_CWD: wd })
      .done;
    expect(add.code).toBe(EXIT.ok);
    const id = add.stdout.trim();
    await waitFor(
      async () => (await s.api(`/api/tasks/${id}`)).json.task.status === "paused",
      20_000,
      "the pause",
    );

    const note = await cli(["note", id, "Use zod for the validation."], env).done;
    expect(note.stdout).toBe(`note 1 for iteration 2 of ${id}\n`);
    const dis = await cli(["dismiss", id, "F2", "--reason", "Docs later."], env).done;
    expect(dis.stdout).toBe("F2 dismissed: Docs later.\n");
    expect((await cli(["reopen", id, "F2"], env).done).stdout).toBe("F2 open\n");
    await cli(["dismiss", id, "F2", "--reason", "Docs later."], env).done;
    const unknown = await cli(["dismiss", id, "F9"], env).done;
    expect(unknown.code).toBe(EXIT.error);
    expect(unknown.stderr).toMatch(/finding_not_found/);
    expect((await cli(["note", id], env).done).code).toBe(EXIT.usage);

    const show = await cli(["show", id], env).done;
    expect(show.stdout).toContain(
      "F2 [dismissed] `README.md` lacks an example (iteration 1) — dismissed: Docs later.",
    );
    expect(show.stdout).toContain("for iteration 2: Use zod for the validation.");

    const resumed = await cli(["resume", id, "--note", "Keep it small."], env).done;
    expect(resumed.code).toBe(EXIT.ok);
    const tail = await cli(["tail", id], env).done;
    expect(tail.stdout).toContain("your note │ Use zod for the validation.");
    expect(tail.stdout).toContain("waiting for you: Waiting for you after iteration 1: 2 open findings");
    expect(tail.code).toBe(EXIT.ok);
    const prompt2 = JSON.parse(readFileSync(join(wd, ".fake-state", "claude-2.json"), "utf8")).prompt;
    expect(prompt2).toContain("Use zod for the validation.");
    expect(prompt2).toContain("Keep it small.");

    const late = await cli(["note", id, "too late"], env).done;
    expect(late.code).toBe(EXIT.error);
    expect(late.stderr).toMatch(/not_open/);

    const capped = await cli(["add", "--title", "Capped", "--max", "1", "--wait", "--prompt", "p"], {
      ...env,
      INIT_CWD: workdir(d, "capped", TWO_ROUNDS),
    }).done;
    expect(capped.code).toBe(EXIT.needsAttention);
    const cappedId = (await s.api("/api/tasks?status=needs_attention")).json.tasks[0].id as string;
    const accepted = await cli(["accept", cappedId, "--note", "Good enough."], env).done;
    expect(accepted.stdout).toBe(`${cappedId} done: Accepted by the user after iteration 1: Good enough.\n`);
    expect((await cli(["accept", cappedId], env).done).stderr).toMatch(/not_acceptable/);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });
});
