// The race domain end to end on the real Hong Kong file: races, runners, win market (the
// hkjc_results feed), win odds as snapshots, three strategies betting
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

/** Expected P&L per strategy, straight from the file (independent of the SQL). */
async function expectedPnl(): Promise<Record<string, { bets: number; pnl: number }>> {
  const rows = await readHkjcResults(FILE);
  const races = new Map<number, typeof rows>();
  for (const r of rows) races.set(r.race_no, [...(races.get(r.race_no) ?? []), r]);
  const cents = (x: number) => Math.round(x * 100) / 100;
  const out: Record<string, { bets: number; pnl: number }> = {
    favourite_back: { bets: 0, pnl: 0 },
    favourite_lay: { bets: 0, pnl: 0 },
    value_back: { bets: 0, pnl: 0 },
  };
  for (const runners of races.values()) {
    const fav = [...runners].sort((a, b) => Number(a.win_odds) - Number(b.win_odds) || a.horse_no - b.horse_no)[0]!;
    const won = (r: (typeof rows)[number]) => /^1(\D|$)/.test(r.place);
    const odds = Number(fav.win_odds);
    out.favourite_back!.bets++;
    out.favourite_back!.pnl += won(fav) ? cents(10 * (odds - 1)) : -10;
    out.favourite_lay!.bets++;
    out.favourite_lay!.pnl += won(fav) ? -cents(10 * (odds - 1)) : 10 - cents(10 * 0.05);
    for (const r of runners) {
      const o = Number(r.win_odds);
      if (o < 5 || o > 10) continue;
      out.value_back!.bets++;
      out.value_back!.pnl += won(r) ? cents(5 * (o - 1)) : -5;
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
  t.equal(summary.snapshots, 124, 'one win-odds snapshot per runner');
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
  const [where] = await sql<{ part: string }[]>`select distinct tableoid::regclass::text as part from market.odds_snapshot`;
  t.equal(where?.part, 'market.odds_snapshot_p20240101', 'snapshots in their daily partition (04:xx-09:xx UTC)');

  for (const row of summary.performance) {
    const want = expected[row.strategy]!;
    t.equal(row.bets, want.bets, `${row.strategy}: ${want.bets} bets`);
    t.equal(Number(row.pnl), want.pnl, `${row.strategy}: P&L ${want.pnl} as recomputed from the file`);
    t.equal(row.won + row.lost, want.bets, `${row.strategy}: every bet won or lost`);
  }
  t.equal(summary.performance.length, 3, 'a daily row per strategy');

  const again = await runRaceDemo(sql, FILE);
  t.same(
    [again.races, again.runners, again.snapshots, again.bets, again.settled],
    [10, 0, 0, 0, 0],
    'a second run loads, bets and settles nothing',
  );
  t.same(again.performance, summary.performance, 'and the performance is unchanged');
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
