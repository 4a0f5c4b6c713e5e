// Partition maintenance: maint.ensure_partitions, the policy table and the default partitions.
import t from 'tap';
import { rejectsWith, testDb } from './helpers/db.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';

t.test('ensure_partitions creates the missing daily partitions, once', async (t) => {
  const { sql } = await testDb(t);
  const [first] = await sql<{ n: number }[]>`
    select maint.ensure_partitions('market.odds_snapshot', '2024-01-01T10:00:00Z', '2024-01-03T23:00:00Z') as n`;
  t.equal(first?.n, 3, 'three days: 1, 2 and 3 January');
  const [again] = await sql<{ n: number }[]>`
    select maint.ensure_partitions('market.odds_snapshot', '2024-01-02T00:00:00Z', '2024-01-04T00:00:00Z') as n`;
  t.equal(again?.n, 1, 'only 4 January is new');
  const parts = await sql<{ partition: string; range_from: Date; range_to: Date }[]>`
    select partition::text, range_from, range_to from maint.partition_bounds
     where parent = 'market.odds_snapshot'::regclass and not is_default order by range_from`;
  t.same(
    parts.map((p) => [p.partition, p.range_from.toISOString(), p.range_to.toISOString()]),
    [
      ['market.odds_snapshot_p20240101', '2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z'],
      ['market.odds_snapshot_p20240102', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z'],
      ['market.odds_snapshot_p20240103', '2024-01-03T00:00:00.000Z', '2024-01-04T00:00:00.000Z'],
      ['market.odds_snapshot_p20240104', '2024-01-04T00:00:00.000Z', '2024-01-05T00:00:00.000Z'],
    ],
    'UTC days, named by date',
  );
});

t.test('days are UTC days whatever the session time zone', async (t) => {
  const { sql } = await testDb(t, { max: 1 });
  await sql`set time zone 'Asia/Hong_Kong'`;
  await sql`select maint.ensure_partitions('market.odds_snapshot', '2024-01-01T10:00:00+08', '2024-01-01T10:00:00+08')`;
  await sql`set time zone 'UTC'`;
  const parts = await sql<{ partition: string; range_from: Date }[]>`
    select partition::text, range_from from maint.partition_bounds
     where parent = 'market.odds_snapshot'::regclass and not is_default`;
  t.same(
    parts.map((p) => [p.partition, p.range_from.toISOString()]),
    [['market.odds_snapshot_p20240101', '2024-01-01T00:00:00.000Z']],
    '10:00 in Hong Kong is 02:00 UTC on 1 January',
  );
});

t.test('rows already in the default partition move into the partition made for them', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql);
  const betfair = await sourceId(sql, 'betfair');
  await sql`
    insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price, lay_price, volume)
    values ('2019-08-09T18:00:00Z', ${race.selections[0]!}, ${betfair}, 2.5, 2.52, 100),
           ('2019-08-10T18:00:00Z', ${race.selections[0]!}, ${betfair}, 2.4, 2.42, 150)`;
  const before = await sql<{ parent: string; rows: string }[]>`
    select parent::text, rows from maint.default_partition_rows() where rows > 0`;
  t.same(before, [{ parent: 'market.odds_snapshot', rows: '2' }], 'both rows reported in the default partition');
  const [made] = await sql<{ n: number }[]>`
    select maint.ensure_partitions('market.odds_snapshot', '2019-08-09', '2019-08-09') as n`;
  t.equal(made?.n, 1);
  const where = await sql<{ part: string; observed_at: Date }[]>`
    select tableoid::regclass::text as part, observed_at from market.odds_snapshot order by observed_at`;
  t.same(
    where.map((w) => w.part),
    ['market.odds_snapshot_p20190809', 'market.odds_snapshot_default'],
    'the 9 August row moved, the 10 August row stayed',
  );
  const after = await sql<{ rows: string }[]>`
    select rows from maint.default_partition_rows() where parent = 'market.odds_snapshot'::regclass`;
  t.equal(after[0]?.rows, '1');
});

