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
 * The open findings as a Markdown checklist for the worker's next prompt (and the ones the user
 * dismissed, to leave alone); "" when there are none.
 */
export function renderOpenFindings(ledger: readonly Finding[]): string {
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  const dismissed = dismissedItems(ledger);
  if (open.length === 0 && dismissed.length === 0) return "";
  if (open.length === 0)
    return ["## Findings the user dismissed", "", "Leave these as they are:", "", ...dismissed].join("\n");
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
    ...(dismissed.length ? ["", "The user dismissed these; leave them as they are:", "", ...dismissed] : []),
  ].join("\n");
}

const dismissedItems = (ledger: readonly Finding[]) =>
  ledger
    .filter((f) => f.status === "dismissed")
    .sort(sortById)
    .map(
      (f) =>
        `- **${f.id}** (dismissed by the user${f.dismissReason ? `: "${f.dismissReason}"` : ""}): ${indentRest(f.text, "  ")}`,
    );

/**
 * The ledger as the reviewer's prompt shows it: the open findings with their ids, the ones the user
 * dismissed with the user's reasons, and how to answer about them by id (answer.ts reads that
 * answer); "" when the ledger has neither.
 */
export function renderReviewerFindings(ledger: readonly Finding[]): string {
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  const dismissed = dismissedItems(ledger);
  if (open.length === 0 && dismissed.length === 0) return "";
  const items = open.map(
    (f) => `- **${f.id}** (reported in iteration ${f.lastIteration}): ${indentRest(f.text, "  ")}`,
  );
  return [
    "## Findings of earlier reviews",
    ...(open.length ? ["", `Open (${open.length}); check each again:`, "", ...items] : []),
    ...(dismissed.length
      ? [
          "",
          "Dismissed by the user: the user decided these stay as they are. Do not report them again and do not",
          "count them against the work:",
          "",
          ...dismissed,
        ]
      : []),
    ...(open.length
      ? [
          "",
          "Start a finding that is one of these (however you word it) with its id: `- [F1] …`; a new one has",
          "none. Last line: the ones still standing, `STILL OPEN: F1, F3`, or `STILL OPEN: none`.",
        ]
      : []),
  ].join("\n");
}

/** The ledger as Markdown for result.md: open findings first, then resolved ones. */
export function renderLedgerMarkdown(ledger: readonly Finding[]): string {
  if (ledger.length === 0) return "## Findings\n\nCodex reported no findings.";
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  const resolved = ledger.filter((f) => f.status === "resolved").sort(sortById);
  const dismissed = ledger.filter((f) => f.status === "dismissed").sort(sortById);
  const line = (f: Finding) => {
    const when =
      f.status === "open"
        ? `open since iteration ${f.openSince ?? f.firstIteration}`
        : f.status === "dismissed"
          ? `dismissed by the user${f.dismissReason ? ` ("${f.dismissReason}")` : ""}`
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
    `${open.length} open, ${resolved.length} resolved${dismissed.length ? `, ${dismissed.length} dismissed` : ""}.`,
    ...(open.length ? ["", "### Open", "", ...open.map(line)] : []),
    ...(resolved.length ? ["", "### Resolved", "", ...resolved.map(line)] : []),
    ...(dismissed.length ? ["", "### Dismissed", "", ...dismissed.map(line)] : []),
  ].join("\n");
}
