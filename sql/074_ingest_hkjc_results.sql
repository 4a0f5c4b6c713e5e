-- ingest: the merge of the hkjc_results feed (src/ingest/hkjc_results.ts): one batch of its staging
-- table into core and market, set-based. Re-applied by `scoreline migrate`; idempotent.
-- How a load works: sql/070_ingest_common.sql. SQLSTATEs: those of ingest.begin_merge (SL101-SL103).

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
-- Runners are keyed by (race, horse number), a horse withdrawn before it had a number
-- (WV, WX with an empty horse_no) by (race, brand code): it is a non_runner, the race
-- still has it, and its selection is void at settlement. A finishing position that
-- changes for a completed race goes through core.correct_event_result. Each race gets a
-- race_win market with a selection per runner (code = horse number, or the brand code of
-- a numberless runner). Counts are per runner row.
declare
  v_comp record;
  v_inserted integer;
  v_updated integer;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'hkjc_results');
  v_comp := ingest.competition('hkjc');

  with d as (
    select s.line_number, s.race_date, s.venue, s.race_no, s.horse_no,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_hkjc_results s
     where s.batch_id = p_batch_id
    window w as (partition by s.race_date, s.venue, s.race_no, coalesce(s.horse_no::text, s.horse_code) order by s.line_number)
  ), dup as (
    delete from ingest.stage_hkjc_results s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, d.race_no, coalesce(d.horse_no::text, s.horse_code) as horse, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('horse %s of race %s already appears on line %s of this file', horse, race_no, first_line)
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
  perform 'PRAGMA:TABLE: pg_temp.ingest_hk (batch_id bigint, line_number integer, raw text, race_date date, venue text, race_no smallint, race_meeting_no integer, race_name text, race_class text, distance_m smallint, rating_range text, going text, course text, prize_hkd bigint, race_finish_time text, sectional_times text, runner_status text, place smallint, dead_heat boolean, horse_no smallint, horse_name text, horse_code text, jockey text, trainer text, actual_wt_lbs smallint, declared_wt_lbs smallint, draw smallint, lbw text, running_position text, finish_time interval, win_odds numeric, external_id text, season_label text)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  insert into core.season (competition_id, label, starts_on, ends_on)
  select v_comp.competition_id, h.season_label, min(h.race_date), max(h.race_date)
    from pg_temp.ingest_hk h
   group by h.season_label
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  perform ingest.advance_current_season(v_comp.competition_id, array(select distinct h.season_label from pg_temp.ingest_hk h));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select distinct on (h.external_id)
         h.line_number, h.raw, h.external_id, 'race'::text as kind,
         v_comp.competition_id, se.season_id, null::smallint as week_number,
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
    join core.season se on se.competition_id = v_comp.competition_id and se.label = h.season_label
   order by h.external_id, h.line_number;
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  perform ingest.merge_events(p_batch_id); -- its counts are of races; the batch counts runner lines (below)

  drop table if exists pg_temp.ingest_runner;
  create temporary table ingest_runner on commit drop as
  select h.line_number, e.event_id, e.status as event_status, h.horse_no as number,
         coalesce(h.horse_no::text, h.horse_code) as key, h.draw, h.horse_name as name, h.horse_code as external_id,
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
  perform 'PRAGMA:TABLE: pg_temp.ingest_runner (line_number integer, event_id bigint, event_status text, number smallint, key text, draw smallint, name text, external_id text, jockey text, trainer text, weight numeric(7, 2), status text, finish_position smallint, finish_time interval, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into core.runner (event_id, number, draw, name, external_id, jockey, trainer, weight, status, finish_position, finish_time, metadata)
    select r.event_id, r.number, r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.status, r.finish_position, r.finish_time, r.metadata
      from pg_temp.ingest_runner r
     where r.number is not null
    on conflict (event_id, number) do nothing
    returning event_id, number::text as key
  ), ins_numberless as (
    insert into core.runner (event_id, number, draw, name, external_id, jockey, trainer, weight, status, finish_position, finish_time, metadata)
    select r.event_id, null, r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.status, r.finish_position, r.finish_time, r.metadata
      from pg_temp.ingest_runner r
     where r.number is null
    on conflict (event_id, external_id) where number is null do nothing
    returning event_id, external_id as key
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, true
    from (select * from ins union all select * from ins_numberless) i
    join pg_temp.ingest_runner r on r.event_id = i.event_id and r.key = i.key;

  -- Everything about a runner but its result, and the result while the race is not settled.
  with upd as (
    update core.runner x
       set draw = r.draw, name = r.name, external_id = r.external_id, jockey = r.jockey, trainer = r.trainer,
           weight = r.weight, finish_time = r.finish_time, metadata = x.metadata || r.metadata,
           status = case when r.event_status in ('completed', 'abandoned', 'cancelled') then x.status else r.status end,
           finish_position = case when r.event_status in ('completed', 'abandoned', 'cancelled') then x.finish_position else r.finish_position end
      from pg_temp.ingest_runner r
     where x.event_id = r.event_id and coalesce(x.number::text, x.external_id) = r.key
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
      join core.runner x on x.event_id = r.event_id and coalesce(x.number::text, x.external_id) = r.key
     where r.event_status in ('completed', 'abandoned', 'cancelled')
       and r.number is not null
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
    select m.market_id, r.key, x.name, x.runner_id
      from pg_temp.ingest_runner r
      join core.runner x on x.event_id = r.event_id and coalesce(x.number::text, x.external_id) = r.key
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
    join pg_temp.ingest_runner r on r.event_id = m.event_id and r.key = sel.code
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into v_inserted, v_updated
    from pg_temp.ingest_touched_line t;
  select count(*) into v_total from pg_temp.ingest_runner;

  -- The runners' final win odds as historical prices of the hkjc source, observed 10
  -- minutes before the race's (estimated) start: kept in market.odds_history, counted in
  -- the batch's odds_kept (a re-run keeps 0 more).
  drop table if exists pg_temp.odds_history_load;
  create temporary table odds_history_load on commit drop as
  select e.scheduled_start - interval '10 minutes' as observed_at, s.selection_id, src.source_id, r.win_odds::numeric(10, 4) as price
    from pg_temp.ingest_hk r
    join core.event e on e.external_id = r.external_id
    join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
    join market.selection s on s.market_id = m.market_id and s.code = coalesce(r.horse_no::text, r.horse_code)
   cross join (select x.source_id from market.source x where x.code = 'hkjc') src
   where r.win_odds is not null;
  perform market.keep_odds_history(p_batch_id);

  delete from ingest.stage_hkjc_results s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_inserted, v_updated, v_total - v_inserted - v_updated, p_final);
end;
$$;
comment on function ingest.merge_hkjc_results(bigint, boolean) is
  'Merges one hkjc_results batch (one row per runner): races as events of kind race (external_id hkjc_20240101_ST_R1, Hong Kong season September-July, start times estimated), runners with draw, jockey, trainer, weight, finishing position and time, win odds in runner metadata->odds->hkjc_win and as historical prices of the hkjc source at the start - 10 minutes (market.odds_history, counted in odds_kept), and a race_win market with a selection per runner (a horse withdrawn before it had a number is a non_runner keyed by its brand code). Changed positions of a completed race go through core.correct_event_result. Counts are per runner row. Returns the finished batch.';
