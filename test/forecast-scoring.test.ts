// forecast.score_event: points by rarity, units at the odds taken, Brier score and
// log loss; idempotent, re-scoring after a correction, serialised per event.
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { complete, event, league, market, matchResult, model, pick, user } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { logLoss } from './helpers/stats-recompute.ts';

interface Score {
  prediction_id: string;
  outcome: string;
  points: string;
  rarity_share: string;
  staked: string;
  units: string | null;
  brier: number | null;
  log_loss: number | null;
  result_version: number;
  scored_at: Date;
}

async function scores(sql: Sql, ev: number): Promise<Map<number, Score>> {
  const rows = await sql<Score[]>`select * from forecast.prediction_score where event_id = ${ev} order by prediction_id`;
  return new Map(rows.map((r) => [Number(r.prediction_id), r]));
}

const score = async (sql: Sql, ev: number): Promise<number> => {
  const [r] = await sql<{ n: number }[]>`select forecast.score_event(${ev}) as n`;
  return r!.n;
};

t.test('points by rarity, units, Brier and log loss; void; re-scoring after a correction', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const { sel } = await matchResult(sql, ev);
  const [a, b, c, d] = [await model(sql, 'a'), await model(sql, 'b'), await model(sql, 'c'), await user(sql, 'dee')];
  const pa = await pick(sql, a!, sel.home!, { odds: 2, stake: 1, probability: 0.6 });
  const pb = await pick(sql, b!, sel.home!, { odds: 2.1, stake: 3 });
  const pc = await pick(sql, c!, sel.home!, { probability: 1 });
  const pd = await pick(sql, d!, sel.away!, { odds: 4, stake: 2, probability: 0.2 });

  t.equal(await score(sql, ev), 0, 'nothing to score before the result');
  await complete(sql, ev, 2, 0);
  t.equal(await score(sql, ev), 4, 'four predictions scored');
  let s = await scores(sql, ev);
  t.match(s.get(pa), { outcome: 'win', points: '3', rarity_share: '0.75000000000000000000', staked: '1.00', units: '1.000' });
  t.equal(s.get(pa)!.brier, 0.16000000000000003, 'Brier (0.6 - 1)^2');
  t.equal(s.get(pa)!.log_loss, -Math.log(0.6), 'log loss -ln 0.6');
  t.equal(Number(s.get(pb)!.units), 3.3, 'units: 3 * (2.1 - 1)');
  t.equal(s.get(pc)!.units, null, 'no odds taken: no units');
  t.equal(s.get(pc)!.staked, '0.00', 'nothing staked without odds');
  t.equal(s.get(pc)!.brier, 0, 'certain and right: Brier 0');
  t.ok(Math.abs(s.get(pc)!.log_loss! - -Math.log(1 - 1e-15)) < 1e-12, 'probability 1 clipped by epsilon');
  t.match(s.get(pd), { outcome: 'loss', points: '0', staked: '2.00', units: '-2' });
  t.ok(Math.abs(Number(s.get(pd)!.rarity_share) - 0.25) < 1e-12, 'share 1/4');
  t.ok(Math.abs(s.get(pd)!.brier! - 0.04) < 1e-12, 'Brier (0.2 - 0)^2');
  t.ok(Math.abs(s.get(pd)!.log_loss! - -Math.log(0.8)) < 1e-12, 'log loss -ln 0.8');
  t.equal(s.get(pd)!.result_version, 0);

  await sql`select core.correct_event_result(${ev}, 'completed', 0::smallint, 1::smallint, 'own goal credited')`;
  t.equal(await score(sql, ev), 4);
  s = await scores(sql, ev);
  t.match(s.get(pd), { outcome: 'win', points: '5', units: '6', result_version: 1 }, 'the lone pick now earns 2 + round(4 * 0.75) = 5');
  t.match(s.get(pa), { outcome: 'loss', points: '0', units: '-1', result_version: 1 });

  await sql`select core.correct_event_result(${ev}, 'abandoned', 0::smallint, 1::smallint, 'abandoned at half time')`;
  await score(sql, ev);
  s = await scores(sql, ev);
  for (const id of [pa, pb, pc, pd]) {
    t.match(s.get(id), { outcome: 'void', points: '0', staked: '0.00', brier: null, log_loss: null }, `prediction ${id} void`);
  }
  t.equal(s.get(pb)!.units, '0', 'void: 0 units');

  await sql`select core.correct_event_result(${ev}, 'scheduled', null, null, 'replay ordered')`;
  t.equal(await score(sql, ev), 0, 'a withdrawn result removes the scores');
  t.equal((await scores(sql, ev)).size, 0);
});

