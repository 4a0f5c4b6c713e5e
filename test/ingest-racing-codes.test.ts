// Hong Kong place codes on four real 2023 meetings (test/fixtures/hkjc/, copies of
// ../shared/data/hkjc): WV, WV-A, WX, WX-A (withdrawn; often without a horse number), PU,
// UR, FE, TNP and dead heats (`11 平頭馬`). Every runner loads; a withdrawn or non-starting
// runner is a non_runner whose selection is void, and bets and predictions on it are void
// (stake returned); runners that started but did not finish lose.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { readCsv } from '../src/ingest/csv.ts';
import type { BatchRow } from '../src/ingest/feed.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { model, user, pick } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

const DIR = path.join(repoRoot, 'test/fixtures/hkjc');
const MEETINGS = ['2023-02-01', '2023-03-26', '2023-07-01', '2023-11-11'] as const;
const results = (day: string) => path.join(DIR, `results_${day}.csv`);
const counts = (b: BatchRow) => ({ inserted: b.inserted, updated: b.updated, unchanged: b.unchanged, rejected: b.rejected });

const STATUS: Record<string, string> = {
  WV: 'non_runner',
  'WV-A': 'non_runner',
  WX: 'non_runner',
  'WX-A': 'non_runner',
  TNP: 'non_runner',
  PU: 'did_not_finish',
  UR: 'did_not_finish',
  FE: 'did_not_finish',
  DNF: 'did_not_finish',
  DISQ: 'disqualified',
};

interface FileRunner {
  line: number;
  race: number;
  horseNo: string;
  code: string;
  place: string;
  status: string;
}

/** The runners of a results file, read with the CSV reader alone (no feed, no SQL); exact repeats of a line left out. */
async function fileRunners(day: string): Promise<{ runners: FileRunner[]; repeats: number[] }> {
  const runners: FileRunner[] = [];
  const repeats: number[] = [];
  const seen = new Set<string>();
  for await (const r of readCsv(createReadStream(results(day)))) {
    if (!('values' in r)) continue;
    if (seen.has(r.raw)) {
      repeats.push(r.line);
      continue;
    }
    seen.add(r.raw);
    const v = r.values;
    const place = v.place!.trim();
    const code = /\(([A-Z]{1,2}\d{3})\)$/.exec(v.horse_name!)![1]!;
    runners.push({ line: r.line, race: Number(v.race_no), horseNo: v.horse_no!.trim(), code, place, status: STATUS[place] ?? 'finished' });
  }
  return { runners, repeats };
}

async function loadAll(sql: Sql): Promise<BatchRow[]> {
  const out: BatchRow[] = [];
  for (const day of MEETINGS) out.push(await loadFile(sql, feeds.hkjc_results!, results(day)));
  return out;
}

