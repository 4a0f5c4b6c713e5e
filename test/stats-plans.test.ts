// The hot lookups use their indexes on a realistic volume (ANALYZEd, the planner left
// to choose), and scoring one event never scans the rest.
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { testDb } from './helpers/db.ts';

async function plan(sql: Sql, query: string): Promise<string> {
  const rows = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain ${query}`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

t.test('stats by model, picks by forecaster and week, player stats by position and team', async (t) => {
  const { sql } = await testDb(t);
  await sql`select setseed(0.7)`;
  await sql`insert into core.sport (code, name) values ('plan', 'Plan')`;
  await sql`insert into core.competition (sport_id, code, name) select sport_id, 'plan_' || c, 'Plan ' || c from core.sport, generate_series(1, 4) c where code = 'plan'`;
  await sql`insert into core.season (competition_id, label, is_current) select competition_id, '2024', true from core.competition where code like 'plan_%'`;
  await sql`insert into core.week (season_id, week_number, label) select season_id, w, 'W' || w from core.season, generate_series(1, 18) w`;
  await sql`insert into core.team (sport_id, code, name) select sport_id, 'P' || n, 'Plan ' || n from core.sport, generate_series(1, 32) n where code = 'plan'`;
  const [{ sport_id: sport } = { sport_id: 0 }] = await sql<{ sport_id: number }[]>`select sport_id from core.sport where code = 'plan'`;
  // 4 competitions x 18 weeks x 16 games = 1,152 events, each with match_result and correct_score markets
  await sql`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    select 'plan_' || s.season_id || '_' || w || '_' || g, 'game', s.competition_id, s.season_id, w, '2024-09-01'::timestamptz + w * interval '7 days',
           t1.team_id, t2.team_id
      from core.season s cross join generate_series(1, 18) w cross join generate_series(1, 16) g
      join core.team t1 on t1.sport_id = ${sport} and t1.code = 'P' || (2 * g - 1)
      join core.team t2 on t2.sport_id = ${sport} and t2.code = 'P' || (2 * g)`;
  await sql`insert into market.market (event_id, market_type) select event_id, mt from core.event, unnest(array['match_result', 'correct_score']) mt`;
  await sql`insert into market.selection (market_id, code, label) select market_id, c, c from market.market, unnest(array['home', 'draw', 'away']) c
             where market_type = 'match_result'`;
  await sql`insert into market.selection (market_id, code, label) select market_id, c, c from market.market, unnest(array['1-0', '0-1', '1-1', 'other']) c
             where market_type = 'correct_score'`;
  // 3,000 models and 1,000 users, each predicting 6 random markets: about 24,000 predictions
  await sql`insert into forecast.forecaster (kind, name, version, model_type) select 'model', 'pm' || n, '1', 'random' from generate_series(1, 3000) n`;
  await sql`insert into forecast.forecaster (kind, name, handle) select 'user', 'pu' || n, 'pu' || n from generate_series(1, 1000) n`;
  await sql`
    insert into forecast.prediction (forecaster_id, selection_id, odds, probability, predicted_at)
    select distinct on (f.forecaster_id, pickm.market_id) f.forecaster_id, s.selection_id, 2.5, 0.4, '2024-08-01'
      from forecast.forecaster f
     cross join generate_series(1, 6) k
     cross join lateral (select b.lo + floor(random() * (b.hi - b.lo + 1) + k * 0 + f.forecaster_id * 0)::bigint as market_id
                           from (select min(market_id) as lo, max(market_id) as hi from market.market) b) pickm
      join lateral (select s.selection_id from market.selection s where s.market_id = pickm.market_id
                     order by random() + f.forecaster_id * 0 limit 1) s on true`;
  await sql`update core.event set status = 'completed', home_score = (event_id % 4), away_score = (event_id % 3)`;
  // players and their stats rows (a table; loaded directly here for volume)
  await sql`insert into core.player (sport_id, external_id, full_name) select ${sport}, 'pp' || n, 'Player ' || n from generate_series(1, 6000) n`;
  await sql`
    insert into stats.player_stats (season_id, team_id, player_id, position, first_td_count, picks_made)
    select (select min(season_id) from core.season), t.team_id, p.player_id,
           (array['QB', 'RB', 'WR', 'TE', 'K', 'FB', 'UNK'])[1 + p.player_id % 7], p.player_id % 3, p.player_id % 5
      from core.player p join core.team t on t.sport_id = ${sport} and t.code = 'P' || (1 + p.player_id % 32)
     where p.sport_id = ${sport}`;

  // scoring one event does not scan the others: score all but one, ANALYZE, then watch the last one
  const events = await sql<{ id: string }[]>`select event_id as id from core.event order by event_id`;
  const last = events.pop()!;
  for (const e of events) await sql`select forecast.score_event(${e.id})`;
  await sql`analyze`;
  const seqScans = async (): Promise<Record<string, number>> => {
    await sql`select pg_stat_force_next_flush()`;
    await sql`select pg_stat_clear_snapshot()`;
    const rows = await sql<{ t: string; n: string }[]>`
      select schemaname || '.' || relname as t, seq_scan as n from pg_stat_user_tables
       where schemaname || '.' || relname in ('forecast.prediction', 'forecast.prediction_score', 'market.market', 'market.selection', 'core.event')`;
    return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
  };
  const before = await seqScans();
  const [n] = await sql<{ n: number }[]>`select forecast.score_event(${last.id}) as n`;
  t.ok(n!.n > 0, `scored ${n!.n} predictions of one event`);
  const after = await seqScans();
  t.same(after, before, 'no sequential scan of predictions, scores, markets, selections or events');

  for (const v of ['user_leaderboard', 'model_calibration']) {
    await sql.unsafe(`refresh materialized view stats.${v}`);
  }
  // what the refresh orchestrator does after scoring: fold the model-stats deltas into the sums
  await sql`select stats.fold_model_stats('stats.model_stats_competition_agg'), stats.fold_model_stats('stats.model_stats_club_agg')`;
  await sql`analyze`;
  const [m] = await sql<
    { id: string }[]
  >`select forecaster_id as id from forecast.forecaster where kind = 'model' order by forecaster_id limit 1 offset 1500`;
  const [u] = await sql<
    { id: string }[]
  >`select forecaster_id as id from forecast.forecaster where kind = 'user' order by forecaster_id limit 1 offset 500`;
  const [comp] = await sql<
    { c: number; s: number }[]
  >`select competition_id as c, season_id as s from core.season order by season_id limit 1`;

  t.match(
    await plan(sql, `select * from stats.mv_model_stats_overall where model_id = ${m!.id}`),
    /(Index Scan using|Bitmap Index Scan on) model_stats_competition_agg_pkey/,
    "overall stats by model: the summary table's key (model first)",
  );
  t.match(
    await plan(
      sql,
      `select * from stats.mv_model_stats_competition where model_id = ${m!.id} and competition_id = ${comp!.c} and season_id = ${comp!.s}`,
    ),
    /(Index Scan using|Bitmap Index Scan on) model_stats_competition_agg_pkey/,
    "competition stats by model: the summary table's key",
  );
  t.match(
    await plan(sql, `select * from stats.mv_model_stats_club where model_id = ${m!.id}`),
    /Index Scan using model_stats_club_agg_pkey|Bitmap Index Scan on model_stats_club_agg_pkey/,
    "club stats by model: the summary table's key",
  );
  t.match(
    await plan(sql, `select * from stats.user_leaderboard where season_id = ${comp!.s} and forecaster_id = ${u!.id}`),
    /Index Scan using user_leaderboard_season_forecaster_key/,
    'a user on the leaderboard: the unique index',
  );
  const picks = await plan(
    sql,
    `select * from forecast.pick where forecaster_id = ${u!.id} and season_id = ${comp!.s} and week_number = 3`,
  );
  t.match(
    picks,
    /Index (Only )?Scan using prediction_(forecaster_market_idx|selection_once) on prediction/,
    'picks by forecaster and week: a forecaster index',
  );
  t.notMatch(picks, /Seq Scan on (prediction|event|market)\b/, 'and no sequential scan of predictions, events or markets');
  const [team] = await sql<{ id: number }[]>`select team_id as id from core.team where sport_id = ${sport} and code = 'P7'`;
  t.match(
    await plan(sql, `select * from stats.player_stats where position = 'WR' and team_id = ${team!.id}`),
    /(Index Scan using|Bitmap Index Scan on) player_stats_position_team_idx/,
    'player stats by position and team: the position/team index',
  );
});
