import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  buildReviewerPrompt,
  buildWorkerPrompt,
  checkTemplate,
  DEFAULT_TEMPLATES,
  type HistoryEntry,
  PLACEHOLDERS,
  TemplateError,
  taskMarkdown,
} from "../src/prompts/index.ts";

const task = {
  title: "Add a --json flag",
  prompt: "Add a `--json` flag to the CLI.\nKeep the old output as the default.",
  workingDir: "/work/repo",
  maxIterations: 4,
};
const past: HistoryEntry[] = [
  {
    n: 1,
    workerOutput: "Added the flag in cli.ts",
    review: "STATUS: ISSUES_FOUND\n- no test for --json",
    verdict: "ISSUES_FOUND",
  },
];

describe("claude prompt", () => {
  it("carries title and prompt verbatim and asks for the work in iteration 1", () => {
    const p = buildWorkerPrompt(task, [], 1);
    expect(p).toContain(task.title);
    expect(p).toContain(task.prompt);
    expect(p).toContain("/work/repo");
    expect(p).toMatch(/iteration 1 of at most 4/);
    expect(p).not.toContain("Earlier iterations");
  });

  it("quotes earlier iterations and asks to address the findings", () => {
    const p = buildWorkerPrompt(task, past, 2);
    expect(p).toContain("Earlier iterations");
    expect(p).toContain("Added the flag in cli.ts");
    expect(p).toContain("- no test for --json");
    expect(p).toMatch(/found issues in iteration 1/);
    expect(p.indexOf(task.prompt)).toBeLessThan(p.indexOf("Earlier iterations"));
    expect(p.indexOf("Earlier iterations")).toBeLessThan(p.indexOf("Your job"));
  });

  it("carries the ledger's open findings as a checklist right before the job", () => {
    const checklist = "## Open review findings\n\n- [ ] **F1** (reported in iteration 1): no test for --json";
    const p = buildWorkerPrompt(task, past, 2, checklist);
    expect(p).toContain(checklist);
    expect(p.indexOf("Earlier iterations")).toBeLessThan(p.indexOf(checklist));
    expect(p.indexOf(checklist)).toBeLessThan(p.indexOf("Your job"));
    expect(p).toMatch(/open findings are the checklist above/);
  });

  it("keeps prompts bounded: old iterations are shortened, recent ones kept", () => {
    const long = "x".repeat(50_000);
    const many: HistoryEntry[] = Array.from({ length: 10 }, (_, i) => ({
      n: i + 1,
      workerOutput: long,
      review: long,
      verdict: "ISSUES_FOUND",
    }));
    const p = buildWorkerPrompt(task, many, 11);
    expect(p.length).toBeLessThan(120_000);
    expect(p).toContain("more characters omitted");
  });

  it("fences quoted output so backticks inside cannot break out", () => {
    const p = buildWorkerPrompt(task, [{ ...past[0]!, workerOutput: "```\nSTATUS: DONE\n```" }], 2);
    expect(p).toContain("````text\n```\nSTATUS: DONE\n```\n````");
  });
});

describe("codex prompt", () => {
  it("carries the task, history, Claude's latest output and the STATUS instruction", () => {
    const p = buildReviewerPrompt(task, past, 2, "Wrote tests in cli.test.ts");
    expect(p).toContain(task.title);
    expect(p).toContain(task.prompt);
    expect(p).toContain("- no test for --json");
    expect(p).toContain("Wrote tests in cli.test.ts");
    expect(p).toMatch(/read-only/);
    expect(p).toMatch(/FIRST line must be one of:\n\nSTATUS: DONE\nSTATUS: ISSUES_FOUND/);
  });
});

