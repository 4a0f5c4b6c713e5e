// `make drift-check`: a database upgraded step by step through the project's history equals a
// fresh one made from the current files. Objects an upgrade leaves behind (removed from sql/ but
// never dropped), a landed migration edited after it ran, a `drop ... if exists` retired too early:
// each shows up as a difference in the catalog (scripts/drift-catalog.sql: tables, columns with
// their types, defaults and not null, constraints, indexes, functions with signature, body md5,
// volatility and security, triggers, event triggers, views, policies, grants, types).
//
// The upgrade mirrors what a production database goes through: for each commit of the history
// that changed db/migrations (oldest first; with --every-commit, each that changed db/migrations
// or sql/), `scoreline migrate` with that commit's files (dbmate applies the migrations it has not
// run yet, then all of sql/ is re-applied); then the current files. The fresh database is
// `scoreline migrate` of the current files alone.
//
//   node --import=tsx scripts/drift-check.ts [--every-commit] [--keep]
//     --every-commit  also the commits that changed only sql/ (slower: about twice the steps)
//     --from-each-step  also migrate a copy of each step's database straight to the current files and
//                     compare it too (a database of any of those states upgraded now); slower, for
//                     deciding whether a `drop ... if exists` in sql/ can be retired
//     --keep          leave both databases for psql
//
// Runs on the embedded PostgreSQL (or DATABASE_URL's server). Exits 1 on any difference.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, databaseUrl, withDatabase } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { migrate } from '../src/migrate.ts';

const keep = process.argv.includes('--keep');
/**
 * Migrations that repair databases which ran a landed migration before it was edited: a step of
 * the history that fails without them is tried again with them (see the note they print).
 */
const REPAIRS = ['20261202060000_landed_migration_edits.sql'];
const everyCommit = process.argv.includes('--every-commit');
const fromEachStep = process.argv.includes('--from-each-step');
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 26 });

let commits: string[];
try {
  if (git('rev-parse', '--is-shallow-repository').trim() === 'true') throw new Error('a shallow clone has no history');
  const paths = everyCommit ? ['db/migrations', 'sql'] : ['db/migrations'];
  commits = git('rev-list', '--reverse', 'HEAD', '--', ...paths)
    .split('\n')
    .filter(Boolean);
} catch (err) {
  console.error(`drift-check: needs the git history of db/migrations and sql/ (${(err as Error).message.split('\n')[0]})`);
  process.exit(1);
}

