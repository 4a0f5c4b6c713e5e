// Red team, partitions (issue 12, item 2): retention is the only way partitions disappear.
// Each attack is performed as the worker role, which runs partition maintenance; the
// refusal is asserted by its SQLSTATE and message, and the data by counting it again.
import t from 'tap';
import type { Sql } from '../../src/db.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole, asRoleSession } from '../helpers/roles.ts';
import { makeRace, sourceId } from '../helpers/timeseries.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function count(sql: Sql, query: string): Promise<number> {
  const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${query}`);
  return row!.n;
}

async function partitionCount(sql: Sql, parent: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_inherits where inhparent = ${parent}::regclass`;
  return row!.n;
}

/** Today's partitions and a few bets in them, placed now, as the app would. */
async function bets(sql: Sql): Promise<number> {
  await sql`call maint.run_partition_maintenance()`;
  const race = await makeRace(sql, { start: iso(Date.now() + DAY) });
  const betfair = await sourceId(sql, 'betfair');
  const [s] = await sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('kept', '1') returning strategy_id as id`;
  await sql`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake)
            select ${s!.id}, sel, ${betfair}, 'back', 3, 10 from unnest(${sql.array(race.selections)}::bigint[]) sel`;
  return race.selections.length;
}

t.test('the worker cannot drop the partitions of a table kept forever (every bet)', async (t) => {
  const { sql } = await testDb(t);
  const placed = await bets(sql);
  const before = await partitionCount(sql, 'trade.bet');
  t.equal(await count(sql, 'trade.bet'), placed, 'the bets are there');
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) => tx`select maint.drop_partition('trade.bet', inhrelid::regclass) from pg_inherits where inhparent = 'trade.bet'::regclass`,
    ),
    { code: 'SL090', message: /trade\.bet keeps its rows forever/ },
    'drop_partition on trade.bet: SL090, the policy keeps bets forever',
  );
  t.equal(await count(sql, 'trade.bet'), placed, 'every bet is still there');
  t.equal(await partitionCount(sql, 'trade.bet'), before, 'and every partition');
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) => tx`select maint.drop_partition('stats.strategy_performance_hourly', inhrelid::regclass)
                                        from pg_inherits where inhparent = 'stats.strategy_performance_hourly'::regclass`,
    ),
    { code: 'SL090' },
    'nor those of the hourly performance (kept forever too)',
  );
});

t.test('the worker cannot drop the audit log of refreshes', async (t) => {
  const { sql } = await testDb(t);
  await sql`call refresh.run_due('manual', null, true)`;
  const runs = await count(sql, 'refresh.run');
  t.ok(runs > 0, `refresh.run holds ${runs} rows`);
  const before = await partitionCount(sql, 'refresh.run');
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) => tx`select maint.drop_partition('refresh.run', inhrelid::regclass) from pg_inherits where inhparent = 'refresh.run'::regclass`,
    ),
    { code: 'SL091', message: /partition refresh\.run_\d{4}m\d{2} of refresh\.run is not expired/ },
    'drop_partition on refresh.run: SL091, its months are within the 13 months kept',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select * from refresh.maintain_run_partitions('1 microsecond')`),
    { code: 'SL092', message: /shorter than the policy/ },
    'audit retention shorter than the policy: SL092',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`delete from refresh.run`),
    { code: '42501' },
    'deleting audit rows: 42501',
  );
  t.equal(await count(sql, 'refresh.run'), runs, 'every audit row is still there');
  t.equal(await partitionCount(sql, 'refresh.run'), before, 'and every monthly partition');
});

