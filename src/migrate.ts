// `make migrate`: dbmate up, then the code in sql/ re-applied in its stated order,
// all under one PostgreSQL advisory lock so that two concurrent runs cannot both
// apply: the second waits, then finds nothing to do.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import { connect, requirePrimary } from './db.ts';
import { repoRoot } from './embedded.ts';
import { silent, type Logger } from './log.ts';

export const migrationsDir = path.join(repoRoot, 'db', 'migrations');
export const sqlDir = path.join(repoRoot, 'sql');

/** The advisory lock key every `scoreline migrate` takes (two int4 halves: 'scor', 'migr'). */
export const MIGRATE_LOCK = [0x73636f72, 0x6d696772] as const;

export interface MigrateResult {
  migrations: string[];
  sqlFiles: string[];
  waitedForLock: boolean;
}

export interface MigrateOptions {
  log?: Logger;
  /** Re-apply every sql/ file even when none changed. */
  forceSql?: boolean;
  /** Where the sql/ files are read from: the checkout's sql/ unless given. */
  sqlDir?: string;
  /** Where dbmate reads the migrations from: the checkout's db/migrations unless given. */
  migrationsDir?: string;
}

/**
 * A sql/ file that failed to apply: the message names the file and the line (when the
 * server gave a position), and the server's SQLSTATE, detail, hint and context are kept
 * as fields, so `scoreline migrate` prints them as for any other database error.
 */
export class SqlFileError extends Error {
  override name = 'SqlFileError';
  /** The SQLSTATE of the failing statement. */
  readonly code: string | undefined;
  readonly file: string;
  /** The 1-based line in the file, when the server reported a position. */
  readonly line: number | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly where: string | undefined;

  constructor(
    file: string,
    text: string,
    err: Error & { code?: string; position?: string; detail?: string; hint?: string; where?: string },
  ) {
    const position = Number(err.position);
    const line = Number.isInteger(position) && position > 0 ? text.slice(0, position - 1).split('\n').length : undefined;
    super(`${file}${line ? ` line ${line}` : ''}: ${err.message}${err.where ? `\n  where: ${err.where}` : ''}`, { cause: err });
    this.code = err.code;
    this.file = file;
    this.line = line;
    this.detail = err.detail;
    this.hint = err.hint;
    this.where = err.where;
  }
}

const quietLogger = new GraphileLogger(() => () => {});

/** dbmate speaks lib/pq, which wants sslmode spelled out for servers without TLS. */
export function dbmateUrl(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has('sslmode') && ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) {
    u.searchParams.set('sslmode', 'disable');
  }
  return u.toString();
}

function dbmateBin(): string {
  return path.join(repoRoot, 'node_modules', '.bin', 'dbmate');
}

/**
 * The prefix of the database roles (<prefix>_owner, _worker, _app, _reader) the roles
 * migration creates: SCORELINE_ROLE_PREFIX, default scoreline (docs/security.md).
 */
export function rolePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.SCORELINE_ROLE_PREFIX?.trim() || 'scoreline';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error(
      `SCORELINE_ROLE_PREFIX ${JSON.stringify(prefix)}: lower-case letters, digits and _ (at most 41, not starting with a digit)`,
    );
  }
  return prefix;
}

function runDbmate(url: string, args: string[], dir = migrationsDir): Promise<string> {
  // the migrations read the role prefix from the setting scoreline.role_prefix
  const pgOptions = [process.env.PGOPTIONS, `-c scoreline.role_prefix=${rolePrefix()}`].filter(Boolean).join(' ');
  return new Promise((resolve, reject) => {
    // the URL (and its password) goes through the environment, not the command line that `ps` shows
    const child = spawn(dbmateBin(), ['--env', 'DATABASE_URL', '--migrations-dir', dir, '--no-dump-schema', ...args], {
      env: { ...process.env, DATABASE_URL: dbmateUrl(url), DBMATE_NO_DUMP_SCHEMA: 'true', PGOPTIONS: pgOptions },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`dbmate ${args.join(' ')} failed:\n${out.trim()}`))));
  });
}

/** The sql/ files in the order they are applied: their numeric prefixes state it. */
export async function sqlFiles(dir = sqlDir): Promise<string[]> {
  const names = (await fs.readdir(dir)).filter((n) => /^\d+_.+\.sql$/.test(n));
  return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export async function migrate(url: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const log = opts.log ?? silent;
  const sql = connect(url, { max: 1, applicationName: 'scoreline migrate', onNotice: () => {} });
  try {
    await requirePrimary(sql);
    const lock = await sql.reserve();
    try {
      const [got] = await lock<{ ok: boolean }[]>`select pg_try_advisory_lock(${MIGRATE_LOCK[0]}, ${MIGRATE_LOCK[1]}) as ok`;
      const waitedForLock = !got?.ok;
      if (waitedForLock) {
        log('info', 'another migrate is running; waiting for it to finish');
        await lock`select pg_advisory_lock(${MIGRATE_LOCK[0]}, ${MIGRATE_LOCK[1]})`;
      }
      try {
        // The job queue's own schema first: triggers in sql/ enqueue jobs with graphile_worker.add_job.
        await runMigrations({ connectionString: url, logger: quietLogger });
        const out = await runDbmate(url, ['up'], opts.migrationsDir);
        const migrations = [...out.matchAll(/^Applying: (.+)$/gm)].map((m) => m[1]!.trim());
        for (const m of migrations) log('info', `applied migration ${m}`);

        const dir = opts.sqlDir ?? sqlDir;
        const files = await sqlFiles(dir);
        const applied = new Map(
          (await lock<{ name: string; sha256: string }[]>`select name, sha256 from public.scoreline_sql_file`).map((r) => [
            r.name,
            r.sha256,
          ]),
        );
        const contents = await Promise.all(files.map(async (f) => ({ name: f, text: await fs.readFile(path.join(dir, f), 'utf8') })));
        const hashed = contents.map((c) => ({ ...c, sha256: createHash('sha256').update(c.text).digest('hex') }));
        const changed = hashed.some((f) => applied.get(f.name) !== f.sha256) || applied.size !== hashed.length;
        const reapply = opts.forceSql || migrations.length > 0 || changed;
        const sqlApplied: string[] = [];
        if (reapply) {
          // All of sql/ in one transaction: either the whole code base is current or none of it changed.
          await lock`begin`;
          try {
            for (const f of hashed) {
              try {
                await lock.unsafe(f.text);
              } catch (err) {
                throw new SqlFileError(`sql/${f.name}`, f.text, err as Error);
              }
              sqlApplied.push(f.name);
            }
            await lock`delete from public.scoreline_sql_file`;
            await lock`insert into public.scoreline_sql_file ${lock(hashed.map((f) => ({ name: f.name, sha256: f.sha256 })))}`;
            await lock`commit`;
          } catch (err) {
            await lock`rollback`;
            throw err;
          }
          log('info', `applied sql/: ${sqlApplied.join(', ')}`);
        }
        return { migrations, sqlFiles: sqlApplied, waitedForLock };
      } finally {
        await lock`select pg_advisory_unlock(${MIGRATE_LOCK[0]}, ${MIGRATE_LOCK[1]})`;
      }
    } finally {
      lock.release();
    }
  } finally {
    await sql.end();
  }
}
