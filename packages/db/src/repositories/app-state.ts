import type { Db } from "../client.ts";
import { eq } from "../drizzle.ts";
import { appState } from "../schema/index.ts";

/** Small JSON values that survive a restart, by key. */
export class AppStateRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  get<T>(key: string): T | undefined {
    const r = this.db.select().from(appState).where(eq(appState.key, key)).get();
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    const v = JSON.stringify(value);
    this.db
      .insert(appState)
      .values({ key, value: v })
      .onConflictDoUpdate({ target: appState.key, set: { value: v } })
      .run();
  }

  delete(key: string): void {
    this.db.delete(appState).where(eq(appState.key, key)).run();
  }
}
