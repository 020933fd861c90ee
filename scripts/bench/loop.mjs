// Whole loops through the server: what loop adds to the agents' own time, and how many prompt bytes
// session continuity saves.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  api,
  collect,
  FAKE_CLAUDE,
  FAKE_CODEX,
  median,
  startServer,
  submit,
  waitFinished,
  workdir,
} from "./lib.mjs";

const ITERATIONS = 10;
/** Codex finds issues 9 times, then is satisfied: a 10-iteration loop. */
const scenario = () => ({
  claude: [{ kind: "ok", text: "Changed it." }],
  codex: [
    ...Array.from({ length: ITERATIONS - 1 }, (_, i) => ({
      kind: "review",
      text: `STATUS: ISSUES_FOUND\n- issue ${i + 1}: ${["naming", "a test", "an edge case", "docs", "errors", "types", "logging", "a race", "cleanup"][i]}`,
    })),
    { kind: "review", text: "STATUS: DONE" },
  ],
});

/**
 * CPU time (user + system) a process has used so far, in ms; NaN where /proc is missing. Less
 * disturbed by a busy machine than wall time: loop's own work, without the waits.
 */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks: 100 a second on Linux
  } catch {
    return Number.NaN;
  }
}

const sh = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;

/**
 * The same agent calls as a plain shell script: each recorded call (argv, stdin, cwd) of the loop
 * just run, in order, the fake spawned directly as loop does, its output read (to a file).
 */
function replayCalls(wd) {
  const state = join(wd, ".fake-state");
  const calls = [];
  for (let k = 1; ; k++) {
    const files = ["claude", "codex"].map((cli) => join(state, `${cli}-${k}.json`));
    const got = files.filter((f) => statSync(f, { throwIfNoEntry: false }));
    if (!got.length) break;
    for (const f of got)
      calls.push({
        cli: f.includes("/claude-") ? FAKE_CLAUDE : FAKE_CODEX,
        ...JSON.parse(readFileSync(f, "utf8")),
      });
  }
  const lines = ["#!/bin/sh", "set -e"];
  calls.forEach((c, i) => {
    const input = join(wd, `.stdin-${i}`);
    writeFileSync(input, c.prompt);
    lines.push(
      `cd ${sh(c.cwd)} && ${sh(c.cli)} ${c.argv.map(sh).join(" ")} < ${sh(input)} > ${sh(join(wd, ".out"))} 2>&1`,
    );
  });
  const script = join(wd, "agents.sh");
  writeFileSync(script, `${lines.join("\n")}\n`);
  rmSync(state, { recursive: true, force: true }); // the fakes count their calls again from 1
  const t0 = performance.now();
  const r = spawnSync("sh", [script], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`agents.sh exited with ${r.status}`);
  return { ms: performance.now() - t0, calls: calls.length };
}

/**
 * Wall time of a 10-iteration loop through the server ÷ the same agent calls from a shell script,
 * and the difference per iteration: what loop itself spends around the agents (snapshots, database
 * writes, artifacts, spawning and sweeping the agents' processes).
 */
export async function overhead(dir) {
  const server = await startServer(dir, { LOOP_STALL_ITERATIONS: "0" });
  const ratios = [];
  const perIteration = [];
  const notes = [];
  try {
    for (let run = 0; run < 3; run++) {
      const wd = workdir(join(dir, `run-${run}`), scenario());
      const cpu0 = cpuMs(server.pid);
      const t0 = performance.now();
      const task = await submit(server.base, {
        title: "overhead",
        prompt: "Make it better",
        workingDir: wd,
        maxIterations: ITERATIONS,
      });
      await collect(`${server.base}/api/tasks/${task.id}/events`, (_got, batch) =>
        batch.some((e) => e.type === "task.finished"),
      );
      const loopMs = performance.now() - t0;
      const cpu = cpuMs(server.pid) - cpu0;
      const done = await waitFinished(server.base, task.id);
      if (done.status !== "done" || done.currentIteration !== ITERATIONS)
        throw new Error(`the loop ended ${done.status} at iteration ${done.currentIteration}`);
      const plain = replayCalls(wd);
      ratios.push(loopMs / plain.ms);
      perIteration.push((loopMs - plain.ms) / ITERATIONS);
      notes.push(
        `loop ${loopMs.toFixed(0)} ms / sh ${plain.ms.toFixed(0)} ms (${plain.calls} calls)${Number.isNaN(cpu) ? "" : `, server CPU ${(cpu / ITERATIONS).toFixed(0)} ms/iteration`}`,
      );
    }
  } finally {
    await server.stop();
  }
  const note = `median of 3: ${notes.join("; ")}`;
  return {
    overhead_ratio: { value: median(ratios), note },
    overhead_ms_per_iteration: { value: median(perIteration), note },
  };
}

