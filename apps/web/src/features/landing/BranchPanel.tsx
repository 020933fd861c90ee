import type { BranchResponse, Landed, Task } from "@loop/shared";
import { canDiscard, canLand, isTerminal } from "@loop/shared/statuses";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../lib/api.ts";
import { useStore } from "../../lib/store.ts";
import { LazyChangesView } from "../changes/LazyChangesView.tsx";
import { health } from "../health/health.ts";
import "./landing.css";

const VERB: Record<Landed["mode"], string> = {
  merge: "Merged into",
  squash: "Squashed into",
  pr: "Pull request against",
  discard: "Discarded",
};

/** What became of the branch, in one sentence. */
export function landedText(task: Pick<Task, "worktree">, l: Landed): string {
  const branch = task.worktree?.branch ?? "the branch";
  const at = new Date(l.at).toLocaleString();
  if (l.mode === "discard") return `Discarded ${branch} (it was at ${l.commit.slice(0, 12)}) on ${at}.`;
  return `${VERB[l.mode]} ${l.base ?? "its base"} as ${l.commit.slice(0, 12)} on ${at}.`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * A task's work, ready to land: for a worktree task its branch against the base it started from
 * (ahead/behind, files, conflicts, the whole-branch diff) with Merge, Squash, Open PR, Patch and
 * Discard; for a task that ran in place, its change as a patch.
 */
export function BranchPanel({ task }: { task: Task }) {
  const active = !canLand(task.status);
  const discarded = task.landed?.mode === "discard";
  const hasBranch = task.worktree !== null && !discarded && task.startedAt !== null;
  // Asked again whenever the task row changes (a new iteration's commit, a merge).
  const branch = useQuery({
    queryKey: ["branch", task.id, task.currentIteration, task.status, task.landed?.at ?? null],
    queryFn: () => api.tasks.branch(task.id),
    enabled: hasBranch,
    retry: false,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [prUrl, setPrUrl] = useState<string | null>(null);
  // What /api/health last said of gh: a PR needs it found and logged in.
  const gh = useStore(health)?.gh;
  const ghProblem =
    gh && (!gh.found || !gh.loggedIn) ? (gh.error ?? `${gh.bin} cannot open pull requests`) : null;

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      await branch.refetch();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  // The task row (with `landed`) comes back as task.updated on the stream.
  const merge = (mode: "merge" | "squash") =>
    act(async () => {
      await api.tasks.merge(task.id, { mode });
    });
  const pr = () =>
    act(async () => {
      setPrUrl((await api.tasks.pr(task.id)).url);
    });
  const discard = () => {
    const ok = window.confirm(
      `Discard the branch ${task.worktree?.branch}? Its worktree and the branch are deleted from your repository; the task and its history stay.`,
    );
    if (ok) void act(async () => void (await api.tasks.discard(task.id)));
  };

  if (!task.worktree) {
    if (!isTerminal(task.status)) return null;
    return (
      <section className="card branch-panel" aria-label="Patch">
        <h2>Patch</h2>
        <p className="muted">
          This task ran in place, without a branch of its own: take its change elsewhere as a patch.
        </p>
        <a className="button" href={api.tasks.patchPath(task.id)} download>
          Download patch
        </a>
      </section>
    );
  }

  const info: BranchResponse | undefined = branch.data;
  const url = prUrl ?? (task.landed?.mode === "pr" ? task.landed.url : undefined);
  return (
    <section className="card branch-panel" aria-label="Branch">
      <h2>Branch</h2>
      {task.landed && (
        <p className="landed" role="status">
          {landedText(task, task.landed)}
        </p>
      )}
      {url && (
        <p>
          Pull request: <a href={url}>{url}</a>
        </p>
      )}
      {!hasBranch && !discarded && <p className="muted">The branch is made when the task starts.</p>}
      {branch.error && <p className="muted">{(branch.error as Error).message}</p>}
      {info && (
        <>
          <p>
            <code>{info.branch}</code> → <code>{info.base}</code>: {plural(info.ahead, "commit")} ahead,{" "}
            {info.behind} behind
            {info.baseCheckedOut ? "" : ` (${info.base} is not checked out: only its ref moves)`}.
          </p>
          {info.merged && <p className="muted">{info.base} already has everything this branch changes.</p>}
          {info.conflicts.length > 0 && (
            <p className="branch-conflicts" role="alert">
              Merging would conflict in {info.conflicts.join(", ")}.
            </p>
          )}
          {info.files.length > 0 && (
            <table className="branch-files" aria-label="Files the branch changes">
              <tbody>
                {info.files.map((f) => (
                  <tr key={f.path}>
                    <th scope="row">
                      <code>{f.path}</code>
                    </th>
                    <td className="added">{f.binary ? "binary" : `+${f.added}`}</td>
                    <td className="deleted">{f.binary ? "" : `-${f.deleted}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="branch-actions">
            <button
              type="button"
              onClick={() => merge("merge")}
              disabled={busy || active || info.merged || info.conflicts.length > 0}
              title={`A merge commit on ${info.base}`}
            >
              Merge
            </button>
            <button
              type="button"
              onClick={() => merge("squash")}
              disabled={busy || active || info.merged || info.conflicts.length > 0}
              title={`One commit on ${info.base} with the whole change`}
            >
              Squash
            </button>
            <button
              type="button"
              onClick={pr}
              disabled={busy || active || info.ahead === 0 || ghProblem !== null}
              title={ghProblem ?? "Push the branch and open a pull request with gh"}
            >
              Open PR
            </button>
            <a className="button" href={api.tasks.patchPath(task.id)} download>
              Patch
            </a>
            <button
              type="button"
              className="danger"
              onClick={discard}
              disabled={busy || !canDiscard(task.status)}
            >
              Discard
            </button>
          </div>
          {ghProblem && <p className="muted">Open PR: {ghProblem}</p>}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          {info.diff && (
            <details className="branch-diff">
              <summary>Whole-branch diff{info.diffTruncated ? " (cut short)" : ""}</summary>
              <LazyChangesView changes={info.changes} label={`Changes on ${info.branch}`} />
            </details>
          )}
        </>
      )}
    </section>
  );
}
