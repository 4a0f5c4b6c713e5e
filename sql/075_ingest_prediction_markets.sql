-- ingest: the merges of the prediction-market feeds polymarket_markets and kalshi_markets
-- (src/ingest/prediction_markets.ts) into market.external_market, and what they share.
-- Re-applied by `scoreline migrate`; idempotent. How a load works: sql/070_ingest_common.sql.
-- SQLSTATEs: those of ingest.begin_merge (SL101-SL103), and SL104 (the source row is missing).

-- (bigint, text): it took the batch id, which it does not need; retired here for databases that have it
drop function if exists ingest.merge_external_markets(bigint, text);
create or replace function ingest.merge_external_markets(p_source text, out inserted integer, out updated integer)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- pg_temp.ingest_external holds one row per market and outcome (line_number, external_id,
-- outcome, question, status, resolution, resolved_at, metadata), built by the feed's merge.
-- Existing links to our selections (selection_id) are kept: a feed never unlinks.
declare
  v_source smallint;
begin
  perform 'PRAGMA:TABLE: pg_temp.ingest_external (line_number integer, external_id text, outcome text, question text, status text, resolution text, resolved_at timestamptz, metadata jsonb)'; -- its shape for plpgsql_check: the feed's merge function creates it at run time
  select s.source_id into v_source from market.source s where s.code = p_source;
  if not found then
    raise exception 'source % is not defined', p_source
      using errcode = 'SL104', hint = 'the market migration creates polymarket and kalshi in market.source';
  end if;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into market.external_market (source_id, external_id, outcome, question, status, resolution, resolved_at, metadata)
    select v_source, x.external_id, x.outcome, x.question, x.status, x.resolution, x.resolved_at, x.metadata
      from pg_temp.ingest_external x
    on conflict (source_id, external_id, outcome) do nothing
    returning external_id, outcome
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select distinct x.line_number, true from ins join pg_temp.ingest_external x using (external_id, outcome)
  on conflict (line_number) do nothing;

  with upd as (
    update market.external_market m
       set question = x.question, status = x.status, resolution = x.resolution,
           resolved_at = coalesce(m.resolved_at, x.resolved_at), metadata = m.metadata || x.metadata
      from pg_temp.ingest_external x
     where m.source_id = v_source and m.external_id = x.external_id and m.outcome = x.outcome
       and ((m.question, m.status, m.resolution) is distinct from (x.question, x.status, x.resolution)
            or (m.resolved_at is null and x.resolved_at is not null)
            or not m.metadata @> x.metadata)
    returning x.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select distinct line_number, false from upd
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into inserted, updated
    from pg_temp.ingest_touched_line t;
end;
$$;
comment on function ingest.merge_external_markets(text) is
  'The part of the prediction-market feeds'' merges they share: upserts pg_temp.ingest_external (one row per market and outcome) into market.external_market for the source, keeping links to our selections. Returns how many records (lines) were inserted and updated.';

create or replace function ingest.merge_polymarket_markets(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- One external_market row per outcome of a market (external_id = conditionId). Status:
-- closed, open (active) or inactive. A closed market's outcome priced 1 resolved won,
-- priced 0 lost (Polymarket settles prices to 1 and 0); its current price is in
-- metadata->'price'. Linking a market to our selections is a separate step.
declare
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'polymarket_markets');

  with d as (
    select s.line_number, s.condition_id, first_value(s.line_number) over w as first_line, row_number() over w as n
      from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id
    window w as (partition by s.condition_id order by s.line_number)
  ), dup as (
    delete from ingest.stage_polymarket_markets s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.condition_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('market %s already appears on line %s of this file', condition_id, first_line)
    from dup;

  drop table if exists pg_temp.ingest_external;
  create temporary table ingest_external on commit drop as
  select s.line_number, s.condition_id as external_id, o.outcome, s.question,
         case when s.closed then 'closed' when s.active then 'open' else 'inactive' end as status,
         case when s.closed and (s.prices ->> (o.n::int - 1))::numeric = 1 then 'won'
              when s.closed and (s.prices ->> (o.n::int - 1))::numeric = 0 then 'lost' end as resolution,
         case when s.closed and (s.prices ->> (o.n::int - 1))::numeric in (0, 1) then s.end_date end as resolved_at,
         jsonb_strip_nulls(jsonb_build_object('price', s.prices -> (o.n::int - 1), 'market_id', s.market_id, 'slug', s.slug,
                                              'end_date', s.end_date)) as metadata
    from ingest.stage_polymarket_markets s
   cross join lateral jsonb_array_elements_text(s.outcomes) with ordinality as o (outcome, n)
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_external (line_number integer, external_id text, outcome text, question text, status text, resolution text, resolved_at timestamptz, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_external_markets('polymarket');
  select count(*) into v_total from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id;
  delete from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated, p_final);
end;
$$;
comment on function ingest.merge_polymarket_markets(bigint, boolean) is
  'Merges one polymarket_markets batch into market.external_market: a row per outcome (external_id = conditionId), status open/closed/inactive, resolution won/lost from the settled prices of a closed market, the price in metadata. Returns the batch.';

create or replace function ingest.merge_kalshi_markets(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Kalshi markets are binary: two external_market rows per ticker, outcomes yes and no.
-- A determined market (result yes or no) resolves them won/lost at close_time; the
-- dollar prices (yes bid/ask, last) are in metadata.
declare
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'kalshi_markets');

  with d as (
    select s.line_number, s.ticker, first_value(s.line_number) over w as first_line, row_number() over w as n
      from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id
    window w as (partition by s.ticker order by s.line_number)
  ), dup as (
    delete from ingest.stage_kalshi_markets s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.ticker, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('market %s already appears on line %s of this file', ticker, first_line)
    from dup;

  drop table if exists pg_temp.ingest_external;
  create temporary table ingest_external on commit drop as
  select s.line_number, s.ticker as external_id, o.outcome, s.title as question, s.status,
         case when s.result is null then null when s.result = o.outcome then 'won' else 'lost' end as resolution,
         case when s.result is not null then s.close_time end as resolved_at,
         jsonb_strip_nulls(jsonb_build_object('event_ticker', s.event_ticker, 'open_time', s.open_time, 'close_time', s.close_time,
                                              'yes_bid', s.yes_bid, 'yes_ask', s.yes_ask, 'last_price', s.last_price)) as metadata
    from ingest.stage_kalshi_markets s
   cross join (values ('yes'), ('no')) as o (outcome)
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_external (line_number integer, external_id text, outcome text, question text, status text, resolution text, resolved_at timestamptz, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_external_markets('kalshi');
  select count(*) into v_total from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id;
  delete from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated, p_final);
end;
$$;
comment on function ingest.merge_kalshi_markets(bigint, boolean) is
  'Merges one kalshi_markets batch into market.external_market: outcomes yes and no per ticker, the status as Kalshi gives it, resolution won/lost from result, dollar prices in metadata. Returns the batch.';
