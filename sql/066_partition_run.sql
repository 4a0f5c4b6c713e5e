-- maint: the maintenance run, in bounded steps. Re-applied by `scoreline migrate`; idempotent.
--
-- maint.run_partition_maintenance applies every enabled maint.partition_policy
-- (sql/065_partition.sql) and COMMITS after every partition it creates, drops or
-- downsamples: a backlog of thousands of expired partitions (an archive loaded, a worker
-- stopped for months) is worked off in as many short transactions, each holding the locks
-- of one partition, so no backlog needs a larger max_locks_per_transaction. It must
-- therefore be CALLed on its own, outside a transaction block (psql in autocommit, the
-- worker's maintain job), never after BEGIN nor from a function.
--
-- SQLSTATEs raised here:
--   2D000  (PostgreSQL's invalid_transaction_termination) called inside a transaction block
--          or from a function: it cannot commit there
--   SL089  a policy asks to downsample a table for which no downsampler exists
--   SL092  maintenance asked to drop more than the policy allows: a p_now after now()
--
-- No SET clause on these procedures: a procedure with one cannot COMMIT. They are not
-- security definer (what they call is), and every name inside is schema-qualified.

-- two signatures, no defaults: `call maint.run_partition_maintenance()` resolves to the
-- second, and to_regprocedure('maint.run_partition_maintenance()') finds it (the worker
-- checks so)
create or replace procedure maint.run_partition_maintenance(p_now timestamptz)
language plpgsql
as $$
declare
  v_at_ts timestamptz := coalesce(p_now, pg_catalog.now());
  v_pol record;
  v_part record;
  v_n bigint;
  v_d record;
begin
  if v_at_ts > pg_catalog.now() then
    -- retention is judged on the server's time: as of a later time it would drop partitions too early
    raise exception 'partition maintenance as of % (after now(), %) would drop partitions before their retention', v_at_ts, pg_catalog.now()
      using errcode = 'SL092', hint = 'call maint.run_partition_maintenance() (as of now); maint.ensure_partitions creates partitions for any range ahead';
  end if;
  -- Commit first, before anything is done: inside a transaction block (after BEGIN) or
  -- from a function, PostgreSQL refuses this COMMIT with 2D000 "invalid transaction
  -- termination" (CONTEXT: ... maint.run_partition_maintenance ... at COMMIT), and nothing
  -- was changed. A clearer message of our own is not possible: PL/pgSQL cannot catch it
  -- (a block with an exception handler may not commit at all), and nothing tells an
  -- explicit transaction block from an implicit one.
  commit;

  for v_pol in
    select p.parent, p.premake, p.retention, p.downsample_after, p.downsample_into
      from maint.partition_policy p where p.enabled order by p.parent::text
  loop
    -- partitions ahead (few: one transaction)
    v_n := maint.ensure_partitions(v_pol.parent, v_at_ts, v_at_ts + v_pol.premake);
    if v_n > 0 then
      insert into maint.maintenance_log (parent, action, rows, range_from, range_to)
      values (v_pol.parent::text, 'create', v_n, v_at_ts, v_at_ts + v_pol.premake);
    end if;
    commit;

    -- retention: whole partitions past it are dropped, without downsampling, one per
    -- transaction (maint.drop_partition checks the policy again, against now(), and logs the drop)
    if v_pol.retention is not null then
      for v_part in
        select pb.partition from maint.partition_bounds pb
         where pb.parent = v_pol.parent and not pb.is_default and pb.range_to <= v_at_ts - v_pol.retention
         order by pb.range_from
      loop
        perform maint.drop_partition(v_pol.parent, v_part.partition);
        commit;
      end loop;
    end if;

    -- downsampling: aggregate, then drop the raw partition, one per transaction
    if v_pol.downsample_after is not null then
      if (v_pol.parent, v_pol.downsample_into) is distinct from ('market.odds_snapshot'::regclass, 'market.odds_bar_1m'::regclass) then
        raise exception 'no downsampler from % into %', v_pol.parent, v_pol.downsample_into
          using errcode = 'SL089',
                hint = 'only market.odds_snapshot -> market.odds_bar_1m is known; set downsample_after and downsample_into to null';
      end if;
      -- (maint.downsample_partition checks the policy again, against now(), and logs both steps)
      for v_part in
        select pb.partition from maint.partition_bounds pb
         where pb.parent = v_pol.parent and not pb.is_default and pb.range_to <= v_at_ts - v_pol.downsample_after
         order by pb.range_from
      loop
        perform maint.downsample_partition(v_pol.parent, v_part.partition);
        commit;
      end loop;
    end if;
  end loop;

  for v_d in select r.parent, r.rows from maint.default_partition_rows() r where r.rows > 0 loop
    raise warning 'default partition of % holds % rows: they have no partition of their own', v_d.parent, v_d.rows
      using hint = pg_catalog.format('call maint.ensure_partitions(%L, <from>, <to>) for their time range: it moves them', v_d.parent::text);
  end loop;
end;
$$;
comment on procedure maint.run_partition_maintenance(timestamptz) is
  'Partition maintenance as of p_now (null: now(); a time after now() is refused, SL092); call maint.run_partition_maintenance() runs it as of now. For every enabled table in maint.partition_policy, creates partitions from now to now + premake, detaches and drops partitions entirely older than the retention, downsamples raw odds partitions older than downsample_after into market.odds_bar_1m and drops them; logs each action in maint.maintenance_log and warns about rows in default partitions. Commits after every partition (any backlog fits in max_locks_per_transaction), so it must be CALLed outside a transaction block: inside one it fails with 2D000 before doing anything.';

create or replace procedure maint.run_partition_maintenance()
language plpgsql
as $$
begin
  call maint.run_partition_maintenance(pg_catalog.now());
end;
$$;
comment on procedure maint.run_partition_maintenance() is
  'call maint.run_partition_maintenance(): the maintenance the worker''s maintain job runs, as of now() (see maint.run_partition_maintenance(timestamptz)); commits after every partition, so outside a transaction block only (2D000 inside one).';
