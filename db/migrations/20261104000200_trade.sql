-- migrate:up
-- Trading: strategies, bets (partitioned by day on placed_at, kept forever) and strategy
-- performance by hour and by day, maintained like a continuous aggregate by
-- trade.refresh_strategy_performance() (sql/060_trade.sql).

create schema trade;
comment on schema trade is 'Trading strategies and their bets; settlement computes P&L and commission (trade.settle_bets).';

create table trade.strategy (
  strategy_id integer generated always as identity primary key,
  name text not null constraint strategy_name_given check (length(btrim(name)) > 0),
  version text not null constraint strategy_version_given check (length(btrim(version)) > 0),
  description text,
  parameters jsonb not null default '{}' constraint strategy_parameters_is_object check (jsonb_typeof(parameters) = 'object'),
  active boolean not null default true,
  commission_rate numeric(5, 4) constraint strategy_commission_rate_range check (commission_rate >= 0 and commission_rate < 1),
  created_at timestamptz not null default now(),
  constraint strategy_name_version_key unique (name, version)
);
comment on table trade.strategy is 'A trading strategy: name + version unique, its parameters (JSON object), whether it is active, and optionally the commission rate its bets pay.';
comment on column trade.strategy.parameters is 'The strategy''s parameters (thresholds, staking), a JSON object.';
comment on column trade.strategy.commission_rate is 'Commission on net winnings for this strategy''s bets, as a fraction; null: the rate of the bet''s source (market.source.commission_rate).';

create sequence trade.bet_bet_id_seq;
comment on sequence trade.bet_bet_id_seq is 'Ids of trade.bet (a sequence rather than an identity column: identity on partitioned tables is PostgreSQL 17+ only).';

create table trade.bet (
  bet_id bigint not null default nextval('trade.bet_bet_id_seq'),
  placed_at timestamptz not null default now(),
  strategy_id integer not null constraint bet_strategy_fk references trade.strategy on delete restrict,
  selection_id bigint not null constraint bet_selection_fk references market.selection on delete restrict,
  source_id smallint not null constraint bet_source_fk references market.source on delete restrict,
  market_type text not null constraint bet_market_type_fk references market.market_type on delete restrict,
  side text not null constraint bet_side_known check (side in ('back', 'lay')),
  odds numeric(10, 4) not null constraint bet_odds_above_one check (odds > 1),
  stake numeric(14, 2) not null constraint bet_stake_positive check (stake > 0),
  status text not null default 'pending'
    constraint bet_status_known check (status in ('pending', 'matched', 'settled', 'cancelled', 'void')),
  matched_at timestamptz,
  settled_at timestamptz,
  result text constraint bet_result_known check (result in ('won', 'lost', 'void')),
  pnl numeric(14, 2),
  commission numeric(14, 2) constraint bet_commission_non_negative check (commission >= 0),
  external_ref text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint bet_pkey primary key (bet_id, placed_at),
  constraint bet_outcome_iff_settled check ((status in ('settled', 'void')) = (pnl is not null and commission is not null and settled_at is not null)),
  constraint bet_matched_has_time check (status not in ('matched', 'settled') or matched_at is not null)
) partition by range (placed_at);
comment on table trade.bet is
  'A bet placed by a strategy: back or lay a selection at decimal odds for a stake. Status pending -> matched -> settled, or cancelled, or void (enforced by trade.tg_bet__guard). P&L and commission are computed by trade.settle_bets, never typed in. Partitioned by day on placed_at; kept forever (no retention).';
