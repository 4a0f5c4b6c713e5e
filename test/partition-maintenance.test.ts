// maint.run_partition_maintenance: partitions ahead, the watched default partitions,
// retention by detach + drop, and raw odds downsampled into exact 1-minute bars.
import t from 'tap';
import { connect, type Sql } from '../src/db.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';

const NOW = '2025-06-15T12:00:00Z';
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const now = Date.parse(NOW);

async function partitions(sql: Sql, parent: string): Promise<string[]> {
  const rows = await sql<{ partition: string }[]>`
    select partition::text from maint.partition_bounds
     where parent = ${parent}::regclass and not is_default order by range_from`;
  return rows.map((r) => r.partition);
}

t.test('partitions exist ahead of time for every table in the policy', async (t) => {
  const { sql } = await testDb(t);
  await sql`call maint.run_partition_maintenance(${NOW})`;
  for (const parent of ['market.odds_snapshot', 'market.odds_bar_1m', 'trade.bet', 'forecast.race_prediction']) {
    const days = await partitions(sql, parent);
    const name = parent.split('.')[1];
    t.same(
      days,
      Array.from(
        { length: 8 },
        (_, i) =>
          `${parent.split('.')[0]}.${name}_p${iso(now + i * DAY)
            .slice(0, 10)
            .replaceAll('-', '')}`,
      ),
      `${parent}: today and the 7 days ahead`,
    );
  }
  t.same(
    await partitions(sql, 'stats.strategy_performance_hourly'),
    ['stats.strategy_performance_hourly_p202506', 'stats.strategy_performance_hourly_p202507'],
    'monthly partitions of the hourly performance: this month and the next',
  );
  const [log] = await sql<{ n: number }[]>`select count(*)::int as n from maint.maintenance_log where action = 'create'`;
  t.equal(log?.n, 6, 'one create line per table');
  await sql`call maint.run_partition_maintenance(${NOW})`;
  const [again] = await sql<{ n: number }[]>`select count(*)::int as n from maint.maintenance_log where action = 'create'`;
  t.equal(again?.n, 6, 'a second run has nothing to create');
  await sql`update maint.partition_policy set premake = '14 days' where parent = 'trade.bet'::regclass`;
  await sql`call maint.run_partition_maintenance(${NOW})`;
  t.equal((await partitions(sql, 'trade.bet')).length, 15, "a DBA's longer premake is honoured");
});

t.test("the worker's call, without arguments, works as of now", async (t) => {
  const { sql } = await testDb(t);
  const [found] = await sql<{ p: string | null }[]>`select to_regprocedure('maint.run_partition_maintenance()')::text as p`;
  t.equal(found?.p, 'maint.run_partition_maintenance()', 'the signature worker.maintain looks for');
  await sql`call maint.run_partition_maintenance()`;
  const [ahead] = await sql<{ n: number }[]>`
    select count(*)::int as n from maint.partition_bounds
     where parent = 'trade.bet'::regclass and not is_default
       and range_from >= now() - interval '1 day' and range_to <= now() + interval '8 days'`;
  t.equal(ahead?.n, 8, "today and the 7 days ahead, for the server's now()");
});