t.test('log loss is clipped exactly: certain and wrong costs -ln(1e-15), and the recomputation agrees', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const { sel } = await matchResult(sql, ev);
  // home wins; each model gives its pick the probability p
  const cases: { name: string; sel: number; p: number; won: boolean; want: number }[] = [
    { name: 'p = 1, lost', sel: sel.away!, p: 1, won: false, want: 34.538776394910684 },
    { name: 'p = 1, won', sel: sel.home!, p: 1, won: true, want: 1.0000000000000005e-15 },
    { name: 'p = 1e-16, won', sel: sel.home!, p: 1e-16, won: true, want: 34.538776394910684 },
    { name: 'p = 1e-16, lost', sel: sel.draw!, p: 1e-16, won: false, want: 1.0000000000000005e-15 },
    { name: 'p = 0.35, won', sel: sel.home!, p: 0.35, won: true, want: -Math.log(0.35) },
    { name: 'p = 0.7, lost', sel: sel.away!, p: 0.7, won: false, want: -Math.log(0.3) },
    { name: 'p = 0.999999, won', sel: sel.home!, p: 0.999999, won: true, want: 1.0000005000003332e-6 },
  ];
  const ids: number[] = [];
  for (const [i, c] of cases.entries()) ids.push(await pick(sql, await model(sql, `ll${i}`), c.sel, { probability: c.p }));
  await rejectsWith(t, pick(sql, await model(sql, 'zero'), sel.away!, { probability: 0 }), {
    code: '23514',
    constraint: 'prediction_probability_range',
  });
  await complete(sql, ev, 1, 0);
  await score(sql, ev);
  const s = await scores(sql, ev);
  const near = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.abs(b);
  for (const [i, c] of cases.entries()) {
    const got = s.get(ids[i]!)!.log_loss!;
    t.ok(near(got, c.want, 4e-16), `${c.name}: log loss ${got} = ${c.want}`);
    t.ok(near(got, logLoss(c.p, c.won, 1e-15), 1e-9), `${c.name}: the recomputation (test/helpers/stats-recompute.ts) agrees`);
  }
  t.equal(s.get(ids[0]!)!.log_loss, 34.538776394910684, 'certain and wrong: exactly -ln(1e-15), not 34.53957599234088');
  t.equal(s.get(ids[2]!)!.log_loss, 34.538776394910684, 'p below epsilon is clipped to it');

  // p = 0 is not a probability a prediction holds (above); the function clips it all the same
  const [f] = await sql<{ won: number; lost: number; none: number | null }[]>`
    select forecast.log_loss(0, true) as won, forecast.log_loss(0, false) as lost, forecast.log_loss(null, true) as none`;
  t.equal(f?.won, 34.538776394910684, 'p = 0 and won: -ln(1e-15)');
  t.ok(near(f!.lost, 1.0000000000000005e-15, 4e-16), 'p = 0 and lost: -ln(1 - 1e-15)');
  t.equal(f?.none, null, 'no probability: no log loss');
});

t.test('the rarity curve follows the rule stored as data', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const { sel } = await matchResult(sql, ev);
  const models = [];
  for (let i = 0; i < 10; i++) models.push(await model(sql, `m${i}`));
  const lone = await pick(sql, models[0]!, sel.away!);
  for (const m of models.slice(1)) await pick(sql, m, sel.home!);
  await complete(sql, ev, 0, 1);
  await score(sql, ev);
  t.equal((await scores(sql, ev)).get(lone)!.points, '6', 'a 1-in-10 pick: 2 + round(4 * 0.9) = 6');
  await sql`update forecast.scoring_rule set curve_exponent = 2, points_step = 0.5 where market_type = 'match_result'`;
  await score(sql, ev);
  t.equal(Number((await scores(sql, ev)).get(lone)!.points), 5, 'exponent 2, half points: 2 + round(4 * 0.81 / 0.5) * 0.5 = 5');
});

t.test('dead heats reduce units by the dead-heat rule; non-runners are void', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const race = await event(sql, lg, { kind: 'race', week: null });
  const runners = await sql<{ id: string; number: number }[]>`
    insert into core.runner (event_id, number, name) select ${race}, n, 'Horse ' || n from generate_series(1, 5) n
    returning runner_id as id, number`;
  const sels = runners.map((r) => ({ code: String(r.number), runnerId: Number(r.id) }));
  const win = await market(sql, race, 'race_win', sels);
  const place = await market(sql, race, 'race_place', sels, 2);
  const u = await user(sql, 'punter');
  const w1 = await pick(sql, u, win.sel['1']!, { odds: 5, stake: 2 });
  const p3 = await pick(sql, u, place.sel['3']!, { odds: 3, stake: 1 });
  const p4 = await pick(sql, u, place.sel['4']!, { odds: 3, stake: 1 });
  const p5 = await pick(sql, u, place.sel['5']!, { odds: 3, stake: 1 });
  await sql`update core.runner set status = case when number = 5 then 'non_runner' else 'finished' end,
                   finish_position = case when number <= 2 then 1 when number <= 4 then 3 end
            where event_id = ${race}`;
  await sql`update core.event set status = 'completed' where event_id = ${race}`;
  await score(sql, race);
  const s = await scores(sql, race);
  t.match(s.get(w1), { outcome: 'win', units: '3' }, 'two share first: 2 * (5 / 2 - 1) = 3');
  t.match(s.get(p3), { outcome: 'loss', units: '-1' }, 'two places taken by the dead heat for first: third loses');
  t.match(s.get(p4), { outcome: 'loss' });
  t.match(s.get(p5), { outcome: 'void', units: '0', points: '0' }, 'non-runner void');
});

