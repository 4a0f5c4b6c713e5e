-- trade: the bet lifecycle, settlement (P&L and commission), the strategy performance
-- aggregate (watermark + invalidation log), and race-model predictions.
-- Re-applied by `scoreline migrate`; everything here is idempotent.
--
-- SQLSTATEs raised here:
--   SL083  a bet's status cannot make that change (or a bet inserted already settled)
--   SL084  pnl, commission, result or settled_at written outside trade.settle_bets
--   SL085  a bet's terms (side, odds, stake, selection, strategy, source, placed_at) changed once it left pending
--   SL086  trade.settle_bets on an event that does not exist
--   SL087  a race prediction by a forecaster that is not a model

-- Bets --------------------------------------------------------------------------

create or replace function trade.settling() returns boolean
language sql
stable
return coalesce(current_setting('scoreline.settling_bets', true), '') = 'on';
comment on function trade.settling() is 'True inside trade.settle_bets: the only writer of a bet''s pnl, commission, result and settled_at.';

create or replace function trade.tg_bet__guard() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_mtype text;
begin
  -- numeric NaN compares greater than every number, so the range checks alone let it through;
  -- an infinite placed_at would land in the default partition and never be settled
  if new.odds = 'NaN'::numeric then
    raise exception 'bet refused: odds NaN is not a number above 1'
      using errcode = '23514', constraint = 'bet_odds_above_one', table = 'bet', schema = 'trade';
  end if;
  if new.stake = 'NaN'::numeric then
    raise exception 'bet refused: stake NaN is not a positive amount'
      using errcode = '23514', constraint = 'bet_stake_positive', table = 'bet', schema = 'trade';
  end if;
  if not isfinite(new.placed_at) then
    raise exception 'bet refused: placed_at % is not a point in time', new.placed_at
      using errcode = '22008', hint = 'leave placed_at to its default, now()';
  end if;
  if tg_op = 'INSERT' then
    select m.market_type into v_mtype
      from market.selection s join market.market m on m.market_id = s.market_id
     where s.selection_id = new.selection_id;
    if not found then
      raise exception 'bet on selection %, which does not exist', new.selection_id
        using errcode = '23503', constraint = 'bet_selection_fk', table = 'bet', schema = 'trade';
    end if;
    new.market_type := v_mtype;
    if new.status in ('settled', 'cancelled', 'void') then
      raise exception 'a bet is placed pending or matched, not %', new.status
        using errcode = 'SL083', hint = 'settlement is done by trade.settle_bets(event_id)';
    end if;
    if num_nonnulls(new.pnl, new.commission, new.result, new.settled_at) > 0 then
      raise exception 'bet on selection %: pnl, commission, result and settled_at are computed by settlement, not given', new.selection_id
        using errcode = 'SL084', hint = 'leave them null; trade.settle_bets(event_id) computes them';
    end if;
    if new.status = 'matched' then
      new.matched_at := coalesce(new.matched_at, new.placed_at);
    end if;
    return new;
  end if;

  -- UPDATE
  if not trade.settling() then
    if (new.pnl, new.commission, new.result, new.settled_at)
       is distinct from (old.pnl, old.commission, old.result, old.settled_at) then
      raise exception 'bet % (placed %): pnl, commission, result and settled_at are computed by settlement, not written', old.bet_id, old.placed_at
        using errcode = 'SL084', hint = 'set the selection''s result and settle the market, then call trade.settle_bets(event_id)';
    end if;
    if new.status is distinct from old.status
       and new.status in ('pending', 'matched', 'settled', 'cancelled', 'void')
       and (old.status, new.status) not in (('pending', 'matched'), ('pending', 'cancelled'), ('pending', 'void'), ('matched', 'void')) then
      raise exception 'bet % (placed %): status cannot go from % to %', old.bet_id, old.placed_at, old.status, new.status
        using errcode = 'SL083',
              hint = case when new.status = 'settled' then 'bets are settled by trade.settle_bets(event_id)'
                          else 'allowed: pending -> matched | cancelled | void, matched -> void (settled, cancelled and void are final)' end;
    end if;
    if old.status <> 'pending'
       and (new.side, new.odds, new.stake, new.selection_id, new.strategy_id, new.source_id, new.placed_at, new.market_type)
           is distinct from (old.side, old.odds, old.stake, old.selection_id, old.strategy_id, old.source_id, old.placed_at, old.market_type) then
      raise exception 'bet % (placed %) is %: its terms can no longer change', old.bet_id, old.placed_at, old.status
        using errcode = 'SL085', hint = 'cancel or void it and place a new bet';
    end if;
    if new.status = 'void' and old.status <> 'void' then
      -- voided by the exchange or the operator: the stake is returned
      new.pnl := 0;
      new.commission := 0;
      new.settled_at := now();
    end if;
  end if;
  if new.status = 'matched' and old.status = 'pending' then
    new.matched_at := coalesce(new.matched_at, now());
  end if;
  new.updated_at := now();
  return new;
