import type { TaskStatus } from "@loop/shared";

/** `pnpm loop`'s exit statuses (docs/cli.md and --help list them). */
export const EXIT = {
  ok: 0,
  /** The server refused the request (no such task, not resumable, …) or something unexpected broke. */
  error: 1,
  usage: 2,
  /** No server at the address, a stale server file, or the token was refused. */
  unreachable: 3,
  needsAttention: 10,
  failed: 11,
  cancelled: 12,
} as const;

/** The exit status that tells how a task ended (`add --wait`, `tail`). */
export function exitFor(status: TaskStatus): number {
  switch (status) {
    case "done":
      return EXIT.ok;
    case "needs_attention":
      return EXIT.needsAttention;
    case "failed":
      return EXIT.failed;
    case "cancelled":
      return EXIT.cancelled;
    case "queued":
    case "running":
    case "paused":
      return EXIT.error;
    default: {
      const _: never = status;
      return _;
    }
  }
}

/** An error that ends the command with `code` and a one-line `message` on stderr. */
export class CliError extends Error {
  override name = "CliError";
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
