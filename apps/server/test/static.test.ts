import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { TEST_TOKEN } from "./helpers.ts";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(webRoot: string): Promise<FastifyInstance> {
  const dir = mkdtempSync(join(tmpdir(), "loop-static-"));
  const config = loadConfig({ LOOP_TOKEN: TEST_TOKEN, LOOP_ARTIFACTS_DIR: join(dir, "loops") }, dir);
  return buildApp({ config, token: TEST_TOKEN, webRoot });
}

const get = (a: FastifyInstance, url: string) =>
  a.inject({ method: "GET", url, headers: { host: "127.0.0.1" } });

describe("serving the SPA", () => {
  it("caches hashed assets for a year, never index.html, and falls back to it for client routes only", async () => {
    const web = join(mkdtempSync(join(tmpdir(), "loop-web-")), "dist");
    mkdirSync(join(web, "assets"), { recursive: true });
    writeFileSync(join(web, "index.html"), "<!doctype html><title>loop</title><div id=root></div>");
    writeFileSync(join(web, "assets", "index-Ab12Cd34.js"), "console.log(1)");
    writeFileSync(join(web, "..", "secret.txt"), "s3cr3t-content");
    writeFileSync(join(web, ".env"), "TOKEN=s3cr3t-content");
    app = await build(web);

    const asset = await get(app, "/assets/index-Ab12Cd34.js");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");

    for (const url of ["/", "/tasks/01ABC", "/tasks/01ABC?x=1", "/some/client/route"]) {
      const r = await get(app, url);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers["content-type"], url).toContain("text/html");
      expect(r.headers["cache-control"], url).toBe("no-cache");
      expect(r.body, url).toContain("<div id=root>");
    }

    // Never index.html for the API or a missing asset: a clear 404.
    for (const url of ["/api/nope", "/api", "/assets/missing-123.js", "/favicon.ico"]) {
      const r = await app.inject({
        method: "GET",
        url,
        headers: { host: "127.0.0.1", authorization: `Bearer ${TEST_TOKEN}` },
      });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code, url).toBe("not_found");
    }

    // Nothing outside the build, and no dot file in it, is served.
    for (const url of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/.env"]) {
      const r = await get(app, url);
      expect(`${r.statusCode} ${r.body}`, url).toMatch(/^4/);
      expect(r.body, url).not.toContain("s3cr3t-content");
    }
  });

  it("without a build, / explains how to build it and the API still works", async () => {
    app = await build(mkdtempSync(join(tmpdir(), "loop-noweb-")));
    const r = await get(app, "/");
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain("pnpm build");
    const api = await app.inject({
      method: "GET",
      url: "/api/tasks",
      headers: { host: "127.0.0.1", authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(api.statusCode).toBe(200);
  });
});
