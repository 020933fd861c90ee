/**
 * Prompt templates: the default text of each agent's prompt, and the files that may replace it
 * (LOOP_CLAUDE_PROMPT_FILE / LOOP_CODEX_PROMPT_FILE). A template is plain text with `{{name}}`
 * placeholders. It is cut into blocks at blank lines; a block that comes out empty (say `{{history}}`
 * in iteration 1) is left out, so no run of blank lines is left where a section was.
 */

export type PromptAgent = "claude" | "codex";

/** Every placeholder, what it holds, and which agent's template may use it (docs/prompt-templates.md lists them). */
export const PLACEHOLDERS = {
  title: { agents: ["claude", "codex"], about: "the task's title" },
  prompt: { agents: ["claude", "codex"], about: "the task's request, verbatim" },
  workingDir: {
    agents: ["claude", "codex"],
    about: "the directory the agents work in (the worktree, if any)",
  },
  iteration: { agents: ["claude", "codex"], about: "this iteration's number" },
  maxIterations: { agents: ["claude", "codex"], about: "the task's iteration cap" },
  task: {
    agents: ["claude", "codex"],
    about:
      "the task section (title, working directory, request); for Claude empty when it continues its session",
  },
  history: {
    agents: ["claude", "codex"],
    about:
      "every earlier iteration (Claude's report, Codex's review; older ones shortened); empty in iteration 1, and in session mode (Claude's conversation holds them; Codex reviews afresh)",
  },
  review: {
    agents: ["claude"],
    about:
      "session mode: Codex's latest review, quoted (in full-history mode it is the last entry of {{history}})",
  },
  openFindings: {
    agents: ["claude", "codex"],
    about: "the ledger's open findings as a checklist; empty when none",
  },
  job: { agents: ["claude"], about: "what Claude is asked to do in this iteration (first run or a fix-up)" },
  claudeOutput: { agents: ["codex"], about: "what Claude reported in this iteration, quoted" },
} as const satisfies Record<string, { agents: readonly PromptAgent[]; about: string }>;

export type Placeholder = keyof typeof PLACEHOLDERS;
export type TemplateValues = Partial<Record<Placeholder, string>>;

export const DEFAULT_TEMPLATES: Record<PromptAgent, string> = {
  claude: `{{task}}

{{history}}

{{review}}

{{openFindings}}

## Your job (iteration {{iteration}} of at most {{maxIterations}})

{{job}}
`,
  codex: `{{task}}

{{history}}

## What Claude reported in iteration {{iteration}}

{{claudeOutput}}

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

/** Throws a TemplateError naming every placeholder the agent's template may not use. */
export function checkTemplate(template: string, agent: PromptAgent): void {
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? "")
    .filter((name) => !allowed(name, agent));
  if (unknown.length === 0) return;
  const known = Object.entries(PLACEHOLDERS)
    .filter(([, p]) => (p.agents as readonly string[]).includes(agent))
    .map(([k]) => `{{${k}}}`);
  throw new TemplateError(
    `unknown placeholder${unknown.length > 1 ? "s" : ""} ${[...new Set(unknown)].map((u) => `{{${u}}}`).join(", ")} (a ${agent} prompt may use ${known.join(", ")})`,
  );
}

function allowed(name: string, agent: PromptAgent): boolean {
  const p = (PLACEHOLDERS as Record<string, { agents: readonly string[] }>)[name];
  return p?.agents.includes(agent) === true;
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
