import type { Finding, Iteration, LoopEvent, Note, Task } from "@loop/shared";

/** "45s", "12m", "3h", "2d": how long ago `iso` was. */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Columns padded to their widest cell; the last one is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "))
    .join("\n");
}

export function taskTable(tasks: Task[], now = Date.now()): string {
  if (tasks.length === 0) return "No tasks.";
  return table([
    ["ID", "STATUS", "ITER", "WORKER", "REVIEWER", "AGE", "TITLE"],
    ...tasks.map((t) => [
      t.id,
      t.status,
      `${t.currentIteration}/${t.maxIterations}`,
      t.worker,
      t.reviewer,
      age(t.createdAt, now),
      clip(t.title, 60),
    ]),
  ]);
}

const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)}s`);

export function taskDetail(d: {
  task: Task;
  iterations: Iteration[];
  findings: Finding[];
  notes?: Note[];
}): string {
  const { task: t } = d;
  const out = [
    `${t.title}`,
    `  id          ${t.id}`,
    `  status      ${t.status}${t.statusReason ? `: ${t.statusReason}` : ""}`,
    `  directory   ${t.worktree ? `${t.worktree.path} (worktree of ${t.workingDir}, branch ${t.worktree.branch})` : t.workingDir}`,
    `  roles       ${t.worker} works, ${t.reviewer} reviews`,
    `  iterations  ${t.currentIteration} of at most ${t.maxIterations}`,
    `  created     ${t.createdAt} (${age(t.createdAt)} ago)`,
    `  claude      $${t.usage.claude.costUsd.toFixed(4)}${t.maxCostUsd === null ? "" : ` of $${t.maxCostUsd}`} · ${t.usage.claude.inputTokens} in, ${t.usage.claude.outputTokens} out, ${t.usage.claude.turns} turns`,
    `  codex       ${t.usage.codex.inputTokens} in (${t.usage.codex.cachedInputTokens} cached), ${t.usage.codex.outputTokens} out`,
  ];
  if (t.checkCommand) out.push(`  check       ${t.checkCommand} (timeout ${seconds(t.checkTimeoutMs)})`);
  if (t.retryOf) out.push(`  retry of    ${t.retryOf}`);
  if (d.iterations.length > 0) {
    out.push("", "Iterations");
    out.push(
      table([
        // The iteration's claude/codexDurationMs are the worker's and the reviewer's run (api.md).
        [
          "  N",
          "STATUS",
          "VERDICT",
          "CHECK",
          t.worker.toUpperCase(),
          t.reviewer.toUpperCase(),
          "CLAUDE COST",
          "CODEX TOKENS",
        ],
        ...d.iterations.map((i) => [
          `  ${i.n}`,
          i.status,
          i.verdict ?? "-",
          i.check ? `${i.check.ok ? "pass" : "FAIL"} ${seconds(i.check.durationMs)}` : "-",
          seconds(i.claudeDurationMs),
          seconds(i.codexDurationMs),
          `$${i.usage.claude.costUsd.toFixed(4)}`,
          `${i.usage.codex.inputTokens + i.usage.codex.outputTokens}`,
        ]),
      ]),
    );
  }
  if (d.findings.length > 0) {
    out.push("", "Findings");
    for (const f of d.findings) {
      const seen =
        f.firstIteration === f.lastIteration
          ? `${f.firstIteration}`
          : `${f.firstIteration}-${f.lastIteration}`;
      const why = f.dismissReason ? ` — dismissed: ${f.dismissReason}` : "";
      out.push(`  ${f.id} [${f.status}] ${f.text} (iteration ${seen})${why}`);
    }
  }
  if (d.notes && d.notes.length > 0) {
    out.push("", "Your notes");
    for (const n of d.notes) out.push(block(`  for iteration ${n.forIteration}: `, n.text));
  }
  out.push(
    "",
    "Prompt",
    ...t.prompt
      .trimEnd()
      .split("\n")
      .map((l) => `  ${l}`),
  );
  return out.join("\n");
}

/** Continuation lines indented under the first, after a prefix. */
const block = (prefix: string, text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((l, i) => (i === 0 ? `${prefix}${l}` : `${" ".repeat(prefix.length)}${l}`))
    .join("\n");

/**
 * One event as terminal lines, or undefined when it says nothing a reader of the log needs
 * (raw JSON lines without a readable form, usage totals).
 */
export function eventLine(e: LoopEvent): string | undefined {
  switch (e.type) {
    case "task.created":
      return `created "${e.data.title}" in ${e.data.workingDir} (at most ${e.data.maxIterations} iterations)`;
    case "task.started":
      return "started";
    case "iteration.started":
      return `── iteration ${e.data.n} ──`;
    case "agent.started":
      return `${e.data.agent} started${e.data.pid === null ? "" : ` (pid ${e.data.pid})`}`;
    case "agent.output": {
      const { agent, parsed, stream, line, continuation } = e.data;
      if (parsed) {
        const tag = parsed.kind === "text" ? "" : `[${parsed.kind}] `;
        return block(`${agent} │ ${tag}`, parsed.text);
      }
      // A JSON event with no readable form (session set-up, deltas) is for the raw log, not here.
      if (stream === "stdout" && (continuation || line.trimStart().startsWith("{"))) return undefined;
      // codex exec --json repeats its whole transcript on stderr; its JSON on stdout is what is shown.
      if (line.trim() === "" || (agent === "codex" && stream === "stderr")) return undefined;
      return block(`${agent} ${stream === "stderr" ? "!" : "│"} `, line);
    }
    case "agent.finished": {
      const { agent, ok, exitCode, durationMs, error } = e.data;
      const how = ok ? "finished" : `failed${error ? `: ${error}` : ""}`;
      return `${agent} ${how} (exit ${exitCode ?? "-"}, ${seconds(durationMs)})`;
    }
    case "review.verdict":
      return `verdict: ${e.data.status}${e.data.firstLine && e.data.firstLine !== `STATUS: ${e.data.status}` ? ` — ${e.data.firstLine}` : ""}`;
    case "iteration.finished":
      return `── iteration ${e.data.n} ${e.data.status}${e.data.verdict ? ` (${e.data.verdict})` : ""} ──`;
    case "task.warning":
      return `warning: ${e.data.message}`;
    case "task.finished":
      return `finished: ${e.data.status} — ${e.data.reason}`;
    case "task.cancel_requested":
      return "cancel requested";
    case "task.paused":
      return `paused until ${e.data.resumeAt} (${e.data.agent}): ${e.data.reason}`;
    case "task.resumed":
      return `resumed${e.data.from ? ` from ${e.data.from}` : ""}`;
    case "task.interrupted":
      return `paused: ${e.data.reason} (\`pnpm loop resume ${e.taskId}\` continues it)`;
    case "task.requeued":
      return `queued again from ${e.data.from} (at most ${e.data.maxIterations} iterations)`;
    case "task.usage":
    case "task.updated":
    case "iteration.updated":
      return undefined;
    case "changes.recorded":
      return e.data.scope === "iteration" ? `changes: ${e.data.summary}` : undefined;
    case "check.started":
      return `check: ${e.data.command}`;
    case "check.output": {
      const { stream, line, continuation } = e.data;
      if (continuation || line.trim() === "") return undefined;
      return block(`check ${stream === "stderr" ? "!" : "│"} `, line);
    }
    case "check.finished": {
      const { ok, exitCode, durationMs, timedOut } = e.data;
      const how = ok ? "passed" : timedOut ? "timed out (killed)" : "FAILED";
      return `check ${how} (exit ${exitCode ?? "-"}, ${seconds(durationMs)})`;
    }
    case "findings.updated": {
      const text = new Map(e.data.findings.map((f) => [f.id, f.text]));
      const lines = [
        ...e.data.opened.map((id) => `finding: ${text.get(id) ?? id}`),
        ...e.data.resolved.map((id) => `resolved: ${text.get(id) ?? id}`),
      ];
      return lines.length > 0 ? lines.join("\n") : undefined;
    }
    case "note.added":
      return block("your note │ ", e.data.note.text);
    case "task.waiting":
      return `waiting for you: ${e.data.reason} (\`pnpm loop resume ${e.taskId} --note "…"\` goes on, \`pnpm loop accept ${e.taskId}\` ends it)`;
    default: {
      const _: never = e;
      return _;
    }
  }
}
