import type { Usage } from "@loop/shared";
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { api } from "../../lib/api.ts";
import { keys } from "../../lib/cache.ts";
import { formatCost, formatTokens } from "../../lib/format.ts";
import { useStore } from "../../lib/store.ts";
import { health } from "../health/health.ts";
import { currentWindows, describeWindow, windowLevel } from "../health/limits.ts";
import "./usage.css";

const SPANS = [
  ["today", "Today"],
  ["week", "7 days"],
  ["all", "All"],
] as const;

const codexTotal = (u: Usage) => u.codex.inputTokens + u.codex.outputTokens;

/**
 * What all tasks spent (GET /api/usage): Claude's dollars as claude reports them, Codex's tokens
 * (input + output, what a Codex budget counts), today, over 7 days and ever; and the subscription
 * windows, or why there are none yet.
 */
export function SpendSummary() {
  const headingId = useId();
  const spend = useQuery({ queryKey: keys.usage, queryFn: () => api.usage(), refetchInterval: 60_000 });
  const h = useStore(health);
  const windows = currentWindows(h?.limits ?? []);
  const s = spend.data;
  return (
    <section className="card spend" aria-labelledby={headingId}>
      <h2 id={headingId}>Spend</h2>
      {s ? (
        <table className="spend-table">
          <thead>
            <tr>
              <td />
              {SPANS.map(([k, label]) => (
                <th key={k} scope="col">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Claude</th>
              {SPANS.map(([k]) => (
                <td key={k}>{formatCost(s[k].claude.costUsd)}</td>
              ))}
            </tr>
            <tr>
              <th scope="row">Codex</th>
              {SPANS.map(([k]) => (
                <td key={k} title={`${s[k].codex.inputTokens} in, ${s[k].codex.outputTokens} out`}>
                  {formatTokens(codexTotal(s[k]))} tokens
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      ) : (
        <p className="muted">
          {spend.error ? `Could not load: ${(spend.error as Error).message}` : "Loading…"}
        </p>
      )}
      <h3 className="spend-windows-heading">Subscription windows</h3>
      {windows.length === 0 ? (
        <p className="muted spend-windows-empty">no window data yet (API-key setup or no run since start)</p>
      ) : (
        <ul className="spend-windows">
          {windows.map((w) => (
            <li key={`${w.agent}:${w.window}`} data-level={windowLevel(w)}>
              {describeWindow(w)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