comment on column trade.bet.market_type is 'The type of the selection''s market, copied on insert (for performance by market type).';
comment on column trade.bet.side is 'back: win if the selection wins; lay: win if it does not.';
comment on column trade.bet.odds is 'Decimal odds taken (> 1).';
comment on column trade.bet.stake is 'Backer''s stake; for a lay bet, the backer''s stake laid (liability = stake x (odds - 1)).';
comment on column trade.bet.result is 'The selection''s result the bet was settled on (won, lost, void).';
comment on column trade.bet.pnl is 'Profit or loss after commission, set by settlement: back win stake x (odds - 1) - commission; back loss -stake; lay win stake - commission; lay loss -stake x (odds - 1); void 0.';
comment on column trade.bet.commission is 'Commission on the bet''s net winnings, set by settlement (0 on a loss or void).';
comment on column trade.bet.external_ref is 'The exchange''s id of the bet, when there is one.';
create index bet_strategy_placed_idx on trade.bet (strategy_id, placed_at);
create index bet_selection_idx on trade.bet (selection_id);
create table trade.bet_default partition of trade.bet default;
comment on table trade.bet_default is 'Bets whose placed_at has no daily partition; should stay empty (maint.default_partition_rows()).';

insert into maint.partition_policy (parent, granularity, premake, retention, note) values
  ('trade.bet', '1 day', '7 days', null, 'Bets are the audit trail: kept forever.');

create table trade.performance_invalidation (
  invalidation_id bigint generated always as identity primary key,
  bucket timestamptz not null,
  logged_at timestamptz not null default now()
);
comment on table trade.performance_invalidation is
  'The invalidation log of strategy performance: the hours (of placed_at) touched by bets inserted, changed or deleted since the last trade.refresh_strategy_performance(), which re-aggregates exactly these hours and the days containing them. Written by statement triggers on trade.bet.';
comment on column trade.performance_invalidation.bucket is 'The start of the touched hour (UTC).';
create index performance_invalidation_bucket_idx on trade.performance_invalidation (bucket);

create table trade.performance_watermark (
  singleton boolean primary key default true constraint performance_watermark_one_row check (singleton),
  watermark timestamptz,
  refreshed_at timestamptz
);
comment on table trade.performance_watermark is
  'The watermark of the strategy performance aggregate: stats.strategy_performance_hourly and _daily are materialised for every change to bets placed before it, except the hours still in trade.performance_invalidation.';
comment on column trade.performance_watermark.watermark is 'The p_until of the last refresh: invalidated hours before it were re-aggregated.';
insert into trade.performance_watermark (singleton) values (true);

create table stats.strategy_performance_hourly (
  bucket timestamptz not null constraint strategy_performance_hourly_bucket_is_hour check (extract(epoch from bucket)::numeric % 3600 = 0),
  strategy_id integer not null constraint strategy_performance_hourly_strategy_fk references trade.strategy on delete cascade,
  market_type text not null constraint strategy_performance_hourly_market_type_fk references market.market_type on delete cascade,
  bets integer not null,
  matched integer not null,
  settled integer not null,
  won integer not null,
  lost integer not null,
  void integer not null,
  cancelled integer not null,
  stake numeric not null,
  settled_stake numeric not null,
  gross_win numeric not null,
  gross_loss numeric not null,
  pnl numeric not null,
  commission numeric not null,
  roi numeric generated always as (case when settled_stake > 0 then round(pnl / settled_stake, 6) end) stored,
  win_rate numeric generated always as (case when won + lost > 0 then round(won::numeric / (won + lost), 6) end) stored,
  profit_factor numeric generated always as (case when gross_loss > 0 then round(gross_win / gross_loss, 6) end) stored,
  expectancy numeric generated always as (case when won + lost > 0 then round(pnl / (won + lost), 6) end) stored,
  refreshed_at timestamptz not null default now(),
  constraint strategy_performance_hourly_pkey primary key (strategy_id, market_type, bucket)
) partition by range (bucket);
comment on table stats.strategy_performance_hourly is
  'Strategy performance per hour of placed_at (UTC), strategy and market type: counts and sums of bets; ROI, win rate, profit factor and expectancy computed from the sums. Maintained like a continuous aggregate by trade.refresh_strategy_performance() (watermark + invalidation log: late or corrected bets re-aggregate their hour). Partitioned by month: a few dozen rows per strategy per day do not justify hourly or daily partitions, and a month is the unit a DBA would archive.';
