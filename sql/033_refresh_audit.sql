-- refresh: the monthly partitions of the audit log (refresh.run), audit retention, and the
-- reaper of runs abandoned by their backend.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL068  a retention that is not a positive interval
--   SL072  a finished refresh.run row changed by a role other than the owner (audit rows are final)
--   SL092  a retention shorter than the policy's (maint.partition_policy row of refresh.run)
--
-- The audit log is append-only for the worker: it inserts runs and completes its running
-- ones (status, timings, errors), never changes a finished run nor deletes one; its months
-- disappear only at the retention of its partition policy, which only the owner changes.

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

create or replace function refresh.maintain_run_partitions(p_keep interval default null)
returns table (action text, partition_name text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_retention interval;
  v_keep interval;
  v_r record;
begin
  if p_keep is not null and p_keep <= interval '0' then
    raise exception 'refresh.maintain_run_partitions: retention must be a positive interval, not %', p_keep
      using errcode = 'SL068', hint = 'e.g. 13 months, or none for the policy''s';
  end if;
  select pol.retention into v_retention from maint.partition_policy pol where pol.parent = 'refresh.run'::regclass;
  if v_retention is not null and p_keep < v_retention then
    raise exception 'refresh.maintain_run_partitions(%): shorter than the policy''s retention of refresh.run (%)', p_keep, v_retention
      using errcode = 'SL092',
            hint = 'call refresh.maintain_run_partitions() for the policy''s retention; the owner role changes it in maint.partition_policy';
  end if;
  v_keep := greatest(p_keep, v_retention);
  -- no policy, or retention null: the audit log is kept whole
  if v_retention is not null then
    for v_r in
      select pb.partition
        from maint.partition_bounds pb
       where pb.parent = 'refresh.run'::regclass and not pb.is_default and pb.range_to <= now() - v_keep
       order by pb.range_from
    loop
      partition_name := v_r.partition::text;
      perform maint.drop_partition('refresh.run'::regclass, v_r.partition); -- checks the policy again, and logs it
      action := 'dropped';
      return next;
    end loop;
  end if;
  if refresh.ensure_run_partitions(now(), 2) > 0 then
    action := 'created';
    partition_name := 'months ahead';
    return next;
  end if;
end;
$$;
comment on function refresh.maintain_run_partitions(interval) is
  'Audit retention: drops (maint.drop_partition, logged in maint.maintenance_log) the monthly partitions of refresh.run that ended more than the retention of its policy in maint.partition_policy ago (13 months as shipped; p_keep may only keep longer: shorter is SL092), and creates the coming months. Without a policy, or with retention null, nothing is dropped. Run by the maintain job.';

create or replace function refresh.tg_run__final() returns trigger
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if old.status <> 'running'
     and not pg_catalog.pg_has_role(current_user, (select d.role_name from core.db_role d where d.kind = 'owner'), 'MEMBER') then
    raise exception 'refresh.run % (%, %) is finished: an audit row is not changed', old.run_id, old.object_name, old.status
      using errcode = 'SL072', hint = 'only a running run is completed; the owner role may repair the audit';
  end if;
  return new;
end;
$$;
comment on function refresh.tg_run__final() is
  'Before an update of refresh.run: a finished run (not running) is final; only the owner role (and its members, superusers) may change it (SL072).';

drop trigger if exists _100_final on refresh.run;
create trigger _100_final before update on refresh.run
  for each row execute function refresh.tg_run__final();

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
