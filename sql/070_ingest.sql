-- ingest: the merge functions that move one batch of a staging table into core and
-- market, one per feed, and the helpers they share. Re-applied by `scoreline migrate`;
-- everything here is idempotent.
--
-- How a load works (src/ingest/load.ts): a row in ingest.batch (status running); the
-- file is streamed, each record validated (zod), valid rows COPY'd into the feed's
-- staging table, invalid ones written to ingest.rejected_row; then, in the same
-- transaction, ingest.merge_<feed>(batch_id) merges the batch set-based, rejects what
-- it cannot merge (with the line and the reason), records the counts on the batch,
-- empties its staging rows and returns the finished batch. A resumable load (chunks)
-- calls it once per chunk with p_final false, then true: counts add up on the batch.
--
-- SQLSTATEs raised here:
--   SL100  American odds between -100 and +100 (not a price)
--   SL101  no such ingest batch
--   SL102  a merge function called on another feed's batch
--   SL103  a merge function called on a batch that is not running (already merged or failed)
--   SL104  a reference row the feed needs (competition, sport) is missing

create or replace function ingest.american_to_decimal(p_american integer) returns numeric
language plpgsql
immutable strict parallel safe
as $$
begin
  if p_american >= 100 then
    return round(1 + p_american / 100.0, 4);
  elsif p_american <= -100 then
    return round(1 + 100.0 / -p_american, 4);
  end if;
  raise exception 'American odds % are not a price: a price is +100 or more, or -100 or less', p_american
    using errcode = 'SL100',
          hint = 'even money is +100 (decimal 2.0); -285 is decimal 1.3509, +230 is decimal 3.30';
end;
$$;
comment on function ingest.american_to_decimal(integer) is
  'Converts American (moneyline) odds to decimal odds, rounded to 4 places: +230 -> 3.3000, -285 -> 1.3509. Values between -100 and +100 are not prices (SL100).';

create or replace function ingest.football_season_label(p_first_match date) returns text
language sql
immutable strict parallel safe
as $$
  select case when extract(month from p_first_match) >= 7
              then to_char(p_first_match, 'YYYY') || '-' || to_char(p_first_match + interval '1 year', 'YY')
              else to_char(p_first_match - interval '1 year', 'YYYY') || '-' || to_char(p_first_match, 'YY') end
$$;
comment on function ingest.football_season_label(date) is
  'The football season a file belongs to, named by its first match: a first match from July on starts a season (2019-08-09 -> 2019-20), an earlier one belongs to the season that started the year before. Taken from the first match, not each match, because 2019-20 ended in July 2020.';

create or replace function ingest.name_key(p_name text) returns text
language sql
immutable strict parallel safe
as $$
  select trim(both '_' from regexp_replace(p_name, '[^A-Za-z0-9]+', '_', 'g'))
$$;
comment on function ingest.name_key(text) is 'A name as it appears in a natural id: runs of anything but letters and digits become one underscore (Man United -> Man_United).';

create or replace function ingest.begin_merge(p_batch_id bigint, p_feed text) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  b ingest.batch;
begin
  select * into b from ingest.batch where batch_id = p_batch_id for update;
  if not found then
    raise exception 'no ingest batch %', p_batch_id using errcode = 'SL101';
  end if;
  if b.feed <> p_feed then
    raise exception 'ingest batch % was read by feed %, not %', b.batch_id, b.feed, p_feed
      using errcode = 'SL102', hint = format('merge it with %s', (select f.merge_function from ingest.feed f where f.code = b.feed));
  end if;
  if b.status <> 'running' then
    raise exception 'ingest batch % (% from %) is already %', b.batch_id, b.feed, b.location, b.status
      using errcode = 'SL103', hint = 'load the file again: each load is a new batch';
  end if;
  -- One merge per feed at a time: two loads of the same feed would race to create the same teams and seasons.
  perform pg_advisory_xact_lock(hashtext('scoreline.ingest'), hashtext(p_feed));
  return b;
end;
$$;
comment on function ingest.begin_merge(bigint, text) is
  'Checks that a batch exists (SL101), belongs to the feed (SL102) and is still running (SL103), locks it, and serialises merges of one feed (transaction advisory lock).';

-- Earlier versions took no p_final argument: drop them so that calls are not ambiguous.
drop function if exists ingest.finish_batch(bigint, integer, integer, integer);
drop function if exists ingest.merge_nfl_games(bigint);
drop function if exists ingest.merge_football_data(bigint);
drop function if exists ingest.merge_nfl_players(bigint);
drop function if exists ingest.merge_hkjc_results(bigint);

create or replace function ingest.finish_batch(p_batch_id bigint, p_inserted integer, p_updated integer, p_unchanged integer,
                                               p_final boolean default true)
