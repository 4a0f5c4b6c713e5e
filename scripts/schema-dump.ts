// `make schema-dump` writes db/schema.sql, `make schema-check` fails when it differs from a fresh
// dump: the schema scoreline migrates, as pg_dump prints it, for a DBA to read and diff.
//
// A throwaway database is created on a server, migrated by scoreline, dumped with
// `pg_dump --schema-only --no-owner --no-privileges`, and dropped. The dump is made
// deterministic: pg_dump's version lines and its random \restrict key are removed, and so are
// the partitions (their names follow the date they were created on: refresh.run by month,
// market.odds_snapshot by day); the partitioned tables themselves stay.
//
// Where: SCHEMA_DUMP_URL (a server, superuser or the owner role's login; default the machine's
// PostgreSQL 15, postgres://postgres:postgres@127.0.0.1:5432/postgres, as CI starts it), and
// pg_dump from PG_DUMP or else /usr/lib/postgresql/<server major>/bin/pg_dump or else PATH. The
// committed file is dumped from PostgreSQL 15 (the oldest version scoreline supports): a dump of
// another server version differs in its details, so schema-check says which version it compared.
//   node --import=tsx scripts/schema-dump.ts [--check]   (SCHEMA_DUMP_FILE: another file than db/schema.sql)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { connect, withDatabase } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { silent } from '../src/log.ts';
import { migrate } from '../src/migrate.ts';

const run = promisify(execFile);
const check = process.argv.includes('--check');
const target = process.env.SCHEMA_DUMP_FILE || path.join(repoRoot, 'db', 'schema.sql');
const server = process.env.SCHEMA_DUMP_URL || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

function fail(message: string): never {
  console.error(`schema-dump: ${message}`);
  process.exit(1);
}

/** pg_dump of the server's major version (an older pg_dump refuses a newer server). */
async function pgDump(major: number): Promise<string> {
  const candidates = [process.env.PG_DUMP, `/usr/lib/postgresql/${major}/bin/pg_dump`, 'pg_dump'].filter(Boolean) as string[];
  for (const bin of candidates) {
    if (bin.includes('/') && !existsSync(bin)) continue;
    const version = await run(bin, ['--version']).catch(() => null);
    const m = version && /\s(\d+)(?:\.\d+)*/.exec(version.stdout);
    if (m && Number(m[1]) === major) return bin;
  }
  fail(
    `no pg_dump of PostgreSQL ${major} (tried ${candidates.join(', ')}): install it (Debian: apt-get install postgresql-client-${major}, from apt.postgresql.org for 18) or set PG_DUMP`,
  );
}

/** The dump without what changes from run to run. */
export function normalise(dump: string): string {
  return `${dump
    .split('\n')
    .filter((l) => !/^-- Dumped (from database|by pg_dump) version /.test(l) && !/^\\(un)?restrict /.test(l))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

async function main(): Promise<void> {
  const admin = connect(server, { max: 1, onNotice: () => {} });
  let version: number;
  try {
    const [row] = await admin<{ v: number }[]>`select current_setting('server_version_num')::int / 10000 as v`;
    version = row!.v;
  } catch (err) {
    await admin.end({ timeout: 1 });
    fail(`cannot connect to ${new URL(server).host} (SCHEMA_DUMP_URL): ${(err as Error).message}`);
  }
  const bin = await pgDump(version);
  const name = `scoreline_schema_${randomBytes(5).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  let dump: string;
  try {
    const url = withDatabase(server, name);
    await migrate(url, { log: silent });
    const db = connect(url, { max: 1, onNotice: () => {} });
    const partitions = await db<{ name: string }[]>`
      select format('%I.%I', n.nspname, c.relname) as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relispartition order by 1`;
    await db.end();
    const args = [
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      '--quote-all-identifiers',
      ...partitions.map((p) => `--exclude-table=${p.name}`),
    ];
    const out = await run(bin, [...args, '--dbname', url], { maxBuffer: 256 * 1024 * 1024 });
    dump = normalise(out.stdout);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
  const header = `-- db/schema.sql: the schema \`scoreline migrate\` creates, as pg_dump ${version} prints it (make schema-dump;\n-- make schema-check fails when it is not current). Partitions are left out: their names follow dates.\n-- Read it, diff it; never load it: migrations and sql/ are the source (make migrate).\n\n`;
  const text = header + dump;
  if (check) {
    const committed = await fs.readFile(target, 'utf8').catch(() => '');
    if (committed === text) {
      console.log(`db/schema.sql is current (pg_dump ${version})`);
      return;
    }
    const fresh = `${target}.new`;
    await fs.writeFile(fresh, text);
    const diff = await run('diff', ['-u', target, fresh]).catch((e: { stdout: string }) => e);
    console.error(diff.stdout.split('\n').slice(0, 60).join('\n'));
    await fs.rm(fresh);
    fail(`${path.relative(repoRoot, target)} differs from a fresh dump (pg_dump ${version}, above): run make schema-dump and commit it`);
  }
  await fs.writeFile(target, text);
  console.log(`wrote db/schema.sql (pg_dump ${version}, ${text.split('\n').length} lines)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
