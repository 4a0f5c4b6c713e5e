-- trade: the strategy performance aggregate, a continuous aggregate by hand: statement
-- triggers on trade.bet log the hours changed (trade.performance_invalidation),
-- trade.refresh_strategy_performance re-aggregates them into stats.strategy_performance_hourly
-- and the days containing them into stats.strategy_performance_daily, registered for the
-- refresh orchestrator (method function). Re-applied by `scoreline migrate`; idempotent.
-- See docs/timeseries.md.

-- Strategy performance: invalidation log ------------------------------------------

create or replace function trade.hour_of(p_at timestamptz) returns timestamptz
language sql
immutable
strict
return date_bin('1 hour', p_at, timestamptz '2000-01-01 00:00:00+00');
comment on function trade.hour_of(timestamptz) is 'The start of the UTC hour containing p_at (the bucket of strategy performance).';

create or replace function trade.tg_bet__invalidate_inserted() returns trigger
language plpgsql
volatile
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

    -- in order: the range below runs from the first day to the last
    v_days := array(select distinct (h at time zone 'UTC')::date from unnest(v_hours) h order by 1);
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

  -- What refresh.status says of both tables (they read the log, refresh.dependency):
  if exists (select from trade.performance_invalidation) then
    -- hours at or after p_until are not aggregated yet: the tables stay stale
    update refresh.object o set stale_since = coalesce(o.stale_since, now())
     where o.object in ('stats.strategy_performance_hourly'::regclass, 'stats.strategy_performance_daily'::regclass);
  else
    -- taking the log marked them stale in this transaction (that mark is stamped now()), yet
    -- everything logged is aggregated: take the mark back. A mark by a writer that committed
    -- meanwhile has another time and stays; one still in flight comes after this commit.
    update refresh.object o set stale_since = null
     where o.object in ('stats.strategy_performance_hourly'::regclass, 'stats.strategy_performance_daily'::regclass)
       and o.stale_since = now();
  end if;
  return coalesce(cardinality(v_hours), 0);
end;
$$;
comment on function trade.refresh_strategy_performance(timestamptz) is
  'Refreshes stats.strategy_performance_hourly and stats.strategy_performance_daily like a continuous aggregate: takes the hours logged in trade.performance_invalidation before p_until (default now), re-aggregates exactly those hours from trade.bet and the days containing them from the hours (ratios from sums, never averaged), and moves the watermark. Returns the number of hours re-aggregated. Called by the refresh orchestrator for both tables (method function, their source the invalidation log); leaves them stale in refresh.object while hours at or after p_until wait in the log.';

create or replace function trade.refresh_strategy_performance(p_object regclass, p_parameters jsonb) returns integer
language sql
volatile
begin atomic
  select trade.refresh_strategy_performance(coalesce((p_parameters ->> 'until')::timestamptz, now()));
end;
comment on function trade.refresh_strategy_performance(regclass, jsonb) is
  'The refresh orchestrator''s entry point (refresh.object.refresh_function = trade.refresh_strategy_performance, method function) for stats.strategy_performance_hourly and stats.strategy_performance_daily: one call refreshes both; parameters {"until": timestamptz} optional.';

-- Registered for the refresh orchestrator (method function). Their source is the
-- invalidation log: every statement changing bets writes it in its own transaction, so a
-- change to a bet makes both tables stale until the function has re-aggregated it (the log
-- is one small table, where trade.bet has a partition per day). A DBA's later changes to
-- these rows are kept: only rows still as registered by refresh.sync ('maintained') change.
update refresh.object
   set method = 'function', refresh_function = 'trade.refresh_strategy_performance'
 where object in ('stats.strategy_performance_hourly'::regclass, 'stats.strategy_performance_daily'::regclass)
   and method = 'maintained';

insert into refresh.dependency (dependent, parent, strength, origin, note)
values ('stats.strategy_performance_hourly', 'trade.performance_invalidation', 'hard', 'declared',
        'the hours of the bets changed, which trade.refresh_strategy_performance re-aggregates from trade.bet'),
       ('stats.strategy_performance_daily', 'trade.performance_invalidation', 'hard', 'declared',
        'the hours of the bets changed, whose days trade.refresh_strategy_performance re-aggregates from the hours')
on conflict (dependent, parent) do nothing;

comment on table stats.strategy_performance_hourly is
  'Strategy performance per hour of placed_at (UTC), strategy and market type: counts and sums of bets; ROI, win rate, profit factor and expectancy computed from the sums. Refreshed by trade.refresh_strategy_performance() (orchestrator: trade.refresh_strategy_performance(regclass, jsonb); watermark in trade.performance_watermark + invalidation log trade.performance_invalidation: late or corrected bets re-aggregate their hour). Partitioned by month: a few dozen rows per strategy per day do not justify smaller partitions.';
comment on table stats.strategy_performance_daily is
  'Daily rollup (UTC days) of stats.strategy_performance_hourly: sums of the hours and ratios recomputed from those sums (never an average of hourly ratios). Refreshed by trade.refresh_strategy_performance() (orchestrator: trade.refresh_strategy_performance(regclass, jsonb)), which re-aggregates only the days containing invalidated hours.';
