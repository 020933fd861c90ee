import { openRepositories, type Repositories } from "./index.ts";

/** A fresh in-memory database with the real migrations applied. */
export function createTestRepositories(): Repositories {
  return openRepositories(":memory:");
}
