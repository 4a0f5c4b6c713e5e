// The baseline forecasters on the real sample data: favourite, always home, seeded
// random and Elo (from earlier results only), idempotent; demo first-touchdown picks
// with positions from the 2024 rosters.
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { rejectsWith, testDb } from './helpers/db.ts';
import { refreshAll, scoreAll } from './helpers/stats-recompute.ts';

t.test('baseline models and demo picks on the real data', async (t) => {
  const { sql } = await testDb(t);
  for (const [feed, file] of [
    ['nfl_games', 'nfl_games_2024_2025.csv'],
    ['football_data', 'epl_2019_20_results_odds.csv'],
    ['nfl_players', 'nfl_players_2024.csv'],
  ] as const) {
    await loadFile(sql, feeds[feed]!, path.join(repoRoot, 'data', file));
  }
  const [first] = await sql<{ n: number }[]>`select forecast.create_baseline_predictions() as n`;
  const [markets] = await sql<{ n: number }[]>`select count(*)::int as n from market.market where market_type = 'match_result'`;
  const per = await sql<{ name: string; n: number }[]>`
    select f.name, count(p.prediction_id)::int as n from forecast.forecaster f left join forecast.prediction p using (forecaster_id)
     where f.kind = 'model' group by f.name order by f.name`;
  const counts = Object.fromEntries(per.map((r) => [r.name, r.n]));
  t.same(Object.keys(counts), ['always_home', 'bookmaker_favourite', 'elo', 'random'], 'four baseline models');
  t.equal(counts.always_home, markets!.n, 'always_home predicts every match');
  t.equal(counts.random, markets!.n, 'random predicts every match');
  t.equal(counts.elo, markets!.n, 'elo predicts every match');
  t.ok(counts.bookmaker_favourite! > 0.9 * markets!.n, `the favourite wherever there are prices (${counts.bookmaker_favourite})`);
  t.equal(
    first!.n,
    Object.values(counts).reduce((a, b) => a + b, 0),
    'returns what it created',
  );

  const [again] = await sql<{ n: number }[]>`select forecast.create_baseline_predictions() as n`;
  t.equal(again!.n, 0, 'a second run creates nothing');

  const [fav] = await sql<{ bad: number }[]>`
    select count(*)::int as bad from forecast.prediction p join forecast.forecaster f using (forecaster_id)
     where f.name = 'bookmaker_favourite'
       and p.odds > (select round(min(s2.odds), 3) from (select (coalesce(e.metadata -> 'odds' -> 'bet365', e.metadata -> 'odds' -> 'pinnacle',
                                                            e.metadata -> 'odds' -> 'market_average', e.metadata -> 'odds' -> 'consensus') ->> s.code)::numeric as odds
                                                 from market.selection s join market.market m using (market_id) join core.event e using (event_id)
                                                where s.market_id = p.market_id) s2)`;
  t.equal(fav!.bad, 0, 'the favourite is the lowest price (odds kept to 3 decimals)');
  const [rand] = await sql<{ home: number; draw: number; away: number }[]>`
    select count(*) filter (where s.code = 'home')::int as home, count(*) filter (where s.code = 'draw')::int as draw,
           count(*) filter (where s.code = 'away')::int as away
      from forecast.prediction p join forecast.forecaster f using (forecaster_id) join market.selection s using (selection_id)
     where f.name = 'random'`;
  t.ok(rand!.home > 200 && rand!.draw > 50 && rand!.away > 200, `random spreads its picks (${JSON.stringify(rand)})`);

  // Elo: a team's first game of all starts from 1500 each; after that ratings moved
  const [elo] = await sql<{ opening: number; moved: number }[]>`
    with ordered as (
      select e.event_id, e.home_team_id, e.scheduled_start, p.features,
             row_number() over (partition by e.home_team_id order by e.scheduled_start) as nth_home
        from forecast.prediction p join forecast.forecaster f using (forecaster_id)
        join market.market m using (market_id) join core.event e using (event_id)
       where f.name = 'elo')
    select count(*) filter (where not exists (select from core.event x where x.scheduled_start < o.scheduled_start
                                                and o.home_team_id in (x.home_team_id, x.away_team_id))
                              and (o.features ->> 'home_rating')::numeric <> 1500)::int as opening,
           count(*) filter (where (o.features ->> 'home_rating')::numeric <> 1500)::int as moved
      from ordered o`;
  t.equal(elo!.opening, 0, "a team's first game is rated from 1500 (no result from its future)");
  t.ok(elo!.moved > 500, 'later games use moved ratings');

  // score, refresh: the favourite beats random on the Premier League
  await scoreAll(sql);
  await refreshAll(sql, false);
  const rates = await sql<{ name: string; win_rate: string }[]>`
    select f.name, v.win_rate from stats.mv_model_stats_competition v join forecast.forecaster f on f.forecaster_id = v.model_id
      join core.season s using (season_id) where s.label = '2019-20'`;
  const rate = Object.fromEntries(rates.map((r) => [r.name, Number(r.win_rate)]));
  t.ok(rate.bookmaker_favourite! > rate.random!, `2019-20: favourite ${rate.bookmaker_favourite} > random ${rate.random}`);
  t.ok(rate.elo! > rate.random!, `2019-20: elo ${rate.elo} > random ${rate.random}`);

  // demo first-touchdown picks
  const [picks] = await sql<{ n: number }[]>`select forecast.create_demo_picks() as n`;
  t.ok(picks!.n > 100, `${picks!.n} first-touchdown picks`);
  const [picks2] = await sql<{ n: number }[]>`select forecast.create_demo_picks() as n`;
  t.equal(picks2!.n, 0, 'a second run creates nothing');
  const [ps] = await sql<{ rows: number; picks: number; unk: string }[]>`
    select count(*)::int as rows, sum(picks_made)::int as picks, stats.dq_unknown_position_share() as unk from stats.player_stats`;
  t.equal(ps!.picks, picks!.n, 'every pick counted in the player statistics');
  t.ok(Number(ps!.unk) < 0.05, `unknown positions on real data: ${ps!.unk} < 5%`);

  // a first touchdown recorded for one game settles its picks
  const [g] = await sql<{ event_id: string; player_id: string }[]>`
    select m.event_id, s.player_id from forecast.prediction p join market.market m using (market_id)
      join market.selection s using (selection_id) where m.market_type = 'first_td_scorer' order by p.prediction_id limit 1`;
  await sql`select forecast.record_first_touchdown(${g!.event_id}, ${g!.player_id})`;
  const [row] = await sql<{ first_td_count: number; picks_correct: number }[]>`
    select sum(first_td_count)::int as first_td_count, sum(picks_correct)::int as picks_correct from stats.player_stats where player_id = ${g!.player_id}`;
  t.equal(row!.first_td_count, 1, 'the scorer has one first touchdown');
  t.ok(row!.picks_correct >= 1, 'and his pickers a correct pick');

  // the demo's drawn first touchdowns: never outside the demo's session, never for a real user's game
  await rejectsWith(
    t,
    sql`select forecast.record_demo_first_touchdowns()`,
    { code: 'SL042', message: /only by the demo/ },
    'outside the demo: SL042',
  );
  const [real] = await sql<{ event_id: string }[]>`
    with fan as (insert into forecast.forecaster (kind, name, handle) values ('user', 'A real fan', 'real_fan') returning forecaster_id),
         game as (select m.event_id, min(p.selection_id) as selection_id
                    from forecast.prediction p join market.selection s on s.selection_id = p.selection_id join market.market m on m.market_id = s.market_id
                   where m.market_type = 'first_td_scorer'
                     and not exists (select from forecast.first_touchdown f where f.event_id = m.event_id)
                   group by m.event_id order by m.event_id limit 1)
    insert into forecast.prediction (forecaster_id, selection_id, odds, predicted_at)
    select fan.forecaster_id, game.selection_id, 9.0, e.scheduled_start - interval '2 hours'
      from fan, game join core.event e using (event_id)
    returning (select event_id from game)::text as event_id`;
  const [drawn] = await sql.begin(async (tx) => {
    await tx`select set_config('scoreline.demo', 'on', true)`;
    return tx<{ n: number }[]>`select forecast.record_demo_first_touchdowns() as n`;
  });
  t.ok(drawn!.n > 0, `in the demo's session: ${drawn!.n} games given a drawn first touchdown`);
  const [kept] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.first_touchdown where event_id = ${real!.event_id}`;
  t.equal(kept!.n, 0, 'a game a real user picked is left for its real first touchdown');
});
