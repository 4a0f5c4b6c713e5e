// Refresh orchestration: registration by event triggers, dependency discovery,
// staleness triggers, run_due in dependency order with its audit, data-quality gates,
// injection-proof registry entries, the reaper and audit retention.
// Every test builds its own small tables and materialized views in stats and disables
// whatever else the template registered, so it depends on no other area's objects.
import t from 'tap';
import { connect, type Sql } from '../src/db.ts';
import { migrate } from '../src/migrate.ts';
import { dagMermaid, dagText, loadDag, runRefresh } from '../src/refresh.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

async function isolate(sql: Sql): Promise<void> {
  await sql`update refresh.object set enabled = false`;
}

interface StatusRow {
  object: string;
  state: string;
  reason: string | null;
  stale_since: Date | null;
  sla_breached: boolean;
}
async function status(sql: Sql, object: string): Promise<StatusRow | undefined> {
  const [row] = await sql<StatusRow[]>`
    select object::text, state, reason, stale_since, sla_breached from refresh.status where object = ${object}::regclass`;
  return row;
}
async function staleSet(sql: Sql): Promise<string[]> {
  const rows = await sql<{ object: string }[]>`
    select object::text from refresh.object where enabled and stale_since is not null order by 1`;
  return rows.map((r) => r.object);
}
async function runsOf(sql: Sql, group?: string) {
  return sql<
    {
      object_name: string;
      status: string;
      reason: string | null;
      rows_before: string | null;
      rows_after: string | null;
      error_message: string | null;
      error_sqlstate: string | null;
      run_group: string;
    }[]
  >`
    select object_name, status, reason, rows_before::text, rows_after::text, error_message, error_sqlstate, run_group::text
      from refresh.run
     where ${group ?? null}::bigint is null or run_group = ${group ?? null}::bigint
     order by run_id`;
}

/** Two sources, a plain view over one, a chain of materialized views over them. */
async function buildGraph(sql: Sql): Promise<void> {
  await sql.unsafe(`
    create table public.goal (goal_id int primary key, team text not null, minute int not null);
    create table public.card (card_id int primary key, team text not null);
    create table public.unrelated (id int primary key);
    insert into public.goal values (1, 'A', 10), (2, 'B', 20), (3, 'A', 30);
    insert into public.card values (1, 'A');
    create view public.goal_v as select team, minute from public.goal where minute > 0;
    create materialized view stats.team_goals as select team, count(*) as goals from public.goal_v group by team with no data;
    create unique index team_goals_team on stats.team_goals (team);
    create materialized view stats.team_cards as select team, count(*) as cards from public.card group by team with no data;
    create unique index team_cards_team on stats.team_cards (team);
    create materialized view stats.team_summary as
      select g.team, g.goals, coalesce(c.cards, 0) as cards
        from stats.team_goals g left join stats.team_cards c using (team) with no data;
    create unique index team_summary_team on stats.team_summary (team);
  `);
  // checks run as the checker role: a DBA grants it what a check of their own reads
  await sql.unsafe(`do $$ begin execute format('grant select on public.goal, public.card to %I', core.role_name('checker')); end $$`);
}

