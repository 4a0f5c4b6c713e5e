// Attack: after settlement the worker changes what settlement read, without a trace: the
// first touchdown of a completed game (the worker records first touchdowns), a settled
// race's runners (moved to another race, or made non-runners), a settled market's
// selections (codes swapped, the player of a first-touchdown selection, a selection added)
// and its type or places. Each is refused for roles without owner authority (SL013, SL014,
// SL002, SL008) and nothing changes; a settled game's first touchdown is corrected through
// forecast.correct_first_touchdown, which leaves a row in core.event_correction and re-scores.
import t from 'tap';
import type { Sql } from '../../src/db.ts';
import { event, games, league, market, player, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { makeRace } from '../helpers/timeseries.ts';

async function results(sql: Sql, marketId: number | string): Promise<string> {
  const [r] = await sql<{ r: string }[]>`
    select string_agg(code || '=' || coalesce(result, '-'), ' ' order by code) as r from market.selection where market_id = ${marketId}`;
  return r!.r;
}

t.test('a completed game’s first touchdown: recorded once by the worker, then corrected only with a trace', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'ftd', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const qb = await player(sql, lg, 'Quarter Back', lg.teams[0], 'QB');
  const wr = await player(sql, lg, 'Wide Receiver', lg.teams[1], 'WR');
  const ftd = await market(sql, g!.event_id, 'first_td_scorer', [
    { code: 'qb', playerId: qb },
    { code: 'wr', playerId: wr },
    { code: 'none' },
  ]);
  const ann = await user(sql, 'ann');
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${ftd.sel.qb!}, p_odds => 8)`, ann);
  await sql`update core.event set scheduled_start = now() - interval '4 hours', status = 'completed', home_score = 7, away_score = 3
             where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;

  // the first recording after the final whistle is the worker's job, and settles the market
  await asRole(sql, 'worker', (tx) => tx`select forecast.record_first_touchdown(${g!.event_id}, ${qb}, ${lg.teams[0]!}, 'feed')`);
  t.equal(await results(sql, ftd.marketId), 'none=lost qb=won wr=lost', 'recorded by the worker: the market settles');
  const state = async () => {
    const [s] = await sql<{ ft: string; scores: string; traces: number }[]>`
      select (select row(player_id, team_id)::text from forecast.first_touchdown where event_id = ${g!.event_id}) as ft,
             (select string_agg(ps.outcome || ':' || ps.points, ',' order by ps.prediction_id) from forecast.prediction_score ps) as scores,
             (select count(*)::int from core.event_correction) as traces`;
    return { ...s, results: await results(sql, ftd.marketId) };
  };
  const before = await state();

  const attacks: [string, string][] = [
    ['record another scorer', `select forecast.record_first_touchdown(${g!.event_id}, ${wr}, ${lg.teams[1]!}, 'feed')`],
    [
      'update the scorer',
      `update forecast.first_touchdown set player_id = ${wr}, team_id = ${lg.teams[1]!} where event_id = ${g!.event_id}`,
    ],
    ['delete the first touchdown', `delete from forecast.first_touchdown where event_id = ${g!.event_id}`],
  ];
  for (const [what, stmt] of attacks) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', (tx) => tx.unsafe(stmt)),
      { code: 'SL013', message: /first touchdown is part of the settled result/ },
      `the worker may not ${what}: SL013`,
    );
  }
  // re-recording the same fact (a feed loaded twice) is no change
  await asRole(sql, 'worker', (tx) => tx`select forecast.record_first_touchdown(${g!.event_id}, ${qb}, ${lg.teams[0]!}, 'feed')`);
  t.same(await state(), before, 'nothing changed: the fact, the results, the scores, no trace');

  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.correct_first_touchdown(${g!.event_id}, ${wr}, ${lg.teams[1]!}, 'x')`),
    { code: '42501', message: /permission denied for function correct_first_touchdown/ },
    'the app may not correct',
  );
  const [trace] = await asRole(
    sql,
    'worker',
    (tx) => tx<{ old_first_touchdown: unknown; new_first_touchdown: unknown; reason: string; result_version: number }[]>`
      select old_first_touchdown, new_first_touchdown, reason, result_version
        from forecast.correct_first_touchdown(${g!.event_id}, ${wr}, ${lg.teams[1]!}, 'the official scorer changed it')`,
  );
  t.same(
    trace,
    {
      old_first_touchdown: { player_id: qb, team_id: lg.teams[0] },
      new_first_touchdown: { player_id: wr, team_id: lg.teams[1] },
      reason: 'the official scorer changed it',
      result_version: 1,
    },
    'the correction leaves its trace: the fact before and after, the reason',
  );
  t.equal(await results(sql, ftd.marketId), 'none=lost qb=lost wr=won', 'and re-settles the market');
  const [score] = await sql<{ outcome: string }[]>`select outcome from forecast.prediction_score`;
  t.equal(score?.outcome, 'loss', 'and re-scores the pick');

  await rejectsWith(
    t,
    sql`select forecast.correct_first_touchdown(${g!.event_id}, ${wr}, ${lg.teams[1]!}, 'again')`,
    { code: 'SL005', message: /changes nothing/ },
    'a correction that changes nothing: SL005',
  );
  const [next] = await games(sql, lg, 1, 'later');
  await rejectsWith(
    t,
    sql`select forecast.correct_first_touchdown(${next!.event_id}, ${wr}, null, 'early')`,
    { code: 'SL004', message: /only a settled game/ },
    'a game not yet settled: SL004 (record it instead)',
  );
  await rejectsWith(t, sql`select forecast.correct_first_touchdown(${-1}, null, null, 'x')`, { code: 'SL003' }, 'no such event: SL003');
  const match = await event(sql, lg, { kind: 'match' });
  await rejectsWith(
    t,
    sql`select forecast.correct_first_touchdown(${match}, null, null, 'x')`,
    { code: 'SL034', message: /only a game has a first touchdown/ },
    'not a game: SL034',
  );
});

t.test('a settled market’s selections, type and places, and a settled race’s runners stay as settlement read them', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'sti', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const cs = await market(sql, g!.event_id, 'correct_score', [{ code: '1-0' }, { code: '2-1' }, { code: 'other' }]);
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 2, away_score = 0
             where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;

  const race = await makeRace(sql, { runners: 4, start: new Date(Date.now() - 3600_000).toISOString() });
  const other = await makeRace(sql, { runners: 2, start: new Date(Date.now() + 86400_000).toISOString() });
  const [place] = await sql<{ id: string }[]>`
    insert into market.market (event_id, market_type, places) values (${race.eventId}, 'race_place', 2) returning market_id as id`;
  await sql`insert into market.selection (market_id, code, label, runner_id)
            select ${place!.id}, r.number::text, r.name, r.runner_id from core.runner r where r.event_id = ${race.eventId}`;
  await sql`update core.runner set status = 'finished', finish_position = number where event_id = ${race.eventId}`;
  await sql`update core.event set status = 'completed' where event_id = ${race.eventId}`;
  await sql`select forecast.score_event(${race.eventId})`;

  const state = async () => ({
    match: await results(sql, g!.market_id),
    cs: await results(sql, cs.marketId),
    win: await results(sql, race.marketId),
    place: await results(sql, place!.id),
    markets: await sql`select market_id, market_type, status, places from market.market order by market_id`,
    runners: await sql`select runner_id, event_id, status, finish_position from core.runner order by runner_id`,
    selections: await sql`select selection_id, market_id, code, player_id, runner_id from market.selection order by selection_id`,
  });
  const before = await state();
  t.equal(before.cs, '1-0=lost 2-1=lost other=won', 'the correct score 2-0 was not offered: other won');
  t.equal(before.place, '1=won 2=won 3=lost 4=lost', 'two places paid');

  const attacks: [string, string, string, RegExp][] = [
    [
      'swap home and away in the settled match_result market',
      `update market.selection set code = case code when 'home' then 'away' when 'away' then 'home' else code end where market_id = ${g!.market_id}`,
      'SL014',
      /keeps its market, code, team, player and runner/,
    ],
    [
      'add the 2-0 selection to the settled correct_score market',
      `insert into market.selection (market_id, code, label) values (${cs.marketId}, '2-0', '2-0')`,
      'SL014',
      /no selection \(2-0\) is added to it/,
    ],
    [
      'give a race selection another runner',
      `update market.selection set runner_id = ${race.runners[3]!} where selection_id = ${race.selections[0]!}`,
      'SL014',
      /keeps its market, code/,
    ],
    [
      'move a selection out of the settled market',
      `update market.selection set market_id = ${other.marketId}, runner_id = ${other.runners[0]!} where selection_id = ${race.selections[3]!}`,
      'SL014',
      /keeps its market/,
    ],
    ['pay three places instead of two', `update market.market set places = 3 where market_id = ${place!.id}`, 'SL008', /is settled/],
    [
      'make the settled match_result a correct_score market',
      `update market.market set market_type = 'correct_score' where market_id = ${g!.market_id}`,
      'SL008',
      /is settled/,
    ],
    [
      'move the winner into another race',
      `update core.runner set event_id = ${other.eventId}, number = 9 where runner_id = ${race.runners[0]!}`,
      'SL002',
      /finishing result cannot be changed/,
    ],
    [
      'move a runner into the settled race',
      `update core.runner set event_id = ${race.eventId}, number = 9 where runner_id = ${other.runners[1]!}`,
      'SL002',
      /finishing result cannot be changed/,
    ],
    [
      'make the winner a non-runner (void)',
      `update core.runner set status = 'non_runner', finish_position = null where runner_id = ${race.runners[0]!}`,
      'SL002',
      /finishing result/,
    ],
  ];
  for (const [what, stmt, code, message] of attacks) {
    await rejectsWith(
      t,
      asRole(sql, 'worker', (tx) => tx.unsafe(stmt)),
      { code, message },
      `the worker may not ${what}: ${code}`,
    );
  }
  // re-settling after all that changes nothing either
  await asRole(sql, 'worker', (tx) => tx`select forecast.score_event(${g!.event_id}), forecast.score_event(${race.eventId})`);
  t.same(await state(), before, 'nothing changed: results, markets, runners, selections');

  await asRole(sql, 'worker', (tx) => tx`update market.selection set label = 'Home side' where selection_id = ${g!.home}`);
  t.pass('a label is no settlement input: it may change');
  await asRole(sql, 'owner', (tx) => tx`update market.market set places = 3 where market_id = ${place!.id}`);
  t.pass('the owner role corrects directly');
});

t.test('the worker writes models, not users', async (t) => {
  const { sql } = await testDb(t);
  const count = async () => (await sql<{ n: number }[]>`select count(*)::int as n from forecast.forecaster`)[0]!.n;
  const before = await count();
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`insert into forecast.forecaster (kind, name, handle) values ('user', 'Admin', 'admin')`),
    { code: 'SL015', message: /users are registered by the owner role/ },
    'a user forecaster minted by the worker (taking the handle, for an app session to act as): SL015',
  );
  t.equal(await count(), before, 'no forecaster was written');
  await asRole(
    sql,
    'worker',
    (tx) => tx`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'm', '1', 'test')`,
  );
  t.equal(await count(), before + 1, 'a model is the worker’s to add');
  await user(sql, 'admin');
  t.pass('the owner (here a superuser) registers users');
});
