-- stats: the model statistics' data-quality checks, and how the refresh orchestrator sees
-- the incrementally maintained sums. Re-applied by `scoreline migrate`; idempotent.
--
-- The sums are refreshed by folding their deltas (method function stats.fold_model_stats),
-- and the delta tables are declared as what makes them stale, so appending a delta marks
-- them stale and `make refresh` or the debounced refresh folds it. A DBA's later changes
-- to these rows are kept: only rows still as registered ('maintained') are changed.

create or replace function stats.dq_model_stats_mismatch(p_sample integer default 100) returns numeric
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad bigint := 0;
  v_n bigint;
begin
  if (select c.relispopulated from pg_class c where c.oid = 'stats.mv_model_stats_overall'::regclass) then
    with sample as (
      select v.* from stats.mv_model_stats_overall v order by random() limit p_sample
    ), recomputed as (
      select ps.forecaster_id as model_id, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
             count(*) filter (where ps.outcome = 'win') as win_count, count(*) filter (where ps.outcome = 'void') as draw_count,
             count(*) filter (where ps.outcome = 'loss') as loss_count, sum(ps.units) as total_units
        from sample s
        join forecast.prediction_score ps on ps.forecaster_id = s.model_id
        join core.event e on e.event_id = ps.event_id
        join core.season se on se.season_id = e.season_id and se.is_current
       group by ps.forecaster_id
    )
    select count(*) into v_n
      from sample s left join recomputed r on r.model_id = s.model_id
     where (s.total_matches, s.total_points, s.win_count, s.draw_count, s.loss_count, s.total_units)
           is distinct from (r.total_matches, r.total_points, r.win_count, r.draw_count, r.loss_count, r.total_units);
    v_bad := v_bad + v_n;
  end if;

  if (select c.relispopulated from pg_class c where c.oid = 'stats.mv_model_stats_competition'::regclass) then
    with sample as (
      select v.* from stats.mv_model_stats_competition v order by random() limit p_sample
    ), recomputed as (
      select s.model_id, s.competition_id, s.season_id, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
             count(*) filter (where ps.outcome = 'win') as win_count, count(*) filter (where ps.outcome = 'void') as draw_count,
             count(*) filter (where ps.outcome = 'loss') as loss_count, sum(ps.units) as total_units
        from sample s
        join forecast.prediction_score ps on ps.forecaster_id = s.model_id
        join core.event e on e.event_id = ps.event_id and e.competition_id = s.competition_id and e.season_id = s.season_id
       group by s.model_id, s.competition_id, s.season_id
    )
    select count(*) into v_n
      from sample s left join recomputed r using (model_id, competition_id, season_id)
     where (s.total_matches, s.total_points, s.win_count, s.draw_count, s.loss_count, s.total_units)
           is distinct from (r.total_matches, r.total_points, r.win_count, r.draw_count, r.loss_count, r.total_units);
    v_bad := v_bad + v_n;
  end if;

  if (select c.relispopulated from pg_class c where c.oid = 'stats.mv_model_stats_club'::regclass) then
    with sample as (
      select v.* from stats.mv_model_stats_club v order by random() limit p_sample
    ), recomputed as (
      select s.model_id, s.club_id, s.season_id, s.is_home, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
             count(*) filter (where ps.outcome = 'win') as win_count, count(*) filter (where ps.outcome = 'void') as draw_count,
             count(*) filter (where ps.outcome = 'loss') as loss_count, sum(ps.units) as total_units
        from sample s
        join forecast.prediction_score ps on ps.forecaster_id = s.model_id
        join core.event e on e.event_id = ps.event_id and e.season_id = s.season_id
         and s.club_id = case when s.is_home then e.home_team_id else e.away_team_id end
       group by s.model_id, s.club_id, s.season_id, s.is_home
    )
    select count(*) into v_n
      from sample s left join recomputed r using (model_id, club_id, season_id, is_home)
     where (s.total_matches, s.total_points, s.win_count, s.draw_count, s.loss_count, s.total_units)
           is distinct from (r.total_matches, r.total_points, r.win_count, r.draw_count, r.loss_count, r.total_units);
    v_bad := v_bad + v_n;
  end if;

  return v_bad::numeric;