returns ingest.batch
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  update ingest.batch b
     set status = case when p_final then 'completed' else b.status end,
         finished_at = case when p_final then now() end,
         inserted = b.inserted + p_inserted,
         updated = b.updated + p_updated,
         unchanged = b.unchanged + p_unchanged,
         rejected = (select count(*) from ingest.rejected_row r where r.batch_id = p_batch_id)
   where b.batch_id = p_batch_id
  returning b.*
$$;
comment on function ingest.finish_batch(bigint, integer, integer, integer, boolean) is
  'Adds a merge''s counts to its batch (a resumable load merges chunk by chunk) and, when p_final, marks it completed; rejected counts every ingest.rejected_row of the batch (parse, validate and merge).';

create or replace function ingest.competition(p_code text, out competition_id integer, out sport_id smallint)
language plpgsql
stable strict
set search_path = pg_catalog, pg_temp
as $$
begin
  select c.competition_id, c.sport_id into competition_id, sport_id from core.competition c where c.code = p_code;
  if not found then
    raise exception 'competition % is not defined', p_code
      using errcode = 'SL104', hint = 'the ingest migration creates nfl, epl and hkjc; run `scoreline migrate`';
  end if;
end;
$$;
comment on function ingest.competition(text) is 'The competition and sport ids of a competition code; SL104 when the reference row is missing.';

create or replace function ingest.advance_current_season(p_competition_id integer, p_labels text[]) returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  latest core.season;
  current_label text;
begin
  select * into latest from core.season s
   where s.competition_id = p_competition_id and s.label = any (p_labels)
   order by s.label collate "C" desc limit 1;
  if not found then
    return;
  end if;
  select s.label into current_label from core.season s where s.competition_id = p_competition_id and s.is_current;
  if current_label is null or latest.label collate "C" > current_label collate "C" then
    update core.season s set is_current = false where s.competition_id = p_competition_id and s.is_current;
    update core.season s set is_current = true where s.season_id = latest.season_id;
  end if;
end;
$$;
comment on function ingest.advance_current_season(integer, text[]) is
  'After a schedule or results load: the latest season in the file becomes its competition''s current season, unless a later season is already current (loading history never moves the current season back).';

