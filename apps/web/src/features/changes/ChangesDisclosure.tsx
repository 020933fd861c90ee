import type { Changes } from "@loop/shared";
import { useEffect, useId, useState } from "react";
import { ApiError, api } from "../../lib/api.ts";
import { DisclosureButton } from "../task/DisclosureButton.tsx";
import type { ChangesRecorded } from "../task/model.ts";
import { LazyChangesView } from "./LazyChangesView.tsx";

/** Why a diff cannot be shown: none stored (a task an older loop ran), or the call failed. */
export function changesError(err: unknown, artifact: string): { message: string; stored: boolean } {
  if (err instanceof ApiError && err.code === "changes_not_found") {
    return { message: `No diff was stored for these changes; ${artifact} has them as text.`, stored: false };
  }
  return { message: `Could not read the changes: ${(err as Error).message}`, stored: true };
}

/**
 * A collapsible "Changes" block for one iteration's changes (or the whole task's): the summary
 * line from the event, and once opened the changes, fetched as data, as a diff view. It fetches
 * again when they are computed again.
 */
export function ChangesDisclosure({
  recorded,
  title,
  label,
  defaultOpen = false,
}: {
  recorded: ChangesRecorded;
  /** The heading text ("Changes", "Whole task"). */
  title: string;
  /** The diff view's accessible name. */
  label: string;
  defaultOpen?: boolean;
}) {
  const [open, setOpen] = useState(defaultOpen);
  const [data, setData] = useState<{ id: number; changes: Changes } | null>(null);
  const [error, setError] = useState<{ message: string; stored: boolean } | null>(null);
  const bodyId = useId();
  const { taskId, artifact, id, scope, iteration } = recorded;

  useEffect(() => {
    if (!open) return;
    let stop = false;
    const call =
      scope === "iteration" && iteration !== null
        ? api.tasks.iterationChanges(taskId, iteration)
        : api.tasks.changes(taskId);
    call.then(
      ({ changes }) => {
        if (stop) return;
        setData({ id, changes });
        setError(null);
      },
      (err: unknown) => !stop && setError(changesError(err, artifact)),
    );
    return () => {
      stop = true;
    };
  }, [open, taskId, scope, iteration, artifact, id]);

  const artifactHref = `/api/tasks/${encodeURIComponent(taskId)}/artifacts/${encodeURIComponent(artifact)}`;
  return (
    <div className="changes-block">
      <h3 className="agent-head">
        <DisclosureButton open={open} controls={bodyId} onToggle={() => setOpen(!open)}>
          {title}
        </DisclosureButton>
        <span className="muted changes-block-summary">{recorded.summary}</span>
      </h3>
      <div id={bodyId} hidden={!open}>
        {open && error && (
          <p className={error.stored ? "form-error" : "muted"} role={error.stored ? "alert" : undefined}>
            {error.message}{" "}
            {!error.stored && (
              <a href={artifactHref} target="_blank" rel="noreferrer">
                Open {artifact}
              </a>
            )}
          </p>
        )}
        {open && !error && !data && <p className="muted">Loading the changes…</p>}
        {open && !error && data && <LazyChangesView changes={data.changes} label={label} />}
      </div>
    </div>
  );
}
