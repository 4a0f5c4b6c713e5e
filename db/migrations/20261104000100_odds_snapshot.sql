-- migrate:up
-- Odds as a time series on native PostgreSQL partitions (no TimescaleDB): raw snapshots
-- partitioned by day, their 1-minute bars (what raw odds older than a week become), and
-- the policy table that drives partition maintenance (sql/065_partition.sql).

create schema maint;
comment on schema maint is 'Partition maintenance: the policy a DBA edits (maint.partition_policy) and the procedures that create partitions ahead, drop expired ones and downsample raw odds.';

create table maint.partition_policy (
  parent regclass primary key,
  granularity interval not null
    constraint partition_policy_granularity_known check (granularity in ('1 hour', '1 day', '1 month')),
  premake interval not null default '7 days'
    constraint partition_policy_premake_non_negative check (premake >= interval '0'),
  retention interval
    constraint partition_policy_retention_positive check (retention > interval '0'),
  downsample_after interval
    constraint partition_policy_downsample_after_positive check (downsample_after > interval '0'),
  downsample_into regclass,
  enabled boolean not null default true,
  note text,
  updated_at timestamptz not null default now(),
  constraint partition_policy_downsample_complete check ((downsample_after is null) = (downsample_into is null)),
  constraint partition_policy_downsample_before_retention
    check (retention is null or downsample_after is null or downsample_after < retention)
);
comment on table maint.partition_policy is
  'One row per time-partitioned table: partition size, how far ahead partitions are created, retention (null = kept forever) and, for raw odds, when partitions are downsampled into bars. Read and edited by a DBA; applied by call maint.run_partition_maintenance().';
comment on column maint.partition_policy.parent is 'The partitioned table (range-partitioned on one timestamptz column).';
comment on column maint.partition_policy.granularity is 'Size of one partition: 1 hour, 1 day or 1 month, aligned on UTC boundaries.';
comment on column maint.partition_policy.premake is 'How far past now partitions are created ahead of the data.';
comment on column maint.partition_policy.retention is 'Partitions whose whole range is older than now() - retention are detached and dropped (never DELETE). Null keeps them forever.';
comment on column maint.partition_policy.downsample_after is 'Partitions whose whole range is older than now() - downsample_after are aggregated into downsample_into, then detached and dropped.';
comment on column maint.partition_policy.downsample_into is 'The table receiving the aggregate of a downsampled partition (market.odds_bar_1m for market.odds_snapshot).';
comment on column maint.partition_policy.enabled is 'False: maintenance leaves this table alone (maint.ensure_partitions still works).';

create table market.odds_snapshot (
  observed_at timestamptz not null,
  selection_id bigint not null constraint odds_snapshot_selection_fk references market.selection on delete cascade,
  source_id smallint not null constraint odds_snapshot_source_fk references market.source on delete restrict,
  back_price numeric(10, 4) constraint odds_snapshot_back_price_above_one check (back_price > 1),
  back_size numeric(14, 2) constraint odds_snapshot_back_size_non_negative check (back_size >= 0),
  lay_price numeric(10, 4) constraint odds_snapshot_lay_price_above_one check (lay_price > 1),
  lay_size numeric(14, 2) constraint odds_snapshot_lay_size_non_negative check (lay_size >= 0),
  last_traded_price numeric(10, 4) constraint odds_snapshot_last_traded_price_above_one check (last_traded_price > 1),
  volume numeric(16, 2) constraint odds_snapshot_volume_non_negative check (volume >= 0),
  constraint odds_snapshot_has_a_price check (num_nonnulls(back_price, lay_price, last_traded_price) > 0),
  constraint odds_snapshot_pkey primary key (selection_id, source_id, observed_at)
) partition by range (observed_at);
comment on table market.odds_snapshot is
  'Prices of a selection at a source over time (decimal odds), partitioned by day on observed_at (UTC days). Partitions are created ahead by maint.run_partition_maintenance (or maint.ensure_partitions before a historic load); rows outside every partition land in market.odds_snapshot_default, which maint.default_partition_rows() reports. Raw partitions older than 7 days are downsampled into market.odds_bar_1m and dropped. A race''s prices over a time range: join market.market (event_id) -> market.selection -> this table; the primary key (selection_id leading) serves it within the daily partitions the time range prunes to.';
comment on column market.odds_snapshot.observed_at is 'When the price was seen at the source; the partition key.';
comment on column market.odds_snapshot.back_price is 'Best price available to back (decimal odds, > 1).';
comment on column market.odds_snapshot.back_size is 'Money available to back at back_price.';
comment on column market.odds_snapshot.lay_price is 'Best price available to lay (decimal odds, > 1).';
comment on column market.odds_snapshot.lay_size is 'Money available to lay at lay_price.';
comment on column market.odds_snapshot.last_traded_price is 'Price of the last matched trade; for a bookmaker or pari-mutuel source, its quoted odds.';
comment on column market.odds_snapshot.volume is 'Cumulative money traded on the selection at the source up to observed_at (monotone, like Betfair totalMatched).';
comment on constraint odds_snapshot_pkey on market.odds_snapshot is
  'B-tree key: one price per selection, source and instant; serves "latest price of a selection" (backward scan) and a selection''s prices over a time range.';

