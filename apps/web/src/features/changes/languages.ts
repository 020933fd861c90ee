/*
 * Which highlight.js grammar a changed file is read with, by its name. Small and free of the
 * highlighter: the grammars themselves load one by one, when a file of their language is shown
 * (highlight.ts).
 */

/** The grammars the diff view knows (highlight.js language names). */
export type Language =
  | "bash"
  | "c"
  | "cpp"
  | "css"
  | "dockerfile"
  | "go"
  | "ini"
  | "java"
  | "javascript"
  | "json"
  | "makefile"
  | "markdown"
  | "python"
  | "ruby"
  | "rust"
  | "scss"
  | "sql"
  | "typescript"
  | "xml"
  | "yaml";

const BY_EXTENSION: Record<string, Language> = {
  sh: "bash",
  bash: "bash",
  zsh: "bash",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  hh: "cpp",
  css: "css",
  go: "go",
  ini: "ini",
  toml: "ini",
  cfg: "ini",
  java: "java",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  json: "json",
  jsonc: "json",
  md: "markdown",
  markdown: "markdown",
  py: "python",
  rb: "ruby",
  rs: "rust",
  scss: "scss",
  sql: "sql",
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  html: "xml",
  htm: "xml",
  xml: "xml",
  svg: "xml",
  yml: "yaml",
  yaml: "yaml",
};

const BY_NAME: Record<string, Language> = {
  dockerfile: "dockerfile",
  makefile: "makefile",
  gnumakefile: "makefile",
};

/** The grammar for a path (its base name, then its extension), or null: shown as plain text. */
export function languageOf(path: string): Language | null {
  const base = (path.split("/").pop() ?? path).toLowerCase();
  if (Object.hasOwn(BY_NAME, base)) return BY_NAME[base]!;
  const dot = base.lastIndexOf(".");
  const ext = base.slice(dot + 1);
  return dot > 0 && Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext]! : null;
}
