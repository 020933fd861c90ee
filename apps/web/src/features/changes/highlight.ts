/*
 * Syntax highlighting for the diff view: highlight.js's core through lowlight (which gives the
 * syntax tree react-diff-view's `tokenize` takes), one grammar loaded when a file of its language
 * is first shown. Loads with the diff view (ChangesView), never with the dashboard.
 */
import type { LanguageFn } from "highlight.js";
import { createLowlight } from "lowlight";
import { type RefObject, useEffect, useState } from "react";
import { type HunkData, type HunkTokens, tokenize } from "react-diff-view";
import type { Language } from "./languages.ts";

const lowlight = createLowlight();

type Grammar = () => Promise<{ default: LanguageFn }>;

// One chunk each: a diff of TypeScript fetches only the TypeScript grammar.
const GRAMMARS: Record<Language, Grammar> = {
  bash: () => import("highlight.js/lib/languages/bash"),
  c: () => import("highlight.js/lib/languages/c"),
  cpp: () => import("highlight.js/lib/languages/cpp"),
  css: () => import("highlight.js/lib/languages/css"),
  dockerfile: () => import("highlight.js/lib/languages/dockerfile"),
  go: () => import("highlight.js/lib/languages/go"),
  ini: () => import("highlight.js/lib/languages/ini"),
  java: () => import("highlight.js/lib/languages/java"),
  javascript: () => import("highlight.js/lib/languages/javascript"),
  json: () => import("highlight.js/lib/languages/json"),
  makefile: () => import("highlight.js/lib/languages/makefile"),
  markdown: () => import("highlight.js/lib/languages/markdown"),
  python: () => import("highlight.js/lib/languages/python"),
  ruby: () => import("highlight.js/lib/languages/ruby"),
  rust: () => import("highlight.js/lib/languages/rust"),
  scss: () => import("highlight.js/lib/languages/scss"),
  sql: () => import("highlight.js/lib/languages/sql"),
  typescript: () => import("highlight.js/lib/languages/typescript"),
  xml: () => import("highlight.js/lib/languages/xml"),
  yaml: () => import("highlight.js/lib/languages/yaml"),
};

/** Past these a file is shown as plain text: highlighting it would hold the page. */
export const HIGHLIGHT_MAX_LINES = 2000;
export const HIGHLIGHT_MAX_LINE_NUMBER = 100_000;

const loading = new Map<Language, Promise<void>>();

/** Fetches and registers a grammar once; later calls share the first. */
export function loadGrammar(language: Language): Promise<void> {
  let p = loading.get(language);
  if (!p) {
    p = GRAMMARS[language]().then((m) => lowlight.register(language, m.default));
    loading.set(language, p);
  }
  return p;
}

export const grammarReady = (language: Language) => lowlight.registered(language);

/** Whether a file's hunks are small enough to highlight (tokenize reads every line up to the last). */
export function highlightable(hunks: readonly HunkData[]): boolean {
  let lines = 0;
  let last = 0;
  for (const h of hunks) {
    lines += h.changes.length;
    last = Math.max(last, h.oldStart + h.oldLines, h.newStart + h.newLines);
  }
  return lines <= HIGHLIGHT_MAX_LINES && last <= HIGHLIGHT_MAX_LINE_NUMBER;
}

/** The hunks' lines as highlighted tokens, or null (grammar not loaded yet, or it failed). */
export function highlightHunks(hunks: HunkData[], language: Language): HunkTokens | null {
  if (!lowlight.registered(language)) return null;
  try {
    return tokenize(hunks, {
      highlight: true,
      language,
      refractor: { highlight: (text: string, lang: string) => lowlight.highlight(lang, text).children },
    });
  } catch {
    return null;
  }
}

// Highlighting waits for idle time, one file at a time: twenty open files of 300 lines would
// otherwise hold the page for half a second on first paint. The plain diff shows meanwhile.
const queue: (() => void)[] = [];
let pumping = false;
const idle = (f: () => void) =>
  typeof requestIdleCallback === "function" ? requestIdleCallback(f, { timeout: 300 }) : setTimeout(f, 0);
function pump(): void {
  pumping = true;
  idle(() => {
    queue.shift()?.();
    if (queue.length > 0) pump();
    else pumping = false;
  });
}

/** Runs `job` in a later idle period, one job per period, in order; returns a cancel. */
export function whenIdle(job: () => void): () => void {
  queue.push(job);
  if (!pumping) pump();
  return () => {
    const i = queue.indexOf(job);
    if (i >= 0) queue.splice(i, 1);
  };
}

/** Whether `target` has come within a screen or so of the viewport (true where that cannot be told). */
function useNear(target: RefObject<Element | null>, on: boolean): boolean {
  const [near, setNear] = useState(false);
  useEffect(() => {
    if (!on || near) return;
    const el = target.current;
    if (!el || typeof IntersectionObserver !== "function") {
      setNear(true);
      return;
    }
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), {
      rootMargin: "800px 0px",
    });
    io.observe(el);
    return () => io.disconnect();
  }, [on, near, target]);
  return near;
}

/**
 * A shown file's tokens: null (plain text) for a language the view does not know, while `on` is
 * false (a closed file), for a file too large to highlight, and until the file is near the
 * viewport, its grammar has loaded and an idle moment has come.
 */
export function useHighlight(
  hunks: HunkData[],
  language: Language | null,
  on: boolean,
  target: RefObject<Element | null>,
): HunkTokens | null {
  const wanted = on && language !== null && highlightable(hunks);
  const near = useNear(target, wanted);
  const [ready, setReady] = useState(() => language !== null && grammarReady(language));
  const [done, setDone] = useState<{ hunks: HunkData[]; tokens: HunkTokens | null } | null>(null);
  useEffect(() => {
    if (!wanted || !near || ready || language === null) return;
    let stop = false;
    loadGrammar(language).then(
      () => !stop && setReady(true),
      () => {}, // a grammar that fails to load leaves the file plain
    );
    return () => {
      stop = true;
    };
  }, [wanted, near, ready, language]);
  useEffect(() => {
    if (!wanted || !near || !ready || language === null || done?.hunks === hunks) return;
    return whenIdle(() => setDone({ hunks, tokens: highlightHunks(hunks, language) }));
  }, [wanted, near, ready, language, hunks, done]);
  return wanted && done?.hunks === hunks ? done.tokens : null;
}
