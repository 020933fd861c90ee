// The server as bundled JavaScript, apps/server/dist/server.mjs, which `pnpm start` runs.
//
// Running apps/server/src/server.ts directly makes Node strip the types of ~100 TypeScript files and
// resolve ~300 modules on every start; one esbuild bundle is parsed once (measured in `pnpm bench`:
// cold_start_ratio, idle_rss_ratio). It is one CommonJS file, main-<hash>.cjs, which server.mjs runs
// through launcher.mjs (scripts/server-launcher.mjs) from a V8 code cache made after start-up.
// better-sqlite3 stays external (a native addon). Files found at runtime next to their source
// (drizzle/ migrations, apps/web/dist, package.json) still are: each module's `import.meta.url` is
// rewritten to its source file's URL, relative to the bundle.
//
//   node scripts/build-server.mjs          build now
//   ensureServerBuilt()                     build only when a source file is newer than the bundle
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const SERVER_ENTRY = join(root, "apps/server/src/server.ts");
/** What `pnpm start` runs: launcher.mjs's run() with the bundle's name. */
export const SERVER_BUNDLE = join(root, "apps/server/dist/server.mjs");
const LAUNCHER_SOURCE = join(root, "scripts/server-launcher.mjs");
const META = join(root, "apps/server/dist/server.meta.json");
const OUT_DIR = dirname(SERVER_BUNDLE);

const DRIZZLE = join("packages", "db", "src", "drizzle.ts");

/**
 * packages/db/src/drizzle.ts loads drizzle-orm with require() (Node's ES-module loader is slow with
 * drizzle's hundreds of modules). In the bundle there is no loader to avoid, and bundling drizzle's
 * CommonJS would run all of it (~0.4 s): its require()s become static re-exports of the ES modules,
 * which esbuild tree-shakes to the few functions loop uses.
 *   const orm = require("drizzle-orm") as typeof Orm;   export const { and } = orm;
 *   export const { drizzle } = require("drizzle-orm/better-sqlite3") as typeof B;
 * become  export { and } from "drizzle-orm";  export { drizzle } from "drizzle-orm/better-sqlite3";
 */