t.test('creating a materialized view in stats registers it with its dependencies; dropping it unregisters it', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);

  const objects = await sql<{ object: string; kind: string; method: string; registered_by: string }[]>`
    select object::text, kind, method, registered_by from refresh.object
     where object::text like 'stats.team_%' order by 1`;
  t.same(
    objects,
    [
      { object: 'stats.team_cards', kind: 'materialized_view', method: 'concurrent', registered_by: 'event_trigger' },
      { object: 'stats.team_goals', kind: 'materialized_view', method: 'concurrent', registered_by: 'event_trigger' },
      { object: 'stats.team_summary', kind: 'materialized_view', method: 'concurrent', registered_by: 'event_trigger' },
    ],
    'the three views are registered by the event trigger',
  );
  const deps = await sql<{ dependent: string; parent: string; origin: string }[]>`
    select dependent::text, parent::text, origin from refresh.dependency
     where dependent::text like 'stats.team_%' order by 1, 2`;
  t.same(
    deps,
    [
      { dependent: 'stats.team_cards', parent: 'card', origin: 'catalog' },
      { dependent: 'stats.team_goals', parent: 'goal', origin: 'catalog' },
      { dependent: 'stats.team_summary', parent: 'stats.team_cards', origin: 'catalog' },
      { dependent: 'stats.team_summary', parent: 'stats.team_goals', origin: 'catalog' },
    ],
    'dependencies come from the catalog, through the plain view down to its table',
  );
  const triggers = await sql<{ rel: string; n: number }[]>`
    select tgrelid::regclass::text as rel, count(*)::int as n from pg_trigger
     where starts_with(tgname, '_990_refresh_stale_') and tgrelid in ('public.goal'::regclass, 'public.card'::regclass, 'public.unrelated'::regclass)
     group by 1 order by 1`;
  t.same(
    triggers,
    [
      { rel: 'card', n: 4 },
      { rel: 'goal', n: 4 },
    ],
    'staleness triggers on the two sources only',
  );
  t.equal((await status(sql, 'stats.team_goals'))?.state, 'stale', 'an unpopulated view starts stale');

  const [outside] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.object where object::text = 'public.goal'`;
  await sql`create materialized view public.not_stats as select 1 as x`;
  const [outside2] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.object where object::text = 'public.not_stats'`;
  t.equal(outside?.n ?? 0, 0, 'a base table is not registered');
  t.equal(outside2?.n, 0, 'a materialized view outside stats is not registered');

  await sql`drop materialized view stats.team_summary`;
  await sql`drop materialized view stats.team_cards`;
  const left = await sql<{ object: string }[]>`select object::text from refresh.object where object::text like 'stats.team_%'`;
  t.same(
    left.map((r) => r.object),
    ['stats.team_goals'],
    'dropped views are unregistered',
  );
  const [cardTriggers] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_trigger where tgrelid = 'public.card'::regclass and starts_with(tgname, '_990_refresh_stale_')`;
  t.equal(cardTriggers?.n, 0, 'the triggers on a table nothing registered reads any more are removed');
});

t.test('CREATE TABLE AS in stats registers a maintained table; REFRESH CONCURRENTLY temp tables are ignored', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await sql`create table stats.goal_copy as select 1 as goal_id`;
  const [row] = await sql<
    { kind: string; method: string }[]
  >`select kind, method from refresh.object where object = 'stats.goal_copy'::regclass`;
  t.same(row, { kind: 'table', method: 'maintained' }, 'registered as a maintained table');

  await buildGraph(sql);
  await sql`call refresh.run_due()`;
  const before = await sql`select object::text from refresh.object order by 1`;
  const warnings: string[] = [];
  const conn = await sql.reserve();
  try {
    // a populated view with a unique index: REFRESH … CONCURRENTLY creates and drops temp tables
    await conn`refresh materialized view concurrently stats.team_goals`;
  } catch (err) {
    warnings.push(String(err));
  } finally {
    conn.release();
  }
  t.same(warnings, [], 'REFRESH CONCURRENTLY succeeds with the event triggers installed');
  t.same(await sql`select object::text from refresh.object order by 1`, before, 'the registry is unchanged');

  const res = await runRefresh(sql, { object: 'stats.goal_copy' });
  t.same(
    res.runs.map((r) => [r.object_name, r.status]),
    [['stats.goal_copy', 'skipped']],
    'refreshing a maintained table is a no-op audited as skipped',
  );
  t.match(res.runs[0]?.reason, /maintained by triggers/);
});

t.test(
  'maintained objects are the ones triggers keep current in the writing transaction; the rest are refreshed and go stale',
  async (t) => {
    const { sql } = await testDb(t);
    const rows = await sql<{ object: string; method: string; refresh_function: string | null; sources: string[] }[]>`
    select o.object::text, o.method, o.refresh_function,
           coalesce(array_agg(s.source::text order by s.source::text) filter (where s.source is not null), '{}') as sources
      from refresh.object o left join refresh.source s on s.object = o.object
     where o.kind = 'table'
     group by o.object, o.method, o.refresh_function order by 1`;
    const by = new Map(rows.map((r) => [r.object, r]));
    t.same(
      rows.filter((r) => r.method === 'maintained').map((r) => r.object),
      ['stats.model_event_agg', 'stats.model_stats_club_delta', 'stats.model_stats_competition_delta', 'stats.player_stats'],
      // a new table in stats registers itself as maintained: if triggers do not keep it in the
      // writing transaction, register it as method function with its sources (docs/refresh.md)
      'only the tables kept by triggers in the writing transaction are maintained',
    );
    for (const object of ['stats.strategy_performance_hourly', 'stats.strategy_performance_daily']) {
      t.same(
        [by.get(object)?.method, by.get(object)?.refresh_function, by.get(object)?.sources],
        ['function', 'trade.refresh_strategy_performance', ['trade.performance_invalidation']],
        `${object}: method function, stale when bets change (the invalidation log is its source)`,
      );
    }
    t.ok(
      rows.filter((r) => r.method === 'function').every((r) => r.sources.length > 0),
      'every table refreshed by a function has sources, so a change makes it stale',
    );
  },
);

t.test('a write marks exactly its dependents stale; run_due refreshes exactly those, in order, and audits it', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  await sql`call refresh.run_due()`;
  t.same(await staleSet(sql), [], 'after the first run nothing is stale');

  await sql`update public.goal set minute = minute where false`;
  t.same(await staleSet(sql), [], 'a statement that changes no row marks nothing');
  await sql`insert into public.unrelated values (1)`;
  t.same(await staleSet(sql), [], 'a table nothing reads marks nothing');

  await sql`insert into public.card values (2, 'B'), (3, 'B')`;
  t.same(await staleSet(sql), ['stats.team_cards', 'stats.team_summary'], 'cards: its view and the summary over it');
  const plan = await sql<{ object: string; level: number }[]>`select object::text, level from refresh.plan() order by step`;
  t.same(
    plan,
    [
      { object: 'stats.team_cards', level: 0 },
      { object: 'stats.team_summary', level: 1 },
    ],
    'the plan lists exactly those, parents first',
  );
  const dry = await runRefresh(sql, { dryRun: true });
  t.same(
    dry.plan.map((s) => s.object),
    ['stats.team_cards', 'stats.team_summary'],
    'the dry run prints the same plan',
  );
  t.same(await staleSet(sql), ['stats.team_cards', 'stats.team_summary'], 'and changes nothing');

  await sql`call refresh.run_due('cron')`;
  const runs = await sql<
    { object_name: string; status: string; trigger_source: string; method: string; rows_before: string; rows_after: string }[]
  >`
    select object_name, status, trigger_source, method, rows_before::text, rows_after::text
      from refresh.run where run_group = (select max(run_group) from refresh.run) order by run_id`;
  t.same(
    runs,
    [
      {
        object_name: 'stats.team_cards',
        status: 'success',
        trigger_source: 'cron',
        method: 'concurrent',
        rows_before: '1',
        rows_after: '2',
      },
      {
        object_name: 'stats.team_summary',
        status: 'success',
        trigger_source: 'cron',
        method: 'concurrent',
        rows_before: '2',
        rows_after: '2',
      },
    ],
    'the audit shows the two refreshes, in order, CONCURRENTLY, with row counts',
  );
  const [summary] = await sql<{ cards: number }[]>`select cards::int from stats.team_summary where team = 'B'`;
  t.equal(summary?.cards, 2, 'the summary sees the new cards');
  t.same(await staleSet(sql), [], 'nothing is stale any more');

  await sql`delete from public.goal where goal_id = 3`;
  t.same(await staleSet(sql), ['stats.team_goals', 'stats.team_summary'], 'a delete through the plain view marks goals and summary');
  await sql`truncate public.card`;
  t.same(await staleSet(sql), ['stats.team_cards', 'stats.team_goals', 'stats.team_summary'], 'a truncate marks cards too');
});

t.test('--object refreshes that object and its dependents; --force refreshes what is fresh', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  await sql`call refresh.run_due()`;
  const plan = await sql<
    { object: string; reason: string }[]
  >`select object::text, reason from refresh.plan('stats.team_goals') order by step`;
  t.same(
    plan,
    [
      { object: 'stats.team_goals', reason: 'requested' },
      { object: 'stats.team_summary', reason: 'depends on stats.team_goals' },
    ],
    'the object and what depends on it',
  );
  const res = await runRefresh(sql, { object: 'stats.team_goals' });
  t.same(
    res.runs.map((r) => [r.object_name, r.status]),
    [
      ['stats.team_goals', 'success'],
      ['stats.team_summary', 'success'],
    ],
  );
  const forced = await runRefresh(sql, { force: true });
  t.same(
    forced.runs.map((r) => r.object_name),
    ['stats.team_cards', 'stats.team_goals', 'stats.team_summary'],
    '--force refreshes every enabled object, parents first',
  );
  t.ok(forced.runs.every((r) => r.status === 'success'));
});

t.test('priority orders a level; a partition written directly marks stale; frequency makes due; SLA breach shows', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await sql.unsafe(`
    create table public.tick (at date not null, v int not null) partition by range (at);
    create table public.tick_2026 partition of public.tick for values from ('2026-01-01') to ('2027-01-01');
    create materialized view stats.tick_total as select sum(v) as total from public.tick with no data;
    create materialized view stats.tick_count as select count(*) as n from public.tick with no data;
  `);
  await sql`update refresh.object set priority = 500 where object = 'stats.tick_total'::regclass`;
  const plan = await sql<{ object: string }[]>`select object::text from refresh.plan() order by step`;
  t.same(
    plan.map((p) => p.object),
    ['stats.tick_total', 'stats.tick_count'],
    'higher priority first within a level',
  );
  await sql`call refresh.run_due()`;

  await sql`insert into public.tick_2026 values ('2026-05-01', 3)`;
  t.same(await staleSet(sql), ['stats.tick_count', 'stats.tick_total'], 'a write naming the partition marks stale');
  await sql`call refresh.run_due()`;
  await sql`insert into public.tick values ('2026-05-02', 4)`;
  t.same(await staleSet(sql), ['stats.tick_count', 'stats.tick_total'], 'a write through the partitioned parent marks stale');
  await sql`call refresh.run_due()`;

  // DDL runs refresh.sync() only when it can change the registry (counted by track_functions)
  const syncCalls = async (ddl: string): Promise<number> => {
    const [n] = await sql.begin(async (tx) => {
      await tx`set local track_functions = 'pl'`;
      await tx.unsafe(ddl);
      return tx<{ n: number }[]>`
        select coalesce(sum(calls), 0)::int as n from pg_stat_xact_user_functions where schemaname = 'refresh' and funcname = 'sync'`;
    });
    return n!.n;
  };
  t.equal(await syncCalls('create table public.unrelated (x int)'), 0, 'a new table no registered object reads: no sync');
  const partition = await syncCalls(
    `create table public.tick_2027 partition of public.tick for values from ('2027-01-01') to ('2028-01-01')`,
  );
  t.ok(partition > 0, `a new partition of a table a registered object reads: sync (${partition} calls)`);
  await sql`insert into public.tick_2027 values ('2027-05-01', 5)`;
  t.same(await staleSet(sql), ['stats.tick_count', 'stats.tick_total'], 'and a write naming the new partition marks stale');
  await sql`call refresh.run_due()`;
  const inStats = await syncCalls('create table stats.scratch (x int)');
  t.ok(inStats > 0, `a new table in stats: sync (${inStats} calls)`);
  const aView = await syncCalls('create view public.v_unrelated as select 1 as one');
  t.ok(aView > 0, `a view anywhere: sync (${aView} calls)`);
  await sql.unsafe('drop table stats.scratch; drop view public.v_unrelated; drop table public.unrelated');

  await sql`update refresh.object set frequency = interval '1 hour', sla = interval '10 minutes' where object = 'stats.tick_count'::regclass`;
  await sql`update refresh.object set next_refresh_at = now() - interval '1 hour' where object = 'stats.tick_count'::regclass`;
  const st = await status(sql, 'stats.tick_count');
  t.equal(st?.state, 'stale', 'past next_refresh_at it is stale');
  t.equal(st?.sla_breached, true, 'and its SLA is breached when due longer than the SLA');
  t.match(st?.reason, /due since/);
  await sql`call refresh.run_due()`;
  const after = await status(sql, 'stats.tick_count');
  t.equal(after?.state, 'fresh', 'refreshed when due');
  const [next] = await sql<{ ok: boolean }[]>`
    select next_refresh_at > now() + interval '50 minutes' as ok from refresh.object where object = 'stats.tick_count'::regclass`;
  t.ok(next?.ok, 'and scheduled again one frequency later');
});

t.test('a failing error-severity check blocks its hard dependents; fixing the data and refreshing clears it', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  await sql`insert into refresh."check" (name, object, query, expected, severity)
            values ('no_negative_minutes', 'stats.team_goals', 'select count(*) from public.goal where minute < 0', 0, 'error')`;
  await sql`insert into refresh."check" (name, object, query, max_value, severity)
            values ('few_cards', 'stats.team_cards', 'select count(*) from public.card', 100, 'warn')`;
  await sql`call refresh.run_due()`;
  t.same(
    (await runsOf(sql)).map((r) => [r.object_name, r.status]),
    [
      ['stats.team_cards', 'success'],
      ['stats.team_goals', 'success'],
      ['stats.team_summary', 'success'],
    ],
    'with the checks passing, everything refreshes',
  );

  await sql`insert into public.goal values (4, 'C', -5)`;
  await sql`call refresh.run_due()`;
  const group = (await runsOf(sql)).at(-1)!.run_group;
  const runs = await runsOf(sql, group);
  t.same(
    runs.map((r) => [r.object_name, r.status]),
    [
      ['stats.team_goals', 'warning'],
      ['stats.team_summary', 'skipped'],
    ],
  );
  t.match(runs[0]?.error_message, /no_negative_minutes.*value 1, expected = 0/, 'the run says which check failed and how');
  t.equal(runs[0]?.error_sqlstate, 'SL070');
  t.match(
    runs[1]?.reason,
    /blocked: data-quality check 'no_negative_minutes' on stats\.team_goals failed/,
    'the dependent is skipped with the reason',
  );
  t.equal((await status(sql, 'stats.team_goals'))?.state, 'failed', 'status: the checked view fails');
  const blocked = await status(sql, 'stats.team_summary');
  t.equal(blocked?.state, 'blocked', 'status: its dependent is blocked');
  t.match(blocked?.reason, /no_negative_minutes/, 'and says why');

  await sql`insert into public.card values (5, 'C')`;
  await sql`call refresh.run_due()`;
  const runs2 = await runsOf(sql, (await runsOf(sql)).at(-1)!.run_group);
  t.same(
    runs2.map((r) => [r.object_name, r.status]),
    [
      ['stats.team_cards', 'success'],
      ['stats.team_summary', 'skipped'],
    ],
    'a soft failure elsewhere does not unblock it: still skipped',
  );

  await sql`delete from public.goal where minute < 0`;
  await sql`call refresh.run_due()`;
  const runs3 = await runsOf(sql, (await runsOf(sql)).at(-1)!.run_group);
  t.same(
    runs3.map((r) => [r.object_name, r.status]),
    [
      ['stats.team_goals', 'success'],
      ['stats.team_summary', 'success'],
    ],
  );
  t.equal((await status(sql, 'stats.team_summary'))?.state, 'fresh', 'fixed and refreshed: no longer blocked');
  t.equal((await status(sql, 'stats.team_goals'))?.state, 'fresh');
});

t.test('a check whose query errors is a failed check with the error; a soft dependency is not blocked', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  await sql`insert into refresh."check" (name, object, query, expected) values ('broken', 'stats.team_cards', 'select no_such_function()', 0)`;
  await sql`insert into refresh."check" (name, object, query, expected) values ('writes', 'stats.team_goals', 'delete from public.goal returning 0', 0)`;
  await sql`update refresh.dependency set strength = 'soft' where dependent = 'stats.team_summary'::regclass and parent = 'stats.team_cards'::regclass`;
  await sql`call refresh.run_due()`;
  const results = await sql<{ name: string; passed: boolean; error_sqlstate: string; error_message: string }[]>`
    select c.name, r.passed, r.error_sqlstate, r.error_message from refresh.check_result r join refresh."check" c using (check_id) order by c.name`;
  t.equal(results[0]?.name, 'broken');
  t.equal(results[0]?.passed, false, 'a query that errors fails');
  t.equal(results[0]?.error_sqlstate, '42883', 'with its SQLSTATE');
  t.equal(results[1]?.name, 'writes');
  t.equal(results[1]?.error_sqlstate, '25006', 'a check runs read-only: a writing query fails');
  const [goals] = await sql<{ n: number }[]>`select count(*)::int as n from public.goal`;
  t.equal(goals?.n, 3, 'and wrote nothing');
  const summary = await status(sql, 'stats.team_summary');
  t.equal(summary?.state, 'blocked', 'blocked through its hard parent team_goals');
  t.match(summary?.reason, /writes/, 'by the hard parent, not the soft one');
  await sql`update refresh.dependency set strength = 'soft' where dependent = 'stats.team_summary'::regclass`;
  t.equal((await status(sql, 'stats.team_summary'))?.state, 'stale', 'with both parents soft, nothing blocks it');

  const nightly = await sql<{ check_name: string; passed: boolean }[]>`select check_name, passed from refresh.run_checks() order by 1`;
  t.ok(
    nightly.some((c) => c.check_name === 'broken' && !c.passed),
    'refresh.run_checks() runs every check (the nightly report)',
  );
});

t.test('a failed refresh keeps the object stale, blocks hard dependents, and is audited with its SQLSTATE', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await sql.unsafe(`
    create table public.ratio (a int not null, b int not null);
    insert into public.ratio values (1, 1);
    create materialized view stats.ratio_mv as select a / b as r from public.ratio with no data;
    create materialized view stats.ratio_sum as select sum(r) as s from stats.ratio_mv with no data;
  `);
  await sql`call refresh.run_due()`;
  await sql`insert into public.ratio values (1, 0)`;
  await sql`call refresh.run_due()`;
  const runs = await runsOf(sql, (await runsOf(sql)).at(-1)!.run_group);
  t.same(
    runs.map((r) => [r.object_name, r.status]),
    [
      ['stats.ratio_mv', 'failed'],
      ['stats.ratio_sum', 'skipped'],
    ],
  );
  t.equal(runs[0]?.error_sqlstate, '22012', 'the audit keeps the SQLSTATE');
  t.match(runs[0]?.error_message, /division by zero/);
  t.match(runs[1]?.reason, /the last refresh of stats\.ratio_mv failed/);
  const st = await status(sql, 'stats.ratio_mv');
  t.equal(st?.state, 'failed');
  t.ok(st?.stale_since, 'still stale, so the next pass retries');
  t.equal((await status(sql, 'stats.ratio_sum'))?.state, 'blocked');
  await sql`delete from public.ratio where b = 0`;
  await sql`call refresh.run_due()`;
  t.equal((await status(sql, 'stats.ratio_mv'))?.state, 'fresh', 'fixed: refreshed');
  t.equal((await status(sql, 'stats.ratio_sum'))?.state, 'fresh', 'and the dependent too');
});

t.test('registry entries built to inject SQL are rejected or quoted, and nothing else runs', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await sql`create table public.victim (id int)`;
  await sql`create table public.payload (id int primary key)`;
  await sql`create materialized view stats.innocent as select count(*) as n from public.payload`;

  await rejectsWith(
    t,
    sql`update refresh.object set method = 'x(); drop table public.victim; --' where object = 'stats.innocent'::regclass`,
    { code: '23514', constraint: 'object_method_known' },
    'a method that is not one of the four is refused',
  );
  await rejectsWith(
    t,
    sql`update refresh.object set method = 'function', refresh_function = 'x(); drop table public.victim; --' where object = 'stats.innocent'::regclass`,
    { code: 'SL061', message: /not a schema-qualified function name/ },
    'a refresh function that is not a name is refused',
  );
  await rejectsWith(
    t,
    sql`update refresh.object set method = 'function', refresh_function = 'public.victim' where object = 'stats.innocent'::regclass`,
    { code: 'SL061', message: /public\.victim\(regclass, jsonb\) does not exist/ },
    'a name that is no (regclass, jsonb) function is refused',
  );
  await rejectsWith(
    t,
    sql`update refresh.object set parameters = ${sql.json({ lock_timeout: "1s'; drop table public.victim; --" })} where object = 'stats.innocent'::regclass`,
    { code: 'SL062', message: /lock_timeout must be a duration/ },
    'a timeout that is not a duration is refused',
  );
  await rejectsWith(
    t,
    sql`update refresh.object set parameters = ${sql.json({ "x'; drop table public.victim; --": 1 })} where object = 'stats.innocent'::regclass`,
    { code: 'SL062', message: /unknown key/ },
    'an unknown parameter is refused',
  );
  await rejectsWith(
    t,
    sql`insert into refresh.object (object, kind, method) values ('stats.innocent; drop table public.victim'::regclass, 'table', 'full')`,
    { code: '42602', message: /invalid name syntax/ },
    'an object name is a regclass: a name with SQL in it does not parse',
  );

  // Names and arguments with quotes are quoted, never spliced.
  await sql.unsafe(`
    create table stats."odd""; drop table public.victim; --" (id int);
    create function stats."load""; drop table public.victim; --"(p_object regclass, p_parameters jsonb) returns bigint
    language plpgsql as $$
    begin
      execute format('insert into %s select 1', p_object);
      insert into public.payload values ((p_parameters ->> 'n')::int);
      return 1;
    end $$;
  `);
  await sql`update refresh.object
               set method = 'function',
                   refresh_function = ${'stats."load""; drop table public.victim; --"'},
                   parameters = ${sql.json({ args: { n: 7, note: "it's'); drop table public.victim; --" } })}
             where object = ${'stats."odd""; drop table public.victim; --"'}::regclass`;
  const odd = 'stats."odd""; drop table public.victim; --"';
  await sql`call refresh.run_due('manual', ${odd}::regclass)`;
  const [run] = await sql<{ status: string; object_name: string; rows_after: string }[]>`
    select status, object_name, rows_after::text from refresh.run order by run_id desc limit 1`;
  t.same(run, { status: 'success', object_name: odd, rows_after: '1' }, 'the oddly named table is refreshed by its oddly named function');
  const [payload] = await sql<{ id: number }[]>`select id from public.payload`;
  t.equal(payload?.id, 7, 'the arguments arrive as data');
  await sql.unsafe(`create materialized view stats."mv""; drop table public.victim; --" as select 1 as x`);
  await sql.unsafe(`call refresh.run_due('manual', 'stats."mv""; drop table public.victim; --"'::regclass)`);
  const [victim] = await sql<{ ok: boolean }[]>`select to_regclass('public.victim') is not null as ok`;
  t.ok(victim?.ok, 'the victim table still exists: nothing else ran');
  const [failed] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run where status = 'failed'`;
  t.equal(failed?.n, 0, 'and no refresh failed');
});