t.test('four real meetings: every runner loads, each code has its status, a re-run changes nothing', async (t) => {
  const { sql } = await testDb(t);
  const batches = await loadAll(sql);
  for (const [i, day] of MEETINGS.entries()) {
    const { runners, repeats } = await fileRunners(day);
    t.same(
      counts(batches[i]!),
      { inserted: runners.length, updated: 0, unchanged: 0, rejected: repeats.length },
      `${day}: ${runners.length} runners`,
    );
    const rejected = await sql<{ line_number: number; reason: string }[]>`
      select line_number, reason from ingest.rejected_row where batch_id = ${batches[i]!.batch_id} order by line_number`;
    t.same(
      rejected.map((r) => r.line_number),
      repeats,
      `${day}: only the lines that repeat an earlier line exactly are rejected`,
    );
    for (const r of rejected) t.match(r.reason, /already appears on line \d+ of this file/);

    const db = await sql<{ race: number; key: string; status: string; position: number | null; dead_heat: boolean }[]>`
      select e.round::int as race, coalesce(r.number::text, r.external_id) as key, r.status, r.finish_position as position,
             coalesce((r.metadata ->> 'dead_heat')::boolean, false) as dead_heat
        from core.runner r join core.event e using (event_id)
       where e.external_id like ${'hkjc_' + day.replaceAll('-', '') + '_%'}`;
    const byKey = new Map(db.map((r) => [`${r.race}/${r.key}`, r]));
    for (const f of runners) {
      const got = byKey.get(`${f.race}/${f.horseNo || f.code}`);
      if (!got) {
        t.fail(`${day} line ${f.line}: runner missing`);
        continue;
      }
      if (got.status !== f.status) t.fail(`${day} line ${f.line}: ${f.place} is ${got.status}, not ${f.status}`);
      const m = /^(\d+)\s*平頭馬$/.exec(f.place);
      if (m && (got.position !== Number(m[1]) || !got.dead_heat)) t.fail(`${day} line ${f.line}: dead heat ${f.place} lost`);
    }
    t.equal(db.length, runners.length, `${day}: each file runner is one core.runner, with its status and dead heats`);
  }

  const codes = await sql<{ status: string; n: number; numberless: number }[]>`
    select status, count(*)::int as n, count(*) filter (where number is null)::int as numberless from core.runner group by status order by status`;
  t.same(
    codes.map((c) => [c.status, c.n, c.numberless]),
    [
      ['did_not_finish', 4, 0],
      ['finished', 495, 0],
      ['non_runner', 13, 8],
    ],
    'PU, UR, FE did not finish; WV, WV-A, WX, WX-A, TNP are non-runners, 8 of them without a horse number',
  );
  const [sel] = await sql<{ n: number }[]>`
    select count(*)::int as n from core.runner r join market.selection s on s.runner_id = r.runner_id
     where r.number is null and s.code = r.external_id`;
  t.equal(sel?.n, 8, 'a numberless runner has its race_win selection, coded by its brand code');

  for (const [i, day] of MEETINGS.entries()) {
    const again = await loadFile(sql, feeds.hkjc_results!, results(day));
    t.same(counts(again), { ...counts(batches[i]!), inserted: 0, unchanged: batches[i]!.inserted }, `${day} again: unchanged`);
  }
});