function bundledDrizzle(text) {
  const modules = new Map();
  let out = text
    .replace(/^const require = createRequire\(.*\);$/m, "")
    .replace(/^const (\w+) = require\("([^"]+)"\) as [^;]+;$/gm, (_, name, mod) => {
      modules.set(name, mod);
      return "";
    })
    .replace(/^export const \{([^}]+)\} = require\("([^"]+)"\) as [^;]+;$/gm, 'export {$1} from "$2";')
    .replace(/^export const \{([^}]+)\} = (\w+);$/gm, (line, names, name) =>
      modules.has(name) ? `export {${names}} from "${modules.get(name)}";` : line,
    );
  if (/\brequire\(/.test(out.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")) || modules.size === 0)
    throw new Error(`${DRIZZLE} changed shape: update bundledDrizzle() in scripts/build-server.mjs`);
  out = out.replace(/^import \{ createRequire \} from "node:module";$/m, "");
  return out;
}

/**
 * Our own TypeScript: `import.meta.url` becomes the source file's URL, relative to the bundle's
 * (`__loopBundleUrl`, set by the banner: CommonJS has no import.meta).
 */
const sourceUrls = {
  name: "source-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${"/"}node_modules${"/"}`)) return undefined;
      let text = await readFile(args.path, "utf8");
      if (args.path.endsWith(DRIZZLE)) text = bundledDrizzle(text);
      if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
      const rel = relative(OUT_DIR, args.path).split("\\").join("/");
      return {
        contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(rel)}, __loopBundleUrl).href`),
        loader: "ts",
      };
    });
  },
};

export async function buildServer() {
  const esbuild = await import("esbuild").catch(async () => {
    // esbuild is apps/server's dev dependency: resolve it from there.
    const { createRequire } = await import("node:module");
    return import(createRequire(join(root, "apps/server/package.json")).resolve("esbuild"));
  });
  // Written aside and moved in, server.mjs last: a server starting meanwhile runs the old bundle or
  // the new one (the bundle's name holds its content's hash; the previous build's is kept one build long).
  const tmp = join(OUT_DIR, `.build-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { main: SERVER_ENTRY },
    absWorkingDir: root, // the metafile's input paths are relative to it
    outdir: tmp,
    entryNames: "[name]-[hash]",
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    // One CommonJS script: a vm.Script, whose code cache can be made after start-up (launcher.mjs).
    // What server.ts imports dynamically (the app, after it began the agents' checks) is still
    // evaluated only then: esbuild turns import() of a bundled module into a lazy initialiser.
    format: "cjs",
    target: "node22",
    external: ["better-sqlite3"],
    banner: { js: 'const __loopBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { "import.meta.url": "__loopBundleUrl" },
    plugins: [sourceUrls],
    metafile: true,
    legalComments: "none",
    // Less to read and decode per start; names are kept, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
  });
  // esbuild's service process would otherwise live on beside the server `pnpm start` spawns.
  await esbuild.stop?.();
  const bundle = readdirSync(tmp).find((f) => f.endsWith(".cjs"));
  const previous = existsSync(META) ? JSON.parse(readFileSync(META, "utf8")).bundle : undefined;
  renameSync(join(tmp, bundle), join(OUT_DIR, bundle));
  rmSync(tmp, { recursive: true, force: true });
  const launcher = join(OUT_DIR, "launcher.mjs");
  writeFileSync(`${launcher}.${process.pid}.tmp`, readFileSync(LAUNCHER_SOURCE));
  renameSync(`${launcher}.${process.pid}.tmp`, launcher);
  writeFileSync(
    `${SERVER_BUNDLE}.${process.pid}.tmp`,
    `// Made by scripts/build-server.mjs: runs the bundled server from its code cache.\nimport { run } from "./launcher.mjs";\nrun(${JSON.stringify(bundle)});\n`,
  );
  renameSync(`${SERVER_BUNDLE}.${process.pid}.tmp`, SERVER_BUNDLE);
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes("node_modules/"));
  writeFileSync(`${META}.${process.pid}.tmp`, JSON.stringify({ inputs, bundle }, null, 1));
  renameSync(`${META}.${process.pid}.tmp`, META);
  for (const f of readdirSync(OUT_DIR)) {
    const old = (f.startsWith("main") && f !== bundle && f !== previous) || f.startsWith("chunk-");
    if (old) rmSync(join(OUT_DIR, f));
  }
  rmSync(join(OUT_DIR, ".compile-cache"), { recursive: true, force: true });
  return SERVER_BUNDLE;
}

/** True when the bundle exists and no source it was made from (nor the lockfile) is newer. */
export function serverIsFresh() {
  if (![SERVER_BUNDLE, META].every((f) => existsSync(f))) return false;
  const built = statSync(SERVER_BUNDLE).mtimeMs;
  const { inputs, bundle } = JSON.parse(readFileSync(META, "utf8"));
  if (!bundle || !existsSync(join(OUT_DIR, bundle)) || !existsSync(join(OUT_DIR, "launcher.mjs")))
    return false;
  const deps = [...inputs, "pnpm-lock.yaml", "scripts/build-server.mjs", "scripts/server-launcher.mjs"];
  return deps.every((p) => {
    const file = join(root, p);
    return existsSync(file) && statSync(file).mtimeMs <= built;
  });
}

/** Builds the bundle when it is missing or stale; returns its path. */
export async function ensureServerBuilt() {
  if (!serverIsFresh()) await buildServer();
  return SERVER_BUNDLE;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const started = performance.now();
  await buildServer();
  console.log(
    `loop: built ${relative(root, SERVER_BUNDLE)} in ${Math.round(performance.now() - started)} ms`,
  );
}
