import type { Finding, Iteration, Task } from "@loop/shared";
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api } from "../../lib/api.ts";

const pad = (n: number) => String(n).padStart(3, "0");

/**
 * The person in the loop, on a task that waits for the user (paused with nothing running,
 * needs_attention, failed): the last review, the open findings to dismiss or reopen, a note for
 * the agents, and Resume (+N), Accept, Retry. Every change comes back on the event stream.
 */
export function SteeringPanel(props: {
  task: Task;
  findings: readonly Finding[];
  iterations: readonly Iteration[];
  onRetry(): void;
  /** More iterations for Resume, as the user last set it (kept by the page across runs); null: the default. */
  extra: number | null;
  setExtra(n: number): void;
}) {
  const { task, findings } = props;
  const headingId = useId();
  const noteId = useId();
  const [note, setNote] = useState("");
  // Resume needs more iterations only after the cap's own iteration finished: an iteration cut short
  // (a server stop, a crash, a fault) runs again within the cap.
  const last = props.iterations.at(-1);
  const atCap = last !== undefined && last.status === "done" && last.n >= task.maxIterations;
  const extra = props.extra ?? (atCap ? 3 : 0);
  const { setExtra } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      setNote("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const text = note.trim() === "" ? undefined : note;
  const resume = () =>
    act(() =>
      api.tasks.resume(task.id, {
        ...(extra > 0 && { extraIterations: extra }),
        ...(text !== undefined && { note: text }),
      }),
    );
  const accept = () => act(() => api.tasks.accept(task.id, text === undefined ? {} : { note: text }));
  const open = findings.filter((f) => f.status === "open");
  const dismissed = findings.filter((f) => f.status === "dismissed");

  return (
    <section className="steering card" aria-labelledby={headingId}>
      <h2 id={headingId}>Your turn</h2>
      <LastReview task={task} iterations={props.iterations} />
      <h3>Open findings ({open.length})</h3>
      {open.length === 0 && <p className="muted">No open findings.</p>}
      <ul className="steer-findings">
        {open.map((f) => (
          <FindingRow key={f.id} taskId={task.id} finding={f} />
        ))}
      </ul>
      {dismissed.length > 0 && (
        <>
          <h3>Dismissed ({dismissed.length})</h3>
          <ul className="steer-findings">
            {dismissed.map((f) => (
              <FindingRow key={f.id} taskId={task.id} finding={f} />
            ))}
          </ul>
        </>
      )}
      <label htmlFor={noteId}>Note for the agents</label>
      <textarea
        id={noteId}
        rows={3}
        maxLength={20_000}
        value={note}
        placeholder="Your decision, verbatim in both agents' next prompts"
        onChange={(e) => setNote(e.target.value)}
      />
      <div className="steer-actions">
        <button type="button" className="primary" onClick={resume} disabled={busy || (atCap && extra < 1)}>
          {extra > 0 ? `Resume with ${extra} more iteration${extra === 1 ? "" : "s"}` : "Resume"}
        </button>
        <input
          type="number"
          min={atCap ? 1 : 0}
          max={100}
          value={extra}
          aria-label="More iterations"
          onChange={(e) => setExtra(Math.max(atCap ? 1 : 0, Math.min(100, Number(e.target.value) || 0)))}
        />
        <button type="button" onClick={accept} disabled={busy} title="End the task as done, as it is">
          Accept
        </button>
        <button type="button" onClick={props.onRetry} disabled={busy} title="Start over as a new task">
          Retry
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function LastReview({ task, iterations }: { task: Task; iterations: readonly Iteration[] }) {
  const last = iterations.findLast((i) => i.verdict !== null);
  const name = last ? `${pad(last.n)}-${task.reviewer}-output.md` : null;
  const review = useQuery({
    queryKey: ["artifact", task.id, name],
    queryFn: () => api.tasks.artifact(task.id, name!),
    enabled: name !== null,
  });
  if (!last) return null;
  return (
    <details className="last-review" open>
      <summary>Last review (iteration {last.n})</summary>
      <pre>{review.data ?? (review.isError ? "Could not load the review." : "Loading…")}</pre>
    </details>
  );
}

function FindingRow({ taskId, finding: f }: { taskId: string; finding: Finding }) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const reasonId = useId();
  const decide = async (status: "dismissed" | "open") => {
    setError(null);
    try {
      await api.tasks.finding(taskId, f.id, {
        status,
        ...(status === "dismissed" && reason.trim() && { reason }),
      });
      setAsking(false);
      setReason("");
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <li className={`steer-finding finding-${f.status}`}>
      <p>
        <strong>{f.id}</strong> {f.text}
        {f.dismissReason && <em className="muted"> — dismissed: {f.dismissReason}</em>}
      </p>
      {f.status === "dismissed" ? (
        <button type="button" onClick={() => decide("open")} aria-label={`Reopen ${f.id}`}>
          Reopen
        </button>
      ) : asking ? (
        <form
          className="dismiss-form"
          onSubmit={(e) => {
            e.preventDefault();
            void decide("dismissed");
          }}
        >
          <label htmlFor={reasonId}>Why dismiss {f.id}?</label>
          <input id={reasonId} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
          <button type="submit">Dismiss {f.id}</button>
          <button type="button" onClick={() => setAsking(false)}>
            Keep
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setAsking(true)} aria-label={`Dismiss ${f.id}`}>
          Dismiss
        </button>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** While the task runs: a note for the next iteration, under the log. */
export function NoteBox({ taskId }: { taskId: string }) {
  const id = useId();
  const [note, setNote] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  return (
    <form
      className="note-box card"
      onSubmit={(e) => {
        e.preventDefault();
        if (note.trim() === "") return;
        api.tasks.note(taskId, note).then(
          (r) => {
            setNote("");
            setStatus(`Note added for iteration ${r.note.forIteration}.`);
          },
          (err: Error) => setStatus(err.message),
        );
      }}
    >
      <label htmlFor={id}>Add a note for the next iteration</label>
      <textarea id={id} rows={2} maxLength={20_000} value={note} onChange={(e) => setNote(e.target.value)} />
      <button type="submit" disabled={note.trim() === ""}>
        Add note
      </button>
      {status && (
        <p className="muted" role="status">
          {status}
        </p>
      )}
    </form>
  );
}
