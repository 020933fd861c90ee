import type { Finding } from "@loop/shared";
import { idNumber } from "./ledger.ts";

const indentRest = (text: string, pad: string) =>
  text
    .trim()
    .split("\n")
    .map((l, i) => (i === 0 || l === "" ? l : pad + l))
    .join("\n");

const sortById = (a: Finding, b: Finding) => idNumber(a.id) - idNumber(b.id);

/**
 * The open findings as a Markdown checklist for Claude's next prompt; "" when none is open.
 */
export function renderOpenFindings(ledger: readonly Finding[]): string {
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  if (open.length === 0) return "";
  const items = open.map((f) => {
    const since = f.openSince ?? f.firstIteration;
    const seen = since === f.lastIteration ? `iteration ${since}` : `iterations ${since}–${f.lastIteration}`;
    return `- [ ] **${f.id}** (reported in ${seen}): ${indentRest(f.text, "  ")}`;
  });
  return [
    "## Open review findings",
    "",
    `The reviewer's findings that are still open (${open.length}). Fix each one, or say in your answer why it`,
    "should not be fixed; the next review checks them again.",
    "",
    ...items,
  ].join("\n");
}

/** The ledger as Markdown for result.md: open findings first, then resolved ones. */
export function renderLedgerMarkdown(ledger: readonly Finding[]): string {
  if (ledger.length === 0) return "## Findings\n\nCodex reported no findings.";
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  const resolved = ledger.filter((f) => f.status === "resolved").sort(sortById);
  const line = (f: Finding) => {
    const when =
      f.status === "open"
        ? `open since iteration ${f.openSince ?? f.firstIteration}`
        : `resolved in iteration ${f.resolvedIteration ?? f.lastIteration + 1}`;
    const span =
      f.firstIteration === f.lastIteration
        ? `reported in ${f.firstIteration}`
        : `reported ${f.firstIteration}–${f.lastIteration}`;
    return `- **${f.id}** · ${when} · ${span}: ${indentRest(f.text, "  ")}`;
  };
  return [
    "## Findings",
    "",
    `${open.length} open, ${resolved.length} resolved.`,
    ...(open.length ? ["", "### Open", "", ...open.map(line)] : []),
    ...(resolved.length ? ["", "### Resolved", "", ...resolved.map(line)] : []),
  ].join("\n");
}