t.test('bad calls and registry entries fail with their SQLSTATE', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  await rejectsWith(t, sql`select * from refresh.plan('public.goal')`, { code: 'SL060', message: /public\.goal|goal is not registered/ });
  await rejectsWith(t, sql`call refresh.refresh_object('public.goal')`, { code: 'SL060' });
  await rejectsWith(t, sql`call refresh.run_due('cronjob')`, { code: 'SL067', message: /unknown refresh trigger source "cronjob"/ });
  await rejectsWith(t, sql`insert into refresh.object (object, kind, method) values ('public.goal_v', 'table', 'maintained')`, {
    code: 'SL063',
    message: /goal_v is not a materialized view or a table/,
  });
  await rejectsWith(t, sql`insert into refresh.object (object, kind, method) values ('public.goal', 'table', 'concurrent')`, {
    code: 'SL063',
    message: /cannot be refreshed with REFRESH MATERIALIZED VIEW/,
  });
  await rejectsWith(t, sql`update refresh.object set method = 'function' where object = 'stats.team_goals'::regclass`, {
    code: '23514',
    constraint: 'object_function_named_iff_function_method',
  });
  await rejectsWith(
    t,
    sql`insert into refresh.dependency (dependent, parent) values ('stats.team_goals', 'stats.team_summary')`,
    { code: 'SL064', message: /would|already depends/ },
    'a declared dependency closing a cycle is refused',
  );
  await rejectsWith(t, sql`insert into refresh.dependency (dependent, parent) values ('stats.team_goals', 'stats.team_goals')`, {
    code: 'SL064',
  });
  await rejectsWith(t, sql`update refresh.dependency set strength = 'weak' where dependent = 'stats.team_goals'::regclass`, {
    code: '23514',
    constraint: 'dependency_strength_known',
  });
  await rejectsWith(t, sql`update refresh.object set parameters = '[]' where object = 'stats.team_goals'::regclass`, {
    code: '23514',
    constraint: 'object_parameters_is_object',
  });
  await rejectsWith(t, sql`update refresh.object set parameters = '{"count_rows": "yes"}' where object = 'stats.team_goals'::regclass`, {
    code: 'SL062',
    message: /count_rows must be true or false/,
  });
  await rejectsWith(t, sql`update refresh.object set sla = interval '-1 hour' where object = 'stats.team_goals'::regclass`, {
    code: '23514',
    constraint: 'object_sla_positive',
  });
  await rejectsWith(t, sql`update refresh.object set frequency = interval '0' where object = 'stats.team_goals'::regclass`, {
    code: '23514',
    constraint: 'object_frequency_positive',
  });
  await rejectsWith(t, sql`insert into refresh."check" (name, query, severity) values ('c', 'select 1', 'error')`, {
    code: '23514',
    constraint: 'check_has_threshold',
  });
  await rejectsWith(t, sql`insert into refresh."check" (name, query, min_value, max_value) values ('c', 'select 1', 2, 1)`, {
    code: '23514',
    constraint: 'check_range_ordered',
  });
  await rejectsWith(t, sql`insert into refresh."check" (name, query, expected, severity) values ('c', 'select 1', 1, 'fatal')`, {
    code: '23514',
    constraint: 'check_severity_known',
  });
  await rejectsWith(t, sql`insert into refresh."check" (name, query, expected) values ('forecast_no_orphaned_rows', 'select 1', 1)`, {
    code: '23505',
    constraint: 'check_name_key',
  });

  // A declared dependency on a table read inside a function installs its staleness triggers.
  await sql`insert into refresh.dependency (dependent, parent, strength, note) values ('stats.team_cards', 'public.unrelated', 'soft', 'read by a function')`;
  await sql`call refresh.run_due()`;
  await sql`insert into public.unrelated values (9)`;
  t.same(await staleSet(sql), ['stats.team_cards', 'stats.team_summary'], 'a declared source marks its dependent stale');
});

