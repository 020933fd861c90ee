import type { TaskStatus } from "@loop/shared";
import { STATUS_LABEL } from "../../lib/format.ts";

const ICON: Record<TaskStatus, string> = {
  queued: "◷",
  running: "●",
  paused: "❚❚",
  done: "✓",
  needs_attention: "!",
  failed: "✗",
  cancelled: "⊘",
};

/** Colour and text (never colour alone), so the status reads in any theme and to a screen reader. */
export function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span aria-hidden="true" className="badge-icon">
        {ICON[status]}
      </span>
      <span className="badge-text">{STATUS_LABEL[status]}</span>
    </span>
  );
}
