import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { migrate, SqlFileError, sqlDir } from '../src/migrate.ts';
import { testDb } from './helpers/db.ts';

t.test('a second migrate applies nothing', async (t) => {
  const db = await testDb(t, { empty: true });
  const first = await migrate(db.url);
  t.ok(first.migrations.length >= 3, `first run applies the migrations (${first.migrations.length})`);
  t.ok(first.sqlFiles.length >= 2, 'first run applies sql/');
  const second = await migrate(db.url);
  t.same(second.migrations, [], 'second run applies no migration');
  t.same(second.sqlFiles, [], 'second run applies no sql/ file');
});

t.test('two migrates at once: one applies, the other waits and applies nothing', async (t) => {
  const db = await testDb(t, { empty: true });
  const [a, b] = await Promise.all([migrate(db.url), migrate(db.url)]);
  const appliers = [a, b].filter((r) => r.migrations.length > 0);
  t.equal(appliers.length, 1, 'exactly one run applied migrations');
  const waiter = a.migrations.length ? b : a;
  t.ok(waiter.waitedForLock, 'the other one waited for the advisory lock');
  t.same(waiter.migrations, [], 'and applied no migration');
  t.same(waiter.sqlFiles, [], 'and no sql/ file');
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.schema_migrations`;
  t.equal(row?.n, a.migrations.length + b.migrations.length, 'each migration recorded once');
});

t.test('an upgraded database ends with the shared trigger functions and the _990_ staleness triggers only', async (t) => {
  const db = await testDb(t);
  const { sql } = db;
  const triggers = () => sql<{ rel: string; name: string; fn: string }[]>`
    select tgrelid::regclass::text as rel, tgname as name, tgfoid::regprocedure::text as fn
      from pg_trigger where not tgisinternal order by 1, 2`;
  const fresh = await triggers();
  t.ok(
    fresh.filter((r) => r.fn === 'refresh.tg__mark_stale()').every((r) => r.name.startsWith('_990_refresh_stale_')),
    'a fresh database: the staleness triggers are _990_refresh_stale_*',
  );

  // What an upgraded database may carry: the shared trigger functions under their
  // table-style names, the staleness triggers named zz_refresh_stale_*, and a table that
  // no registered object reads still carrying them.
  const renames: [string, string][] = [
    ['refresh.tg__mark_stale', 'refresh.tg_source__mark_stale'],
    ['refresh.tg__sync_sources', 'refresh.tg_registry__sync_sources'],
    ['market.tg__keep_odds_key', 'market.tg_odds_key__keep'],
  ];
  await sql.begin(async (tx) => {
    for (const [now, old] of renames) {
      const [fn] = await tx<{ def: string }[]>`select pg_get_functiondef(${now + '()'}::regprocedure) as def`;
      await tx.unsafe(fn!.def.replace(`${now}()`, `${old}()`));
      const uses = await tx<{ rel: string; name: string; def: string }[]>`
        select tgrelid::regclass::text as rel, tgname as name, pg_get_triggerdef(oid) as def
          from pg_trigger where tgfoid = ${now + '()'}::regprocedure`;
      for (const u of uses) {
        await tx.unsafe(`drop trigger ${u.name} on ${u.rel}`);
        await tx.unsafe(
          u.def
            .replace(`FUNCTION ${now}(`, `FUNCTION ${old}(`)
            .replace(/^CREATE TRIGGER _990_refresh_stale_/, 'CREATE TRIGGER zz_refresh_stale_'),
        );
      }
      await tx.unsafe(`drop function ${now}()`);
    }
    await tx`create table public.no_longer_read (x int)`;
    for (const op of ['insert', 'update', 'delete']) {
      await tx.unsafe(`create trigger zz_refresh_stale_${op} after ${op} on public.no_longer_read
        referencing ${op === 'delete' ? 'old' : 'new'} table as changed_rows
        for each statement execute function refresh.tg_source__mark_stale()`);
    }
    await tx.unsafe(`create trigger zz_refresh_stale_truncate after truncate on public.no_longer_read
      for each statement execute function refresh.tg_source__mark_stale()`);
  });
  const before = await triggers();
  t.ok(before.filter((r) => r.name.startsWith('zz_refresh_stale_')).length > 4, 'the old state: zz_refresh_stale_* triggers');
  t.notOk(
    before.some((r) => r.name.startsWith('_990_') || renames.some(([now]) => r.fn === `${now}()`)),
    'the old state: no trigger on the new names',
  );

  await migrate(db.url, { forceSql: true });

  t.same(await triggers(), fresh, 'after migrate --force-sql: the triggers of a fresh database, on the new functions');
  const [gone] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_proc
     where oid in (to_regprocedure('refresh.tg_source__mark_stale()'), to_regprocedure('refresh.tg_registry__sync_sources()'),
                   to_regprocedure('market.tg_odds_key__keep()'))`;
  t.equal(gone?.n, 0, 'the old trigger functions are dropped');
  const [left] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_trigger where tgrelid = 'public.no_longer_read'::regclass`;
  t.equal(left?.n, 0, 'a table no registered object reads loses its old staleness triggers');
});

/** A copy of sql/ with one more file after the others. */
async function sqlWith(t: Test, name: string, text: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-sql-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.cp(sqlDir, dir, { recursive: true });
  await fs.writeFile(path.join(dir, name), text);
  return dir;
}

t.test('a failing sql/ file: the error names the file, the line and the SQLSTATE; nothing of sql/ is applied', async (t) => {
  const db = await testDb(t);
  const [before] = await db.sql<
    { hashes: string }[]
  >`select string_agg(name || sha256, ',' order by name) as hashes from public.scoreline_sql_file`;

  const dir = await sqlWith(t, '999_broken.sql', '-- a file that fails\nselect 1;\nselect * from no_such_table;\n');
  const err = await migrate(db.url, { sqlDir: dir }).catch((e: unknown) => e);
  t.ok(err instanceof SqlFileError, 'a SqlFileError');
  const e = err as SqlFileError;
  t.equal(e.code, '42P01', "the server's SQLSTATE is kept");
  t.equal(e.file, 'sql/999_broken.sql');
  t.equal(e.line, 3, 'the line of the failing statement');
  t.match(e.message, /^sql\/999_broken\.sql line 3: relation "no_such_table" does not exist/, 'the message says where and what');

  const runtime = await sqlWith(
    t,
    '999_raises.sql',
    "do $$ begin raise exception 'boom' using errcode = '22023', hint = 'fix it'; end $$;\n",
  );
  const r = (await migrate(db.url, { sqlDir: runtime }).catch((e: unknown) => e)) as SqlFileError;
  t.equal(r.code, '22023', 'the SQLSTATE of an error raised while the file runs');
  t.equal(r.hint, 'fix it', 'and its hint');
  t.match(r.message, /^sql\/999_raises\.sql: boom\n {2}where: PL\/pgSQL function inline_code_block line 1 at RAISE/, 'with its context');

  const [after] = await db.sql<
    { hashes: string }[]
  >`select string_agg(name || sha256, ',' order by name) as hashes from public.scoreline_sql_file`;
  t.equal(after?.hashes, before?.hashes, 'the recorded sql/ files are unchanged: the whole of sql/ rolled back');
});