end;
$$;
comment on function stats.dq_model_stats_mismatch(integer) is
  'Data-quality check (0 = healthy): of up to p_sample random rows from each of stats.mv_model_stats_overall, _competition and _club (when populated), how many differ from a recomputation from forecast.prediction_score: a stale or wrong view.';

create or replace function stats.dq_model_stats_incremental_vs_full() returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with full_ as (select * from stats.model_stats_full()),
  event_diff as (
    select count(*) as n from (
      (select * from full_ except all select * from stats.model_event_agg)
      union all
      (select * from stats.model_event_agg except all select * from full_)) d
  ), comp_full as (
    select model_id, competition_id, season_id, count(*)::integer as total_matches, sum(points) as total_points,
           sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
           sum(total_units) as total_units, sum(units_count)::integer as units_count
      from full_ group by model_id, competition_id, season_id
  ), comp_diff as (
    select count(*) as n from (
      (select * from comp_full except all select * from stats.model_stats_competition_current)
      union all
      (select * from stats.model_stats_competition_current except all select * from comp_full)) d
  ), club_full as (
    select f.model_id, s.club_id, f.season_id, s.is_home, count(*)::integer as total_matches, sum(f.points) as total_points,
           sum(f.win_count)::integer as win_count, sum(f.draw_count)::integer as draw_count, sum(f.loss_count)::integer as loss_count,
           sum(f.total_units) as total_units, sum(f.units_count)::integer as units_count
      from full_ f cross join lateral (values (f.home_team_id, true), (f.away_team_id, false)) as s (club_id, is_home)
     where s.club_id is not null
     group by f.model_id, s.club_id, f.season_id, s.is_home
  ), club_diff as (
    select count(*) as n from (
      (select * from club_full except all select * from stats.model_stats_club_current)
      union all
      (select * from stats.model_stats_club_current except all select * from club_full)) d
  )
  select (event_diff.n + comp_diff.n + club_diff.n)::numeric from event_diff, comp_diff, club_diff
$$;
comment on function stats.dq_model_stats_incremental_vs_full() is
  'Data-quality check (0 = healthy): rows of the incrementally maintained model statistics (per-event contributions, and sums plus pending deltas) that differ from a full recomputation from forecast.prediction_score.';

update refresh.object
   set method = 'function', refresh_function = 'stats.fold_model_stats'
 where object in ('stats.model_stats_competition_agg'::regclass, 'stats.model_stats_club_agg'::regclass)
   and method = 'maintained';

insert into refresh.dependency (dependent, parent, strength, origin, note)
values ('stats.model_stats_competition_agg', 'stats.model_stats_competition_delta', 'hard', 'declared',
        'scoring appends deltas here; stats.fold_model_stats moves them into the sums'),
       ('stats.model_stats_club_agg', 'stats.model_stats_club_delta', 'hard', 'declared',
        'scoring appends deltas here; stats.fold_model_stats moves them into the sums')
on conflict (dependent, parent) do nothing;

select refresh.define_check('stats_model_stats_match_recomputation', 'stats.model_stats_competition_agg',
  'select stats.dq_model_stats_mismatch(100)', 0, null, null, 'error',
  'Rows of the model stats views that differ from a recomputation on a sample of 100 models: must be 0.');
select refresh.define_check('stats_model_stats_incremental_equals_full', 'stats.model_event_agg',
  'select stats.dq_model_stats_incremental_vs_full()', 0, null, null, 'error',
  'Rows of the incrementally maintained model statistics that differ from a full recomputation from the scores: must be 0.');
