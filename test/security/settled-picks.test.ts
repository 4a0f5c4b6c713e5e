// Attack (issue 12, item 4): a user deletes a settled, losing pick to drop off
// stats.user_leaderboard; the worker deletes a scored model prediction or its score.
// Settled history is append-only for everyone but the owner (forecast.tg_prediction__guard,
// forecast.tg_prediction_score__guard): SL037 and SL038, and the statistics stay equal to a
// recomputation from the raw rows.
import t from 'tap';
import { games, league, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';
import { compareAll, generate, generateUserPicks, refreshAll, scoreAll } from '../helpers/stats-recompute.ts';

t.test('a user cannot delete or change a settled, losing pick; the leaderboard stays as recomputed', async (t) => {
  const { sql } = await testDb(t);
  await generate(sql);
  t.ok((await generateUserPicks(sql)) > 50, 'the generated users pick');
  await scoreAll(sql);
  await refreshAll(sql, false);
  const [loser] = await sql<{ forecaster_id: number; prediction_id: number; losses: number }[]>`
    select ps.forecaster_id::int, min(ps.prediction_id)::int as prediction_id, count(*)::int as losses
      from forecast.prediction_score ps join forecast.forecaster f using (forecaster_id)
     where f.kind = 'user' and ps.outcome = 'loss'
     group by ps.forecaster_id order by ps.forecaster_id limit 1`;
  t.ok(loser && loser.losses > 0, `a user with losing picks (${loser?.losses})`);
  const board = () => sql`select * from stats.user_leaderboard order by season_id, forecaster_id`;
  const counts = () => sql`
    select (select count(*)::int from forecast.prediction) as predictions,
           (select count(*)::int from forecast.prediction_score) as scores`;
  const boardBefore = await board();
  const countsBefore = await counts();

  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) => tx`delete from forecast.prediction p using forecast.prediction_score ps
                  where ps.prediction_id = p.prediction_id and ps.outcome = 'loss'`,
      loser!.forecaster_id,
    ),
    { code: 'SL037', message: /is scored/ },
    'the app deleting its user’s losing picks is refused',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) => tx`update forecast.prediction set stake = 0 where prediction_id = ${loser!.prediction_id}`,
      loser!.forecaster_id,
    ),
    { code: 'SL037' },
    'the app changing a settled pick is refused',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) => tx`update forecast.prediction set features = '{"x": 1}' where prediction_id = ${loser!.prediction_id}`,
      loser!.forecaster_id,
    ),
    { code: 'SL037' },
    'even its features',
  );

  const [modelScore] = await sql<{ prediction_id: number }[]>`
    select min(ps.prediction_id)::int as prediction_id
      from forecast.prediction_score ps join forecast.forecaster f using (forecaster_id) where f.kind = 'model'`;
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`delete from forecast.prediction where prediction_id = ${modelScore!.prediction_id}`),
    { code: 'SL037', message: /is scored/ },
    'the worker deleting a scored model prediction is refused',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`delete from forecast.prediction_score where prediction_id = ${loser!.prediction_id}`),
    { code: 'SL038' },
    'the worker deleting a user’s score is refused',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) => tx`update forecast.prediction_score set points = 100, outcome = 'win' where prediction_id = ${loser!.prediction_id}`,
    ),
    { code: 'SL038' },
    'the worker rewriting a score is refused',
  );

  t.same(await counts(), countsBefore, 'no prediction and no score is gone');
  await refreshAll(sql, false);
  t.same(await board(), boardBefore, 'stats.user_leaderboard is unchanged');
  await compareAll(t, sql);
});

t.test('a user cannot withdraw a pick once the event has started; before it, she can', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'sp', teams: 4 });
  const [early, late] = await games(sql, lg, 2);
  const ann = await user(sql, 'ann');
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${early!.home}), (${ann}, ${late!.home})`;
  await sql`update core.event set scheduled_start = now() - interval '10 minutes', status = 'in_progress', home_score = 0, away_score = 2
             where event_id = ${late!.event_id}`;

  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`delete from forecast.prediction where selection_id = ${late!.home}`, ann),
    { code: 'SL037', message: /started/ },
    'withdrawing a pick on a game in progress (and going badly) is refused',
  );
  const gone = await asRole(sql, 'app', (tx) => tx`delete from forecast.prediction where selection_id = ${early!.home}`, ann);
  t.equal(gone.count, 1, 'a pick on a game not started yet is withdrawn');
  const [left] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction where forecaster_id = ${ann}`;
  t.equal(left!.n, 1, 'the started game’s pick is still there');
});

t.test('the owner role keeps the correction path: it may remove a settled pick', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'so', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const ann = await user(sql, 'ann');
  await sql`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${g!.away})`;
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;
  const gone = await asRole(sql, 'owner', (tx) => tx`delete from forecast.prediction where forecaster_id = ${ann}`);
  t.equal(gone.count, 1, 'the owner deletes it (and its score goes with it)');
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score`;
  t.equal(n!.n, 0, 'no score is left behind');
});
