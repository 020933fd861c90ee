import { describe, expect, it } from "vitest";
import { Finding } from "../src/index.ts";

describe("Finding", () => {
  it("reads an entry with the contract's fields alone, filling loop's additions", () => {
    const f = Finding.parse({
      id: "F1",
      text: "a.ts:3 leaks",
      status: "resolved",
      firstIteration: 1,
      lastIteration: 2,
    });
    expect(f).toEqual({
      id: "F1",
      text: "a.ts:3 leaks",
      status: "resolved",
      firstIteration: 1,
      lastIteration: 2,
      openSince: null,
      streak: 0,
      resolvedIteration: null,
    });
  });
  it("rejects an unknown status", () => {
    expect(
      Finding.safeParse({ id: "F1", text: "x", status: "fixed", firstIteration: 1, lastIteration: 1 })
        .success,
    ).toBe(false);
  });
});
