-- refresh: planning and refreshing: refresh.plan, refresh.refresh_object, refresh.run_due.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL060  the object is not registered in refresh.object

-- Procedures that COMMIT (run_due, refresh_object) cannot have a SET clause or be
-- security definer; every name inside them is schema-qualified instead.

-- ---------------------------------------------------------------------------
-- Planning and refreshing
-- ---------------------------------------------------------------------------

create or replace function refresh.refresh_relation(p_object regclass, p_concurrently boolean) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from refresh.object o where o.object = p_object and o.kind = 'materialized_view') then
    raise exception 'refresh: % is not a registered materialized view', p_object
      using errcode = 'SL060', hint = 'see select * from refresh.status';
  end if;
  if p_concurrently then
    execute format('refresh materialized view concurrently %s', refresh.qualified_name(p_object));
  else
    execute format('refresh materialized view %s', refresh.qualified_name(p_object));
  end if;
end;
$$;
comment on function refresh.refresh_relation(regclass, boolean) is
  'REFRESH MATERIALIZED VIEW [CONCURRENTLY] of a registered view, as the owner of the refresh schema (REFRESH needs the view''s owner), so that the worker role needs no ownership. Only registered views; the name comes from the catalog, quoted.';


create or replace function refresh.levels() returns table (object regclass, level integer)
language sql stable
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
  with recursive lvl (object, level) as (
    select o.object, 0 from refresh.object o
    union
    select d.dependent, l.level + 1
      from lvl l
      join refresh.dependency d on d.parent = l.object
     where l.level < 100
  )
  select l.object, max(l.level)::integer from lvl l group by l.object
$$;
comment on function refresh.levels() is 'Each registered object''s level in the dependency graph: 0 when it reads no registered object, else one more than its deepest registered parent.';

create or replace function refresh.plan(p_object regclass default null, p_force boolean default false)
returns table (step integer, object regclass, level integer, reason text, method text)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
begin
  if p_object is not null and not exists (select from refresh.object o where o.object = p_object) then
    raise exception 'refresh: % is not registered in refresh.object', p_object
      using errcode = 'SL060', hint = 'materialized views and tables in stats register themselves; see select * from refresh.status';
  end if;
  return query
  with recursive
  seed as (
    select o.object,
           case when p_object is not null then 'requested'
                when p_force then 'forced'
                when o.stale_since is not null then format('stale since %s', o.stale_since)
                when o.kind = 'materialized_view' and not c.relispopulated then 'not populated'
                else format('due since %s', o.next_refresh_at) end as reason
      from refresh.object o
      join pg_catalog.pg_class c on c.oid = o.object
     where o.enabled
       and case when p_object is not null then o.object = p_object
                else p_force or o.stale_since is not null or o.next_refresh_at <= now()
                     or (o.kind = 'materialized_view' and not c.relispopulated) end
  ),
  closure (object, reason, depth) as (
    select s.object, s.reason, 0 from seed s
    union
    select d.dependent, format('depends on %s', cl.object), cl.depth + 1
      from closure cl join refresh.dependency d on d.parent = cl.object
     where cl.depth < 100
  ),
  chosen as (
    select distinct on (cl.object) cl.object, cl.reason from closure cl order by cl.object, cl.depth, cl.reason
  )
  select (row_number() over (order by lv.level, o.priority desc, ch.object::text))::integer,
         ch.object, lv.level, ch.reason, refresh.effective_method(ch.object)
    from chosen ch
    join refresh.object o on o.object = ch.object
    join refresh.levels() lv on lv.object = ch.object
   where o.enabled
   order by 1;
end;
$$;
comment on function refresh.plan(regclass, boolean) is
  'What a refresh would do, in order: with p_object that object and everything depending on it; otherwise every enabled object that is stale, due or unpopulated (all with p_force) and their dependents. Parents before dependents, higher priority first within a level. Shared by run_due''s dry run and `scoreline refresh --dry-run`.';

