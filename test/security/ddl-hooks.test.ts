// Attack: escalation through code a superuser runs. Event triggers run their function as
// whoever runs the DDL - a superuser migrating or repairing - and the security definer
// functions owned by a migrating superuser run as it. A login of the owner group that could
// replace such a function, or add a trigger (or a function) that such code fires, gets the
// superuser's rights. So the owner group holds no CREATE on the schemas and no TRIGGER on
// the tables (sql/090_roles.sql), and cannot replace the superuser's functions; where the
// migration login owns the registry's code (the compose install, which may replace it),
// the bootstrap's dispatchers run it as that login, never as the superuser whose DDL fired
// the trigger.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { connect, withDatabase } from '../../src/db.ts';
import { repoRoot } from '../../src/embedded.ts';
import { rejectsWith, serverUrl, testDb } from '../helpers/db.ts';

/** A role of the cluster for this test, dropped (with what it owns in the scratch database) at the end. */
async function scratchRoles(t: Test, names: string[]): Promise<void> {
  t.teardown(async () => {
    const admin = connect(withDatabase(await serverUrl(), 'postgres'), { max: 1 });
    try {
      for (const n of names) await admin.unsafe(`drop role if exists ${n}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
  });
}

t.test('an owner-group login cannot plant code that a superuser’s DDL or settlement runs', async (t) => {
  const login = `sec_owner_${randomBytes(4).toString('hex')}`;
  await scratchRoles(t, [login]);
  const { sql } = await testDb(t);
  await sql.unsafe(`create role ${login} login nosuperuser in role scoreline_owner`);
  const asLogin = (stmt: string) =>
    sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${login}`);
      return tx.unsafe(stmt);
    });

  await rejectsWith(
    t,
    asLogin(`create or replace function refresh.on_ddl_command_end(p_tag text) returns void language sql as 'select'`),
    { code: '42501', message: /must be owner of function on_ddl_command_end|permission denied for schema refresh/ },
    'it cannot replace what the event trigger calls',
  );
  await rejectsWith(
    t,
    asLogin(`create function refresh.planted() returns trigger language plpgsql as 'begin return null; end'`),
    { code: '42501', message: /permission denied for schema refresh/ },
    'it cannot create a function in the schemas (no CREATE)',
  );
  await rejectsWith(
    t,
    asLogin(`create function forecast.planted() returns trigger language plpgsql as 'begin return null; end'`),
    { code: '42501', message: /permission denied for schema forecast/ },
    'nor in forecast',
  );
  for (const table of ['refresh.object', 'forecast.prediction_score', 'market.selection']) {
    await rejectsWith(
      t,
      asLogin(`create trigger planted after insert on ${table} for each statement execute function refresh.tg__mark_stale()`),
      { code: '42501', message: /permission denied for table/ },
      `it cannot add a trigger to ${table} (which refresh.sync, forecast.score_event, market.settle_event write as the superuser)`,
    );
  }

  // the whole attack, as it succeeded: a trigger on the registry that makes the login a superuser
  // when the superuser's event trigger writes it
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${login}`);
      await tx.unsafe(`create function refresh.planted_escalate() returns trigger language plpgsql
                         as $$ begin execute 'alter role ${login} superuser'; return null; end $$`);
      await tx.unsafe(`create trigger planted_escalate after insert or update or delete on refresh.object
                         for each statement execute function refresh.planted_escalate()`);
    });
  } catch {
    // refused above
  }
  await sql`create table stats.hook_probe (x int)`; // the superuser's DDL: the event trigger syncs the registry
  const [r] = await sql<{ rolsuper: boolean; registered: boolean }[]>`
    select (select rolsuper from pg_roles where rolname = ${login}) as rolsuper,
           exists (select from refresh.object where object = 'stats.hook_probe'::regclass) as registered`;
  t.same(r, { rolsuper: false, registered: true }, 'after the superuser’s DDL the login is no superuser; the registry followed');
});

t.test('the bootstrap’s dispatchers run the registry as the migration login, which may replace it', async (t) => {
  if (spawnSync('psql', ['--version']).status !== 0) {
    t.comment('psql is not installed: skipped');
    return;
  }
  const tag = randomBytes(4).toString('hex');
  const mig = `sec_mig_${tag}`;
  const jobs = `sec_jobs_${tag}`;
  await scratchRoles(t, [mig, jobs]); // before the database: teardowns run last first, so the roles go after it
  const { sql, name } = await testDb(t);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-hooks-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const url = new URL(await serverUrl());
  const boot = spawnSync(path.join(repoRoot, 'docker/initdb/scoreline-bootstrap.sh'), [], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      LANG: 'C',
      PGHOST: url.hostname,
      PGPORT: url.port || '5432',
      PGPASSWORD: decodeURIComponent(url.password),
      POSTGRES_USER: decodeURIComponent(url.username),
      POSTGRES_DB: name,
      SCORELINE_MIGRATE_USER: mig,
      SCORELINE_WORKER_USER: jobs,
      SCORELINE_MIGRATE_PASSWORD: randomBytes(9).toString('hex'),
      SCORELINE_WORKER_PASSWORD: randomBytes(9).toString('hex'),
    },
  });
  t.equal(boot.status, 0, 'the bootstrap ran on the database', { out: `${boot.stdout}${boot.stderr}` });
  const [triggers] = await sql<{ fns: string }[]>`
    select string_agg(evtfoid::regproc::text, ',' order by evtname) as fns from pg_event_trigger
     where evtname in ('refresh_sync_on_ddl', 'refresh_sync_on_drop')`;
  t.equal(triggers!.fns, 'scoreline_hook.ddl_command_end,scoreline_hook.sql_drop', 'the event triggers are the bootstrap’s');

  // as in the compose install, the migration login owns the registry's code
  await sql.unsafe(`alter schema refresh owner to ${mig}`);
  await sql.unsafe(`alter function refresh.on_ddl_command_end(text) owner to ${mig}`);
  await sql.unsafe(`alter function refresh.on_sql_drop(text) owner to ${mig}`);
  await sql`create table stats.hook_ok (x int)`;
  const [ok] = await sql<
    { registered: boolean }[]
  >`select exists (select from refresh.object where object = 'stats.hook_ok'::regclass) as registered`;
  t.equal(ok!.registered, true, 'the genuine function registers a new stats table, run as the login');

  // the login replaces it with code that needs a superuser to run
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${mig}`);
    await tx.unsafe(`create or replace function refresh.on_ddl_command_end(p_tag text) returns void
                       language plpgsql security invoker set search_path = pg_catalog, pg_temp
                       as $$ begin execute 'alter role ${mig} superuser'; end $$`);
  });
  const notices: string[] = [];
  const su = connect(withDatabase(await serverUrl(), name), { max: 1, onNotice: (m) => notices.push(m) });
  t.teardown(() => su.end({ timeout: 5 }));
  await su`create table stats.hook_probe (x int)`; // the superuser's DDL fires the dispatcher
  const [after] = await su<{ rolsuper: boolean; me: string; role: string }[]>`
    select (select rolsuper from pg_roles where rolname = ${mig}) as rolsuper, current_user::text as me, current_setting('role') as role`;
  t.same(
    after,
    { rolsuper: false, me: decodeURIComponent(url.username), role: 'none' },
    'the replaced function ran as the login: no superuser for it, and the superuser’s session is itself again',
  );
  t.match(notices.join('\n'), /could not update the registry after CREATE TABLE: .*\(SQLSTATE 42501\)/, 'the failure is a warning');
});
