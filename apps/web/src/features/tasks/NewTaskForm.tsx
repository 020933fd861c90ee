import { type AgentName, AgentName as Agents, type Task } from "@loop/shared";
import { type FormEvent, type KeyboardEvent, type ReactNode, useId, useState } from "react";
import { Link } from "../../app/router.tsx";
import { api, type FormErrors, type FormField, formErrorsFrom } from "../../lib/api.ts";
import { AGENT_LABEL } from "../../lib/format.ts";
import { useStore } from "../../lib/store.ts";
import { health } from "../health/health.ts";
import type { ControlProps } from "./control.ts";
import { newTaskBody } from "./newTaskBody.ts";
import { RunAfterSelect } from "./RunAfterSelect.tsx";

const LAST_DIR_KEY = "loop.lastWorkingDir";

/** The check command last used per working directory: { "/path": "npm test" }. */
const CHECKS_KEY = "loop.checkCommands";

const readLastDir = () => {
  try {
    return localStorage.getItem(LAST_DIR_KEY) ?? "";
  } catch {
    return "";
  }
};

const readChecks = (): Record<string, string> => {
  try {
    const v = JSON.parse(localStorage.getItem(CHECKS_KEY) ?? "{}") as unknown;
    return v && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
};

/** The check command remembered for a directory ("" when none). */
export const rememberedCheck = (dir: string): string => readChecks()[dir.trim()] ?? "";

export function NewTaskForm({ onCreated }: { onCreated: (task: Task) => void }) {
  const h = useStore(health);
  const [title, setTitle] = useState("");
  const [prompt, setPrompt] = useState("");
  const [workingDir, setWorkingDir] = useState(readLastDir);
  const [checkCommand, setCheckCommand] = useState(() => rememberedCheck(readLastDir()));
  const [maxIterations, setMaxIterations] = useState("");
  const [isolate, setIsolate] = useState(false);
  const [continueSession, setContinueSession] = useState(false);
  const [step, setStep] = useState(false);
  const [after, setAfter] = useState("");
  // null: not chosen here, so the server's defaults (GET /api/health) as they load, else claude/codex.
  const [workerChoice, setWorker] = useState<AgentName | null>(null);
  const [reviewerChoice, setReviewer] = useState<AgentName | null>(null);
  const [maxCostUsd, setMaxCostUsd] = useState("");
  const [maxCodexTokens, setMaxCodexTokens] = useState("");
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  /** The task just queued by "Queue and add another": said under the form, with a link to it. */
  const [queued, setQueued] = useState<Task | null>(null);
  const id = useId();

  const worker = workerChoice ?? h?.defaults?.worker ?? "claude";
  const reviewer = reviewerChoice ?? h?.defaults?.reviewer ?? (worker === "claude" ? "codex" : "claude");
  const sameAgent = worker === reviewer ? "Reviewer must be a different agent from the worker" : undefined;
  const shown: FormErrors = sameAgent
    ? { ...errors, fields: { ...errors.fields, reviewer: sameAgent } }
    : errors;

  const submit = async (e?: FormEvent, stay = false) => {
    e?.preventDefault();
    if (busy || sameAgent) return;
    const body = newTaskBody({
      title,
      prompt,
      workingDir,
      maxIterations,
      isolate,
      continueSession,
      step,
      after,
      checkCommand,
      worker,
      reviewer,
      maxCostUsd,
      maxCodexTokens,
    });
    setBusy(true);
    try {
      const { task } = await api.tasks.create(body);
      try {
        localStorage.setItem(LAST_DIR_KEY, body.workingDir);
        localStorage.setItem(
          CHECKS_KEY,
          JSON.stringify({ ...readChecks(), [body.workingDir]: body.checkCommand ?? "" }),
        );
      } catch {
        // Private mode: remembering the directory is a convenience only.
      }
      setErrors({ fields: {} });
      setTitle("");
      setPrompt("");
      setAfter("");
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

  /** A checkbox with its hint under it (the hint is the box's description). */
  const check = (
    name: string,
    checked: boolean,
    set: (v: boolean) => void,
    label: string,
    hint: ReactNode,
  ) => (
    <div className="field field-check">
      <label>
        <input
          type="checkbox"
          name={name}
          checked={checked}
          onChange={(e) => set(e.target.checked)}
          aria-describedby={`${id}-${name}-hint`}
        />{" "}
        {label}
      </label>
      <div className="hint" id={`${id}-${name}-hint`}>
        {hint}
      </div>
    </div>
  );

  const field = (name: FormField, label: string, control: (p: ControlProps) => ReactNode, hint?: string) => {
    const err = shown.fields[name];
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
      {shown.general && (
        <div className="form-error" role="alert">
          {shown.general}
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
        `What ${AGENT_LABEL[worker]} should do. ${AGENT_LABEL[reviewer]} reviews each iteration until it answers STATUS: DONE.`,
      )}
      {field(
        "workingDir",
        "Working directory",
        (p) => (
          <input
            {...p}
            name="workingDir"
            value={workingDir}
            onChange={(e) => {
              setWorkingDir(e.target.value);
              setCheckCommand(rememberedCheck(e.target.value));
            }}
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
        {(["worker", "reviewer"] as const).map((role) =>
          field(
            role,
            role === "worker" ? "Worker" : "Reviewer",
            (p) => (
              <select
                {...p}
                name={role}
                value={role === "worker" ? worker : reviewer}
                onChange={(e) => {
                  const a = Agents.parse(e.target.value);
                  if (role === "worker") setWorker(a);
                  else setReviewer(a);
                  // A server 400 about the roles is answered by changing them.
                  setErrors((x) => ({
                    ...x,
                    fields: { ...x.fields, worker: undefined, reviewer: undefined },
                  }));
                }}
              >
                {Agents.options.map((a) => (
                  <option key={a} value={a}>
                    {AGENT_LABEL[a]}
                  </option>
                ))}
              </select>
            ),
            role === "worker"
              ? "Works on the task and may change files."
              : "Reviews read-only; never the worker.",
          ),
        )}
      </div>
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
      {field(
        "checkCommand",
        "Check command",
        (p) => (
          <input
            {...p}
            name="checkCommand"
            value={checkCommand}
            maxLength={2000}
            onChange={(e) => setCheckCommand(e.target.value)}
            placeholder={
              h?.permissions?.checkCommand ? `${h.permissions.checkCommand} (default)` : "npm test"
            }
            spellCheck={false}
            autoComplete="off"
            className="mono"
          />
        ),
        "loop runs it after every iteration; the task is done only when it passes. Remembered per directory.",
      )}
      {field(
        "after",
        "Run after",
        (p) => (
          <RunAfterSelect {...p} value={after} onChange={setAfter} />
        ),
        "Waits until that task is done; if it ends any other way, this one is cancelled.",
      )}
      {check(
        "isolation",
        isolate,
        setIsolate,
        "Isolate in a git worktree",
        <>
          Runs on a branch loop/&lt;task-id&gt; from the current HEAD, one commit per iteration; your checkout
          stays as it is.
        </>,
      )}
      {check(
        "continueSession",
        continueSession,
        setContinueSession,
        `Continue ${AGENT_LABEL[worker]}'s session`,
        <>
          Later iterations resume {AGENT_LABEL[worker]}'s conversation and send only the new review and open
          findings (smaller prompts). Unchecked: the server's default.
        </>,
      )}
      {check(
        "pauseAfterIteration",
        step,
        setStep,
        "Step mode: wait for me after each review",
        <>
          After every review that is not DONE the task pauses: read the diff and the review, leave a note,
          dismiss what is out of scope, then resume or accept.
        </>,
      )}
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