end;
$$;
comment on function trade.tg_bet__guard() is
  'Before insert or update of trade.bet: refuses NaN odds or stake (as their range constraints, which NaN passes) and an infinite placed_at (22008); copies market_type from the selection''s market; a bet is placed pending or matched (SL083); status changes pending -> matched | cancelled | void and matched -> void only, settled comes from trade.settle_bets (SL083); pnl, commission, result and settled_at are written only by settlement (SL084); terms freeze once the bet leaves pending (SL085); a voided bet gets P&L 0.';

drop trigger if exists _100_guard on trade.bet;
create trigger _100_guard
  before insert or update on trade.bet
  for each row execute function trade.tg_bet__guard();

create or replace function trade.settle_bets(p_event_id bigint) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev record;
  v_n_settled integer;
  v_n_lapsed integer;
begin
  select e.event_id, e.external_id, e.scheduled_start into v_ev from core.event e where e.event_id = p_event_id;
  if not found then
    raise exception 'trade.settle_bets: no event %', p_event_id using errcode = 'SL086';
  end if;
  perform set_config('scoreline.settling_bets', 'on', true);

  with outcome as (
    select b.bet_id, b.placed_at, b.side, b.odds, b.stake,
           case when m.status = 'void' then 'void' else s.result end as result,
           coalesce(st.commission_rate, src.commission_rate) as rate
      from market.market m
      join market.selection s on s.market_id = m.market_id
      join trade.bet b on b.selection_id = s.selection_id
      join trade.strategy st on st.strategy_id = b.strategy_id
      join market.source src on src.source_id = b.source_id
     where m.event_id = p_event_id
       and (m.status = 'void' or (m.status = 'settled' and s.result is not null))
       and (b.status = 'matched' or (b.status in ('settled', 'void') and b.result is not null))
  ), gross as (
    select o.*,
           case when o.result = 'void' then 0::numeric
                when o.side = 'back' and o.result = 'won' then round(o.stake * (o.odds - 1), 2)
                when o.side = 'back' then -o.stake
                when o.result = 'lost' then o.stake
                else -round(o.stake * (o.odds - 1), 2) end as gross
      from outcome o
  ), priced as (
    select g.*,
           case when g.gross > 0 then round(g.gross * g.rate, 2) else 0::numeric end as commission
      from gross g
  ), written as (
    update trade.bet b
       set status = case when p.result = 'void' then 'void' else 'settled' end,
           result = p.result,
           commission = p.commission,
           pnl = p.gross - p.commission,
           settled_at = now()
      from priced p
     where b.bet_id = p.bet_id and b.placed_at = p.placed_at
       and (b.status = 'matched'
            or (b.result, b.pnl, b.commission) is distinct from (p.result, p.gross - p.commission, p.commission))
    returning 1
  )
  select count(*) into v_n_settled from written;

  -- bets never matched lapse when their market is settled or void
  with lapsed as (
    update trade.bet b
       set status = 'cancelled'
      from market.selection s
      join market.market m on m.market_id = s.market_id
     where b.selection_id = s.selection_id
       and m.event_id = p_event_id
       and m.status in ('settled', 'void')
       and b.status = 'pending'
    returning 1
  )
  select count(*) into v_n_lapsed from lapsed;

  perform set_config('scoreline.settling_bets', '', true);
  return v_n_settled + v_n_lapsed;
end;
$$;
comment on function trade.settle_bets(bigint) is
  'Settles the bets on an event''s settled or void markets from market.selection.result and returns how many bets it changed. Back win: stake x (odds - 1) less commission; back loss: -stake; lay win (selection lost): +stake less commission; lay loss: -stake x (odds - 1); void selection or market: 0. Commission = rate x positive winnings, rounded to cents, the rate from trade.strategy.commission_rate else market.source.commission_rate. Re-running after a corrected result re-settles the bets whose outcome changed; unmatched (pending) bets lapse to cancelled. SL086 when the event does not exist.';

-- Strategy performance: invalidation log ------------------------------------------

