-- market: the odds tables' referential integrity, and historical prices (market.odds_history,
-- db/migrations/20261203010000_odds_history.sql) with the view of all prices. Re-applied by
-- `scoreline migrate`; idempotent. docs/timeseries.md "Historical prices".
--
-- SQLSTATEs raised here:
--   SL105  a load of odds snapshots names selections or sources that do not exist
--   SL106  deleting a source, or changing a selection's or source's id, that odds snapshots
--          or historical prices use
--   SL099  market.keep_odds_history without its load table (pg_temp.odds_history_load)
--   SL160  market.write_odds_history for a batch that is not a running ingest.batch (historical
--          prices are written by a load in progress only; docs/security.md)


create or replace function market.lock_odds_keys(p_selection_ids bigint[], p_source_ids smallint[]) returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_missing_selections bigint[];
  v_missing_sources smallint[];
begin
  -- Lock what exists, as a foreign key check would (FOR KEY SHARE): a concurrent delete
  -- of one of these selections waits for the load to commit, then its trigger deletes
  -- the loaded snapshots with it.
  with wanted as (select distinct id from unnest(p_selection_ids) id where id is not null),
       found as (select s.selection_id from market.selection s join wanted w on w.id = s.selection_id for key share of s)
  select array_agg(w.id order by w.id) into v_missing_selections
    from wanted w where not exists (select from found f where f.selection_id = w.id);
  with wanted as (select distinct id from unnest(p_source_ids) id where id is not null),
       found as (select s.source_id from market.source s join wanted w on w.id = s.source_id for key share of s)
  select array_agg(w.id order by w.id) into v_missing_sources
    from wanted w where not exists (select from found f where f.source_id = w.id);
  if v_missing_selections is not null or v_missing_sources is not null then
    raise exception 'odds snapshots for % unknown selection(s) % and % unknown source(s) %: nothing was loaded',
        coalesce(cardinality(v_missing_selections), 0), coalesce(array_to_string(v_missing_selections[1:20], ', '), '-'),
        coalesce(cardinality(v_missing_sources), 0), coalesce(array_to_string(v_missing_sources, ', '), '-')
      using errcode = 'SL105',
            hint = 'create the market.selection / market.source rows first, or leave those snapshots out of the load';
  end if;
end;
$$;
comment on function market.lock_odds_keys(bigint[], smallint[]) is
  'The set-based stand-in for the foreign keys of market.odds_snapshot, called by the COPY path (copyOddsSnapshots) with the distinct selection and source ids of a load, in the load''s transaction: locks the rows it finds FOR KEY SHARE (as a foreign key check does) and raises SL105 naming the ids that do not exist.';

create or replace function market.tg_selection__delete_odds() returns trigger
language plpgsql
volatile
security definer -- the worker writes no price history; the prices of deleted selections go with them
set search_path = pg_catalog, pg_temp
as $$
begin
  -- One delete per table for the whole statement; the primary keys (selection_id leading)
  -- find the rows in every partition.
  delete from market.odds_snapshot o using old_rows d where o.selection_id = d.selection_id;
  delete from market.odds_history h using old_rows d where h.selection_id = d.selection_id;
  return null;
end;
$$;
comment on function market.tg_selection__delete_odds() is
  'After a delete of market.selection rows (directly or cascaded from their market): deletes their odds snapshots and historical prices, one set-based statement per table (ON DELETE CASCADE without a foreign key).';

drop trigger if exists _500_odds_snapshot_cascade on market.selection;
create trigger _500_odds_snapshot_cascade after delete on market.selection
  referencing old table as old_rows for each statement execute function market.tg_selection__delete_odds();

create or replace function market.tg__keep_odds_key() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_used boolean;
  v_what text;
begin
  perform 'PRAGMA:DISABLE:CHECK'; -- plpgsql_check: one function for two tables, each branch reads its own table's columns
  if tg_table_name = 'source' then
    v_what := format('source %s (%s)', old.code, old.source_id);
    select exists (select from market.odds_snapshot o where o.source_id = old.source_id)
        or exists (select from market.odds_history h where h.source_id = old.source_id) into v_used;
  else
    v_what := format('selection %s', old.selection_id);
    select exists (select from market.odds_snapshot o where o.selection_id = old.selection_id)
        or exists (select from market.odds_history h where h.selection_id = old.selection_id) into v_used;
  end if;
  perform 'PRAGMA:ENABLE:CHECK';
  if v_used then
    raise exception '% has odds snapshots or historical prices: it cannot be %', v_what, case tg_op when 'DELETE' then 'deleted' else 'renumbered' end
      using errcode = 'SL106',
            hint = case when tg_table_name = 'source' then 'odds snapshots keep their source; drop or detach the partitions holding them first'
                        else 'odds snapshots keep their selection id' end;
  end if;
  return case tg_op when 'DELETE' then old else new end;
