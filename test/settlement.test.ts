// Settlement: each market type from the event's result, re-settlement after a
// correction, void on abandoned or cancelled, reopening on a withdrawn result.
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { complete, event, league, market, matchResult, player } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

async function results(sql: Sql, marketId: number): Promise<Record<string, string | null>> {
  const rows = await sql<{ code: string; result: string | null }[]>`
    select code, result from market.selection where market_id = ${marketId} order by code`;
  return Object.fromEntries(rows.map((r) => [r.code, r.result]));
}

async function marketState(sql: Sql, marketId: number): Promise<{ status: string; version: number | null; settled: boolean }> {
  const [m] = await sql<{ status: string; settled_result_version: number | null; settled_at: Date | null }[]>`
    select status, settled_result_version, settled_at from market.market where market_id = ${marketId}`;
  return { status: m!.status, version: m!.settled_result_version, settled: m!.settled_at !== null };
}

const settle = async (sql: Sql, ev: number): Promise<number> => {
  const [r] = await sql<{ n: number }[]>`select market.settle_event(${ev}) as n`;
  return r!.n;
};

t.test('match_result and correct_score from the score; re-settlement after a correction', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const mr = await matchResult(sql, ev);
  const cs = await market(sql, ev, 'correct_score', [{ code: '1-0' }, { code: '2-1' }, { code: '1-1' }, { code: 'other' }]);

  t.equal(await settle(sql, ev), 0, 'a scheduled event settles nothing');
  t.same(await marketState(sql, mr.marketId), { status: 'open', version: null, settled: false });

  await complete(sql, ev, 2, 1);
  t.equal(await settle(sql, ev), 7, 'seven selections got a result');
  t.same(await results(sql, mr.marketId), { away: 'lost', draw: 'lost', home: 'won' });
  t.same(await results(sql, cs.marketId), { '1-0': 'lost', '1-1': 'lost', '2-1': 'won', other: 'lost' });
  t.same(await marketState(sql, mr.marketId), { status: 'settled', version: 0, settled: true });
  t.equal(await settle(sql, ev), 0, 're-running changes nothing');

  await sql`select core.correct_event_result(${ev}, 'completed', 1::smallint, 1::smallint, 'wrong score entered')`;
  t.equal(await settle(sql, ev), 4, 'the correction changes four selections');
  t.same(await results(sql, mr.marketId), { away: 'lost', draw: 'won', home: 'lost' });
  t.same(await results(sql, cs.marketId), { '1-0': 'lost', '1-1': 'won', '2-1': 'lost', other: 'lost' });
  t.same(await marketState(sql, mr.marketId), { status: 'settled', version: 1, settled: true }, 'settled from result_version 1');

  await sql`select core.correct_event_result(${ev}, 'completed', 0::smallint, 3::smallint, 'again')`;
  await settle(sql, ev);
  t.same(await results(sql, mr.marketId), { away: 'won', draw: 'lost', home: 'lost' });
  t.same(await results(sql, cs.marketId), { '1-0': 'lost', '1-1': 'lost', '2-1': 'lost', other: 'won' }, 'other wins an unlisted score');
});

t.test('abandoned and cancelled events void their markets; a withdrawn result reopens them', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const mr = await matchResult(sql, ev);
  await sql`update core.event set status = 'in_progress', home_score = 0, away_score = 0 where event_id = ${ev}`;
  await sql`update core.event set status = 'abandoned' where event_id = ${ev}`;
  t.equal(await settle(sql, ev), 3);
  t.same(await results(sql, mr.marketId), { away: 'void', draw: 'void', home: 'void' });
  t.same(await marketState(sql, mr.marketId), { status: 'void', version: 0, settled: true });

  await sql`select core.correct_event_result(${ev}, 'completed', 2::smallint, 0::smallint, 'played to the end after all')`;
  await settle(sql, ev);
  t.same(await results(sql, mr.marketId), { away: 'lost', draw: 'lost', home: 'won' }, 'void to settled');

  await sql`select core.correct_event_result(${ev}, 'scheduled', null, null, 'result withdrawn: replay ordered')`;
  t.equal(await settle(sql, ev), 3, 'all three results cleared');
  t.same(await results(sql, mr.marketId), { away: null, draw: null, home: null });
  t.same(await marketState(sql, mr.marketId), { status: 'open', version: null, settled: false }, 'the market reopens');

  const off = await event(sql, lg);
  const om = await matchResult(sql, off);
  await sql`update core.event set status = 'cancelled' where event_id = ${off}`;
  await settle(sql, off);
  t.same(await marketState(sql, om.marketId), { status: 'void', version: 0, settled: true }, 'cancelled: void');

  const susp = await event(sql, lg);
  const sm = await matchResult(sql, susp);
  await sql`update market.market set status = 'suspended' where market_id = ${sm.marketId}`;
  await settle(sql, susp);
  t.equal((await marketState(sql, sm.marketId)).status, 'suspended', 'an unfinished event leaves a suspended market alone');
});