/** Sum of the NNN-claude-prompt.md and NNN-codex-prompt.md artifacts of a task. */
function promptBytesOf(dir, taskId) {
  const folder = join(dir, "loops", taskId);
  return readdirSync(folder)
    .filter((f) => /^\d{3}-(claude|codex)-prompt\.md$/.test(f))
    .reduce((n, f) => n + statSync(join(folder, f)).size, 0);
}

/** Prompt bytes of a 10-iteration loop with session continuity ÷ the same loop with full history. */
export async function promptBytes(dir) {
  const server = await startServer(dir, { LOOP_STALL_ITERATIONS: "0" });
  try {
    const bytes = {};
    for (const continueSession of [false, true]) {
      const body = {
        title: `prompts ${continueSession}`,
        prompt: "Make it better",
        workingDir: workdir(join(dir, String(continueSession)), scenario()),
        maxIterations: ITERATIONS,
        continueSession,
      };
      const r = await api(server.base, "POST", "/api/tasks", body);
      if (r.status === 400)
        return {
          prompt_bytes_ratio: {
            value: null,
            note: `the server refuses continueSession (400 ${r.json.error?.code}: ${r.json.error?.message}); session continuity is not merged yet`,
          },
        };
      if (r.status !== 201) throw new Error(`POST /api/tasks: ${r.status} ${JSON.stringify(r.json)}`);
      const done = await waitFinished(server.base, r.json.task.id);
      if (done.status !== "done")
        throw new Error(`continueSession ${continueSession}: the loop ended ${done.status}`);
      bytes[continueSession] = promptBytesOf(dir, r.json.task.id);
    }
    return {
      prompt_bytes_ratio: {
        value: bytes.true / bytes.false,
        note: `session ${bytes.true} B / full history ${bytes.false} B over ${ITERATIONS} iterations`,
      },
    };
  } finally {
    await server.stop();
  }
}

/** Wall time of `sh -c true` spawned and waited for, as the bench sees it (its own run). */
function shTrueMs(times = 20) {
  const ms = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    spawnSync("sh", ["-c", "true"], { stdio: "ignore" });
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/**
 * What loop adds around a check (`true` as the command): per iteration of a 10-iteration loop, the
 * time from check.started to check.finished (spawn in a process group of its own, the process sweep
 * by its marker, NNN-check.md, the iteration's row) less `sh -c true`'s own run; median over them.
 */
export async function checkOverhead(dir) {
  const server = await startServer(dir, { LOOP_STALL_ITERATIONS: "0" });
  try {
    const task = await submit(server.base, {
      title: "check overhead",
      prompt: "Make it better",
      workingDir: workdir(join(dir, "check"), scenario()),
      maxIterations: ITERATIONS,
      checkCommand: "true",
    });
    const events = await collect(`${server.base}/api/tasks/${task.id}/events`, (_got, batch) =>
      batch.some((e) => e.type === "task.finished"),
    );
    const started = new Map();
    const windows = [];
    for (const e of events) {
      if (e.type === "check.started") started.set(e.iteration, Date.parse(e.ts));
      if (e.type === "check.finished" && e.data.ok)
        windows.push(Date.parse(e.ts) - (started.get(e.iteration) ?? Number.NaN));
    }
    if (windows.length !== ITERATIONS || windows.some(Number.isNaN))
      return {
        check_overhead_ms: { value: null, note: `${windows.length} passing checks of ${ITERATIONS}` },
      };
    const own = shTrueMs();
    return {
      check_overhead_ms: {
        value: Math.max(0, median(windows) - own),
        note: `median of ${windows.length}: ${median(windows)} ms check.started→check.finished, sh -c true itself ${own.toFixed(1)} ms`,
      },
    };
  } finally {
    await server.stop();
  }
}
