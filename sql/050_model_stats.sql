-- stats: incremental maintenance of the model statistics (the three stats.mv_model_stats_* views).
--
-- Every statement that writes forecast.prediction_score (forecast.score_event, a
-- cascade from a deleted prediction or event) fires a statement-level trigger that
-- recomputes the (model, event) pairs it touched from prediction_score itself and
-- appends the difference to the delta tables, in the same transaction. The three views
-- add the folded sums and the deltas, so they are current when scoring commits. The
-- cost is that of the event's predictions, not of all predictions ever made; scorings
-- append and never wait on one another; readers never wait. The refresh orchestrator
-- folds the deltas into the sums (stats.fold_model_stats, method function).

create or replace function stats.model_stats_full()
returns table (model_id bigint, event_id bigint, competition_id integer, season_id integer,
               home_team_id integer, away_team_id integer, predictions integer, points numeric,
               win_count integer, draw_count integer, loss_count integer, total_units numeric, units_count integer)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select ps.forecaster_id, ps.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id,
         count(*)::integer, sum(ps.points),
         (count(*) filter (where ps.outcome = 'win'))::integer,
         (count(*) filter (where ps.outcome = 'void'))::integer,
         (count(*) filter (where ps.outcome = 'loss'))::integer,
         coalesce(sum(ps.units), 0), count(ps.units)::integer
    from forecast.prediction_score ps
    join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
    join core.event e on e.event_id = ps.event_id
   group by ps.forecaster_id, ps.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id
$$;
comment on function stats.model_stats_full() is
  'Every (model, event) contribution to the model statistics recomputed from forecast.prediction_score: what stats.model_event_agg must hold. Used by the full rebuild and the incremental-equals-full check.';

