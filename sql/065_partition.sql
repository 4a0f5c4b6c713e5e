-- maint: partition maintenance on native PostgreSQL range partitions, driven by
-- maint.partition_policy. Re-applied by `scoreline migrate`; everything here is idempotent.
--
-- Partitions are named <table>_p<YYYYMMDD> (day), <table>_p<YYYYMMDDHH24> (hour) or
-- <table>_p<YYYYMM> (month), in the parent's schema, bounds aligned on UTC.
--
-- SQLSTATEs raised here:
--   SL080  no partition policy for that table
--   SL081  the table is not range-partitioned on one timestamptz column
--   SL082  an empty, reversed or oversized range given to maint.ensure_partitions
--   SL088  maint.drop_partition of a table that is not a partition of the given parent
--   SL089  a policy asks to downsample a table for which no downsampler exists
--   SL090  a partition of a table whose policy never drops it: no policy, retention null
--          (kept forever), or (maint.downsample_partition) a policy that does not downsample
--   SL091  a partition its policy does not make expired yet (or the default partition)
--
-- The maintenance run that applies the policies, one partition per transaction, is
-- maint.run_partition_maintenance in sql/066_partition_run.sql; the odds tables'
-- referential integrity and the historical prices in sql/067_odds_history.sql.
--
-- Retention is the only way partitions disappear: maint.drop_partition and
-- maint.downsample_partition (security definer, so that the worker's maintenance can
-- detach and drop without owning the tables) decide from the table's policy, the
-- partition's bounds and the server's now(), never from what the caller says; only the
-- owner role changes maint.partition_policy (docs/security.md).

create or replace function maint.partition_key(p_parent regclass) returns name
language plpgsql
stable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key name;
begin
  select a.attname into v_key
    from pg_catalog.pg_partitioned_table p
    join pg_catalog.pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
   where p.partrelid = p_parent
     and p.partstrat = 'r'
     and p.partnatts = 1
     and a.atttypid = 'timestamptz'::regtype;
  if v_key is null then
    raise exception 'table % is not range-partitioned on one timestamptz column', p_parent
      using errcode = 'SL081',
            hint = 'partition maintenance handles tables created with PARTITION BY RANGE (<timestamptz column>)';
  end if;
  return v_key;
end;
$$;
comment on function maint.partition_key(regclass) is
  'The timestamptz column a table is range-partitioned on; raises SL081 when it is not partitioned that way.';

create or replace function maint.partition_unit(p_granularity interval) returns text
language sql
immutable
strict
return case p_granularity when interval '1 hour' then 'hour' when interval '1 day' then 'day' when interval '1 month' then 'month' end;
comment on function maint.partition_unit(interval) is 'The date_trunc unit of a partition granularity: hour, day or month.';

