-- The benchmark's data, generated in SQL (generate_series), deterministic: every
-- "random" choice is a hash of the row's number, so the same scale gives the same rows.
-- Loaded only into a benchmark database (make bench creates and drops it).
--
-- Shape: 4 competitions x 2 seasons (one current), 32 clubs each, models x events
-- predictions on match_result markets. Most events are completed and scored (the
-- history whose size a full REFRESH pays for); some are scheduled with open markets
-- and predictions, waiting to be completed by the measurements.

create schema if not exists bench;

-- A deterministic number in [0, 1) from a seed and a row number.
create or replace function bench.u(p_seed integer, p_n bigint) returns double precision
language sql immutable strict parallel safe
as $$ select (hashint8(p_n * 7919 + p_seed) & 2147483647)::double precision / 2147483648 $$;

create or replace procedure bench.generate(p_events integer, p_models integer, p_pending integer)
language plpgsql
as $$
declare
  sport smallint;
begin
  -- Bulk generation writes every derived column itself: triggers are bypassed for speed
  -- (superuser only), and the summary tables are rebuilt at the end.
  set local session_replication_role = replica;
  set local synchronous_commit = off;

  insert into core.sport (code, name) values ('bench_ball', 'Bench ball') returning sport_id into sport;
  insert into core.competition (sport_id, code, name)
  select sport, 'bench_c' || c, 'Bench competition ' || c from generate_series(1, 4) c;
  insert into core.season (competition_id, label, is_current)
  select co.competition_id, s.label, s.label = '2026'
    from core.competition co cross join (values ('2025'), ('2026')) s (label)
   where co.code like 'bench_c%';
  insert into core.week (season_id, week_number, label)
  select se.season_id, w, 'Week ' || w from core.season se cross join generate_series(1, 38) w
   where se.competition_id in (select competition_id from core.competition where code like 'bench_c%');
  insert into core.team (sport_id, code, name)
  select sport, 'B' || t, 'Bench club ' || t from generate_series(1, 128) t;

  -- Events: number i in 1..p_events is history (completed), the last p_pending are scheduled.
  create temp table ev_plan on commit drop as
  select i,
         1 + (i % 4) as comp_no,
         case when i > p_events - p_pending or i % 2 = 0 then '2026' else '2025' end as season_label,
         i > p_events - p_pending as pending,
         1 + ((i / 4) % 38)::integer as week_number,
         ((i % 4) * 32 + 1 + (hashint8(i) & 31))::integer as home_no,
         ((i % 4) * 32 + 1 + ((hashint8(i) & 31) + 1 + (hashint8(i + 1) & 15)) % 32)::integer as away_no
    from generate_series(1, p_events) i;

  insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, status,
                          home_team_id, away_team_id, home_score, away_score, completed_at)
  select 'bench_' || p.i, 'game', co.competition_id, se.season_id, p.week_number,
         case when p.pending then now() + interval '1 day' else now() - interval '1 day' * (p_events - p.i + 1) / greatest(p_events, 1) * 365 end,
         case when p.pending then 'scheduled' else 'completed' end,
         ht.team_id, at.team_id,
         case when p.pending then null else (bench.u(1, p.i) * 4)::smallint end,
         case when p.pending then null else (bench.u(2, p.i) * 4)::smallint end,
         case when p.pending then null else now() end
    from ev_plan p
    join core.competition co on co.code = 'bench_c' || p.comp_no
    join core.season se on se.competition_id = co.competition_id and se.label = p.season_label
    join core.team ht on ht.code = 'B' || p.home_no
    join core.team at on at.code = 'B' || p.away_no;

  insert into market.market (event_id, market_type, status, allows_multiple_picks, settled_at, settled_result_version)
  select e.event_id, 'match_result', case when e.status = 'completed' then 'settled' else 'open' end, false,
         case when e.status = 'completed' then now() end, case when e.status = 'completed' then 0 end
    from core.event e where e.external_id like 'bench\_%';

  insert into market.selection (market_id, code, label, team_id, result)
  select m.market_id, s.code, s.code, case s.code when 'home' then e.home_team_id when 'away' then e.away_team_id end,
         case when e.status <> 'completed' then null
              when s.code = case when e.home_score > e.away_score then 'home' when e.home_score < e.away_score then 'away' else 'draw' end
              then 'won' else 'lost' end
    from market.market m
    join core.event e on e.event_id = m.event_id and e.external_id like 'bench\_%'
   cross join (values ('home'), ('draw'), ('away')) s (code);

  insert into forecast.forecaster (kind, name, version, model_type)
  select 'model', 'bench_model_' || f, '1', 'bench' from generate_series(1, p_models) f;

  -- One prediction per model per event: the pick is a hash of (model, event).
  insert into forecast.prediction (forecaster_id, market_id, selection_id, one_per_market, probability, odds, stake, predicted_at)
  select f.forecaster_id, m.market_id, s.selection_id, true,
         round((0.2 + bench.u(3, f.forecaster_id * 1000003 + m.event_id) * 0.6)::numeric, 3),
         round((1.5 + bench.u(4, f.forecaster_id * 1000003 + m.event_id) * 3)::numeric, 2),
         1,
         e.scheduled_start - interval '2 hours'
    from forecast.forecaster f
    join market.market m on true
    join core.event e on e.event_id = m.event_id
    join market.selection s on s.market_id = m.market_id
         and s.code = (array['home', 'draw', 'away'])[1 + (hashint8(f.forecaster_id * 1000003 + m.event_id) & 2147483647) % 3]
   where f.name like 'bench_model_%' and e.external_id like 'bench\_%';

  -- Scores of the history, as forecast.score_event would write them (rarity from the share of picks).
  insert into forecast.prediction_score (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, units,
                                         probability, brier, log_loss, result_version, scored_at)
  with sh as (
    select p.market_id, p.selection_id, count(*)::numeric / sum(count(*)) over (partition by p.market_id) as share
      from forecast.prediction p
      join market.market m on m.market_id = p.market_id and m.status = 'settled'
     group by p.market_id, p.selection_id
  )
  select p.prediction_id, p.forecaster_id, m.event_id,
         case s.result when 'won' then 'win' else 'loss' end,
         case s.result when 'won' then 2 + round(4 * (1 - sh.share)) else 0 end,
         sh.share, p.stake,
         case s.result when 'won' then p.stake * (p.odds - 1) else -p.stake end,
         p.probability,
         power(p.probability::float8 - case s.result when 'won' then 1 else 0 end, 2),
         case s.result when 'won' then -ln(p.probability::float8) else -ln(1 - p.probability::float8) end,
         0, now()
    from forecast.prediction p
    join market.market m on m.market_id = p.market_id and m.status = 'settled'
    join market.selection s on s.selection_id = p.selection_id
    join sh on sh.market_id = p.market_id and sh.selection_id = p.selection_id;

  perform stats.rebuild_model_stats();
