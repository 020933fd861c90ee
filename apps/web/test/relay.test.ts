import type { LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { applyEvents, createTaskView } from "../src/features/task/model.ts";
import { Backfill, covers, Inbox, outputParam, Subscriptions } from "../src/lib/relay.ts";
import { eventStream } from "./events.ts";

const ids = (events: readonly LoopEvent[]) => events.map((e) => e.id);

describe("Inbox", () => {
  it("hands each stored event over once when a new leader replays from its own last id", () => {
    const s = eventStream();
    const all = Array.from({ length: 10 }, (_, i) => s.out(1, `line ${i}`));
    const tab = new Inbox();
    // The old leader relayed 1..6, then closed; the new one had seen up to 4 and replays 5..10.
    expect(ids(tab.accept(all.slice(0, 6)))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ids(tab.accept(all.slice(4)))).toEqual([7, 8, 9, 10]);
    expect(tab.accept(all)).toEqual([]);
    expect(tab.lastId).toBe(10);
  });
});

describe("Subscriptions", () => {
  it("tracks the union of the tabs' tasks and says when it changed", () => {
    const subs = new Subscriptions();
    expect(subs.set("tab1", ["B", "A"])).toBe(true);
    expect(subs.set("tab2", ["A"])).toBe(false);
    expect(subs.union()).toEqual(["A", "B"]);
    expect(subs.remove("tab1")).toBe(true);
    expect(subs.union()).toEqual(["A"]);
    expect(subs.remove("tab2")).toBe(true);
    expect(outputParam(subs.union())).toBe("none");
    expect(outputParam(["A", "B"])).toBe("A,B");
    expect(covers(null, "A")).toBe(true);
    expect(covers(["B"], "A")).toBe(false);
  });
});

describe("Backfill", () => {
  it("joins a replayed history and live events that overlap it: every line once, in order", () => {
    const s = eventStream();
    const all = Array.from({ length: 30 }, (_, i) => s.out(1, `line ${i}`));
    const view = createTaskView();
    const got: LoopEvent[] = [];
    const b = new Backfill((events) => {
      got.push(...events);
      applyEvents(view, events);
    });
    // Live 21.. arrive while the replay (which read up to 25) is still coming.
    b.live(all.slice(20, 24));
    b.history(all.slice(0, 12));
    b.live(all.slice(24, 27));
    b.history(all.slice(12, 25));
    expect(ids(got)).toEqual(ids(all.slice(0, 25)));
    b.finish();
    b.live(all.slice(26));
    expect(ids(got)).toEqual(ids(all));
    expect(view.iterations[0]!.claude.lines.map((l) => l.text)).toEqual(all.map((_, i) => `line ${i}`));
  });

  it("holds nothing back when the replay is empty", () => {
    const s = eventStream();
    const got: number[] = [];
    const b = new Backfill((events) => got.push(...ids(events)));
    const e = s.out(1, "x");
    b.live([e]);
    expect(got).toEqual([]);
    b.finish();
    expect(got).toEqual([1]);
  });
});
