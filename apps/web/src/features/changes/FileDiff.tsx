import { useRef } from "react";
import { Diff, Hunk } from "react-diff-view";
import { highlightable, useHighlight } from "./highlight.ts";
import { languageOf } from "./languages.ts";
import type { DiffLayout } from "./layout.ts";
import type { FileStatus, FileView } from "./view.ts";

const STATUS_ICON: Record<FileStatus, string> = {
  added: "A",
  deleted: "D",
  modified: "M",
  renamed: "R",
  copied: "C",
  type_changed: "T",
};

/** A file's status as a coloured letter, its word for screen readers. */
export function StatusMark({ status }: { status: FileStatus }) {
  return (
    <span className={`changes-status changes-status-${status}`} title={status}>
      <span aria-hidden="true">{STATUS_ICON[status]}</span>
      <span className="visually-hidden">{status}</span>
    </span>
  );
}

/** "+3 −1", said as "3 lines added, 1 deleted"; "binary" for a binary file. */
export function Counts({ view }: { view: FileView }) {
  if (view.binary) return <span className="muted">binary</span>;
  return (
    <span className="changes-counts">
      <span aria-hidden="true">
        <span className="changes-added">+{view.added}</span>{" "}
        <span className="changes-deleted">−{view.deleted}</span>
      </span>
      <span className="visually-hidden">{`${view.added} ${view.added === 1 ? "line" : "lines"} added, ${view.deleted} deleted`}</span>
    </span>
  );
}

/** One file of the diff: a collapsible section whose body (the diff table) exists only while open. */
export function FileDiff({
  view,
  open,
  layout,
  onToggle,
  detailsRef,
}: {
  view: FileView;
  open: boolean;
  layout: DiffLayout;
  onToggle: (open: boolean) => void;
  detailsRef: (el: HTMLDetailsElement | null) => void;
}) {
  const language = languageOf(view.path);
  const own = useRef<HTMLDetailsElement | null>(null);
  const tokens = useHighlight(view.hunks, language, open && !view.binary, own);
  return (
    <details
      ref={(el) => {
        own.current = el;
        detailsRef(el);
      }}
      className="changes-file"
      data-path={view.path}
      data-language={language ?? undefined}
      open={open}
      onToggle={(e) => onToggle(e.currentTarget.open)}
    >
      <summary>
        <StatusMark status={view.status} />
        <span className="mono changes-path">{view.label}</span>
        <Counts view={view} />
      </summary>
      {/* Closed files render nothing: a large diff costs only what the reader opens. */}
      {open &&
        (view.binary ? (
          <p className="muted changes-empty">Binary file: its content is not shown.</p>
        ) : view.hunks.length === 0 ? (
          <p className="muted changes-empty">No change to the content.</p>
        ) : (
          <>
            {language !== null && !highlightable(view.hunks) && (
              <p className="muted changes-empty">Too large to highlight: shown as plain text.</p>
            )}
            <Diff
              viewType={layout}
              diffType={view.diffType}
              hunks={view.hunks}
              tokens={tokens}
              className={tokens ? "diff-highlighted" : undefined}
            >
              {(hunks) => hunks.map((h, i) => <Hunk key={`${i}:${h.content}`} hunk={h} />)}
            </Diff>
          </>
        ))}
    </details>
  );
}
