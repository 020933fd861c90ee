import type { Task } from "@loop/shared";
import { canResume } from "@loop/shared/statuses";
import { useState } from "react";

/**
 * Resume: the same task continues after its last finished agent run. At its iteration cap it needs
 * more iterations ("Resume with N more iterations"). A usage-limit pause resumes by itself.
 */
export function ResumeControl(props: {
  task: Task;
  waitingForLimit: boolean;
  busy: boolean;
  onResume(extraIterations?: number): void;
}) {
  const { task, waitingForLimit, busy } = props;
  const [extra, setExtra] = useState(3);
  if (!canResume(task.status) || waitingForLimit) return null;
  const atCap = task.status === "needs_attention" && task.currentIteration >= task.maxIterations;
  if (!atCap) {
    return (
      <button type="button" className="primary" onClick={() => props.onResume()} disabled={busy}>
        Resume
      </button>
    );
  }
  return (
    <span className="resume-more">
      <button type="button" className="primary" onClick={() => props.onResume(extra)} disabled={busy}>
        Resume with {extra} more iteration{extra === 1 ? "" : "s"}
      </button>
      <input
        type="number"
        min={1}
        max={100}
        value={extra}
        aria-label="More iterations"
        onChange={(e) => setExtra(Math.max(1, Math.min(100, Number(e.target.value) || 1)))}
      />
    </span>
  );
}
