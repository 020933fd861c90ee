/**
 * drizzle-orm, loaded through require().
 *
 * Under Node's ESM loader every one of drizzle-orm's few hundred modules re-reads the package's
 * 179 KB package.json: measured on Node 24, importing it took 1.2 s and left the server at ~300 MB
 * RSS; require() takes 0.2 s and ~70 MB. Every drizzle import in the app goes through this file
 * (types still come from the ESM declarations), so there is one copy of drizzle in the process.
 */
import { createRequire } from "node:module";
import type * as Orm from "drizzle-orm";
import type * as BetterSqlite from "drizzle-orm/better-sqlite3";
import type * as Migrator from "drizzle-orm/better-sqlite3/migrator";
import type * as SqliteCore from "drizzle-orm/sqlite-core";

// drizzle-kit loads the schema as CommonJS (no import.meta.url there, but __filename).
declare const __filename: string | undefined;
const require = createRequire(typeof __filename === "string" ? __filename : import.meta.url);

const orm = require("drizzle-orm") as typeof Orm;
const core = require("drizzle-orm/sqlite-core") as typeof SqliteCore;

export const { and, asc, count, desc, eq, gte, isNotNull, isNull, lt, or, sql } = orm;
export const { index, integer, primaryKey, real, sqliteTable, text } = core;
export const { drizzle } = require("drizzle-orm/better-sqlite3") as typeof BetterSqlite;
export const { migrate } = require("drizzle-orm/better-sqlite3/migrator") as typeof Migrator;
export type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
