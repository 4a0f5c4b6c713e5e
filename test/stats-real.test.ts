// On the real sample data — NFL 2024 (and 2025) games with consensus moneylines and the
// Premier League 2019-20 with bookmaker odds, loaded by `scoreline ingest`'s loader —
// baseline models and a few users predict every match, score_event scores it, and every
// number in the views equals the TypeScript recomputation from the raw rows.
import path from 'node:path';
import t from 'tap';
import type { Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { testDb } from './helpers/db.ts';
import { compareAll, refreshAll, scoreAll } from './helpers/stats-recompute.ts';

async function predictions(sql: Sql): Promise<void> {
  await sql`insert into forecast.forecaster (kind, name, version, model_type, hyperparameters) values
              ('model', 'favourite', '1', 'favourite', '{"source": "bet365 or consensus"}'),
              ('model', 'always_home', '1', 'always_home', '{}'),
              ('model', 'random', '1', 'random', '{"seed": 0.31}'),
              ('model', 'outsider', '1', 'outsider', '{}')`;
  await sql`insert into forecast.forecaster (kind, name, handle) select 'user', 'Real user ' || n, 'real' || n from generate_series(1, 3) n`;
  await sql`select setseed(0.31)`;
  // decimal prices per selection: the feed's odds (bet365 for football, consensus for the NFL)
  await sql`
    create temporary table price as
    select s.selection_id, s.market_id, s.code, e.event_id, e.scheduled_start,
           (coalesce(e.metadata -> 'odds' -> 'bet365', e.metadata -> 'odds' -> 'consensus') ->> s.code)::numeric as odds
      from market.selection s
      join market.market m on m.market_id = s.market_id and m.market_type = 'match_result'
      join core.event e on e.event_id = m.event_id`;
  await sql`
    insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability, predicted_at, features)
    select f.forecaster_id, choice.selection_id, choice.odds, 1,
           case when choice.odds is not null then round(least(1, 1 / choice.odds), 4) end,
           least(now() - interval '1 minute', choice.scheduled_start - interval '1 day'), '{}'
      from forecast.forecaster f
     cross join (select distinct market_id from price) mk
     cross join lateral (
       select p.selection_id, p.odds, p.scheduled_start
         from price p
        where p.market_id = mk.market_id
          and (f.name <> 'always_home' or p.code = 'home')
          and (f.name not in ('favourite', 'outsider') or p.odds is not null)
        order by case f.name
                   when 'favourite' then p.odds
                   when 'outsider' then -p.odds
                   when 'always_home' then 0
                   else random() + f.forecaster_id * 0 end
        limit 1) choice
     where f.kind = 'model' or random() < 0.6`;
}

t.test('real NFL and Premier League data: the views equal the recomputation', async (t) => {
  const { sql } = await testDb(t);
  const nfl = await loadFile(sql, feeds.nfl_games!, path.join(repoRoot, 'data', 'nfl_games_2024_2025.csv'));
  const epl = await loadFile(sql, feeds.football_data!, path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv'));
  t.ok(nfl.inserted > 500 && epl.inserted >= 380, `loaded ${nfl.inserted} NFL games and ${epl.inserted} Premier League matches`);
  const [seasons] = await sql<{ labels: string[] }[]>`
    select array_agg(distinct s.label order by s.label) as labels from core.event e join core.season s using (season_id)`;
  t.ok(seasons!.labels.includes('2024') && seasons!.labels.includes('2019-20'), `seasons ${seasons!.labels.join(', ')}`);

  await predictions(sql);
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
  t.ok(count!.n > 3000, `${count!.n} predictions`);
  const scored = await scoreAll(sql);
  t.ok(scored > 3000, `${scored} predictions scored`);
  await refreshAll(sql, false);
  await compareAll(t, sql);

  const [fav] = await sql<{ win_rate: string; home: string }[]>`
    select (select win_rate from stats.mv_model_stats_competition v join forecast.forecaster f on f.forecaster_id = v.model_id
             join core.season s using (season_id) where f.name = 'favourite' and s.label = '2019-20') as win_rate,
           (select win_rate from stats.mv_model_stats_competition v join forecast.forecaster f on f.forecaster_id = v.model_id
             join core.season s using (season_id) where f.name = 'always_home' and s.label = '2019-20') as home`;
  t.ok(
    Number(fav!.win_rate) > Number(fav!.home),
    `the bookmakers' favourite (${fav!.win_rate}) beats always-home (${fav!.home}) in 2019-20`,
  );

  // correct one NFL 2024 game: the views follow after a concurrent refresh
  const [g] = await sql<{ event_id: string; home_score: number; away_score: number }[]>`
    select e.event_id, e.home_score, e.away_score from core.event e join core.season s using (season_id)
     where e.external_id = '2024_01_BAL_KC'`;
  const homeRow = async () => {
    const [r] = await sql<{ win_count: number; loss_count: number; total_points: string; total_matches: number }[]>`
      select v.win_count, v.loss_count, v.total_points, v.total_matches
        from stats.mv_model_stats_competition v
        join forecast.forecaster f on f.forecaster_id = v.model_id
        join core.event e on e.season_id = v.season_id and e.competition_id = v.competition_id
       where f.name = 'always_home' and e.external_id = '2024_01_BAL_KC'`;
    return r!;
  };
  const [homePick] = await sql<{ points: string }[]>`
    select ps.points from forecast.prediction_score ps join forecast.forecaster f using (forecaster_id)
     where f.name = 'always_home' and ps.event_id = ${g!.event_id}`;
  t.ok(
    g!.home_score > g!.away_score && Number(homePick!.points) >= 2,
    `KC won at home ${g!.home_score}-${g!.away_score}: always_home scored`,
  );
  const before = await homeRow();
  await sql`select core.correct_event_result(${g!.event_id}, 'completed', ${g!.away_score}::smallint, ${g!.home_score}::smallint, 'test: scores swapped')`;
  await sql`select forecast.score_event(${g!.event_id})`;
  await refreshAll(sql, true);
  const after = await homeRow();
  t.same(
    after,
    {
      win_count: before.win_count - 1,
      loss_count: before.loss_count + 1,
      total_points: String(Number(before.total_points) - Number(homePick!.points)),
      total_matches: before.total_matches,
    },
    'always_home in NFL 2024: one win fewer, one loss more, its points for that game gone',
  );
  await compareAll(t, sql);
  const [dq] = await sql<{ n: string }[]>`select stats.dq_model_stats_mismatch(1000) as n`;
  t.equal(Number(dq!.n), 0, 'dq_model_stats_mismatch: 0');
});