t.test('ensure_partitions refuses what it cannot do', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select maint.ensure_partitions('market.odds_snapshot', '2024-01-02', '2024-01-01')`, {
    code: 'SL082',
    message: /from <= to/,
  });
  await rejectsWith(t, sql`select maint.ensure_partitions('market.odds_snapshot', '2000-01-01', '2100-01-01')`, {
    code: 'SL082',
    message: /partitions/,
  });
  await rejectsWith(t, sql`select maint.ensure_partitions('market.selection', '2024-01-01', '2024-01-02')`, {
    code: 'SL080',
    message: /no partition policy for table market\.selection/,
  });
});

t.test('the policy accepts only range-partitioned timestamptz tables', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`insert into maint.partition_policy (parent, granularity) values ('market.selection', '1 day')`, {
    code: 'SL081',
    message: /market\.selection is not range-partitioned/,
  });
  await rejectsWith(
    t,
    sql`update maint.partition_policy set downsample_into = 'market.market' where parent = 'market.odds_snapshot'::regclass`,
    { code: 'SL081', message: /market\.market/ },
  );
  const bad: [string, string][] = [
    ["granularity = '2 days'", 'partition_policy_granularity_known'],
    ["premake = '-1 day'", 'partition_policy_premake_non_negative'],
    ["retention = '0 days', downsample_after = null, downsample_into = null", 'partition_policy_retention_positive'],
    ["downsample_after = '-1 day'", 'partition_policy_downsample_after_positive'],
    ['downsample_into = null', 'partition_policy_downsample_complete'],
    ["retention = '3 days'", 'partition_policy_downsample_before_retention'],
  ];
  for (const [set, constraint] of bad) {
    await rejectsWith(
      t,
      sql.unsafe(`update maint.partition_policy set ${set} where parent = 'market.odds_snapshot'::regclass`),
      { code: '23514', constraint },
      `${set} violates ${constraint}`,
    );
  }
  await sql`update maint.partition_policy set premake = '14 days' where parent = 'market.odds_snapshot'::regclass`;
  const [row] = await sql<{ premake: string }[]>`
    select premake::text from maint.partition_policy where parent = 'market.odds_snapshot'::regclass`;
  t.equal(row?.premake, '14 days', 'a DBA can change the policy');
});

t.test('a historical price is checked', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql);
  const hkjc = await sourceId(sql, 'hkjc');
  await sql`select maint.ensure_partitions('market.odds_history', '2024-01-01', '2024-01-31')`;
  const sel = race.selections[0]!;
  await rejectsWith(
    t,
    sql`insert into market.odds_history (observed_at, selection_id, source_id, price, batch_id) values ('2024-01-01T05:00:00Z', ${sel}, ${hkjc}, 1, 1)`,
    { code: '23514', constraint: 'odds_history_price_above_one' },
    'a price of 1 violates odds_history_price_above_one',
  );
  await sql`insert into market.odds_history (observed_at, selection_id, source_id, price, batch_id) values ('2024-01-01T05:00:00Z', ${sel}, ${hkjc}, 3.5, 1)`;
  const dup = await rejectsWith(
    t,
    sql`insert into market.odds_history (observed_at, selection_id, source_id, price, batch_id) values ('2024-01-01T05:00:00Z', ${sel}, ${hkjc}, 4, 2)`,
    { code: '23505' },
    'a second price of the selection at the source at the same instant is a duplicate key',
  );
  // the partition's copy of the key reports it: its parent is the table's key
  const [parent] = await sql<{ name: string }[]>`
    select p.conname as name from pg_constraint c join pg_constraint p on p.oid = c.conparentid where c.conname = ${dup?.constraint_name ?? ''}`;
  t.equal(parent?.name, 'odds_history_pkey', `${dup?.constraint_name} is the partition's copy of odds_history_pkey`);
});

t.test('an odds snapshot is checked', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql);
  const betfair = await sourceId(sql, 'betfair');
  await sql`select maint.ensure_partitions('market.odds_snapshot', '2024-01-01', '2024-01-01')`;
  const sel = race.selections[0]!;
  const cases: [string, string, string][] = [
    ['back_price', '1', 'odds_snapshot_back_price_above_one'],
    ['lay_price', '0.5', 'odds_snapshot_lay_price_above_one'],
    ['last_traded_price', '1.0', 'odds_snapshot_last_traded_price_above_one'],
    ['back_size', '-1', 'odds_snapshot_back_size_non_negative'],
    ['lay_size', '-0.01', 'odds_snapshot_lay_size_non_negative'],
    ['volume', '-5', 'odds_snapshot_volume_non_negative'],
  ];
  for (const [col, value, constraint] of cases) {
    const price = col.endsWith('_price') ? '' : ', back_price';
    const priceValue = col.endsWith('_price') ? '' : ', 2';
    await rejectsWith(
      t,
      sql.unsafe(
        `insert into market.odds_snapshot (observed_at, selection_id, source_id, ${col}${price}) values ('2024-01-01T05:00:00Z', $1, $2, ${value}${priceValue})`,
        [sel, betfair],
      ),
      { code: '23514', constraint },
      `${col} = ${value} violates ${constraint}`,
    );
  }
  await rejectsWith(
    t,
    sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, volume) values ('2024-01-01T05:00:00Z', ${sel}, ${betfair}, 10)`,
    { code: '23514', constraint: 'odds_snapshot_has_a_price' },
  );
  // No per-row foreign keys (they made COPY 5-6x slower): the COPY path checks its ids
  // (SL105, test/odds-copy.test.ts); a plain insert of an unknown id is reported by
  // maint.dq_orphaned_odds() (test/odds-keys.test.ts).
  const [fks] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_constraint where conrelid = 'market.odds_snapshot'::regclass and contype = 'f'`;
  t.equal(fks?.n, 0, 'market.odds_snapshot has no foreign keys');
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price) values ('2024-01-01T05:00:00Z', ${sel}, ${betfair}, 2)`;
  await rejectsWith(
    t,
    sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price) values ('2024-01-01T05:00:00Z', ${sel}, ${betfair}, 3)`,
    { code: '23505', constraint: 'odds_snapshot_p20240101_pkey' },
    'one price per selection, source and instant',
  );
  await sql`delete from market.selection where selection_id = ${sel}`;
  const [left] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_snapshot`;
  t.equal(left?.n, 0, 'deleting a selection deletes its snapshots');
});
