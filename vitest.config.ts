import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Vitest's default in `run` is one worker fewer than the cores: a single worker on a 2-core machine,
// which then runs every file one after another although most of their time is spent waiting on child
// processes, timers and sockets. Two at least; on larger machines the default.
const workers = Math.max(2, availableParallelism() - 1);
// isolate: false: a worker process runs file after file of a project and evaluates the modules they
// share once, not once per file in a new process (about half the time of the unit-test projects). The
// tests leave the process as they found it (env, listeners: see vitest.setup.ts). Not for cli, compat
// and e2e, whose files each start servers and browsers anyway.
const shared = { isolate: false };

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: "shared", ...shared, root: "packages/shared", include: ["test/**/*.test.ts"] },
      },
      { extends: true, test: { name: "db", ...shared, root: "packages/db", include: ["test/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "core", ...shared, root: "packages/core", include: ["test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "server", ...shared, root: "apps/server", include: ["test/**/*.test.ts"] },
      },
      // Each test runs the real server and several client processes.
      {
        extends: true,
        test: { name: "cli", root: "apps/cli", include: ["test/**/*.test.ts"], testTimeout: 90_000 },
      },
      {
        extends: true,
        test: {
          name: "compat",
          root: "packages/core",
          include: ["compat/**/*.compat.test.ts"],
          // The real claude and codex (pinned in packages/core/package.json) against a scripted model server.
          testTimeout: 60_000,
          // Its files mostly wait on CLI processes: two at a time even on a 2-core machine, after the
          // other projects (a project with its own worker count needs its own group).
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: "web", ...shared, root: "apps/web", include: ["test/**/*.test.{ts,tsx}"] },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          root: "apps/web",
          include: ["e2e/**/*.e2e.test.ts"],
          // Builds apps/web/dist once; the tests run the real server against it in Debian's Chromium.
          globalSetup: ["./e2e/global-setup.ts"],
          testTimeout: 90_000,
        },
      },
    ],
    // Real processes and real SQLite: generous per-test time, no retries that hide flakes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: workers,
    setupFiles: ["../../vitest.setup.ts"],
    globalSetup: ["./vitest.teardown.ts"],
  },
});
