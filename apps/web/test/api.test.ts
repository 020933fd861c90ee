import { describe, expect, it } from "vitest";
import { matchRoute } from "../src/app/router.tsx";
import { agentProblems } from "../src/features/health/health.ts";
import { ApiError, formErrorsFrom } from "../src/lib/api.ts";

describe("formErrorsFrom", () => {
  it("puts each invalid_body part next to its field, in the form's words", () => {
    const e = new ApiError(
      400,
      "invalid_body",
      "title: must not be empty; workingDir: must be an absolute path (starting with /); maxIterations: must be at most 100",
    );
    expect(formErrorsFrom(e)).toEqual({
      fields: {
        title: "Title must not be empty",
        workingDir: "Working directory must be an absolute path (starting with /)",
        maxIterations: "Max iterations must be at most 100",
      },
    });
  });

  it("says each field's problem once", () => {
    const e = new ApiError(400, "invalid_body", "title: must not be empty; title: must not be blank");
    expect(formErrorsFrom(e)).toEqual({ fields: { title: "Title must not be empty" } });
  });

  it("keeps what names no form field as a general message, as a sentence", () => {
    const e = new ApiError(
      400,
      "invalid_body",
      'unknown field: foo; isolation: must be "none" or "worktree"; prompt: must not be empty',
    );
    expect(formErrorsFrom(e)).toEqual({
      fields: { prompt: "Prompt must not be empty" },
      general: 'Unknown field: foo. Isolation must be "none" or "worktree".',
    });
  });

  it("puts the server's roles errors at the Worker / Reviewer selects", () => {
    const same = new ApiError(400, "invalid_body", "reviewer: must be a different agent from the worker");
    expect(formErrorsFrom(same)).toEqual({
      fields: { reviewer: "Reviewer must be a different agent from the worker" },
    });
    const unknown = new ApiError(400, "invalid_body", 'worker: must be "claude" or "codex"');
    expect(formErrorsFrom(unknown).fields.worker).toBe('Worker must be "claude" or "codex"');
  });

  it("maps invalid_working_dir to the working directory field", () => {
    const e = new ApiError(400, "invalid_working_dir", "The working directory /nope does not exist");
    expect(formErrorsFrom(e)).toEqual({
      fields: { workingDir: "The working directory /nope does not exist" },
    });
  });

  it("says the queue is full once, as the server says it", () => {
    const message =
      "The queue is full: 5 tasks are waiting (LOOP_MAX_QUEUE_DEPTH=5). Wait for one to start, or cancel one, then try again.";
    const r = formErrorsFrom(new ApiError(429, "queue_full", message));
    expect(r).toEqual({ fields: {}, general: message });
    expect(r.general!.match(/queue is full/gi)).toHaveLength(1);
  });
});

describe("agentProblems", () => {
  const ok = { bin: "claude", found: true, version: "2.1.197", loggedIn: true };
  it("is empty when both CLIs answer", () => {
    expect(agentProblems({ claude: ok, codex: { ...ok, bin: "codex" } })).toEqual([]);
  });
  it("names the missing CLI, its configured path and the variable to set", () => {
    const p = agentProblems({
      claude: ok,
      codex: { bin: "/opt/codex", found: false, version: null, loggedIn: null, error: "ENOENT" },
    });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ agent: "codex", severity: "error" });
    expect(p[0]!.message).toContain("/opt/codex");
    expect(p[0]!.message).toContain("LOOP_CODEX_BIN");
  });
  it("warns when a CLI is not logged in and errors when --version fails", () => {
    const p = agentProblems({
      claude: { ...ok, loggedIn: false },
      codex: { bin: "codex", found: true, version: null, loggedIn: null, error: "exit code 1" },
    });
    expect(p.map((x) => [x.agent, x.severity]).sort()).toEqual([
      ["claude", "warning"],
      ["codex", "error"],
    ]);
  });
  it("only warns about a codex that answers but has no stored login (a custom provider's normal state)", () => {
    // What the real codex 0.171.0 reports with a model_provider in its config: exit 1, "Not logged in".
    const p = agentProblems({
      claude: ok,
      codex: {
        bin: "codex",
        found: true,
        version: "codex-cli 0.171.0",
        loggedIn: false,
        error: "not logged in (codex login status); fine if you use an API key or a custom provider",
      },
    });
    expect(p.map((x) => [x.agent, x.severity])).toEqual([["codex", "warning"]]);
  });
  it("follows the server's status: a not-logged-in CLI is a warning in its own words, never 'cannot run'", () => {
    const said =
      'not logged in (codex login status: "Not logged in"); fine if you use an API key or a custom provider';
    const p = agentProblems({
      claude: { ...ok, status: "ok" },
      codex: {
        bin: "codex",
        found: true,
        version: "codex-cli 0.171.0",
        loggedIn: false,
        status: "warning",
        error: said,
      },
    });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ agent: "codex", severity: "warning" });
    // Said once: the CLI's own "Not logged in" adds nothing to "codex is not logged in".
    expect(p[0]!.message).toBe(
      "codex is not logged in. Fine with an API key or a custom provider; otherwise run `codex login` once.",
    );
    const broken = agentProblems({
      claude: ok,
      codex: {
        bin: "codex",
        found: true,
        version: null,
        loggedIn: null,
        status: "unavailable",
        error: "exit 2",
      },
    });
    expect(broken.map((x) => x.severity)).toEqual(["error"]);
  });
  it("keeps what a login check said when it adds something, and never says 'not found' twice", () => {
    const p = agentProblems({
      claude: {
        ...ok,
        loggedIn: false,
        error:
          'not logged in (claude auth status: "Invalid API key · Please run /login"); fine if you use an API key',
      },
      codex: {
        bin: "/x/codex",
        found: false,
        version: null,
        loggedIn: null,
        error: "/x/codex not found; install codex or set LOOP_CODEX_BIN",
      },
    });
    expect(p.map((x) => x.message).sort()).toEqual([
      'claude (claude auth status: "Invalid API key · Please run /login") is not logged in. Fine with an API key or a custom provider; otherwise run `claude` in a terminal once and log in.',
      'codex was not found at "/x/codex". Install it or set LOOP_CODEX_BIN to its path.',
    ]);
  });
  it("warns when a CLI is newer than the version loop was tested with", () => {
    const p = agentProblems({
      claude: ok,
      codex: {
        bin: "codex",
        found: true,
        version: "codex-cli 0.175.0",
        loggedIn: true,
        testedVersion: "0.171.0",
        newerThanTested: "codex 0.175.0 is newer than the tested 0.171.0",
      },
    });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ agent: "codex", severity: "warning" });
    expect(p[0]!.message).toMatch(/^codex 0\.175\.0 is newer than the tested 0\.171\.0/);
  });
});

describe("matchRoute", () => {
  it("knows the home page and task deep links", () => {
    expect(matchRoute("/")).toEqual({ name: "home" });
    expect(matchRoute("/tasks/01ABC")).toEqual({ name: "task", id: "01ABC" });
    expect(matchRoute("/tasks/01ABC/")).toEqual({ name: "task", id: "01ABC" });
    expect(matchRoute("/nope")).toEqual({ name: "not_found", path: "/nope" });
  });
});
