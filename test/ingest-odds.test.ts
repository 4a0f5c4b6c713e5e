// football_data: the bookmakers' opening and closing prices kept as historical prices
// (market.odds_history, monthly partitions, kept forever by default), in the load's
// transaction, counted in the batch's odds_kept; in core.event.metadata->'odds' too.
// Partition maintenance never drops them (issue: it used to drop the 2019-20 prices).
import fs from 'node:fs/promises';
import os from 'node:os';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { readCsv } from '../src/ingest/csv.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';

const EPL = path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv');
const PREFIXES = {
  bet365: 'B365',
  bet_and_win: 'BW',
  interwetten: 'IW',
  pinnacle: 'PS',
  william_hill: 'WH',
  vc_bet: 'VC',
  market_average: 'Avg',
  market_max: 'Max',
} as const;

/** Expected snapshots recomputed from the file: 3 per source and opening/closing with all three prices. */
async function expectedSnapshots(): Promise<{ total: number; bySource: Record<string, number> }> {
  const bySource: Record<string, number> = {};
  let header: string[] = [];
  let total = 0;
  for await (const r of readCsv(createReadStream(EPL))) {
    if ('header' in r) {
      header = r.header;
      continue;
    }
    if (!('values' in r)) continue;
    const v = r.values as Record<string, string> | string[];
    const get = (c: string) => (Array.isArray(v) ? v[header.indexOf(c)] : v[c]) ?? '';
    for (const [source, prefix] of Object.entries(PREFIXES)) {
      for (const p of [prefix, `${prefix}C`]) {
        if (['H', 'D', 'A'].every((s) => Number(get(`${p}${s}`)) > 1)) {
          bySource[source] = (bySource[source] ?? 0) + 3;
          total += 3;
        }
      }
    }
  }
  return { total, bySource };
}

