-- forecast: scoring. forecast.score_event settles an event's markets and (re)computes every
-- prediction score of the event in one set-based statement. Re-applied by `scoreline migrate`;
-- idempotent. The rules are documented in docs/scoring.md.
--
-- forecast.score_event is security definer: only owner authority writes forecast.prediction_score
-- (forecast.tg_prediction_score__guard, sql/040_forecast.sql); the worker scores through it.
--
-- It records what it caught up with in forecast.event_scoring (sql/043_forecast_owed.sql).
--
-- SQLSTATEs raised here:
--   SL040  no such event (forecast.score_event, through market.settle_event)

create or replace function forecast.log_loss(p_probability numeric, p_won boolean, p_epsilon double precision default 1e-15)
returns double precision
language sql
immutable
parallel safe
as $$
  -- q, the probability given to what happened (p for a win, 1 - p for a loss), and 1 - q are
  -- exact in numeric, and so is their clipping: in double precision 1 - (1 - 1e-15) is not
  -- 1e-15. -ln q from q when q <= 1/2; above, from r = 1 - q as 2 atanh(r / (2 - r)) (that is
  -- -ln(1 - r)), which keeps every digit of a loss close to 0.
  select case when p_probability is null or p_won is null then null
              when (case when p_won then p_probability else 1 - p_probability end) <= 0.5
              then -ln(greatest(coalesce(p_epsilon, 1e-15)::numeric,
                                case when p_won then p_probability else 1 - p_probability end)::double precision)
              else 2 * atanh((greatest(coalesce(p_epsilon, 1e-15)::numeric, case when p_won then 1 - p_probability else p_probability end)
                              / (2 - greatest(coalesce(p_epsilon, 1e-15)::numeric, case when p_won then 1 - p_probability else p_probability end)))::double precision)
         end
$$;
comment on function forecast.log_loss(numeric, boolean, double precision) is
  'Log loss of a prediction with probability p of winning: -ln p when it won, -ln(1 - p) when it lost, the probability of the outcome clipped to [epsilon, 1 - epsilon] (forecast.scoring_rule.log_loss_epsilon, default 1e-15) in exact numeric arithmetic, so that a certain wrong prediction costs exactly -ln(epsilon) (34.538776394910684 for 1e-15) and a certain right one -ln(1 - epsilon) (1.0000000000000005e-15). Null when p or the outcome is null. Used by forecast.score_event.';

create or replace function forecast.score_events(p_event_ids bigint[])
returns table (event_id bigint, predictions integer)
language plpgsql
volatile
strict
security definer -- scores are written with owner authority (forecast.tg_prediction_score__guard)
set search_path = pg_catalog, pg_temp
set work_mem = '64MB'
as $$
#variable_conflict use_column
declare
  v_ids bigint[];
  v_id bigint;
  v_owed bigint;
  v_owed_rv integer;
  v_owed_ids bigint[] := '{}'::bigint[];
  v_owed_versions bigint[] := '{}'::bigint[];
  v_owed_rvs integer[] := '{}'::integer[];