const catalogSql = fs.readFileSync(path.join(repoRoot, 'scripts', 'drift-catalog.sql'), 'utf8');
const server = await databaseUrl();
const admin = connect(withDatabase(server, 'postgres'), { max: 1, onNotice: () => {} });
const tag = randomBytes(4).toString('hex');
const upgraded = `scoreline_drift_upgraded_${tag}`;
const fresh = `scoreline_drift_fresh_${tag}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scoreline-drift-'));

type Catalog = Map<string, string>;
async function catalog(db: string): Promise<Catalog> {
  const sql = connect(withDatabase(server, db), { max: 1 });
  try {
    const rows = await sql.unsafe<{ kind: string; name: string; def: string | null }[]>(catalogSql);
    return new Map(rows.map((r) => [`${r.kind} ${r.name}`, r.def ?? '']));
  } finally {
    await sql.end();
  }
}

let failed = false;
const notes: string[] = [];
try {
  await admin.unsafe(`create database ${upgraded}`);
  await admin.unsafe(`create database ${fresh}`);
  const freshDone = migrate(withDatabase(server, fresh));
  const freshCatalog = freshDone.then(() => catalog(fresh));
  freshCatalog.catch(() => {});
  const fromStep = new Map<string, number>();

  // the upgrade, one historical step at a time
  for (const [i, commit] of commits.entries()) {
    const dir = path.join(tmp, commit);
    fs.mkdirSync(dir);
    execFileSync('sh', ['-c', `git archive ${commit} db/migrations sql | tar -x -C "${dir}"`], { cwd: repoRoot });
    const sqlDir = path.join(dir, 'sql');
    if (!fs.existsSync(sqlDir)) fs.mkdirSync(sqlDir);
    const migrationsDir = path.join(dir, 'db', 'migrations');
    const step = () => migrate(withDatabase(server, upgraded), { migrationsDir, sqlDir, forceSql: true });
    try {
      await step();
    } catch (err) {
      // A database this step cannot migrate gets the repair migrations, as a production database
      // stuck there would, and the step is tried again; if it still fails it is noted, and the next
      // step goes on from where this one stopped.
      const reason = (err as Error).message.split('\n')[0];
      for (const r of REPAIRS) fs.copyFileSync(path.join(repoRoot, 'db', 'migrations', r), path.join(migrationsDir, r));
      try {
        await step();
        notes.push(`step ${i + 1} (${commit.slice(0, 10)}) migrated only with ${REPAIRS.join(', ')}: ${reason}`);
      } catch (again) {
        notes.push(`step ${i + 1} (${commit.slice(0, 10)}) did not migrate: ${(again as Error).message.split('\n')[0]}`);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (fromEachStep) {
      await freshCatalog;
      const probe = `scoreline_drift_probe_${tag}`;
      await admin.unsafe(`create database ${probe} template ${upgraded}`);
      try {
        await migrate(withDatabase(server, probe), { forceSql: true });
        const c = await catalog(probe);
        const f = await freshCatalog;
        for (const [k, v] of c) if (!f.has(k) || f.get(k) !== v) if (!fromStep.has(k)) fromStep.set(k, i + 1);
        for (const k of f.keys()) if (!c.has(k) && !fromStep.has(k)) fromStep.set(k, i + 1);
      } catch (err) {
        notes.push(
          `a copy of step ${i + 1} (${commit.slice(0, 10)}) did not migrate to the current files: ${(err as Error).message.split('\n')[0]}`,
        );
      } finally {
        await admin.unsafe(`drop database if exists ${probe} with (force)`);
      }
    }
  }
  if (fromEachStep) {
    for (const [k, i] of [...fromStep].sort((x, y) => x[1] - y[1])) {
      console.log(`from step ${i} (${commits[i - 1]!.slice(0, 10)}) upgraded now: ${k} is not as in a fresh database`);
    }
  }
  // and the current files (the working tree, which may not be committed yet)
  try {
    await migrate(withDatabase(server, upgraded), { forceSql: true });
  } catch (err) {
    await freshDone.catch(() => {});
    for (const n of notes) console.log(`note: ${n}`);
    console.error(
      `drift-check: a database upgraded through ${commits.length} steps of the history cannot be migrated to the current files:`,
    );
    console.error(`  ${(err as Error).message}`);
    console.error('A table or column sql/ needs was added to a landed migration after it ran: add it in a new migration.');
    throw Object.assign(new Error('upgrade failed'), { reported: true });
  }
  await freshDone;

  const [a, b] = [await catalog(upgraded), await catalog(fresh)];
  const onlyUpgraded = [...a.keys()].filter((k) => !b.has(k)).sort();
  const onlyFresh = [...b.keys()].filter((k) => !a.has(k)).sort();
  const differ = [...a.keys()].filter((k) => b.has(k) && a.get(k) !== b.get(k)).sort();
  for (const n of notes) console.log(`note: ${n}`);
  if (onlyUpgraded.length || onlyFresh.length || differ.length) {
    failed = true;
    console.error(`drift-check: a database upgraded through ${commits.length} steps of the history differs from a fresh one:`);
    for (const k of onlyUpgraded) console.error(`  only in the upgraded database: ${k}${a.get(k) ? `  ${a.get(k)}` : ''}`);
    for (const k of onlyFresh) console.error(`  only in the fresh database:    ${k}${b.get(k) ? `  ${b.get(k)}` : ''}`);
    for (const k of differ) console.error(`  differs: ${k}\n    upgraded: ${a.get(k)}\n    fresh:    ${b.get(k)}`);
    console.error(
      'An object an upgraded database keeps is retired with a `drop ... if exists` in sql/ (or a new migration); ' +
        'a definition that differs means a landed migration was edited, or sql/ depends on the order things were created in.',
    );
  } else {
    console.log(`drift-check: upgraded through ${commits.length} steps of the history = fresh (${a.size} catalog entries, ${elapsed()})`);
  }
} catch (err) {
  if (!(err as { reported?: boolean }).reported) throw err;
  failed = true;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (keep) console.log(`kept: ${upgraded}, ${fresh}`);
  else for (const db of [upgraded, fresh]) await admin.unsafe(`drop database if exists ${db} with (force)`);
  await admin.end();
}
process.exit(failed ? 1 : 0);