t.test('football_data prices are kept as historical prices, once', async (t) => {
  const { sql } = await testDb(t);
  t.ok((await fs.stat(EPL)).size > 0);
  const expected = await expectedSnapshots();
  t.ok(expected.total > 18000, `the file has ${expected.total} prices (380 matches x 8 sources x opening/closing x 3)`);

  const first = await loadFile(sql, feeds.football_data!, EPL);
  t.equal(first.inserted, 380);
  t.equal(first.odds_kept, expected.total, `the load says it kept ${expected.total} prices`);
  const bySource = await sql<{ code: string; n: number }[]>`
    select s.code, count(*)::int as n from market.odds_history o join market.source s using (source_id) group by s.code order by s.code`;
  t.same(Object.fromEntries(bySource.map((r) => [r.code, r.n])), expected.bySource, 'every price, by source');

  const lfc = await sql<{ source: string; selection: string; observed_at: Date; back: string; ltp: string; origin: string }[]>`
    select src.code as source, s.code as selection, o.observed_at, o.back_price::text as back, o.last_traded_price::text as ltp, o.origin
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'match_result'
      join market.selection s on s.market_id = m.market_id
      join market.odds_all o on o.selection_id = s.selection_id
      join market.source src on src.source_id = o.source_id
     where e.external_id = 'epl_2019-20_20190809_Liverpool_Norwich' and src.code in ('bet365', 'pinnacle') and s.code = 'home'
     order by src.code, o.observed_at`;
  t.same(
    lfc.map((r) => [r.source, r.observed_at.toISOString(), r.back, r.ltp, r.origin]),
    [
      ['bet365', '2019-08-07T19:00:00.000Z', '1.1400', '1.1400', 'history'],
      ['bet365', '2019-08-09T18:55:00.000Z', '1.1400', '1.1400', 'history'],
      ['pinnacle', '2019-08-07T19:00:00.000Z', '1.1500', '1.1500', 'history'],
      ['pinnacle', '2019-08-09T18:55:00.000Z', '1.1400', '1.1400', 'history'],
    ],
    'opening at kick-off (20:00 BST) - 48 h, closing at kick-off - 5 min, through market.odds_all',
  );
  const [meta] = await sql<{ odds: Record<string, unknown> }[]>`
    select metadata -> 'odds' as odds from core.event where external_id = 'epl_2019-20_20190809_Liverpool_Norwich'`;
  t.same(meta?.odds.bet365, { home: 1.14, draw: 10, away: 19 }, 'and still in metadata->odds (bookmaker_favourite reads it)');
  const [where] = await sql<{ in_default: number; parts: string[]; batches: string[] }[]>`
    select count(*) filter (where tableoid = 'market.odds_history_default'::regclass)::int as in_default,
           array_agg(distinct tableoid::regclass::text) as parts, array_agg(distinct batch_id::text) as batches
      from market.odds_history`;
  t.equal(where?.in_default, 0, 'nothing in the default partition: the load made the 2019-20 months');
  t.same(
    where?.parts.sort(),
    ['201908', '201909', '201910', '201911', '201912', '202001', '202002', '202003', '202006', '202007'].map(
      (m) => `market.odds_history_p${m}`,
    ),
    'one monthly partition per month with matches (the season paused in April and May 2020)',
  );
  t.same(where?.batches, [first.batch_id], 'every price with the batch that loaded it');
  const [live] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_snapshot`;
  t.equal(live?.n, 0, 'nothing among the live-captured snapshots');

  const again = await loadFile(sql, feeds.football_data!, EPL);
  t.same([again.inserted, again.updated, again.odds_kept], [0, 0, 0], 're-run: inserted 0, updated 0, no price kept twice');
  const [n] = await sql<
    { n: number; orphans: string }[]
  >`select count(*)::int as n, maint.dq_orphaned_odds()::text as orphans from market.odds_history`;
  t.same(n, { n: expected.total, orphans: '0' }, 'and no price added');
});

t.test('partition maintenance keeps every price a historical load reported', async (t) => {
  const { sql } = await testDb(t);
  const batch = await loadFile(sql, feeds.football_data!, EPL);
  t.ok(batch.odds_kept > 18000, `the load reported ${batch.odds_kept} prices kept`);
  // the worker's maintain job, every 15 minutes: the policies of now, retention included
  await sql`call worker.maintain()`;
  await sql`call maint.run_partition_maintenance()`;
  const [held] = await sql<{ n: number; months: number }[]>`
    select count(*)::int as n,
           (select count(distinct tableoid) from market.odds_history h where h.batch_id = ${batch.batch_id})::int as months
      from market.odds_all where origin = 'history' and batch_id = ${batch.batch_id}`;
  t.same(held, { n: batch.odds_kept, months: 10 }, 'after maintenance every price is still there, in its 10 months');
  const [drops] = await sql<{ n: number }[]>`
    select count(*)::int as n from maint.maintenance_log where action = 'drop' and parent = 'market.odds_history'`;
  t.equal(drops?.n, 0, 'no partition of the historical prices was dropped');
  const [policy] = await sql<{ retention: string | null }[]>`
    select retention::text from maint.partition_policy where parent = 'market.odds_history'::regclass`;
  t.equal(policy?.retention, null, 'the default policy keeps them forever');

  // a DBA who wants a retention sets one: counted from the prices' own time
  await sql`update maint.partition_policy set retention = '3 years' where parent = 'market.odds_history'::regclass`;
  await sql`call maint.run_partition_maintenance()`;
  const [after] = await sql<{ n: number }[]>`select count(*)::int as n from market.odds_history`;
  t.equal(after?.n, 0, 'with a 3-year retention the 2019-20 prices go, by whole months');
});

t.test('historical prices: their keys are kept as the snapshots are, and their writer needs its load table', async (t) => {
  const { sql } = await testDb(t);
  const race = await makeRace(sql, { runners: 3 });
  const hkjc = await sourceId(sql, 'hkjc');
  const [batch] = await sql<{ batch_id: string }[]>`
    insert into ingest.batch (feed, location) values ('hkjc_results', 'test') returning batch_id`;
  const kept = await sql.begin(async (tx) => {
    await tx`create temporary table odds_history_load (observed_at timestamptz, selection_id bigint, source_id smallint, price numeric) on commit drop`;
    await tx`
      insert into odds_history_load
      select '1995-03-01T12:00:00Z'::timestamptz + n * interval '40 days', s, ${hkjc}::smallint, 2 + n
        from unnest(${race.selections}::bigint[]) s cross join generate_series(0, 1) n
      union all select '1995-03-01T12:00:00Z', ${race.selections[0]!}::bigint, ${hkjc}::smallint, 1`; // not a price: skipped
    const [r] = await tx<{ n: number }[]>`select market.keep_odds_history(${batch!.batch_id}) as n`;
    return r!.n;
  });
  t.equal(kept, 6, 'two prices of each of 3 selections written (a price of 1 is not one)');
  const [b] = await sql<{ odds_kept: number }[]>`select odds_kept from ingest.batch where batch_id = ${batch!.batch_id}`;
  t.equal(b?.odds_kept, 6, 'counted in the batch');
  const parts = await sql<{ p: string }[]>`select distinct tableoid::regclass::text as p from market.odds_history order by 1`;
  t.same(
    parts.map((r) => r.p),
    ['market.odds_history_p199503', 'market.odds_history_p199504'],
    'in the monthly partitions it made',
  );
  await rejectsWith(t, sql`delete from market.source where source_id = ${hkjc}`, { code: 'SL106', message: /historical prices/ });
  await sql`delete from market.selection where selection_id = ${race.selections[0]!}`;
  const [left] = await sql<{ n: number; orphans: string }[]>`
    select count(*)::int as n, maint.dq_orphaned_odds()::text as orphans from market.odds_history`;
  t.same(left, { n: 4, orphans: '0' }, "a deleted selection's prices go with it");
  await rejectsWith(t, sql`select market.keep_odds_history(${batch!.batch_id})`, { code: 'SL099', message: /odds_history_load/ });
});

t.test('a mistyped year is rejected at validation, saying so: no partition for the centuries in between', async (t) => {
  const { sql } = await testDb(t);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-years-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  // the real season with two dates mistyped: 1019 for 2019 (line 2), 2109 for 2019 (line 3)
  const lines = (await fs.readFile(EPL, 'latin1')).split(/\r?\n/);
  t.match(lines[1], /^E0,09\/08\/2019,/);
  t.match(lines[2], /^E0,10\/08\/2019,/);
  lines[1] = lines[1]!.replace('09/08/2019', '09/08/1019');
  lines[2] = lines[2]!.replace('10/08/2019', '10/08/2109');
  const file = path.join(dir, 'E0_mistyped.csv');
  await fs.writeFile(file, lines.join('\n'), 'latin1');

  const partitions = async () =>
    (
      await sql<{ p: string }[]>`
        select inhrelid::regclass::text as p from pg_inherits where inhparent = 'market.odds_history'::regclass order by 1`
    ).map((r) => r.p);
  const before = await partitions();
  const batch = await loadFile(sql, feeds.football_data!, file);
  t.same([batch.status, batch.inserted, batch.rejected], ['completed', 378, 2], 'the other 378 matches load; the 2 rows are rejected');
  const rejects = await sql<{ line_number: number; stage: string; reason: string }[]>`
    select line_number, stage, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
  t.same(
    rejects.map((r) => [r.line_number, r.stage]),
    [
      [2, 'validate'],
      [3, 'validate'],
    ],
    'kept in the rejects at validation, by line',
  );
  t.match(
    rejects[0]?.reason,
    /Date.*1019-08-09 is outside the years football files can hold \(1871 to \d{4}, next year\): a mistyped year\?/,
  );
  t.match(rejects[1]?.reason, /Date.*2109-08-10 is outside the years football files can hold/);
  const [held] = await sql<{ n: number; parts: number; lo: Date; hi: Date }[]>`
    select count(*)::int as n, count(distinct tableoid)::int as parts, min(observed_at) as lo, max(observed_at) as hi
      from market.odds_history where batch_id = ${batch.batch_id}`;
  t.equal(held?.n, batch.odds_kept, `the good rows keep their prices (${batch.odds_kept})`);
  t.ok(batch.odds_kept > 18000, 'nearly every price of the season');
  t.equal(held?.parts, 10, "in the season's 10 monthly partitions, none for the years in between");
  t.ok(held!.lo >= new Date('2019-08-01T00:00:00Z') && held!.hi < new Date('2020-08-01T00:00:00Z'), 'all within 2019-20');
  t.same(
    (await partitions()).filter((p) => !before.includes(p)),
    ['201908', '201909', '201910', '201911', '201912', '202001', '202002', '202003', '202004', '202005', '202006', '202007'].map(
      (m) => `market.odds_history_p${m}`,
    ),
    'the load made the 12 months from its first price to its last, nothing more',
  );
});

