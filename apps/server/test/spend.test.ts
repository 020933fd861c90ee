import type { SpendResponse, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp;
afterEach(() => t?.close());

async function runOne(title: string): Promise<Task> {
  const r = await t.api({
    method: "POST",
    url: "/api/tasks",
    payload: {
      title,
      prompt: "p",
      workingDir: t.workdir(
        scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] }),
      ),
    },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return taskEnded(t, r.json().task.id);
}

const daysAgo = (d: number) => new Date(Date.now() - d * 24 * 3600 * 1000).toISOString();

describe("GET /api/usage", () => {
  it("sums every task's spend per agent for today, the last 7 days and all time", async () => {
    t = await createTestApp();
    const empty = await t.api({ method: "GET", url: "/api/usage" });
    expect(empty.statusCode).toBe(200);
    expect(empty.json().all.claude.costUsd).toBe(0);

    const [a, b, c] = [await runOne("today"), await runOne("three days ago"), await runOne("ten days ago")];
    const move = t.repos.handle.sqlite.prepare("UPDATE iterations SET started_at = ? WHERE task_id = ?");
    move.run(daysAgo(3), b.id);
    move.run(daysAgo(10), c.id);

    const r = await t.api({ method: "GET", url: "/api/usage" });
    expect(r.statusCode).toBe(200);
    const s = r.json() as SpendResponse;
    const one = a.usage;
    expect(one.claude.costUsd).toBeGreaterThan(0);
    expect(one.codex.inputTokens).toBeGreaterThan(0);
    expect(s.today.claude.costUsd).toBeCloseTo(one.claude.costUsd, 6);
    expect(s.week.claude.costUsd).toBeCloseTo(one.claude.costUsd + b.usage.claude.costUsd, 6);
    expect(s.all.claude.costUsd).toBeCloseTo(
      one.claude.costUsd + b.usage.claude.costUsd + c.usage.claude.costUsd,
      6,
    );
    // Codex's tokens stay Codex's.
    expect(s.today.codex.inputTokens).toBe(one.codex.inputTokens);
    expect(s.all.codex.outputTokens).toBe(
      one.codex.outputTokens + b.usage.codex.outputTokens + c.usage.codex.outputTokens,
    );
    expect(s.today.claude.inputTokens).toBe(one.claude.inputTokens);
    expect(Date.parse(s.weekFrom)).toBeLessThan(Date.parse(s.todayFrom));
  });

  it("needs the token like every /api route", async () => {
    t = await createTestApp();
    const r = await t.app.inject({ method: "GET", url: "/api/usage", headers: { host: "127.0.0.1" } });
    expect(r.statusCode).toBe(401);
  });
});
