// Roles and least privilege (sql/090_roles.sql, docs/security.md): each role acting
// through `set local role` proves what it may do, and the rest is denied with 42501.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { migrate, migrationsDir, rolePrefix } from '../src/migrate.ts';
import { games, league, models, predict } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { asRole, asRoleSession } from './helpers/roles.ts';

const denied = { code: '42501' };

t.test('the five roles exist, cannot log in, and are recorded in core.db_role', async (t) => {
  const { sql } = await testDb(t);
  const rows = await sql<{ kind: string; role_name: string; rolcanlogin: boolean; rolsuper: boolean }[]>`
    select d.kind, d.role_name, r.rolcanlogin, r.rolsuper
      from core.db_role d join pg_roles r on r.rolname = d.role_name order by d.kind`;
  t.same(
    rows.map((r) => [r.kind, r.role_name, r.rolcanlogin, r.rolsuper]),
    [
      ['app', 'scoreline_app', false, false],
      ['checker', 'scoreline_checker', false, false],
      ['owner', 'scoreline_owner', false, false],
      ['reader', 'scoreline_reader', false, false],
      ['worker', 'scoreline_worker', false, false],
    ],
  );
  await rejectsWith(t, sql`select core.role_name('admin')`, { code: 'SL140', message: /no admin role recorded in core\.db_role/ });
  await rejectsWith(t, sql`insert into core.db_role (kind, role_name) values ('admin', 'x_admin')`, {
    code: '23514',
    constraint: 'db_role_kind_known',
  });
  await rejectsWith(t, sql`insert into core.db_role (kind, role_name) values ('app', 'other_app')`, {
    code: '23505',
    constraint: 'db_role_pkey',
  });
  await sql`delete from core.db_role where kind = 'reader'`;
  await rejectsWith(t, sql`insert into core.db_role (kind, role_name) values ('reader', 'scoreline_app')`, {
    code: '23505',
    constraint: 'db_role_name_key',
  });
});

t.test('every security definer function in the scoreline schemas pins search_path', async (t) => {
  const { sql } = await testDb(t);
  const [n] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace
     where ns.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker') and p.prosecdef`;
  t.ok(n!.n >= 10, `the scan sees security definer functions (${n!.n})`);
  const bad = await sql<{ fn: string }[]>`
    select p.oid::regprocedure::text as fn
      from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace
     where ns.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker')
       and p.prosecdef
       and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
     order by 1`;
  t.same(
    bad.map((r) => r.fn),
    [],
    'security definer functions without a pinned search_path',
  );
});

t.test('PUBLIC has no privileges on the scoreline schemas, their tables or functions', async (t) => {
  const { sql } = await testDb(t);
  const rows = await sql<{ what: string }[]>`
    select 'schema ' || n.nspname as what from pg_namespace n
     where n.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker')
       and (has_schema_privilege('public', n.oid, 'usage') or has_schema_privilege('public', n.oid, 'create'))
    union all
    select 'function ' || p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker')
       and exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0)
    union all
    select 'table ' || c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker')
       and exists (select from aclexplode(c.relacl) a where a.grantee = 0)`;
  t.same(
    rows.map((r) => r.what),
    [],
  );
});