begin
  select coalesce(array_agg(distinct u.id order by u.id), '{}') into v_ids from unnest(p_event_ids) as u (id) where u.id is not null;
  foreach v_id in array v_ids loop
    -- one scorer per event at a time; a second call waits, then finds nothing to change.
    -- Ascending event ids: two batches that share events lock them in one order.
    perform pg_advisory_xact_lock(hashtext('scoreline.score_event'), hashtext(v_id::text));
    -- The work owed, read before the result (sql/043_forecast_owed.sql), with the event row held
    -- (key share): a correction in progress commits first, the next one waits for this
    -- transaction. Lock order core.event, then forecast.event_scoring, as a correction's.
    -- Two statements: a row lock that waited re-reads the locked row only, not a joined one.
    perform from core.event e where e.event_id = v_id for key share;
    select es.owed_version, es.result_version into v_owed, v_owed_rv from forecast.event_scoring es where es.event_id = v_id;
    if v_owed is not null then
      v_owed_ids := v_owed_ids || v_id;
      v_owed_versions := v_owed_versions || v_owed;
      v_owed_rvs := v_owed_rvs || v_owed_rv;
    end if;
  end loop;

  foreach v_id in array v_ids loop
    perform market.settle_event(v_id); -- raises SL040 for an unknown event
  end loop;

  -- predictions whose market is no longer settled (a withdrawn result) lose their score; each
  -- score is looked up through its own prediction (its foreign key: the prediction exists)
  delete from forecast.prediction_score ps
   using forecast.prediction p, market.market m
   where ps.event_id = any (v_ids)
     and p.prediction_id = ps.prediction_id
     and m.market_id = p.market_id
     and (m.status not in ('settled', 'void') or m.event_id <> ps.event_id);

  -- One statement for every event of the batch (one pass of the statistics maintenance).
  -- The predictions read are held (key share): a concurrent delete of one waits for this
  -- transaction, or, when it committed first, the prediction is skipped here and its score
  -- never written (no foreign-key failure).
  with preds as (
    -- the event's result version joined per market, not per prediction: the markets just
    -- settled in this transaction are not in the planner's statistics yet, and a join per
    -- prediction planned for one row would scan core.event once per prediction
    select p.prediction_id, p.forecaster_id, p.market_id, p.selection_id, p.probability, p.odds, p.stake,
           m.event_id, e.result_version, m.market_type, m.status as market_status, m.places, s.result, s.runner_id
      from market.market m
      join core.event e on e.event_id = m.event_id
      join forecast.prediction p on p.market_id = m.market_id
      join market.selection s on s.selection_id = p.selection_id
     where m.event_id = any (v_ids)
       and e.event_id = any (v_ids) -- the events by their key too: never a scan of core.event
       and m.status in ('settled', 'void')
       for key share of p
  ),
  market_size as (
    -- forecasters with a prediction on the market (several picks by one count once)
    select d.market_id, count(*) as forecasters
      from (select pr.market_id, pr.forecaster_id from preds pr group by pr.market_id, pr.forecaster_id) d
     group by d.market_id
  ),
  selection_points as (
    -- rarity and the points a win earns depend only on the selection: computed once per selection
    -- (a forecaster picks a selection at most once, so count(*) counts forecasters)
    select x.market_id, x.selection_id, x.rarity_share,
           coalesce(rule.points_min, 2)
             + round((coalesce(rule.points_max, 6) - coalesce(rule.points_min, 2))
                     * power(1 - x.rarity_share, coalesce(rule.curve_exponent, 1)) / coalesce(rule.points_step, 1))
               * coalesce(rule.points_step, 1) as win_points,
           coalesce(rule.loss_points, 0) as loss_points,
           coalesce(rule.log_loss_epsilon, 1e-15) as eps
      from (select pr.market_id, pr.selection_id, pr.market_type, count(*)::numeric / ms.forecasters as rarity_share
              from preds pr
              join market_size ms on ms.market_id = pr.market_id
             group by pr.market_id, pr.selection_id, pr.market_type, ms.forecasters) x
      left join forecast.scoring_rule rule on rule.market_type = x.market_type
  ),
  dead_heat as (
    -- the dead-heat rule, per event of the batch (selection ids are unique across events)
    select d.selection_id, d.places, d.tied
      from unnest(v_ids) as ev (id)
     cross join lateral market.dead_heats(ev.id) d
  ),
  computed as (
    select pr.prediction_id, pr.forecaster_id, pr.event_id, pr.result_version, pr.probability, pr.odds, pr.stake,
           o.outcome, sp.rarity_share, sp.win_points, sp.loss_points, sp.eps,
           coalesce(dh.places, 1) as places, coalesce(dh.tied, 1) as tied
      from preds pr
      join selection_points sp on sp.market_id = pr.market_id and sp.selection_id = pr.selection_id
      left join dead_heat dh on dh.selection_id = pr.selection_id
     cross join lateral (select case when pr.market_status = 'void' or pr.result = 'void' then 'void'
                                     when pr.result = 'won' then 'win'
                                     when pr.result = 'lost' then 'loss' end as outcome) o
     where o.outcome is not null
  ),
  scored_rows as (
    select c.prediction_id, c.forecaster_id, c.event_id, c.result_version, c.outcome, c.rarity_share,
           case c.outcome when 'win' then c.win_points when 'loss' then c.loss_points else 0 end as points,
           case when c.outcome in ('win', 'loss') and c.odds is not null then c.stake else 0 end as staked,
           case when c.odds is null then null
                else market.settled_pnl('back', c.odds, c.stake, case c.outcome when 'win' then 'won' when 'loss' then 'lost' else 'void' end,
                                        c.places, c.tied) end as units,
           c.probability,
           case when c.probability is not null and c.outcome <> 'void'
                then power(c.probability::float8 - case c.outcome when 'win' then 1 else 0 end, 2) end as brier,
           case when c.probability is null or c.outcome = 'void' then null
                else forecast.log_loss(c.probability, c.outcome = 'win', c.eps) end as log_loss
      from computed c
  )
  insert into forecast.prediction_score as ps
         (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, units,
          probability, brier, log_loss, result_version, scored_at)
  select s.prediction_id, s.forecaster_id, s.event_id, s.outcome, s.points, s.rarity_share, s.staked, s.units,
         s.probability, s.brier, s.log_loss, s.result_version, now()
    from scored_rows s
  on conflict (prediction_id) do update
     set forecaster_id = excluded.forecaster_id,
         event_id = excluded.event_id,
         outcome = excluded.outcome,
         points = excluded.points,
         rarity_share = excluded.rarity_share,
         staked = excluded.staked,
         units = excluded.units,
         probability = excluded.probability,
         brier = excluded.brier,
         log_loss = excluded.log_loss,
         result_version = excluded.result_version,
         scored_at = excluded.scored_at
   where (ps.forecaster_id, ps.event_id, ps.outcome, ps.points, ps.rarity_share, ps.staked, ps.units,
          ps.probability, ps.brier, ps.log_loss, ps.result_version)
         is distinct from
         (excluded.forecaster_id, excluded.event_id, excluded.outcome, excluded.points, excluded.rarity_share, excluded.staked,
          excluded.units, excluded.probability, excluded.brier, excluded.log_loss, excluded.result_version);

  for v_id, v_owed, v_owed_rv in
    select u.id, u.v, u.rv from unnest(v_owed_ids, v_owed_versions, v_owed_rvs) as u (id, v, rv)
  loop
    perform forecast.record_scoring(v_id, 'scores', v_owed, v_owed_rv);
  end loop;

  return query
    select ev.id, (select count(*)::integer from forecast.prediction_score ps where ps.event_id = ev.id)
      from unnest(v_ids) as ev (id)
     order by ev.id;
