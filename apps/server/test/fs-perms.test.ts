import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@loop/db";
import { afterEach, describe, expect, it } from "vitest";
import { secureStorage } from "../src/fs-perms.ts";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

describe("secureStorage", () => {
  it("creates the artifacts root 0700 and the database 0600, which SQLite copies to -wal and -shm", () => {
    dir = mkdtempSync(join(tmpdir(), "loop-perms-"));
    const paths = { dbPath: join(dir, "loop.db"), artifactsDir: join(dir, "a", "loops") };
    const warnings: string[] = [];
    secureStorage(paths, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(mode(paths.artifactsDir)).toBe(0o700);
    expect(mode(paths.dbPath)).toBe(0o600);
    const db = openDatabase(paths.dbPath);
    db.sqlite.prepare("select count(*) from tasks").get();
    for (const f of [paths.dbPath, `${paths.dbPath}-wal`, `${paths.dbPath}-shm`])
      expect(mode(f), f).toBe(0o600);
    db.close();
    // A second start changes nothing and has nothing to say.
    secureStorage(paths, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
  });

  it("warns about an existing database or artifacts root others can read, and leaves their modes alone", () => {
    dir = mkdtempSync(join(tmpdir(), "loop-perms-"));
    const paths = { dbPath: join(dir, "loop.db"), artifactsDir: join(dir, "loops") };
    writeFileSync(paths.dbPath, "");
    chmodSync(paths.dbPath, 0o644);
    mkdirSync(paths.artifactsDir);
    chmodSync(paths.artifactsDir, 0o755);
    const warnings: string[] = [];
    secureStorage(paths, (m) => warnings.push(m));
    expect(warnings).toEqual([
      expect.stringMatching(/loops is open to other users \(mode 755\); run chmod 700/),
      expect.stringMatching(/loop\.db is readable by other users \(mode 644\); run chmod 600 .*loop\.db\*/),
    ]);
    expect(mode(paths.dbPath)).toBe(0o644);
  });
});
