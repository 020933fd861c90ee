/**
 * The server tried as an attacker would, over raw sockets (an HTTP client would fix the headers
 * up) against a listening app. Each refused case asserts its status and code and that nothing
 * happened: no task created or deleted, no agent spawned. Controls prove the allowed forms still
 * work, so a server that refuses everything fails here too.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { isTerminal } from "@loop/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, TEST_TOKEN, type TestApp, waitFor } from "./helpers.ts";
import { type HeaderList, type RawResponse, rawRequest } from "./raw-http.ts";

let t: TestApp;
let port: number;
let spyLog: string;
/** A finished task (its agent ran and failed) with artifacts, links planted in its folder. */
let taskA: string;
/** A finished task whose artifact folder was swapped for a link to a folder outside. */
let taskB: string;
let outside: string;
const SECRET = "TOP-SECRET-outside-the-task-folder";
const cookie = `loop_token=${TEST_TOKEN}`;

/** An agent CLI that records that it was started, then fails at once. */
function spyAgent(dir: string): string {
  const bin = join(dir, "spy-agent.sh");
  writeFileSync(
    bin,
    `#!/bin/sh\necho "$$" >> '${join(dir, "spawned.log")}'\necho 'spy: not today' >&2\nexit 1\n`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

const spawned = () =>
  existsSync(spyLog) ? readFileSync(spyLog, "utf8").split("\n").filter(Boolean).length : 0;
const taskIds = () =>
  (t.repos.handle.sqlite.prepare("select id from tasks order by id").all() as { id: string }[])
    .map((r) => r.id)
    .join(",");
const snapshot = () => ({ tasks: taskIds(), spawned: spawned() });

const host = () => ["Host", `127.0.0.1:${port}`] as const;
const bearer = ["Authorization", `Bearer ${TEST_TOKEN}`] as const;
const json = ["Content-Type", "application/json"] as const;
const taskBody = () => JSON.stringify({ title: "attack", prompt: "rm -rf ~", workingDir: t.dir });

/** Runs `attack` and asserts its answer's `status` (and `code`) and that it changed nothing. */
async function inert(
  status: number,
  code: string | RegExp | undefined,
  attack: () => Promise<RawResponse>,
): Promise<RawResponse> {
  const before = snapshot();
  const r = await attack();
  expect(r.status, r.body).toBe(status);
  if (code !== undefined) expect(r.json().error?.code).toMatch(code);
  expect(snapshot()).toEqual(before);
  return r;
}

/** Files a task the allowed way and waits until its (spy) agent ran and the task finished. */
async function fileTaskAllowed(headers: HeaderList = [host(), bearer, json]): Promise<string> {
  const before = spawned();
  const r = await rawRequest(port, "POST", "/api/tasks", headers, { body: taskBody() });
  expect(r.status, r.body).toBe(201);
  const id = (r.json() as { task: { id: string } }).task.id;
  await waitFor(
    () => spawned() > before && isTerminal(t.repos.tasks.get(id)!.status),
    20_000,
    "the task to end",
  );
  return id;
}

beforeAll(async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const agents = mkdtempSync(join(tmpdir(), "loop-attack-"));
  spyLog = join(agents, "spawned.log");
  const spy = spyAgent(agents);
  const web = join(agents, "web");
  mkdirSync(join(web, "assets"), { recursive: true });
  writeFileSync(
    join(web, "index.html"),
    '<!doctype html><title>loop</title><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(web, "assets", "app.js"), "export {}");
  t = await createTestApp({ LOOP_CLAUDE_BIN: spy, LOOP_CODEX_BIN: spy }, { webRoot: web });
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  port = (t.app.server.address() as { port: number }).port;

  taskA = await fileTaskAllowed();
  taskB = await fileTaskAllowed();
  outside = join(agents, "outside");
  mkdirSync(join(outside, "sub"), { recursive: true });
  writeFileSync(join(outside, "secret.txt"), SECRET);
  writeFileSync(join(outside, "task.md"), SECRET);
  writeFileSync(join(outside, "sub", "task.md"), SECRET);
  const a = join(t.config.artifactsDir, taskA);
  symlinkSync(join(outside, "secret.txt"), join(a, "outside.md"));
  symlinkSync("/etc/passwd", join(a, "passwd.md"));
  symlinkSync(outside, join(a, "folder.md"));
  symlinkSync(join(outside, "secret.txt"), join(a, "hop2.md"));
  symlinkSync(join(a, "hop2.md"), join(a, "hop1.md"));
  symlinkSync("hop1.md", join(a, "chain.md"));
  symlinkSync(`../${taskB}/task.md`, join(a, "sibling.md"));
  symlinkSync(join(a, "task.md"), join(a, "self.md"));
  symlinkSync(join(outside, "missing.txt"), join(a, "dangling.md"));
  symlinkSync(join(outside, "sub"), join(a, "subdir"));
  linkSync(join(outside, "secret.txt"), join(a, "hard.md"));
  mkdirSync(join(a, "dir.md"));
  execFileSync("mkfifo", [join(a, "fifo.md")]);
  // Task B's whole folder becomes a link to a folder of look-alike files.
  const b = join(t.config.artifactsDir, taskB);
  renameSync(b, `${b}.moved`);
  symlinkSync(join(outside, "sub"), b);
});
afterAll(() => t?.close());

describe("ambiguous requests (Host)", () => {
  const post =
    (headers: HeaderList, target = "/api/tasks", version?: string) =>
    () =>
      rawRequest(port, "POST", target, [...headers, bearer, json], {
        body: taskBody(),
        ...(version && { version }),
      });

  it.each([
    ["two equal Hosts", () => [host(), host()]],
    ["our Host, then a foreign one", () => [host(), ["Host", "evil.example"]]],
    ["a foreign Host, then ours", () => [["Host", "evil.example"], host()]],
    ["two Hosts differing in case", () => [host(), ["host", `LOCALHOST:${port}`]]],
    ["no Host (HTTP/1.1)", () => []],
  ] as [string, () => HeaderList][])("%s: 400 ambiguous_request", async (_name, headers) => {
    await inert(400, "ambiguous_request", post(headers()));
  });

  it("no Host (HTTP/1.0): 400 ambiguous_request", async () => {
    await inert(400, "ambiguous_request", post([], "/api/tasks", "1.0"));
  });

  it.each([
    [
      "two Origins",
      () => [
        ["Origin", `http://127.0.0.1:${port}`],
        ["Origin", "https://evil.example"],
      ],
    ],
    ["two Authorizations", () => [["Authorization", "Bearer nope"]]],
    [
      "two Sec-Fetch-Site",
      () => [
        ["Sec-Fetch-Site", "same-origin"],
        ["Sec-Fetch-Site", "cross-site"],
      ],
    ],
    ["two Content-Types", () => [["Content-Type", "text/plain"]]],
  ] as [string, () => HeaderList][])("%s: 400 ambiguous_request", async (_name, extra) => {
    await inert(400, "ambiguous_request", post([host(), ...extra()]));
  });

  it.each([
    ["absolute-form naming another host", "http://evil.example/api/tasks"],
    ["absolute-form naming ourselves", "http://127.0.0.1:PORT/api/tasks"],
    ["authority-form", "127.0.0.1:PORT"],
  ])("%s target: 400", async (_name, target) => {
    // Node's parser itself rejects some forms (bad_request) before loop sees them.
    await inert(
      400,
      /^(ambiguous_request|bad_request)$/,
      post([host()], target.replace("PORT", String(port))),
    );
  });

  it.each([
    "127.0.0.1:PORT/",
    "127.0.0.1:PORT/api",
    "127.0.0.1:PORT@evil.example",
    "127.0.0.1:PORTevil",
    "127.0.0.1:PORT.evil.example",
    "127.0.0.1:PORT:80",
    "127.0.0.1:PORT#",
    "127.0.0.1:PORT x",
    "localhost.:PORT",
    "127.0.0.1",
    "127.0.0.1:1",
    "evil.example:PORT",
    "",
  ])("Host %j: 403 forbidden_host", async (value) => {
    await inert(403, "forbidden_host", post([["Host", value.replace("PORT", String(port))]]));
  });

  it.each(["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])(
    "control: Host %s:PORT is served",
    async (name) => {
      const r = await rawRequest(port, "GET", "/api/tasks", [["Host", `${name}:${port}`], bearer]);
      expect(r.status).toBe(200);
    },
  );

  it("control: one plain Host files a task", async () => {
    const before = snapshot();
    await fileTaskAllowed();
    expect(spawned()).toBe(before.spawned + 1);
  });
});

describe("fetch metadata", () => {
  /** Every kind of /api route, with a request that would succeed (or act) if it were let through. */
  const routes = (): [string, string, string | undefined][] => [
    ["GET", "/api/tasks", undefined],
    ["GET", `/api/tasks/${taskA}`, undefined],
    ["GET", `/api/tasks/${taskA}/artifacts`, undefined],
    ["GET", `/api/tasks/${taskA}/artifacts/task.md`, undefined],
    ["GET", "/api/health", undefined],
    ["GET", "/api/events", undefined],
    ["GET", `/api/tasks/${taskA}/events`, undefined],
    ["HEAD", "/api/events", undefined],
    ["POST", "/api/tasks", taskBody()],
    ["POST", `/api/tasks/${taskA}/cancel`, ""],
    ["POST", `/api/tasks/${taskA}/retry`, ""],
    ["DELETE", `/api/tasks/${taskA}`, undefined],
  ];
  const variants = (): [string, HeaderList, string][] => [
    ["cross-site, no Origin", [["Sec-Fetch-Site", "cross-site"]], "cross_site_request"],
    ["same-site (another port), no Origin", [["Sec-Fetch-Site", "same-site"]], "cross_site_request"],
    [
      "cross-site with a foreign Origin",
      [
        ["Sec-Fetch-Site", "cross-site"],
        ["Origin", "https://evil.example"],
      ],
      "forbidden_origin",
    ],
    [
      "same-site with another port's Origin",
      [
        ["Sec-Fetch-Site", "same-site"],
        ["Origin", `http://127.0.0.1:${port + 1}`],
      ],
      "forbidden_origin",
    ],
  ];

  it("refuses every /api route for every cross-site form, even with the cookie (48 cases)", async () => {
    let cases = 0;
    for (const [method, path, body] of routes()) {
      for (const [name, extra, code] of variants()) {
        const headers: HeaderList = [host(), ["Cookie", cookie], ...(body ? [json] : []), ...extra];
        const r = await inert(403, undefined, () =>
          rawRequest(port, method, path, headers, { ...(body !== undefined && { body }) }),
        );
        if (method !== "HEAD") expect(r.json().error?.code, `${method} ${path}, ${name}`).toBe(code);
        cases++;
      }
    }
    expect(cases).toBe(48);
    expect(t.repos.tasks.get(taskA)).toBeDefined();
  });

  it("control: same-origin, none (typed URL) and no header (scripts) are served", async () => {
    for (const site of [
      ["Sec-Fetch-Site", "same-origin"],
      ["Sec-Fetch-Site", "none"],
    ] as const) {
      for (const [method, path] of routes().filter(([m]) => m === "GET" || m === "HEAD")) {
        const r = await rawRequest(port, method, path, [host(), ["Cookie", cookie], site], {
          headersOnly: true,
        });
        expect(r.status, `${method} ${path} ${site[1]}`).toBe(200);
      }
    }
    const before = spawned();
    await fileTaskAllowed([
      host(),
      ["Cookie", cookie],
      json,
      ["Sec-Fetch-Site", "same-origin"],
      ["Origin", `http://127.0.0.1:${port}`],
    ]);
    expect(spawned()).toBe(before + 1);
  });
});

describe("the token in the start-up URL", () => {
  it("the right token: 303 to the same URL without it, and an HttpOnly SameSite=Strict cookie", async () => {
    for (const [target, location] of [
      [`/?token=${TEST_TOKEN}`, "/"],
      [`/tasks/01ABC?x=1&token=${TEST_TOKEN}&y=2`, "/tasks/01ABC?x=1&y=2"],
      [`//evil.example/?token=${TEST_TOKEN}`, "/evil.example/"],
    ] as const) {
      for (const method of ["GET", "HEAD"]) {
        const r = await inert(303, undefined, () => rawRequest(port, method, target, [host()]));
        expect(r.header("location"), target).toBe(location);
        expect(r.header("cache-control")).toBe("no-store");
        expect(r.body).not.toContain(TEST_TOKEN);
        const set = r.headers.get("set-cookie") ?? [];
        expect(set).toHaveLength(1);
        expect(set[0]).toMatch(new RegExp(`^loop_token=${TEST_TOKEN};`));
        expect(set[0]).toMatch(/; HttpOnly/);
        expect(set[0]).toMatch(/; SameSite=Strict/);
        expect(set[0]).toMatch(/; Path=\//);
      }
    }
  });

  it.each([
    ["wrong", "wrong"],
    ["empty", ""],
    ["one character more", `${TEST_TOKEN}x`],
    ["one character less", TEST_TOKEN.slice(0, -1)],
    ["another case", TEST_TOKEN.toUpperCase()],
    ["markup", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"],
    ["right, then wrong", `${TEST_TOKEN}&token=wrong`],
    ["repeated (ambiguous)", `${TEST_TOKEN}&token=${TEST_TOKEN}`],
  ])("token %s: 401 page that says how to get in, no cookie, nothing echoed", async (_name, value) => {
    const r = await inert(401, undefined, () => rawRequest(port, "GET", `/?token=${value}`, [host()]));
    expect(r.headers.get("set-cookie")).toBeUndefined();
    expect(r.header("content-type")).toMatch(/^text\/html/);
    expect(r.body).toContain("pnpm start");
    expect(r.body).toContain('<form method="get" action="/">');
    expect(r.body).not.toContain("<script");
    expect(r.body).not.toContain(TEST_TOKEN);
  });

  it("a token in an /api URL is no credential; a wrong cookie neither; a POST to /?token= sets nothing", async () => {
    await inert(401, "unauthorized", () =>
      rawRequest(port, "GET", `/api/tasks?token=${TEST_TOKEN}`, [host()]),
    );
    await inert(401, "unauthorized", () =>
      rawRequest(port, "POST", `/api/tasks?token=${TEST_TOKEN}`, [host(), json], { body: taskBody() }),
    );
    await inert(401, "unauthorized", () =>
      rawRequest(port, "GET", "/api/tasks", [host(), ["Cookie", `loop_token=${TEST_TOKEN}x`]]),
    );
    const post = await rawRequest(port, "POST", `/?token=${TEST_TOKEN}`, [host(), json], { body: "{}" });
    expect(post.headers.get("set-cookie")).toBeUndefined();
  });

  it("control: the cookie from the redirect opens the API; the shell loads without a token", async () => {
    const r = await rawRequest(port, "GET", `/?token=${TEST_TOKEN}`, [host()]);
    const jar = r.headers.get("set-cookie")![0]!.split(";")[0]!;
    expect((await rawRequest(port, "GET", "/api/tasks", [host(), ["Cookie", jar]])).status).toBe(200);
    const shell = await rawRequest(port, "GET", "/", [host()]);
    expect(shell.status).toBe(200);
    expect(shell.body).toContain("<title>loop</title>");
  });
});

describe("symlinks in a task folder", () => {
  const get = (name: string) => () =>
    rawRequest(port, "GET", `/api/tasks/${taskA}/artifacts/${name}`, [host(), bearer]);

  it.each([
    ["a link to a file outside", "outside.md"],
    ["a link to /etc/passwd", "passwd.md"],
    ["a link to a folder", "folder.md"],
    ["a chain of links ending outside", "chain.md"],
    ["a relative link into another task's folder", "sibling.md"],
    ["a link to a file inside the folder", "self.md"],
    ["a dangling link", "dangling.md"],
    ["a hard link to a file outside", "hard.md"],
    ["a folder", "dir.md"],
    ["a named pipe (must not hang)", "fifo.md"],
    ["a path through a linked folder", "subdir%2Ftask.md"],
    ["a traversal", "..%2F..%2Fetc%2Fpasswd"],
  ])("%s: 404 artifact_not_found, nothing of it served", async (_name, name) => {
    const r = await inert(404, /artifact_not_found|invalid_query/, get(name));
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain("root:");
  });

  it("the listing shows the task's own files only", async () => {
    const r = await inert(200, undefined, () =>
      rawRequest(port, "GET", `/api/tasks/${taskA}/artifacts`, [host(), bearer]),
    );
    const names = (r.json() as { artifacts: { name: string }[] }).artifacts.map((a) => a.name);
    expect(names).toContain("task.md");
    expect(
      names.every((n) =>
        /^(task|result|changes|\d{3}-changes|\d{3}-(claude|codex)-(prompt|output))\.md$/.test(n),
      ),
    ).toBe(true);
  });

  it("a task folder that is itself a link: empty listing, nothing served", async () => {
    const list = await inert(200, undefined, () =>
      rawRequest(port, "GET", `/api/tasks/${taskB}/artifacts`, [host(), bearer]),
    );
    expect(list.json()).toEqual({ artifacts: [] });
    const file = await inert(404, "artifact_not_found", () =>
      rawRequest(port, "GET", `/api/tasks/${taskB}/artifacts/task.md`, [host(), bearer]),
    );
    expect(file.body).not.toContain(SECRET);
  });

  it("control: a real artifact is served as Markdown, sandboxed", async () => {
    const r = await inert(200, undefined, get("task.md"));
    expect(r.header("content-type")).toBe("text/markdown; charset=utf-8");
    expect(r.body).toContain("attack");
    expect(r.header("content-security-policy")).toMatch(/sandbox/);
  });

  it("deleting the tasks removes the links, never what they point to", async () => {
    for (const id of [taskA, taskB]) {
      const r = await rawRequest(port, "DELETE", `/api/tasks/${id}`, [host(), bearer]);
      expect(r.status, r.body).toBe(200);
      expect(existsSync(join(t.config.artifactsDir, id))).toBe(false);
    }
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe(SECRET);
    expect(readFileSync(join(outside, "task.md"), "utf8")).toBe(SECRET);
    expect(readFileSync(join(outside, "sub", "task.md"), "utf8")).toBe(SECRET);
    expect(readFileSync("/etc/passwd", "utf8")).toMatch(/root:/);
  });
});

const SECURITY_HEADERS = (r: RawResponse, what: string) => {
  const csp = r.header("content-security-policy") ?? "";
  expect(csp, `${what}: CSP`).toMatch(/frame-ancestors 'none'/);
  expect(csp, `${what}: CSP`).toMatch(/default-src '(self|none)'/);
  expect(csp, `${what}: no inline script`).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(r.header("x-frame-options"), what).toBe("DENY");
  expect(r.header("x-content-type-options"), what).toBe("nosniff");
  expect(r.header("referrer-policy"), what).toBe("no-referrer");
  expect(r.header("cross-origin-resource-policy"), what).toBe("same-origin");
  expect(r.header("cross-origin-opener-policy"), what).toBe("same-origin");
  expect(r.header("access-control-allow-origin"), what).toBeUndefined();
  expect(r.header("strict-transport-security"), what).toBeUndefined();
};

describe("headers on every response", () => {
  it("SPA, assets, API, event streams, redirects and every kind of error", async () => {
    const id = await fileTaskAllowed();
    const cases: [string, () => Promise<RawResponse>, number][] = [
      ["the SPA shell", () => rawRequest(port, "GET", "/", [host()]), 200],
      ["a client route", () => rawRequest(port, "GET", "/tasks/x", [host()]), 200],
      ["an asset", () => rawRequest(port, "GET", "/assets/app.js", [host()]), 200],
      ["the API", () => rawRequest(port, "GET", "/api/tasks", [host(), bearer]), 200],
      [
        "an artifact",
        () => rawRequest(port, "GET", `/api/tasks/${id}/artifacts/task.md`, [host(), bearer]),
        200,
      ],
      [
        "an event stream",
        () => rawRequest(port, "GET", "/api/events", [host(), bearer], { headersOnly: true }),
        200,
      ],
      ["HEAD on an event stream", () => rawRequest(port, "HEAD", "/api/events", [host(), bearer]), 200],
      ["the sign-in redirect", () => rawRequest(port, "GET", `/?token=${TEST_TOKEN}`, [host()]), 303],
      ["the wrong-token page", () => rawRequest(port, "GET", "/?token=x", [host()]), 401],
      ["a 401", () => rawRequest(port, "GET", "/api/tasks", [host()]), 401],
      ["a 404", () => rawRequest(port, "GET", "/api/nope", [host(), bearer]), 404],
      ["a 403 Host", () => rawRequest(port, "GET", "/api/tasks", [["Host", "evil.example"]]), 403],
      ["a 400 ambiguous", () => rawRequest(port, "GET", "/api/tasks", [host(), host()]), 400],
      [
        "a 415",
        () =>
          rawRequest(port, "POST", "/api/tasks", [host(), bearer, ["Content-Type", "text/plain"]], {
            body: "x",
          }),
        415,
      ],
      [
        "a 400 bad URL (before any hook)",
        () => rawRequest(port, "GET", "/api/tasks/%zz", [host(), bearer]),
        400,
      ],
      [
        "a 414 (before any hook)",
        () => rawRequest(port, "GET", `/api/tasks/${"a".repeat(200)}`, [host(), bearer]),
        414,
      ],
      [
        "a 431 (Node's parser)",
        () => rawRequest(port, "GET", "/api/tasks", [host(), bearer, ["Cookie", "c".repeat(20_000)]]),
        431,
      ],
      [
        "a 400 (not HTTP)",
        () => import("./raw-http.ts").then((m) => m.rawExchange(port, "HELLO\r\n\r\n")),
        400,
      ],
    ];
    for (const [what, send, status] of cases) {
      const before = snapshot();
      const r = await send();
      expect(r.status, `${what}: ${r.body}`).toBe(status);
      SECURITY_HEADERS(r, what);
      if (status >= 400 && what !== "the wrong-token page") {
        const body = r.json();
        expect(typeof body.error?.code, `${what}: error shape`).toBe("string");
        expect(typeof body.error?.message, `${what}: error shape`).toBe("string");
      }
      expect(snapshot(), what).toEqual(before);
    }
    expect(cases).toHaveLength(18);
  });

  it("the SPA's policy allows only itself; an artifact's is sandboxed and loads nothing", async () => {
    const spa = await rawRequest(port, "GET", "/", [host()]);
    const csp = spa.header("content-security-policy")!;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).toMatch(/base-uri 'none'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    const list = await rawRequest(port, "GET", "/api/tasks", [host(), bearer]);
    const id = (list.json() as { tasks: { id: string }[] }).tasks[0]!.id;
    const art = await rawRequest(port, "GET", `/api/tasks/${id}/artifacts/task.md`, [host(), bearer]);
    expect(art.header("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
  });
});

describe("floods", () => {
  it("HEAD on an event stream answers at once and holds no slot", async () => {
    const before = snapshot();
    const heads = await Promise.all(
      Array.from({ length: 100 }, () =>
        rawRequest(port, "HEAD", "/api/events", [host(), bearer], { timeoutMs: 5000 }),
      ),
    );
    expect(
      heads.every((r) => r.status === 200 && r.header("content-type")?.startsWith("text/event-stream")),
    ).toBe(true);
    expect(t.app.eventStreams.size).toBe(0);
    const get = await rawRequest(port, "GET", "/api/events", [host(), bearer], { headersOnly: true });
    expect(get.status).toBe(200);
    expect(snapshot()).toEqual(before);
  });

  it("64 open streams and 400 concurrent bad requests: none gets through, good requests are served", async () => {
    const { connect } = await import("node:net");
    const before = snapshot();
    const max = t.config.sseMaxConnections;
    // Hold every stream slot open.
    const held = await Promise.all(
      Array.from({ length: max }, async () => {
        const s = connect(port, "127.0.0.1");
        s.write(
          `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n\r\n`,
        );
        await new Promise<void>((resolve) => {
          let buf = "";
          s.on("data", (c) => {
            buf += c;
            if (buf.includes(": connected")) resolve();
          });
        });
        return s;
      }),
    );
    await waitFor(() => t.app.eventStreams.size === max, 5000, "all streams open");
    // Half-sent requests (slowloris) alongside.
    const slow = Array.from({ length: 100 }, () => {
      const s = connect(port, "127.0.0.1");
      s.write(`POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      return s;
    });
    const bad: [HeaderList, number][] = [
      [[["Host", "evil.example"], bearer, json], 403],
      [[host(), host(), bearer, json], 400],
      [[host(), bearer, json, ["Sec-Fetch-Site", "cross-site"]], 403],
      [[host(), bearer, json, ["Origin", "https://evil.example"]], 403],
      [[host(), json], 401],
      [[host(), ["Authorization", "Bearer wrong-wrong-wrong"], json], 401],
      [[host(), ["Cookie", "loop_token=nope"], json], 401],
      [[host(), bearer, ["Content-Type", "text/plain"]], 415],
    ];
    const badRequests = Array.from({ length: 400 }, (_, i) => {
      const [headers, status] = bad[i % bad.length]!;
      return rawRequest(port, "POST", "/api/tasks", headers, { body: taskBody() }).then((r) => [
        r.status,
        status,
      ]);
    });
    const good = Array.from({ length: 20 }, () => rawRequest(port, "GET", "/api/tasks", [host(), bearer]));
    const overLimit = rawRequest(port, "GET", "/api/events", [host(), bearer]);
    const [badResults, goodResults, over] = await Promise.all([
      Promise.all(badRequests),
      Promise.all(good),
      overLimit,
    ]);
    for (const [got, want] of badResults) expect(got).toBe(want);
    expect(goodResults.every((r) => r.status === 200)).toBe(true);
    expect(over.status).toBe(503);
    expect(over.json().error?.code).toBe("too_many_streams");
    expect(snapshot()).toEqual(before);
    for (const s of [...held, ...slow]) s.destroy();
    await waitFor(() => t.app.eventStreams.size === 0, 5000, "streams released");
    expect((await rawRequest(port, "GET", "/api/health", [host(), bearer])).status).toBe(200);
    await fileTaskAllowed();
  });
});

/** A second app on its own port: `env` on top of the spy agents. */
function otherApp(env: Record<string, string>) {
  const ctx = {} as { app: TestApp; port: number; dir: string };
  beforeAll(async () => {
    const { mkdtempSync, realpathSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    ctx.dir = realpathSync(mkdtempSync(join(tmpdir(), "loop-attack2-")));
    const spy = spyAgent(ctx.dir);
    ctx.app = await createTestApp({
      LOOP_CLAUDE_BIN: spy,
      LOOP_CODEX_BIN: spy,
      ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replaceAll("$DIR", ctx.dir)])),
    });
    await ctx.app.app.listen({ host: "127.0.0.1", port: 0 });
    ctx.port = (ctx.app.app.server.address() as { port: number }).port;
  });
  afterAll(() => ctx.app?.close());
  return {
    ctx,
    host: () => ["Host", `127.0.0.1:${ctx.port}`] as const,
    count: () =>
      (ctx.app.repos.handle.sqlite.prepare("select count(*) as n from tasks").get() as { n: number }).n,
    file: (workingDir: string) =>
      rawRequest(ctx.port, "POST", "/api/tasks", [["Host", `127.0.0.1:${ctx.port}`], bearer, json], {
        body: JSON.stringify({ title: "t", prompt: "p", workingDir }),
      }),
  };
}

describe("LOOP_ALLOWED_ROOTS", () => {
  const o = otherApp({ LOOP_ALLOWED_ROOTS: "$DIR/allowed:/nonexistent-root" });
  const at = (...p: string[]) => join(o.ctx.dir, ...p);
  beforeAll(() => {
    mkdirSync(at("allowed", "project"), { recursive: true });
    mkdirSync(at("allowed-not"), { recursive: true });
    mkdirSync(at("elsewhere"), { recursive: true });
    symlinkSync(at("elsewhere"), at("allowed", "escape"));
    symlinkSync(at("allowed", "project"), at("allowed", "inside-link"));
    symlinkSync(at("allowed", "escape"), at("allowed", "escape-chain"));
  });

  it.each([
    ["a sibling folder", ["elsewhere"]],
    ["a folder whose name starts like the root", ["allowed-not"]],
    ["a link inside the root pointing out", ["allowed", "escape"]],
    ["a chain of links pointing out", ["allowed", "escape-chain"]],
    ["a path climbing out with ..", ["allowed", "..", "elsewhere"]],
  ])("%s: 400 invalid_working_dir", async (_name, parts) => {
    const before = o.count();
    const res = await o.file(at(...parts));
    expect(res.status, res.body).toBe(400);
    expect(res.json().error?.code).toBe("invalid_working_dir");
    expect(o.count()).toBe(before);
  });

  it.each(["/", "/etc"])("%s: 400 invalid_working_dir", async (dir) => {
    const res = await o.file(dir);
    expect(res.status).toBe(400);
    expect(res.json().error?.message).toMatch(
      /outside the directories this server allows \(LOOP_ALLOWED_ROOTS/,
    );
  });

  it("names where a link leads", async () => {
    const res = await o.file(at("allowed", "escape"));
    expect(res.json().error?.message).toContain(`resolves to ${at("elsewhere")}`);
  });

  it("control: inside a root (also through a link that stays inside) a task is filed, at its real path", async () => {
    for (const dir of [at("allowed", "project"), at("allowed", "inside-link")]) {
      const res = await o.file(dir);
      expect(res.status, res.body).toBe(201);
      expect((res.json() as { task: { workingDir: string } }).task.workingDir).toBe(at("allowed", "project"));
    }
  });
});

describe("rate limit", () => {
  const o = otherApp({ LOOP_RATE_LIMIT_PER_MINUTE: "5" });
  const cancel = (extra: HeaderList = []) =>
    rawRequest(o.ctx.port, "POST", "/api/tasks/nope/cancel", [o.host(), bearer, ...extra]);

  it("mutating requests past the limit get 429 rate_limited; refused ones spend nothing; reads are not limited", async () => {
    // Another site's requests are refused before the limiter: they cannot lock the owner out.
    for (let i = 0; i < 50; i++) expect((await cancel([["Sec-Fetch-Site", "cross-site"]])).status).toBe(403);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await cancel()).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    const limited = await cancel();
    expect(limited.status).toBe(429);
    expect(limited.json().error?.code).toBe("rate_limited");
    expect(limited.header("retry-after")).toBeDefined();
    SECURITY_HEADERS(limited, "a 429");
    const before = o.count();
    const blocked = await o.file(o.ctx.dir);
    expect(blocked.status).toBe(429);
    expect(o.count()).toBe(before);
    for (let i = 0; i < 20; i++) {
      expect((await rawRequest(o.ctx.port, "GET", "/api/tasks", [o.host(), bearer])).status).toBe(200);
    }
  });
});
