import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The house rules that no type checker keeps: no import circle anywhere in packages/ and apps/ (type
 * imports count: they tie the files together for a reader just the same), no product file over 400
 * lines, execa only under the runner. The imports are read with TypeScript's own pre-processor.
 */
const ROOT = resolve(import.meta.dirname, "../../..");
const TREES = ["packages", "apps"];
const SKIP = new Set(["node_modules", "dist", "fixtures", ".loops"]);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** `@loop/<pkg>[/sub]` → the file its package.json exports. */
function workspaceExports(): Map<string, string> {
  const map = new Map<string, string>();
  for (const tree of TREES) {
    for (const pkg of readdirSync(join(ROOT, tree))) {
      const dir = join(ROOT, tree, pkg);
      let json: { name?: string; exports?: Record<string, string> };
      try {
        json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      for (const [sub, file] of Object.entries(json.exports ?? {})) {
        map.set(sub === "." ? json.name! : `${json.name}/${sub.slice(2)}`, resolve(dir, file));
      }
    }
  }
  return map;
}

const files = TREES.flatMap((t) => sources(join(ROOT, t)));
const known = new Set(files);
const exportsMap = workspaceExports();

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, false);
  const out: string[] = [];
  for (const { fileName: spec } of info.importedFiles) {
    let target: string | undefined;
    if (spec.startsWith(".")) {
      const base = resolve(dirname(file), spec);
      target = [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((c) => known.has(c));
    } else target = exportsMap.get(spec);
    if (target) out.push(target);
  }
  return out;
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(ROOT, f);

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
function circles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) !== idx.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      on.delete(w);
      scc.push(rel(w));
    } while (w !== v);
    if (scc.length > 1 || graph.get(v)?.includes(v)) found.push(scc.sort());
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return found;
}

const product = files.filter((f) => /\/(src|scripts)\//.test(f));

describe("the house layout", () => {
  it("reads the whole tree (the check is not vacuous)", () => {
    expect(product.length).toBeGreaterThan(100);
    expect(graph.get(join(ROOT, "packages/core/src/loop/task-run.ts"))).toContain(
      join(ROOT, "packages/core/src/loop/run-context.ts"),
    );
    expect(graph.get(join(ROOT, "apps/server/src/plugins/services.ts"))).toContain(
      join(ROOT, "packages/core/src/index.ts"),
    );
  });

  it("has no import circle in packages/ or apps/", () => {
    expect(circles()).toEqual([]);
  });

  it("keeps every product source file at 400 lines or fewer", () => {
    const long = product
      .map((f) => ({ file: rel(f), lines: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((x) => x.lines > 400);
    expect(long).toEqual([]);
  });

  it("imports execa only in the runner", () => {
    const users = product.filter(
      (f) => /from "execa"/.test(readFileSync(f, "utf8")) && !rel(f).startsWith("packages/core/src/runner/"),
    );
    expect(users.map(rel)).toEqual([]);
  });

  it("reads an environment variable by name only in the config modules", () => {
    // process.env.NAME, process.env["NAME"], process.env?.NAME; passing the whole env on (to a child
    // process, to the config parser) is not reading a variable.
    const config = /(^|\/)(config|settings)\.ts$/;
    const readers = product.filter(
      (f) =>
        /process\.env(\?)?\.\s*[A-Za-z_]|process\.env\s*\[/.test(readFileSync(f, "utf8")) && !config.test(f),
    );
    expect(readers.map(rel)).toEqual([]);
  });
});
