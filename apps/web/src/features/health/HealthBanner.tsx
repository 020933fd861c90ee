import { useEffect, useState } from "react";
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

const DISMISSED = "loop.dismissedNotes";

function readDismissed(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(DISMISSED) ?? "[]");
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

/**
 * Red while a CLI is missing or broken (tasks are refused and the queue waits): it stays until the
 * CLI works. A setup that runs but is worth a look (not logged in, as with an API key; newer than
 * tested) is a quiet note, dismissed for good with one click (until it says something new).
 */
export function HealthBanner() {
  const h = useStore(health);
  const [dismissed, setDismissed] = useState(readDismissed);
  const problems = h ? agentProblems(h.agents) : [];
  const errors = problems.filter((p) => p.severity === "error");
  const notes = problems.filter((p) => p.severity === "warning" && !dismissed.includes(p.key));
  const waiting = h?.queue.waiting;
  const error = errors.length > 0 || Boolean(waiting);
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
  const dismiss = () => {
    const next = [...new Set([...dismissed, ...notes.map((n) => n.key)])];
    try {
      localStorage.setItem(DISMISSED, JSON.stringify(next));
    } catch {
      // Private mode: dismissed for this page only.
    }
    setDismissed(next);
  };
  return (
    <>
      {error && (
        <section className="banner banner-error" role="alert" aria-label="Agent CLI problems">
          <strong>Tasks cannot run yet.</strong>
          <ul>
            {errors.map((p) => (
              <li key={p.key}>{p.message}</li>
            ))}
            {waiting && errors.length === 0 && <li>The queue is {waiting}.</li>}
          </ul>
          <p className="banner-foot">
            {waiting ? "Queued tasks wait; " : ""}
            {waiting ? "loop" : "Loop"} notices by itself when the CLI works.
          </p>
        </section>
      )}
      {notes.length > 0 && (
        <section className="banner banner-note" role="status" aria-label="Agent CLI notes">
          <ul>
            {notes.map((p) => (
              <li key={p.key}>{p.message}</li>
            ))}
          </ul>
          <button type="button" className="banner-dismiss" onClick={dismiss} aria-label="Dismiss these notes">
            Dismiss
          </button>
        </section>
      )}
    </>
  );
}