t.test('score_event is idempotent and two concurrent calls for one event serialise', async (t) => {
  const { sql } = await testDb(t, { max: 6 });
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const { sel } = await matchResult(sql, ev);
  await sql`insert into forecast.forecaster (kind, name, version, model_type) select 'model', 'gen' || n, '1', 'test' from generate_series(1, 300) n`;
  await sql`insert into forecast.prediction (forecaster_id, selection_id, odds, probability, predicted_at)
            select f.forecaster_id, (array[${sel.home!}, ${sel.draw!}, ${sel.away!}]::bigint[])[1 + f.forecaster_id % 3], 1.5 + (f.forecaster_id % 7) / 2.0,
                   0.05 + (f.forecaster_id % 19) / 20.0, '2024-09-01'
              from forecast.forecaster f where f.name like 'gen%'`;
  await complete(sql, ev, 1, 1);
  t.equal(await score(sql, ev), 300);
  const first = await sql`select * from forecast.prediction_score where event_id = ${ev} order by prediction_id`;
  t.equal(await score(sql, ev), 300);
  const second = await sql`select * from forecast.prediction_score where event_id = ${ev} order by prediction_id`;
  t.same(second, first, 'a second run leaves exactly the same rows (scored_at included)');
  const [points] = await sql<
    { n: number }[]
  >`select count(distinct points)::int as n from forecast.prediction_score where event_id = ${ev}`;
  t.ok(points!.n >= 2, 'wins and losses earn different points');

  // connection A holds the event's lock inside a transaction; B must wait for it
  const a = await sql.reserve();
  const b = await sql.reserve();
  const [bpid] = await b<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await a`begin`;
  await a`select core.correct_event_result(${ev}, 'completed', 2::smallint, 1::smallint, 'late goal')`;
  await a`select forecast.score_event(${ev})`;
  const bDone = b<{ n: number }[]>`select forecast.score_event(${ev}) as n`.execute(); // postgres.js queries are lazy
  let waiting = false;
  for (let i = 0; i < 200 && !waiting; i++) {
    const [w] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where pid = ${bpid!.pid} and locktype = 'advisory' and not granted`;
    waiting = w!.n > 0;
    if (!waiting) await new Promise((r) => setTimeout(r, 25));
  }
  t.ok(waiting, 'the second call waits on the advisory lock of the event');
  await a`commit`;
  const [bn] = await bDone;
  t.equal(bn!.n, 300, 'then scores the event from the committed correction');
  a.release();
  b.release();
  const [v] = await sql<
    { n: number }[]
  >`select count(*)::int as n from forecast.prediction_score where event_id = ${ev} and result_version = 1`;
  t.equal(v!.n, 300, 'every score is from result_version 1');
});

t.test('score_event on an unknown event', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select forecast.score_event(987654321)`, { code: 'SL040', message: /no such event/ });
});

t.test('a pick being made and a settlement at the same moment: the settlement waits, then scores the pick', async (t) => {
  const { sql } = await testDb(t, { max: 6 });
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const { sel } = await matchResult(sql, ev);
  const u = await user(sql, 'racer');
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${ev}`;
  const a = await sql.reserve();
  const b = await sql.reserve();
  const [bpid] = await b<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await a`begin`;
  await a`insert into forecast.prediction (forecaster_id, selection_id, predicted_at) values (${u}, ${sel.home!}, '2024-09-07')`;
  const scoring = b<{ n: number }[]>`select forecast.score_event(${ev}) as n`.execute();
  let waiting = false;
  for (let i = 0; i < 200 && !waiting; i++) {
    const [w] = await sql<{ n: number }[]>`select count(*)::int as n from pg_locks where pid = ${bpid!.pid} and not granted`;
    waiting = w!.n > 0;
    if (!waiting) await new Promise((r) => setTimeout(r, 25));
  }
  t.ok(waiting, 'the settlement waits for the pick being made');
  await a`commit`;
  const [scored] = await scoring;
  t.equal(scored!.n, 1, 'then settles and scores it');
  a.release();
  b.release();
});