create index odds_snapshot_observed_at_brin on market.odds_snapshot using brin (observed_at) with (pages_per_range = 32);
comment on index market.odds_snapshot_observed_at_brin is 'BRIN on time: tiny, and rows arrive in time order, so time-range scans across selections skip most blocks.';

create table market.odds_snapshot_default partition of market.odds_snapshot default;
comment on table market.odds_snapshot_default is
  'Rows whose observed_at has no daily partition. Should stay empty: maint.default_partition_rows() reports it, and maint.ensure_partitions moves its rows into the partition it creates for them.';

create table market.odds_bar_1m (
  bucket timestamptz not null,
  selection_id bigint not null constraint odds_bar_1m_selection_fk references market.selection on delete cascade,
  source_id smallint not null constraint odds_bar_1m_source_fk references market.source on delete restrict,
  back_open numeric(10, 4),
  back_high numeric(10, 4),
  back_low numeric(10, 4),
  back_close numeric(10, 4),
  lay_open numeric(10, 4),
  lay_high numeric(10, 4),
  lay_low numeric(10, 4),
  lay_close numeric(10, 4),
  last_traded_price numeric(10, 4),
  volume numeric(16, 2),
  snapshots integer not null constraint odds_bar_1m_snapshots_positive check (snapshots > 0),
  first_observed_at timestamptz not null,
  last_observed_at timestamptz not null,
  constraint odds_bar_1m_bucket_is_minute check (bucket = date_trunc('minute', bucket)),
  constraint odds_bar_1m_observed_within_bucket
    check (first_observed_at >= bucket and last_observed_at < bucket + interval '1 minute' and first_observed_at <= last_observed_at),
  constraint odds_bar_1m_back_ordered check (back_low <= back_high and back_open between back_low and back_high and back_close between back_low and back_high),
  constraint odds_bar_1m_lay_ordered check (lay_low <= lay_high and lay_open between lay_low and lay_high and lay_close between lay_low and lay_high),
  constraint odds_bar_1m_pkey primary key (selection_id, source_id, bucket)
) partition by range (bucket);
comment on table market.odds_bar_1m is
  'One-minute bars of market.odds_snapshot, written by maint.run_partition_maintenance when it downsamples a raw daily partition (the replacement for TimescaleDB compression). Partitioned by day on bucket.';
comment on column market.odds_bar_1m.bucket is 'Start of the minute (UTC), the partition key.';
comment on column market.odds_bar_1m.back_open is 'First non-null back price in the minute (by observed_at); back_close the last; back_high/back_low the extremes.';
comment on column market.odds_bar_1m.lay_open is 'First non-null lay price in the minute (by observed_at); lay_close the last; lay_high/lay_low the extremes.';
comment on column market.odds_bar_1m.last_traded_price is 'Close of the last traded price: the last non-null value in the minute.';
comment on column market.odds_bar_1m.volume is 'The largest cumulative traded volume seen in the minute (cumulative volume only grows, so this is its close, and robust to out-of-order snapshots). Money traded during a minute is the difference from the previous bar.';
comment on column market.odds_bar_1m.snapshots is 'How many raw snapshots the bar summarises.';
comment on column market.odds_bar_1m.first_observed_at is 'observed_at of the first raw snapshot in the bar (lets late raw rows merge into the bar exactly).';
comment on column market.odds_bar_1m.last_observed_at is 'observed_at of the last raw snapshot in the bar.';

create index odds_bar_1m_bucket_brin on market.odds_bar_1m using brin (bucket) with (pages_per_range = 32);
comment on index market.odds_bar_1m_bucket_brin is 'BRIN on time for time-range scans across selections.';

create table market.odds_bar_1m_default partition of market.odds_bar_1m default;
comment on table market.odds_bar_1m_default is 'Bars whose bucket has no daily partition; should stay empty (reported by maint.default_partition_rows()).';

insert into maint.partition_policy (parent, granularity, premake, retention, downsample_after, downsample_into, note) values
  ('market.odds_snapshot', '1 day', '7 days', '2 years', '7 days', 'market.odds_bar_1m',
   'Raw odds: kept raw for 7 days, then as 1-minute bars; nothing older than 2 years.'),
  ('market.odds_bar_1m', '1 day', '7 days', '2 years', null, null,
   'Downsampled odds: kept 2 years.');

-- migrate:down
drop table market.odds_bar_1m;
drop table market.odds_snapshot;
drop schema maint cascade;
