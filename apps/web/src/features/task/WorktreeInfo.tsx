import type { Task } from "@loop/shared";

/** For a task isolated in a git worktree: the branch its iterations are committed on, and where it runs. */
export function WorktreeInfo({ task }: { task: Pick<Task, "worktree"> }) {
  if (!task.worktree) return null;
  return (
    <div className="wide worktree-info">
      <dt>Isolated in a git worktree</dt>
      <dd>
        branch <code>{task.worktree.branch}</code> at <code>{task.worktree.path}</code>
      </dd>
    </div>
  );
}
