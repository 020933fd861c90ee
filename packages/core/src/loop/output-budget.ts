/** Caps the output one agent run may store: a runaway agent must not fill the disk with events. */
export class OutputBudget {
  readonly limit: number;
  private used = 0;
  droppedLines = 0;
  droppedBytes = 0;
  constructor(limit: number) {
    this.limit = limit;
  }
  take(line: string): boolean {
    // UTF-16 length is a cheap upper-bound proxy for most output; exactness does not matter here.
    const size = line.length + 1;
    if (this.droppedLines === 0 && this.used + size <= this.limit) {
      this.used += size;
      return true;
    }
    this.droppedLines++;
    this.droppedBytes += size;
    return false;
  }
}

export const mib = (bytes: number): string =>
  `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MB`;