create or replace view maint.partition_bounds as
select pol.parent,
       c.oid::regclass as partition,
       e.expr = 'DEFAULT' as is_default,
       (regexp_match(e.expr, $re$FROM \('([^']*)'\) TO$re$))[1]::timestamptz as range_from,
       (regexp_match(e.expr, $re$TO \('([^']*)'\)$re$))[1]::timestamptz as range_to
  from maint.partition_policy pol
  join pg_catalog.pg_inherits i on i.inhparent = pol.parent
  join pg_catalog.pg_class c on c.oid = i.inhrelid
 cross join lateral (select pg_catalog.pg_get_expr(c.relpartbound, c.oid) as expr) e;
comment on view maint.partition_bounds is
  'Every partition of every table in maint.partition_policy with its range [range_from, range_to); the default partition has is_default and null bounds.';

create or replace function maint.tg_partition_policy__check() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform maint.partition_key(new.parent);
  if new.downsample_into is not null then
    perform maint.partition_key(new.downsample_into);
  end if;
  new.updated_at := now();
  return new;
end;
$$;
comment on function maint.tg_partition_policy__check() is
  'Before insert or update of maint.partition_policy: the table (and the downsample target) must be range-partitioned on one timestamptz column (SL081); stamps updated_at.';

drop trigger if exists _100_check on maint.partition_policy;
create trigger _100_check
  before insert or update on maint.partition_policy
  for each row execute function maint.tg_partition_policy__check();

create or replace function maint.partition_has_rows(p_table regclass, p_key name, p_from timestamptz, p_to timestamptz)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_found_one boolean;
begin
  execute format('select exists (select from %s where %I >= $1 and %I < $2)', p_table, p_key, p_key)
    into v_found_one using p_from, p_to;
  return v_found_one;
end;
$$;
comment on function maint.partition_has_rows(regclass, name, timestamptz, timestamptz) is
  'Whether a table holds any row with p_key in [p_from, p_to).';

create or replace function maint.ensure_partitions(p_parent regclass, p_from timestamptz, p_to timestamptz)
returns integer
language plpgsql
volatile
security definer -- creates, detaches and drops partitions: needs the table's owner, not the worker's rights
set search_path = pg_catalog, pg_temp
as $$
declare
  v_pol maint.partition_policy;
  v_unit text;
  v_key name;
  v_sch name;
  v_tbl name;
  v_def oid;
  v_suffix_format text;
  v_n_parts bigint;
  v_b timestamptz;
  v_e timestamptz;
  v_part name;
  v_cols text;
  v_created integer := 0;
begin
  if p_parent is null or p_from is null or p_to is null or p_to < p_from then
    raise exception 'maint.ensure_partitions(%, %, %): the range must be given, from <= to', p_parent, p_from, p_to
      using errcode = 'SL082';
  end if;
  select * into v_pol from maint.partition_policy where parent = p_parent;
  if not found then
    raise exception 'no partition policy for table %', p_parent
      using errcode = 'SL080',
            hint = 'insert a row into maint.partition_policy (parent, granularity, premake, retention) first';
  end if;
  v_key := maint.partition_key(p_parent);
  v_unit := maint.partition_unit(v_pol.granularity);
  v_n_parts := case v_unit
               when 'hour' then extract(epoch from p_to - p_from) / 3600
               when 'day' then extract(epoch from p_to - p_from) / 86400
               else extract(epoch from p_to - p_from) / (86400 * 28) end;
  if v_n_parts > 10000 then
    raise exception 'maint.ensure_partitions(%): % to % would create about % partitions', p_parent, p_from, p_to, v_n_parts
      using errcode = 'SL082', hint = 'ask for at most 10000 partitions at a time';
  end if;
  v_suffix_format := case v_unit when 'hour' then 'YYYYMMDDHH24' when 'day' then 'YYYYMMDD' else 'YYYYMM' end;
  select n.nspname, c.relname into v_sch, v_tbl
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = p_parent;
  select nullif(partdefid, 0) into v_def from pg_catalog.pg_partitioned_table where partrelid = p_parent;

  -- one creator per table at a time: two loaders asking for the same day wait, then find it made
  perform pg_catalog.pg_advisory_xact_lock(1835100526, (p_parent::oid::bigint % 2147483647)::integer);

  -- the existing bounds are read once (materialized), not once per wanted partition
  for v_b, v_e in
    with have as materialized (
      select pb.range_from, pb.range_to from maint.partition_bounds pb where pb.parent = p_parent and not pb.is_default
    )
    select s.b at time zone 'UTC', (s.b + v_pol.granularity) at time zone 'UTC'
      from generate_series(date_trunc(v_unit, p_from at time zone 'UTC'),
                           date_trunc(v_unit, p_to at time zone 'UTC'),
                           v_pol.granularity) as s(b)
     where not exists (select from have pb
                        where pb.range_from < (s.b + v_pol.granularity) at time zone 'UTC'
                          and pb.range_to > s.b at time zone 'UTC')
  loop
    v_part := format('%s_p%s', v_tbl, to_char(v_b at time zone 'UTC', v_suffix_format));
    if v_def is not null
       and maint.partition_has_rows(v_def::regclass, v_key, v_b, v_e) then
      -- rows already sit in the default partition: move them into the new partition,
      -- then attach it (attaching re-checks the default partition holds none of its range)
      select string_agg(format('%I', a.attname), ', ' order by a.attnum) into v_cols
        from pg_catalog.pg_attribute a
       where a.attrelid = p_parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
      execute format('create table %I.%I (like %I.%I including defaults including constraints including generated)',
                     v_sch, v_part, v_sch, v_tbl);
      perform 'PRAGMA:DISABLE:SECURITY_WARNINGS'; -- plpgsql_check: v_cols is a list of format('%I') names, v_def a regclass
      execute format('with moved as (delete from %s where %I >= $1 and %I < $2 returning %s) insert into %I.%I (%s) select %s from moved',
                     v_def::regclass, v_key, v_key, v_cols, v_sch, v_part, v_cols, v_cols)
        using v_b, v_e;
      perform 'PRAGMA:ENABLE:SECURITY_WARNINGS';
      execute format('alter table %I.%I attach partition %I.%I for values from (%L) to (%L)', v_sch, v_tbl, v_sch, v_part, v_b, v_e);
    else
      execute format('create table %I.%I partition of %I.%I for values from (%L) to (%L)', v_sch, v_part, v_sch, v_tbl, v_b, v_e);
    end if;
    v_created := v_created + 1;
  end loop;
  return v_created;
end;
$$;
comment on function maint.ensure_partitions(regclass, timestamptz, timestamptz) is
  'Creates the missing partitions of a table in maint.partition_policy covering [p_from, p_to] (UTC-aligned, the policy''s granularity) and returns how many it created. Rows already in the default partition for a new range are moved into it. Loaders call it before a historic load; maintenance calls it for the days ahead. SL080 without a policy, SL082 for a bad range.';

create or replace function maint.default_partition_rows() returns table (parent regclass, rows bigint)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_d record;
begin
  for v_d in
    select pb.parent as p, pb.partition as part
      from maint.partition_bounds pb
     where pb.is_default
     order by pb.parent::text
  loop
    parent := v_d.p;
    execute format('select count(*) from %s', v_d.part) into rows;
    return next;
  end loop;
end;
$$;
comment on function maint.default_partition_rows() is
  'For every table in maint.partition_policy that has a default partition: how many rows sit in it. Anything above 0 means rows arrived for a time without a partition (a far-future or far-past timestamp, or a historic load without maint.ensure_partitions): a data-quality check should fail on it.';

create or replace function maint.drop_partition(p_parent regclass, p_partition regclass) returns void
language plpgsql
volatile
security definer -- detaches and drops partitions: needs the table's owner, not the worker's rights
set search_path = pg_catalog, pg_temp
as $$
declare
  v_retention interval;
  v_has_policy boolean;
  v_bounds record;
begin
  if not exists (select from pg_catalog.pg_inherits where inhparent = p_parent and inhrelid = p_partition) then
    raise exception '% is not a partition of %', p_partition, p_parent using errcode = 'SL088';
  end if;
  -- the rows are locked: a DBA's change of the policy waits for this drop, or this drop for it
  select true, pol.retention into v_has_policy, v_retention
    from maint.partition_policy pol where pol.parent = p_parent for share;
  if v_has_policy is null then
    raise exception 'table % has no partition policy: none of its partitions is ever dropped', p_parent
      using errcode = 'SL090', hint = 'retention is set in maint.partition_policy, by the owner role';
  end if;
  if v_retention is null then
    raise exception 'table % keeps its rows forever (its maint.partition_policy.retention is null): partition % is not dropped', p_parent, p_partition
      using errcode = 'SL090', hint = 'only the owner role changes a retention (update maint.partition_policy set retention = …)';
  end if;
  select pb.is_default, pb.range_from, pb.range_to into v_bounds
    from maint.partition_bounds pb where pb.parent = p_parent and pb.partition = p_partition;
  if v_bounds.is_default or v_bounds.range_to is null or v_bounds.range_to > now() - v_retention then
    raise exception 'partition % of % is not expired: %', p_partition, p_parent,
                    case when v_bounds.is_default then 'the default partition is never dropped'
                         else format('it ends at %s, and a retention of %s keeps everything after %s', v_bounds.range_to, v_retention, now() - v_retention) end
      using errcode = 'SL091', hint = 'maintenance drops a partition once its whole range is older than the retention';
  end if;
  insert into maint.maintenance_log (parent, action, partition_name, range_from, range_to)
  values (p_parent::text, 'drop', p_partition::text, v_bounds.range_from, v_bounds.range_to);
  execute format('alter table %s detach partition %s', p_parent, p_partition);
  execute format('drop table %s', p_partition);
end;
$$;
comment on function maint.drop_partition(regclass, regclass) is
  'Retention: detaches a partition from its table, then drops it (never DELETE), and logs it in maint.maintenance_log, only when the table''s policy says it is expired: its whole range ends at or before now() - retention (server time, not the caller''s). Refuses a table without a policy or with retention null (kept forever, SL090), a partition not expired yet or the default partition (SL091), a table that is not a partition of the parent (SL088).';

create or replace function maint.downsample_partition(p_parent regclass, p_partition regclass) returns bigint
language plpgsql
volatile
security definer -- aggregates, detaches and drops partitions: needs the table's owner, not the worker's rights
set search_path = pg_catalog, pg_temp
as $$
declare
  v_pol maint.partition_policy;
  v_bounds record;
  v_bars bigint;
begin
  if not exists (select from pg_catalog.pg_inherits where inhparent = p_parent and inhrelid = p_partition) then
    raise exception '% is not a partition of %', p_partition, p_parent using errcode = 'SL088';
  end if;
  select * into v_pol from maint.partition_policy pol where pol.parent = p_parent for share;
  if not found or v_pol.downsample_after is null then
    raise exception 'the partition policy of % does not downsample it: partition % is not downsampled nor dropped', p_parent, p_partition
      using errcode = 'SL090', hint = 'downsample_after and downsample_into are set in maint.partition_policy, by the owner role';
  end if;
  if (v_pol.parent, v_pol.downsample_into) is distinct from ('market.odds_snapshot'::regclass, 'market.odds_bar_1m'::regclass) then
    raise exception 'no downsampler from % into %', v_pol.parent, v_pol.downsample_into
      using errcode = 'SL089',
            hint = 'only market.odds_snapshot -> market.odds_bar_1m is known; set downsample_after and downsample_into to null';
  end if;
  select pb.is_default, pb.range_from, pb.range_to into v_bounds
    from maint.partition_bounds pb where pb.parent = p_parent and pb.partition = p_partition;
  if v_bounds.is_default or v_bounds.range_to is null or v_bounds.range_to > now() - v_pol.downsample_after then
    raise exception 'partition % of % is not due for downsampling: %', p_partition, p_parent,
                    case when v_bounds.is_default then 'the default partition is never downsampled'
                         else format('it ends at %s, and raw rows are kept for %s, until %s', v_bounds.range_to, v_pol.downsample_after, v_bounds.range_to + v_pol.downsample_after) end
      using errcode = 'SL091', hint = 'maintenance downsamples a partition once its whole range is older than downsample_after';
  end if;
  perform maint.ensure_partitions(v_pol.downsample_into, v_bounds.range_from, v_bounds.range_to - interval '1 microsecond');
  v_bars := maint.downsample_odds(p_partition);
  insert into maint.maintenance_log (parent, action, partition_name, range_from, range_to, rows)
  values (p_parent::text, 'downsample', p_partition::text, v_bounds.range_from, v_bounds.range_to, v_bars);
  insert into maint.maintenance_log (parent, action, partition_name, range_from, range_to)
  values (p_parent::text, 'drop', p_partition::text, v_bounds.range_from, v_bounds.range_to);
  execute format('alter table %s detach partition %s', p_parent, p_partition);
  execute format('drop table %s', p_partition);
  return v_bars;
end;
$$;
comment on function maint.downsample_partition(regclass, regclass) is
  'Downsampling: aggregates a raw partition into its policy''s downsample_into (market.odds_snapshot into market.odds_bar_1m, maint.downsample_odds), then detaches and drops it, logging both, in one transaction, only when the policy says it is due: its whole range ends at or before now() - downsample_after (server time). Returns the bars written. Refuses a table whose policy does not downsample (SL090), a partition not due or the default partition (SL091), an unknown downsampler (SL089), a table that is not a partition of the parent (SL088).';

create or replace function maint.downsample_odds(p_partition regclass) returns bigint
language plpgsql
volatile
security definer -- creates, detaches and drops partitions: needs the table's owner, not the worker's rights
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n bigint;
begin
  if not exists (select from pg_catalog.pg_inherits where inhparent = 'market.odds_snapshot'::regclass and inhrelid = p_partition) then
    raise exception '% is not a partition of market.odds_snapshot', p_partition using errcode = 'SL088';
  end if;
  execute format($q$
    insert into market.odds_bar_1m as b
      (bucket, selection_id, source_id,
       back_open, back_high, back_low, back_close,
       lay_open, lay_high, lay_low, lay_close,
       last_traded_price, volume, snapshots, first_observed_at, last_observed_at)
    select date_bin('1 minute', o.observed_at, timestamptz '2000-01-01 00:00:00+00'), o.selection_id, o.source_id,
           (array_agg(o.back_price order by o.observed_at) filter (where o.back_price is not null))[1],
           max(o.back_price), min(o.back_price),
           (array_agg(o.back_price order by o.observed_at desc) filter (where o.back_price is not null))[1],
           (array_agg(o.lay_price order by o.observed_at) filter (where o.lay_price is not null))[1],
           max(o.lay_price), min(o.lay_price),
           (array_agg(o.lay_price order by o.observed_at desc) filter (where o.lay_price is not null))[1],
           (array_agg(o.last_traded_price order by o.observed_at desc) filter (where o.last_traded_price is not null))[1],
           max(o.volume), count(*), min(o.observed_at), max(o.observed_at)
      from %s o
     group by 1, 2, 3
    on conflict (selection_id, source_id, bucket) do update set
      back_open = case when excluded.first_observed_at < b.first_observed_at
                       then coalesce(excluded.back_open, b.back_open) else coalesce(b.back_open, excluded.back_open) end,
      back_high = greatest(b.back_high, excluded.back_high),
      back_low = least(b.back_low, excluded.back_low),
      back_close = case when excluded.last_observed_at > b.last_observed_at
                        then coalesce(excluded.back_close, b.back_close) else coalesce(b.back_close, excluded.back_close) end,
      lay_open = case when excluded.first_observed_at < b.first_observed_at
                      then coalesce(excluded.lay_open, b.lay_open) else coalesce(b.lay_open, excluded.lay_open) end,
      lay_high = greatest(b.lay_high, excluded.lay_high),
      lay_low = least(b.lay_low, excluded.lay_low),
      lay_close = case when excluded.last_observed_at > b.last_observed_at
                       then coalesce(excluded.lay_close, b.lay_close) else coalesce(b.lay_close, excluded.lay_close) end,
      last_traded_price = case when excluded.last_observed_at > b.last_observed_at
                               then coalesce(excluded.last_traded_price, b.last_traded_price)
                               else coalesce(b.last_traded_price, excluded.last_traded_price) end,
      volume = greatest(b.volume, excluded.volume),
      snapshots = b.snapshots + excluded.snapshots,
      first_observed_at = least(b.first_observed_at, excluded.first_observed_at),
      last_observed_at = greatest(b.last_observed_at, excluded.last_observed_at)
  $q$, p_partition);
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;
comment on function maint.downsample_odds(regclass) is
  'Internal to maint.downsample_partition (the owner may call it; the worker may not): aggregates one partition of market.odds_snapshot into 1-minute bars in market.odds_bar_1m (open/high/low/close of back and lay by observed_at, last traded price close, volume = the largest cumulative volume in the minute) and returns the number of bars written. A bar that already exists (late raw rows for a minute already downsampled) is merged: high, low, volume and counts exactly; open and close by time.';

