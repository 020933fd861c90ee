/** `pnpm loop --help`. Exit statuses: exit-codes.ts (keep the two and docs/cli.md in step). */
export const HELP = `pnpm loop: file, list, follow and steer loop's tasks from a shell

Usage:
  pnpm loop add --title TITLE [--dir DIR] [--max N] [--budget USD] [--worktree] [--step]
                [--worker claude|codex] [--reviewer codex|claude] [--check CMD] [--after ID]
                [--wait] < prompt.md
  pnpm loop add --title TITLE --prompt "Fix the flaky test" …
  pnpm loop ls [--status STATUS] [--limit N]
  pnpm loop show ID
  pnpm loop tail ID
  pnpm loop cancel ID
  pnpm loop resume ID [--extra N] [--note TEXT]
  pnpm loop note ID "text"
  pnpm loop accept ID [--note TEXT]
  pnpm loop dismiss ID F3 [--reason TEXT]
  pnpm loop reopen ID F3
  pnpm loop retry ID
  pnpm loop delete ID
  pnpm loop move ID [--to top|up|down|bottom]
  pnpm loop pause-queue
  pnpm loop resume-queue
  pnpm loop merge ID [--squash] [--message TEXT]
  pnpm loop pr ID [--title TITLE]
  pnpm loop patch ID > task.patch
  pnpm loop discard ID

Commands:
  add      file a task; the prompt comes from --prompt or stdin. Prints the task id.
             --dir       working directory (default: the directory you ran pnpm in, e.g.
                         pnpm -C ~/loop loop add … from your project; needed in loop's own checkout)
             --max       iteration cap, 1-100 (default: the server's LOOP_MAX_ITERATIONS)
             --budget    most the task may spend on claude, in USD (maxCostUsd)
             --worktree  run in a git worktree of its own (branch loop/<task-id>)
             --step      step mode: pause after every review that is not DONE (pauseAfterIteration)
             --worker    the agent that works, claude or codex (default: the server's LOOP_WORKER)
             --reviewer  the agent that reviews, never the worker (default: LOOP_REVIEWER)
             --check     a command loop runs after every worker run ("npm test"); DONE only
                         counts while it passes (default: the server's LOOP_CHECK_COMMAND)
             --check-timeout  seconds the check may run, 1-3600 (default 600)
             --allow     a command the worker may run without asking (repeatable)
             --after     start only once that task is done; cancelled if it ends any other way
             --wait      follow the task (as tail) and exit with its outcome
             --title     defaults to the prompt's first line
  ls       tasks, newest first: id, status, iterations, worker, reviewer, age, title (--status queued|running|
           paused|done|needs_attention|failed|cancelled); without --status, then the running tasks
           and why each queued task waits
  show     a task: status and reason, who works and who reviews, iterations, findings, prompt
  tail     follow a task's log (agent text, verdicts, status) until it ends; reconnects after a
           drop without losing or repeating a line
  cancel   cancel a queued or running task
  resume   queue a paused or ended task again from where it stopped (--extra N raises its cap;
           --note gives the agents your word for the next iteration)
  note     a note for the agents' next prompts (a queued, running or paused task); verbatim
  accept   end a needs_attention, paused or failed task as done, as it is (--note says why)
  dismiss  dismiss a finding (F3): the reviewer is told it is out of scope (--reason says why)
  reopen   open a dismissed finding again
  retry    start an ended task over as a new task (prints the new id)
  delete   delete a finished or queued task with its log and artifacts
  move     move a queued task in the queue (default --to top); prints the queue
  pause-queue   nothing new starts (the running task finishes); survives restarts
  resume-queue  the queue goes on
  merge    merge a worktree task's branch into the branch it started from (--squash: one
           commit); refused, changing nothing, on conflicts or uncommitted changes there
  pr       push the branch and open a pull request with gh; prints its address
  patch    the task's change as a patch on stdout (git am / git apply it elsewhere)
  discard  remove a worktree task's worktree and branch (the task stays)

Finding the server: the running server writes its URL and token to <LOOP_DB_PATH>.server.json
(LOOP_DB_PATH defaults to ./loop.db, read as the server reads it). LOOP_URL and LOOP_TOKEN
override it.

Exit status:
  0   done (add --wait, tail), or the command succeeded
  1   the server refused the request (no such task, not resumable, invalid field, …)
  2   bad usage
  3   server not running or not reachable (no server file, a stale one, refused token)
  10  the task ended needs_attention
  11  the task failed
  12  the task was cancelled
`;
