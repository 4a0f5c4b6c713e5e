-- ingest: the merge of the football_data feed (src/ingest/football_data.ts): one batch of its staging
-- table into core and market, set-based. Re-applied by `scoreline migrate`; idempotent.
-- How a load works: sql/070_ingest_common.sql. SQLSTATEs: those of ingest.begin_merge (SL101-SL103).

create or replace function ingest.merge_football_data(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Clubs: a results file is the authority on which clubs play in its league, so a club
-- not yet in core.team is created under its short name (Man United); rows of a division
-- not mapped in ingest.competition_code are rejected, naming the command that maps it.
-- Match statistics go into metadata->'statistics', values the feed could not read (a
-- price of 0) into metadata->'unreadable', as written.
-- Matchdays: football-data has none, so they are derived: each club's matches in the
-- file, in kick-off order, are its matchdays 1, 2, ...; a match is on the later of its
-- two clubs' matchdays (a postponed match joins the round in which it was played).
declare
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'football_data');

  with bad as (
    delete from ingest.stage_football_data s
     where s.batch_id = p_batch_id
       and not exists (select from ingest.competition_code cc where cc.feed = 'football_data' and cc.code = s.division)
    returning s.line_number, s.raw, s.division
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('division %s is not a known competition: map it with `scoreline ingest-map-code football_data %s <competition>` (ingest.map_competition_code), then load the file again', division, division)
    from bad;

  drop table if exists pg_temp.ingest_fd;
  create temporary table ingest_fd on commit drop as
  select r.*,
         c.code || '_' || r.season_label || '_' || to_char(r.match_date, 'YYYYMMDD') || '_'
           || ingest.name_key(r.home_team) || '_' || ingest.name_key(r.away_team) as external_id,
         null::integer as season_id,
         null::smallint as week_number
    from (select s.*, cc.competition_id, ingest.football_season_label(min(s.match_date) over (partition by s.division)) as season_label
            from ingest.stage_football_data s
            join ingest.competition_code cc on cc.feed = 'football_data' and cc.code = s.division
           where s.batch_id = p_batch_id) r
    join core.competition c on c.competition_id = r.competition_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_fd (batch_id bigint, line_number integer, raw text, division text, match_date date, kickoff time, home_team text, away_team text, home_goals smallint, away_goals smallint, half_time_home_goals smallint, half_time_away_goals smallint, referee text, odds jsonb, statistics jsonb, competition_id integer, season_label text, external_id text, season_id integer, week_number smallint)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  with d as (
    select f.line_number, f.external_id,
           first_value(f.line_number) over w as first_line,
           row_number() over w as n
      from pg_temp.ingest_fd f
    window w as (partition by f.external_id order by f.line_number)
  ), dup as (
    delete from pg_temp.ingest_fd f using d
     where f.line_number = d.line_number and d.n > 1
    returning f.line_number, f.raw, f.external_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('match %s already appears on line %s of this file', external_id, first_line)
    from dup;

  insert into core.season (competition_id, label, starts_on, ends_on)
  select f.competition_id, f.season_label, min(f.match_date), max(f.match_date)
    from pg_temp.ingest_fd f
   group by f.competition_id, f.season_label
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  update pg_temp.ingest_fd f set season_id = se.season_id
    from core.season se
   where se.competition_id = f.competition_id and se.label = f.season_label;

  perform ingest.advance_current_season(x.competition_id, x.labels)
     from (select f.competition_id, array_agg(distinct f.season_label) as labels
             from pg_temp.ingest_fd f group by f.competition_id) x;

  insert into core.team (sport_id, code, name)
  select distinct c.sport_id, t.code, t.code
    from pg_temp.ingest_fd f
    join core.competition c on c.competition_id = f.competition_id
   cross join lateral (values (f.home_team), (f.away_team)) as t (code)
  on conflict (sport_id, code) do nothing;

  with appearance as (
    select f.external_id, f.season_id, t.club, f.match_date, f.kickoff, f.line_number
      from pg_temp.ingest_fd f
     cross join lateral (values (f.home_team), (f.away_team)) as t (club)
  ), ordinal as (
    select a.external_id,
           row_number() over (partition by a.season_id, a.club order by a.match_date, a.kickoff nulls first, a.line_number) as n
      from appearance a
  ), matchday as (
    select o.external_id, max(o.n)::smallint as week_number from ordinal o group by o.external_id
  )
  update pg_temp.ingest_fd f set week_number = m.week_number
    from matchday m
   where m.external_id = f.external_id;

  insert into core.week (season_id, week_number, label, starts_on, ends_on)
  select f.season_id, f.week_number, 'Matchday ' || f.week_number, min(f.match_date), max(f.match_date)
    from pg_temp.ingest_fd f
   group by f.season_id, f.week_number
  on conflict (season_id, week_number) do update
    set label = excluded.label,
        starts_on = least(core.week.starts_on, excluded.starts_on),
        ends_on = greatest(core.week.ends_on, excluded.ends_on)
    where (core.week.label, core.week.starts_on, core.week.ends_on)
          is distinct from (excluded.label, least(core.week.starts_on, excluded.starts_on), greatest(core.week.ends_on, excluded.ends_on));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select f.line_number, f.raw, f.external_id, 'match'::text as kind,
         f.competition_id, f.season_id, f.week_number,
         'regular'::text as stage, null::text as round,
         f.home_team || ' v ' || f.away_team as name,
         -- football-data times are UK local; older files without a Time column get 15:00.
         (f.match_date + coalesce(f.kickoff, time '15:00')) at time zone 'Europe/London' as scheduled_start,
         case when f.home_goals is not null and f.away_goals is not null then 'completed' else 'scheduled' end as status,
         ht.team_id as home_team_id, awt.team_id as away_team_id,
         f.home_goals as home_score, f.away_goals as away_score,
         jsonb_strip_nulls(jsonb_build_object(
           'odds', nullif(f.odds, '{}'::jsonb),
           'half_time', case when f.half_time_home_goals is not null and f.half_time_away_goals is not null then
                          jsonb_build_object('home', f.half_time_home_goals, 'away', f.half_time_away_goals) end,
           'referee', f.referee,
           'statistics', nullif(f.statistics - 'unreadable', '{}'::jsonb),
           'unreadable', f.statistics -> 'unreadable')) as metadata
    from pg_temp.ingest_fd f
    join core.competition c on c.competition_id = f.competition_id
    join core.team ht on ht.sport_id = c.sport_id and ht.code = f.home_team
    join core.team awt on awt.sport_id = c.sport_id and awt.code = f.away_team;
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_events(p_batch_id);
  select count(*) into v_total from pg_temp.ingest_want;
  perform ingest.keep_football_data_odds(p_batch_id);
  delete from ingest.stage_football_data s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated - v_counts.corrections, p_final);
end;
$$;
comment on function ingest.merge_football_data(bigint, boolean) is
  'Merges one football_data batch: the competition from the Div code (ingest.competition_code), the season named by the file''s first match (2019-20), clubs by short name (unknown ones are created), matchdays derived from each club''s match order, matches (external_id like epl_2019-20_20190809_Liverpool_Norwich, completed with FTHG/FTAG), bookmaker decimal odds in metadata->odds (every bookmaker, averages and maxima, opening and closing), match statistics in metadata->statistics, values that could not be read in metadata->unreadable, a match_result market per match, and every price into market.odds_history (ingest.keep_football_data_odds; counted in the batch''s odds_kept). Unmapped divisions are rejected (scoreline ingest-map-code maps one). Returns the finished batch.';

-- ---------------------------------------------------------------------------
-- football_data bookmaker prices, kept as historical prices
-- ---------------------------------------------------------------------------

-- the former way out (prices copied into market.odds_snapshot, where retention dropped them)
drop function if exists ingest.football_data_odds_snapshots();

create or replace function ingest.keep_football_data_odds(p_batch_id bigint) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  -- (plpgsql: pg_temp.ingest_fd exists only during a load.) The matches of the batch being
  -- merged (pg_temp.ingest_fd, made by ingest.merge_football_data), their prices by source
  -- in the staged odds (bet365, pinnacle, market_average, market_max, each also
  -- *_closing), one row per match_result selection (home, draw, away) and price: opening
  -- prices observed at kick-off - 48 hours, closing prices at kick-off - 5 minutes.
  perform 'PRAGMA:TABLE: pg_temp.ingest_fd (batch_id bigint, line_number integer, raw text, division text, match_date date, kickoff time, home_team text, away_team text, home_goals smallint, away_goals smallint, half_time_home_goals smallint, half_time_away_goals smallint, referee text, odds jsonb, statistics jsonb, competition_id integer, season_label text, external_id text, season_id integer, week_number smallint)'; -- its shape for plpgsql_check: ingest.merge_football_data creates it at run time
  drop table if exists pg_temp.odds_history_load;
  create temporary table odds_history_load on commit drop as
  select case when o.key like '%\_closing' then e.scheduled_start - interval '5 minutes'
              else e.scheduled_start - interval '48 hours' end as observed_at,
         s.selection_id, src.source_id, (o.value ->> s.code)::numeric(10, 4) as price
    from pg_temp.ingest_fd f
    join core.event e on e.external_id = f.external_id
    join market.market m on m.event_id = e.event_id and m.market_type = 'match_result'
    join market.selection s on s.market_id = m.market_id
   cross join lateral jsonb_each(f.odds) o
    join market.source src on src.code = regexp_replace(o.key, '_closing$', '')
   where jsonb_typeof(f.odds) = 'object';
  return market.keep_odds_history(p_batch_id);
end;
$$;
comment on function ingest.keep_football_data_odds(bigint) is
  'Called by ingest.merge_football_data: the bookmaker prices of the batch being merged (pg_temp.ingest_fd) into market.odds_history (market.keep_odds_history, which counts them in ingest.batch.odds_kept): one per match_result selection, source (every bookmaker of market.source the file quotes: bet365, pinnacle, william_hill, ...; market_average, market_max) and time; opening prices at kick-off - 48 h, closing (*_closing) at kick-off - 5 min. Returns the prices written (a re-run writes 0).';
