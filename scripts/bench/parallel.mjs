// LOOP_MAX_PARALLEL: 4 worktree tasks on one git repository, with fake agents that take 2 s per
// call, run 4 at once vs one after the other; and the server's memory with 4 running vs 1.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MB, sampleRss, startServer, submit, waitFinished } from "./lib.mjs";

const TASKS = 4;
const CALL_MS = 2000;
const SCENARIO = {
  claude: [{ kind: "ok", text: "Changed it.", delayMs: CALL_MS }],
  codex: [{ kind: "review", text: "STATUS: DONE", delayMs: CALL_MS }],
};

/** A git repository whose checkout holds the fake CLIs' scenario (each worktree then has it too). */
function repository(dir) {
  mkdirSync(dir, { recursive: true });
  const git = (...args) =>
    execFileSync("git", ["-C", dir, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "bench",
        GIT_AUTHOR_EMAIL: "bench@localhost",
        GIT_COMMITTER_NAME: "bench",
        GIT_COMMITTER_EMAIL: "bench@localhost",
      },
    });
  git("init", "-q", "-b", "main");
  writeFileSync(join(dir, ".fake-scenario.json"), JSON.stringify(SCENARIO));
  writeFileSync(join(dir, ".gitignore"), ".fake-state/\n");
  git("add", ".");
  git("commit", "-qm", "base");
  return dir;
}

/** Wall time of 4 one-iteration worktree tasks filed at once, and the server's peak RSS meanwhile. */
async function runBatch(dir, parallel) {
  const repo = repository(join(dir, "repo"));
  const server = await startServer(join(dir, "server"), { LOOP_MAX_PARALLEL: String(parallel) });
  try {
    const peak = sampleRss(server.pid);
    const t0 = performance.now();
    const tasks = [];
    for (let i = 0; i < TASKS; i++) {
      tasks.push(
        await submit(server.base, {
          title: `parallel ${i + 1}`,
          prompt: "Change it",
          workingDir: repo,
          maxIterations: 1,
          isolation: "worktree",
        }),
      );
    }
    const ended = await Promise.all(tasks.map((t) => waitFinished(server.base, t.id)));
    const ms = performance.now() - t0;
    const rssPeak = await peak();
    const bad = ended.filter((t) => t.status !== "done");
    if (bad.length) throw new Error(`tasks ended ${bad.map((t) => t.status).join(", ")}`);
    return { ms, rssPeak, baseline: server.baseline };
  } finally {
    await server.stop();
  }
}

export async function parallelSpeedup(dir) {
  const serial = await runBatch(join(dir, "serial"), 1);
  const parallel = await runBatch(join(dir, "parallel"), TASKS);
  const mb = (b) => (b / MB).toFixed(0);
  return {
    parallel_speedup: {
      value: serial.ms / parallel.ms,
      note: `${TASKS} worktree tasks on one repository, agents 2 s a call: LOOP_MAX_PARALLEL=1 ${(serial.ms / 1000).toFixed(1)} s, =${TASKS} ${(parallel.ms / 1000).toFixed(1)} s`,
    },
    parallel_rss_ratio: {
      value: parallel.rssPeak / serial.rssPeak,
      note: `peak server RSS ${mb(parallel.rssPeak)} MB with ${TASKS} running vs ${mb(serial.rssPeak)} MB with 1 (resting ${mb(serial.baseline)} MB)`,
    },
  };
}
