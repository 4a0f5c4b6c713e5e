// Row-level security on a user's picks (sql/090_roles.sql): an app session acting for a
// user (scoreline.user_id = the user's forecaster_id) sees and changes only that user's
// picks, their scores and price links; derived statistics still follow its writes.
import t from 'tap';
import type { Sql, TransactionSql } from 'postgres';
import { games, league, models, predict, user } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { asRole } from './helpers/roles.ts';

function asApp<T>(sql: Sql, userId: number | string | null, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return asRole(sql, 'app', work, userId ?? undefined);
}

t.test('an app session sees and changes only its user picks', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'rl', teams: 4 });
  const [g1, g2] = await games(sql, lg, 2);
  const ann = await user(sql, 'ann');
  const bob = await user(sql, 'bob');
  const [m] = await models(sql, ['elo']);
  await predict(sql, m!, g1!.home);
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${bob}, ${g1!.away}), (${bob}, ${g2!.home})`;

  await asApp(sql, ann, (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${g1!.draw})`);
  const seen = await asApp(sql, ann, (tx) => tx<{ forecaster_id: number }[]>`select forecaster_id::int from forecast.prediction`);
  t.same(
    seen.map((r) => r.forecaster_id),
    [ann],
    "Ann sees her pick only, not Bob's nor the model's",
  );
  const viaView = await asApp(sql, ann, (tx) => tx<{ handle: string }[]>`select handle from forecast.pick`);
  t.same(
    viaView.map((r) => r.handle),
    ['ann'],
    'forecast.pick is filtered the same way',
  );
  const [counts] = await asApp(sql, bob, (tx) => tx<{ n: number }[]>`select count(*)::int as n from forecast.prediction`);
  t.equal(counts!.n, 2, 'Bob sees his two');
  const none = await asApp(sql, null, (tx) => tx`select * from forecast.prediction`);
  t.equal(none.length, 0, 'without scoreline.user_id a session sees no picks');

  // changing or deleting Bob's picks as Ann touches nothing
  const upd = await asApp(sql, ann, (tx) => tx`update forecast.prediction set stake = 5 where forecaster_id = ${bob}`);
  t.equal(upd.count, 0, "Ann updates none of Bob's picks");
  const del = await asApp(sql, ann, (tx) => tx`delete from forecast.prediction where forecaster_id = ${bob}`);
  t.equal(del.count, 0, "Ann deletes none of Bob's picks");
  const [bobs] = await sql<{ n: number; stake: string }[]>`
    select count(*)::int as n, max(stake)::text as stake from forecast.prediction where forecaster_id = ${bob}`;
  t.same(bobs, { n: 2, stake: '1.00' }, "Bob's picks are intact");

  // inserting for someone else, or for a model, or moving a pick to another forecaster
  await rejectsWith(
    t,
    asApp(sql, ann, (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${bob}, ${g2!.away})`),
    { code: '42501', message: /row-level security policy/ },
    'Ann cannot pick for Bob',
  );
  await rejectsWith(
    t,
    asApp(sql, m!, (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${m!}, ${g2!.away})`),
    { code: 'SL141', message: /names no user forecaster/ },
    'an app session acting as a model forecaster cannot write its predictions (the id names no user: SL141)',
  );
  await rejectsWith(
    t,
    asApp(sql, ann, (tx) => tx`update forecast.prediction set forecaster_id = ${bob} where forecaster_id = ${ann}`),
    { code: '42501' },
    'Ann cannot hand her pick to Bob (forecaster_id is not updatable by the app)',
  );
  await rejectsWith(
    t,
    asApp(sql, 'bob', (tx) => tx`select * from forecast.prediction`),
    { code: 'SL141', message: /scoreline\.user_id bob is not a forecaster id/ },
    'a handle instead of a forecaster id is refused',
  );

  // Ann changes and withdraws her own pick
  await asApp(sql, ann, (tx) => tx`update forecast.prediction set selection_id = ${g1!.home}, stake = 3 where forecaster_id = ${ann}`);
  const [mine] = await sql<{ selection_id: number; stake: string }[]>`
    select selection_id::int, stake::text from forecast.prediction where forecaster_id = ${ann}`;
  t.same(mine, { selection_id: g1!.home, stake: '3.00' }, 'her update applied');
  const gone = await asApp(sql, ann, (tx) => tx`delete from forecast.prediction where forecaster_id = ${ann}`);
  t.equal(gone.count, 1, 'and she withdraws it');
});

t.test('scores and prediction-market price links follow the same rule', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'rs', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const ann = await user(sql, 'ann');
  const bob = await user(sql, 'bob');
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${g!.home}), (${bob}, ${g!.away})`;
  await sql`update core.event set scheduled_start = now() - interval '1 hour', status = 'in_progress' where event_id = ${g!.event_id}`;
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;
  const [all] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score`;
  t.equal(all!.n, 2, 'both picks are scored');

  const scores = await asApp(
    sql,
    ann,
    (tx) => tx<{ forecaster_id: number; outcome: string }[]>`
    select forecaster_id::int, outcome from forecast.prediction_score`,
  );
  t.same(scores, [{ forecaster_id: ann, outcome: 'win' }], 'Ann reads her score only');
  const picks = await asApp(sql, ann, (tx) => tx<{ outcome: string }[]>`select outcome from forecast.pick`);
  t.same(picks, [{ outcome: 'win' }], 'forecast.pick shows her scored pick only');

  // leaderboards are statistics: every app session reads them whole
  const board = await asApp(sql, ann, (tx) => tx`select * from stats.player_stats`);
  t.ok(Array.isArray(board), 'statistics stay readable');

  const links = await asApp(sql, ann, (tx) => tx`select * from forecast.prediction_market_price`);
  t.equal(links.length, 0, 'no links are visible beyond her picks');
});

t.test('app writes keep the derived player statistics current (security definer triggers)', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'rp', teams: 4 });
  const [ev] = await sql<{ id: number }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    values ('rp_td', 'game', ${lg.competitionId}, ${lg.seasonId}, 1, now() + interval '1 day', ${lg.teams[0]!}, ${lg.teams[1]!})
    returning event_id::int as id`;
  const [pl] = await sql<
    { id: number }[]
  >`insert into core.player (sport_id, external_id, full_name) select sport_id, 'rb1', 'Runner Back' from core.competition where competition_id = ${lg.competitionId}
    returning player_id::int as id`;
  const [mk] = await sql<{ id: number }[]>`
    insert into market.market (event_id, market_type) values (${ev!.id}, 'first_td_scorer') returning market_id::int as id`;
  const [sel] = await sql<{ id: number }[]>`
    insert into market.selection (market_id, code, label, player_id) values (${mk!.id}, 'p1', 'Runner Back', ${pl!.id})
    returning selection_id::int as id`;
  const ann = await user(sql, 'ann');

  await asApp(sql, ann, (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${sel!.id})`);
  const [st] = await sql<{ picks_made: number }[]>`select picks_made from stats.player_stats where player_id = ${pl!.id}`;
  t.equal(st?.picks_made, 1, "the app's pick is counted in stats.player_stats");
  await asApp(sql, ann, (tx) => tx`delete from forecast.prediction where forecaster_id = ${ann}`);
  const rows = await sql`select * from stats.player_stats where player_id = ${pl!.id}`;
  t.equal(rows.length, 0, 'and uncounted when withdrawn');
  await rejectsWith(
    t,
    asApp(sql, ann, (tx) => tx`delete from stats.player_stats`),
    { code: '42501' },
    'the app still cannot write the statistics itself',
  );
});