t.test('the reaper fails runs left running by a dead backend and gives back their staleness; audit retention', async (t) => {
  const { sql } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  await sql`call refresh.run_due()`;
  await sql`insert into refresh.run (run_group, object, object_name, trigger_source, status, stale_since, backend_pid, started_at)
            values (0, 'stats.team_cards', 'stats.team_cards', 'cron', 'running', now() - interval '1 hour', 999999, now() - interval '2 minutes')`;
  const plan = await runRefresh(sql, { object: 'stats.team_cards', dryRun: true });
  t.equal(plan.plan[0]?.object, 'stats.team_cards');
  const [reaped] = await sql<{ n: number }[]>`select refresh.reap() as n`;
  t.equal(reaped?.n, 1, 'one run reaped');
  const [run] = await sql<{ status: string; error_sqlstate: string; error_message: string }[]>`
    select status, error_sqlstate, error_message from refresh.run where run_group = 0`;
  t.equal(run?.status, 'failed');
  t.equal(run?.error_sqlstate, 'SL071');
  t.match(run?.error_message, /abandoned: backend 999999/);
  const st = await status(sql, 'stats.team_cards');
  t.equal(st?.state, 'failed', 'its object shows the failure');
  t.ok(st?.stale_since, 'and is stale again');
  await sql`call refresh.run_due()`;
  t.equal((await status(sql, 'stats.team_cards'))?.state, 'fresh', 'the next pass refreshes it');

  await sql`select refresh.ensure_run_partitions(now() - interval '3 years', 0)`;
  await sql`insert into refresh.run (run_group, object_name, trigger_source, status, started_at)
            values (0, 'old', 'cron', 'success', now() - interval '3 years')`;
  const dropped = await sql<{ action: string; partition_name: string }[]>`select * from refresh.maintain_run_partitions('13 months')`;
  t.ok(
    dropped.some((d) => d.action === 'dropped'),
    'a partition past retention is dropped',
  );
  const [old] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run where object_name = 'old'`;
  t.equal(old?.n, 0, 'with its rows');
  const [recent] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run where object_name = 'stats.team_cards'`;
  t.ok((recent?.n ?? 0) > 0, 'recent runs are kept');
  await rejectsWith(t, sql`select * from refresh.maintain_run_partitions('-1 day')`, { code: 'SL068', message: /positive interval/ });
  await rejectsWith(t, sql`insert into refresh.run (object_name, trigger_source, status) values ('x', 'cron', 'done')`, {
    code: '23514',
    constraint: 'run_status_known',
  });
});

