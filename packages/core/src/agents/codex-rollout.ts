import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { tryJson } from "./common.ts";
import type { RateLimitInfo } from "./rate-limit.ts";

/**
 * codex 0.171.0 reads its subscription windows from the backend's x-codex-primary-* /
 * x-codex-secondary-* headers but prints none of it in `exec --json`; it writes them to the
 * thread's rollout file ($CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl) as
 * `event_msg` `token_count` lines with `rate_limits.primary|secondary` {used_percent,
 * window_minutes, resets_at}. See docs/real-cli-check.md.
 */
export function codexRateLimits(lines: readonly string[]): RateLimitInfo[] {
  for (let i = lines.length - 1; i >= 0; i--) {
    const j = tryJson(lines[i]!);
    const payload = (j?.payload ?? {}) as Record<string, unknown>;
    if (j?.type !== "event_msg" || payload.type !== "token_count") continue;
    const limits = payload.rate_limits as Record<string, unknown> | null | undefined;
    if (!limits || typeof limits !== "object") continue;
    const out: RateLimitInfo[] = [];
    for (const key of ["primary", "secondary"] as const) {
      const w = limits[key] as Record<string, unknown> | null | undefined;
      if (!w || typeof w.used_percent !== "number") continue;
      const reached = typeof limits.rate_limit_reached_type === "string" && w.used_percent >= 100;
      const extra = Object.entries(limits).filter(
        ([k, v]) => v !== null && ["credits", "plan_type", "spend_control_reached"].includes(k),
      );
      out.push({
        status: reached || w.used_percent >= 100 ? "rejected" : "allowed",
        resetsAt: typeof w.resets_at === "number" ? w.resets_at : null,
        rateLimitType: windowName(w.window_minutes),
        utilization: w.used_percent,
        overage: extra.length > 0 ? Object.fromEntries(extra) : null,
      });
    }
    return out;
  }
  return [];
}

/** 300 → "five_hour", 10080 → "seven_day" (claude's names for the same windows), else "<n>_minutes". */
function windowName(minutes: unknown): string {
  if (minutes === 300) return "five_hour";
  if (minutes === 10_080) return "seven_day";
  return typeof minutes === "number" ? `${minutes}_minutes` : "unknown";
}

/** The windows codex recorded in the rollout of `threadId` (newest day folders first); [] when none. */
export async function readCodexRateLimits(
  threadId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RateLimitInfo[]> {
  const sessions = join(env.CODEX_HOME || join(env.HOME || homedir(), ".codex"), "sessions");
  const newest = async (dir: string) => (await readdir(dir).catch(() => [])).sort().reverse().slice(0, 2);
  for (const y of await newest(sessions))
    for (const m of await newest(join(sessions, y)))
      for (const d of await newest(join(sessions, y, m))) {
        const dir = join(sessions, y, m, d);
        const name = (await readdir(dir).catch(() => [])).find((f) => f.endsWith(`-${threadId}.jsonl`));
        if (name) return codexRateLimits((await readFile(join(dir, name), "utf8")).split("\n"));
      }
  return [];
}
