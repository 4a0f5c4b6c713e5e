// Forecasters and predictions: every bad write is refused with a named constraint
// or a raised error in SL030-SL059.
import t from 'tap';
import { complete, event, league, market, matchResult, model, pick, player, user } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

t.test('forecaster: models need name + version unique, users a unique handle', async (t) => {
  const { sql } = await testDb(t);
  await sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'elo', '1', 'elo')`;
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'elo', '1', 'elo')`, {
    code: '23505',
    constraint: 'forecaster_model_name_version_key',
  });
  await sql`insert into forecast.forecaster (kind, name, version, model_type) values ('model', 'elo', '2', 'elo')`;
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, model_type) values ('model', 'x', 'elo')`, {
    code: '23514',
    constraint: 'forecaster_model_has_version',
  });
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name) values ('user', 'Ann')`, {
    code: '23514',
    constraint: 'forecaster_user_has_handle',
  });
  await sql`insert into forecast.forecaster (kind, name, handle) values ('user', 'Ann', 'ann')`;
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, handle) values ('user', 'Ann B', 'ANN')`, {
    code: '23505',
    constraint: 'forecaster_user_handle_key',
  });
  await rejectsWith(
    t,
    sql`insert into forecast.forecaster (kind, name, version, model_type, handle) values ('model', 'm', '1', 'x', 'mm')`,
    {
      code: '23514',
      constraint: 'forecaster_model_has_no_handle',
    },
  );
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, handle) values ('user', 'Bob', 'b b')`, {
    code: '23514',
    constraint: 'forecaster_handle_format',
  });
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name) values ('bot', 'Bob')`, {
    code: '23514',
    constraint: 'forecaster_kind_known',
  });
  await rejectsWith(
    t,
    sql`insert into forecast.forecaster (kind, name, version, model_type, hyperparameters) values ('model', 'h', '1', 'x', '[1]')`,
    { code: '23514', constraint: 'forecaster_hyperparameters_is_object' },
  );
  await rejectsWith(
    t,
    sql`insert into forecast.forecaster (kind, name, version, model_type, metrics) values ('model', 'h', '1', 'x', '3')`,
    {
      code: '23514',
      constraint: 'forecaster_metrics_is_object',
    },
  );
  await rejectsWith(t, sql`insert into forecast.forecaster (kind, name, handle) values ('user', ' ', 'blank')`, {
    code: '23514',
    constraint: 'forecaster_name_given',
  });
  const [s] = await sql<{ n: number }[]>`select count(*)::int as n from pg_namespace where nspname = 'stats'`;
  t.equal(s?.n, 1, 'schema stats exists');
});

t.test('prediction: every bad write is refused with its constraint or error', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg);
  const { marketId, sel } = await matchResult(sql, ev);
  const m = await model(sql, 'm');
  const u = await user(sql, 'ann');

  const first = await pick(sql, m, sel.home!, { odds: 2.5, probability: 0.5 });
  const [row] = await sql<{ market_id: string; one_per_market: boolean }[]>`
    select market_id, one_per_market from forecast.prediction where prediction_id = ${first}`;
  t.equal(Number(row!.market_id), marketId, 'market_id filled from the selection');
  t.equal(row!.one_per_market, true, 'match_result allows one pick per market');

  await rejectsWith(t, pick(sql, m, sel.home!), { code: '23505', constraint: 'prediction_selection_once' }, 'same selection twice');
  await rejectsWith(t, pick(sql, m, sel.away!), { code: '23505', constraint: 'prediction_one_per_market' }, 'second pick on a market');
  await rejectsWith(t, pick(sql, u, sel.home!, { odds: 1 }), { code: '23514', constraint: 'prediction_odds_above_one' }, 'odds 1');
  await rejectsWith(t, pick(sql, u, sel.home!, { odds: 0.5 }), { code: '23514', constraint: 'prediction_odds_above_one' }, 'odds < 1');
  await rejectsWith(t, pick(sql, u, sel.home!, { probability: 0 }), { code: '23514', constraint: 'prediction_probability_range' }, 'p = 0');
  await rejectsWith(
    t,
    pick(sql, u, sel.home!, { probability: 1.01 }),
    { code: '23514', constraint: 'prediction_probability_range' },
    'p > 1',
  );
  await rejectsWith(t, pick(sql, u, sel.home!, { stake: -1 }), { code: '23514', constraint: 'prediction_stake_non_negative' }, 'stake < 0');
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id, features, predicted_at) values (${u}, ${sel.home!}, '[]', '2024-09-01')`,
    { code: '23514', constraint: 'prediction_features_is_object' },
  );
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id, predicted_home_score, predicted_at) values (${u}, ${sel.home!}, 2, '2024-09-01')`,
    { code: '23514', constraint: 'prediction_score_pair' },
  );
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id, predicted_home_score, predicted_away_score, predicted_at)
        values (${u}, ${sel.home!}, -1, 0, '2024-09-01')`,
    { code: '23514', constraint: 'prediction_home_score_non_negative' },
  );
  const other = await matchResult(sql, await event(sql, lg));
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, market_id, selection_id, predicted_at) values (${u}, ${other.marketId}, ${sel.home!}, '2024-09-01')`,
    { code: '23503', constraint: 'prediction_selection_fk' },
    'a selection of another market',
  );
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id, predicted_at) values (${u}, 999999999, '2024-09-01')`,
    { code: '23503', constraint: 'prediction_selection_fk' },
    'no such selection',
  );
  await pick(sql, u, sel.home!, { probability: 1, odds: 1.01, stake: 0 });
  t.pass('probability 1, odds just above 1 and stake 0 are accepted');
});