end;
$$;

-- One open event for the scoring-size and write measurements, with p_users users (and their picks when asked).
create or replace procedure bench.big_event(p_label text, p_users integer, p_with_picks boolean)
language plpgsql
as $$
declare
  ev bigint;
  mk bigint;
begin
  set local session_replication_role = replica;
  insert into forecast.forecaster (kind, name, handle)
  select 'user', 'bench user ' || u, 'bench_u' || u from generate_series(1, p_users) u
  on conflict do nothing;
  insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
  select 'bench_big_' || p_label, 'game', co.competition_id, se.season_id, 1, now() + interval '1 day',
         (select team_id from core.team where code = 'B1'), (select team_id from core.team where code = 'B2')
    from core.competition co join core.season se on se.competition_id = co.competition_id and se.is_current
   where co.code = 'bench_c1'
  returning event_id into ev;
  insert into market.market (event_id, market_type, status, allows_multiple_picks) values (ev, 'match_result', 'open', false)
  returning market_id into mk;
  insert into market.selection (market_id, code, label) values (mk, 'home', 'home'), (mk, 'draw', 'draw'), (mk, 'away', 'away');
  if not p_with_picks then
    return;
  end if;
  insert into forecast.prediction (forecaster_id, market_id, selection_id, one_per_market, probability, odds, stake, predicted_at)
  select f.forecaster_id, mk, s.selection_id, true, 0.4, 2.5, 1, now() - interval '1 hour'
    from (select forecaster_id, row_number() over (order by forecaster_id) as rn
            from forecast.forecaster where handle like 'bench\_u%' order by forecaster_id limit p_users) f
    join market.selection s on s.market_id = mk
         and s.code = (array['home', 'draw', 'away'])[1 + (hashint8(f.rn) & 2147483647) % 3];
end;
$$;

-- The baseline: seed 000's three views as materialized views over all predictions,
-- refreshed with REFRESH ... CONCURRENTLY (what scoreline replaced).
create materialized view if not exists bench.mv_overall_full as
select ps.forecaster_id as model_id, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
       sum(ps.points) / count(distinct ps.event_id) as avg_points,
       (count(*) filter (where ps.outcome = 'win'))::numeric / nullif(count(*) filter (where ps.outcome in ('win', 'loss')), 0) as win_rate,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as draw_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count, sum(ps.units) as total_units
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
  join core.event e on e.event_id = ps.event_id
  join core.season s on s.season_id = e.season_id and s.is_current
 group by ps.forecaster_id
with no data;
create unique index if not exists mv_overall_full_key on bench.mv_overall_full (model_id);

create materialized view if not exists bench.mv_competition_full as
select ps.forecaster_id as model_id, e.competition_id, e.season_id, count(distinct ps.event_id)::integer as total_matches,
       sum(ps.points) as total_points, (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count, sum(ps.units) as total_units
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
  join core.event e on e.event_id = ps.event_id
 group by ps.forecaster_id, e.competition_id, e.season_id
with no data;
create unique index if not exists mv_competition_full_key on bench.mv_competition_full (model_id, competition_id, season_id);

create materialized view if not exists bench.mv_club_full as
select ps.forecaster_id as model_id, side.club_id, e.season_id, side.is_home, count(distinct ps.event_id)::integer as total_matches,
       sum(ps.points) as total_points, (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count, sum(ps.units) as total_units
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
  join core.event e on e.event_id = ps.event_id
 cross join lateral (values (e.home_team_id, true), (e.away_team_id, false)) as side (club_id, is_home)
 group by ps.forecaster_id, side.club_id, e.season_id, side.is_home
with no data;
create unique index if not exists mv_club_full_key on bench.mv_club_full (model_id, club_id, season_id, is_home);