t.test('a row far in the future or the past lands in the default partition and is reported', async (t) => {
  const { sql, url } = await testDb(t);
  await sql`call maint.run_partition_maintenance(${NOW})`;
  const race = await makeRace(sql);
  const betfair = await sourceId(sql, 'betfair');
  const [s] = await sql<{ strategy_id: number }[]>`insert into trade.strategy (name, version) values ('far', '1') returning strategy_id`;
  await sql`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, placed_at)
            values (${s!.strategy_id}, ${race.selections[0]!}, ${betfair}, 'back', 3, 10, '2100-01-01T00:00:00Z'),
                   (${s!.strategy_id}, ${race.selections[0]!}, ${betfair}, 'back', 3, 10, '1999-12-31T00:00:00Z')`;
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price)
            values ('2099-06-01T00:00:00Z', ${race.selections[0]!}, ${betfair}, 2)`;
  const where = await sql<{ part: string }[]>`select distinct tableoid::regclass::text as part from trade.bet`;
  t.same(where, [{ part: 'trade.bet_default' }], 'both bets sit in trade.bet_default');
  const report = await sql<{ parent: string; rows: string }[]>`
    select parent::text, rows::text from maint.default_partition_rows() order by parent::text`;
  t.same(
    report,
    [
      { parent: 'forecast.race_prediction', rows: '0' },
      { parent: 'market.odds_bar_1m', rows: '0' },
      { parent: 'market.odds_history', rows: '0' },
      { parent: 'market.odds_snapshot', rows: '1' },
      { parent: 'stats.strategy_performance_hourly', rows: '0' },
      { parent: 'trade.bet', rows: '2' },
    ],
    'maint.default_partition_rows() reports them, per table',
  );
  const warnings: string[] = [];
  const listener = connect(url, { max: 1, onNotice: (m) => warnings.push(m) });
  t.teardown(() => listener.end({ timeout: 5 }));
  await listener`call maint.run_partition_maintenance(${NOW})`;
  t.same(
    warnings.filter((w) => w.startsWith('default partition')),
    [
      'default partition of market.odds_snapshot holds 1 rows: they have no partition of their own',
      'default partition of trade.bet holds 2 rows: they have no partition of their own',
    ],
    'maintenance warns about them',
  );
  const [still] = await sql<{ n: number }[]>`select count(*)::int as n from trade.bet_default`;
  t.equal(still?.n, 2);
});

t.test('retention drops only expired partitions, by detach and drop', async (t) => {
  const { sql } = await testDb(t);
  const oneYearAgo = now - 365 * DAY;
  // predictions: kept one year
  await sql`select maint.ensure_partitions('forecast.race_prediction', ${iso(oneYearAgo - 3 * DAY)}, ${iso(oneYearAgo + 2 * DAY)})`;
  // bets: kept forever
  await sql`select maint.ensure_partitions('trade.bet', '2019-08-09', '2019-08-10')`;
  // raw odds older than two years: dropped without downsampling
  await sql`select maint.ensure_partitions('market.odds_snapshot', '2023-01-01', '2023-01-01')`;
  const race = await makeRace(sql, { start: '2023-01-01T10:00:00Z' });
  const betfair = await sourceId(sql, 'betfair');
  await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price)
            values ('2023-01-01T09:00:00Z', ${race.selections[0]!}, ${betfair}, 2)`;

  await sql`call maint.run_partition_maintenance(${NOW})`;
  const kept = (await partitions(sql, 'forecast.race_prediction')).filter((p) => p < 'forecast.race_prediction_p2025');
  // now - 1 year = 2024-06-15 12:00: a day ending at or before it is expired
  t.same(
    kept,
    ['forecast.race_prediction_p20240615', 'forecast.race_prediction_p20240616', 'forecast.race_prediction_p20240617'],
    '12, 13 and 14 June 2024 dropped; 15 June (ending after now - 1 year) kept',
  );
  t.same(
    await partitions(sql, 'trade.bet').then((p) => p.filter((x) => x.includes('2019'))),
    ['trade.bet_p20190809', 'trade.bet_p20190810'],
    'bets are never dropped',
  );
  t.same(await partitions(sql, 'market.odds_snapshot').then((p) => p.filter((x) => x.includes('2023'))), [], 'odds past two years dropped');
  const [bars] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_bar_1m`;
  t.equal(bars?.n, 0, 'expired raw odds are not downsampled first');
  const log = await sql<{ parent: string; action: string; partition_name: string }[]>`
    select parent, action, partition_name from maint.maintenance_log where action <> 'create' order by log_id`;
  t.same(
    log.map((l) => `${l.action} ${l.partition_name}`),
    [
      'drop forecast.race_prediction_p20240612',
      'drop forecast.race_prediction_p20240613',
      'drop forecast.race_prediction_p20240614',
      'drop market.odds_snapshot_p20230101',
    ],
    'each drop is logged',
  );
  const [orphans] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_class where relname in ('race_prediction_p20240612', 'odds_snapshot_p20230101')`;
  t.equal(orphans?.n, 0, 'dropped, not just detached');
});

interface Raw {
  observed_at: Date;
  selection_id: string;
  source_id: number;
  back_price: string | null;
  lay_price: string | null;
  last_traded_price: string | null;
  volume: string | null;
}