create or replace function trade.hour_of(p_at timestamptz) returns timestamptz
language sql
immutable
strict
return date_bin('1 hour', p_at, timestamptz '2000-01-01 00:00:00+00');
comment on function trade.hour_of(timestamptz) is 'The start of the UTC hour containing p_at (the bucket of strategy performance).';

create or replace function trade.tg_bet__invalidate_inserted() returns trigger
language plpgsql
security definer -- app sessions place bets, not write the invalidation log
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into trade.performance_invalidation (bucket)
  select distinct trade.hour_of(n.placed_at) from new_bets n;
  return null;
end;
$$;
comment on function trade.tg_bet__invalidate_inserted() is 'After insert on trade.bet (per statement): logs the hours of the new bets in trade.performance_invalidation.';

create or replace function trade.tg_bet__invalidate_updated() returns trigger
language plpgsql
volatile
security definer -- app sessions place bets, not write the invalidation log
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into trade.performance_invalidation (bucket)
  select trade.hour_of(o.placed_at) from old_bets o
  union
  select trade.hour_of(n.placed_at) from new_bets n;
  return null;
end;
$$;
comment on function trade.tg_bet__invalidate_updated() is 'After update on trade.bet (per statement): logs the hours of the changed bets (before and after) in trade.performance_invalidation.';

create or replace function trade.tg_bet__invalidate_deleted() returns trigger
language plpgsql
volatile
security definer -- app sessions place bets, not write the invalidation log
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into trade.performance_invalidation (bucket)
  select distinct trade.hour_of(o.placed_at) from old_bets o;
  return null;
end;
$$;
comment on function trade.tg_bet__invalidate_deleted() is 'After delete on trade.bet (per statement): logs the hours of the deleted bets in trade.performance_invalidation.';

drop trigger if exists _200_invalidate_inserted on trade.bet;
create trigger _200_invalidate_inserted
  after insert on trade.bet
  referencing new table as new_bets
  for each statement execute function trade.tg_bet__invalidate_inserted();

drop trigger if exists _200_invalidate_updated on trade.bet;
create trigger _200_invalidate_updated
  after update on trade.bet
  referencing old table as old_bets new table as new_bets
  for each statement execute function trade.tg_bet__invalidate_updated();

drop trigger if exists _200_invalidate_deleted on trade.bet;
create trigger _200_invalidate_deleted
  after delete on trade.bet
  referencing old table as old_bets
  for each statement execute function trade.tg_bet__invalidate_deleted();

-- Strategy performance: refresh ---------------------------------------------------

create or replace function trade.refresh_strategy_performance(p_until timestamptz default now()) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_hours timestamptz[];
  v_days date[];
  v_h_from timestamptz;
  v_h_to timestamptz;
begin
  -- one refresher at a time; bets keep flowing (they only append to the log)
  perform 1 from trade.performance_watermark for update;

  with taken as (
    delete from trade.performance_invalidation where bucket < p_until returning bucket
  )
  select array_agg(distinct bucket order by bucket) into v_hours from taken;

  if v_hours is not null then
    v_h_from := v_hours[1];
    v_h_to := v_hours[cardinality(v_hours)] + interval '1 hour';
    perform maint.ensure_partitions('stats.strategy_performance_hourly'::regclass, v_h_from, v_h_to - interval '1 microsecond');

    delete from stats.strategy_performance_hourly where bucket = any (v_hours);
    insert into stats.strategy_performance_hourly
      (bucket, strategy_id, market_type, bets, matched, settled, won, lost, void, cancelled,
       stake, settled_stake, gross_win, gross_loss, pnl, commission)
    select trade.hour_of(b.placed_at), b.strategy_id, b.market_type,
           count(*),
           count(*) filter (where b.matched_at is not null),
           count(*) filter (where b.status = 'settled'),
           count(*) filter (where b.status = 'settled' and (b.side = 'back') = (b.result = 'won')),
           count(*) filter (where b.status = 'settled' and (b.side = 'back') <> (b.result = 'won')),
           count(*) filter (where b.status = 'void'),
           count(*) filter (where b.status = 'cancelled'),
           sum(b.stake),
           coalesce(sum(b.stake) filter (where b.status = 'settled'), 0),
           coalesce(sum(b.pnl) filter (where b.pnl > 0), 0),
           coalesce(-sum(b.pnl) filter (where b.pnl < 0), 0),
           coalesce(sum(b.pnl), 0),
           coalesce(sum(b.commission), 0)
      from trade.bet b
     where b.placed_at >= v_h_from and b.placed_at < v_h_to
       and trade.hour_of(b.placed_at) = any (v_hours)
     group by 1, 2, 3;

    v_days := array(select distinct (h at time zone 'UTC')::date from unnest(v_hours) h);
    delete from stats.strategy_performance_daily where day = any (v_days);
    insert into stats.strategy_performance_daily
      (day, strategy_id, market_type, bets, matched, settled, won, lost, void, cancelled,
       stake, settled_stake, gross_win, gross_loss, pnl, commission)
    select (h.bucket at time zone 'UTC')::date, h.strategy_id, h.market_type,
           sum(h.bets), sum(h.matched), sum(h.settled), sum(h.won), sum(h.lost), sum(h.void), sum(h.cancelled),
           sum(h.stake), sum(h.settled_stake), sum(h.gross_win), sum(h.gross_loss), sum(h.pnl), sum(h.commission)
      from stats.strategy_performance_hourly h
     where h.bucket >= (v_days[1]::timestamp at time zone 'UTC')
       and h.bucket < ((v_days[cardinality(v_days)] + 1)::timestamp at time zone 'UTC')
       and (h.bucket at time zone 'UTC')::date = any (v_days)
     group by 1, 2, 3;
  end if;

  update trade.performance_watermark
     set watermark = greatest(watermark, p_until), refreshed_at = now();
  return coalesce(cardinality(v_hours), 0);
