import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// Fakes and the processes they start carry this path in their argv; other checkouts' runs do not.
const FIXTURES = fileURLToPath(new URL("./packages/core/test/fixtures", import.meta.url));

/** Fails the run if any fake agent (or a process it started) outlived the tests: stop must really stop. */
export default function setup() {
  return () => {
    const ps = execFileSync("ps", ["-A", "-o", "pid=,args="], { encoding: "utf8" });
    const strays = ps.split("\n").filter((l) => l.includes(FIXTURES) && !l.includes("ps -A"));
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
