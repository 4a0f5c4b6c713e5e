-- forecast: demo data for the demo's pick'em. The sample files have no play-by-play, so no
-- game of theirs records who scored its first touchdown, and the first-touchdown picks of
-- forecast.create_demo_picks would never be scored (stats.user_leaderboard empty). The demo
-- records a drawn scorer instead, labelled as such in forecast.first_touchdown.source.
-- Re-applied by `scoreline migrate`; everything here is idempotent.
--
-- Errors (SQLSTATE):
--   SL042  demo first touchdowns asked for outside the demo's session (scoreline.demo not on)

create or replace function forecast.record_demo_first_touchdowns() returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_game record;
  v_n integer := 0;
begin
  -- Never on real data by accident: only in a session that says it is the demo's (make demo
  -- sets scoreline.demo for its transaction), and only for games whose first-touchdown picks
  -- are all the demo users' (forecast.create_demo_picks): a real user's pick is never settled
  -- on a drawn scorer, and a real game keeps room for its real one.
  if coalesce(current_setting('scoreline.demo', true), '') <> 'on' then
    raise exception 'demo first touchdowns are recorded only by the demo (scoreline.demo is not on in this session)'
      using errcode = 'SL042',
            hint = 'record real first touchdowns with forecast.record_first_touchdown; make demo sets scoreline.demo for its own transaction';
  end if;
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
       and exists (select from forecast.prediction p join market.selection s on s.selection_id = p.selection_id
                    where s.market_id = m.market_id)
       and not exists (select from forecast.prediction p
                         join market.selection s on s.selection_id = p.selection_id
                         join forecast.forecaster f on f.forecaster_id = p.forecaster_id
                        where s.market_id = m.market_id
                          and (f.kind <> 'user' or f.handle is null or f.handle not like 'demo\_user\_%'))
     order by e.event_id
  loop
    perform forecast.record_first_touchdown(v_game.event_id, v_game.player_id, v_game.team_id, 'demo data: drawn, not the real scorer');
    v_n := v_n + 1;
  end loop;
  return v_n;
end;
$$;
comment on function forecast.record_demo_first_touchdowns() is
  'Demo data (make demo): only in a session with scoreline.demo = on (else SL042), records a first touchdown for every completed game that has a first_td_scorer market picked only by the demo users (demo_user_N) and none recorded — a player of a team that scored, drawn by a hash of game and player (the same on every run), or no touchdown when neither scored — with source ''demo data: drawn, not the real scorer'', and scores the games (forecast.record_first_touchdown). The sample files have no play-by-play: without this the demo''s first-touchdown picks are never scored. Never run on real data. Returns the games recorded.';
