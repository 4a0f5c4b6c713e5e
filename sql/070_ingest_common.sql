-- ingest: what every feed's merge shares (conversions, batch life cycle, competitions,
-- seasons, the event merge of match feeds). Each feed's merge function is in its own file,
-- sql/07N_ingest_<feed>.sql, beside src/ingest/<feed>.ts. Re-applied by `scoreline migrate`;
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
--   SL112  ingest.analyze_staging asked to analyze a table that is not a staging table (ingest.stage_*)

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
  v_b ingest.batch;
begin
  select * into v_b from ingest.batch where batch_id = p_batch_id for update;
  if not found then
    raise exception 'no ingest batch %', p_batch_id using errcode = 'SL101';
  end if;
  if v_b.feed <> p_feed then
    raise exception 'ingest batch % was read by feed %, not %', v_b.batch_id, v_b.feed, p_feed
      using errcode = 'SL102', hint = format('merge it with %s', (select f.merge_function from ingest.feed f where f.code = v_b.feed));
  end if;
  if v_b.status <> 'running' then
    raise exception 'ingest batch % (% from %) is already %', v_b.batch_id, v_b.feed, v_b.location, v_b.status
      using errcode = 'SL103', hint = 'load the file again: each load is a new batch';
  end if;
  -- One merge per feed at a time: two loads of the same feed would race to create the same teams and seasons.
  perform pg_advisory_xact_lock(hashtext('scoreline.ingest'), hashtext(p_feed));
  return v_b;
end;
$$;
comment on function ingest.begin_merge(bigint, text) is
  'Checks that a batch exists (SL101), belongs to the feed (SL102) and is still running (SL103), locks it, and serialises merges of one feed (transaction advisory lock).';

-- The merges have one signature each, with p_final: the ones without it are dropped so that calls are not
-- ambiguous; they are still in databases upgraded from the first ingest versions (make drift-check
-- ARGS=--from-each-step shows them).
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

create or replace function ingest.analyze_staging(p_batch_id bigint) returns boolean
language plpgsql
volatile
security definer -- ANALYZE needs the staging table's owner; the worker loads feeds too
set search_path = pg_catalog, pg_temp
as $$
declare
  v_table regclass;
begin
  select f.staging_table into v_table
    from ingest.batch b join ingest.feed f on f.code = b.feed
   where b.batch_id = p_batch_id and b.status = 'running';
  if v_table is null then
    return false;
  end if;
  -- Security definer: only the feeds' own staging tables, whatever ingest.feed says.
  if not exists (select from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                  where c.oid = v_table and n.nspname = 'ingest' and c.relname like 'stage\_%') then
    raise exception 'ingest.feed names % as the staging table of batch %''s feed: not a staging table (ingest.stage_*)', v_table, p_batch_id
      using errcode = 'SL112';
  end if;
  -- SKIP_LOCKED: a concurrent load of the same feed holds the table's ANALYZE lock until
  -- it commits; this load then goes on with the statistics there are rather than wait.
  execute format('analyze (skip_locked) %s', v_table);
  return true;
end;
$$;
comment on function ingest.analyze_staging(bigint) is
  'Statistics of a running batch''s staging table, taken after its rows were COPY''d and before the merge (in the load''s transaction, which sees its own rows): without them the planner takes the staging table for empty and picks nested loops that make a merge quadratic. Skipped (without waiting) while a concurrent load of the same feed holds the ANALYZE lock. Only tables ingest.stage_* (SL112 otherwise: it runs with its owner''s rights). Returns false for a batch that is not running.';

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
  v_latest core.season;
  v_current_label text;
begin
  select * into v_latest from core.season s
   where s.competition_id = p_competition_id and s.label = any (p_labels)
   order by s.label collate "C" desc limit 1;
  if not found then
    return;
  end if;
  select s.label into v_current_label from core.season s where s.competition_id = p_competition_id and s.is_current;
  if v_current_label is null or v_latest.label collate "C" > v_current_label collate "C" then
    update core.season s set is_current = false where s.competition_id = p_competition_id and s.is_current;
    update core.season s set is_current = true where s.season_id = v_latest.season_id;
  end if;
end;
$$;
comment on function ingest.advance_current_season(integer, text[]) is
  'After a schedule or results load: the latest season in the file becomes its competition''s current season, unless a later season is already current (loading history never moves the current season back).';

-- merge_events gained an OUT parameter (corrections): a function's OUT parameters change only by a drop.
do $$
begin
  if exists (select from pg_proc p where p.oid = to_regprocedure('ingest.merge_events(bigint)')
                and not ('corrections' = any (coalesce(p.proargnames, '{}')))) then
    drop function ingest.merge_events(bigint);
  end if;
end;
$$;

create or replace function ingest.merge_events(p_batch_id bigint, out inserted integer, out updated integer, out corrections integer)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  -- pg_temp.ingest_want holds what the feed says each event is (built by the feed's merge function).
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check: the feed's merge function creates it at run time

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

  -- Nor can a feed move a settled event to other teams, another competition or season, or
  -- another kind: that is part of the settled result (SL006), corrected by the owner role.
  with moved as (
    delete from pg_temp.ingest_want w
     using core.event e
     where e.external_id = w.external_id
       and e.status in ('completed', 'abandoned', 'cancelled')
       and (e.home_team_id, e.away_team_id, e.competition_id, e.season_id, e.kind)
           is distinct from (w.home_team_id, w.away_team_id, w.competition_id, w.season_id, w.kind)
    returning w.line_number, w.raw, w.external_id, e.status as db_status
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, m.line_number, 'merge', m.raw,
         format('event %s is %s: the feed gives it other teams, competition, season or kind, which are part of the settled result and change only by a correction of the owner role',
                m.external_id, m.db_status)
  from moved m;

  drop table if exists pg_temp.ingest_touched;
  create temporary table ingest_touched (event_id bigint primary key, is_new boolean not null, corrected boolean not null default false) on commit drop;

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
  insert into pg_temp.ingest_touched (event_id, is_new, corrected)
  select (core.correct_event_result(f.event_id, f.status, f.home_score, f.away_score,
                                    format('corrected by ingest batch %s, line %s', p_batch_id, f.line_number))).event_id,
         false, true
    from fix f
  on conflict (event_id) do update set corrected = true;

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

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new and not t.corrected), count(*) filter (where t.corrected)
    into inserted, updated, corrections
    from pg_temp.ingest_touched t;
  update ingest.batch b set corrections = b.corrections + merge_events.corrections
   where b.batch_id = p_batch_id and merge_events.corrections > 0;
end;
$$;
comment on function ingest.merge_events(bigint) is
  'The part of every event feed''s merge they share: from pg_temp.ingest_want (one row per event as the feed has it) it rejects impossible status changes and settled events the feed moves to other teams, competition, season or kind, inserts new events, updates changed ones, corrects changed settled results through core.correct_event_result, and makes sure each match and game has its match_result market with home/draw/away selections. The events it inserted or changed are left in pg_temp.ingest_touched; returns how many were inserted, updated and corrected (a changed settled result: not counted as updated), and adds the corrections to the batch''s corrections.';

comment on column ingest.feed.merge_function is 'The function (in sql/07N_ingest_<feed>.sql) that merges one batch of the staging table into the domain tables: ingest.merge_<feed>(batch_id).';