t.test('scoreline dag prints the graph as text and as mermaid', async (t) => {
  const { sql } = await testDb(t);
  await buildGraph(sql);
  const dag = await loadDag(sql);
  const nodes = dag.nodes.filter((n) => n.object.startsWith('stats.team_'));
  const edges = dag.edges.filter((e) => e.dependent.startsWith('stats.team_'));
  const text = dagText(nodes, edges);
  t.match(text, /level 0\n(.*\n)*  stats\.team_goals  \[concurrent, stale\]\n    <- goal  \(table, hard, catalog\)/);
  t.match(text, /level 1\n  stats\.team_summary .*\n    <- stats\.team_cards  \(registered, hard, catalog\)/);
  const mermaid = dagMermaid(nodes, edges);
  t.match(mermaid, /^flowchart LR/);
  t.equal(mermaid.split('\n').filter((l) => l.includes('-->')).length, 4, 'one arrow per dependency');
});

t.test('the shipped checks call the forecast and stats functions; re-applying sql/ keeps what a DBA tuned', async (t) => {
  const { sql, url } = await testDb(t);
  const shipped = await sql<{ name: string; object: string | null; severity: string }[]>`
    select name, object::text, severity from refresh."check" order by name`;
  t.same(
    shipped,
    [
      { name: 'forecast_no_duplicate_picks', object: null, severity: 'error' },
      { name: 'forecast_no_orphaned_rows', object: null, severity: 'error' },
      { name: 'forecast_scores_agree_with_selections', object: null, severity: 'error' },
      { name: 'forecast_scores_behind_results', object: null, severity: 'error' },
      { name: 'stats_model_stats_incremental_equals_full', object: 'stats.model_event_agg', severity: 'error' },
      { name: 'stats_model_stats_match_recomputation', object: 'stats.model_stats_competition_agg', severity: 'error' },
      { name: 'stats_unknown_position_share', object: 'stats.player_stats', severity: 'warn' },
      { name: 'trade_bets_agree_with_selections', object: null, severity: 'error' },
    ],
    'the four checks of the seeds, incremental = full (attached to the stats objects they guard), scores and bets agreeing with their selections, scores not behind results',
  );
  const results = await sql<{ check_name: string; passed: boolean; value: string }[]>`
    select check_name, passed, value::text from refresh.run_checks() order by 1`;
  t.ok(
    results.every((r) => r.passed && Number(r.value) === 0),
    'on a clean database every shipped check passes with 0',
    { results },
  );

  await sql`update refresh."check" set max_value = 0.10 where name = 'stats_unknown_position_share'`;
  await sql`update refresh.object set priority = 7 where object = 'stats.model_event_agg'::regclass`;
  const registryBefore = await sql`select object::text, method, priority from refresh.object order by 1`;
  const sourcesBefore = await sql`select source::text, object::text from refresh.source order by 1, 2`;
  await migrate(url, { forceSql: true });
  const [tuned] = await sql<{ max_value: string }[]>`
    select max_value::text from refresh."check" where name = 'stats_unknown_position_share'`;
  t.equal(tuned?.max_value, '0.10', 'a threshold a DBA changed is kept');
  t.same(await sql`select object::text, method, priority from refresh.object order by 1`, registryBefore, 'the registry is unchanged');
  t.same(await sql`select source::text, object::text from refresh.source order by 1, 2`, sourcesBefore, 'and so are the sources');

  await sql`alter function forecast.dq_duplicate_picks() rename to dq_duplicate_picks_gone`;
  const [broken] = await sql<{ passed: boolean; detail: string }[]>`
    select passed, detail from refresh.run_checks() where check_name = 'forecast_no_duplicate_picks'`;
  t.equal(broken?.passed, false, 'a check whose function is missing fails');
  t.match(broken?.detail, /its query failed: .*dq_duplicate_picks.*SQLSTATE 42883/, 'with the error');
});