t.test('app: writes its picks and bets, reads events, markets and stats; nothing else', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'ra', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const [u] = await sql<
    { id: number }[]
  >`insert into forecast.forecaster (kind, name, handle) values ('user', 'Ann', 'ann') returning forecaster_id::int as id`;
  const userId = u!.id;

  const picked = await asRole(
    sql,
    'app',
    async (tx) => {
      await tx`insert into forecast.prediction (forecaster_id, selection_id, odds, probability) values (${userId}, ${g!.home}, 2.1, 0.5)`;
      await tx`update forecast.prediction set selection_id = ${g!.away} where forecaster_id = ${userId}`;
      const events = await tx`select event_id from core.event`;
      const stats = await tx`select * from stats.player_stats`;
      const picks = await tx<{ selection_id: number }[]>`select selection_id::int from forecast.pick`;
      return { events: events.length, stats: stats.length, picks: picks.map((p) => p.selection_id) };
    },
    userId,
  );
  t.same(picked, { events: 1, stats: 0, picks: [g!.away] }, 'picks, changes and reads back its own pick');

  // bets: a strategy made by the owner, a source exists
  const [st] = await sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('s', '1') returning strategy_id as id`;
  const [src] = await sql<{ id: number }[]>`select source_id as id from market.source limit 1`;
  if (src) {
    await asRole(
      sql,
      'app',
      (tx) =>
        tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake) values (${st!.id}, ${g!.home}, ${src.id}, 'back', 2.5, 10)`,
    );
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from trade.bet`;
    t.equal(n!.n, 1, 'the app places a bet');
    await rejectsWith(
      t,
      asRole(sql, 'app', (tx) => tx`update trade.bet set stake = 20`),
      denied,
      'the app cannot change a bet',
    );
  }

  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`update core.event set venue = 'x'`),
    denied,
    'app cannot update core.event',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`insert into core.team (sport_id, code, name) values (1, 'X', 'X')`),
    denied,
    'app cannot insert reference data',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`delete from stats.player_stats`),
    denied,
    'app cannot write stats',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) =>
        tx`insert into forecast.prediction_score (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, result_version) values (1, 1, 1, 'win', 1, 1, 0, 0)`,
    ),
    denied,
    'app cannot write scores',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`insert into forecast.forecaster (kind, name, handle) values ('user', 'Eve', 'eve')`),
    denied,
    'app cannot create forecasters',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select worker.score_event(${g!.event_id}, null)`),
    denied,
    'app cannot call worker procedures',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`call refresh.run_due('manual')`),
    denied,
    'app cannot call refresh procedures',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.score_event(${g!.event_id})`),
    denied,
    'app cannot score',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select * from refresh.run`),
    denied,
    'app cannot read the refresh audit',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select * from ingest.batch`),
    denied,
    'app cannot read ingest',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select core.correct_event_result(${g!.event_id}, 'completed', 1::smallint, 0::smallint, 'x')`),
    denied,
    'app cannot correct results',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select * from graphile_worker._private_jobs`),
    denied,
    'app cannot read the job queue',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select graphile_worker.add_job('score_event', '{}'::json)`),
    denied,
    'app cannot enqueue jobs',
  );
});

t.test('app: setting scoreline.correcting_event does not unlock a settled result (SL002)', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'rc', teams: 4 });
  const [g] = await games(sql, lg, 1);
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;
  // the worker has update on core.event (ingest): the setting does not help it either
  await rejectsWith(
    t,
    asRole(sql, 'worker', async (tx) => {
      await tx`select set_config('scoreline.correcting_event', ${String(g!.event_id)}, true)`;
      await tx`update core.event set home_score = 5 where event_id = ${g!.event_id}`;
    }),
    { code: 'SL002', message: /result cannot be changed by an update/ },
    'a worker session setting the GUC itself gets SL002',
  );
  const [ev] = await sql<
    { home_score: number; result_version: number }[]
  >`select home_score, result_version from core.event where event_id = ${g!.event_id}`;
  t.same(ev, { home_score: 1, result_version: 0 }, 'the result is unchanged');

  // the worker corrects through core.correct_event_result, which leaves a trace
  await asRole(
    sql,
    'worker',
    (tx) => tx`select core.correct_event_result(${g!.event_id}, 'completed', 2::smallint, 0::smallint, 'feed correction')`,
  );
  const [after] = await sql<{ home_score: number; traces: number }[]>`
    select e.home_score, (select count(*)::int from core.event_correction c where c.event_id = e.event_id) as traces
      from core.event e where e.event_id = ${g!.event_id}`;
  t.same(after, { home_score: 2, traces: 1 }, 'the function corrects and records');

  // the owner role may correct directly (a DBA repairing data)
  await asRole(sql, 'owner', async (tx) => {
    await tx`select set_config('scoreline.correcting_event', ${String(g!.event_id)}, true)`;
    await tx`update core.event set home_score = 3 where event_id = ${g!.event_id}`;
  });
  const [own] = await sql<{ home_score: number }[]>`select home_score from core.event where event_id = ${g!.event_id}`;
  t.equal(own!.home_score, 3, 'the owner role is allowed');
});

