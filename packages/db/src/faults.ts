/** What went wrong with storage, in the words a person needs to act on it. */
export type StorageFaultKind = "busy" | "full" | "readonly" | "io";

export class StorageError extends Error {
  override name = "StorageError";
  readonly kind: StorageFaultKind;
  constructor(kind: StorageFaultKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

const SQLITE_KIND: Array<[RegExp, StorageFaultKind]> = [
  [/^SQLITE_(BUSY|LOCKED)/, "busy"],
  [/^SQLITE_FULL/, "full"],
  [/^SQLITE_READONLY/, "readonly"],
  [/^SQLITE_(IOERR|CANTOPEN|PROTOCOL)/, "io"],
];
const ERRNO_KIND: Record<string, StorageFaultKind> = {
  ENOSPC: "full",
  EDQUOT: "full",
  EROFS: "readonly",
  EACCES: "readonly",
  EPERM: "readonly",
  ENOTDIR: "io",
  EIO: "io",
};

/**
 * A storage error (SQLite's or the file system's) as a StorageError with a plain sentence naming
 * `where` (the database file or the artifacts folder); anything else (a bug) → null.
 */
export function classifyStorageError(err: unknown, where: string): StorageError | null {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  const kind = SQLITE_KIND.find(([re]) => re.test(code))?.[1] ?? ERRNO_KIND[code];
  if (!kind) return null;
  return new StorageError(kind, describe(kind, where, code), { cause: err });
}

/**
 * classifyStorageError for an error that came from either store: SQLite's codes name the database
 * file, file-system codes the artifacts folder.
 */
export function classifyFault(err: unknown, paths: { db: string; artifacts: string }): StorageError | null {
  const code = String((err as { code?: unknown } | null)?.code ?? "");
  return classifyStorageError(
    err,
    code.startsWith("SQLITE") ? paths.db : `the artifacts folder ${paths.artifacts}`,
  );
}

function describe(kind: StorageFaultKind, where: string, code: string): string {
  switch (kind) {
    case "busy":
      return `the database ${where} is locked by another process (a backup or an sqlite3 shell?); loop could not write to it`;
    case "full":
      return `the disk holding ${where} is full (${code}); free some space`;
    case "readonly":
      return `${where} cannot be written (${code}: read-only or no permission)`;
    case "io":
      return `${where} could not be written (${code})`;
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown storage fault ${unreachable}`);
    }
  }
}

/**
 * Runs a synchronous write, retrying asynchronously while SQLite is busy (another process holds the
 * lock), so a lock never blocks the event loop for more than the driver's short busy_timeout.
 * Gives up after timeoutMs with a StorageError("busy"); other storage errors are thrown at once.
 */
export async function retryBusy<T>(fn: () => T, opts: { timeoutMs: number; where: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = 10;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const fault = classifyStorageError(err, opts.where);
      if (!fault) throw err;
      if (fault.kind !== "busy" || Date.now() >= deadline) throw fault;
    }
    await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(1, deadline - Date.now()))));
    wait = Math.min(wait * 2, 250);
  }
}

/**
 * A write that must happen: retried (with backoff up to 2 s) through any storage fault until it
 * succeeds, or until the signal aborts (the server closing), when the last error is thrown.
 */
export async function retryUntil<T>(
  fn: () => T,
  opts: { where: string; busyTimeoutMs: number; signal: AbortSignal; onRetry?(err: unknown): void },
): Promise<T> {
  let wait = 100;
  for (;;) {
    try {
      return await retryBusy(fn, { timeoutMs: opts.busyTimeoutMs, where: opts.where });
    } catch (err) {
      if (!classifyStorageError(err, opts.where) || opts.signal.aborted) throw err;
      opts.onRetry?.(err);
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 2000);
  }
}
