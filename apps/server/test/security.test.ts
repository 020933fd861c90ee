import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, TEST_TOKEN, type TestApp } from "./helpers.ts";

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(() => t.close());

/** Raw HTTP so Host and Origin can be set to anything, as a hostile page or rebinding DNS would. */
function raw(
  path: string,
  headers: Record<string, string>,
  method = "GET",
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, setHost: false }, (res) => {
      let data = "";
      res.on("data", (c) => {
        data += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const host = () => ({ host: `127.0.0.1:${port}` });

describe("Host and Origin", () => {
  it.each(["evil.example:80", "attacker.test", `127.0.0.1.nip.io:${4170}`, ""])(
    "refuses Host %j with 403",
    async (h) => {
      const r = await raw("/api/health", { host: h, ...auth });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe("forbidden_host");
    },
  );

  it.each(["127.0.0.1", "localhost", "[::1]"])("serves Host %s:PORT", async (name) => {
    const r = await raw("/api/health", { host: `${name}:${port}`, ...auth });
    expect(r.status).toBe(200);
  });

  it("refuses a foreign Origin even with the token, and sends no CORS headers", async () => {
    const r = await raw("/api/tasks", { ...host(), ...auth, origin: "https://evil.example" });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.code).toBe("forbidden_origin");
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    // Event streams too: another site's EventSource sends its Origin (and would carry the cookie).
    const stream = await raw("/api/events", { ...host(), ...auth, origin: "https://evil.example" });
    expect(stream.status).toBe(403);
    const same = await raw("/api/tasks", { ...host(), ...auth, origin: `http://127.0.0.1:${port}` });
    expect(same.status).toBe(200);
    expect(same.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("token", () => {
  it("401 without or with a wrong token", async () => {
    expect((await raw("/api/tasks", host())).status).toBe(401);
    const wrong = await raw("/api/tasks", { ...host(), authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error.code).toBe("unauthorized");
  });

  it("the SPA shell loads without a token; /?token= sets an HttpOnly SameSite cookie that works", async () => {
    const shell = await raw("/", host());
    expect(shell.status).toBe(200);
    expect(shell.headers["set-cookie"]).toBeUndefined();
    const r = await raw(`/?token=${TEST_TOKEN}`, host());
    const cookie = String(r.headers["set-cookie"]);
    expect(cookie).toMatch(/loop_token=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const api = await raw("/api/tasks", { ...host(), cookie: cookie.split(";")[0]! });
    expect(api.status).toBe(200);
    const bad = await raw("/?token=wrong", host());
    expect(bad.headers["set-cookie"]).toBeUndefined();
  });
});

describe("bodies", () => {
  it("415 for a non-JSON body, 413 past 256 KiB, 400 for malformed JSON", async () => {
    const text = await raw("/api/tasks", { ...host(), ...auth, "content-type": "text/plain" }, "POST", "hi");
    expect(text.status).toBe(415);
    expect(JSON.parse(text.body).error.code).toBe("unsupported_media_type");
    const big = JSON.stringify({ title: "t", prompt: "x".repeat(300 * 1024), workingDir: "/tmp" });
    const large = await raw(
      "/api/tasks",
      { ...host(), ...auth, "content-type": "application/json" },
      "POST",
      big,
    );
    expect(large.status).toBe(413);
    expect(JSON.parse(large.body).error.code).toBe("payload_too_large");
    const bad = await raw(
      "/api/tasks",
      { ...host(), ...auth, "content-type": "application/json" },
      "POST",
      "{nope",
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe("invalid_body");
  });

  it("unknown /api routes are JSON 404s, never the SPA", async () => {
    const r = await raw("/api/nope", { ...host(), ...auth });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).error.code).toBe("not_found");
  });
});
