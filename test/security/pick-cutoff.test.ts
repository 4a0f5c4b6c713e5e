// Attack (issue 12, item 6): a pick after kick-off, back-dated by the client
// (predicted_at before the start). An app (user) pick is stamped with the server time and
// refused at or after the start by now(): through forecast.place_pick, and by the
// prediction guard for a direct INSERT. The owner and the worker writing a model's
// prediction may date it (back-tests), never at or after the start, never in the future.
import t from 'tap';
import { games, league, models, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

t.test('a back-dated pick after kick-off is refused; nothing is written', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'pc', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const ann = await user(sql, 'ann');
  // the game started yesterday and is still open for settlement
  await sql`update core.event set scheduled_start = now() - interval '1 day', status = 'in_progress', home_score = 0, away_score = 0
             where event_id = ${g!.event_id}`;

  await rejectsWith(
    t,
    asRole(
      sql,
      'app',
      (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id, predicted_at)
                 values (${ann}, ${g!.home}, now() - interval '2 days')`,
      ann,
    ),
    { code: '42501', message: /permission denied/ },
    'the app cannot choose predicted_at (no column privilege)',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id) values (${ann}, ${g!.home})`, ann),
    { code: 'SL030', message: /picks close at the start/ },
    'a direct insert without predicted_at is stamped now() and refused after the start',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`, ann),
    { code: 'SL030', message: /picks close at the start/ },
    'forecast.place_pick after the start is refused',
  );
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
  t.equal(n!.n, 0, 'no pick was written');
});

t.test('an app user pick changed after its placement is stamped again with the server time', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'pu', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const ann = await user(sql, 'ann');
  const [placed] = await asRole(
    sql,
    'app',
    (tx) => tx<{ prediction_id: number; forecaster_id: number; predicted_at: Date; now: Date }[]>`
      select (p).prediction_id::int, (p).forecaster_id::int, (p).predicted_at, now() as now
        from (select forecast.place_pick(${g!.home}, 2.5, 2) as p) x`,
    ann,
  );
  t.equal(placed!.forecaster_id, ann, 'place_pick writes for the acting user');
  t.equal(placed!.predicted_at.getTime(), placed!.now.getTime(), 'stamped with the transaction time');
  await sql`update forecast.prediction set predicted_at = now() - interval '1 hour' where prediction_id = ${placed!.prediction_id}`;
  const [moved] = await asRole(
    sql,
    'app',
    (tx) => tx<{ stamped: boolean }[]>`
      update forecast.prediction set selection_id = ${g!.away} where prediction_id = ${placed!.prediction_id}
      returning predicted_at = now() as stamped`,
    ann,
  );
  t.ok(moved?.stamped, 'changing the pick stamps it now()');
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`update forecast.prediction set predicted_at = now() - interval '1 day'`, ann),
    { code: '42501' },
    'the app cannot set predicted_at by an update either',
  );
});

t.test('model back-tests may date a prediction, never at or after the start nor in the future', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'pm', teams: 4 });
  const [g] = await games(sql, lg, 1);
  const [model] = await models(sql, ['backtest']);
  await sql`update core.event set scheduled_start = now() - interval '1 day' where event_id = ${g!.event_id}`;
  await asRole(
    sql,
    'worker',
    (tx) => tx`insert into forecast.prediction (forecaster_id, selection_id, predicted_at)
               values (${model!}, ${g!.home}, now() - interval '25 hours')`,
  );
  t.pass('the worker writes a model prediction dated before the start, after the start (a back-test)');
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) =>
        tx`insert into forecast.prediction (forecaster_id, selection_id, predicted_at) values (${model!}, ${g!.away}, now() - interval '1 hour')`,
    ),
    { code: 'SL030' },
    'dated at or after the start: refused',
  );
  await rejectsWith(
    t,
    asRole(
      sql,
      'worker',
      (tx) =>
        tx`insert into forecast.prediction (forecaster_id, selection_id, predicted_at) values (${model!}, ${g!.draw}, now() + interval '1 hour')`,
    ),
    { code: 'SL032' },
    'dated in the future: refused',
  );
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
  t.equal(n!.n, 1, 'only the back-test prediction was written');
});

t.test('forecast.place_pick: its refusals', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'pp', teams: 4 });
  const [g, h] = await games(sql, lg, 2);
  const ann = await user(sql, 'ann');
  const [model] = await models(sql, ['m']);
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`),
    { code: 'SL035', message: /acts for no user/ },
    'without scoreline.user_id',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`, model!),
    { code: 'SL141' },
    'acting for a model',
  );
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${-5})`, ann),
    { code: '23503', constraint: 'prediction_selection_fk' },
    'an unknown selection',
  );
  await sql`update market.market set status = 'suspended' where market_id = ${h!.market_id}`;
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${h!.home})`, ann),
    { code: 'SL031' },
    'a suspended market',
  );
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`, ann);
  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.away})`, ann),
    { code: '23505', constraint: 'prediction_one_per_market' },
    'a second pick on a single-pick market',
  );
  await rejectsWith(
    t,
    asRole(sql, 'worker', (tx) => tx`select forecast.place_pick(${g!.away})`, ann),
    { code: '42501' },
    'the worker may not call it',
  );
});