t.test('worker: scores an event, refreshes, maintains; cannot write a user pick', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'rw', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const [m1, m2] = await models(sql, ['m1', 'm2']);
  await predict(sql, m1!, g!.home);
  await predict(sql, m2!, g!.away);
  const [u] = await sql<
    { id: number }[]
  >`insert into forecast.forecaster (kind, name, handle) values ('user', 'Bo', 'bo') returning forecaster_id::int as id`;
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${u!.id}, ${g!.draw})`;
  await sql`update core.event set scheduled_start = now() - interval '1 hour', status = 'in_progress' where event_id = ${g!.event_id}`;

  await asRole(sql, 'worker', async (tx) => {
    await tx`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g!.event_id}`;
  });
  const result = await asRole(sql, 'worker', (tx) => tx<{ r: unknown }[]>`select worker.score_event(${g!.event_id}, null) as r`);
  t.ok(result[0]?.r, 'worker.score_event runs as the worker');
  const [scored] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score where event_id = ${g!.event_id}`;
  t.equal(scored!.n, 3, 'every prediction scored, the user pick included (the worker reads all)');

  await asRoleSession(sql, 'worker', (s) => s`call refresh.run_due('manual')`);
  const [failed] = await sql<{ n: number; errors: string | null }[]>`
    select count(*)::int as n, string_agg(error_sqlstate || ' ' || error_message, '; ') as errors from refresh.run where status = 'failed'`;
  t.equal(failed!.n, 0, `refresh.run_due as the worker: no failed run ${failed!.errors ?? ''}`);
  const [ran] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run where status = 'success'`;
  t.ok(ran!.n > 0, 'refresh.run_due refreshed objects');

  await asRole(sql, 'worker', (tx) => tx`select worker.nightly_sync()`);
  await asRole(sql, 'worker', (tx) => tx`select worker.enqueue_unscored()`);
  await asRole(sql, 'worker', (tx) => tx`select worker.beat('p1', array['w1'], 'h', 1, 1)`);
  await asRole(sql, 'worker', (tx) => tx`select worker.recover_stale_workers(interval '1 minute', 'p1')`);
  await asRoleSession(sql, 'worker', (s) => s`call worker.maintain()`);
  t.pass(
    'nightly_sync, enqueue_unscored, beat, recover_stale_workers and worker.maintain (partition maintenance, reaper) run as the worker',
  );
  await asRole(sql, 'worker', (tx) => tx`select count(*) from graphile_worker._private_jobs`);
  t.pass('the worker reads its job queue');

  // a model prediction: yes; a user's pick: no (row-level security)
  const [g2] = await games(sql, lg, 1, 'h');
  await asRole(sql, 'worker', (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${m1!}, ${g2!.home})`);
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${u!.id}, ${g2!.home})`),
    { code: '42501', message: /row-level security/ },
    'the worker cannot insert a pick for a user',
  );
  const [changed] = await asRole(
    sql,
    'worker',
    (tx) => tx<{ n: number }[]>`
    with d as (delete from forecast.prediction where forecaster_id = ${u!.id} returning 1) select count(*)::int as n from d`,
  );
  t.equal(changed!.n, 0, 'nor delete a user pick');
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`create table core.x (a int)`),
    denied,
    'the worker creates nothing',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select forecast.create_demo_picks(1, 1)`),
    denied,
    'the worker cannot make demo user picks',
  );
});

t.test('reader: stats and refresh.status only', async (t) => {
  const { sql } = await testDb(t);
  const views = await sql<{ name: string }[]>`
    select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'stats' and c.relkind in ('r', 'v', 'm', 'p') and c.relispopulated order by 1`;
  t.ok(views.length >= 5, 'stats has tables and views');
  for (const v of views) {
    await asRole(sql, 'reader', (tx) => tx.unsafe(`select * from ${v.name} limit 1`));
  }
  t.pass(`the reader selects from every stats relation (${views.length})`);
  await asRole(sql, 'reader', (tx) => tx`select * from refresh.status`);
  t.pass('the reader selects refresh.status');

  for (const what of [
    'select * from refresh.run',
    'select * from refresh.object',
    'select * from core.event',
    'select * from market.market',
    'select * from forecast.prediction',
    'select * from forecast.pick',
    'select * from trade.bet',
    'select * from worker.job',
    'select * from graphile_worker._private_jobs',
    "call refresh.run_due('manual')",
    'select stats.rebuild_model_stats()',
    'delete from stats.player_stats',
  ]) {
    await rejectsWith(
      t,
      asRole(sql, 'reader', (tx) => tx.unsafe(what)),
      denied,
      `reader: ${what} is denied`,
    );
  }
});