end;
$$;
comment on function trade.refresh_strategy_performance(timestamptz) is
  'Refreshes stats.strategy_performance_hourly and stats.strategy_performance_daily like a continuous aggregate: takes the hours logged in trade.performance_invalidation before p_until (default now), re-aggregates exactly those hours from trade.bet and the days containing them from the hours (ratios from sums, never averaged), and moves the watermark. Returns the number of hours re-aggregated. Called by the refresh orchestrator for both tables.';

create or replace function trade.refresh_strategy_performance(p_object regclass, p_parameters jsonb) returns integer
language sql
volatile
begin atomic
  select trade.refresh_strategy_performance(coalesce((p_parameters ->> 'until')::timestamptz, now()));
end;
comment on function trade.refresh_strategy_performance(regclass, jsonb) is
  'The refresh orchestrator''s entry point (refresh.object.refresh_function = trade.refresh_strategy_performance, method function) for stats.strategy_performance_hourly and stats.strategy_performance_daily: one call refreshes both; parameters {"until": timestamptz} optional.';

comment on table stats.strategy_performance_hourly is
  'Strategy performance per hour of placed_at (UTC), strategy and market type: counts and sums of bets; ROI, win rate, profit factor and expectancy computed from the sums. Refreshed by trade.refresh_strategy_performance() (orchestrator: trade.refresh_strategy_performance(regclass, jsonb); watermark in trade.performance_watermark + invalidation log trade.performance_invalidation: late or corrected bets re-aggregate their hour). Partitioned by month: a few dozen rows per strategy per day do not justify smaller partitions.';
comment on table stats.strategy_performance_daily is
  'Daily rollup (UTC days) of stats.strategy_performance_hourly: sums of the hours and ratios recomputed from those sums (never an average of hourly ratios). Refreshed by trade.refresh_strategy_performance() (orchestrator: trade.refresh_strategy_performance(regclass, jsonb)), which re-aggregates only the days containing invalidated hours.';

-- Race-model predictions -------------------------------------------------------------

create or replace function forecast.tg_race_prediction__fill() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev bigint;
  v_fkind text;
begin
  select r.event_id into v_ev from core.runner r where r.runner_id = new.runner_id;
  if not found then
    raise exception 'race prediction for runner %, which does not exist', new.runner_id
      using errcode = '23503', constraint = 'race_prediction_runner_fk', table = 'race_prediction', schema = 'forecast';
  end if;
  new.event_id := v_ev;
  select f.kind into v_fkind from forecast.forecaster f where f.forecaster_id = new.forecaster_id;
  if v_fkind is distinct from 'model' and v_fkind is not null then
    raise exception 'forecaster % is a %: race predictions come from models', new.forecaster_id, v_fkind
      using errcode = 'SL087';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_race_prediction__fill() is
  'Before insert or update of forecast.race_prediction: copies the runner''s event_id; only a model forecaster predicts races (SL087).';

drop trigger if exists _100_fill on forecast.race_prediction;
create trigger _100_fill
  before insert or update of runner_id, forecaster_id on forecast.race_prediction
  for each row execute function forecast.tg_race_prediction__fill();
