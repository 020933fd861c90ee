import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServerInfo } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "./process.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const stop = async (s: Awaited<ReturnType<typeof startServer>>) => {
  s.child.kill("SIGTERM");
  expect(await s.exited).toBe(0);
};
const mode = (path: string) => statSync(path).mode & 0o777;
// An empty LOOP_TOKEN counts as unset: the server keeps its own.
const NO_TOKEN = { LOOP_TOKEN: "" };

describe("the kept token and the server file (real processes)", () => {
  it("keeps the token across restarts in an owner-only <db>.token, so a signed-in client stays signed in", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-state-"));
    const first = await startServer(dir, NO_TOKEN);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const tokenFile = join(dir, "loop.db.token");
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(first.token);
    expect(mode(tokenFile)).toBe(0o600);
    const health = () =>
      fetch(`${second.base}/api/health`, { headers: { authorization: `Bearer ${first.token}` } });
    await stop(first);

    const second = await startServer(dir, NO_TOKEN);
    expect(second.token).toBe(first.token);
    expect((await health()).status).toBe(200);
    await stop(second);
  });

  it("writes <db>.server.json (0600) with url, token and pid while running, and removes it on a clean stop", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-state-"));
    const s = await startServer(dir, NO_TOKEN);
    const file = join(dir, "loop.db.server.json");
    const info = ServerInfo.parse(JSON.parse(readFileSync(file, "utf8")));
    expect(info).toMatchObject({ url: s.base, token: s.token, pid: s.child.pid });
    expect(Date.parse(info.startedAt)).not.toBeNaN();
    expect(mode(file)).toBe(0o600);
    await stop(s);
    expect(existsSync(file)).toBe(false);
  });

  it("LOOP_TOKEN wins and is written to no token file (only to the owner-only server file)", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-state-"));
    const s = await startServer(dir);
    expect(existsSync(join(dir, "loop.db.token"))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, "loop.db.server.json"), "utf8")).token).toBe(s.token);
    await stop(s);
  });

  it("replaces a corrupt token file with a new token, with a warning", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-state-"));
    writeFileSync(join(dir, "loop.db.token"), "short\n", { mode: 0o644 });
    const s = await startServer(dir, NO_TOKEN);
    expect(s.out.stderr).toMatch(/loop\.db\.token does not hold a valid token; a new one was made/);
    expect(readFileSync(join(dir, "loop.db.token"), "utf8").trim()).toBe(s.token);
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(mode(join(dir, "loop.db.token"))).toBe(0o600);
    await stop(s);
  });

  it("writes nothing next to an in-memory database", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-state-"));
    const s = await startServer(dir, { ...NO_TOKEN, LOOP_DB_PATH: ":memory:" });
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readdirSync(dir).filter((f) => f.includes(".token") || f.includes(".server.json"))).toEqual([]);
    await stop(s);
  });
});
