import { describe, expect, it } from "vitest";
import { LineSplitter } from "../src/runner/index.ts";

/** Feeds `input` cut at the given byte offsets and returns the lines. */
function split(input: string | Buffer, cuts: number[], maxLineChars?: number): string[] {
  const bytes = typeof input === "string" ? Buffer.from(input) : input;
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), maxLineChars);
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    s.push(bytes.subarray(at, c));
    at = c;
  }
  s.end();
  return lines;
}

describe("LineSplitter joins the pieces of a line", () => {
  it("a line cut across many chunks comes out whole, once", () => {
    const long = "x".repeat(100_000);
    const input = `{"a":1}\n${long}\nlast\n`;
    const cuts = Array.from({ length: 200 }, (_, i) => 3 + i * 500);
    expect(split(input, cuts)).toEqual(['{"a":1}', long, "last"]);
  });

  it("a multi-byte UTF-8 character split between two chunks is decoded whole", () => {
    const input = "ünï 😀 ✓\n";
    const bytes = Buffer.from(input);
    // Every cut position, including inside each multi-byte sequence.
    for (let cut = 1; cut < bytes.length; cut++) expect(split(bytes, [cut])).toEqual(["ünï 😀 ✓"]);
    // One byte at a time.
    expect(
      split(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(["ünï 😀 ✓"]);
  });

  it("CRLF endings are stripped, also when \\r and \\n arrive in different chunks", () => {
    const input = "one\r\ntwo\r\n\r\nthree";
    expect(split(input, [])).toEqual(["one", "two", "", "three"]);
    expect(split(input, [4, 9])).toEqual(["one", "two", "", "three"]);
  });

  it("a last line without a newline is delivered at the end, and nothing is invented", () => {
    expect(split("a\nb", [1])).toEqual(["a", "b"]);
    expect(split("a\n", [])).toEqual(["a"]);
    expect(split("", [])).toEqual([]);
  });

  it("a line longer than the limit comes in pieces that add up to it", () => {
    const long = "y".repeat(2500);
    const lines = split(`${long}\nz\n`, [700, 1400, 2100], 1000);
    expect(lines.join("").length).toBe(2501);
    expect(lines.slice(0, -1).join("")).toBe(long);
    expect(lines.every((l) => l.length <= 1000)).toBe(true);
    expect(lines.at(-1)).toBe("z");
  });

  it("is linear: a 20 MB line in 4 KiB chunks", () => {
    const line = "é".repeat(10 * 1024 * 1024);
    const bytes = Buffer.from(`${line}\n`);
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 32 * 1024 * 1024);
    for (let at = 0; at < bytes.length; at += 4096) s.push(bytes.subarray(at, at + 4096));
    s.end();
    expect(lines).toHaveLength(1);
    expect(lines[0] === line).toBe(true);
  });
});
