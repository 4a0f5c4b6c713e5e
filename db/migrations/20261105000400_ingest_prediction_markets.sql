-- migrate:up
-- Prediction-market feeds: Polymarket and Kalshi markets (their documented JSON shapes),
-- merged into market.external_market, one row per market and outcome.

create unlogged table ingest.stage_polymarket_markets (
  batch_id bigint not null,
  line_number integer not null,
  raw text not null,
  market_id text not null,
  condition_id text not null,
  question text not null,
  slug text,
  end_date timestamptz,
  active boolean not null,
  closed boolean not null,
  outcomes jsonb not null,
  prices jsonb not null
);
comment on table ingest.stage_polymarket_markets is 'Staging for the polymarket_markets feed (Polymarket Gamma API markets): valid markets of running batches.';
comment on column ingest.stage_polymarket_markets.outcomes is 'The outcome names, a JSON array (["Yes", "No"]), decoded from the API''s JSON-encoded string.';
comment on column ingest.stage_polymarket_markets.prices is 'The outcome prices 0..1 in the same order, a JSON array of numbers.';
create index stage_polymarket_markets_batch_idx on ingest.stage_polymarket_markets (batch_id);

create unlogged table ingest.stage_kalshi_markets (
  batch_id bigint not null,
  line_number integer not null,
  raw text not null,
  ticker text not null,
  event_ticker text,
  title text not null,
  status text not null,
  open_time timestamptz,
  close_time timestamptz,
  result text,
  yes_bid numeric,
  yes_ask numeric,
  last_price numeric
);
comment on table ingest.stage_kalshi_markets is 'Staging for the kalshi_markets feed (Kalshi trade API markets): valid markets of running batches.';
comment on column ingest.stage_kalshi_markets.result is 'yes or no once the market is determined; null before.';
create index stage_kalshi_markets_batch_idx on ingest.stage_kalshi_markets (batch_id);

insert into ingest.feed (code, description, staging_table, merge_function) values
  ('polymarket_markets', 'Polymarket markets (Gamma API JSON: a list of markets)', 'ingest.stage_polymarket_markets', 'ingest.merge_polymarket_markets'),
  ('kalshi_markets', 'Kalshi markets (trade API JSON: {"markets": [...]})', 'ingest.stage_kalshi_markets', 'ingest.merge_kalshi_markets');

-- migrate:down
delete from ingest.feed where code in ('polymarket_markets', 'kalshi_markets');
drop table ingest.stage_kalshi_markets;
drop table ingest.stage_polymarket_markets;
