import type { Artifact } from "@loop/shared";
import { lazy, Suspense, useEffect, useId, useState } from "react";
import { api } from "../../lib/api.ts";
import { formatBytes } from "../../lib/format.ts";

// react-markdown is most of the bundle's weight: load it when an artifact is first opened.
const Markdown = lazy(() => import("./Markdown.tsx"));

export function ArtifactsPanel({ taskId, refreshKey }: { taskId: string; refreshKey: number }) {
  const [artifacts, setArtifacts] = useState<Artifact[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [content, setContent] = useState<{ name: string; text: string } | null>(null);
  const [raw, setRaw] = useState(false);
  const headingId = useId();
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
          {artifacts.map((a) => (
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
      )}
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
    </aside>
  );
}
