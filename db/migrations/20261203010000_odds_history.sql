-- migrate:up
-- Historical prices in a table of their own. Prices read from files (football-data opening
-- and closing prices, the win odds of Hong Kong results) describe the past: they are what
-- people back-test strategies against, so they are kept forever by default, in monthly
-- partitions that fit sparse history (about 400 for 1993-2026, not 10,000 daily ones).
-- Live-captured prices stay in market.odds_snapshot (daily partitions, downsampled after
-- 7 days, dropped after 2 years counted from when they were captured). market.odds_all
-- shows both. docs/timeseries.md "Historical prices".

create table market.odds_history (
  observed_at timestamptz not null,
  selection_id bigint not null,
  source_id smallint not null,
  price numeric(10, 4) not null constraint odds_history_price_above_one check (price > 1),
  batch_id bigint not null,
  constraint odds_history_pkey primary key (selection_id, source_id, observed_at)
) partition by range (observed_at);
comment on table market.odds_history is
  'Prices loaded from files (historical opening and closing prices, final win odds): one decimal price of a selection at a source at a time, with the ingest batch that loaded it (or last changed it). Partitioned by month on observed_at; kept forever by default (maint.partition_policy.retention null, which a DBA may change). No per-row foreign keys: rows are written set-based by the feeds'' merges from selections and sources that exist in the same transaction; deleting a selection deletes its prices, deleting a source with prices is refused (triggers on market.selection and market.source), and maint.dq_orphaned_odds() counts orphans.';
comment on column market.odds_history.observed_at is 'When the price held, as the file gives it (football-data: opening at kick-off - 48 h, closing at kick-off - 5 min; HKJC: final win odds at the estimated start - 10 min); the partition key.';
comment on column market.odds_history.selection_id is 'The selection priced (market.selection).';
comment on column market.odds_history.source_id is 'The bookmaker, exchange or aggregate quoting the price (market.source).';
comment on column market.odds_history.price is 'Decimal odds (> 1).';
comment on column market.odds_history.batch_id is 'The ingest.batch that loaded the price, or that last changed it (a corrected file re-loaded).';
comment on constraint odds_history_pkey on market.odds_history is
  'One price per selection, source and instant; serves a selection''s price history and the re-load''s upsert.';

create index odds_history_batch_idx on market.odds_history (batch_id);
comment on index market.odds_history_batch_idx is 'The prices a batch loaded (what a load reported as kept).';

create table market.odds_history_default partition of market.odds_history default;
comment on table market.odds_history_default is
  'Prices whose observed_at has no monthly partition. Should stay empty: the merges create the months they need (maint.ensure_partitions), maint.default_partition_rows() reports it.';

insert into maint.partition_policy (parent, granularity, premake, retention, note) values
  ('market.odds_history', '1 month', '0', null,
   'Historical prices loaded from files: monthly partitions, kept forever (retention null). A DBA may set a retention, counted from the price''s own time.');

alter table ingest.batch add column odds_kept integer not null default 0
  constraint batch_odds_kept_non_negative check (odds_kept >= 0);
comment on column ingest.batch.odds_kept is
  'Prices this load wrote into market.odds_history (new ones, and changed ones of a corrected file): kept there under its own policy, forever by default. A re-run of the same file keeps 0 more.';

-- migrate:down
alter table ingest.batch drop column odds_kept;
delete from maint.partition_policy where parent = 'market.odds_history'::regclass;
drop table market.odds_history;
