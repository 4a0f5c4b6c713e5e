// Attack: security definer helpers called directly. forecast.pick_context and
// trade.assert_bettable exist for the guards and the place functions; the app must be able
// to execute them (the guards run as the writer), so they return nothing the caller may not
// read anyway and decide nothing by themselves. pick_context once took any prediction and
// forecaster id and told, as its owner, whether that prediction was scored: the app probed
// other users' and models' predictions. Every security definer function the app or the
// reader may execute is listed here; a new one must be reviewed and added.
import t from 'tap';
import { games, league, model, predict, user } from '../helpers/fixtures.ts';
import { rejectsWith, testDb } from '../helpers/db.ts';
import { asRole } from '../helpers/roles.ts';

t.test('the app cannot learn through pick_context or pick_state whether other predictions are scored', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'df', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [ann, bob] = [await user(sql, 'ann'), await user(sql, 'bob')];
  const m = await model(sql, 'm');
  await asRole(sql, 'app', (tx) => tx`select forecast.place_pick(${g!.home})`, ann);
  const [bp] = await asRole(
    sql,
    'app',
    (tx) => tx<{ id: number }[]>`select (forecast.place_pick(${g!.away})).prediction_id::int as id`,
    bob,
  );
  await predict(sql, m, g!.draw);
  const [mp] = await sql<{ id: number }[]>`select prediction_id::int as id from forecast.prediction where forecaster_id = ${m}`;
  await sql`update core.event set scheduled_start = now() - interval '3 hours', status = 'completed', home_score = 1, away_score = 0
             where event_id = ${g!.event_id}`;
  await sql`select forecast.score_event(${g!.event_id})`;

  await rejectsWith(
    t,
    asRole(sql, 'app', (tx) => tx`select (forecast.pick_context(${g!.away}, ${bp!.id}, ${bob})).scored`, ann),
    { code: '42883', message: /function forecast\.pick_context\(.*\) does not exist/ },
    'the three-argument pick_context that answered for any prediction is gone',
  );
  const [ctx] = await asRole(
    sql,
    'app',
    (tx) => tx<{ ctx: string }[]>`select row_to_json(forecast.pick_context(${g!.away}))::text as ctx`,
    ann,
  );
  t.notMatch(ctx!.ctx, /scored|forecaster/, 'pick_context(selection) tells about the market and event only');
  const probes = await asRole(
    sql,
    'app',
    (tx) => tx<{ id: number; scored: boolean }[]>`
      select x.id, (forecast.pick_state(x.id, null)).scored from unnest(${[bp!.id, mp!.id]}::bigint[]) x (id) order by 1`,
    ann,
  );
  t.same(
    probes.map((p) => p.scored),
    [false, false],
    'pick_state runs with the app’s rights: bob’s scored pick and the model’s scored prediction look unscored to ann',
  );
  const [own] = await asRole(
    sql,
    'app',
    (tx) => tx<{ scored: boolean }[]>`
      select (forecast.pick_state(p.prediction_id, p.forecaster_id)).scored from forecast.prediction p`,
    ann,
  );
  t.equal(own!.scored, true, 'its own pick it sees scored (the guard’s question)');
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score`;
  t.equal(n!.n, 3, 'all three are scored');
});

t.test('assert_bettable decides nothing and reveals nothing; the reader calls none of the helpers', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'dg', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [mt] = await asRole(sql, 'app', (tx) => tx<{ t: string }[]>`select trade.assert_bettable(${g!.home}) as t`);
  t.equal(mt!.t, 'match_result', 'it returns the market type, which the app reads in market.market anyway');
  const [bets] = await sql<{ n: number }[]>`select count(*)::int as n from trade.bet`;
  t.equal(bets!.n, 0, 'and writes nothing');
  for (const call of [
    `select forecast.pick_context(${g!.home})`,
    `select trade.assert_bettable(${g!.home})`,
    `select forecast.place_pick(${g!.home})`,
    `select forecast.pick_state(1, 1)`,
    `select market.selections_in_use(array[${g!.home}]::bigint[])`,
  ]) {
    await rejectsWith(
      t,
      asRole(sql, 'reader', (tx) => tx.unsafe(call)),
      { code: '42501', message: /permission denied for (schema|function)/ },
      `reader: ${call.replace(/\(.*/, '')} refused`,
    );
  }
});

t.test('the security definer functions the app and the reader may execute are the reviewed ones', async (t) => {
  const { sql } = await testDb(t);
  const rows = await sql<{ role: string; fns: string[] }[]>`
    select r.role, array(select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                          where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
                            and has_function_privilege(r.role, p.oid, 'execute') order by 1)::text[] as fns
      from unnest(array['scoreline_app', 'scoreline_reader']) r (role) order by 1`;
  t.same(
    Object.fromEntries(rows.map((r) => [r.role, r.fns])),
    {
      scoreline_app: [
        'core.role_name(text)',
        'forecast.acting_user_id()',
        'forecast.is_forecaster_kind(bigint,text)',
        'forecast.pick_context(bigint)',
        'forecast.place_pick(bigint,numeric,numeric,numeric,jsonb,smallint,smallint)',
        'trade.assert_bettable(bigint,text)',
        'trade.match_bet(bigint,text)',
        'trade.place_bet(integer,bigint,integer,text,numeric,numeric,text)',
      ],
      scoreline_reader: ['refresh.blocked_reason(regclass)'],
    },
    'docs/security.md describes each (a new one needs a review of what its arguments reach)',
  );
});