end;
$$;
comment on function market.tg__keep_odds_key() is
  'Shared by market.source and market.selection (triggers _500_odds_snapshot_restrict, _510_odds_snapshot_key_change): before deleting a market.source, or changing a source''s or selection''s id, refuses (SL106) when odds snapshots or historical prices (market.odds_history) use it (ON DELETE RESTRICT / ON UPDATE NO ACTION without a foreign key). Sources are few and rarely deleted; the check scans the snapshots of that source.';

drop trigger if exists _500_odds_snapshot_restrict on market.source;
create trigger _500_odds_snapshot_restrict before delete on market.source
  for each row execute function market.tg__keep_odds_key();
drop trigger if exists _510_odds_snapshot_key_change on market.source;
create trigger _510_odds_snapshot_key_change before update of source_id on market.source
  for each row when (old.source_id is distinct from new.source_id) execute function market.tg__keep_odds_key();
drop trigger if exists _510_odds_snapshot_key_change on market.selection;
create trigger _510_odds_snapshot_key_change before update of selection_id on market.selection
  for each row when (old.selection_id is distinct from new.selection_id) execute function market.tg__keep_odds_key();
-- the former name of market.tg__keep_odds_key(): still in databases upgraded from the odds COPY path's first version (make drift-check ARGS=--from-each-step shows it)
drop function if exists market.tg_odds_key__keep();

create or replace function maint.dq_orphaned_odds() returns bigint
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select (select count(*)
            from market.odds_snapshot o
           where not exists (select from market.selection s where s.selection_id = o.selection_id)
              or not exists (select from market.source r where r.source_id = o.source_id))
       + (select count(*)
            from market.odds_history h
           where not exists (select from market.selection s where s.selection_id = h.selection_id)
              or not exists (select from market.source r where r.source_id = h.source_id));
$$;
comment on function maint.dq_orphaned_odds() is
  'Data-quality check: odds snapshots and historical prices whose selection or source does not exist (0 = healthy). The COPY path checks its keys (market.lock_odds_keys) and deletes follow the selection''s trigger; a row written by a plain INSERT with an unknown id, or a TRUNCATE of market.selection, shows up here. To run it nightly, register it: insert into refresh."check" (name, query, expected, severity) values (''odds_no_orphaned_snapshots'', ''select maint.dq_orphaned_odds()'', 0, ''error'').';

-- ---------------------------------------------------------------------------
-- Historical prices
-- ---------------------------------------------------------------------------

create or replace view market.odds_all as
select 'live'::text as origin, o.observed_at, o.selection_id, o.source_id,
       o.back_price, o.back_size, o.lay_price, o.lay_size, o.last_traded_price, o.volume, null::bigint as batch_id
  from market.odds_snapshot o
union all
select 'history'::text, h.observed_at, h.selection_id, h.source_id,
       h.price, null::numeric(14, 2), null::numeric(10, 4), null::numeric(14, 2), h.price, null::numeric(16, 2), h.batch_id
  from market.odds_history h;
comment on view market.odds_all is
  'Every price side by side: live-captured snapshots (origin live, market.odds_snapshot, daily partitions, downsampled after 7 days) and prices loaded from files (origin history, market.odds_history, monthly partitions, kept forever by default; their price is both back_price and last_traded_price, batch_id the load). A selection''s prices over a time range: filter on selection_id and observed_at, which both tables'' primary keys serve.';
comment on column market.odds_all.origin is 'live: captured as it happened (market.odds_snapshot); history: loaded from a file (market.odds_history).';
comment on column market.odds_all.batch_id is 'For history rows, the ingest.batch that loaded (or last changed) the price; null for live snapshots.';

create or replace function market.write_odds_history(p_batch_id bigint, p_observed_at timestamptz[], p_selection_ids bigint[],
                                                      p_source_ids smallint[], p_prices numeric[]) returns integer
language plpgsql
volatile
security definer -- the worker has no write on market.odds_history: settled price history is written here only
set search_path = pg_catalog, pg_temp
as $$
declare
  v_status text;
  v_lo timestamptz;
  v_hi timestamptz;
  v_kept integer;
