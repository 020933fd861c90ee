// Unexpected Node warnings fail the suite instead of scrolling by. A worker may run several files
// (isolate: false), and this file runs before each of them: one listener a process.
const key = Symbol.for("loop.test.warnings");
const g = globalThis as { [key]?: true };
if (!g[key]) {
  g[key] = true;
  process.on("warning", (w) => {
    if (w.name === "ExperimentalWarning") return;
    throw w;
  });
}
