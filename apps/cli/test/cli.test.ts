import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openRepositories } from "@loop/db";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_TOKEN, waitFor } from "../../server/test/helpers.ts";
import { type ServerProcess, startServer } from "../../server/test/process.ts";
import { claude, codex, scenario } from "../../server/test/scenarios.ts";
import { EXIT } from "../src/exit-codes.ts";
import { eventLine } from "../src/render.ts";
import { cli, workdir } from "./run.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const tmp = () => {
  dir = mkdtempSync(join(tmpdir(), "loop-cli-"));
  return dir;
};
/** The client finds the server through <LOOP_DB_PATH>.server.json, as `pnpm loop` would. */
const envFor = (d: string, extra: Record<string, string> = {}) => ({
  LOOP_DB_PATH: join(d, "loop.db"),
  ...extra,
});

const stop = async (s: ServerProcess) => {
  s.child.kill("SIGTERM");
  expect(await s.exited).toBe(0);
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

const TWO_ROUNDS = scenario({
  claude: [claude.ok("fixed it")],
  codex: [codex.review("STATUS: ISSUES_FOUND\n- the test still fails"), codex.review("STATUS: DONE")],
});

describe("pnpm loop against a real server", () => {
  it("add < prompt.md --wait files the task in INIT_CWD, prints its log readably and exits 0 when done", async () => {
    const d = tmp();
    const s = await startServer(d);
    const wd = workdir(d, "work", TWO_ROUNDS);
    const r = await cli(
      ["add", "--title", "Fix the test", "--max", "3", "--wait"],
      envFor(d, { INIT_CWD: wd }),
      "Make the test pass\n",
    ).done;
    expect(r.stderr).toMatch(/^filed \S+: Fix the test\n$/);
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`created "Fix the test" in ${wd} (at most 3 iterations)`);
    expect(lines).toContain("── iteration 1 ──");
    expect(lines).toContain("verdict: ISSUES_FOUND");
    expect(lines).toContain("finding: the test still fails");
    expect(lines).toContain("resolved: the test still fails");
    expect(lines).toContain("── iteration 2 ──");
    expect(lines.filter((l) => l.startsWith("claude │ ")).length).toBeGreaterThan(2);
    // Raw JSON lines stay out of a readable log.
    expect(lines.some((l) => l.includes('{"type"'))).toBe(false);
    expect(lines.at(-1)).toBe("finished: done — Codex reported STATUS: DONE in iteration 2");

    const id = r.stderr.split(" ")[1]!.replace(":", "");
    const { json } = await s.api(`/api/tasks/${id}`);
    expect(json.task).toMatchObject({ prompt: "Make the test pass\n", workingDir: wd, maxIterations: 3 });

    // ls, show: the same task as a table row and a detail view.
    const ls = await cli(["ls"], envFor(d)).done;
    expect(ls.code).toBe(0);
    expect(ls.stdout.split("\n")[0]).toMatch(/^ID\s+STATUS\s+ITER\s+WORKER\s+REVIEWER\s+AGE\s+TITLE$/);
    expect(ls.stdout).toMatch(
      new RegExp(`^${id}\\s+done\\s+2/3\\s+claude\\s+codex\\s+\\d+[smhd]\\s+Fix the test$`, "m"),
    );
    expect((await cli(["ls", "--status", "failed"], envFor(d)).done).stdout).toBe("No tasks.\n");
    const show = await cli(["show", id], envFor(d)).done;
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("status      done: Codex reported STATUS: DONE in iteration 2");
    expect(show.stdout).toContain("roles       claude works, codex reviews");
    expect(show.stdout).toMatch(/^ {2}1\s+done\s+ISSUES_FOUND/m);
    expect(show.stdout).toMatch(/^ {2}2\s+done\s+DONE/m);
    expect(show.stdout).toContain("[resolved] the test still fails (iteration 1)");
    // A finished task cannot be cancelled: the server's reason, exit 1.
    const cancel = await cli(["cancel", id], envFor(d)).done;
    expect(cancel.code).toBe(EXIT.error);
    expect(cancel.stderr).toMatch(/not_cancellable/);
    expect((await cli(["show", "nope"], envFor(d)).done).code).toBe(EXIT.error);
    await stop(s);
  });

  it("add --wait exits 10 for needs_attention, 11 for failed, 12 for cancelled; resume + tail follow the next run to its end", async () => {
    const d = tmp();
    const s = await startServer(d);
    const attention = await cli(
      ["add", "--title", "capped", "--max", "1", "--wait", "--prompt", "p"],
      envFor(d, { INIT_CWD: workdir(d, "a", TWO_ROUNDS) }),
    ).done;
    expect(attention.stdout).toMatch(/finished: needs_attention — .*cap \(1\)/);
    expect(attention.code).toBe(EXIT.needsAttention);

    const failed = await cli(
      ["add", "--title", "logged out", "--wait", "--prompt", "p"],
      envFor(d, { INIT_CWD: workdir(d, "f", scenario({ claude: [claude.notLoggedIn()] })) }),
    ).done;
    expect(failed.stdout).toMatch(/finished: failed — .*Not logged in/);
    expect(failed.code).toBe(EXIT.failed);

    const waiting = cli(
      ["add", "--title", "stuck", "--wait", "--prompt", "p"],
      envFor(d, { INIT_CWD: workdir(d, "c", scenario({ claude: [claude.hang()] })) }),
    );
    await waitFor(() => waiting.out.stdout.includes("claude started"), 20_000, "claude to start");
    const id = waiting.out.stderr.split(" ")[1]!.replace(":", "");
    const cancel = await cli(["cancel", id], envFor(d)).done;
    expect(cancel.code).toBe(0);
    const cancelled = await waiting.done;
    expect(cancelled.stdout).toMatch(/finished: cancelled/);
    expect(cancelled.code).toBe(EXIT.cancelled);

    // The capped task, resumed with one more iteration: its old task.finished must not end the tail.
    const attentionId = (await s.api("/api/tasks?status=needs_attention")).json.tasks[0].id as string;
    const resumed = await cli(["resume", attentionId, "--extra", "1"], envFor(d)).done;
    expect(resumed.stdout).toBe(`${attentionId} queued (at most 2 iterations)\n`);
    const t = await cli(["tail", attentionId], envFor(d)).done;
    expect(t.stdout).toMatch(
      /finished: needs_attention[^\n]*\n(.*\n)*queued again from .*\n(.*\n)*finished: done — Codex reported STATUS: DONE in iteration 2\n$/,
    );
    expect(t.code).toBe(EXIT.ok);
    await stop(s);
  });

  it("tail resumes after the server restarts mid-task: every event printed once, in order", async () => {
    const d = tmp();
    const port = String(await freePort());
    let s = await startServer(d, { PORT: port });
    const wd = workdir(
      d,
      "work",
      scenario({
        claude: [claude.slow(400, 50), claude.ok("fixed it")],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const add = await cli(["add", "--title", "slow one", "--prompt", "p"], envFor(d, { INIT_CWD: wd })).done;
    expect(add.code).toBe(0);
    const id = add.stdout.trim();
    const tail = cli(["tail", id], envFor(d));
    await waitFor(() => tail.out.stdout.includes("slow line 3"), 20_000, "the tail to print claude's lines");
    await stop(s);
    await waitFor(() => tail.out.stderr.includes("reconnecting…"), 10_000, "the tail to notice the drop");
    s = await startServer(d, { PORT: port });
    await waitFor(() => tail.out.stderr.includes("reconnected"), 20_000, "the tail to reconnect");
    // The stop paused the task; resumed, it runs on, and the tail with it.
    expect((await cli(["resume", id], envFor(d)).done).code).toBe(0);
    const r = await tail.done;
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(
      /connection to http:\/\/127\.0\.0\.1:\d+ lost \(.*\); reconnecting…\nreconnected\n/,
    );
    await stop(s);
    // Exactly the task's stored events, each once, in order: nothing lost or repeated across the drop.
    const repos = openRepositories(join(d, "loop.db"));
    const events = repos.events.listAfter({ afterId: 0, taskId: id, limit: 100_000 });
    repos.handle.close();
    const expected = events.map(eventLine).filter((l) => l !== undefined);
    expect(expected.some((l) => l.startsWith("paused: interrupted by a server stop"))).toBe(true);
    expect(r.stdout).toBe(`${expected.join("\n")}\n`);
  });

  it("tail, piped, prints the growing answer line by line before the complete message arrives", async () => {
    const d = tmp();
    const s = await startServer(d);
    const answer = "First paragraph.\nSecond paragraph.\nThird paragraph.\nAll done.";
    const wd = workdir(
      d,
      "work",
      scenario({
        claude: [claude.ok(answer, { partialPieces: 12, partialDelayMs: 150 })],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const add = await cli(["add", "--title", "talkative", "--prompt", "p"], envFor(d, { INIT_CWD: wd })).done;
    const id = add.stdout.trim();
    const tail = cli(["tail", id], envFor(d));
    // While claude is still writing, its finished lines are out (the last one waits for its end).
    await waitFor(() => tail.out.stdout.includes("claude ✎ Second paragraph."), 20_000, "the growing lines");
    expect(tail.out.stdout).not.toContain("claude │ First paragraph.");
    const r = await tail.done;
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.split("\n");
    const growing = lines.filter((l) => l.includes(" ✎ "));
    expect(growing).toEqual([
      "claude ✎ First paragraph.",
      "claude ✎ Second paragraph.",
      "claude ✎ Third paragraph.",
    ]);
    // Then the complete message, as a log line; no escape codes on a pipe.
    expect(lines.indexOf("claude │ First paragraph.")).toBeGreaterThan(
      lines.indexOf("claude ✎ Third paragraph."),
    );
    expect(r.stdout).not.toContain("\x1b[");
    await stop(s);
  });

  it("pause-queue, move, resume-queue, retry and delete steer the queue from a shell", async () => {
    const d = tmp();
    const s = await startServer(d);
    const run = async (...args: string[]) => {
      const r = await cli(args, envFor(d)).done;
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(EXIT.ok);
      return r.stdout.trimEnd();
    };
    expect(await run("pause-queue")).toBe("queue paused · nothing running · 0 queued");
    const ids: string[] = [];
    for (const title of ["first", "second", "third"]) {
      const wd = workdir(d, title, TWO_ROUNDS);
      ids.push(await run("add", "--title", title, "--prompt", "p", "--dir", wd));
    }
    const [a, b, c] = ids as [string, string, string];
    expect(await run("move", c)).toBe(
      `queue paused · nothing running · 3 queued\n  1. ${c}  third\n  2. ${a}  first\n  3. ${b}  second`,
    );
    expect((await run("move", a, "--to", "bottom")).split("\n").at(-1)).toBe(`  3. ${a}  first`);
    expect((await cli(["move", a, "--to", "sideways"], envFor(d)).done).code).toBe(EXIT.usage);
    expect(await run("delete", b)).toBe(`deleted ${b}`);
    expect((await s.api(`/api/tasks/${b}`)).status).toBe(404);
    expect(await run("resume-queue")).toMatch(/^queue running · /);
    await waitFor(
      async () => (await s.api(`/api/tasks/${a}`)).json.task.status === "done",
      30_000,
      "the queue to run",
    );
    const again = await run("retry", c);
    expect(again).toMatch(/^\S+$/);
    expect((await s.api(`/api/tasks/${again}`)).json.task).toMatchObject({ retryOf: c, title: "third" });
    // An unknown task: the server's reason, exit 1.
    const unknown = await cli(["delete", "no-such-task"], envFor(d)).done;
    expect(unknown.code).toBe(EXIT.error);
    await stop(s);
  });

  it("add --after chains a task; ls shows the running tasks and why each queued one waits", async () => {
    const d = tmp();
    const s = await startServer(d, { LOOP_MAX_PARALLEL: "2" });
    const run = async (...args: string[]) => {
      const r = await cli(args, envFor(d)).done;
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(EXIT.ok);
      return r.stdout.trimEnd();
    };
    const HANG = scenario({ claude: [claude.hang()], codex: [codex.review("STATUS: DONE")] });
    const [wa, wb] = [workdir(d, "a", HANG), workdir(d, "b", HANG)];
    const a = await run("add", "--title", "first", "--prompt", "p", "--dir", wa);
    const b = await run("add", "--title", "second", "--prompt", "p", "--dir", wb);
    await waitFor(
      async () => (await s.api("/api/queue")).json.runningTasks.length === 2,
      15_000,
      "two running",
    );
    const c = await run("add", "--title", "same dir", "--prompt", "p", "--dir", wa);
    const chained = await run("add", "--title", "chained", "--prompt", "p", "--dir", wb, "--after", c);
    const ls = await run("ls");
    expect(ls.split("\n")[0]).toMatch(/^ID\s+STATUS/);
    expect(ls).toContain(`queue running · 2 running · 2 queued\n  ▸ ${a}  first\n  ▸ ${b}  second\n`);
    expect(ls).toContain(`  1. ${c}  same dir (waits: same directory as ${a} (“first”))`);
    expect(ls).toContain(`  2. ${chained}  chained (waits for ${c} to finish)`);
    // --status keeps to the table.
    expect(await run("ls", "--status", "queued")).not.toContain("queue running");
    const unknown = await cli(
      ["add", "--title", "x", "--prompt", "p", "--dir", wb, "--after", "NOPE"],
      envFor(d),
    ).done;
    expect(unknown.code).toBe(EXIT.error);
    expect(unknown.stderr).toContain("after: no task with id NOPE");
    await run("cancel", c);
    await waitFor(
      async () => (await s.api(`/api/tasks/${chained}`)).json.task.status === "cancelled",
      15_000,
      "the chain to end",
    );
    expect((await s.api(`/api/tasks/${chained}`)).json.task.statusReason).toBe(
      `Cancelled: the task it was to run after (${c}) ended cancelled`,
    );
    await run("cancel", a);
    await run("cancel", b);
    await stop(s);
  });

  it("LOOP_URL and LOOP_TOKEN override the server file; a refused token and a closed port exit 3", async () => {
    const d = tmp();
    const s = await startServer(d);
    const elsewhere = join(d, "other", "loop.db");
    const ok = await cli(["ls"], { LOOP_DB_PATH: elsewhere, LOOP_URL: s.base, LOOP_TOKEN: TEST_TOKEN }).done;
    expect(ok).toMatchObject({ code: 0, stdout: "No tasks.\n" });
    const wrong = await cli(["ls"], envFor(d, { LOOP_TOKEN: "wrong-token-0123456789" })).done;
    expect(wrong.code).toBe(EXIT.unreachable);
    expect(wrong.stderr).toMatch(/refused the token/);
    await stop(s);
    const down = await cli(["ls"], { LOOP_DB_PATH: elsewhere, LOOP_URL: s.base, LOOP_TOKEN: TEST_TOKEN })
      .done;
    expect(down.code).toBe(EXIT.unreachable);
    expect(down.stderr).toBe(
      `loop: loop server is not running at ${s.base} — start it with \`pnpm start\`\n`,
    );
  });

  it("add --worker codex --reviewer claude swaps the roles: the task ends done, ls and show name them", async () => {
    const d = tmp();
    const s = await startServer(d);
    const wd = workdir(
      d,
      "swap",
      scenario({
        codex: [codex.review("Wrote it.")],
        claude: [claude.ok("STATUS: ISSUES_FOUND\n- add a test"), claude.ok("STATUS: DONE")],
      }),
    );
    const r = await cli(
      ["add", "--title", "Swapped", "--prompt", "p", "--worker", "codex", "--reviewer", "claude", "--wait"],
      envFor(d, { INIT_CWD: wd }),
    ).done;
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "finished: done — Claude reported STATUS: DONE in iteration 2",
    );
    const id = r.stderr.split(" ")[1]!.replace(":", "");
    const { json } = await s.api(`/api/tasks/${id}`);
    expect(json.task).toMatchObject({ worker: "codex", reviewer: "claude" });
    const ls = await cli(["ls"], envFor(d)).done;
    expect(ls.stdout).toMatch(
      new RegExp(`^${id}\\s+done\\s+2/10\\s+codex\\s+claude\\s+\\d+[smhd]\\s+Swapped$`, "m"),
    );
    const show = await cli(["show", id], envFor(d)).done;
    expect(show.stdout).toContain("roles       codex works, claude reviews");
    // The durations are the worker's and the reviewer's runs: headed by who played them.
    expect(show.stdout).toMatch(/^ {2}N\s+STATUS\s+VERDICT\s+CHECK\s+CODEX\s+CLAUDE\s+CLAUDE COST/m);

    // Only --reviewer: the worker is the other agent.
    const one = await cli(["add", "--prompt", "p", "--reviewer", "claude"], envFor(d, { INIT_CWD: wd })).done;
    expect(one.code, one.stderr).toBe(EXIT.ok);
    expect((await s.api(`/api/tasks/${one.stdout.trim()}`)).json.task).toMatchObject({
      worker: "codex",
      reviewer: "claude",
    });
    // The same agent in both parts: the server's 400, exit 1, naming the field.
    const same = await cli(
      ["add", "--prompt", "p", "--worker", "codex", "--reviewer", "codex"],
      envFor(d, { INIT_CWD: wd }),
    ).done;
    expect(same.code).toBe(EXIT.error);
    expect(same.stderr).toBe("loop: reviewer: must be a different agent from the worker (invalid_body)\n");
    await stop(s);
  });

  it("--budget is sent as maxCostUsd and shown by show", async () => {
    const d = tmp();
    const s = await startServer(d);
    const r = await cli(
      ["add", "--title", "t", "--prompt", "p", "--budget", "2.5"],
      envFor(d, { INIT_CWD: d }),
    ).done;
    expect(r.code).toBe(EXIT.ok);
    const id = r.stdout.trim();
    const shown = await cli(["show", id], envFor(d)).done;
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toContain("of $2.5");
    const bad = await cli(
      ["add", "--title", "t", "--prompt", "p", "--budget", "0"],
      envFor(d, { INIT_CWD: d }),
    ).done;
    expect(bad.code).not.toBe(EXIT.ok);
    await stop(s);
  });

  it("add --check runs the task's check: tail prints its lines and result; show has it per iteration", async () => {
    const d = tmp();
    const s = await startServer(d);
    const wd = workdir(d, "work", TWO_ROUNDS);
    const r = await cli(
      [
        "add",
        "--title",
        "checked",
        "--prompt",
        "p",
        "--max",
        "1",
        "--check",
        "echo checking; exit 4",
        "--wait",
      ],
      envFor(d, { INIT_CWD: wd }),
    ).done;
    expect(r.code).toBe(EXIT.needsAttention);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain("check: echo checking; exit 4");
    expect(lines).toContain("check │ checking");
    expect(lines.some((l) => /^check FAILED \(exit 4, \d+\.\ds\)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toContain("with the check failing: `echo checking; exit 4` exited with code 4");
    const id = r.stderr.split(" ")[1]!.replace(":", "");
    const shown = await cli(["show", id], envFor(d)).done;
    expect(shown.stdout).toContain("check       echo checking; exit 4 (timeout 600.0s)");
    expect(shown.stdout).toMatch(/\s+1\s+done\s+ISSUES_FOUND\s+FAIL \d/);
    await stop(s);
  });
});

describe("pnpm loop without a server", () => {
  it("says the server is not running: no server file, or a stale one (its pid is gone)", async () => {
    const d = tmp();
    const none = await cli(["ls"], envFor(d)).done;
    expect(none.code).toBe(EXIT.unreachable);
    expect(none.stderr).toBe(
      "loop: loop server is not running at http://127.0.0.1:4170 — start it with `pnpm start`\n",
    );

    const gone = spawn(process.execPath, ["-e", ""]);
    const pid = gone.pid!;
    await new Promise((r) => gone.on("exit", r));
    writeFileSync(
      join(d, "loop.db.server.json"),
      JSON.stringify({
        url: "http://127.0.0.1:1",
        token: TEST_TOKEN,
        pid,
        startedAt: new Date().toISOString(),
      }),
    );
    const stale = await cli(["tail", "x"], envFor(d)).done;
    expect(stale.code).toBe(EXIT.unreachable);
    expect(stale.stderr).toMatch(
      new RegExp(
        `loop server is not running: .*loop\\.db\\.server\\.json is stale \\(its server, pid ${pid}, has exited\\)`,
      ),
    );
  });

  it("add from loop's own checkout without --dir is refused (the agents would change loop itself); --dir . means it", async () => {
    const d = tmp();
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    for (const here of [root, join(root, "apps/cli")]) {
      const r = await cli(["add", "--title", "t", "--prompt", "p"], envFor(d, { INIT_CWD: here })).done;
      expect(r.code, here).toBe(EXIT.usage);
      expect(r.stderr).toMatch(
        /^loop: pnpm loop add ran in loop's own checkout \(.*\); say which project the agents work in with --dir DIR/,
      );
      expect(r.stderr).toContain("pnpm -C ");
    }
    // Said on purpose: past the check, to the server lookup (none runs here).
    const meant = await cli(
      ["add", "--title", "t", "--prompt", "p", "--dir", "."],
      envFor(d, { INIT_CWD: root }),
    ).done;
    expect(meant.code).toBe(EXIT.unreachable);
    // Anywhere else the default stands.
    const elsewhere = await cli(["add", "--title", "t", "--prompt", "p"], envFor(d, { INIT_CWD: d })).done;
    expect(elsewhere.code).toBe(EXIT.unreachable);
  });

  it("bad usage exits 2 with a message, before looking for a server; --help lists the exit statuses", async () => {
    const d = tmp();
    const cases: [string[], RegExp][] = [
      [["add", "--title", "t"], /give the prompt with --prompt or on stdin/],
      [["add", "--prompt", "p", "--max", "0"], /--max must be a whole number from 1 to 100/],
      [["add", "--prompt", "p", "--budget", "lots"], /--budget must be an amount in USD above 0/],
      [["add", "--nope"], /Unknown option '--nope'/],
      [["add", "--prompt", "p", "--worker", "gpt"], /--worker must be claude or codex/],
      [["add", "--prompt", "p", "--reviewer", "Codex"], /--reviewer must be claude or codex/],
      [["ls", "--status", "nope"], /--status must be one of queued, running/],
      [["show"], /give one task id/],
      [["resume", "x", "--extra", "-1"], /--extra|Option/],
      [["frobnicate"], /unknown command frobnicate/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, envFor(d)).done;
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.code, args.join(" ")).toBe(EXIT.usage);
    }
    const none = await cli([], envFor(d)).done;
    expect(none.code).toBe(EXIT.usage);
    const help = await cli(["--help"], envFor(d)).done;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /Exit status:\n {2}0 {3}done[\s\S]* {2}2 {3}bad usage[\s\S]* {2}3 {3}server not running[\s\S]*10 {2}the task ended needs_attention\n {2}11 {2}the task failed\n {2}12 {2}the task was cancelled/,
    );
  });
});