begin
  -- the batch stays running until this load's transaction ends (a concurrent finish waits)
  select b.status into v_status from ingest.batch b where b.batch_id = p_batch_id for share;
  if v_status is distinct from 'running' then
    raise exception 'historical prices for ingest batch %: %', p_batch_id, coalesce('the batch is ' || v_status, 'no such batch')
      using errcode = 'SL160',
            hint = 'historical prices are written by a feed load in progress (scoreline ingest), through market.keep_odds_history';
  end if;
  select min(l.observed_at), max(l.observed_at) into v_lo, v_hi
    from unnest(p_observed_at, p_selection_ids, p_source_ids, p_prices) as l(observed_at, selection_id, source_id, price)
   where l.price > 1 and l.selection_id is not null and l.source_id is not null;
  if v_lo is null then
    return 0;
  end if;
  perform maint.ensure_partitions('market.odds_history'::regclass, v_lo, v_hi);
  -- one price per key (a file naming a match twice keeps its last line's); a re-load
  -- rewrites only prices that changed, stamped with its batch
  insert into market.odds_history as h (observed_at, selection_id, source_id, price, batch_id)
  select distinct on (l.selection_id, l.source_id, l.observed_at) l.observed_at, l.selection_id, l.source_id, l.price, p_batch_id
    from unnest(p_observed_at, p_selection_ids, p_source_ids, p_prices) with ordinality as l(observed_at, selection_id, source_id, price, n)
   where l.price > 1 and l.observed_at is not null and l.selection_id is not null and l.source_id is not null
   order by l.selection_id, l.source_id, l.observed_at, l.n desc
  on conflict (selection_id, source_id, observed_at) do update
    set price = excluded.price, batch_id = excluded.batch_id
    where h.price is distinct from excluded.price;
  get diagnostics v_kept = row_count;
  update ingest.batch b set odds_kept = b.odds_kept + v_kept where b.batch_id = p_batch_id;
  return v_kept;
end;
$$;
comment on function market.write_odds_history(bigint, timestamptz[], bigint[], smallint[], numeric[]) is
  'The only writer of market.odds_history besides the owner (security definer; the worker has no insert, update or delete on the table or its partitions): writes the prices given as parallel arrays (observed_at, selection_id, source_id, price; prices <= 1 are not prices and are skipped) under batch p_batch_id, which must be a running ingest.batch (SL160 otherwise: a finished, failed or unknown batch), creating the monthly partitions they need; one price per key, the last given winning; a price already held is rewritten only when it changed. Adds the prices written to ingest.batch.odds_kept and returns their number. Called by market.keep_odds_history, which reads the load''s temporary table as the caller.';

create or replace function market.keep_odds_history(p_batch_id bigint) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kept integer;
begin
  if to_regclass('pg_temp.odds_history_load') is null then
    raise exception 'market.keep_odds_history(%): no load table pg_temp.odds_history_load', p_batch_id
      using errcode = 'SL099',
            hint = 'create temporary table odds_history_load (observed_at timestamptz, selection_id bigint, source_id smallint, price numeric) on commit drop, fill it, then call this';
  end if;
  perform 'PRAGMA:TABLE: pg_temp.odds_history_load (observed_at timestamptz, selection_id bigint, source_id smallint, price numeric)'; -- its shape for plpgsql_check: the merge creates it at run time
  -- The load table is the caller's (a temporary table its session owns): read here, as the
  -- caller, and handed to the security definer writer as arrays, in the file's order.
  select market.write_odds_history(p_batch_id,
           coalesce(array_agg(l.observed_at), '{}'), coalesce(array_agg(l.selection_id), '{}'),
           coalesce(array_agg(l.source_id), '{}'), coalesce(array_agg(l.price), '{}'))
    into v_kept
    from pg_temp.odds_history_load l
   where l.price > 1;
  return v_kept;
end;
$$;
comment on function market.keep_odds_history(bigint) is
  'Used by the feeds'' merges, in the load''s transaction: writes the prices in pg_temp.odds_history_load (observed_at, selection_id, source_id, price; prices <= 1 are not prices and are skipped) into market.odds_history under batch p_batch_id through market.write_odds_history (security definer: the batch must be running, SL160), creating the monthly partitions they need; a price already held is rewritten only when it changed. Adds the prices written to ingest.batch.odds_kept and returns their number (a re-run of the same file writes 0). SL099 without the load table.';