create or replace procedure refresh.refresh_object(
  p_object regclass,
  p_trigger text default 'manual',
  p_run_group bigint default null,
  p_reason text default null,
  p_force boolean default false)
language plpgsql
as $$
declare
  v_obj refresh.object;
  v_name text;
  v_populated boolean;
  v_group bigint := coalesce(p_run_group, pg_catalog.nextval('refresh.run_group_seq'));
  v_skip text;
  v_method text;
  v_run bigint;
  v_started timestamptz;
  v_count boolean;
  v_before bigint;
  v_after bigint;
  v_fn regprocedure;
  v_fn_name text;
  v_error boolean := false;
  v_state text;
  v_msg text;
  v_detail text;
  v_context text;
  v_failures text;
  v_finished timestamptz;
begin
  perform refresh.assert_trigger_source(p_trigger);
  select * into v_obj from refresh.object o where o.object = p_object;
  if not found and p_run_group is not null then
    raise notice '%: unregistered since the pass was planned: nothing to do', p_object;
    return; -- dropped while a pass was running
  elsif not found then
    raise exception 'refresh: % is not registered in refresh.object', p_object
      using errcode = 'SL060', hint = 'materialized views and tables in stats register themselves; see select * from refresh.status';
  end if;
  v_name := refresh.qualified_name(p_object);
  select c.relispopulated into v_populated from pg_catalog.pg_class c where c.oid = p_object;
  perform refresh.ensure_run_partitions();
  perform refresh.reap(p_object);

  -- 1. Decide and claim, under the object's advisory lock (held to the commit only).
  if not pg_catalog.pg_try_advisory_xact_lock(refresh.lock_key(p_object)) then
    v_skip := format('another refresher holds the lock on %s', v_name);
  elsif exists (select from refresh.run r where r.object = p_object and r.status = 'running') then
    select format('run %s (backend %s) is refreshing %s', r.run_id, r.backend_pid, v_name) into v_skip
      from refresh.run r where r.object = p_object and r.status = 'running' limit 1;
  elsif not v_obj.enabled then
    v_skip := format('%s is disabled in refresh.object', v_name);
  else
    select format('parent %s is being refreshed by another run, which refreshes %s after it', d.parent, v_name) into v_skip
      from refresh.dependency d
      join refresh.object p on p.object = d.parent
     where d.dependent = p_object
       and (exists (select from refresh.run r where r.object = d.parent and r.status = 'running')
            or exists (select from pg_catalog.pg_locks l
                        where l.locktype = 'advisory' and l.granted and l.pid <> pg_catalog.pg_backend_pid()
                          and l.classid = 1919247464 and l.objid = d.parent::oid and l.objsubid = 1))
     limit 1;
    if v_skip is null then
      v_skip := refresh.blocked_reason(p_object);
      if v_skip is not null then
        v_skip := 'blocked: ' || v_skip;
      end if;
    end if;
    if v_skip is null and not (p_force or v_obj.stale_since is not null or v_obj.next_refresh_at <= now()
                               or (v_obj.kind = 'materialized_view' and not v_populated)) then
      v_skip := format('%s is fresh: nothing it reads changed since its refresh at %s', v_name, v_obj.last_refresh_at);
    end if;
    if v_skip is null and v_obj.method = 'maintained' then
      v_skip := format('%s is maintained by triggers: nothing to refresh', v_name);
      update refresh.object o set stale_since = null where o.object = p_object;
    end if;
  end if;

  if v_skip is not null then
    insert into refresh.run (run_group, object, object_name, trigger_source, status, method, reason, finished_at, duration, parameters)
    values (v_group, p_object, v_name, p_trigger, 'skipped', v_obj.method, v_skip, clock_timestamp(), interval '0', v_obj.parameters);
    raise notice '%: skipped: %', v_name, v_skip;
    commit;
    return;
  end if;

  v_method := refresh.effective_method(p_object);
  insert into refresh.run (run_group, object, object_name, trigger_source, status, method, reason, parameters, stale_since, backend_start)
  values (v_group, p_object, v_name, p_trigger, 'running', v_method,
          coalesce(p_reason, case when p_force then 'forced' when v_obj.stale_since is not null then format('stale since %s', v_obj.stale_since)
                                  else 'due' end),
          v_obj.parameters, v_obj.stale_since,
          (select a.backend_start from pg_catalog.pg_stat_activity a where a.pid = pg_catalog.pg_backend_pid()))
  returning run_id, started_at into v_run, v_started;
  -- Clear the staleness this run covers before its snapshot is taken. A write to a source
  -- still in flight (its transaction holds the writer lock shared, refresh.tg__mark_stale)
  -- will not be in this refresh: then the object stays stale, since now, and the next pass
  -- refreshes again. A writer still holding the row (it just marked it) keeps it stale too.
  update refresh.object o
     set stale_since = case when pg_catalog.pg_try_advisory_xact_lock(refresh.writer_lock_key(p_object)) then null else now() end
   where o.object in (select x.object from refresh.object x
                       where x.object = p_object and x.stale_since is not null
                         for update skip locked);
  commit;

  -- 2. Refresh, with the object's lock timeout.
  begin
    perform pg_catalog.pg_advisory_xact_lock(refresh.lock_key(p_object));
    perform set_config('lock_timeout', coalesce(v_obj.parameters ->> 'lock_timeout', '5s'), true);
    v_count := coalesce((v_obj.parameters ->> 'count_rows')::boolean, true);
    if v_count and (v_obj.kind = 'table' or v_populated) then
      execute format('select count(*) from %s', v_name) into v_before;
    end if;
    if v_method in ('concurrent', 'full') then
      perform refresh.refresh_relation(p_object, v_method = 'concurrent');
    else
      v_fn := refresh.resolve_function(v_obj.refresh_function);
      select format('%I.%I', n.nspname, p.proname) into v_fn_name
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where p.oid = v_fn;
      perform 'PRAGMA:DISABLE:SECURITY_WARNINGS'; -- plpgsql_check: v_fn_name is format('%I.%I') of the catalog's names
      execute format('select %s($1, $2)', v_fn_name) using p_object, coalesce(v_obj.parameters -> 'args', '{}'::jsonb);
      perform 'PRAGMA:ENABLE:SECURITY_WARNINGS';
    end if;
    if v_count then
      execute format('select count(*) from %s', v_name) into v_after;
    end if;
    update refresh.run r set rows_before = v_before, rows_after = v_after
     where r.run_id = v_run and r.started_at = v_started;
  exception when others or query_canceled then
    -- query_canceled (57014: a statement_timeout, a cancel) is caught by name so that the audit
    -- records it; it is raised again below, once the run is marked failed
    get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text,
                            v_detail = pg_exception_detail, v_context = pg_exception_context;
    v_error := true;
  end;

  if v_error then
    v_finished := clock_timestamp();
    update refresh.run r
       set status = 'failed', finished_at = v_finished, duration = v_finished - r.started_at,
           error_sqlstate = v_state, error_message = v_msg, error_detail = nullif(v_detail, ''), error_context = nullif(v_context, '')
     where r.run_id = v_run and r.started_at = v_started;
    update refresh.object o
       set stale_since = coalesce(o.stale_since, v_obj.stale_since, now()),
           last_status = 'failed', last_error = format('%s (SQLSTATE %s)', v_msg, v_state)
     where o.object = p_object;
    raise notice '%: failed: % (SQLSTATE %)', v_name, v_msg, v_state;
    commit;
    if v_state = '57014' then
      raise exception 'refresh of % cancelled: %', v_name, v_msg
        using errcode = '57014', hint = format('run %s is audited as failed in refresh.run', v_run);
    end if;
    return;
  end if;
  commit;

  -- 3. Book-keeping, dependents made stale, data-quality checks.
  v_finished := clock_timestamp();
  update refresh.object o
     set last_refresh_at = v_finished, last_duration = v_finished - v_started, last_status = 'success', last_error = null,
         next_refresh_at = v_finished + o.frequency
   where o.object = p_object;
  update refresh.object o
     set stale_since = now()
   where o.stale_since is null
     and o.object in (select d.dependent from refresh.dependency d where d.parent = p_object);
  select string_agg(format('%s check %s: %s', c.severity, quote_literal(c.check_name), c.detail), '; ' order by c.check_name)
    into v_failures
    from refresh.run_checks(p_object, v_run) c
   where not c.passed;
  update refresh.run r
     set status = case when v_failures is null then 'success' else 'warning' end,
         finished_at = v_finished, duration = v_finished - r.started_at,
         error_sqlstate = case when v_failures is not null then 'SL070' end,
         error_message = case when v_failures is not null then 'data-quality: ' || v_failures end
   where r.run_id = v_run and r.started_at = v_started;
  if v_failures is not null then
    update refresh.object o set last_status = 'warning', last_error = 'data-quality: ' || v_failures where o.object = p_object;
    raise notice '%: refreshed (%), but data-quality: %', v_name, v_method, v_failures;
  else
    raise notice '%: refreshed (%): rows % -> %', v_name, v_method, coalesce(v_before::text, '-'), coalesce(v_after::text, '-');
  end if;
  commit;
