// Start-up and resting memory, as ratios to a bare Fastify hello-world started the same way in the
// same run (bench/baseline/hello.mjs): a busy or slow machine slows both alike.
import { join } from "node:path";
import { HELLO, median, rss, sleep, startProcess } from "./lib.mjs";

const RUNS = 5;

/** Alternates hello and loop RUNS times: spawn → first 200 on /api/health, then RSS 2 s later. */
export async function startMeasures(work) {
  const runs = { hello: { ms: [], rss: [] }, loop: { ms: [], rss: [] } };
  for (let i = 0; i < RUNS; i++) {
    for (const which of ["hello", "loop"]) {
      const p = await startProcess(
        join(work, `start-${which}-${i}`),
        which === "hello" ? { script: HELLO } : {},
      );
      await sleep(2000);
      runs[which].rss.push(await rss(p.pid));
      runs[which].ms.push(p.readyMs);
      await p.stop();
    }
  }
  const ms = { hello: median(runs.hello.ms), loop: median(runs.loop.ms) };
  const mem = { hello: median(runs.hello.rss) / 2 ** 20, loop: median(runs.loop.rss) / 2 ** 20 };
  return {
    cold_start_ratio: {
      value: ms.loop / ms.hello,
      note: `median of ${RUNS}: loop ${ms.loop.toFixed(0)} ms, hello-world ${ms.hello.toFixed(0)} ms`,
    },
    idle_rss_ratio: {
      value: mem.loop / mem.hello,
      note: `median of ${RUNS}: loop ${mem.loop.toFixed(0)} MiB, hello-world ${mem.hello.toFixed(0)} MiB`,
    },
  };
}
