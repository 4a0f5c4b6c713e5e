// `make lint`: plpgsql_check over every PL/pgSQL function of a freshly migrated database, and every
// trigger function with each relation it is a trigger of (and the names of that trigger's transition
// tables). Passes with 0 errors and 0 warnings.
//
// Level: plpgsql_check's defaults (other and extra warnings: unused variables and parameters, dead
// code, implicit casts that can fail, ...) plus security warnings (dynamic SQL built from text that is
// not quoted); performance warnings (implicit casts between compatible types, volatility that could
// be stable) are off. A known false positive is silenced in the function itself, with a one-line
// reason next to it: `perform 'PRAGMA:TABLE: pg_temp.x (...)'` for a staging table the function
// creates at run time, `perform 'PRAGMA:DISABLE:...'` / `'PRAGMA:ENABLE:...'` around a statement.
//
// Where: PLPGSQL_CHECK_URL (a server where plpgsql_check is available; a throwaway database is
// created there and dropped); else DATABASE_URL's server when it has the extension; else the
// machine's PostgreSQL 15 (postgres://postgres:postgres@127.0.0.1:5432, where Debian's
// postgresql-15-plpgsql-check installs it). When none has it, it says so and skips — unless
// PLPGSQL_CHECK_REQUIRED=1 (CI), where that fails.
import { randomBytes } from 'node:crypto';
import { connect, withDatabase } from '../src/db.ts';
import { migrate } from '../src/migrate.ts';

const required = process.env.PLPGSQL_CHECK_REQUIRED === '1';
const candidates = process.env.PLPGSQL_CHECK_URL
  ? [process.env.PLPGSQL_CHECK_URL]
  : [...(process.env.DATABASE_URL ? [process.env.DATABASE_URL] : []), 'postgres://postgres:postgres@127.0.0.1:5432/postgres'];
const shown = (url: string) => {
  const u = new URL(url);
  u.password = u.password ? '***' : '';
  return u.toString();
};

function skip(reason: string): never {
  console.log(`plpgsql_check: skipped, ${reason}`);
  if (required) {
    console.error('PLPGSQL_CHECK_REQUIRED=1: plpgsql_check must run (CI installs postgresql-15-plpgsql-check and starts PostgreSQL 15)');
    process.exit(1);
  }
  process.exit(0);
}

interface Finding {
  fn: string;
  rel: string | null;
  level: string;
  message: string;
  lineno: number | null;
  statement: string | null;
  sqlstate: string | null;
  detail: string | null;
  hint: string | null;
  query: string | null;
}

/** The first candidate server that answers and has the extension, or why none did. */
async function findServer(): Promise<{ url: string; admin: ReturnType<typeof connect> } | { reasons: string[] }> {
  const reasons: string[] = [];
  for (const url of candidates) {
    const admin = connect(url, { max: 1, onNotice: () => {} });
    try {
      const [row] = await admin<{ ok: boolean }[]>`select exists (select from pg_available_extensions where name = 'plpgsql_check') as ok`;
      if (row?.ok) return { url, admin };
      reasons.push(`${shown(url)} does not have the extension (apt-get install postgresql-15-plpgsql-check)`);
    } catch (err) {
      reasons.push(`no PostgreSQL answers at ${shown(url)} (${(err as Error).message}; start it: pg_ctlcluster 15 main start)`);
    }
    await admin.end({ timeout: 1 }).catch(() => {});
  }
  return { reasons };
}
const found = await findServer();
if ('reasons' in found) skip(`${found.reasons.join('; ')}; or set PLPGSQL_CHECK_URL`);
const { url: serverUrl, admin } = found;

