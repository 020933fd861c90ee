import type { Finding } from "@loop/shared";

const idNumber = (id: string) => Number(/\d+$/.exec(id)?.[0] ?? 0);

/** Open findings first, then resolved ones, each in the order they were first reported. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (f: Finding) => (f.status === "open" ? 0 : 1);
  return [...findings].sort((a, b) => rank(a) - rank(b) || idNumber(a.id) - idNumber(b.id));
}

/** "open since iteration 3", "resolved in iteration 4", "dismissed by you: out of scope". */
export function findingState(f: Finding): string {
  if (f.status === "open") return `since iteration ${f.openSince ?? f.firstIteration}`;
  if (f.status === "dismissed") return f.dismissReason ? `by you: ${f.dismissReason}` : "by you";
  return `in iteration ${f.resolvedIteration ?? f.lastIteration + 1}`;
}

export function countFindings(findings: readonly Finding[]): { open: number; resolved: number } {
  const open = findings.filter((f) => f.status === "open").length;
  return { open, resolved: findings.length - open };
}
