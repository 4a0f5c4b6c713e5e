// The race domain end to end on the real Hong Kong file: races, runners, win market (the
// hkjc_results feed), win odds kept as historical prices, three strategies betting
// (trade.create_race_strategy_bets), settlement and strategy performance.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runRaceDemo } from '../src/demo/race.ts';
import { readCsv } from '../src/ingest/csv.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

const FILE = path.join(import.meta.dirname, 'fixtures', 'hkjc_results_2024-01-01.csv');
/** A second meeting, Sha Tin on 11 November 2023 (../shared/data/hkjc/results_2023-11-11.csv). */
const FILE_2023 = path.join(import.meta.dirname, 'fixtures', 'hkjc_results_2023-11-11.csv');

interface Runner {
  race_no: number;
  horse_no: number;
  place: string;
  win_odds: string;
}

/** The file's runners, read with the CSV reader alone (no feed, no SQL). */
async function readHkjcResults(file: string): Promise<Runner[]> {
  const rows: Runner[] = [];
  for await (const rec of readCsv(createReadStream(file))) {
    if (!('values' in rec)) continue;
    const v = rec.values;
    rows.push({ race_no: Number(v.race_no), horse_no: Number(v.horse_no), place: v.place ?? '', win_odds: v.win_odds ?? '' });
  }
  return rows;
}

/**
 * Expected bets and P&L per strategy, straight from a file (independent of the SQL): runners
 * with a win price (a withdrawn horse has none), the favourite by price then number, a winner
 * in a dead heat for first paid by the dead-heat rule (stake / runners tied at full odds).
 */
async function expectedPnl(file = FILE): Promise<Record<string, { bets: number; pnl: number }>> {
  const rows = (await readHkjcResults(file)).filter((r) => r.win_odds !== '' && Number.isFinite(Number(r.win_odds)));
  const races = new Map<number, typeof rows>();
  for (const r of rows) races.set(r.race_no, [...(races.get(r.race_no) ?? []), r]);
  const cents = (x: number) => Math.round(x * 100) / 100;
  const out: Record<string, { bets: number; pnl: number }> = {
    favourite_back: { bets: 0, pnl: 0 },
    favourite_lay: { bets: 0, pnl: 0 },
    value_back: { bets: 0, pnl: 0 },
  };
  for (const runners of races.values()) {
    const won = (r: (typeof rows)[number]) => /^1(\D|$)/.test(r.place);
    const tied = runners.filter(won).length;
    /** P&L of a back bet, before commission; a lay bet is its opposite. */
    const back = (r: (typeof rows)[number], stake: number) => (won(r) ? cents((stake * Number(r.win_odds)) / tied - stake) : -stake);
    const net = (gross: number, rate: number) => (gross > 0 ? gross - cents(gross * rate) : gross);
    const fav = [...runners].sort((a, b) => Number(a.win_odds) - Number(b.win_odds) || a.horse_no - b.horse_no)[0]!;
    out.favourite_back!.bets++;
    out.favourite_back!.pnl += back(fav, 10);
    out.favourite_lay!.bets++;
    out.favourite_lay!.pnl += net(-back(fav, 10), 0.05);
    for (const r of runners) {
      const o = Number(r.win_odds);
      if (o < 5 || o > 10) continue;
      out.value_back!.bets++;
      out.value_back!.pnl += back(r, 5);
    }
  }
  for (const v of Object.values(out)) v.pnl = cents(v.pnl);
  return out;
}

t.test('a Sha Tin meeting: load, bet, settle, performance', async (t) => {
  const { sql } = await testDb(t);
  const summary = await runRaceDemo(sql, FILE);
  t.equal(summary.races, 10, '10 races');
  t.equal(summary.runners, 124, '124 runners');
  t.equal(summary.prices, 124, 'one win price per runner');
  t.equal(summary.pricesKept, 124, 'kept by the load');
  const expected = await expectedPnl();
  const totalBets = Object.values(expected).reduce((a, b) => a + b.bets, 0);
  t.equal(summary.bets, totalBets, `${totalBets} bets placed`);
  t.equal(summary.settled, totalBets, 'every bet settled');

  const [events] = await sql<{ n: number; completed: number }[]>`
    select count(*)::int as n, count(*) filter (where status = 'completed')::int as completed
      from core.event where external_id like 'hkjc_20240101_ST_R%'`;
  t.same(events, { n: 10, completed: 10 }, 'races hkjc_20240101_ST_R1..R10, completed');
  const [winners] = await sql<{ n: number }[]>`
    select count(*)::int as n from market.selection s join market.market m using (market_id)
     where m.market_type = 'race_win' and s.result = 'won'`;
  t.equal(winners?.n, 10, 'one winner per race');
  const [deadHeat] = await sql<{ n: number }[]>`
    select count(*)::int as n from core.runner r join core.event e using (event_id)
     where e.external_id = 'hkjc_20240101_ST_R5' and r.finish_position = 7`;
  t.equal(deadHeat?.n, 2, 'the dead heat for 7th in race 5 shares the place');
  const [pulledUp] = await sql<{ status: string }[]>`
    select r.status from core.runner r join core.event e using (event_id)
     where e.external_id = 'hkjc_20240101_ST_R6' and r.number = 6`;
  t.equal(pulledUp?.status, 'did_not_finish', 'PU did not finish');
  const [where] = await sql<{ part: string }[]>`select distinct tableoid::regclass::text as part from market.odds_history`;
  t.equal(where?.part, 'market.odds_history_p202401', 'prices in their monthly partition (04:xx-09:xx UTC)');

  for (const row of summary.performance) {
    const want = expected[row.strategy]!;
    t.equal(row.bets, want.bets, `${row.strategy}: ${want.bets} bets`);
    t.equal(Number(row.pnl), want.pnl, `${row.strategy}: P&L ${want.pnl} as recomputed from the file`);
    t.equal(row.won + row.lost, want.bets, `${row.strategy}: every bet won or lost`);
  }
  t.equal(summary.performance.length, 3, 'a daily row per strategy');

  const again = await runRaceDemo(sql, FILE);
  t.same(
    [again.races, again.runners, again.pricesKept, again.bets, again.settled],
    [10, 0, 0, 0, 0],
    'a second run loads, bets and settles nothing',
  );
  t.same(again.performance, summary.performance, 'and the performance is unchanged');
});

