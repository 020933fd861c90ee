/** Listeners told about every row a repository wrote, in the writer's call stack. */
export class Watchers<Row, Extra = undefined> {
  private readonly listeners = new Set<(row: Row, extra: Extra) => void>();

  add(listener: (row: Row, extra: Extra) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener and returns the row, so a write path ends in `return watchers.changed(row)`. */
  changed(row: Row, extra?: Extra): Row {
    for (const l of this.listeners) l(row, extra as Extra);
    return row;
  }
}