create or replace function stats.apply_model_stats(p_model_ids bigint[], p_event_ids bigint[]) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_pairs integer;
begin
  -- One statement: the touched pairs, their contribution now (from prediction_score) with
  -- sign +1 and the contribution recorded before (stats.model_event_agg, read in the
  -- statement's snapshot, before its own writes) with sign -1; then every write from them.
  with pair as (
    select distinct u.model_id, u.event_id
      from unnest(p_model_ids, p_event_ids) as u (model_id, event_id)
      join forecast.forecaster f on f.forecaster_id = u.model_id and f.kind = 'model'
  ), ev as materialized (
    -- the touched events, each looked up by its key (never a scan of core.event, whatever the
    -- planner thinks of the pairs' count)
    select e.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id
      from (select distinct p.event_id from pair p) d
     cross join lateral (select x.event_id, x.competition_id, x.season_id, x.home_team_id, x.away_team_id
                           from core.event x where x.event_id = d.event_id
                          limit 1) e -- one row by its key; the limit keeps the lookup from being flattened into a hash join over core.event
  ), fresh as materialized (
    select p.model_id, p.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id,
           count(*)::integer as predictions, sum(ps.points) as points,
           (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
           (count(*) filter (where ps.outcome = 'void'))::integer as draw_count,
           (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
           coalesce(sum(ps.units), 0) as total_units, count(ps.units)::integer as units_count
      from pair p
      join forecast.prediction_score ps on ps.forecaster_id = p.model_id and ps.event_id = p.event_id
      -- joined on the pair (an = any over the argument, one entry per pair, would be searched
      -- once per score row)
      join ev e on e.event_id = p.event_id
     group by p.model_id, p.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id
  ), before as materialized (
    select a.* from stats.model_event_agg a join pair p using (model_id, event_id)
  ), signed as materialized (
    select 1 as sign, f.* from fresh f
    union all
    select -1, b.* from before b
  ), gone as (
    -- per (model, event): the new contribution replaces the old one, or none is left
    delete from stats.model_event_agg a
     using before b
     where a.model_id = b.model_id and a.event_id = b.event_id
       and not exists (select from fresh f where f.model_id = b.model_id and f.event_id = b.event_id)
  ), upserted as (
    insert into stats.model_event_agg as a
    select f.model_id, f.event_id, f.competition_id, f.season_id, f.home_team_id, f.away_team_id, f.predictions, f.points,
           f.win_count, f.draw_count, f.loss_count, f.total_units, f.units_count
      from fresh f
    on conflict (model_id, event_id) do update
       set competition_id = excluded.competition_id, season_id = excluded.season_id,
           home_team_id = excluded.home_team_id, away_team_id = excluded.away_team_id,
           predictions = excluded.predictions, points = excluded.points, win_count = excluded.win_count,
           draw_count = excluded.draw_count, loss_count = excluded.loss_count,
           total_units = excluded.total_units, units_count = excluded.units_count
     -- an unchanged contribution is not rewritten
     where (a.competition_id, a.season_id, a.home_team_id, a.away_team_id, a.predictions, a.points, a.win_count,
            a.draw_count, a.loss_count, a.total_units, a.units_count)
           is distinct from
           (excluded.competition_id, excluded.season_id, excluded.home_team_id, excluded.away_team_id, excluded.predictions,
            excluded.points, excluded.win_count, excluded.draw_count, excluded.loss_count, excluded.total_units, excluded.units_count)
  ), competition_delta as (
    -- per competition and season, and per club side: append the signed differences
    insert into stats.model_stats_competition_delta
           (model_id, competition_id, season_id, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
    select c.model_id, c.competition_id, c.season_id, sum(c.sign), sum(c.sign * c.points), sum(c.sign * c.win_count),
           sum(c.sign * c.draw_count), sum(c.sign * c.loss_count), sum(c.sign * c.total_units), sum(c.sign * c.units_count)
      from signed c
     group by c.model_id, c.competition_id, c.season_id
    having sum(c.sign) <> 0 or sum(c.sign * c.points) <> 0 or sum(c.sign * c.win_count) <> 0 or sum(c.sign * c.draw_count) <> 0
        or sum(c.sign * c.loss_count) <> 0 or sum(c.sign * c.total_units) <> 0 or sum(c.sign * c.units_count) <> 0
  ), club_delta as (
    insert into stats.model_stats_club_delta
           (model_id, club_id, season_id, is_home, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
    select c.model_id, s.club_id, c.season_id, s.is_home, sum(c.sign), sum(c.sign * c.points), sum(c.sign * c.win_count),
           sum(c.sign * c.draw_count), sum(c.sign * c.loss_count), sum(c.sign * c.total_units), sum(c.sign * c.units_count)
      from signed c
     cross join lateral (values (c.home_team_id, true), (c.away_team_id, false)) as s (club_id, is_home)
     where s.club_id is not null
     group by c.model_id, s.club_id, c.season_id, s.is_home
    having sum(c.sign) <> 0 or sum(c.sign * c.points) <> 0 or sum(c.sign * c.win_count) <> 0 or sum(c.sign * c.draw_count) <> 0
        or sum(c.sign * c.loss_count) <> 0 or sum(c.sign * c.total_units) <> 0 or sum(c.sign * c.units_count) <> 0
  )
  select count(distinct (s.model_id, s.event_id))::integer into v_pairs from signed s;
  return v_pairs;
end;
$$;
comment on function stats.apply_model_stats(bigint[], bigint[]) is
  'Incremental maintenance: for the given (model, event) pairs, recomputes their contribution from forecast.prediction_score, replaces it in stats.model_event_agg (an unchanged one is not rewritten) and appends new minus previous to stats.model_stats_competition_delta and stats.model_stats_club_delta. One set-based statement (no intermediate jsonb); called by the statement triggers on forecast.prediction_score.';

create or replace function stats.tg_prediction_score__apply() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_models bigint[];
  v_events bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.forecaster_id), array_agg(n.event_id) into v_models, v_events
      from (select distinct forecaster_id, event_id from new_rows) n;
  elsif tg_op = 'DELETE' then
    select array_agg(o.forecaster_id), array_agg(o.event_id) into v_models, v_events
      from (select distinct forecaster_id, event_id from old_rows) o;
  else
    select array_agg(x.forecaster_id), array_agg(x.event_id) into v_models, v_events
      from (select forecaster_id, event_id from new_rows union select forecaster_id, event_id from old_rows) x;
  end if;
  if v_models is not null then
    perform stats.apply_model_stats(v_models, v_events);
  end if;
  return null;
end;
$$;
comment on function stats.tg_prediction_score__apply() is
  'After each statement on forecast.prediction_score: applies the touched (model, event) pairs'' new contribution to the model statistics (stats.apply_model_stats), in the same transaction.';

drop trigger if exists _100_model_stats_insert on forecast.prediction_score;
create trigger _100_model_stats_insert after insert on forecast.prediction_score
  referencing new table as new_rows for each statement execute function stats.tg_prediction_score__apply();
drop trigger if exists _100_model_stats_update on forecast.prediction_score;
create trigger _100_model_stats_update after update on forecast.prediction_score
  referencing old table as old_rows new table as new_rows for each statement execute function stats.tg_prediction_score__apply();
drop trigger if exists _100_model_stats_delete on forecast.prediction_score;
create trigger _100_model_stats_delete after delete on forecast.prediction_score
  referencing old table as old_rows for each statement execute function stats.tg_prediction_score__apply();

create or replace function stats.tg_event__model_stats_keys() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_models bigint[];
  v_events bigint[];
begin
  select array_agg(a.model_id), array_agg(a.event_id) into v_models, v_events
    from stats.model_event_agg a
    join new_rows n on n.event_id = a.event_id
   where (a.competition_id, a.season_id, a.home_team_id, a.away_team_id)
         is distinct from (n.competition_id, n.season_id, n.home_team_id, n.away_team_id);
  if v_models is not null then
    perform stats.apply_model_stats(v_models, v_events);
  end if;
  return null;
end;
$$;
comment on function stats.tg_event__model_stats_keys() is
  'After an event''s competition, season or clubs change: moves its scored predictions'' contribution to the new keys.';

drop trigger if exists _300_model_stats_keys on core.event;
create trigger _300_model_stats_keys after update on core.event
  referencing new table as new_rows for each statement execute function stats.tg_event__model_stats_keys();

create or replace function stats.fold_model_stats(p_object regclass, p_parameters jsonb default '{}') returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer := 0;
begin
  -- plpgsql_check: p_parameters is unused (every refresh method takes (regclass, jsonb); a fold has none)
  -- @plpgsql_check_options: extra_warnings = false
  -- One folder at a time per table; scorings keep appending meanwhile (only the rows
  -- this statement deletes are folded, later ones wait for the next fold).
  if p_object = 'stats.model_stats_competition_agg'::regclass then
    perform pg_advisory_xact_lock(hashtext('scoreline.fold_model_stats'), 1);
    with moved as (
      delete from stats.model_stats_competition_delta returning *
    ), d as (
      select model_id, competition_id, season_id, sum(total_matches)::integer as matches, sum(total_points) as points,
             sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
             sum(total_units) as total_units, sum(units_count)::integer as units_count, count(*) as folded
        from moved group by model_id, competition_id, season_id
    ), emptied as (
      delete from stats.model_stats_competition_agg a using d
       where (a.model_id, a.competition_id, a.season_id) = (d.model_id, d.competition_id, d.season_id)
         and a.total_matches + d.matches = 0
      returning 1
    ), updated as (
      update stats.model_stats_competition_agg a
         set total_matches = a.total_matches + d.matches, total_points = a.total_points + d.points,
             win_count = a.win_count + d.win_count, draw_count = a.draw_count + d.draw_count,
             loss_count = a.loss_count + d.loss_count, total_units = a.total_units + d.total_units,
             units_count = a.units_count + d.units_count
        from d
       where (a.model_id, a.competition_id, a.season_id) = (d.model_id, d.competition_id, d.season_id)
         and a.total_matches + d.matches > 0
      returning a.model_id, a.competition_id, a.season_id
    ), inserted as (
      insert into stats.model_stats_competition_agg
             (model_id, competition_id, season_id, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
      select d.model_id, d.competition_id, d.season_id, d.matches, d.points, d.win_count, d.draw_count, d.loss_count, d.total_units, d.units_count
        from d
       where d.matches > 0
         and not exists (select from stats.model_stats_competition_agg a
                          where (a.model_id, a.competition_id, a.season_id) = (d.model_id, d.competition_id, d.season_id))
      returning 1
    )
    select coalesce(sum(folded), 0) into v_n from d;
  elsif p_object = 'stats.model_stats_club_agg'::regclass then
    perform pg_advisory_xact_lock(hashtext('scoreline.fold_model_stats'), 2);
    with moved as (
      delete from stats.model_stats_club_delta returning *
    ), d as (
      select model_id, club_id, season_id, is_home, sum(total_matches)::integer as matches, sum(total_points) as points,
             sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
             sum(total_units) as total_units, sum(units_count)::integer as units_count, count(*) as folded
        from moved group by model_id, club_id, season_id, is_home
    ), emptied as (
      delete from stats.model_stats_club_agg a using d
       where (a.model_id, a.club_id, a.season_id, a.is_home) = (d.model_id, d.club_id, d.season_id, d.is_home)
         and a.total_matches + d.matches = 0
      returning 1
    ), updated as (
      update stats.model_stats_club_agg a
         set total_matches = a.total_matches + d.matches, total_points = a.total_points + d.points,
             win_count = a.win_count + d.win_count, draw_count = a.draw_count + d.draw_count,
             loss_count = a.loss_count + d.loss_count, total_units = a.total_units + d.total_units,
             units_count = a.units_count + d.units_count
        from d
       where (a.model_id, a.club_id, a.season_id, a.is_home) = (d.model_id, d.club_id, d.season_id, d.is_home)
         and a.total_matches + d.matches > 0
      returning 1
    ), inserted as (
      insert into stats.model_stats_club_agg
             (model_id, club_id, season_id, is_home, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
      select d.model_id, d.club_id, d.season_id, d.is_home, d.matches, d.points, d.win_count, d.draw_count, d.loss_count, d.total_units, d.units_count
        from d
       where d.matches > 0
         and not exists (select from stats.model_stats_club_agg a
                          where (a.model_id, a.club_id, a.season_id, a.is_home) = (d.model_id, d.club_id, d.season_id, d.is_home))
      returning 1
    )
    select coalesce(sum(folded), 0) into v_n from d;
  else
    raise exception 'stats.fold_model_stats folds stats.model_stats_competition_agg or stats.model_stats_club_agg, not %', p_object
      using errcode = '22023';
  end if;
  -- Deleting the folded deltas fired the staleness trigger of their table; that mark is
  -- this transaction's own (stamped now()) and changes no answer: take it back. A mark
  -- left by a scoring that committed meanwhile has another time and stays.
  if to_regclass('refresh.object') is not null then
    update refresh.object o set stale_since = null where o.object = p_object and o.stale_since = now();
  end if;
  return v_n;
end;
$$;
comment on function stats.fold_model_stats(regclass, jsonb) is
  'The refresh orchestrator''s incremental method for stats.model_stats_competition_agg and stats.model_stats_club_agg: moves the pending deltas into the sums in one statement (rows whose matches reach 0 are removed). The views read sums plus pending deltas, so a fold changes no answer; it only keeps the delta tables short. Returns the delta rows folded.';

create or replace function stats.rebuild_model_stats() returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer;
begin
  lock table stats.model_event_agg, stats.model_stats_competition_agg, stats.model_stats_club_agg,
             stats.model_stats_competition_delta, stats.model_stats_club_delta in exclusive mode;
  truncate stats.model_event_agg, stats.model_stats_competition_agg, stats.model_stats_club_agg,
           stats.model_stats_competition_delta, stats.model_stats_club_delta;
  insert into stats.model_event_agg select * from stats.model_stats_full();
  get diagnostics v_n = row_count;
  insert into stats.model_stats_competition_agg
  select model_id, competition_id, season_id, count(*), sum(points), sum(win_count), sum(draw_count), sum(loss_count), sum(total_units), sum(units_count)
    from stats.model_event_agg group by model_id, competition_id, season_id;
  insert into stats.model_stats_club_agg
  select a.model_id, s.club_id, a.season_id, s.is_home, count(*), sum(a.points), sum(a.win_count), sum(a.draw_count), sum(a.loss_count),
         sum(a.total_units), sum(a.units_count)
    from stats.model_event_agg a
   cross join lateral (values (a.home_team_id, true), (a.away_team_id, false)) as s (club_id, is_home)
   where s.club_id is not null
   group by a.model_id, s.club_id, a.season_id, s.is_home;
  return v_n;
end;
$$;
comment on function stats.rebuild_model_stats() is
  'Full recomputation of the model statistics (per-event contributions, sums; deltas emptied) from forecast.prediction_score: repair, or after a bulk load with the triggers disabled. Readers keep reading the old rows until it commits. Returns the (model, event) rows built.';

create or replace view stats.model_stats_competition_current as
select model_id, competition_id, season_id,
       sum(total_matches)::integer as total_matches, sum(total_points) as total_points,
       sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
       sum(total_units) as total_units, sum(units_count)::integer as units_count
  from (select model_id, competition_id, season_id, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count
          from stats.model_stats_competition_agg
        union all
        select model_id, competition_id, season_id, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count
          from stats.model_stats_competition_delta) t
 group by model_id, competition_id, season_id
having sum(total_matches) > 0;
comment on view stats.model_stats_competition_current is
  'The model statistics sums per competition and season as of now: the folded sums plus the deltas not yet folded.';

create or replace view stats.model_stats_club_current as
select model_id, club_id, season_id, is_home,
       sum(total_matches)::integer as total_matches, sum(total_points) as total_points,
       sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
       sum(total_units) as total_units, sum(units_count)::integer as units_count
  from (select model_id, club_id, season_id, is_home, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count
          from stats.model_stats_club_agg
        union all
        select model_id, club_id, season_id, is_home, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count
          from stats.model_stats_club_delta) t
 group by model_id, club_id, season_id, is_home
having sum(total_matches) > 0;
comment on view stats.model_stats_club_current is
  'The model statistics sums per club, season and home/away as of now: the folded sums plus the deltas not yet folded.';

create or replace view stats.mv_model_stats_competition as
select a.model_id, a.competition_id, a.season_id, s.label as season,
       a.total_matches, a.total_points,
       round(a.total_points / a.total_matches, 4) as avg_points,
       round(a.win_count::numeric / nullif(a.win_count + a.loss_count, 0), 4) as win_rate,
       a.win_count, a.draw_count, a.loss_count,
       case when a.units_count > 0 then a.total_units end as total_units,
       f.name as model_name, f.version as model_version, c.code as competition,
       a.total_points / a.total_matches as avg_points_exact,
       a.win_count::numeric / nullif(a.win_count + a.loss_count, 0) as win_rate_exact
  from stats.model_stats_competition_current a
  join core.season s on s.season_id = a.season_id
  join core.competition c on c.competition_id = a.competition_id
  join forecast.forecaster f on f.forecaster_id = a.model_id;
comment on view stats.mv_model_stats_competition is
  'Model performance per competition and season: matches (events) predicted, points, average points per match, win rate = wins / (wins + losses), win/draw/loss counts (win = correct, loss = wrong, draw = void), units. Refresh policy: none needed — a plain view over sums that scoring maintains in its own transaction (stats.model_stats_competition_current); not materialized, despite the mv_ prefix of its name. Ratios people read are rounded to 4 decimals (avg_points, win_rate); avg_points_exact and win_rate_exact keep full precision. model_name and model_version name the model_id, competition its code.';

create or replace view stats.mv_model_stats_overall as
select a.model_id,
       sum(a.total_matches)::integer as total_matches,
       sum(a.total_points) as total_points,
       round(sum(a.total_points) / sum(a.total_matches), 4) as avg_points,
       round(sum(a.win_count)::numeric / nullif(sum(a.win_count) + sum(a.loss_count), 0), 4) as win_rate,
       sum(a.win_count)::integer as win_count,
       sum(a.draw_count)::integer as draw_count,
       sum(a.loss_count)::integer as loss_count,
       case when sum(a.units_count) > 0 then sum(a.total_units) end as total_units,
       f.name as model_name, f.version as model_version,
       sum(a.total_points) / sum(a.total_matches) as avg_points_exact,
       sum(a.win_count)::numeric / nullif(sum(a.win_count) + sum(a.loss_count), 0) as win_rate_exact
  from stats.model_stats_competition_current a
  join core.season s on s.season_id = a.season_id and s.is_current
  join forecast.forecaster f on f.forecaster_id = a.model_id
 group by a.model_id, f.forecaster_id;
comment on view stats.mv_model_stats_overall is
  'Model performance over current seasons only (core.season.is_current), same measures as stats.mv_model_stats_competition. Refresh policy: none needed — a plain view summing the few current-season sums of each model, current when scoring commits; not materialized, despite the mv_ prefix of its name. Ratios people read are rounded to 4 decimals (avg_points, win_rate); avg_points_exact and win_rate_exact keep full precision. model_name and model_version name the model_id.';

create or replace view stats.mv_model_stats_club as
select a.model_id, a.club_id, a.season_id, s.label as season, a.is_home,
       a.total_matches, a.total_points,
       round(a.total_points / a.total_matches, 4) as avg_points,
       round(a.win_count::numeric / nullif(a.win_count + a.loss_count, 0), 4) as win_rate,
       a.win_count, a.draw_count, a.loss_count,
       case when a.units_count > 0 then a.total_units end as total_units,
       f.name as model_name, f.version as model_version, t.name as club_name,
       a.total_points / a.total_matches as avg_points_exact,
       a.win_count::numeric / nullif(a.win_count + a.loss_count, 0) as win_rate_exact
  from stats.model_stats_club_current a
  join core.season s on s.season_id = a.season_id
  join core.team t on t.team_id = a.club_id
  join forecast.forecaster f on f.forecaster_id = a.model_id;
comment on view stats.mv_model_stats_club is
  'Model performance per club, season and home/away: every prediction on a match counts for its home club (is_home) and its away club. Refresh policy: none needed — a plain view over sums maintained by scoring in its own transaction (stats.model_stats_club_current); not materialized, despite the mv_ prefix of its name. Ratios people read are rounded to 4 decimals (avg_points, win_rate); avg_points_exact and win_rate_exact keep full precision. model_name and model_version name the model_id, club_name the club.';

-- Summary tables still empty while model scores exist: fill them once from the scores.
do $$
begin
  if not exists (select from stats.model_event_agg)
     and exists (select from forecast.prediction_score ps join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model') then
    perform stats.rebuild_model_stats();
  end if;
end;
$$;
