import type { SubscriptionWindow } from "@loop/shared";
import type { Db } from "../client.ts";
import { asc } from "../drizzle.ts";
import { subscriptionWindows } from "../schema/index.ts";

type Row = typeof subscriptionWindows.$inferSelect;

const toWindow = (r: Row): SubscriptionWindow => ({
  agent: r.agent === "codex" ? "codex" : "claude",
  window: r.window,
  status: r.status,
  utilization: r.utilization,
  resetsAt: r.resetsAt,
  overage: r.overage ?? null,
  updatedAt: r.updatedAt,
});

/** The latest known state of each agent's subscription windows (survives a restart). */
export class LimitRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** Replaces what is known of that agent's window. */
  record(w: SubscriptionWindow): void {
    const row: Row = { ...w, overage: w.overage };
    const { agent: _a, window: _w, ...set } = row;
    this.db
      .insert(subscriptionWindows)
      .values(row)
      .onConflictDoUpdate({ target: [subscriptionWindows.agent, subscriptionWindows.window], set })
      .run();
  }

  list(): SubscriptionWindow[] {
    return this.db
      .select()
      .from(subscriptionWindows)
      .orderBy(asc(subscriptionWindows.agent), asc(subscriptionWindows.window))
      .all()
      .map(toWindow);
  }
}
