-- refresh: the monthly partitions of the audit log (refresh.run), audit retention, and the
-- reaper of runs abandoned by their backend.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL068  a retention that is not a positive interval

-- Recorded, not raised: SL071 (a run abandoned by its backend, set by refresh.reap).

-- ---------------------------------------------------------------------------
-- Audit partitions and the reaper
-- ---------------------------------------------------------------------------

create or replace function refresh.ensure_run_partitions(p_at timestamptz default now(), p_months_ahead integer default 2)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_month timestamp := date_trunc('month', p_at at time zone 'UTC');
  v_name text;
  v_created integer := 0;
begin
  for v_i in 0 .. greatest(p_months_ahead, 0) loop
    v_name := 'run_' || to_char(v_month + make_interval(months => v_i), 'YYYY"m"MM');
    if pg_catalog.to_regclass(format('refresh.%I', v_name)) is null then
      execute format('create table refresh.%I partition of refresh.run for values from (%L) to (%L)',
                     v_name,
                     (v_month + make_interval(months => v_i)) at time zone 'UTC',
                     (v_month + make_interval(months => v_i + 1)) at time zone 'UTC');
      execute format('comment on table refresh.%I is %L', v_name, 'One month (UTC) of refresh.run.');
      v_created := v_created + 1;
    end if;
  end loop;
  return v_created;
end;
$$;
comment on function refresh.ensure_run_partitions(timestamptz, integer) is
  'Creates the monthly (UTC) partitions of refresh.run for the month of p_at and p_months_ahead after it; returns how many it created.';

create or replace function refresh.maintain_run_partitions(p_keep interval default '13 months')
returns table (action text, partition_name text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_cutoff timestamp;
  v_r record;
begin
  if p_keep is null or p_keep <= interval '0' then
    raise exception 'refresh.maintain_run_partitions: retention must be a positive interval, not %', p_keep
      using errcode = 'SL068', hint = 'e.g. 13 months';
  end if;
  v_cutoff := (now() - p_keep) at time zone 'UTC';
  for v_r in
    select c.relname
      from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'refresh.run'::regclass and c.relname ~ '^run_[0-9]{4}m[0-9]{2}$'
       and to_timestamp(substr(c.relname, 5), 'YYYY"m"MM')::timestamp + interval '1 month' <= v_cutoff
     order by c.relname
  loop
    execute format('drop table refresh.%I', v_r.relname);
    action := 'dropped';
    partition_name := 'refresh.' || v_r.relname;
    return next;
  end loop;
  if refresh.ensure_run_partitions(now(), 2) > 0 then
    action := 'created';
    partition_name := 'months ahead';
    return next;
  end if;
end;
$$;
comment on function refresh.maintain_run_partitions(interval) is
  'Audit retention: drops the monthly partitions of refresh.run that ended more than p_keep ago and creates the coming months. Run nightly.';

create or replace function refresh.reap(p_object regclass default null) returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_runs integer;
begin
  with dead as (
    select r.run_id, r.started_at
      from refresh.run r
      left join pg_catalog.pg_stat_activity a on a.pid = r.backend_pid
     where r.status = 'running'
       and (p_object is null or r.object = p_object)
       and (a.pid is null                                        -- the backend is gone
            or a.backend_start <> r.backend_start                -- the pid belongs to a new backend (null: not visible, assume alive)
            or r.backend_pid = pg_catalog.pg_backend_pid()       -- left by this session's earlier, interrupted call
            or a.state <> 'active')                              -- its call ended without finishing the run
  ),
  failed as (
    update refresh.run r
       set status = 'failed', finished_at = clock_timestamp(), duration = clock_timestamp() - r.started_at,
           error_sqlstate = 'SL071',
           error_message = format('abandoned: backend %s stopped before the refresh of %s finished', r.backend_pid, r.object_name)
      from dead
     where r.run_id = dead.run_id and r.started_at = dead.started_at
    returning r.object, r.stale_since, r.error_message
  ),
  restored as (
    update refresh.object o
       set stale_since = coalesce(o.stale_since, f.stale_since, now()), last_status = 'failed', last_error = f.error_message
      from failed f
     where o.object = f.object
    returning 1
  )
  select count(*) into v_runs from failed;

  update refresh.checkpoint set status = 'expired', updated_at = now()
   where status = 'active' and expires_at < now();
  return v_runs;
end;
$$;
comment on function refresh.reap(regclass) is
  'Marks runs left running by a backend that is gone (or idle, or this session before) failed (SL071), giving their objects back the staleness they had; expires active checkpoints past expires_at. Returns the runs reaped.';
