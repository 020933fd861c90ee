// Runs the bundled server from a V8 code cache made after it started (copied by
// scripts/build-server.mjs next to the bundle as apps/server/dist/launcher.mjs).
//
// Node's own compile cache (module.enableCompileCache) stores a module's code right after compiling
// it: only its top level, so every function the start-up runs is compiled again on every start. A
// vm.Script's cache made once the server is up holds those functions too (measured in `pnpm bench`,
// cold_start_ratio: ~50 ms of a ~300 ms start). V8 checks a cache against its own version and flags
// but not against the source's content, so the file is named after the bundle, whose name carries
// its content hash, and after the Node version, architecture and flags.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const DIR = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(DIR, ".v8-cache");
/** By then the server has started and answered its first requests: their code is compiled. */
const SAVE_AFTER_MS = 2000;

/** The cache file for `bundle` (a file name in DIR) under this Node, architecture and flags. */
export function cacheFileFor(bundle) {
  const runtime = [process.version, process.arch, ...process.execArgv].join(" ");
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < runtime.length; i++) h = Math.imul(h ^ runtime.charCodeAt(i), 0x01000193);
  return join(CACHE_DIR, `${bundle}.${(h >>> 0).toString(16)}`);
}

/** Runs apps/server/dist/`bundle` (CommonJS) as Node would, from its cache when there is one. */
export function run(bundle) {
  const file = join(DIR, bundle);
  const cacheFile = cacheFileFor(bundle);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  const source = readFileSync(file, "utf8");
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    setTimeout(() => save(script, bundle, cacheFile), SAVE_AFTER_MS).unref();
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, DIR);
}

function save(script, bundle, cacheFile) {
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
    // Earlier bundles' caches (another process's file being written ends in .tmp).
    for (const f of readdirSync(CACHE_DIR)) {
      if (!f.startsWith(`${bundle}.`) && !f.endsWith(".tmp")) rmSync(join(CACHE_DIR, f), { force: true });
    }
  } catch {
    // A read-only install starts without a cache, as it would with none yet.
  }
}