end;
$$;
comment on procedure refresh.refresh_object(regclass, text, bigint, text, boolean) is
  'Refreshes one registered object, auditing it in refresh.run: skips it (audited, with the reason) when another refresher holds it or its parent, when a hard parent failed or fails an error check, or when it is fresh and not forced; else claims it, clears its staleness, refreshes (CONCURRENTLY when possible) under its lock_timeout, marks its dependents stale and runs its checks. Commits between these steps: call it outside a transaction block.';

create or replace function refresh.begin_pass() returns bigint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform refresh.ensure_run_partitions();
  perform refresh.reap();
  -- scoring owed but not queued (a lost job): queued before the statistics are refreshed
  if pg_catalog.to_regprocedure('worker.enqueue_owed()') is not null then
    perform worker.enqueue_owed();
  end if;
  -- a check that failed before may pass now that the data was fixed: look again
  perform refresh.run_checks(f.object)
     from (select distinct fc.object from refresh.failing_check fc where fc.object is not null) f;
  return pg_catalog.nextval('refresh.run_group_seq');
end;
$$;
comment on function refresh.begin_pass() is
  'Starts a refresh pass: ensures audit partitions, reaps abandoned runs, queues the scoring owed to events whose job was lost (worker.enqueue_owed), re-runs checks that failed last time (the data may have been fixed), and returns the pass''s run_group.';

create or replace procedure refresh.run_due(
  p_trigger text default 'manual',
  p_object regclass default null,
  p_force boolean default false,
  p_dry_run boolean default false)
language plpgsql
as $$
declare
  v_group bigint;
  v_s record;
begin
  perform refresh.assert_trigger_source(p_trigger);
  if p_dry_run then
    for v_s in select * from refresh.plan(p_object, p_force) p order by p.step loop
      raise notice '% %: % (level %, %)', v_s.step, v_s.object, v_s.reason, v_s.level, v_s.method;
    end loop;
    return;
  end if;
  v_group := refresh.begin_pass();
  commit;
  for v_s in select * from refresh.plan(p_object, p_force) p order by p.step loop
    call refresh.refresh_object(v_s.object, p_trigger, v_group, v_s.reason, p_force or v_s.object = p_object);
  end loop;
end;
$$;
comment on procedure refresh.run_due(text, regclass, boolean, boolean) is
  'Refreshes what refresh.plan(p_object, p_force) lists, in order, one refresh.refresh_object each, committing between objects (call it outside a transaction block). p_dry_run only prints the plan as NOTICEs. statement_timeout cannot be armed per object inside one CALL: `scoreline refresh` calls refresh_object per object with it.';
