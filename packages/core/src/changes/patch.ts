import type { DiffHunk, DiffLine, FilePatch } from "./types.ts";

/** One file of the diff as kept: its patch, and how many of git's hunks the file's cap dropped. */
export interface KeptFile {
  patch: FilePatch;
  dropped: number;
}

const MARK: Record<string, DiffLine["kind"]> = { "+": "add", "-": "del", " ": "ctx", "\\": "note" };
const PREFIX: Record<DiffLine["kind"], string> = { add: "+", del: "-", ctx: " ", note: "\\" };

/** A line of a hunk as git wrote it, read as data (what a git line without a mark would be: context). */
export function diffLine(line: string): DiffLine {
  const kind = MARK[line[0] ?? ""];
  return kind ? { kind, text: line.slice(1) } : { kind: "ctx", text: line };
}

/** `@@ -a,b +c,d @@ …`: a count left out is 1. */
export function hunkOf(header: string): DiffHunk {
  const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(header);
  const n = (s: string | undefined, dflt: number) => (s === undefined ? dflt : Number(s));
  return {
    header,
    oldStart: n(m?.[1], 0),
    oldLines: n(m?.[2], 1),
    newStart: n(m?.[3], 0),
    newLines: n(m?.[4], 1),
    lines: [],
  };
}

/** The file's part of the unified diff, line by line, as git wrote it. */
export function patchLines(p: FilePatch): string[] {
  const out = [...p.header];
  for (const h of p.hunks) {
    out.push(h.header);
    for (const l of h.lines) out.push(PREFIX[l.kind] + l.text);
  }
  return out;
}

/**
 * Reads a unified diff as it streams into files and hunks, keeping it within a total and a per-file
 * size (bytes of git's lines), cutting only between hunks so what is kept is still a diff. Holds at
 * most one hunk beyond what it keeps. A file over its own cap keeps its first hunks; once the total
 * is reached, reading stops.
 */
export class PatchCapper {
  private kept: KeptFile[] = [];
  private outBytes = 0;
  private file: { patch: FilePatch; bytes: number; kept: number; dropped: number; skipRest: boolean } | null =
    null;
  /** `bytes` keeps counting after `lines` are let go (overflow), to tell which cap was hit. */
  private hunk: { hunk: DiffHunk; bytes: number; overflow: boolean } | null = null;
  private full = false;
  private readonly maxBytes: number;
  private readonly maxFileBytes: number;

  constructor(maxBytes: number, maxFileBytes: number) {
    this.maxBytes = maxBytes;
    this.maxFileBytes = maxFileBytes;
  }

  /** False once the total cap is reached: read no further. */
  line(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (line.startsWith("diff --git ")) {
      this.endFile();
      if (this.full || this.outBytes + bytes > this.maxBytes) return false;
      this.file = { patch: { header: [line], hunks: [] }, bytes, kept: 0, dropped: 0, skipRest: false };
      return true;
    }
    const file = this.file;
    if (!file) return true;
    if (line.startsWith("@@")) {
      this.endHunk();
      if (this.full) return false;
      this.hunk = { hunk: hunkOf(line), bytes, overflow: file.skipRest };
      return true;
    }
    const hunk = this.hunk;
    if (!hunk) {
      file.patch.header.push(line);
      file.bytes += bytes;
      return true;
    }
    hunk.bytes += bytes;
    if (hunk.overflow) return true;
    hunk.hunk.lines.push(diffLine(line));
    if (file.bytes + hunk.bytes > this.allowance()) {
      hunk.overflow = true;
      hunk.hunk.lines = [];
    }
    return true;
  }

  /** The files shown, in order (a prefix of git's list), each with its patch and dropped hunks. */
  end(): KeptFile[] {
    this.endFile();
    return this.kept;
  }

  /** Bytes the current file may still take: its own cap and what is left of the total. */
  private allowance(): number {
    return Math.min(this.maxFileBytes, this.maxBytes - this.outBytes);
  }

  private endHunk() {
    const file = this.file;
    const hunk = this.hunk;
    this.hunk = null;
    if (!file || !hunk) return;
    if (!hunk.overflow && file.bytes + hunk.bytes <= this.allowance()) {
      file.patch.hunks.push(hunk.hunk);
      file.bytes += hunk.bytes;
      file.kept++;
      return;
    }
    file.dropped++;
    // Later hunks would read out of order after a gap: the rest of this file is left out too.
    file.skipRest = true;
    if (!hunk.overflow || file.bytes + hunk.bytes <= this.maxFileBytes) this.full = true;
  }

  private endFile() {
    this.endHunk();
    const file = this.file;
    this.file = null;
    if (!file) return;
    // A file the total cap left no hunk of is not shown at all, nor is one whose header does not fit.
    if ((this.full && file.kept === 0 && file.dropped > 0) || this.outBytes + file.bytes > this.maxBytes) {
      this.full = true;
      return;
    }
    this.kept.push({ patch: file.patch, dropped: file.dropped });
    this.outBytes += file.bytes;
  }
}