interface Bar {
  bucket: string;
  selection_id: string;
  source_id: number;
  back_open: number | null;
  back_high: number | null;
  back_low: number | null;
  back_close: number | null;
  lay_open: number | null;
  lay_high: number | null;
  lay_low: number | null;
  lay_close: number | null;
  last_traded_price: number | null;
  volume: number | null;
  snapshots: number;
}

/** 1-minute bars computed in TypeScript from the raw rows: the independent recomputation. */
function expectedBars(raw: Raw[]): Bar[] {
  const groups = new Map<string, Raw[]>();
  for (const r of raw) {
    const minute = new Date(Math.floor(r.observed_at.getTime() / 60_000) * 60_000).toISOString();
    const key = `${r.selection_id}|${r.source_id}|${minute}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const bars: Bar[] = [];
  for (const [key, rows] of groups) {
    const [selection_id, source_id, bucket] = key.split('|') as [string, string, string];
    rows.sort((a, b) => a.observed_at.getTime() - b.observed_at.getTime());
    const series = (f: (r: Raw) => string | null) =>
      rows
        .map(f)
        .filter((v): v is string => v !== null)
        .map(Number);
    const back = series((r) => r.back_price);
    const lay = series((r) => r.lay_price);
    const ltp = series((r) => r.last_traded_price);
    const vol = series((r) => r.volume);
    bars.push({
      bucket,
      selection_id,
      source_id: Number(source_id),
      back_open: back[0] ?? null,
      back_high: back.length ? Math.max(...back) : null,
      back_low: back.length ? Math.min(...back) : null,
      back_close: back.at(-1) ?? null,
      lay_open: lay[0] ?? null,
      lay_high: lay.length ? Math.max(...lay) : null,
      lay_low: lay.length ? Math.min(...lay) : null,
      lay_close: lay.at(-1) ?? null,
      last_traded_price: ltp.at(-1) ?? null,
      volume: vol.length ? Math.max(...vol) : null,
      snapshots: rows.length,
    });
  }
  return bars.sort((a, b) => (a.selection_id + a.source_id + a.bucket).localeCompare(b.selection_id + b.source_id + b.bucket));
}

async function actualBars(sql: Sql): Promise<Bar[]> {
  const rows = await sql<Record<string, string | number | Date | null>[]>`select * from market.odds_bar_1m`;
  const num = (v: unknown) => (v === null ? null : Number(v));
  return rows
    .map((r) => ({
      bucket: (r.bucket as Date).toISOString(),
      selection_id: String(r.selection_id),
      source_id: Number(r.source_id),
      back_open: num(r.back_open),
      back_high: num(r.back_high),
      back_low: num(r.back_low),
      back_close: num(r.back_close),
      lay_open: num(r.lay_open),
      lay_high: num(r.lay_high),
      lay_low: num(r.lay_low),
      lay_close: num(r.lay_close),
      last_traded_price: num(r.last_traded_price),
      volume: num(r.volume),
      snapshots: Number(r.snapshots),
    }))
    .sort((a, b) => (a.selection_id + a.source_id + a.bucket).localeCompare(b.selection_id + b.source_id + b.bucket));
}

t.test('raw odds older than 7 days become exact 1-minute bars, then the raw partition is dropped', async (t) => {
  const { sql } = await testDb(t);
  const old = now - 10 * DAY; // 5 June 2025: to be downsampled
  const recent = now - 2 * DAY; // 13 June 2025: stays raw
  const oldDay = iso(old).slice(0, 10);
  await sql`select maint.ensure_partitions('market.odds_snapshot', ${iso(old)}, ${iso(now)})`;
  const race = await makeRace(sql, { runners: 3, start: `${oldDay}T12:00:00Z` });
  const sources = [await sourceId(sql, 'betfair'), await sourceId(sql, 'pinnacle')];
  // irregular snapshots, several per minute, with missing sides and a cumulative volume
  await sql`
    insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price, back_size, lay_price, lay_size, last_traded_price, volume)
    select ${oldDay}::timestamptz + interval '10 hours' + (i * 7 + sel_no * 3) * interval '1 second' + src_no * interval '17 millisecond',
           sel, src,
           case when i % 13 = 0 then null else 2 + ((i * 37 + sel_no * 11 + src_no) % 50) / 10.0 end,
           (i % 7) * 10,
           case when i % 17 = 0 then null else 2.1 + ((i * 41 + sel_no * 5) % 50) / 10.0 end,
           (i % 5) * 10,
           case when i % 5 = 0 then null else 2 + ((i * 29 + sel_no) % 40) / 10.0 end,
           case when i % 11 = 0 then null else i * 10.5 + sel_no end
      from unnest(${sql.array(race.selections)}::bigint[]) with ordinality as s(sel, sel_no),
           unnest(${sql.array(sources)}::smallint[]) with ordinality as c(src, src_no),
           generate_series(1, 400) as i`;
  await sql`
    insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price, volume)
    select ${iso(recent)}::timestamptz + i * interval '1 minute', ${race.selections[0]!}, ${sources[0]!}, 3, i
      from generate_series(1, 10) i`;
  const raw = await sql<Raw[]>`
    select observed_at, selection_id::text, source_id, back_price::text, lay_price::text, last_traded_price::text, volume::text
      from market.odds_snapshot where observed_at < ${iso(old + DAY)}`;
  t.equal(raw.length, 3 * 2 * 400, 'raw rows for the old day');

  await sql`call maint.run_partition_maintenance(${NOW})`;
  const expected = expectedBars(raw);
  const bars = await actualBars(sql);
  t.equal(bars.length, expected.length, `${expected.length} bars`);
  t.same(bars, expected, 'every bar matches the recomputation: OHLC of back and lay, last traded price, volume, count');
  const oldName = `market.odds_snapshot_p${oldDay.replaceAll('-', '')}`;
  t.notOk((await partitions(sql, 'market.odds_snapshot')).includes(oldName), 'the raw partition is gone');
  t.ok(
    (await partitions(sql, 'market.odds_bar_1m')).includes(`market.odds_bar_1m_p${oldDay.replaceAll('-', '')}`),
    'the bars have their own daily partition',
  );
  const [recentRaw] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_snapshot`;
  t.equal(recentRaw?.n, 10, 'odds younger than 7 days stay raw');
  const [log] = await sql<{ rows: string }[]>`
    select rows::text from maint.maintenance_log where action = 'downsample' and partition_name = ${oldName}`;
  t.equal(Number(log?.rows), expected.length, 'the downsample is logged with its bar count');

  // late raw rows for a day already downsampled: the day is made again, and merged into the bars
  await sql`select maint.ensure_partitions('market.odds_snapshot', ${`${oldDay}T00:00:00Z`}, ${`${oldDay}T00:00:00Z`})`;
  const first = raw.reduce((a, b) => (a.observed_at < b.observed_at ? a : b));
  const minute = Math.floor(first.observed_at.getTime() / 60_000) * 60_000;
  const late: Raw[] = [
    {
      ...first,
      observed_at: new Date(minute + 59_000),
      back_price: '99.0000',
      lay_price: null,
      last_traded_price: '1.5000',
      volume: '99999.00',
    },
    { ...first, observed_at: new Date(minute), back_price: '1.0100', lay_price: '50.0000', last_traded_price: null, volume: '1.00' },
  ];
  for (const r of late) {
    await sql`insert into market.odds_snapshot (observed_at, selection_id, source_id, back_price, lay_price, last_traded_price, volume)
              values (${r.observed_at}, ${r.selection_id}, ${r.source_id}, ${r.back_price}, ${r.lay_price}, ${r.last_traded_price}, ${r.volume})`;
  }
  await sql`call maint.run_partition_maintenance(${NOW})`;
  t.same(await actualBars(sql), expectedBars([...raw, ...late]), 'late rows merge exactly into the existing bars');
});

t.test('maintenance refuses what it cannot do', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select maint.drop_partition('trade.bet', 'market.odds_snapshot_default')`, {
    code: 'SL088',
    message: /not a partition of trade\.bet/,
  });
  await sql`update maint.partition_policy set downsample_after = '7 days', downsample_into = 'market.odds_bar_1m'
             where parent = 'trade.bet'::regclass`;
  await rejectsWith(t, sql`call maint.run_partition_maintenance(${NOW})`, {
    code: 'SL089',
    message: /no downsampler from trade\.bet into market\.odds_bar_1m/,
  });
  await rejectsWith(t, sql`insert into maint.maintenance_log (parent, action) values ('x', 'vacuum')`, {
    code: '23514',
    constraint: 'maintenance_log_action_known',
  });
});
