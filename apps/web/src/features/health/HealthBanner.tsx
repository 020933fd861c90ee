import { useEffect } from "react";
import { useStore } from "../../lib/store.ts";
import { agentProblems, health, refreshHealth } from "./health.ts";

/** While red: the server notices a CLI coming back by itself (LOOP_HEALTH_INTERVAL_MS). */
const RECHECK_MS = 3000;
/**
 * Otherwise, while the tab is visible: a CLI removed or broken with the page open. No event says so
 * (a queued task just waits), and the refetch a task's status change makes can be answered from the
 * server's cached probe from before the change.
 */
const WATCH_MS = 10_000;

/**
 * Red while a CLI is missing or broken (tasks are refused and the queue waits, said here too),
 * amber for what only needs a look (not logged in, newer than tested): tasks run.
 */
export function HealthBanner() {
  const h = useStore(health);
  const problems = h ? agentProblems(h.agents) : [];
  const waiting = h?.queue.waiting;
  const error = problems.some((p) => p.severity === "error") || Boolean(waiting);
  // The banner follows the server's checks without a reload, either way.
  useEffect(() => {
    const t = setInterval(
      () => {
        if (error || document.visibilityState !== "hidden") void refreshHealth();
      },
      error ? RECHECK_MS : WATCH_MS,
    );
    return () => clearInterval(t);
  }, [error]);
  if (!h || (problems.length === 0 && !waiting)) return null;
  return (
    <section
      className={`banner ${error ? "banner-error" : "banner-warning"}`}
      role="alert"
      aria-label="Agent CLI problems"
    >
      <strong>{error ? "Tasks cannot run yet." : "Check your agent CLIs."}</strong>
      <ul>
        {problems.map((p) => (
          <li key={`${p.agent}: ${p.message}`}>{p.message}</li>
        ))}
        {waiting && <li>The queue is {waiting}; it goes on once the CLI is back.</li>}
      </ul>
    </section>
  );
}
