import { describe, expect, it } from "vitest";
import { parseVerdict } from "../src/agents/verdict.ts";

describe("parseVerdict", () => {
  it.each([
    ["STATUS: DONE", "DONE"],
    ["STATUS: ISSUES_FOUND\n- a bug", "ISSUES_FOUND"],
    ["**STATUS: DONE**", "DONE"],
    ["`STATUS: DONE`", "DONE"],
    ["# STATUS: DONE", "DONE"],
    ["## Status: Issues Found", "ISSUES_FOUND"],
    ["> status: done", "DONE"],
    ["status:done", "DONE"],
    ["   STATUS:    DONE   ", "DONE"],
    ["\n\n  \nSTATUS: DONE\nall good", "DONE"],
    ["STATUS: ISSUES-FOUND", "ISSUES_FOUND"],
    ["STATUS - DONE", "DONE"],
    ["STATUS: DONE.", "DONE"],
    ["STATUS: DONE - nothing left", "DONE"],
    ["\r\nSTATUS: DONE\r\n", "DONE"],
  ])("%j → %s (explicit)", (text, status) => {
    const v = parseVerdict(text);
    expect(v).toMatchObject({ status, explicit: true });
    expect(v.firstLine).toBe(
      text
        .split(/\r?\n/)
        .find((l) => l.trim())!
        .trim(),
    );
  });

  it.each([
    ["", ""],
    ["Looks good to me.\nSTATUS: DONE", "Looks good to me."],
    ["STATUS: DONEISH", "STATUS: DONEISH"],
    ["STATUS: DONE-ish", "STATUS: DONE-ish"],
    ["STATUS: NOT DONE", "STATUS: NOT DONE"],
    ["I think the STATUS: DONE", "I think the STATUS: DONE"],
    ["DONE", "DONE"],
  ])("%j has no status line: ISSUES_FOUND, not explicit", (text, firstLine) => {
    expect(parseVerdict(text)).toEqual({ status: "ISSUES_FOUND", explicit: false, firstLine });
  });
});