create or replace function ingest.merge_events(p_batch_id bigint, out inserted integer, out updated integer)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  -- pg_temp.ingest_want holds what the feed says each event is (built by the feed's merge function).

  -- What the database must refuse: a status change core.event_status_transition does not allow,
  -- or a settled result the feed no longer has (withdrawing a result is a correction, made by a person).
  with bad as (
    delete from pg_temp.ingest_want w
     using core.event e
     where e.external_id = w.external_id
       and e.status <> w.status
       and ((e.status in ('completed', 'abandoned', 'cancelled') and w.status not in ('completed', 'abandoned', 'cancelled'))
            or (e.status not in ('completed', 'abandoned', 'cancelled')
                and not exists (select from core.event_status_transition t where t.from_status = e.status and t.to_status = w.status)))
    returning w.line_number, w.raw, w.external_id, e.status as db_status, w.status as feed_status
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, b.line_number, 'merge', b.raw,
         case when b.db_status in ('completed', 'abandoned', 'cancelled')
              then format('event %s is %s but the feed has no result for it; a settled result is withdrawn only with core.correct_event_result', b.external_id, b.db_status)
              else format('event %s is %s; it cannot become %s (see core.event_status_transition)', b.external_id, b.db_status, b.feed_status) end
  from bad b;

  drop table if exists pg_temp.ingest_touched;
  create temporary table ingest_touched (event_id bigint primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into core.event (external_id, kind, competition_id, season_id, week_number, stage, round, name,
                            scheduled_start, status, home_team_id, away_team_id, home_score, away_score, metadata)
    select w.external_id, w.kind, w.competition_id, w.season_id, w.week_number, w.stage, w.round, w.name,
           w.scheduled_start, w.status, w.home_team_id, w.away_team_id, w.home_score, w.away_score, w.metadata
      from pg_temp.ingest_want w
     where not exists (select from core.event e where e.external_id = w.external_id)
    returning event_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new) select event_id, true from ins;

  -- Everything but a settled result changes by a plain update (the status guard allows
  -- scheduled -> completed with its scores); odds and other metadata are merged key by key.
  with upd as (
    update core.event e
       set competition_id = w.competition_id,
           season_id = w.season_id,
           week_number = w.week_number,
           stage = w.stage,
           round = w.round,
           name = w.name,
           scheduled_start = w.scheduled_start,
           home_team_id = w.home_team_id,
           away_team_id = w.away_team_id,
           status = case when e.status in ('completed', 'abandoned', 'cancelled') then e.status else w.status end,
           home_score = case when e.status in ('completed', 'abandoned', 'cancelled') then e.home_score else w.home_score end,
           away_score = case when e.status in ('completed', 'abandoned', 'cancelled') then e.away_score else w.away_score end,
           metadata = e.metadata || w.metadata
      from pg_temp.ingest_want w
     where e.external_id = w.external_id
       and ((e.competition_id, e.season_id, e.week_number, e.stage, e.round, e.name, e.scheduled_start, e.home_team_id, e.away_team_id)
              is distinct from
            (w.competition_id, w.season_id, w.week_number, w.stage, w.round, w.name, w.scheduled_start, w.home_team_id, w.away_team_id)
            or not e.metadata @> w.metadata
            or (e.status not in ('completed', 'abandoned', 'cancelled')
                and (e.status, e.home_score, e.away_score) is distinct from (w.status, w.home_score, w.away_score)))
    returning e.event_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new) select event_id, false from upd
  on conflict (event_id) do nothing;

  -- A corrected result of a settled event goes through the correction path: it bumps
  -- result_version and leaves a trace, so re-settlement follows the normal trigger path.
  with fix as (
    select e.event_id, w.status, w.home_score, w.away_score, w.line_number
      from core.event e
      join pg_temp.ingest_want w on w.external_id = e.external_id
     where e.status in ('completed', 'abandoned', 'cancelled')
       and (e.status, e.home_score, e.away_score) is distinct from (w.status, w.home_score, w.away_score)
  )
  insert into pg_temp.ingest_touched (event_id, is_new)
  select (core.correct_event_result(f.event_id, f.status, f.home_score, f.away_score,
                                    format('corrected by ingest batch %s, line %s', p_batch_id, f.line_number))).event_id,
         false
    from fix f
  on conflict (event_id) do nothing;

  -- Every match and game has its match_result market with home, draw and away.
  with m as (
    insert into market.market (event_id, market_type)
    select e.event_id, 'match_result'
      from pg_temp.ingest_want w
      join core.event e on e.external_id = w.external_id
     where w.kind in ('match', 'game')
    on conflict (event_id, market_type) do nothing
    returning event_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new) select event_id, false from m
  on conflict (event_id) do nothing;

  with sel as (
    insert into market.selection (market_id, code, label, team_id)
    select m.market_id, v.code,
           case v.code when 'home' then ht.name when 'away' then awt.name else 'Draw' end,
           case v.code when 'home' then e.home_team_id when 'away' then e.away_team_id end
      from pg_temp.ingest_want w
      join core.event e on e.external_id = w.external_id
      join market.market m on m.event_id = e.event_id and m.market_type = 'match_result'
      join core.team ht on ht.team_id = e.home_team_id
      join core.team awt on awt.team_id = e.away_team_id
     cross join (values ('home'), ('draw'), ('away')) as v (code)
    on conflict (market_id, code) do update
      set label = excluded.label, team_id = excluded.team_id
      where (market.selection.label, market.selection.team_id) is distinct from (excluded.label, excluded.team_id)
    returning market_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new)
  select distinct m.event_id, false from sel join market.market m on m.market_id = sel.market_id
  on conflict (event_id) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into inserted, updated
    from pg_temp.ingest_touched t;
end;
$$;
comment on function ingest.merge_events(bigint) is
  'The part of every event feed''s merge they share: from pg_temp.ingest_want (one row per event as the feed has it) it rejects impossible status changes, inserts new events, updates changed ones, corrects changed settled results through core.correct_event_result, and makes sure each match and game has its match_result market with home/draw/away selections. The events it inserted or changed are left in pg_temp.ingest_touched; returns how many were inserted and updated.';

create or replace function ingest.merge_nfl_games(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Teams: the schedule is the authority on which NFL teams exist, so an abbreviation
-- not yet in core.team is created (code and name = the abbreviation). The roster feed
-- (merge_nfl_players) does the opposite and rejects unknown teams.
declare
  comp record;
  counts record;
  total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'nfl_games');
  comp := ingest.competition('nfl');

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
  select comp.competition_id, s.season, min(s.gameday), max(s.gameday)
    from ingest.stage_nfl_games s
   where s.batch_id = p_batch_id
   group by s.season
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  perform ingest.advance_current_season(comp.competition_id,
    array(select distinct s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id));

  insert into core.team (sport_id, code, name)
  select comp.sport_id, t.code, t.code
    from (select s.home_team from ingest.stage_nfl_games s where s.batch_id = p_batch_id
          union
          select s.away_team from ingest.stage_nfl_games s where s.batch_id = p_batch_id) as t (code)
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
    join core.season se on se.competition_id = comp.competition_id and se.label = s.season
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
         comp.competition_id, se.season_id, s.week as week_number,
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
    join core.season se on se.competition_id = comp.competition_id and se.label = s.season
    join core.team ht on ht.sport_id = comp.sport_id and ht.code = s.home_team
    join core.team awt on awt.sport_id = comp.sport_id and awt.code = s.away_team
   where s.batch_id = p_batch_id;

  counts := ingest.merge_events(p_batch_id);
  select count(*) into total from pg_temp.ingest_want;
  delete from ingest.stage_nfl_games s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, counts.inserted, counts.updated, total - counts.inserted - counts.updated, p_final);
end;
$$;
comment on function ingest.merge_nfl_games(bigint, boolean) is
  'Merges one nfl_games batch: seasons (the latest in the file becomes current), teams by abbreviation (unknown ones are created), weeks (1-18 regular, 19-22 post-season), games (external_id = game_id, stage regular for REG else postseason, round = game_type, scheduled_start from gameday + gametime in America/New_York, completed when both scores are present), consensus moneylines as decimal odds in metadata->odds, and a match_result market per game. Returns the finished batch.';

create or replace function ingest.merge_football_data(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Clubs: a results file is the authority on which clubs play in its league, so a club
-- not yet in core.team is created under its short name (Man United); rows of a division
-- not mapped in ingest.competition_code are rejected.
-- Matchdays: football-data has none, so they are derived: each club's matches in the
-- file, in kick-off order, are its matchdays 1, 2, ...; a match is on the later of its
-- two clubs' matchdays (a postponed match joins the round in which it was played).
declare
  counts record;
  total integer;
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
         format('division %s is not a known competition (add it to ingest.competition_code)', division)
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
           'referee', f.referee)) as metadata
    from pg_temp.ingest_fd f
    join core.competition c on c.competition_id = f.competition_id
    join core.team ht on ht.sport_id = c.sport_id and ht.code = f.home_team
    join core.team awt on awt.sport_id = c.sport_id and awt.code = f.away_team;

  counts := ingest.merge_events(p_batch_id);
  select count(*) into total from pg_temp.ingest_want;
  delete from ingest.stage_football_data s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, counts.inserted, counts.updated, total - counts.inserted - counts.updated, p_final);