t.test('first_td_scorer from the named player; no touchdown; not settled before the fact is known', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg, { kind: 'game' });
  const a = await player(sql, lg, 'A', lg.teams[0], 'WR');
  const b = await player(sql, lg, 'B', lg.teams[1], 'RB');
  const ft = await market(sql, ev, 'first_td_scorer', [{ code: 'a', playerId: a }, { code: 'b', playerId: b }, { code: 'none' }]);
  await complete(sql, ev, 24, 17);
  t.equal(await settle(sql, ev), 0, 'completed but no first-touchdown fact: not settled');
  t.equal((await marketState(sql, ft.marketId)).status, 'open');

  await sql`insert into forecast.first_touchdown (event_id, player_id) values (${ev}, ${b})`;
  t.equal(await settle(sql, ev), 3);
  t.same(await results(sql, ft.marketId), { a: 'lost', b: 'won', none: 'lost' });

  await sql`update forecast.first_touchdown set player_id = ${a} where event_id = ${ev}`;
  t.equal(await settle(sql, ev), 2, 'a corrected scorer moves the win');
  t.same(await results(sql, ft.marketId), { a: 'won', b: 'lost', none: 'lost' });

  await sql`update forecast.first_touchdown set player_id = null where event_id = ${ev}`;
  await settle(sql, ev);
  t.same(await results(sql, ft.marketId), { a: 'lost', b: 'lost', none: 'won' }, 'no touchdown: none wins');

  await sql`delete from forecast.first_touchdown where event_id = ${ev}`;
  await settle(sql, ev);
  t.same(await results(sql, ft.marketId), { a: null, b: null, none: null }, 'the fact withdrawn: unsettled again');
  t.equal((await marketState(sql, ft.marketId)).status, 'open');
});

t.test('race_win and race_place from finishing positions: dead heats, non-runners, unfinished', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const race = await event(sql, lg, { kind: 'race', week: null });
  const runners = await sql<{ id: string; number: number }[]>`
    insert into core.runner (event_id, number, name) select ${race}, n, 'Dog ' || n from generate_series(1, 6) n
    returning runner_id as id, number`;
  const sels = runners.map((r) => ({ code: String(r.number), runnerId: Number(r.id) }));
  const win = await market(sql, race, 'race_win', sels);
  const place = await market(sql, race, 'race_place', sels, 3);
  // 1 and 2 dead-heat for first, 3 fourth, 4 did not finish, 5 non-runner, 6 still declared
  await sql`update core.runner set status = 'finished', finish_position = 1 where event_id = ${race} and number in (1, 2)`;
  await sql`update core.runner set status = 'finished', finish_position = 3 where event_id = ${race} and number = 3`;
  await sql`update core.runner set status = 'did_not_finish' where event_id = ${race} and number = 4`;
  await sql`update core.runner set status = 'non_runner' where event_id = ${race} and number = 5`;
  await sql`update core.event set status = 'completed' where event_id = ${race}`;
  t.equal(await settle(sql, race), 0, 'a declared runner without a result keeps the race unsettled');

  await sql`select core.correct_event_result(${race}, 'completed', null, null, 'last result in', '{"6": 4}'::jsonb)`;
  await settle(sql, race);
  t.same(
    await results(sql, win.marketId),
    { '1': 'won', '2': 'won', '3': 'lost', '4': 'lost', '5': 'void', '6': 'lost' },
    'dead heat: both win',
  );
  t.same(await results(sql, place.marketId), { '1': 'won', '2': 'won', '3': 'won', '4': 'lost', '5': 'void', '6': 'lost' }, 'three places');

  await sql`select core.correct_event_result(${race}, 'completed', null, null, 'photo re-read', '{"2": 2, "3": 3, "6": 3}'::jsonb)`;
  await settle(sql, race);
  t.same(await results(sql, win.marketId), { '1': 'won', '2': 'lost', '3': 'lost', '4': 'lost', '5': 'void', '6': 'lost' }, 'corrected');
  t.same(
    await results(sql, place.marketId),
    { '1': 'won', '2': 'won', '3': 'won', '4': 'lost', '5': 'void', '6': 'won' },
    'a dead heat on the last place: both placed',
  );
  t.same(await marketState(sql, place.marketId), { status: 'settled', version: 2, settled: true });
});

t.test('settle_event on an unknown event', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select market.settle_event(987654321)`, {
    code: 'SL040',
    message: /cannot settle event 987654321: no such event/,
  });
});
