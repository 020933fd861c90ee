import type { Changes } from "@loop/shared";
import { useMemo, useState } from "react";
import { Diff, Hunk } from "react-diff-view";
import "react-diff-view/style/index.css";
import "./changes.css";
import {
  changesNotes,
  changesSummary,
  type FileStatus,
  type FileView,
  fileListLine,
  fileViews,
} from "./view.ts";

export interface ChangesViewProps {
  /** An iteration's (or the whole task's) changes, as the server sends them. */
  changes: Changes;
  /** The region's accessible name (default: the changes' title). */
  label?: string | undefined;
}

const STATUS_ICON: Record<FileStatus, string> = {
  added: "A",
  deleted: "D",
  modified: "M",
  renamed: "R",
  copied: "C",
  type_changed: "T",
};

/**
 * An iteration's (or the whole task's) changes as a diff view: one collapsible section per file.
 * This module carries react-diff-view; load it through LazyChangesView so it is fetched on use.
 */
export default function ChangesView({ changes, label }: ChangesViewProps) {
  const files = useMemo(() => fileViews(changes), [changes]);
  const summary = changesSummary(changes);
  const notes = useMemo(() => changesNotes(changes), [changes]);
  // What the reader toggled; the rest follow each file's default.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const isOpen = (f: FileView) => toggled[f.key] ?? f.open;
  const setAll = (open: boolean) => setToggled(Object.fromEntries(files.map((f) => [f.key, open] as const)));

  return (
    <section className="changes" aria-label={label ?? changes.title}>
      {summary && <p className="changes-summary">{summary}</p>}
      {notes.map((n) => (
        <p key={n} className="changes-note">
          {n}
        </p>
      ))}
      {files.length > 1 && (
        <div className="changes-toolbar">
          <button type="button" onClick={() => setAll(true)}>
            Expand all
          </button>
          <button type="button" onClick={() => setAll(false)}>
            Collapse all
          </button>
        </div>
      )}
      {files.map((f) => (
        <FileDiff
          key={f.key}
          view={f}
          open={isOpen(f)}
          onToggle={(open) => setToggled((t) => (t[f.key] === open ? t : { ...t, [f.key]: open }))}
        />
      ))}
      {files.length === 0 && changes.files.length > 0 && (
        <ul className="changes-list" aria-label="Changed files">
          {changes.files.map((f) => (
            <li key={`${f.oldPath ?? ""}:${f.path}`}>{fileListLine(f)}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function FileDiff({
  view,
  open,
  onToggle,
}: {
  view: FileView;
  open: boolean;
  onToggle: (open: boolean) => void;
}) {
  return (
    <details className="changes-file" open={open} onToggle={(e) => onToggle(e.currentTarget.open)}>
      <summary>
        <span className={`changes-status changes-status-${view.status}`} title={view.status}>
          <span aria-hidden="true">{STATUS_ICON[view.status]}</span>
          <span className="visually-hidden">{view.status}</span>
        </span>
        <span className="mono changes-path">{view.label}</span>
        {view.binary ? (
          <span className="muted">binary</span>
        ) : (
          <span className="changes-counts">
            <span aria-hidden="true">
              <span className="changes-added">+{view.added}</span>{" "}
              <span className="changes-deleted">−{view.deleted}</span>
            </span>
            <span className="visually-hidden">{`${view.added} lines added, ${view.deleted} deleted`}</span>
          </span>
        )}
      </summary>
      {/* Closed files render nothing: a large diff costs only what the reader opens. */}
      {open &&
        (view.binary ? (
          <p className="muted changes-empty">Binary file: its content is not shown.</p>
        ) : view.hunks.length === 0 ? (
          <p className="muted changes-empty">No change to the content.</p>
        ) : (
          <Diff viewType="unified" diffType={view.diffType} hunks={view.hunks}>
            {(hunks) => hunks.map((h, i) => <Hunk key={`${i}:${h.content}`} hunk={h} />)}
          </Diff>
        ))}
    </details>
  );
}
