// Test databases: one migrated template per content of the schema (db/migrations,
// sql/, package-lock.json), built once under an advisory lock; each test file
// clones it (`create database … template …`) so files run in parallel.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { connect, databaseUrl, withDatabase, type Sql } from '../../src/db.ts';
import { repoRoot } from '../../src/embedded.ts';
import { migrate, migrationsDir, sqlDir } from '../../src/migrate.ts';

async function schemaHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of [migrationsDir, sqlDir]) {
    for (const name of (await fs.readdir(dir)).sort()) {
      hash.update(name).update(await fs.readFile(path.join(dir, name)));
    }
  }
  hash.update(await fs.readFile(path.join(repoRoot, 'package-lock.json')));
  return hash.digest('hex').slice(0, 12);
}

export async function serverUrl(): Promise<string> {
  return databaseUrl();
}

/**
 * Templates of other schema contents, dropped when a new one is built so that they do
 * not pile up on a developer's server — but only those nobody used for a day: several
 * checkouts (branches with different sql/) may test against one server at once, and
 * each stamps its template's comment whenever it uses it. One being cloned right now
 * (55006, in use) is left for the next time.
 */
async function dropOldTemplates(sql: Sql, keep: string): Promise<void> {
  const old = await sql<{ datname: string }[]>`
    select d.datname from pg_database d
     where d.datname ~ '^scoreline_tmpl_[0-9a-f]{12}$' and d.datname <> ${keep}
       and coalesce(substring(shobj_description(d.oid, 'pg_database') from 'last used (.*)$')::timestamptz, '-infinity')
           < now() - interval '1 day'`;
  for (const { datname } of old) {
    try {
      await sql.unsafe(`drop database if exists ${datname}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '55006') throw err;
    }
  }
}

/** The migrated template's name, building it if this content has none yet. */
export async function ensureTemplate(): Promise<string> {
  const name = `scoreline_tmpl_${await schemaHash()}`;
  const url = await serverUrl();
  const admin = connect(withDatabase(url, 'postgres'), { max: 1 });
  try {
    const lock = await admin.reserve();
    try {
      await lock`select pg_advisory_lock(hashtext(${name}))`;
      const [row] = await lock<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${name}`;
      if (!row?.n) {
        const building = `${name}_b${process.pid}`;
        await lock.unsafe(`drop database if exists ${building} with (force)`);
        await lock.unsafe(`create database ${building}`);
        try {
          await migrate(withDatabase(url, building));
        } catch (err) {
          await lock.unsafe(`drop database if exists ${building} with (force)`);
          throw err;
        }
        await lock.unsafe(`alter database ${building} rename to ${name}`);
        await dropOldTemplates(lock, name);
      }
      await lock.unsafe(`comment on database ${name} is 'scoreline test template, last used ${new Date().toISOString()}'`);
      await lock`select pg_advisory_unlock(hashtext(${name}))`;
    } finally {
      lock.release();
    }
  } finally {
    await admin.end();
  }
  return name;
}

export interface TestDb {
  sql: Sql;
  url: string;
  name: string;
}

/**
 * A fresh database cloned from the migrated template, dropped when the test ends.
 * `empty: true` gives an unmigrated database (for the migration tests).
 */
export async function testDb(t: Test, opts: { empty?: boolean; max?: number } = {}): Promise<TestDb> {
  const url = await serverUrl();
  const name = `scoreline_t_${randomBytes(5).toString('hex')}`;
  const admin = connect(withDatabase(url, 'postgres'), { max: 1 });
  if (opts.empty) await admin.unsafe(`create database ${name}`);
  else await admin.unsafe(`create database ${name} template ${await ensureTemplate()}`);
  const dbUrl = withDatabase(url, name);
  const sql = connect(dbUrl, { max: opts.max ?? 4 });
  t.teardown(async () => {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return { sql, url: dbUrl, name };
}

interface PgError {
  code?: string;
  constraint_name?: string;
  message?: string;
}

export interface ExpectedError {
  /** The SQLSTATE, e.g. 23505 or SL001. */
  code: string;
  /** The violated constraint's name, for constraint errors. */
  constraint?: string;
  /** What the message must say. */
  message?: RegExp;
}

/**
 * Assert that a write fails with this SQLSTATE (and constraint, and message).
 * Returns the error so a test can look further.
 */
export async function rejectsWith(
  t: Test,
  work: Promise<unknown> | (() => Promise<unknown>),
  expected: ExpectedError,
  what?: string,
): Promise<PgError | undefined> {
  const label = what ?? `fails with ${expected.code}${expected.constraint ? ` (${expected.constraint})` : ''}`;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    const e = err as PgError;
    const problems: string[] = [];
    if (e.code !== expected.code) problems.push(`SQLSTATE ${e.code ?? '(none)'} instead of ${expected.code}`);
    if (expected.constraint && e.constraint_name !== expected.constraint) {
      problems.push(`constraint ${e.constraint_name ?? '(none)'} instead of ${expected.constraint}`);
    }
    if (expected.message && !expected.message.test(e.message ?? ''))
      problems.push(`message "${e.message}" does not match ${expected.message}`);
    t.ok(problems.length === 0, label, problems.length ? { problems, error: e.message } : {});
    return e;
  }
  t.fail(`${label}: but it succeeded`);
  return undefined;
}

/**
 * The SQLSTATE of an ON DELETE RESTRICT violation: 23001 (restrict_violation) from
 * PostgreSQL 18, 23503 (foreign_key_violation) before.
 */
export async function restrictViolation(sql: Sql): Promise<string> {
  const [v] = await sql<{ n: number }[]>`select current_setting('server_version_num')::int as n`;
  return (v?.n ?? 0) >= 180000 ? '23001' : '23503';
}