t.test('two meetings: the daily rollup has every strategy and day, and refresh.status tells the truth', async (t) => {
  const { sql } = await testDb(t);
  const performance = ['stats.strategy_performance_daily', 'stats.strategy_performance_hourly'];
  const status = async () =>
    (
      await sql<{ object: string; method: string; state: string }[]>`
        select object::text, method, state from refresh.status where object::text like 'stats.strategy\\_performance\\_%' order by 1`
    ).map((r) => `${r.object}: ${r.method}, ${r.state}`);
  const both = (state: string) => performance.map((o) => `${o}: function, ${state}`);
  t.same(await status(), both('fresh'), 'registered with method function; nothing bet yet: fresh');

  for (const file of [FILE, FILE_2023]) await loadFile(sql, feeds.hkjc_results!, file);
  const races = await sql<{ event_id: string }[]>`
    select event_id from core.event where external_id ~ '^hkjc_(20240101|20231111)_ST_R' order by event_id`;
  t.equal(races.length, 20, 'two meetings at Sha Tin, 10 races each');
  const ids = races.map((r) => r.event_id);
  await sql`select trade.create_race_strategy_bets(${sql.array(ids)}::bigint[])`;
  t.same(await status(), both('stale'), 'bets placed: stale');
  await sql`call refresh.run_due('manual')`;
  t.same(await status(), both('fresh'), 'make refresh refreshes them: fresh');

  for (const id of ids) await sql`select market.settle_event(${id})`;
  const [settled] = await sql<
    { n: number }[]
  >`select sum(trade.settle_bets(event_id))::int as n from core.event where event_id = any (${sql.array(ids)}::bigint[])`;
  t.ok(settled!.n > 0, `${settled!.n} bets settled`);
  t.same(await status(), both('stale'), 'a bet settled: stale, not fresh');
  const [unchanged] = await sql<{ n: number }[]>`
    select count(*)::int as n from stats.strategy_performance_daily where settled > 0`;
  t.equal(unchanged?.n, 0, '(and indeed the rollup does not have the settlements yet)');
  await sql`call refresh.run_due('manual')`;
  t.same(await status(), both('fresh'), 'refreshed: fresh again');

  const daily = await sql<{ strategy: string; day: string; bets: number; won: number; lost: number; pnl: string }[]>`
    select st.name as strategy, d.day::text, d.bets, d.won, d.lost, d.pnl::text
      from stats.strategy_performance_daily d join trade.strategy st using (strategy_id)
     order by st.name, d.day`;
  const expected: { strategy: string; day: string; bets: number; pnl: number }[] = [];
  for (const [file, day] of [
    [FILE_2023, '2023-11-11'],
    [FILE, '2024-01-01'],
  ] as const) {
    for (const [strategy, v] of Object.entries(await expectedPnl(file))) expected.push({ strategy, day, ...v });
  }
  expected.sort((a, b) => a.strategy.localeCompare(b.strategy) || a.day.localeCompare(b.day));
  t.equal(daily.length, 6, 'a daily row per strategy and meeting day: 3 x 2');
  t.same(
    daily.map((d) => ({ strategy: d.strategy, day: d.day, bets: d.bets, pnl: Number(d.pnl) })),
    expected,
    'bets and P&L per strategy and day as recomputed from the two files',
  );
  t.ok(
    daily.every((d) => d.won + d.lost === d.bets),
    'every bet settled won or lost',
  );
});

t.test('a bad line is reported with its number', async (t) => {
  const { sql } = await testDb(t);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hkjc-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const text = await fs.readFile(FILE, 'utf8');
  const lines = text.split('\n');
  lines[3] = lines[3]!.replace('沙田', 'Ascot');
  const bad = path.join(dir, 'bad.csv');
  await fs.writeFile(bad, lines.join('\n'));
  const batch = await loadFile(sql, feeds.hkjc_results!, bad);
  t.equal(batch.rejected, 1, 'the feed rejects the line');
  const rejected = await sql<{ line_number: number; reason: string }[]>`
    select line_number, reason from ingest.rejected_row where batch_id = ${batch.batch_id}`;
  t.match(rejected, [{ line_number: 4, reason: /^venue: is not a Hong Kong venue/ }], 'bad.csv line 4: venue, with the reason');
});

t.test('the race strategies need their sources', async (t) => {
  const { sql } = await testDb(t);
  await sql`delete from market.source where code = 'betfair'`;
  await rejectsWith(t, sql`select trade.create_race_strategy_bets()`, { code: 'SL098', message: /no market\.source betfair/ });
});
