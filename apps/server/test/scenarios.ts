// Builders for the fake CLIs' scenario files (packages/core/test/fixtures/README.md).
type Step = Record<string, unknown>;

export const claude = {
  ok: (text: string, extra: Step = {}): Step => ({ kind: "ok", text, ...extra }),
  slow: (lines: number, intervalMs: number): Step => ({ kind: "slow", lines, intervalMs }),
  flood: (lines: number): Step => ({ kind: "flood", lines }),
  notLoggedIn: (): Step => ({ kind: "is_error", text: "Not logged in · Please run /login" }),
  apiError: (): Step => ({
    kind: "is_error",
    text: "API Error: 500 Internal server error",
    synthetic: "server_error",
    apiErrorStatus: 500,
  }),
  usageLimit: (resetInSeconds = 1): Step => ({
    kind: "is_error",
    text: `Claude AI usage limit reached|${Math.floor(Date.now() / 1000) + resetInSeconds}`,
    apiErrorStatus: 429,
  }),
  exit: (code: number, stderr: string): Step => ({ kind: "exit", code, stderr }),
  noResult: (): Step => ({ kind: "no_result", code: 0 }),
  hang: (): Step => ({ kind: "hang" }),
  grandchildThenHang: (pidFile: string, ignoreSigint = false): Step => ({
    kind: "grandchild",
    pidFile,
    ignoreSigint,
  }),
};

export const codex = {
  review: (text: string, extra: Step = {}): Step => ({ kind: "review", text, ...extra }),
  empty: (): Step => ({ kind: "empty" }),
  failedTurn: (message: string): Step => ({ kind: "failed_turn", message, retries: 1 }),
  usageLimit: (message?: string): Step => ({ kind: "usage_limit", ...(message && { message }) }),
  hang: (): Step => ({ kind: "hang" }),
  offline: (intervalMs = 50): Step => ({ kind: "offline", intervalMs }),
};

export const scenario = (s: { claude?: Step[]; codex?: Step[] }) => s;
