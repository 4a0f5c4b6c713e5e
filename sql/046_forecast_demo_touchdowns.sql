-- forecast: demo data for the demo's pick'em. The sample files have no play-by-play, so no
-- game of theirs records who scored its first touchdown, and the first-touchdown picks of
-- forecast.create_demo_picks would never be scored (stats.user_leaderboard empty). The demo
-- records a drawn scorer instead, labelled as such in forecast.first_touchdown.source.
-- Re-applied by `scoreline migrate`; everything here is idempotent.

create or replace function forecast.record_demo_first_touchdowns() returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_game record;
  v_n integer := 0;
begin
  -- completed games with a first_td_scorer market and no first touchdown recorded: a player of
  -- a team that scored (drawn by a hash of game and player, the same on every run), or no
  -- touchdown when neither team scored
  for v_game in
    select e.event_id, d.player_id, d.team_id
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'first_td_scorer'
      left join lateral (
        select s.player_id, r.team_id
          from market.selection s
          join core.roster r on r.player_id = s.player_id and r.season_id = e.season_id
                            and r.team_id in (e.home_team_id, e.away_team_id)
         where s.market_id = m.market_id
           and ((r.team_id = e.home_team_id and e.home_score > 0) or (r.team_id = e.away_team_id and e.away_score > 0))
         order by pg_catalog.hashtextextended('demo first touchdown:' || e.event_id || ':' || s.code, 0), s.code
         limit 1) d on true
     where e.kind = 'game' and e.status = 'completed'
       and not exists (select from forecast.first_touchdown f where f.event_id = e.event_id)
     order by e.event_id
  loop
    perform forecast.record_first_touchdown(v_game.event_id, v_game.player_id, v_game.team_id, 'demo data: drawn, not the real scorer');
    v_n := v_n + 1;
  end loop;
  return v_n;
end;
$$;
comment on function forecast.record_demo_first_touchdowns() is
  'Demo data (make demo): records a first touchdown for every completed game that has a first_td_scorer market and none recorded — a player of a team that scored, drawn by a hash of game and player (the same on every run), or no touchdown when neither scored — with source ''demo data: drawn, not the real scorer'', and scores the games (forecast.record_first_touchdown). The sample files have no play-by-play: without this the demo''s first-touchdown picks are never scored. Never run on real data. Returns the games recorded.';