const name = `scoreline_plpgsql_check_${randomBytes(4).toString('hex')}`;
const started = Date.now();
let findings: Finding[] = [];
let checked = 0;
await admin.unsafe(`create database ${name}`);
try {
  const url = withDatabase(serverUrl, name);
  await migrate(url);
  const sql = connect(url, { max: 1, onNotice: () => {} });
  try {
    await sql`create extension plpgsql_check`;
    // The two run-time tables of the ingest merges that ON CONFLICT needs a primary key on:
    // plpgsql_check's table pragma takes no constraints, so this session creates them as the
    // merges do (sql/070_ingest_common.sql, sql/073_ingest_nfl_players.sql ...). The other
    // run-time tables are declared by a pragma in the function that uses them.
    await sql`create temporary table ingest_touched (event_id bigint primary key, is_new boolean not null, corrected boolean not null default false)`;
    await sql`create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null)`;
    // Each PL/pgSQL function of the project (not of extensions, not graphile-worker's own), with
    // each relation it is a trigger of; a trigger function that no trigger uses yet (the staleness
    // triggers are installed at run time) is checked against each of its triggers once they exist,
    // and reported here when it has none.
    const targets = await sql<
      { fn: string; oid: number; rel: number; is_trigger: boolean; oldtable: string | null; newtable: string | null }[]
    >`
      select p.oid::regprocedure::text as fn, p.oid::int as oid, coalesce(t.tgrelid, 0)::int as rel,
             p.prorettype = 'trigger'::regtype as is_trigger, t.oldtable, t.newtable
        from pg_proc p
        join pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
        join pg_namespace n on n.oid = p.pronamespace
        left join lateral (
          -- one check per relation, with the transition tables any of the function's triggers on it names
          select g.tgrelid, min(g.tgoldtable) as oldtable, min(g.tgnewtable) as newtable
            from pg_trigger g where g.tgfoid = p.oid group by g.tgrelid
        ) t on p.prorettype = 'trigger'::regtype
       where n.nspname not in ('pg_catalog', 'information_schema', 'graphile_worker', 'public')
         and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       order by 1, 3`;
    for (const t of targets) {
      if (t.is_trigger && !t.rel) {
        findings.push({
          fn: t.fn,
          rel: null,
          level: 'error',
          message: 'a trigger function no trigger uses: it cannot be checked (give it a trigger, or drop it)',
          lineno: null,
          statement: null,
          sqlstate: null,
          detail: null,
          hint: null,
          query: null,
        });
        continue;
      }
      checked++;
      try {
        const rows = await sql<Finding[]>`
        select ${t.fn} as fn, ${t.rel ? sql`${t.rel}::regclass::text` : sql`null`} as rel,
               r.level, r.message, r.lineno, r.statement, r.sqlstate, r.detail, r.hint, r.query
          from plpgsql_check_function_tb(${t.oid}::regprocedure, ${t.rel}::regclass,
                 fatal_errors => false, other_warnings => true, extra_warnings => true,
                 performance_warnings => false, security_warnings => true,
                 oldtable => ${t.oldtable}, newtable => ${t.newtable}) r`;
        findings = findings.concat(rows);
      } catch (err) {
        // the check itself failed (e.g. an in-comment option it cannot parse)
        findings.push({
          fn: t.fn,
          rel: null,
          level: 'error',
          message: `plpgsql_check failed: ${(err as Error).message}`,
          lineno: null,
          statement: null,
          sqlstate: null,
          detail: null,
          hint: null,
          query: null,
        });
      }
    }
  } finally {
    await sql.end();
  }
} finally {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (findings.length) {
  for (const f of findings) {
    const where = `${f.fn}${f.rel ? ` (trigger on ${f.rel})` : ''}${f.lineno ? ` line ${f.lineno}` : ''}${f.statement ? ` ${f.statement}` : ''}`;
    console.error(`${f.level}: ${where}: ${f.message}${f.sqlstate && f.sqlstate !== '00000' ? ` [${f.sqlstate}]` : ''}`);
    if (f.detail) console.error(`  detail: ${f.detail}`);
    if (f.hint) console.error(`  hint: ${f.hint}`);
    if (f.query) console.error(`  query: ${f.query.replace(/\s+/g, ' ').trim().slice(0, 200)}`);
  }
  const errors = findings.filter((f) => f.level === 'error').length;
  console.error(
    `plpgsql_check: ${errors} errors, ${findings.length - errors} warnings in ${checked} checks (${seconds} s). ` +
      'Fix them in sql/; a false positive is silenced in the function with a pragma and a one-line reason (scripts/plpgsql-check.ts).',
  );
  process.exit(1);
}
console.log(`plpgsql_check: 0 errors, 0 warnings in ${checked} checks of the PL/pgSQL functions and triggers (${seconds} s)`);
