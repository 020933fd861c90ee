/*
 * Syntax highlighting for the diff view: highlight.js's core through lowlight (which gives the
 * syntax tree react-diff-view's `tokenize` takes), one grammar loaded when a file of its language
 * is first shown. Loads with the diff view (ChangesView), never with the dashboard.
 */
import type { LanguageFn } from "highlight.js";
import { createLowlight } from "lowlight";
import { useEffect, useMemo, useState } from "react";
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

/**
 * A shown file's tokens: null (plain text) until its grammar has loaded, for a language the view
 * does not know, while `on` is false (a closed file) and for a file too large to highlight.
 */
export function useHighlight(hunks: HunkData[], language: Language | null, on: boolean): HunkTokens | null {
  const wanted = on && language !== null && highlightable(hunks);
  const [ready, setReady] = useState(() => language !== null && grammarReady(language));
  useEffect(() => {
    if (!wanted || ready || language === null) return;
    let stop = false;
    loadGrammar(language).then(
      () => !stop && setReady(true),
      () => {}, // a grammar that fails to load leaves the file plain
    );
    return () => {
      stop = true;
    };
  }, [wanted, ready, language]);
  return useMemo(
    () => (wanted && ready && language !== null ? highlightHunks(hunks, language) : null),
    [wanted, ready, language, hunks],
  );
}
