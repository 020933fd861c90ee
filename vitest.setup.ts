// Unexpected Node warnings fail the suite instead of scrolling by.
process.on("warning", (w) => {
  if (w.name === "ExperimentalWarning") return;
  throw w;
});