end;
$$;
comment on function ingest.merge_football_data(bigint, boolean) is
  'Merges one football_data batch: the competition from the Div code (ingest.competition_code), the season named by the file''s first match (2019-20), clubs by short name (unknown ones are created), matchdays derived from each club''s match order, matches (external_id like epl_2019-20_20190809_Liverpool_Norwich, completed with FTHG/FTAG), bookmaker decimal odds in metadata->odds, and a match_result market per match. Returns the finished batch.';

create or replace function ingest.merge_nfl_players(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Teams: a player row names his team (recent_team); a team the schedule has not
-- established is rejected, not created, so that a typo cannot invent a 33rd team.
-- A player whose team changed in a later file gets a roster row for the new team too
-- (he was on both rosters that season); his position is updated on every roster row
-- of that season and team.
declare
  comp record;
  inserted integer;
  updated integer;
  total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'nfl_players');
  comp := ingest.competition('nfl');

  with d as (
    select s.line_number, s.player_id, s.season,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id
    window w as (partition by s.player_id, s.season order by s.line_number)
  ), dup as (
    delete from ingest.stage_nfl_players s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.player_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('player %s already appears on line %s of this file', player_id, first_line)
    from dup;

  with bad as (
    delete from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id
       and not exists (select from core.team t where t.sport_id = comp.sport_id and t.code = s.recent_team)
    returning s.line_number, s.raw, s.recent_team
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('team %s is not known: NFL teams come from the schedule (feed nfl_games); load it first', recent_team)
    from bad;

  insert into core.season (competition_id, label)
  select distinct comp.competition_id, s.season
    from ingest.stage_nfl_players s
   where s.batch_id = p_batch_id
  on conflict (competition_id, label) do nothing;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with renamed as (
    update core.player p set full_name = s.display_name
      from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id and p.sport_id = comp.sport_id and p.external_id = s.player_id
       and p.full_name <> s.display_name
    returning s.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from renamed;

  insert into core.player (sport_id, external_id, full_name)
  select comp.sport_id, s.player_id, s.display_name
    from ingest.stage_nfl_players s
   where s.batch_id = p_batch_id
  on conflict (sport_id, external_id) do nothing;

  drop table if exists pg_temp.ingest_roster;
  create temporary table ingest_roster on commit drop as
  select s.line_number, se.season_id, t.team_id, p.player_id, s.position, s.player_id as external_id
    from ingest.stage_nfl_players s
    join core.season se on se.competition_id = comp.competition_id and se.label = s.season
    join core.team t on t.sport_id = comp.sport_id and t.code = s.recent_team
    join core.player p on p.sport_id = comp.sport_id and p.external_id = s.player_id
   where s.batch_id = p_batch_id;

  with ins as (
    insert into core.roster (season_id, team_id, player_id, position, external_id)
    select w.season_id, w.team_id, w.player_id, w.position, w.external_id
      from pg_temp.ingest_roster w
    on conflict (season_id, team_id, player_id) do nothing
    returning season_id, team_id, player_id
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select w.line_number, true
    from ins join pg_temp.ingest_roster w using (season_id, team_id, player_id)
  on conflict (line_number) do update set is_new = true;

  with moved as (
    update core.roster r set position = w.position
      from pg_temp.ingest_roster w
     where r.season_id = w.season_id and r.team_id = w.team_id and r.player_id = w.player_id
       and r.position <> w.position
    returning w.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from moved
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into inserted, updated
    from pg_temp.ingest_touched_line t;
  select count(*) into total from pg_temp.ingest_roster;
  delete from ingest.stage_nfl_players s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, inserted, updated, total - inserted - updated, p_final);
end;
$$;
comment on function ingest.merge_nfl_players(bigint, boolean) is
  'Merges one nfl_players batch: players by GSIS id (core.player, name updated when it changes) and their roster row for the season with position and recent_team (core.roster, position updated when it changes). Rows naming a team the schedule has not created are rejected. Returns the finished batch.';

create or replace function ingest.merge_hkjc_results(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- One row per runner. A race is an event of kind race (external_id hkjc_20240101_ST_R1)
-- in competition hkjc; its season is the Hong Kong racing season, September to July
-- (2024-01-01 -> 2023-24). The file has no post times: scheduled_start is the meeting's
-- date at 12:30 Hong Kong time plus 30 minutes per race after the first, and the event
-- says so in metadata->'start_time_estimated'. Races in a results file are completed.
-- Runners are keyed by (race, horse number); a finishing position that changes for a
-- completed race goes through core.correct_event_result. Each race gets a race_win
-- market with a selection per runner (code = horse number). Counts are per runner row.
declare
  comp record;
  counts record;
  inserted integer;
  updated integer;
  total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'hkjc_results');
  comp := ingest.competition('hkjc');

  with d as (
    select s.line_number, s.race_date, s.venue, s.race_no, s.horse_no,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_hkjc_results s
     where s.batch_id = p_batch_id
    window w as (partition by s.race_date, s.venue, s.race_no, s.horse_no order by s.line_number)
  ), dup as (
    delete from ingest.stage_hkjc_results s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, d.race_no, d.horse_no, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('horse %s of race %s already appears on line %s of this file', horse_no, race_no, first_line)
    from dup;

  drop table if exists pg_temp.ingest_hk;
  create temporary table ingest_hk on commit drop as
  select s.*,
         'hkjc_' || to_char(s.race_date, 'YYYYMMDD') || '_' || s.venue || '_R' || s.race_no as external_id,
         case when extract(month from s.race_date) >= 8
              then to_char(s.race_date, 'YYYY') || '-' || to_char(s.race_date + interval '1 year', 'YY')
              else to_char(s.race_date - interval '1 year', 'YYYY') || '-' || to_char(s.race_date, 'YY') end as season_label
    from ingest.stage_hkjc_results s
   where s.batch_id = p_batch_id;

  insert into core.season (competition_id, label, starts_on, ends_on)
  select comp.competition_id, h.season_label, min(h.race_date), max(h.race_date)
    from pg_temp.ingest_hk h
   group by h.season_label
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  perform ingest.advance_current_season(comp.competition_id, array(select distinct h.season_label from pg_temp.ingest_hk h));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select distinct on (h.external_id)
         h.line_number, h.raw, h.external_id, 'race'::text as kind,
         comp.competition_id, se.season_id, null::smallint as week_number,
         'regular'::text as stage, h.race_no::text as round,
         coalesce(h.race_name, 'Race ' || h.race_no) as name,
         (h.race_date + time '12:30' + (h.race_no - 1) * interval '30 minutes') at time zone 'Asia/Hong_Kong' as scheduled_start,
         'completed'::text as status,
         null::integer as home_team_id, null::integer as away_team_id,
         null::smallint as home_score, null::smallint as away_score,
         jsonb_strip_nulls(jsonb_build_object(
           'venue', h.venue,
           'meeting_race_no', h.race_meeting_no,
           'race_class', h.race_class,
           'distance_m', h.distance_m,
           'rating_range', h.rating_range,
           'going', h.going,
           'course', h.course,
           'prize_hkd', h.prize_hkd,
           'race_finish_time', h.race_finish_time,
           'sectional_times', h.sectional_times,
           'start_time_estimated', true)) as metadata
    from pg_temp.ingest_hk h
    join core.season se on se.competition_id = comp.competition_id and se.label = h.season_label
   order by h.external_id, h.line_number;

  counts := ingest.merge_events(p_batch_id);

  drop table if exists pg_temp.ingest_runner;
  create temporary table ingest_runner on commit drop as
  select h.line_number, e.event_id, e.status as event_status, h.horse_no as number, h.draw, h.horse_name as name, h.horse_code as external_id,
         h.jockey, h.trainer, h.actual_wt_lbs::numeric(7, 2) as weight, h.runner_status as status, h.place as finish_position,
         h.finish_time,
         jsonb_strip_nulls(jsonb_build_object(
           'odds', case when h.win_odds is not null then jsonb_build_object('hkjc_win', h.win_odds) end,
           'dead_heat', case when h.dead_heat then true end,
           'declared_weight_lbs', h.declared_wt_lbs,
           'lbw', h.lbw,
           'running_position', h.running_position)) as metadata
    from pg_temp.ingest_hk h
    join core.event e on e.external_id = h.external_id;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into core.runner (event_id, number, draw, name, external_id, jockey, trainer, weight, status, finish_position, finish_time, metadata)
    select r.event_id, r.number, r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.status, r.finish_position, r.finish_time, r.metadata
      from pg_temp.ingest_runner r
    on conflict (event_id, number) do nothing
    returning event_id, number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, true from ins join pg_temp.ingest_runner r using (event_id, number);

  -- Everything about a runner but its result, and the result while the race is not settled.
  with upd as (
    update core.runner x
       set draw = r.draw, name = r.name, external_id = r.external_id, jockey = r.jockey, trainer = r.trainer,
           weight = r.weight, finish_time = r.finish_time, metadata = x.metadata || r.metadata,
           status = case when r.event_status in ('completed', 'abandoned', 'cancelled') then x.status else r.status end,
           finish_position = case when r.event_status in ('completed', 'abandoned', 'cancelled') then x.finish_position else r.finish_position end
      from pg_temp.ingest_runner r
     where x.event_id = r.event_id and x.number = r.number
       and ((x.draw, x.name, x.external_id, x.jockey, x.trainer, x.weight, x.finish_time)
              is distinct from (r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.finish_time)
            or not x.metadata @> r.metadata
            or (r.event_status not in ('completed', 'abandoned', 'cancelled')
                and (x.status, x.finish_position) is distinct from (r.status, r.finish_position)))
    returning r.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from upd
  on conflict (line_number) do nothing;

  -- Changed finishing positions of a settled race: one correction per race.
  with changed as (
    select r.event_id, r.line_number, r.number, r.finish_position
      from pg_temp.ingest_runner r
      join core.runner x on x.event_id = r.event_id and x.number = r.number
     where r.event_status in ('completed', 'abandoned', 'cancelled')
       and x.finish_position is distinct from r.finish_position
  ), fixed as (
    select (core.correct_event_result(c.event_id, e.status, null, null,
                                      format('corrected by ingest batch %s, lines %s', p_batch_id, string_agg(c.line_number::text, ', ' order by c.line_number)),
                                      jsonb_object_agg(c.number::text, c.finish_position))).event_id
      from changed c join core.event e on e.event_id = c.event_id
     group by c.event_id, e.status
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select c.line_number, false from changed c where c.event_id in (select event_id from fixed)
  on conflict (line_number) do nothing;

  -- Rows of a race whose event itself changed count as updated.
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, false
    from pg_temp.ingest_runner r join pg_temp.ingest_touched t on t.event_id = r.event_id and not t.is_new
  on conflict (line_number) do nothing;

  -- A race_win market per race, a selection per runner.
  insert into market.market (event_id, market_type)
  select distinct r.event_id, 'race_win' from pg_temp.ingest_runner r
  on conflict (event_id, market_type) do nothing;

  with sel as (
    insert into market.selection (market_id, code, label, runner_id)
    select m.market_id, x.number::text, x.name, x.runner_id
      from pg_temp.ingest_runner r
      join core.runner x on x.event_id = r.event_id and x.number = r.number
      join market.market m on m.event_id = r.event_id and m.market_type = 'race_win'
    on conflict (market_id, code) do update
      set label = excluded.label, runner_id = excluded.runner_id
      where (market.selection.label, market.selection.runner_id) is distinct from (excluded.label, excluded.runner_id)
    returning market_id, code
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, false
    from sel
    join market.market m on m.market_id = sel.market_id
    join pg_temp.ingest_runner r on r.event_id = m.event_id and r.number::text = sel.code
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into inserted, updated
    from pg_temp.ingest_touched_line t;
  select count(*) into total from pg_temp.ingest_runner;
  delete from ingest.stage_hkjc_results s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, inserted, updated, total - inserted - updated, p_final);
end;
$$;
comment on function ingest.merge_hkjc_results(bigint, boolean) is
  'Merges one hkjc_results batch (one row per runner): races as events of kind race (external_id hkjc_20240101_ST_R1, Hong Kong season September-July, start times estimated), runners with draw, jockey, trainer, weight, finishing position and time, win odds in runner metadata->odds->hkjc_win, and a race_win market with a selection per runner. Changed positions of a completed race go through core.correct_event_result. Counts are per runner row. Returns the finished batch.';

create or replace function ingest.merge_external_markets(p_batch_id bigint, p_source text, out inserted integer, out updated integer)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- pg_temp.ingest_external holds one row per market and outcome (line_number, external_id,
-- outcome, question, status, resolution, resolved_at, metadata), built by the feed's merge.
-- Existing links to our selections (selection_id) are kept: a feed never unlinks.
declare
  v_source smallint;
begin
  select s.source_id into v_source from market.source s where s.code = p_source;
  if not found then
    raise exception 'source % is not defined', p_source
      using errcode = 'SL104', hint = 'the market migration creates polymarket and kalshi in market.source';
  end if;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into market.external_market (source_id, external_id, outcome, question, status, resolution, resolved_at, metadata)
    select v_source, x.external_id, x.outcome, x.question, x.status, x.resolution, x.resolved_at, x.metadata
      from pg_temp.ingest_external x
    on conflict (source_id, external_id, outcome) do nothing
    returning external_id, outcome
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select distinct x.line_number, true from ins join pg_temp.ingest_external x using (external_id, outcome)
  on conflict (line_number) do nothing;

  with upd as (
    update market.external_market m
       set question = x.question, status = x.status, resolution = x.resolution,
           resolved_at = coalesce(m.resolved_at, x.resolved_at), metadata = m.metadata || x.metadata
      from pg_temp.ingest_external x
     where m.source_id = v_source and m.external_id = x.external_id and m.outcome = x.outcome
       and ((m.question, m.status, m.resolution) is distinct from (x.question, x.status, x.resolution)
            or (m.resolved_at is null and x.resolved_at is not null)
            or not m.metadata @> x.metadata)
    returning x.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select distinct line_number, false from upd
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into inserted, updated
    from pg_temp.ingest_touched_line t;
end;
$$;
comment on function ingest.merge_external_markets(bigint, text) is
  'The part of the prediction-market feeds'' merges they share: upserts pg_temp.ingest_external (one row per market and outcome) into market.external_market for the source, keeping links to our selections. Returns how many records (lines) were inserted and updated.';

create or replace function ingest.merge_polymarket_markets(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- One external_market row per outcome of a market (external_id = conditionId). Status:
-- closed, open (active) or inactive. A closed market's outcome priced 1 resolved won,
-- priced 0 lost (Polymarket settles prices to 1 and 0); its current price is in
-- metadata->'price'. Linking a market to our selections is a separate step.
declare
  counts record;
  total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'polymarket_markets');

  with d as (
    select s.line_number, s.condition_id, first_value(s.line_number) over w as first_line, row_number() over w as n
      from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id
    window w as (partition by s.condition_id order by s.line_number)
  ), dup as (
    delete from ingest.stage_polymarket_markets s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.condition_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('market %s already appears on line %s of this file', condition_id, first_line)
    from dup;

  drop table if exists pg_temp.ingest_external;
  create temporary table ingest_external on commit drop as
  select s.line_number, s.condition_id as external_id, o.outcome, s.question,
         case when s.closed then 'closed' when s.active then 'open' else 'inactive' end as status,
         case when s.closed and (s.prices ->> (o.n::int - 1))::numeric = 1 then 'won'
              when s.closed and (s.prices ->> (o.n::int - 1))::numeric = 0 then 'lost' end as resolution,
         case when s.closed and (s.prices ->> (o.n::int - 1))::numeric in (0, 1) then s.end_date end as resolved_at,
         jsonb_strip_nulls(jsonb_build_object('price', s.prices -> (o.n::int - 1), 'market_id', s.market_id, 'slug', s.slug,
                                              'end_date', s.end_date)) as metadata
    from ingest.stage_polymarket_markets s
   cross join lateral jsonb_array_elements_text(s.outcomes) with ordinality as o (outcome, n)
   where s.batch_id = p_batch_id;

  counts := ingest.merge_external_markets(p_batch_id, 'polymarket');
  select count(*) into total from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id;
  delete from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, counts.inserted, counts.updated, total - counts.inserted - counts.updated, p_final);
end;
$$;
comment on function ingest.merge_polymarket_markets(bigint, boolean) is
  'Merges one polymarket_markets batch into market.external_market: a row per outcome (external_id = conditionId), status open/closed/inactive, resolution won/lost from the settled prices of a closed market, the price in metadata. Returns the batch.';

create or replace function ingest.merge_kalshi_markets(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Kalshi markets are binary: two external_market rows per ticker, outcomes yes and no.
-- A determined market (result yes or no) resolves them won/lost at close_time; the
-- dollar prices (yes bid/ask, last) are in metadata.
declare
  counts record;
  total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'kalshi_markets');

  with d as (
    select s.line_number, s.ticker, first_value(s.line_number) over w as first_line, row_number() over w as n
      from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id
    window w as (partition by s.ticker order by s.line_number)
  ), dup as (
    delete from ingest.stage_kalshi_markets s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.ticker, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('market %s already appears on line %s of this file', ticker, first_line)
    from dup;

  drop table if exists pg_temp.ingest_external;
  create temporary table ingest_external on commit drop as
  select s.line_number, s.ticker as external_id, o.outcome, s.title as question, s.status,
         case when s.result is null then null when s.result = o.outcome then 'won' else 'lost' end as resolution,
         case when s.result is not null then s.close_time end as resolved_at,
         jsonb_strip_nulls(jsonb_build_object('event_ticker', s.event_ticker, 'open_time', s.open_time, 'close_time', s.close_time,
                                              'yes_bid', s.yes_bid, 'yes_ask', s.yes_ask, 'last_price', s.last_price)) as metadata
    from ingest.stage_kalshi_markets s
   cross join (values ('yes'), ('no')) as o (outcome)
   where s.batch_id = p_batch_id;

  counts := ingest.merge_external_markets(p_batch_id, 'kalshi');
  select count(*) into total from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id;
  delete from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, counts.inserted, counts.updated, total - counts.inserted - counts.updated, p_final);
end;
$$;
comment on function ingest.merge_kalshi_markets(bigint, boolean) is
  'Merges one kalshi_markets batch into market.external_market: outcomes yes and no per ticker, the status as Kalshi gives it, resolution won/lost from result, dollar prices in metadata. Returns the batch.';

-- ---------------------------------------------------------------------------
-- football_data bookmaker prices as odds snapshots
-- ---------------------------------------------------------------------------

create or replace function ingest.football_data_odds_snapshots()
returns table (observed_at timestamptz, selection_id bigint, source_id smallint, price numeric)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  lo timestamptz;
  hi timestamptz;
begin
  -- (plpgsql: pg_temp.ingest_fd exists only during a load.) The matches of the batch just
  -- merged (pg_temp.ingest_fd, left by ingest.merge_football_data in the load's
  -- transaction), their prices by source in the staged odds (bet365, pinnacle,
  -- market_average, market_max, each also *_closing), one row per match_result selection
  -- (home, draw, away) and price: opening prices observed at kick-off - 48 hours, closing
  -- prices at kick-off - 5 minutes. Snapshots already loaded are left out (one hash anti
  -- join over the file's time range, not a probe per price into every daily partition),
  -- so a re-run copies nothing.
  drop table if exists pg_temp.ingest_fd_odds;
  create temporary table ingest_fd_odds on commit drop as
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
  delete from pg_temp.ingest_fd_odds x where x.price is null or x.price <= 1;
  select min(x.observed_at), max(x.observed_at) into lo, hi from pg_temp.ingest_fd_odds x;
  return query
  select x.observed_at, x.selection_id, x.source_id, x.price
    from pg_temp.ingest_fd_odds x
    left join (select os.selection_id, os.source_id, os.observed_at
                 from market.odds_snapshot os
                where os.observed_at between lo and hi
                  and os.source_id in (select distinct y.source_id from pg_temp.ingest_fd_odds y)) have
      on have.selection_id = x.selection_id and have.source_id = x.source_id and have.observed_at = x.observed_at
   where have.selection_id is null;
end;
$$;
comment on function ingest.football_data_odds_snapshots() is
  'The bookmaker prices of the football_data batch just merged (pg_temp.ingest_fd, in the load''s transaction) as odds snapshots not yet loaded: one per match_result selection, source (bet365, pinnacle, market_average, market_max) and time; opening prices at kick-off - 48 h, closing (*_closing) at kick-off - 5 min. The feed copies them into market.odds_snapshot through copyOddsSnapshots.';