t.test('owner: all the data in the scoreline schemas, none of the code; job queue internals for the worker and owner only', async (t) => {
  const { sql } = await testDb(t);
  await asRole(sql, 'owner', async (tx) => {
    await tx`select * from graphile_worker._private_jobs`;
    await tx`select * from refresh.run`;
    await tx`update core.db_role set role_name = role_name where kind = 'owner'`;
  });
  t.pass('the owner reads and writes anywhere');
  await rejectsWith(
    t,
    asRole(sql, 'owner', (tx) => tx`create table core.owner_probe (a int)`),
    { code: '42501', message: /permission denied for schema core/ },
    'objects are the migrating role’s: the owner role creates none (test/security/ddl-hooks.test.ts)',
  );
  for (const kind of ['app', 'reader'] as const) {
    await rejectsWith(
      t,
      asRole(sql, kind, (tx) => tx`select * from graphile_worker._private_job_queues`),
      denied,
      `${kind} denied on graphile_worker`,
    );
    await rejectsWith(
      t,
      asRole(sql, kind, (tx) => tx`select graphile_worker.add_job('x', '{}'::json)`),
      denied,
      `${kind} cannot call graphile_worker functions`,
    );
  }
});

t.test('SCORELINE_ROLE_PREFIX names the roles of a newly migrated database', async (t) => {
  t.equal(rolePrefix({}), 'scoreline', 'the default prefix');
  t.equal(rolePrefix({ SCORELINE_ROLE_PREFIX: ' acme_sl ' }), 'acme_sl', 'trimmed');
  t.throws(
    () => rolePrefix({ SCORELINE_ROLE_PREFIX: 'Acme-SL' }),
    /SCORELINE_ROLE_PREFIX "Acme-SL": lower-case letters/,
    'a bad prefix is refused',
  );

  const { sql, url } = await testDb(t, { empty: true });
  const prefix = `sltest_${randomBytes(4).toString('hex')}`;
  const saved = process.env.SCORELINE_ROLE_PREFIX;
  process.env.SCORELINE_ROLE_PREFIX = prefix;
  try {
    await migrate(url);
  } finally {
    if (saved === undefined) delete process.env.SCORELINE_ROLE_PREFIX;
    else process.env.SCORELINE_ROLE_PREFIX = saved;
  }
  const names = [`${prefix}_app`, `${prefix}_checker`, `${prefix}_owner`, `${prefix}_reader`, `${prefix}_worker`];
  t.teardown(async () => {
    await sql.unsafe(`drop owned by ${names.join(', ')}`);
    for (const n of names) await sql.unsafe(`drop role if exists ${n}`);
  });
  const recorded = await sql<{ role_name: string }[]>`select role_name from core.db_role order by role_name`;
  t.same(
    recorded.map((r) => r.role_name),
    names,
    'the roles are recorded with the prefix',
  );
  const [can] = await sql<{ reader: boolean; app: boolean }[]>`
    select has_table_privilege(${`${prefix}_reader`}, 'refresh.status', 'select') as reader,
           has_table_privilege(${`${prefix}_app`}, 'refresh.status', 'select') as app`;
  t.same(can, { reader: true, app: false }, 'and granted to');
});

t.test('the roles migration refuses a bad prefix (SL140)', async (t) => {
  const { sql } = await testDb(t, { empty: true });
  const text = await fs.readFile(path.join(migrationsDir, '20261108000100_roles.sql'), 'utf8');
  const up = text.split('-- migrate:down')[0]!;
  await sql`create schema core`;
  await rejectsWith(
    t,
    sql.begin(async (tx) => {
      await tx`select set_config('scoreline.role_prefix', 'Robert''); drop table x; --', true)`;
      await tx.unsafe(up);
    }),
    { code: 'SL140', message: /a role prefix is lower-case letters, digits and _/ },
  );
});