t.test('prediction: none at or after the start, none in the future, none on a closed market', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg, { start: '2024-09-08T18:00:00Z' });
  const [{ external_id: ext } = { external_id: '' }] = await sql<{ external_id: string }[]>`
    select external_id from core.event where event_id = ${ev}`;
  const { sel } = await matchResult(sql, ev);
  const u = await user(sql, 'bob');
  const e = await rejectsWith(t, pick(sql, u, sel.home!, { at: '2024-09-08T18:00:00Z' }), {
    code: 'SL030',
    message: new RegExp(`event ${ev} \\(${ext}\\) started at 2024-09-08 18:00:00 UTC`),
  });
  t.match(e?.message ?? '', /picks close at the start/, 'the message says why');
  await rejectsWith(t, pick(sql, u, sel.home!, { at: '2024-09-09T00:00:00Z' }), { code: 'SL030' }, 'after the start');
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id) values (${u}, ${sel.home!})`,
    { code: 'SL030', message: /started at 2024-09-08 18:00:00 UTC/ },
    'default predicted_at (now) for a past event',
  );
  await rejectsWith(t, pick(sql, u, sel.home!, { at: '2999-01-01T00:00:00Z' }), { code: 'SL032', message: /in the future/ });

  // an actual start earlier than scheduled closes picks then
  await sql`update core.event set status = 'in_progress', actual_start = '2024-09-08T17:55:00Z' where event_id = ${ev}`;
  await rejectsWith(t, pick(sql, u, sel.home!, { at: '2024-09-08T17:56:00Z' }), { code: 'SL030', message: /17:55:00 UTC/ }, 'actual start');

  // a future event accepts a pick now; changing it is fine before the start
  const future = await event(sql, lg, { start: '2999-01-01T00:00:00Z' });
  const fm = await matchResult(sql, future);
  const [p] = await sql<{ id: string }[]>`
    insert into forecast.prediction (forecaster_id, selection_id) values (${u}, ${fm.sel.home!}) returning prediction_id as id`;
  await sql`update forecast.prediction set selection_id = ${fm.sel.away!} where prediction_id = ${p!.id}`;
  t.pass('a pick on a future event is made and changed with the default predicted_at');

  // changing a pick once the event started is refused
  const started = await pick(sql, u, (await matchResult(sql, await event(sql, lg))).sel.draw!);
  await rejectsWith(
    t,
    sql`update forecast.prediction set stake = 5 where prediction_id = ${started}`,
    { code: 'SL030' },
    'update after start',
  );
  await sql`update forecast.prediction set features = '{"note": 1}' where prediction_id = ${started}`;
  t.pass('features can still be annotated');

  // settled and void markets
  const done = await event(sql, lg);
  const dm = await matchResult(sql, done);
  await complete(sql, done, 1, 0);
  await sql`select market.settle_event(${done})`;
  await rejectsWith(t, pick(sql, u, dm.sel.home!), { code: 'SL031', message: /match_result market \d+ on event \d+ \(.+\) is settled/ });
  const off = await event(sql, lg);
  const om = await matchResult(sql, off);
  await sql`update core.event set status = 'cancelled' where event_id = ${off}`;
  await sql`select market.settle_event(${off})`;
  await rejectsWith(t, pick(sql, u, om.sel.home!), { code: 'SL031', message: /is void/ });
  const susp = await matchResult(sql, await event(sql, lg));
  await sql`update market.market set status = 'suspended' where market_id = ${susp.marketId}`;
  await rejectsWith(t, pick(sql, u, susp.sel.home!), { code: 'SL031', message: /is suspended/ });
});

t.test('several picks on a market that allows them (race_place), never the same runner twice', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const race = await event(sql, lg, { kind: 'race', week: null });
  const runners = await sql<{ id: string }[]>`
    insert into core.runner (event_id, number, name) select ${race}, n, 'Dog ' || n from generate_series(1, 4) n returning runner_id as id`;
  const { sel } = await market(
    sql,
    race,
    'race_place',
    runners.map((r, i) => ({ code: String(i + 1), runnerId: Number(r.id) })),
  );
  const u = await user(sql, 'cat');
  await pick(sql, u, sel['1']!);
  await pick(sql, u, sel['2']!);
  t.pass('two runners picked in one place market');
  await rejectsWith(t, pick(sql, u, sel['2']!), { code: '23505', constraint: 'prediction_selection_once' });
});

t.test('prediction-market price links and first touchdowns', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg, { kind: 'game' });
  const scorer = await player(sql, lg, 'Runner One', lg.teams[0], 'RB');
  const { sel } = await market(sql, ev, 'first_td_scorer', [{ code: 'p1', playerId: scorer }, { code: 'none' }]);
  const u = await user(sql, 'dan');
  const p = await pick(sql, u, sel.p1!, { odds: 6 });
  const [x] = await sql<{ id: string }[]>`
    insert into market.external_market (source_id, external_id, outcome, selection_id)
    select source_id, 'poly-1', 'Yes', ${sel.p1!} from market.source where code = 'polymarket' returning external_market_id as id`;
  const [y] = await sql<{ id: string }[]>`
    insert into market.external_market (source_id, external_id, outcome, selection_id)
    select source_id, 'poly-2', 'Yes', ${sel.none!} from market.source where code = 'polymarket' returning external_market_id as id`;
  await sql`insert into forecast.prediction_market_price (prediction_id, external_market_id, price, observed_at) values (${p}, ${x!.id}, 0.17, now())`;
  const [link] = await sql<{ price: string }[]>`select price from forecast.prediction_market_price where prediction_id = ${p}`;
  t.equal(Number(link!.price), 0.17, 'the pick carries the market price at pick time');
  await rejectsWith(
    t,
    sql`insert into forecast.prediction_market_price (prediction_id, external_market_id, price, observed_at) values (${p}, ${y!.id}, 0.5, now())`,
    { code: 'SL033', message: new RegExp(`prediction ${p} is on selection ${sel.p1!}, but external market ${y!.id} \\(poly-2 Yes\\)`) },
  );
  await rejectsWith(t, sql`update forecast.prediction_market_price set price = 1.5 where prediction_id = ${p}`, {
    code: '23514',
    constraint: 'prediction_market_price_range',
  });

  const match = await event(sql, lg, { kind: 'match' });
  await rejectsWith(t, sql`insert into forecast.first_touchdown (event_id, player_id) values (${match}, ${scorer})`, {
    code: 'SL034',
    message: /is a match: only a game has a first touchdown/,
  });
  await rejectsWith(t, sql`insert into forecast.first_touchdown (event_id, player_id, team_id) values (${ev}, null, ${lg.teams[0]!})`, {
    code: '23514',
    constraint: 'first_touchdown_team_needs_player',
  });
});

t.test('scoring rules: constraints on the curve', async (t) => {
  const { sql } = await testDb(t);
  const [n] = await sql<{ n: number }[]>`
    select count(*)::int as n from market.market_type mt join forecast.scoring_rule r on r.market_type = mt.code`;
  const [all] = await sql<{ n: number }[]>`select count(*)::int as n from market.market_type`;
  t.equal(n?.n, all?.n, 'every market type has a scoring rule');
  await rejectsWith(t, sql`update forecast.scoring_rule set points_min = 7 where market_type = 'match_result'`, {
    code: '23514',
    constraint: 'scoring_rule_points_ordered',
  });
  await rejectsWith(t, sql`update forecast.scoring_rule set curve_exponent = 0 where market_type = 'match_result'`, {
    code: '23514',
    constraint: 'scoring_rule_curve_exponent_positive',
  });
  await rejectsWith(t, sql`update forecast.scoring_rule set points_step = 0 where market_type = 'match_result'`, {
    code: '23514',
    constraint: 'scoring_rule_points_step_positive',
  });
  await rejectsWith(t, sql`update forecast.scoring_rule set log_loss_epsilon = 0.5 where market_type = 'match_result'`, {
    code: '23514',
    constraint: 'scoring_rule_log_loss_epsilon_range',
  });
});

t.test('the remaining constraints: foreign keys, score rows, first touchdowns, player stats', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql);
  const ev = await event(sql, lg, { kind: 'game' });
  const { sel } = await matchResult(sql, ev);
  const u = await user(sql, 'eve');
  const p = await pick(sql, u, sel.home!);
  const pl = await player(sql, lg, 'P', lg.teams[0], 'QB');

  await rejectsWith(t, pick(sql, 999999999, sel.home!), { code: '23503', constraint: 'prediction_forecaster_fk' }, 'unknown forecaster');
  await rejectsWith(
    t,
    sql`insert into forecast.prediction (forecaster_id, selection_id, predicted_home_score, predicted_away_score, predicted_at)
        values (${u}, ${sel.draw!}, 0, -2, '2024-09-01')`,
    { code: '23514', constraint: 'prediction_away_score_non_negative' },
  );
  await rejectsWith(
    t,
    sql`insert into forecast.prediction_market_price (prediction_id, external_market_id, price, observed_at) values (999999999, 1, 0.5, now())`,
    { code: '23503', constraint: 'prediction_market_price_prediction_fk' },
  );
  await rejectsWith(
    t,
    sql`insert into forecast.prediction_market_price (prediction_id, external_market_id, price, observed_at) values (${p}, 999999999, 0.5, now())`,
    { code: '23503', constraint: 'prediction_market_price_external_market_fk' },
  );
  const [x] = await sql<{ id: string }[]>`
    insert into market.external_market (source_id, external_id, outcome, selection_id)
    select source_id, 'k-1', 'Yes', ${sel.home!} from market.source where code = 'kalshi' returning external_market_id as id`;
  await sql`insert into forecast.prediction_market_price (prediction_id, external_market_id, price, observed_at) values (${p}, ${x!.id}, 0.5, now())`;
  await rejectsWith(
    t,
    sql`insert into forecast.prediction_market_price (prediction_id, external_market_id, price, observed_at) values (${p}, ${x!.id}, 0.6, now())`,
    { code: '23505', constraint: 'prediction_market_price_pkey' },
  );
  await rejectsWith(t, sql`insert into forecast.scoring_rule (market_type, description) values ('nope', 'x')`, {
    code: '23503',
    constraint: 'scoring_rule_market_type_fk',
  });

  const score = (outcome: string, share: number, staked: number) =>
    sql`insert into forecast.prediction_score (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, result_version)
        values (${p}, ${u}, ${ev}, ${outcome}, 0, ${share}, ${staked}, 0)`;
  await rejectsWith(t, score('draw', 0.5, 0), { code: '23514', constraint: 'prediction_score_outcome_known' });
  await rejectsWith(t, score('win', 0, 0), { code: '23514', constraint: 'prediction_score_rarity_share_range' });
  await rejectsWith(t, score('win', 1.5, 0), { code: '23514', constraint: 'prediction_score_rarity_share_range' });
  await rejectsWith(t, score('win', 0.5, -1), { code: '23514', constraint: 'prediction_score_staked_non_negative' });
  await rejectsWith(
    t,
    sql`insert into forecast.prediction_score (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, result_version)
        values (999999999, ${u}, ${ev}, 'win', 0, 0.5, 0, 0)`,
    { code: '23503', constraint: 'prediction_score_prediction_fk' },
  );

  await rejectsWith(t, sql`insert into forecast.first_touchdown (event_id, player_id) values (999999999, ${pl})`, {
    code: '23503',
    constraint: 'first_touchdown_event_fk',
  });
  await rejectsWith(t, sql`insert into forecast.first_touchdown (event_id, player_id) values (${ev}, 999999999)`, {
    code: '23503',
    constraint: 'first_touchdown_player_fk',
  });

  const stat = (td: number, made: number, correct: number) =>
    sql`insert into stats.player_stats (season_id, team_id, player_id, first_td_count, picks_made, picks_correct)
        values (${lg.seasonId}, null, ${pl}, ${td}, ${made}, ${correct})`;
  await rejectsWith(t, stat(-1, 0, 0), { code: '23514', constraint: 'player_stats_first_td_count_non_negative' });
  // picks_correct between 0 and picks_made already refuses a negative picks_made, and is checked first (name order)
  await rejectsWith(
    t,
    stat(0, -1, 0),
    { code: '23514', message: /player_stats_picks_(correct_range|made_non_negative)/ },
    'negative picks_made',
  );
  await rejectsWith(t, stat(0, 1, 2), { code: '23514', constraint: 'player_stats_picks_correct_range' });
  await stat(1, 0, 0);
  await rejectsWith(t, stat(2, 0, 0), { code: '23505', constraint: 'player_stats_season_team_player_key' }, 'an unknown team is one key');
});