t.test('a partition its retention does not make expired stays, whatever the caller says', async (t) => {
  const { sql } = await testDb(t);
  await sql`call maint.run_partition_maintenance()`;
  // race predictions are kept one year: today's partition is not expired, the default never is
  const [today] = await sql<{ p: string }[]>`
    select partition::text as p from maint.partition_bounds
     where parent = 'forecast.race_prediction'::regclass and range_from <= now() and range_to > now()`;
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select maint.drop_partition('forecast.race_prediction', ${today!.p}::regclass)`),
    { code: 'SL091', message: /is not expired: it ends at .*, and a retention of 1 year keeps everything after/ },
    "today's partition of a table kept one year: SL091",
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select maint.drop_partition('forecast.race_prediction', 'forecast.race_prediction_default')`),
    { code: 'SL091', message: /the default partition is never dropped/ },
    'the default partition: SL091',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select maint.drop_partition('forecast.race_prediction', 'trade.bet_default')`),
    { code: 'SL088', message: /not a partition of forecast\.race_prediction/ },
    'a partition of another table: SL088',
  );
  // maintenance as of a later time would make everything expired
  const parts = await partitionCount(sql, 'forecast.race_prediction');
  const odds = await partitionCount(sql, 'market.odds_snapshot');
  await rejectsWith(
    t,
    asRoleSession(sql, 'worker', (s) => s`call maint.run_partition_maintenance('3000-01-01')`),
    { code: 'SL092', message: /as of 3000-01-01.* would drop partitions before their retention/ },
    'maintenance as of the year 3000: SL092',
  );
  t.equal(await partitionCount(sql, 'forecast.race_prediction'), parts, 'no race-prediction partition dropped');
  t.equal(await partitionCount(sql, 'market.odds_snapshot'), odds, 'no odds partition dropped');
  const [dropped] = await sql<{ n: number }[]>`select count(*)::int as n from maint.maintenance_log where action = 'drop'`;
  t.equal(dropped!.n, 0, 'and no drop logged');
});

t.test('raw odds are downsampled and dropped only when due, and only by maintenance', async (t) => {
  const { sql } = await testDb(t);
  await sql`call maint.run_partition_maintenance()`;
  const race = await makeRace(sql, { start: iso(Date.now()) });
  const betfair = await sourceId(sql, 'betfair');
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price)
            select now() - interval '1 minute' * g, ${race.selections[0]!}, ${betfair}, 2 + g / 100.0 from generate_series(1, 5) g`;
  const [today] = await sql<{ p: string }[]>`
    select partition::text as p from maint.partition_bounds
     where parent = 'market.odds_snapshot'::regclass and range_from <= now() - interval '10 minutes' and range_to > now() - interval '10 minutes'`;
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select maint.downsample_partition('market.odds_snapshot', ${today!.p}::regclass)`),
    { code: 'SL091', message: /is not due for downsampling: .* raw rows are kept for 7 days/ },
    "today's raw odds: SL091",
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select maint.downsample_partition('trade.bet', 'trade.bet_default')`),
    { code: 'SL090', message: /does not downsample it/ },
    'a table whose policy does not downsample: SL090',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select maint.downsample_odds(${today!.p}::regclass)`),
    { code: '42501' },
    'the downsampler itself is not the worker’s to call: 42501',
  );
  await rejectsWith(
    t,
    sql`select maint.downsample_odds('market.odds_snapshot')`,
    { code: 'SL088', message: /market\.odds_snapshot is not a partition of market\.odds_snapshot/ },
    'and even the owner cannot aggregate the whole table into the bars twice: SL088',
  );
  t.equal(await count(sql, 'market.odds_snapshot'), 5, 'the raw odds are still there');
  t.equal(await count(sql, 'market.odds_bar_1m'), 0, 'and no bar was written');
});

t.test('the worker cannot change the policies or rewrite the logs of maintenance', async (t) => {
  const { sql } = await testDb(t);
  await sql`call maint.run_partition_maintenance()`;
  const policies = await sql`select * from maint.partition_policy order by parent::text`;
  const log = await count(sql, 'maint.maintenance_log');
  await sql`insert into worker.recovery (recovered_by, worker_ids, jobs_unlocked) values ('test', '{w1}', 1)`;
  for (const [what, attack] of [
    ['shorten the retention of bets', "update maint.partition_policy set retention = '1 hour' where parent = 'trade.bet'::regclass"],
    ['delete a policy', "delete from maint.partition_policy where parent = 'forecast.race_prediction'::regclass"],
    ['add a policy', "insert into maint.partition_policy (parent, granularity, retention) values ('refresh.run', '1 month', '1 hour')"],
    ['delete the maintenance log', 'delete from maint.maintenance_log'],
    ['rewrite the maintenance log', "update maint.maintenance_log set action = 'drop'"],
    ['delete crash-recovery records', 'delete from worker.recovery'],
    ['rewrite crash-recovery records', 'update worker.recovery set jobs_unlocked = 0'],
    ['rewrite the role registry', "update core.db_role set role_name = 'postgres' where kind = 'owner'"],
  ] as const) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', (tx) => tx.unsafe(attack)),
      { code: '42501' },
      `${what}: 42501`,
    );
  }
  t.same(await sql`select * from maint.partition_policy order by parent::text`, policies, 'the policies are unchanged');
  t.equal(await count(sql, 'maint.maintenance_log'), log, 'the maintenance log is unchanged');
  t.equal(await count(sql, 'worker.recovery'), 1, 'the recovery record is still there');
});

t.test("the worker's maintain job still drops and downsamples what its policy expired", async (t) => {
  const { sql } = await testDb(t);
  const now = Date.now();
  await sql`select maint.ensure_partitions('forecast.race_prediction', ${iso(now - 400 * DAY)}, ${iso(now - 399 * DAY)})`;
  await sql`select maint.ensure_partitions('market.odds_snapshot', ${iso(now - 10 * DAY)}, ${iso(now - 10 * DAY)})`;
  const race = await makeRace(sql, { start: iso(now - 10 * DAY) });
  const betfair = await sourceId(sql, 'betfair');
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price)
            values (${iso(now - 10 * DAY)}, ${race.selections[0]!}, ${betfair}, 2.5)`;
  await sql`insert into worker.recovery (recovered_at, recovered_by, worker_ids, jobs_unlocked)
            values (now() - interval '100 days', 'old', '{w1}', 1), (now(), 'new', '{w2}', 1)`;
  const old = await sql<{ p: string }[]>`
    select partition::text as p from maint.partition_bounds
     where parent = 'forecast.race_prediction'::regclass and range_to <= now() - interval '1 year' order by 1`;
  t.equal(old.length, 2, 'two race-prediction days past their year');

  await asRoleSession(sql, 'worker', (s) => s`call worker.maintain()`);

  const [left] = await sql<{ n: number }[]>`
    select count(*)::int as n from maint.partition_bounds
     where parent = 'forecast.race_prediction'::regclass and range_to <= now() - interval '1 year'`;
  t.equal(left!.n, 0, 'the expired partitions are dropped');
  const log = await sql<{ action: string; partition_name: string }[]>`
    select action, partition_name from maint.maintenance_log where action <> 'create' order by log_id`;
  t.same(
    log.filter((l) => l.partition_name.startsWith('forecast.')).map((l) => l.partition_name),
    old.map((o) => o.p),
    'each drop logged, by the function that dropped it',
  );
  t.same(
    log.filter((l) => l.partition_name.startsWith('market.')).map((l) => l.action),
    ['downsample', 'drop'],
    'the raw odds partition downsampled, then dropped',
  );
  t.equal(await count(sql, 'market.odds_bar_1m'), 1, 'into one bar');
  t.same(
    (await sql<{ recovered_by: string }[]>`select recovered_by from worker.recovery`).map((r) => r.recovered_by),
    ['new'],
    'recovery records past 90 days pruned, the recent one kept',
  );
});
