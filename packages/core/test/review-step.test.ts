import { describe, expect, it } from "vitest";
import { reviewLedger } from "../src/loop/review-step.ts";

describe("reviewLedger", () => {
  it("opens, keeps and resolves findings review by review; a DONE review resolves the rest", () => {
    const r1 = reviewLedger(
      [],
      1,
      "ISSUES_FOUND",
      "STATUS: ISSUES_FOUND\n- no test for `--json`\n- typo in README",
    );
    expect(r1).toMatchObject({ opened: ["F1", "F2"], resolved: [], changed: true });
    const r2 = reviewLedger(
      r1.ledger,
      2,
      "ISSUES_FOUND",
      "STATUS: ISSUES_FOUND\n1. There is still no test for `--json`.",
    );
    expect(r2).toMatchObject({ opened: [], resolved: ["F2"], changed: true });
    expect(r2.ledger.map((f) => [f.id, f.status, f.lastIteration])).toEqual([
      ["F1", "open", 2],
      ["F2", "resolved", 1],
    ]);
    // Findings listed under a DONE verdict do not keep anything open.
    const r3 = reviewLedger(r2.ledger, 3, "DONE", "STATUS: DONE\n- nit: could add docs");
    expect(r3).toMatchObject({ opened: [], resolved: ["F1"], changed: true });
    expect(r3.ledger.every((f) => f.status === "resolved")).toBe(true);
    expect(reviewLedger(r3.ledger, 4, "DONE", "STATUS: DONE")).toMatchObject({ changed: false });
  });
});