comment on column stats.strategy_performance_hourly.bucket is 'The hour of placed_at (UTC).';
comment on column stats.strategy_performance_hourly.bets is 'Bets placed in the hour (every status).';
comment on column stats.strategy_performance_hourly.matched is 'Bets that were matched (status matched, settled or void after matching).';
comment on column stats.strategy_performance_hourly.settled is 'Bets settled won or lost (status settled).';
comment on column stats.strategy_performance_hourly.void is 'Bets settled void (stake returned).';
comment on column stats.strategy_performance_hourly.stake is 'Total stake of the bets placed.';
comment on column stats.strategy_performance_hourly.settled_stake is 'Stake of the bets settled won or lost: the denominator of ROI.';
comment on column stats.strategy_performance_hourly.gross_win is 'Sum of the positive P&L of settled bets.';
comment on column stats.strategy_performance_hourly.gross_loss is 'Sum of the losses of settled bets, as a positive number.';
comment on column stats.strategy_performance_hourly.pnl is 'Net P&L after commission of the settled bets.';
comment on column stats.strategy_performance_hourly.roi is 'pnl / settled_stake.';
comment on column stats.strategy_performance_hourly.win_rate is 'won / (won + lost).';
comment on column stats.strategy_performance_hourly.profit_factor is 'gross_win / gross_loss (null without losses).';
comment on column stats.strategy_performance_hourly.expectancy is 'P&L per settled bet: pnl / (won + lost).';
create table stats.strategy_performance_hourly_default partition of stats.strategy_performance_hourly default;
comment on table stats.strategy_performance_hourly_default is 'Hours without a monthly partition; trade.refresh_strategy_performance() creates the partitions it needs, so this stays empty.';

insert into maint.partition_policy (parent, granularity, premake, retention, note) values
  ('stats.strategy_performance_hourly', '1 month', '1 month', null, 'Derived from bets, which are kept forever; monthly partitions.');

create table stats.strategy_performance_daily (
  day date not null,
  strategy_id integer not null constraint strategy_performance_daily_strategy_fk references trade.strategy on delete cascade,
  market_type text not null constraint strategy_performance_daily_market_type_fk references market.market_type on delete cascade,
  bets integer not null,
  matched integer not null,
  settled integer not null,
  won integer not null,
  lost integer not null,
  void integer not null,
  cancelled integer not null,
  stake numeric not null,
  settled_stake numeric not null,
  gross_win numeric not null,
  gross_loss numeric not null,
  pnl numeric not null,
  commission numeric not null,
  roi numeric generated always as (case when settled_stake > 0 then round(pnl / settled_stake, 6) end) stored,
  win_rate numeric generated always as (case when won + lost > 0 then round(won::numeric / (won + lost), 6) end) stored,
  profit_factor numeric generated always as (case when gross_loss > 0 then round(gross_win / gross_loss, 6) end) stored,
  expectancy numeric generated always as (case when won + lost > 0 then round(pnl / (won + lost), 6) end) stored,
  refreshed_at timestamptz not null default now(),
  constraint strategy_performance_daily_pkey primary key (strategy_id, market_type, day)
);
comment on table stats.strategy_performance_daily is
  'Daily rollup (UTC days) of stats.strategy_performance_hourly: the sums of the hours, and the ratios recomputed from those sums (never an average of hourly ratios). Maintained by trade.refresh_strategy_performance(), which re-aggregates only the days containing invalidated hours.';
comment on column stats.strategy_performance_daily.day is 'The UTC day of placed_at.';
comment on column stats.strategy_performance_daily.roi is 'pnl / settled_stake of the day.';
comment on column stats.strategy_performance_daily.win_rate is 'won / (won + lost) of the day.';
comment on column stats.strategy_performance_daily.profit_factor is 'gross_win / gross_loss of the day.';
comment on column stats.strategy_performance_daily.expectancy is 'pnl / (won + lost) of the day.';
create index strategy_performance_daily_day_idx on stats.strategy_performance_daily (day);

-- migrate:down
delete from maint.partition_policy where parent in ('trade.bet'::regclass, 'stats.strategy_performance_hourly'::regclass);
drop table stats.strategy_performance_daily;
drop table stats.strategy_performance_hourly;
drop schema trade cascade;
