import type { Artifact } from "@loop/shared";
import { lazy, Suspense, useEffect, useId, useRef, useState } from "react";
import { api } from "../../lib/api.ts";
import { formatBytes } from "../../lib/format.ts";
import "./artifacts.css";

// react-markdown is most of the bundle's weight: load it when an artifact is first opened.
const Markdown = lazy(() => import("./Markdown.tsx"));

/** The list in groups: the task's own files first, then each iteration's (`NNN-…`), in order. */
export function groupArtifacts(artifacts: readonly Artifact[]): { label: string; files: Artifact[] }[] {
  const task: Artifact[] = [];
  const byIteration = new Map<number, Artifact[]>();
  for (const a of artifacts) {
    const m = /^(\d{3})-/.exec(a.name);
    if (!m) task.push(a);
    else {
      const n = Number(m[1]);
      byIteration.set(n, [...(byIteration.get(n) ?? []), a]);
    }
  }
  const groups = task.length > 0 ? [{ label: "Task", files: task }] : [];
  for (const n of [...byIteration.keys()].sort((a, b) => a - b))
    groups.push({ label: `Iteration ${n}`, files: byIteration.get(n)! });
  return groups;
}

export function ArtifactsPanel({ taskId, refreshKey }: { taskId: string; refreshKey: number }) {
  const [artifacts, setArtifacts] = useState<Artifact[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [content, setContent] = useState<{ name: string; text: string } | null>(null);
  const [raw, setRaw] = useState(false);
  const headingId = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  // The file opens in a wide panel over the page: a 10-column table needs more than a sidebar.
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (selected && !d.open) d.showModal();
    if (!selected && d.open) d.close();
  }, [selected]);
  useEffect(() => {
    let stop = false;
    api.tasks.artifacts(taskId).then(
      (r) => {
        if (stop) return;
        setArtifacts(r.artifacts);
        setError(null);
      },
      (err: Error) => !stop && setError(err.message),
    );
    return () => {
      stop = true;
    };
  }, [taskId, refreshKey]);

  const selectedSize = artifacts?.find((a) => a.name === selected)?.size;
  useEffect(() => {
    if (!selected) return;
    let stop = false;
    api.tasks.artifact(taskId, selected).then(
      (text) => !stop && setContent({ name: selected, text }),
      (err: Error) =>
        !stop && setContent({ name: selected, text: `Could not read ${selected}: ${err.message}` }),
    );
    return () => {
      stop = true;
    };
  }, [taskId, selected, selectedSize]);

  return (
    <aside className="artifacts card" aria-labelledby={headingId}>
      <h2 id={headingId}>Artifacts</h2>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {artifacts && artifacts.length === 0 && (
        <p className="muted">No files yet: they appear as the run goes.</p>
      )}
      {artifacts && artifacts.length > 0 && (
        <ul className="artifact-list" aria-label="Artifact files">
          {groupArtifacts(artifacts).map((g) => (
            <li key={g.label} className="artifact-group">
              <h3>{g.label}</h3>
              <ul aria-label={`${g.label} files`}>
                {g.files.map((a) => (
                  <li key={a.name}>
                    <button
                      type="button"
                      className={`artifact${a.name === selected ? " selected" : ""}`}
                      aria-pressed={a.name === selected}
                      onClick={() => setSelected(a.name === selected ? null : a.name)}
                    >
                      <span className="mono">{a.name}</span>
                      <span className="muted">{formatBytes(a.size)}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      <dialog ref={dialog} className="artifact-dialog" onClose={() => setSelected(null)}>
        {selected && (
          <section className="artifact-view" aria-label={`Artifact ${selected}`}>
            <div className="artifact-toolbar">
              <strong className="mono">{selected}</strong>
              <span className="spacer" />
              <button type="button" aria-pressed={!raw} onClick={() => setRaw(false)}>
                Rendered
              </button>
              <button type="button" aria-pressed={raw} onClick={() => setRaw(true)}>
                Raw
              </button>
              <a
                className="button"
                href={`/api/tasks/${encodeURIComponent(taskId)}/artifacts/${encodeURIComponent(selected)}`}
                target="_blank"
                rel="noreferrer"
              >
                Open
              </a>
              <button type="button" onClick={() => setSelected(null)} aria-label="Close the file">
                Close
              </button>
            </div>
            {content?.name !== selected ? (
              <p className="muted">Loading…</p>
            ) : raw ? (
              <pre className="artifact-raw">{content.text}</pre>
            ) : (
              <Suspense fallback={<p className="muted">Rendering…</p>}>
                <Markdown source={content.text} />
              </Suspense>
            )}
          </section>
        )}
      </dialog>
    </aside>
  );
}