t.test('settlement: non-runners void with their bets and predictions, runners that did not finish lose', async (t) => {
  const { sql } = await testDb(t);
  await loadAll(sql);
  const sel = async (externalId: string, key: string) => {
    const [row] = await sql<{ selection_id: string; event_id: string }[]>`
      select s.selection_id, m.event_id from market.selection s join market.market m using (market_id) join core.event e using (event_id)
       where e.external_id = ${externalId} and m.market_type = 'race_win' and s.code = ${key}`;
    return row!;
  };
  const withdrawn = await sel('hkjc_20230201_HV_R5', 'D397'); // WV, no horse number
  const tookNoPart = await sel('hkjc_20230701_ST_R2', '9'); // TNP, with a number and win odds
  const pulledUp = await sel('hkjc_20230201_HV_R1', '8'); // PU
  const winner = await sel('hkjc_20230201_HV_R1', '1');

  const [strategy] = await sql<
    { id: number }[]
  >`insert into trade.strategy (name, version) values ('manual', '1') returning strategy_id as id`;
  const [hkjc] = await sql<{ id: number }[]>`select source_id as id from market.source where code = 'hkjc'`;
  const bet = async (selectionId: string) => {
    const [b] = await sql<{ id: string }[]>`
      insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
      values (${strategy!.id}, ${selectionId}, ${hkjc!.id}, 'back', 13, 10, 'matched', '2023-01-31T10:00:00Z') returning bet_id as id`;
    return b!.id;
  };
  const bets = {
    withdrawn: await bet(withdrawn.selection_id),
    tookNoPart: await bet(tookNoPart.selection_id),
    pulledUp: await bet(pulledUp.selection_id),
  };
  const m = await model(sql, 'm');
  const u = await user(sql, 'punter');
  const picks = {
    withdrawn: await pick(sql, u, Number(withdrawn.selection_id), { odds: 4, stake: 2, at: '2023-01-31T10:00:00Z' }),
    tookNoPart: await pick(sql, m, Number(tookNoPart.selection_id), { odds: 13, stake: 1, probability: 0.1, at: '2023-06-30T10:00:00Z' }),
    pulledUp: await pick(sql, u, Number(pulledUp.selection_id), { odds: 6.9, stake: 1, at: '2023-01-31T10:00:00Z' }),
  };

  const events = [...new Set([withdrawn.event_id, tookNoPart.event_id, pulledUp.event_id])];
  for (const e of events) {
    await sql`select market.settle_event(${e})`;
    await sql`select trade.settle_bets(${e})`;
    await sql`select forecast.score_event(${e})`;
  }
  const result = async (selectionId: string) =>
    (await sql<{ result: string }[]>`select result from market.selection where selection_id = ${selectionId}`)[0]!.result;
  t.equal(await result(withdrawn.selection_id), 'void', 'withdrawn (WV, no number): selection void');
  t.equal(await result(tookNoPart.selection_id), 'void', 'TNP: selection void');
  t.equal(await result(pulledUp.selection_id), 'lost', 'PU: lost');
  t.equal(await result(winner.selection_id), 'won', 'the winner won');
  const [market] = await sql<{ status: string }[]>`
    select status from market.market where event_id = ${withdrawn.event_id} and market_type = 'race_win'`;
  t.equal(market?.status, 'settled', 'the race with a withdrawn runner settles');

  const betRows = await sql<{ bet_id: string; status: string; result: string; pnl: string }[]>`
    select bet_id, status, result, pnl::text from trade.bet order by bet_id`;
  const byBet = new Map(betRows.map((b) => [b.bet_id, b]));
  t.match(byBet.get(bets.withdrawn), { status: 'void', result: 'void', pnl: '0.00' }, 'a bet on a withdrawn horse: void, stake returned');
  t.match(byBet.get(bets.tookNoPart), { status: 'void', result: 'void', pnl: '0.00' }, 'a bet on a TNP horse: void, stake returned');
  t.match(byBet.get(bets.pulledUp), { status: 'settled', result: 'lost', pnl: '-10.00' }, 'a bet on a pulled-up horse: lost');

  const scores = await sql<{ prediction_id: string; outcome: string; units: string }[]>`
    select prediction_id, outcome, units::text from forecast.prediction_score`;
  const byPick = new Map(scores.map((s) => [Number(s.prediction_id), s]));
  t.match(byPick.get(picks.withdrawn), { outcome: 'void', units: '0' }, 'a pick of a withdrawn horse: void');
  t.match(byPick.get(picks.tookNoPart), { outcome: 'void', units: '0' }, "a model's prediction of a TNP horse: void");
  t.match(byPick.get(picks.pulledUp), { outcome: 'loss', units: '-1' }, 'a pick of a pulled-up horse: a loss');
});

t.test('a runner without a number must be a non-runner with a brand code', async (t) => {
  const { sql } = await testDb(t);
  await loadAll(sql);
  const [race] = await sql<{ id: string }[]>`select event_id as id from core.event where external_id = 'hkjc_20230201_HV_R1'`;
  await rejectsWith(
    t,
    sql`insert into core.runner (event_id, number, name, external_id, status) values (${race!.id}, null, 'X', 'Z999', 'declared')`,
    {
      code: '23514',
      constraint: 'runner_numberless_is_non_runner',
    },
  );
  await rejectsWith(t, sql`insert into core.runner (event_id, number, name, status) values (${race!.id}, null, 'X', 'non_runner')`, {
    code: '23514',
    constraint: 'runner_numberless_has_external_id',
  });
  await rejectsWith(
    t,
    sql`insert into core.runner (event_id, number, name, external_id, status) values (${race!.id}, null, 'X', 'G083', 'non_runner'), (${race!.id}, null, 'Y', 'G083', 'non_runner')`,
    {
      code: '23505',
      constraint: 'runner_event_numberless_external_id_key',
    },
  );
});