t.test('run_due with p_dry_run prints the plan as notices and changes nothing; a view gone mid-pass is passed over', async (t) => {
  const { sql, url } = await testDb(t);
  await isolate(sql);
  await buildGraph(sql);
  const notices: string[] = [];
  const listener = connect(url, { max: 1, onNotice: (m) => notices.push(m) });
  t.teardown(() => listener.end());
  await listener`call refresh.run_due(p_dry_run => true)`;
  t.same(
    notices.map((n) => n.replace(/stale since [^(]*\(/, 'stale since … (')),
    [
      '1 stats.team_cards: stale since … (level 0, full)',
      '2 stats.team_goals: stale since … (level 0, full)',
      '3 stats.team_summary: stale since … (level 1, full)',
    ],
    'one notice per step, parents first',
  );
  t.equal(notices.length, 3);
  const [runs] = await sql<{ n: number }[]>`select count(*)::int as n from refresh.run`;
  t.equal(runs?.n, 0, 'nothing was refreshed');

  await sql`call refresh.refresh_object('stats.team_cards', 'manual', 42)`;
  await sql`drop materialized view stats.team_summary`;
  await sql`create table public.not_registered (id int)`;
  await sql`call refresh.refresh_object('public.not_registered', 'manual', 42)`;
  t.pass('inside a pass, an object that is no longer registered is passed over');
});
