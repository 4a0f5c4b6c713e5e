// Attack: bets and picks once the result is (nearly) known, before the markets are settled.
// No market is in-play (docs/timeseries.md), so bets close at the event's start: the app
// placing (trade.place_bet or a direct insert) or matching (trade.match_bet) a bet, or the
// worker marking one matched, on a game that has started or is in progress is refused
// (SL093), as on a game completed but not yet scored; voiding stays open until the result.
// A pick on an event that is already in progress or completed - its scheduled start still
// ahead, as a feed may leave it - is refused (SL030); back-dated predictions of back-tests are judged by their date.
import t, { type Test } from 'tap';
import type { Sql } from '../../src/db.ts';
import { games, league, user, type Game } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { sourceId } from '../helpers/timeseries.ts';

async function setup(t: Test) {
  const db = await testDb(t);
  const lg = await league(db.sql, { code: 'bc', teams: 8 });
  const gs = await games(db.sql, lg, 4);
  const [st] = await db.sql<{ id: number }[]>`insert into trade.strategy (name, version) values ('s', '1') returning strategy_id as id`;
  return { ...db, gs, strategy: st!.id, betfair: await sourceId(db.sql, 'betfair') };
}

async function bets(sql: Sql): Promise<string> {
  const [r] = await sql<{ r: string | null }[]>`select string_agg(bet_id || ':' || status, ',' order by bet_id) as r from trade.bet`;
  return r!.r ?? '';
}

t.test('no bet is placed or matched once the game has started, nor once it is over but not yet scored', async (t) => {
  const { sql, gs, strategy, betfair } = await setup(t);
  const [kicked, live, over, early] = gs as [Game, Game, Game, Game];
  const place = (g: Game) =>
    asRole(
      sql,
      'app',
      (tx) => tx<{ id: number }[]>`select (trade.place_bet(${strategy}, ${g.home}, ${betfair}, 'back', 2, 10)).bet_id::int as id`,
    );
  // pending bets placed in time, before anything started
  const [b1] = await place(kicked);
  const [b2] = await place(live);
  const [b3] = await place(early);
  await sql`update core.event set scheduled_start = now() - interval '5 minutes' where event_id = ${kicked.event_id}`;
  await sql`update core.event set status = 'in_progress' where event_id = ${live.event_id}`; // its scheduled start still tomorrow
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${over.event_id}`;
  const before = await bets(sql);

  for (const [g, why] of [
    [kicked, /started at/],
    [live, /started at/],
    [over, /is completed/],
  ] as const) {
    await rejectsWith(t, place(g), { code: 'SL093', message: why }, `trade.place_bet on a game ${g === over ? 'over' : 'started'}: SL093`);
    await rejectsWith(
      t,
      asRole(
        sql,
        'app',
        (tx) =>
          tx`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake) values (${strategy}, ${g.away}, ${betfair}, 'lay', 3, 10)`,
      ),
      { code: 'SL093', message: why },
      'a direct insert meets the same guard',
    );
  }
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select trade.match_bet(${b1!.id})`),
    { code: 'SL093', message: /cannot match a bet on .* started at/ },
    'the app matches a bet placed before the start, after it: SL093',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`update trade.bet set status = 'matched' where bet_id = ${b2!.id}`),
    { code: 'SL093', message: /started at/ },
    'the worker reports a bet matched once the game is in progress: SL093',
  );
  t.equal(await bets(sql), before, 'no bet written or matched');

  await asRole(sql, 'worker', (tx) => tx`update trade.bet set status = 'void' where bet_id = ${b1!.id}`);
  t.match(await bets(sql), new RegExp(`${b1!.id}:void`), 'an exchange voiding a bet after the start is still recorded');
  const [m] = await asRole(sql, 'app', (tx) => tx<{ status: string }[]>`select (trade.match_bet(${b3!.id})).status`);
  t.equal(m?.status, 'matched', 'a bet on a game still to come is matched');
});

t.test('no pick on an event in progress or completed, whatever its scheduled start says', async (t) => {
  const { sql, gs } = await setup(t);
  const [live, over, fine] = gs as [Game, Game, Game];
  const ann = await user(sql, 'ann');
  // the feed says in progress / completed, the scheduled start is still tomorrow; nothing is scored yet
  await sql`update core.event set status = 'in_progress' where event_id = ${live.event_id}`;
  await sql`update core.event set status = 'completed', home_score = 3, away_score = 0 where event_id = ${over.event_id}`;
  const picks = async () => (await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`)[0]!.n;

  for (const [g, status] of [
    [live, 'in_progress'],
    [over, 'completed'],
  ] as const) {
    await rejectsWith(
      t,
      asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g.home})`, ann),
      { code: 'SL030', message: new RegExp(`is ${status}, scheduled to start`) },
      `a pick on the ${status} game: SL030`,
    );
  }
  t.equal(await picks(), 0, 'no pick was written');
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${fine.home})`, ann);
  t.equal(await picks(), 1, 'a game still scheduled takes picks');
});
