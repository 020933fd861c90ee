import type { Task } from "@loop/shared";
import { type FormEvent, type KeyboardEvent, type ReactNode, useId, useState } from "react";
import { Link } from "../../app/router.tsx";
import { api, type FormErrors, type FormField, formErrorsFrom } from "../../lib/api.ts";
import { useStore } from "../../lib/store.ts";
import { health } from "../health/health.ts";
import { newTaskBody } from "./newTaskBody.ts";

const LAST_DIR_KEY = "loop.lastWorkingDir";

const readLastDir = () => {
  try {
    return localStorage.getItem(LAST_DIR_KEY) ?? "";
  } catch {
    return "";
  }
};

export function NewTaskForm({ onCreated }: { onCreated: (task: Task) => void }) {
  const h = useStore(health);
  const [title, setTitle] = useState("");
  const [prompt, setPrompt] = useState("");
  const [workingDir, setWorkingDir] = useState(readLastDir);
  const [maxIterations, setMaxIterations] = useState("");
  const [isolate, setIsolate] = useState(false);
  const [continueSession, setContinueSession] = useState(false);
  const [maxCostUsd, setMaxCostUsd] = useState("");
  const [maxCodexTokens, setMaxCodexTokens] = useState("");
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  /** The task just queued by "Queue and add another": said under the form, with a link to it. */
  const [queued, setQueued] = useState<Task | null>(null);
  const id = useId();

  const submit = async (e?: FormEvent, stay = false) => {
    e?.preventDefault();
    if (busy) return;
    const body = newTaskBody({
      title,
      prompt,
      workingDir,
      maxIterations,
      isolate,
      continueSession,
      maxCostUsd,
      maxCodexTokens,
    });
    setBusy(true);
    try {
      const { task } = await api.tasks.create(body);
      try {
        localStorage.setItem(LAST_DIR_KEY, body.workingDir);
      } catch {
        // Private mode: remembering the directory is a convenience only.
      }
      setErrors({ fields: {} });
      setTitle("");
      setPrompt("");
      if (stay) {
        setQueued(task);
        document.getElementById(`${id}-title`)?.focus();
      } else onCreated(task);
    } catch (err) {
      setErrors(formErrorsFrom(err));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  };

  const field = (name: FormField, label: string, control: (p: ControlProps) => ReactNode, hint?: string) => {
    const err = errors.fields[name];
    const controlId = `${id}-${name}`;
    const errId = `${controlId}-error`;
    const hintId = `${controlId}-hint`;
    const describedBy = [err ? errId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
    return (
      <div className={`field${err ? " field-invalid" : ""}`}>
        <label htmlFor={controlId}>{label}</label>
        {control({ id: controlId, "aria-invalid": err ? true : undefined, "aria-describedby": describedBy })}
        {hint && (
          <div className="hint" id={hintId}>
            {hint}
          </div>
        )}
        {err && (
          <div className="field-error" id={errId}>
            {err}
          </div>
        )}
      </div>
    );
  };

  const defaultMax = h?.defaults?.maxIterations;
  return (
    <form
      className="card new-task"
      aria-labelledby={`${id}-heading`}
      onSubmit={submit}
      onKeyDown={onKeyDown}
      noValidate
    >
      <h2 id={`${id}-heading`}>New task</h2>
      {errors.general && (
        <div className="form-error" role="alert">
          {errors.general}
        </div>
      )}
      {field("title", "Title", (p) => (
        <input
          {...p}
          name="title"
          value={title}
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
          autoComplete="off"
        />
      ))}
      {field(
        "prompt",
        "Prompt",
        (p) => (
          <textarea
            {...p}
            name="prompt"
            value={prompt}
            rows={7}
            onChange={(e) => setPrompt(e.target.value)}
          />
        ),
        "What Claude should do. Codex reviews each iteration until it answers STATUS: DONE.",
      )}
      {field(
        "workingDir",
        "Working directory",
        (p) => (
          <input
            {...p}
            name="workingDir"
            value={workingDir}
            onChange={(e) => setWorkingDir(e.target.value)}
            placeholder="/home/you/project"
            spellCheck={false}
            autoComplete="off"
            className="mono"
          />
        ),
        "Absolute path of the repository the agents work in.",
      )}
      {field("maxIterations", "Max iterations", (p) => (
        <input
          {...p}
          name="maxIterations"
          type="number"
          inputMode="numeric"
          min={1}
          max={100}
          step={1}
          value={maxIterations}
          onChange={(e) => setMaxIterations(e.target.value)}
          placeholder={defaultMax ? `${defaultMax} (default)` : "server default"}
        />
      ))}
      <div className="field-row">
        {field(
          "maxCostUsd",
          "Claude budget ($)",
          (p) => (
            <input
              {...p}
              name="maxCostUsd"
              type="text"
              inputMode="decimal"
              value={maxCostUsd}
              onChange={(e) => setMaxCostUsd(e.target.value)}
              placeholder="no budget"
              autoComplete="off"
            />
          ),
          "Stops when claude reports this much spent.",
        )}
        {field(
          "maxCodexTokens",
          "Codex budget (tokens)",
          (p) => (
            <input
              {...p}
              name="maxCodexTokens"
              type="text"
              inputMode="numeric"
              value={maxCodexTokens}
              onChange={(e) => setMaxCodexTokens(e.target.value)}
              placeholder="no budget"
              autoComplete="off"
            />
          ),
          "Input + output tokens.",
        )}
      </div>
      <div className="field field-check">
        <label>
          <input
            type="checkbox"
            name="isolation"
            checked={isolate}
            onChange={(e) => setIsolate(e.target.checked)}
            aria-describedby={`${id}-isolation-hint`}
          />{" "}
          Isolate in a git worktree
        </label>
        <div className="hint" id={`${id}-isolation-hint`}>
          Runs on a branch loop/&lt;task-id&gt; from the current HEAD, one commit per iteration; your checkout
          stays as it is.
        </div>
      </div>
      <div className="field field-check">
        <label>
          <input
            type="checkbox"
            name="continueSession"
            checked={continueSession}
            onChange={(e) => setContinueSession(e.target.checked)}
            aria-describedby={`${id}-session-hint`}
          />{" "}
          Continue Claude's session
        </label>
        <div className="hint" id={`${id}-session-hint`}>
          Later iterations resume Claude's conversation and send only the new review and open findings
          (smaller prompts). Unchecked: the server's default.
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Starting…" : "Start"}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => void submit(undefined, true)}
          title="Queue this task and stay here to file the next one"
        >
          Queue and add another
        </button>
        <span className="hint">
          <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd>
        </span>
      </div>
      <p className="muted form-queued" role="status">
        {queued && (
          <>
            Queued “<Link href={`/tasks/${encodeURIComponent(queued.id)}`}>{queued.title}</Link>”. Add the
            next one.
          </>
        )}
      </p>
    </form>
  );
}

interface ControlProps {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
}
