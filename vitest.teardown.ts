import { execFileSync } from "node:child_process";

/** Fails the run if any fake agent (or a process it started) outlived the tests: stop must really stop. */
export default function setup() {
  return () => {
    const ps = execFileSync("ps", ["-A", "-o", "pid=,args="], { encoding: "utf8" });
    const strays = ps
      .split("\n")
      .filter(
        (l) =>
          /fake-(claude|codex)\.mjs|setInterval\(\(\) => \{\}, 1 << 30\)/.test(l) && !l.includes("ps -A"),
      );
    for (const l of strays) {
      try {
        process.kill(Number(l.trim().split(/\s+/)[0]), "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (strays.length) throw new Error(`agent processes left running after the tests:\n${strays.join("\n")}`);
  };
}
