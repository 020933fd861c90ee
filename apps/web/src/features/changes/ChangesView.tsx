import type { Changes } from "@loop/shared";
import { type KeyboardEvent, useMemo, useRef, useState } from "react";
import { flushSync } from "react-dom";
import "react-diff-view/style/index.css";
import "./changes.css";
import { Counts, FileDiff, StatusMark } from "./FileDiff.tsx";
import { type DiffLayout, useDiffLayout } from "./layout.ts";
import { changesNotes, changesSummary, type FileView, fileListLine, fileViews } from "./view.ts";

export interface ChangesViewProps {
  /** An iteration's (or the whole task's) changes, as the server sends them. */
  changes: Changes;
  /** The region's accessible name (default: the changes' title). */
  label?: string | undefined;
}

/**
 * An iteration's (or the whole task's) changes as a diff view: a list of the files that jumps to
 * each, a unified/split switch, and one collapsible, syntax-highlighted section per file.
 * This module carries react-diff-view and the highlighter; load it through LazyChangesView so it
 * is fetched on use.
 */
export default function ChangesView({ changes, label }: ChangesViewProps) {
  const files = useMemo(() => fileViews(changes), [changes]);
  const summary = changesSummary(changes);
  const notes = useMemo(() => changesNotes(changes), [changes]);
  const { layout, narrow, choose } = useDiffLayout();
  // What the reader toggled; the rest follow each file's default.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const isOpen = (f: FileView) => toggled[f.key] ?? f.open;
  const setAll = (open: boolean) => setToggled(Object.fromEntries(files.map((f) => [f.key, open] as const)));
  const sections = useRef(new Map<string, HTMLDetailsElement>());

  /** Opens a file, brings it to the top of the screen and puts the focus on its header. */
  const jump = (f: FileView) => {
    flushSync(() => setToggled((t) => ({ ...t, [f.key]: true })));
    const el = sections.current.get(f.key);
    el?.scrollIntoView({ block: "start" });
    el?.querySelector("summary")?.focus({ preventScroll: true });
  };

  return (
    <section className="changes" aria-label={label ?? changes.title}>
      {summary && <p className="changes-summary">{summary}</p>}
      {notes.map((n) => (
        <p key={n} className="changes-note">
          {n}
        </p>
      ))}
      {files.length > 1 && <FileList files={files} onJump={jump} />}
      {files.length > 0 && (
        <div className="changes-toolbar">
          {files.length > 1 && (
            <>
              <button type="button" onClick={() => setAll(true)}>
                Expand all
              </button>
              <button type="button" onClick={() => setAll(false)}>
                Collapse all
              </button>
            </>
          )}
          {!narrow && <LayoutSwitch layout={layout} onChoose={choose} />}
        </div>
      )}
      {files.map((f) => (
        <FileDiff
          key={f.key}
          view={f}
          open={isOpen(f)}
          layout={layout}
          detailsRef={(el) => {
            if (el) sections.current.set(f.key, el);
            else sections.current.delete(f.key);
          }}
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

/** The files of the diff with their counts; a click (or Enter) jumps to one, ↑/↓ move along the list. */
function FileList({ files, onJump }: { files: FileView[]; onJump: (f: FileView) => void }) {
  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const buttons = [...e.currentTarget.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    e.preventDefault();
    buttons[Math.min(buttons.length - 1, Math.max(0, at + (e.key === "ArrowDown" ? 1 : -1)))]?.focus();
  };
  return (
    <ul className="changes-files" aria-label="Files" onKeyDown={onKeyDown}>
      {files.map((f) => (
        <li key={f.key}>
          <button type="button" onClick={() => onJump(f)}>
            <StatusMark status={f.status} />
            <span className="mono changes-path">{f.label}</span>
            <Counts view={f} />
          </button>
        </li>
      ))}
    </ul>
  );
}

function LayoutSwitch({ layout, onChoose }: { layout: DiffLayout; onChoose: (l: DiffLayout) => void }) {
  return (
    <fieldset className="changes-layout">
      <legend className="visually-hidden">Diff layout</legend>
      {(["unified", "split"] as const).map((l) => (
        <button key={l} type="button" aria-pressed={layout === l} onClick={() => onChoose(l)}>
          {l === "unified" ? "Unified" : "Split"}
        </button>
      ))}
    </fieldset>
  );
}
