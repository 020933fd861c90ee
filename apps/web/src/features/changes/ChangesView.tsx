import { useMemo, useState } from "react";
import { Diff, type FileData, Hunk, parseDiff } from "react-diff-view";
import "react-diff-view/style/index.css";
import "./changes.css";
import { type FileStatus, type FileView, fileViews, parseChangesDoc } from "./parse.ts";

export interface ChangesViewProps {
  /** An NNN-changes.md, or a raw unified diff. */
  source: string;
  /** The region's accessible name (default: the document's title, or "Changes"). */
  label?: string | undefined;
}

const STATUS_ICON: Record<FileStatus, string> = {
  added: "A",
  deleted: "D",
  modified: "M",
  renamed: "R",
  copied: "C",
};

/**
 * An iteration's (or the whole task's) changes as a diff view: one collapsible section per file.
 * This module carries react-diff-view; load it through LazyChangesView so it is fetched on use.
 */
export default function ChangesView({ source, label }: ChangesViewProps) {
  const doc = useMemo(() => parseChangesDoc(source), [source]);
  const files = useMemo(() => {
    if (!doc.diff.trim()) return [];
    try {
      return fileViews(parseDiff(doc.diff, { nearbySequences: "zip" }), doc.diff);
    } catch {
      return null;
    }
  }, [doc.diff]);
  // What the reader toggled; the rest follow each file's default.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const isOpen = (f: FileView<FileData>) => toggled[f.key] ?? f.open;
  const setAll = (open: boolean) =>
    setToggled(Object.fromEntries((files ?? []).map((f) => [f.key, open] as const)));

  return (
    <section className="changes" aria-label={label ?? doc.title ?? "Changes"}>
      {doc.summary && <p className="changes-summary">{doc.summary}</p>}
      {doc.notes.map((n) => (
        <p key={n} className="changes-note">
          {n}
        </p>
      ))}
      {files === null && (
        // A diff the parser does not read is still worth showing as text.
        <pre className="changes-raw">{doc.diff}</pre>
      )}
      {files && files.length > 1 && (
        <div className="changes-toolbar">
          <button type="button" onClick={() => setAll(true)}>
            Expand all
          </button>
          <button type="button" onClick={() => setAll(false)}>
            Collapse all
          </button>
        </div>
      )}
      {files?.map((f) => (
        <FileDiff
          key={f.key}
          view={f}
          open={isOpen(f)}
          onToggle={(open) => setToggled((t) => (t[f.key] === open ? t : { ...t, [f.key]: open }))}
        />
      ))}
      {files?.length === 0 && doc.fileList.length > 0 && (
        <ul className="changes-list" aria-label="Changed files">
          {doc.fileList.map((l) => (
            <li key={l}>{l.replace(/`/g, "")}</li>
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
  view: FileView<FileData>;
  open: boolean;
  onToggle: (open: boolean) => void;
}) {
  const { file } = view;
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
        ) : file.hunks.length === 0 ? (
          <p className="muted changes-empty">No change to the content.</p>
        ) : (
          <Diff viewType="unified" diffType={file.type} hunks={file.hunks}>
            {(hunks) => hunks.map((h, i) => <Hunk key={`${i}:${h.content}`} hunk={h} />)}
          </Diff>
        ))}
    </details>
  );
}
