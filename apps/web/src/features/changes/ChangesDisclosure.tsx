import { useEffect, useId, useState } from "react";
import { api } from "../../lib/api.ts";
import type { ChangesRecorded } from "../task/model.ts";
import { LazyChangesView } from "./LazyChangesView.tsx";

/**
 * A collapsible "Changes" block for one NNN-changes.md (or changes.md): the summary line from the
 * event, and once opened the artifact as a diff view. It fetches again when the file is rewritten.
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
  const [text, setText] = useState<{ id: number; source: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const bodyId = useId();
  const { taskId, artifact, id } = recorded;

  useEffect(() => {
    if (!open) return;
    let stop = false;
    api.tasks.artifact(taskId, artifact).then(
      (source) => {
        if (stop) return;
        setText({ id, source });
        setError(null);
      },
      (err: Error) => !stop && setError(`Could not read ${artifact}: ${err.message}`),
    );
    return () => {
      stop = true;
    };
  }, [open, taskId, artifact, id]);

  return (
    <div className="changes-block">
      <h3 className="agent-head">
        <button
          type="button"
          className="disclosure"
          aria-expanded={open}
          aria-controls={bodyId}
          onClick={() => setOpen(!open)}
        >
          <span aria-hidden="true" className="chevron">
            {open ? "▾" : "▸"}
          </span>
          {title}
        </button>
        <span className="muted changes-block-summary">{recorded.summary}</span>
      </h3>
      <div id={bodyId} hidden={!open}>
        {open && error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {open && !error && !text && <p className="muted">Loading {artifact}…</p>}
        {open && text && <LazyChangesView source={text.source} label={label} />}
      </div>
    </div>
  );
}
