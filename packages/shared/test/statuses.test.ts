import { describe, expect, it } from "vitest";
import {
  canCancel,
  canDelete,
  canDiscard,
  canLand,
  canResume,
  isActive,
  isTerminal,
  TASK_STATUSES,
} from "../src/statuses.ts";

describe("statuses: each question answered once", () => {
  // status → [terminal, active, cancel, resume, delete, land (merge, PR), discard]
  const table = {
    queued: [false, false, true, false, true, false, false],
    running: [false, true, true, false, false, false, false],
    paused: [false, true, true, true, false, true, false],
    done: [true, false, false, false, true, true, true],
    needs_attention: [true, false, false, true, true, true, true],
    failed: [true, false, false, true, true, true, true],
    cancelled: [true, false, false, true, true, true, true],
  } as const;

  it("covers every status", () => {
    expect(Object.keys(table).sort()).toEqual([...TASK_STATUSES].sort());
  });

  it.each(TASK_STATUSES)("%s", (s) => {
    expect([
      isTerminal(s),
      isActive(s),
      canCancel(s),
      canResume(s),
      canDelete(s),
      canLand(s),
      canDiscard(s),
    ]).toEqual(table[s]);
  });
});
