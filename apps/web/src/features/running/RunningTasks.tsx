import type { Task } from "@loop/shared";
import { useQuery } from "@tanstack/react-query";
import { Link } from "../../app/router.tsx";
import { queueQuery } from "../../lib/cache.ts";
import { AGENT_LABEL } from "../../lib/format.ts";
import { LiveLine } from "../task/LiveLine.tsx";
import { LogView } from "../task/LogView.tsx";
import type { AgentLog, TaskView } from "../task/model.ts";
import { useTaskView } from "../task/useTaskView.ts";
import { StatusBadge } from "../tasks/StatusBadge.tsx";
import "./running.css";

/**
 * With LOOP_MAX_PARALLEL above 1: every running task side by side (stacked on a narrow screen),
 * each with its live log. Each card subscribes to its own task's output on the shared stream
 * (lib/events.ts), so the output of tasks no card or page shows stays filtered out.
 */
export function RunningTasks() {
  const read = useQuery(queueQuery);
  const queue = read.data;
  if (!queue || queue.maxParallel <= 1 || queue.runningTasks.length === 0) return null;
  return (
    <section className="running-tasks" aria-labelledby="running-heading">
      <h2 id="running-heading">
        Running {queue.runningTasks.length} of {queue.maxParallel}
      </h2>
      <div className="running-grid">
        {queue.runningTasks.map((t) => (
          <RunningCard key={t.id} task={t} />
        ))}
      </div>
    </section>
  );
}

/** The log being written now: the latest iteration's agent that started last (its lines so far). */
function currentLog(view: TaskView): { n: number; log: AgentLog } | null {
  for (let i = view.iterations.length - 1; i >= 0; i--) {
    const it = view.iterations[i]!;
    const logs = [it.claude, it.codex].filter((l) => l.started);
    const log =
      logs.find((l) => !l.finished) ?? logs.sort((a, b) => (a.started!.ts < b.started!.ts ? 1 : -1))[0];
    if (log) return { n: it.n, log };
  }
  return null;
}

function RunningCard({ task }: { task: Task }) {
  const now = currentLog(useTaskView(task.id));
  const label = now
    ? `${AGENT_LABEL[now.log.agent]} output, iteration ${now.n}: ${task.title}`
    : `Live log: ${task.title}`;
  return (
    <article className="card running-card" aria-label={`Running: ${task.title}`}>
      <header className="running-card-head">
        <Link href={`/tasks/${encodeURIComponent(task.id)}`}>{task.title}</Link>
        <span className="spacer" />
        <StatusBadge status={task.status} />
      </header>
      <p className="muted running-where">
        {now ? `iteration ${now.n} · ${AGENT_LABEL[now.log.agent]}` : "starting…"}
        {task.isolation === "worktree" ? " · own worktree" : ""} · <code>{task.workingDir}</code>
      </p>
      {now ? (
        <>
          <LogView lines={now.log.lines} version={now.log.version} label={label} />
          {!now.log.finished && <LiveLine taskId={task.id} n={now.n} agent={now.log.agent} log={now.log} />}
        </>
      ) : (
        <p className="muted log-empty">No output yet.</p>
      )}
    </article>
  );
}