t.test('hkjc_results and nfl_games: a mistyped year is rejected at validation too', async (t) => {
  const { sql } = await testDb(t);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-years-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  for (const [feed, source, from, to, sport] of [
    ['hkjc_results', path.join(repoRoot, 'data', 'hkjc_results_2024-01-01.csv'), '2024-01-01', '1024-01-01', 'Hong Kong racing'],
    ['nfl_games', path.join(repoRoot, 'data', 'nfl_games_2024_2025.csv'), '2024-09-05', '2204-09-05', 'NFL'],
  ] as const) {
    const lines = (await fs.readFile(source, 'utf8')).split(/\r?\n/);
    const at = lines.findIndex((l, i) => i > 0 && l.includes(from));
    t.ok(at > 0, `${feed}: a line dated ${from}`);
    lines[at] = lines[at]!.replace(from, to);
    const file = path.join(dir, `${feed}.csv`);
    await fs.writeFile(file, lines.join('\n'));
    const batch = await loadFile(sql, feeds[feed]!, file);
    const rejects = await sql<{ line_number: number; stage: string; reason: string }[]>`
      select line_number, stage, reason from ingest.rejected_row where batch_id = ${batch.batch_id}`;
    t.same(
      rejects.map((r) => [r.line_number, r.stage]),
      [[at + 1, 'validate']],
      `${feed}: the line is rejected at validation`,
    );
    t.match(rejects[0]?.reason, new RegExp(`${to} is outside the years ${sport} files can hold`), `${feed}: saying why`);
    t.ok(batch.inserted > 0, `${feed}: the other rows load (${batch.inserted})`);
  }
});
