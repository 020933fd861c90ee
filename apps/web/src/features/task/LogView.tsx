import { useVirtualizer } from "@tanstack/react-virtual";
import {
  type KeyboardEvent,
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import {
  CLIP_CHARS,
  displayText,
  findMatches,
  kindLabel,
  logToText,
  matchCounter,
  nextFollow,
  splitHighlight,
  stepMatch,
} from "./logic.ts";
import type { LogLine } from "./model.ts";

const ROW_ESTIMATE = 20;

export interface LogViewProps {
  lines: readonly LogLine[];
  /** Changes whenever `lines` changed in place. */
  version: number;
  /** Accessible name of the log, e.g. "Claude output, iteration 2". */
  label: string;
}

/**
 * A virtualized log: only the rows in view (plus a small overscan) are in the DOM, so a 100 000-line
 * log scrolls like a short one. Follows the tail until the user scrolls up.
 */
export function LogView({ lines, version, label }: LogViewProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [raw, setRaw] = useState(false);
  const [wrap, setWrap] = useState(true);
  const [following, setFollowing] = useState(true);
  const followingRef = useRef(true);
  const lastTop = useRef(0);
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(-1);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");

  const count = lines.length;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_ESTIMATE,
    getItemKey: (i) => lines[i]?.id ?? i,
    overscan: 20,
  });
  const matches = useMemo(() => findMatches(lines, query, raw), [lines, query, raw, version]);
  const currentLine = current >= 0 ? matches[current] : undefined;

  const setFollow = useCallback((v: boolean) => {
    followingRef.current = v;
    setFollowing(v);
  }, []);
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && followingRef.current && count > 0) el.scrollTop = el.scrollHeight;
  }, [count, version, wrap, raw, virtualizer.getTotalSize()]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const next = nextFollow(followingRef.current, lastTop.current, el);
    lastTop.current = el.scrollTop;
    if (next !== followingRef.current) setFollow(next);
  };

  const jumpToLatest = () => {
    setFollow(true);
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  const goTo = (dir: 1 | -1) => {
    const next = stepMatch(matches.length, current, dir);
    setCurrent(next);
    const line = matches[next];
    if (line !== undefined) {
      setFollow(false);
      virtualizer.scrollToIndex(line, { align: "center" });
    }
  };

  useEffect(() => {
    setCurrent(-1);
  }, [query, raw]);

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      goTo(e.shiftKey ? -1 : 1);
    } else if (e.key === "Escape") {
      setQuery("");
    }
  };

  const copy = async () => {
    const text = logToText(lines, raw);
    try {
      await navigator.clipboard.writeText(text);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied("idle"), 2000);
  };

  const expand = (id: number) => setExpanded((s) => new Set(s).add(id));

  const items = virtualizer.getVirtualItems();
  const total = virtualizer.getTotalSize();
  // The gutter numbers the agent's output lines (meta lines have none), as the header counts them.
  const gutter = `${String(count).length + 1}ch`;

  return (
    <div className="log">
      <div className="log-toolbar">
        <input
          type="search"
          className="log-search"
          placeholder="Search log"
          aria-label={`Search ${label}`}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onSearchKey}
        />
        {query && (
          <span className="muted log-matches" aria-live="polite">
            {matchCounter(matches.length, current)}
          </span>
        )}
        {query && (
          <>
            <button
              type="button"
              onClick={() => goTo(-1)}
              disabled={!matches.length}
              aria-label="Previous match"
            >
              ↑
            </button>
            <button type="button" onClick={() => goTo(1)} disabled={!matches.length} aria-label="Next match">
              ↓
            </button>
          </>
        )}
        <span className="spacer" />
        <button
          type="button"
          aria-pressed={raw}
          onClick={() => setRaw((r) => !r)}
          title="Show the raw JSON lines"
        >
          Raw
        </button>
        <button type="button" aria-pressed={wrap} onClick={() => setWrap((w) => !w)}>
          Wrap lines
        </button>
        <button type="button" onClick={copy} disabled={count === 0}>
          {copied === "copied" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}
        </button>
      </div>
      <div
        ref={scrollRef}
        className={`log-scroll${wrap ? " wrap" : ""}`}
        onScroll={onScroll}
        // The region scrolls with the keyboard too.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable for keyboard users.
        tabIndex={0}
        role="log"
        aria-live="off"
        aria-label={label}
        style={{ height: Math.max(total, ROW_ESTIMATE * 2) + 2 }}
      >
        {count === 0 ? (
          <div className="log-empty muted">No output yet.</div>
        ) : (
          <div className="log-rows" style={{ height: total }}>
            {items.map((vi) => {
              const line = lines[vi.index]!;
              return (
                <div
                  key={vi.key}
                  data-index={vi.index}
                  ref={virtualizer.measureElement}
                  className={`log-line log-${line.kind}${vi.index === currentLine ? " current" : ""}`}
                  style={{ transform: `translateY(${vi.start}px)` }}
                >
                  <span className="ln" style={{ width: gutter }}>
                    {line.n ?? ""}
                  </span>
                  <Line
                    line={line}
                    raw={raw}
                    query={query}
                    expanded={expanded.has(line.id)}
                    onExpand={expand}
                    version={version}
                  />
                </div>
              );
            })}
          </div>
        )}
      </div>
      {!following && count > 0 && (
        <button type="button" className="jump" onClick={jumpToLatest}>
          ↓ Follow latest output
        </button>
      )}
    </div>
  );
}

interface LineProps {
  line: LogLine;
  raw: boolean;
  query: string;
  expanded: boolean;
  onExpand: (id: number) => void;
  /** A split line grows in place: re-render the row when the log changes. */
  version: number;
}

const Line = memo(function Line({ line, raw, query, expanded, onExpand }: LineProps) {
  const full = displayText(line, raw);
  const clipped = !expanded && full.length > CLIP_CHARS;
  const text = clipped ? full.slice(0, CLIP_CHARS) : full;
  const parsed = !raw && line.parsed && line.kind !== "meta";
  return (
    <span className={`lt${!parsed && line.kind === "stdout" && text.startsWith("{") ? " json" : ""}`}>
      {parsed && <KindTag kind={line.parsed!.kind} />}
      {line.kind === "stderr" && <span className="tag tag-stderr">stderr</span>}
      {splitHighlight(text, query).map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : p.text))}
      {clipped && (
        <button type="button" className="link expand" onClick={() => onExpand(line.id)}>
          … show all {full.length.toLocaleString()} characters
        </button>
      )}
    </span>
  );
});

function KindTag({ kind }: { kind: string }) {
  const { label, tone } = kindLabel(kind);
  return <span className={`tag tag-${tone}`}>{label}</span>;
}