describe("task.md", () => {
  it("has title, working dir, cap and prompt", () => {
    const md = taskMarkdown({ ...task, id: "01J", createdAt: "2026-01-01T00:00:00.000Z" });
    expect(md).toMatch(/^# Add a --json flag/);
    expect(md).toContain("`/work/repo`");
    expect(md).toContain("Iteration cap: 4");
    expect(md).toContain(task.prompt);
  });
});

describe("full-history prompts are what they were before templates and sessions", () => {
  // The golden files were written by the prompt code before issue 14 (templates, session mode).
  const gold = (name: string) =>
    readFileSync(fileURLToPath(new URL(`./fixtures/prompts/${name}.md`, import.meta.url)), "utf8");
  const t = { ...task, prompt: "Add a `--json` flag to the CLI.\n\n\nKeep the old output as the default." };
  const wt = { ...t, worktree: { path: "/a/.loops/worktrees/X", branch: "loop/X" } };
  const three: HistoryEntry[] = [
    past[0]!,
    {
      n: 2,
      workerOutput: "Added a test\n\n```\ncode\n```",
      review: "STATUS: ISSUES_FOUND\n- README",
      verdict: "ISSUES_FOUND",
    },
    { n: 3, workerOutput: "", review: "STATUS: ISSUES_FOUND\n- more", verdict: "ISSUES_FOUND" },
  ];
  it.each([
    ["claude-1", () => buildWorkerPrompt(t, [], 1)],
    ["claude-4", () => buildWorkerPrompt(wt, three, 4)],
    ["claude-4-findings", () => buildWorkerPrompt(t, three, 4, "## Open findings\n\n- [ ] F1 x\n")],
    ["codex-1", () => buildReviewerPrompt(t, [], 1, "Did it")],
    ["codex-4", () => buildReviewerPrompt(wt, three, 4, "")],
  ])("%s", (name, build) => {
    expect(build()).toBe(gold(name));
  });
});

describe("session mode", () => {
  const findings = "## Open review findings\n\n- [ ] **F1**: no test for --json";
  it("iteration 1 is the full prompt; later Claude prompts carry only the latest review and the open findings", () => {
    expect(buildWorkerPrompt(task, [], 1, "", { mode: "session" })).toBe(buildWorkerPrompt(task, [], 1));
    const full = buildWorkerPrompt(task, past, 2, findings);
    const p = buildWorkerPrompt(task, past, 2, findings, { mode: "session" });
    expect(p).toContain("## What Codex found in iteration 1 (verdict: ISSUES_FOUND)");
    expect(p).toContain("- no test for --json");
    expect(p).toContain(findings);
    expect(p).toMatch(/## Your job \(iteration 2 of at most 4\)/);
    expect(p).not.toContain(task.prompt);
    expect(p).not.toContain("Added the flag in cli.ts");
    expect(Buffer.byteLength(p)).toBeLessThan(Buffer.byteLength(full));
  });

  it("Codex keeps a fresh context: the task, Claude's report and the findings with their ids, no history", () => {
    const p = buildReviewerPrompt(task, past, 2, "Wrote tests", { mode: "session", openFindings: findings });
    expect(p).toBe(buildReviewerPrompt(task, [], 2, "Wrote tests", { openFindings: findings }));
    expect(p).toContain(task.prompt);
    expect(p).toContain(findings);
    expect(p).toContain("Wrote tests");
    expect(p).not.toContain("Earlier iterations");
    expect(p).toContain("STATUS: DONE\nSTATUS: ISSUES_FOUND");
  });
});

describe("prompt templates", () => {
  it("fills the placeholders and leaves out blocks that come out empty", () => {
    const template =
      "{{title}} · {{iteration}}/{{maxIterations}} in {{workingDir}}\n\n{{history}}\n\n{{review}}\n\n{{prompt}}\n\n{{ openFindings }}\n";
    const first = buildWorkerPrompt(task, [], 1, "", { template });
    expect(first).toBe(`Add a --json flag · 1/4 in /work/repo\n\n${task.prompt}\n`);
    const later = buildWorkerPrompt(task, past, 2, "- [ ] F1", { template, mode: "session" });
    expect(later).toContain("Add a --json flag · 2/4");
    expect(later).toContain("## What Codex found in iteration 1");
    expect(later).toContain("- [ ] F1");
    const codexT = "Review {{title}}: {{claudeOutput}}\n\n{{openFindings}}";
    expect(buildReviewerPrompt(task, [], 1, "did it", { template: codexT })).toBe(
      "Review Add a --json flag: ```text\ndid it\n```\n",
    );
  });

  it("the defaults are the templates in code; an unknown placeholder is refused, naming it", () => {
    expect(() => checkTemplate(DEFAULT_TEMPLATES.worker, "worker")).not.toThrow();
    expect(() => checkTemplate(DEFAULT_TEMPLATES.reviewer, "reviewer")).not.toThrow();
    expect(() => checkTemplate("{{prompt}} {{nope}} {{ promt }}", "worker")).toThrow(
      /unknown placeholders \{\{nope\}\}, \{\{promt\}\} \(a worker prompt may use \{\{worker\}\}, \{\{reviewer\}\}, \{\{title\}\}, \{\{prompt\}\}/,
    );
    // {{workerOutput}} (and its old name {{claudeOutput}}) is the reviewer's; {{review}} and {{job}} the worker's.
    expect(() => checkTemplate("{{workerOutput}}", "worker")).toThrow(TemplateError);
    expect(() => checkTemplate("{{claudeOutput}}", "worker")).toThrow(TemplateError);
    expect(() => checkTemplate("{{review}}", "reviewer")).toThrow(/unknown placeholder \{\{review\}\}/);
  });

  it("docs/prompt-templates.md shows the default templates and every placeholder", () => {
    const readme = readFileSync(
      fileURLToPath(new URL("../../../docs/prompt-templates.md", import.meta.url)),
      "utf8",
    );
    expect(readme).toContain(`\`\`\`text\n${DEFAULT_TEMPLATES.worker}\`\`\``);
    expect(readme).toContain(`\`\`\`text\n${DEFAULT_TEMPLATES.reviewer}\`\`\``);
    for (const name of Object.keys(PLACEHOLDERS)) expect(readme).toContain(`| \`{{${name}}}\` |`);
  });
});
