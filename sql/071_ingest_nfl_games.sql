-- ingest: the merge of the nfl_games feed (src/ingest/nfl_games.ts): one batch of its staging
-- table into core and market, set-based. Re-applied by `scoreline migrate`; idempotent.
-- How a load works: sql/070_ingest_common.sql. SQLSTATEs: those of ingest.begin_merge (SL101-SL103).

create or replace function ingest.merge_nfl_games(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Teams: the schedule is the authority on which NFL teams exist, so an abbreviation
-- not yet in core.team is created (code and name = the abbreviation) — unless it is a
-- franchise's former code in that season (core.team_alias: OAK until 2019 is LV), which
-- means the franchise's team (core.team_for_code), so its games follow the franchise. The roster feed
-- (merge_nfl_players) does the opposite and rejects unknown teams.
declare
  v_comp record;
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'nfl_games');
  v_comp := ingest.competition('nfl');

  with d as (
    select s.line_number, s.game_id,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_nfl_games s
     where s.batch_id = p_batch_id
    window w as (partition by s.game_id order by s.line_number)
  ), dup as (
    delete from ingest.stage_nfl_games s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.game_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('game_id %s already appears on line %s of this file', game_id, first_line)
    from dup;

  insert into core.season (competition_id, label, starts_on, ends_on)
  select v_comp.competition_id, s.season, min(s.gameday), max(s.gameday)
    from ingest.stage_nfl_games s
   where s.batch_id = p_batch_id
   group by s.season
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  perform ingest.advance_current_season(v_comp.competition_id,
    array(select distinct s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id));

  insert into core.team (sport_id, code, name)
  select distinct v_comp.sport_id, t.code, t.code
    from (select s.home_team, s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id
          union
          select s.away_team, s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id) as t (code, season)
   where core.team_for_code(v_comp.sport_id, t.code, t.season::integer) is null
  on conflict (sport_id, code) do nothing;

  insert into core.week (season_id, week_number, label, starts_on, ends_on)
  select se.season_id, s.week,
         case min(s.game_type)
           when 'REG' then 'Week ' || s.week
           when 'WC' then 'Wild Card'
           when 'DIV' then 'Divisional round'
           when 'CON' then 'Conference championships'
           when 'SB' then 'Super Bowl'
           else min(s.game_type) end,
         min(s.gameday), max(s.gameday)
    from ingest.stage_nfl_games s
    join core.season se on se.competition_id = v_comp.competition_id and se.label = s.season
   where s.batch_id = p_batch_id
   group by se.season_id, s.week
  on conflict (season_id, week_number) do update
    set label = excluded.label,
        starts_on = least(core.week.starts_on, excluded.starts_on),
        ends_on = greatest(core.week.ends_on, excluded.ends_on)
    where (core.week.label, core.week.starts_on, core.week.ends_on)
          is distinct from (excluded.label, least(core.week.starts_on, excluded.starts_on), greatest(core.week.ends_on, excluded.ends_on));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select s.line_number, s.raw, s.game_id as external_id, 'game'::text as kind,
         v_comp.competition_id, se.season_id, s.week as week_number,
         case when s.game_type = 'REG' then 'regular' else 'postseason' end as stage,
         s.game_type as round,
         s.away_team || ' @ ' || s.home_team as name,
         -- nflverse times are US Eastern; a game without a time yet is put at 13:00 Eastern.
         (s.gameday + coalesce(s.gametime, time '13:00')) at time zone 'America/New_York' as scheduled_start,
         case when s.home_score is not null and s.away_score is not null then 'completed' else 'scheduled' end as status,
         ht.team_id as home_team_id, awt.team_id as away_team_id,
         s.home_score, s.away_score,
         jsonb_strip_nulls(jsonb_build_object(
           'odds', case when s.home_moneyline is not null and s.away_moneyline is not null then
                     jsonb_build_object('consensus', jsonb_build_object(
                       'home', ingest.american_to_decimal(s.home_moneyline),
                       'away', ingest.american_to_decimal(s.away_moneyline))) end,
           'moneyline', case when s.home_moneyline is not null and s.away_moneyline is not null then
                          jsonb_build_object('home', s.home_moneyline, 'away', s.away_moneyline) end,
           'spread_line', s.spread_line,
           'total_line', s.total_line,
           'overtime', s.overtime,
           'location', s.location,
           'stadium', s.stadium,
           'roof', s.roof,
           'surface', s.surface)) as metadata
    from ingest.stage_nfl_games s
    join core.season se on se.competition_id = v_comp.competition_id and se.label = s.season
    cross join lateral (select core.team_for_code(v_comp.sport_id, s.home_team, s.season::integer) as team_id) ht
    cross join lateral (select core.team_for_code(v_comp.sport_id, s.away_team, s.season::integer) as team_id) awt
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_events(p_batch_id);
  select count(*) into v_total from pg_temp.ingest_want;
  delete from ingest.stage_nfl_games s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated - v_counts.corrections, p_final);
end;
$$;
comment on function ingest.merge_nfl_games(bigint, boolean) is
  'Merges one nfl_games batch: seasons (the latest in the file becomes current), teams by abbreviation (a franchise''s former code in its seasons, core.team_alias, is the franchise''s team; unknown ones are created), weeks (1-18 regular, 19-22 post-season), games (external_id = game_id, stage regular for REG else postseason, round = game_type, scheduled_start from gameday + gametime in America/New_York, completed when both scores are present), consensus moneylines as decimal odds in metadata->odds, and a match_result market per game. Returns the finished batch.';
