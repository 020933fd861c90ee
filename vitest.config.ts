import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: "shared", root: "packages/shared", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "db", root: "packages/db", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "core", root: "packages/core", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "server", root: "apps/server", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "web", root: "apps/web", include: ["test/**/*.test.{ts,tsx}"] } },
    ],
    // Real processes and real SQLite: generous per-test time, no retries that hide flakes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    setupFiles: ["../../vitest.setup.ts"],
    globalSetup: ["./vitest.teardown.ts"],
  },
});