end;
$$;
comment on function forecast.score_events(bigint[]) is
  'Settles each event (market.settle_event), then (re)computes every prediction score of all the events in one set-based statement, so the statistics maintenance runs once for the batch: outcome, points by the market type''s forecast.scoring_rule, rarity share, units at the odds taken (market.settled_pnl: the dead-heat rule of market.dead_heats), Brier score and log loss (forecast.log_loss). Idempotent (unchanged scores are not rewritten), serialised per event by an advisory lock taken in ascending event order; the predictions read are held (for key share), so a concurrent delete of one either waits or is seen; scores of markets no longer settled are removed; records in forecast.event_scoring, per event, the owed version it caught up with (read before the result). Returns each event with its number of scored predictions; SL040 for an unknown event (nothing is written). Security definer: forecast.prediction_score and the settlement are written with owner authority only.';

create or replace function forecast.score_event(p_event_id bigint) returns integer
language sql
volatile
strict
security definer -- scores are written with owner authority (forecast.tg_prediction_score__guard)
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(sum(s.predictions), 0)::integer from forecast.score_events(array[p_event_id]) s
$$;
comment on function forecast.score_event(bigint) is
  'One event through forecast.score_events: settles the event (market.settle_event), then (re)computes every prediction score of the event in one set-based statement: outcome, points by the market type''s forecast.scoring_rule, rarity share, units at the odds taken (market.settled_pnl: the dead-heat rule of market.dead_heats), Brier score and log loss (forecast.log_loss). Idempotent (unchanged scores are not rewritten), serialised per event by an advisory lock; scores of markets no longer settled are removed; records in forecast.event_scoring the owed version it caught up with (read before the result). Returns the number of scored predictions of the event. Security definer: forecast.prediction_score and the settlement (market.settle_event) are written with owner authority only.';
