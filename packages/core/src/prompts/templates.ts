/**
 * Prompt templates: the default text of each role's prompt, and the files that may replace it
 * (LOOP_CLAUDE_PROMPT_FILE: the worker's, LOOP_CODEX_PROMPT_FILE: the reviewer's; named after the
 * default pair). Whichever agent plays the role gets that prompt. A template is plain text with `{{name}}`
 * placeholders. It is cut into blocks at blank lines; a block that comes out empty (say `{{history}}`
 * in iteration 1) is left out, so no run of blank lines is left where a section was.
 */

export type PromptRole = "worker" | "reviewer";

/** Every placeholder, what it holds, and which role's template may use it (docs/prompt-templates.md lists them). */
export const PLACEHOLDERS = {
  worker: { roles: ["worker", "reviewer"], about: 'the working agent\'s name ("Claude" or "Codex")' },
  reviewer: { roles: ["worker", "reviewer"], about: 'the reviewing agent\'s name ("Codex" or "Claude")' },
  title: { roles: ["worker", "reviewer"], about: "the task's title" },
  prompt: { roles: ["worker", "reviewer"], about: "the task's request, verbatim" },
  workingDir: {
    roles: ["worker", "reviewer"],
    about: "the directory the agents work in (the worktree, if any)",
  },
  iteration: { roles: ["worker", "reviewer"], about: "this iteration's number" },
  maxIterations: { roles: ["worker", "reviewer"], about: "the task's iteration cap" },
  task: {
    roles: ["worker", "reviewer"],
    about:
      "the task section (title, working directory, request); for the worker empty when it continues its session",
  },
  history: {
    roles: ["worker", "reviewer"],
    about:
      "every earlier iteration (the worker's report, the review; older ones shortened); empty in iteration 1, and in session mode (the worker's conversation holds them; the reviewer reviews afresh)",
  },
  review: {
    roles: ["worker"],
    about:
      "session mode: the latest review, quoted (in full-history mode it is the last entry of {{history}})",
  },
  openFindings: {
    roles: ["worker", "reviewer"],
    about:
      "the worker: the ledger's open findings as a checklist (and those the user dismissed); the reviewer: the open findings with their ids, the dismissed ones with the user's reasons, and how to answer by id (`[F3] …`, `STILL OPEN: …`); empty when none",
  },
  notes: {
    roles: ["worker", "reviewer"],
    about:
      "the user's notes not yet given to this agent, verbatim, under a heading saying they come from the user; empty when none",
  },
  job: {
    roles: ["worker"],
    about: "what the worker is asked to do in this iteration (first run or a fix-up)",
  },
  workerOutput: { roles: ["reviewer"], about: "what the worker reported in this iteration, quoted" },
  claudeOutput: { roles: ["reviewer"], about: "the same as {{workerOutput}} (its name from before roles)" },
  check: {
    roles: ["worker", "reviewer"],
    about:
      "loop's check (the task's checkCommand): for the reviewer, this iteration's result with its exit code and the tail of its output; for the worker, the previous iteration's failure with its output tail, else the command it will be checked with; empty when the task has no check",
  },
} as const satisfies Record<string, { roles: readonly PromptRole[]; about: string }>;

export type Placeholder = keyof typeof PLACEHOLDERS;
export type TemplateValues = Partial<Record<Placeholder, string>>;

export const DEFAULT_TEMPLATES: Record<PromptRole, string> = {
  worker: `{{check}}

{{task}}

{{history}}

{{review}}

{{openFindings}}

{{notes}}

## Your job (iteration {{iteration}} of at most {{maxIterations}})

{{job}}
`,
  reviewer: `{{task}}

{{history}}

## What {{worker}} reported in iteration {{iteration}}

{{workerOutput}}

{{check}}

{{notes}}

{{openFindings}}

## Your job: review

Review the current state of the working directory against the request above. You are read-only: do not
modify files. Inspect the code, run read-only checks (tests, linters) if useful, and judge whether the
request is fully and correctly done.

Answer in exactly this format. The FIRST line must be one of:

STATUS: DONE
STATUS: ISSUES_FOUND

Use STATUS: DONE only when nothing important remains. With STATUS: ISSUES_FOUND, list each finding on
the following lines: what is wrong, where (file and line), and what to do, most important first.
`,
};

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export class TemplateError extends Error {
  override name = "TemplateError";
}

/** Throws a TemplateError naming every placeholder the role's template may not use. */
export function checkTemplate(template: string, role: PromptRole): void {
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? "")
    .filter((name) => !allowed(name, role));
  if (unknown.length === 0) return;
  const known = Object.entries(PLACEHOLDERS)
    .filter(([, p]) => (p.roles as readonly string[]).includes(role))
    .map(([k]) => `{{${k}}}`);
  throw new TemplateError(
    `unknown placeholder${unknown.length > 1 ? "s" : ""} ${[...new Set(unknown)].map((u) => `{{${u}}}`).join(", ")} (a ${role} prompt may use ${known.join(", ")})`,
  );
}

function allowed(name: string, role: PromptRole): boolean {
  const p = (PLACEHOLDERS as Record<string, { roles: readonly string[] }>)[name];
  return p?.roles.includes(role) === true;
}

/** Fills the placeholders; blocks (between blank lines) that come out blank are left out. */
export function renderTemplate(template: string, values: TemplateValues): string {
  const blocks = template
    .replace(/\r\n/g, "\n")
    .replace(/\n+$/, "")
    .split(/\n[ \t]*\n/)
    .map((block) => block.replace(PLACEHOLDER, (_, name: string) => values[name as Placeholder] ?? ""))
    .filter((b) => b.trim() !== "");
  return `${blocks.join("\n\n")}\n`;
}
