-- refresh: registration by event triggers, dependency discovery, staleness triggers,
-- the refresh procedures (run_due, refresh_object), plan, data-quality checks,
-- checkpoints, the reaper, audit partitions and the status view.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL060  the object is not registered in refresh.object
--   SL061  refresh_function is not a schema-qualified function taking (regclass, jsonb)
--   SL062  refresh.object.parameters holds an unknown key or a bad value
--   SL063  the object is not a materialized view or table, or the method does not fit its kind
--   SL064  a declared dependency would make a cycle
--   SL065  a checkpoint that is not active (completed or expired) was advanced or completed
--   SL066  a checkpoint position outside 0..total or moving backwards
--   SL067  an unknown trigger source (cron, manual, event, http)
--   SL068  a retention that is not a positive interval
-- Recorded, not raised: SL070 (data-quality check failed, in refresh.run.error_sqlstate),
-- SL071 (a run abandoned by its backend, set by refresh.reap). SL079 is internal.
--
-- Procedures that COMMIT (run_due, refresh_object) cannot have a SET clause or be
-- security definer; every name inside them is schema-qualified instead.

-- ---------------------------------------------------------------------------
-- Small helpers
-- ---------------------------------------------------------------------------

create or replace function refresh.lock_key(p_object regclass) returns bigint
language sql immutable strict parallel safe
as $$ select (1919247464::bigint << 32) | p_object::oid::bigint $$;
comment on function refresh.lock_key(regclass) is
  'The advisory lock key one refresher of an object holds (high half: the constant ''refh'', low half: the object''s oid).';

create or replace function refresh.qualified_name(p_object regclass) returns text
language sql stable strict
set search_path = pg_catalog, pg_temp
as $$
  select format('%I.%I', n.nspname, c.relname)
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = p_object
$$;
comment on function refresh.qualified_name(regclass) is
  'schema.name of a relation with both parts quoted by format(''%I.%I''): the only form in which the refresh code splices a name into SQL. Null when the relation is gone.';

create or replace function refresh.assert_trigger_source(p_trigger text) returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_trigger is null or p_trigger not in ('cron', 'manual', 'event', 'http') then
    raise exception 'unknown refresh trigger source "%"', p_trigger
      using errcode = 'SL067', hint = 'use one of cron, manual, event, http';
  end if;
end;
$$;
comment on function refresh.assert_trigger_source(text) is 'Refuses a trigger source other than cron, manual, event, http (SL067).';

create or replace function refresh.resolve_function(p_name text) returns regprocedure
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parts text[];
  v_fn regprocedure;
begin
  if p_name is null then
    return null;
  end if;
  begin
    v_parts := pg_catalog.parse_ident(p_name);
  exception when others then
    v_parts := null;
  end;
  if v_parts is null or pg_catalog.cardinality(v_parts) <> 2 then
    raise exception 'refresh function "%" is not a schema-qualified function name', p_name
      using errcode = 'SL061',
            hint = 'give schema.function; it is called as schema.function(object regclass, parameters jsonb)';
  end if;
  v_fn := pg_catalog.to_regprocedure(format('%I.%I(regclass, jsonb)', v_parts[1], v_parts[2]));
  if v_fn is null or not exists (select from pg_catalog.pg_proc p where p.oid = v_fn and p.prokind = 'f') then
    raise exception 'refresh function %.%(regclass, jsonb) does not exist', quote_ident(v_parts[1]), quote_ident(v_parts[2])
      using errcode = 'SL061',
            hint = 'create the function first; it receives the object and refresh.object.parameters->''args''';
  end if;
  return v_fn;
end;
$$;
comment on function refresh.resolve_function(text) is
  'Resolves refresh.object.refresh_function (schema.name) to the function name(regclass, jsonb) through parse_ident and to_regprocedure, or raises SL061. Nothing is ever spliced from the text.';

create or replace function refresh.validate_parameters(p_parameters jsonb) returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad text;
  v_key text;
begin
  if p_parameters is null or jsonb_typeof(p_parameters) <> 'object' then
    return; -- the check object_parameters_is_object reports it
  end if;
  select string_agg(k, ', ' order by k) into v_bad
    from jsonb_object_keys(p_parameters) k
   where k not in ('lock_timeout', 'statement_timeout', 'count_rows', 'args');
  if v_bad is not null then
    raise exception 'refresh.object.parameters: unknown key(s) %', v_bad
      using errcode = 'SL062', hint = 'known keys: lock_timeout, statement_timeout, count_rows, args';
  end if;
  foreach v_key in array array['lock_timeout', 'statement_timeout'] loop
    if p_parameters ? v_key
       and (jsonb_typeof(p_parameters -> v_key) <> 'string'
            or (p_parameters ->> v_key) !~ '^[0-9]{1,9} ?(us|ms|s|min|h|d)?$') then
      raise exception 'refresh.object.parameters: % must be a duration such as 5s or 500ms, not %', v_key, p_parameters -> v_key
        using errcode = 'SL062';
    end if;
  end loop;
  if p_parameters ? 'count_rows' and jsonb_typeof(p_parameters -> 'count_rows') <> 'boolean' then
    raise exception 'refresh.object.parameters: count_rows must be true or false, not %', p_parameters -> 'count_rows'
      using errcode = 'SL062';
  end if;
end;
$$;
comment on function refresh.validate_parameters(jsonb) is
  'Refuses unknown keys and values that are not durations or booleans in refresh.object.parameters (SL062). Timeouts are applied with set_config, never spliced.';

create or replace function refresh.effective_method(p_object regclass) returns text
language sql stable strict
set search_path = pg_catalog, pg_temp
as $$
  select case
           when o.method <> 'concurrent' then o.method
           when c.relispopulated and exists (
             select from pg_catalog.pg_index i
              where i.indrelid = c.oid and i.indisunique and i.indisvalid and i.indimmediate
                and i.indpred is null and i.indexprs is null) then 'concurrent'
           else 'full'
         end
    from refresh.object o join pg_catalog.pg_class c on c.oid = o.object
   where o.object = p_object
$$;
comment on function refresh.effective_method(regclass) is
  'How the object will be refreshed now: concurrent only when its method allows it, it is populated and it has a unique index without expressions or WHERE (what REFRESH … CONCURRENTLY needs); full otherwise; function or maintained as registered.';

-- ---------------------------------------------------------------------------
-- Registry validation
-- ---------------------------------------------------------------------------

create or replace function refresh.tg_object__validate() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_relkind "char";
begin
  select c.relkind into v_relkind from pg_catalog.pg_class c where c.oid = new.object;
  if v_relkind is null or v_relkind not in ('m', 'r', 'p') then
    raise exception 'refresh.object: % is not a materialized view or a table', new.object
      using errcode = 'SL063',
            hint = 'register materialized views and tables; plain views are followed to their tables as dependencies';
  end if;
  new.kind := case v_relkind when 'm' then 'materialized_view' else 'table' end;
  if new.kind = 'table' and new.method in ('concurrent', 'full') then
    raise exception 'refresh.object: table % cannot be refreshed with REFRESH MATERIALIZED VIEW (method %)', new.object, new.method
      using errcode = 'SL063', hint = 'use method function (with refresh_function) or maintained';
  end if;
  if new.method = 'function' then
    perform refresh.resolve_function(new.refresh_function);
  end if;
  perform refresh.validate_parameters(new.parameters);
  if tg_op = 'INSERT' then
    if new.frequency is not null and new.next_refresh_at is null then
      new.next_refresh_at := now() + new.frequency;
    end if;
  elsif new.frequency is distinct from old.frequency then
    new.next_refresh_at := coalesce(new.last_refresh_at, now()) + new.frequency;
  end if;
  return new;
end;
$$;
comment on function refresh.tg_object__validate() is
  'Before insert or update of refresh.object''s definition: sets kind from the catalog, refuses relations that are not materialized views or tables and methods that do not fit (SL063), unresolvable refresh functions (SL061) and bad parameters (SL062); schedules next_refresh_at from frequency.';

drop trigger if exists _100_validate on refresh.object;
create trigger _100_validate
  before insert or update of object, method, refresh_function, parameters, frequency on refresh.object
  for each row execute function refresh.tg_object__validate();

create or replace function refresh.tg_dependency__no_cycle() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
begin
  if exists (
    with recursive down(object) as (
      select new.dependent::oid
      union
      select d.dependent::oid from down join refresh.dependency d on d.parent::oid = down.object
    )
    select from down where down.object = new.parent::oid
  ) then
    raise exception 'refresh.dependency: % cannot depend on %: % already depends on %', new.dependent, new.parent, new.parent, new.dependent
      using errcode = 'SL064', hint = 'dependencies must form a graph without cycles';
  end if;
  return new;
end;
$$;
comment on function refresh.tg_dependency__no_cycle() is 'Before insert or update of refresh.dependency: refuses a dependency that closes a cycle (SL064).';

drop trigger if exists _100_no_cycle on refresh.dependency;
create trigger _100_no_cycle
  before insert or update of dependent, parent on refresh.dependency
  for each row execute function refresh.tg_dependency__no_cycle();

-- ---------------------------------------------------------------------------
-- Dependency discovery and staleness triggers
-- ---------------------------------------------------------------------------

create or replace function refresh.catalog_parents() returns table (dependent regclass, parent regclass)
language sql stable
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
  with recursive reads (dependent, rel) as (
    select o.object::oid, d.refobjid
      from refresh.object o
      join pg_catalog.pg_rewrite w on w.ev_class = o.object::oid
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> w.ev_class
    union
    select r.dependent, d.refobjid
      from reads r
      join pg_catalog.pg_class v on v.oid = r.rel and v.relkind = 'v'
      join pg_catalog.pg_rewrite w on w.ev_class = v.oid
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> w.ev_class
  )
  select distinct r.dependent::regclass, r.rel::regclass
    from reads r join pg_catalog.pg_class c on c.oid = r.rel
   where c.relkind in ('r', 'p', 'm', 'f') and r.rel <> r.dependent
$$;
comment on function refresh.catalog_parents() is
  'What each registered materialized view reads, from pg_depend through pg_rewrite, followed recursively through plain views down to tables, foreign tables and materialized views.';

create or replace function refresh.computed_sources() returns table (source regclass, object regclass)
language sql stable
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
  with recursive reach (object, rel) as (
    select d.dependent::oid, d.parent::oid
      from refresh.dependency d join refresh.object o on o.object = d.dependent
     where o.method <> 'maintained'
    union
    select r.object, nxt.parent
      from reach r
      cross join lateral (
        -- through plain views (declared parents may be views)
        select d.refobjid as parent
          from pg_catalog.pg_class v
          join pg_catalog.pg_rewrite w on w.ev_class = v.oid
          join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                                     and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> v.oid
         where v.oid = r.rel and v.relkind = 'v'
        union all
        -- through registered objects: what they read makes their dependents stale too
        select d.parent::oid from refresh.dependency d where d.dependent::oid = r.rel
      ) nxt
  ),
  tables as (
    select distinct r.rel, r.object
      from reach r
      join pg_catalog.pg_class c on c.oid = r.rel
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'f')
       and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  )
  select t.rel::regclass, t.object::regclass from tables t
  union
  -- every partition, for writes that name a partition directly
  select pt.relid, t.object::regclass
    from tables t
    join pg_catalog.pg_class c on c.oid = t.rel and c.relkind = 'p'
    cross join lateral pg_catalog.pg_partition_tree(t.rel::regclass) pt
   where pt.relid <> t.rel::regclass
$$;
comment on function refresh.computed_sources() is
  'For each base table (and each partition of a partitioned one), the registered objects a write to it makes stale, directly or through plain views and other registered objects. Maintained objects are never stale.';

create or replace function refresh.tg_source__mark_stale() returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op <> 'TRUNCATE' and tg_nargs = 0 then
    if not exists (select from changed_rows) then
      return null; -- a statement that changed nothing makes nothing stale
    end if;
  end if;
  update refresh.object o
     set stale_since = now()
   where o.stale_since is null
     and o.object in (select s.object from refresh.source s where s.source = tg_relid::regclass);
  return null;
end;
$$;
comment on function refresh.tg_source__mark_stale() is
  'After each statement on a source table (transition table changed_rows): one UPDATE marking the registered objects that read it stale, only those not stale yet, so concurrent writers do not queue on the registry.';

create or replace function refresh.install_stale_triggers(p_table regclass) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := refresh.qualified_name(p_table);
  v_relkind "char";
begin
  select c.relkind into v_relkind from pg_catalog.pg_class c where c.oid = p_table;
  if v_relkind = 'f' then
    -- foreign tables cannot have transition tables: mark on every statement
    execute format('create trigger zz_refresh_stale_insert after insert or update or delete on %s '
                   'for each statement execute function refresh.tg_source__mark_stale(%L)', v_name, 'no transition table');
    return;
  end if;
  execute format('create trigger zz_refresh_stale_insert after insert on %s referencing new table as changed_rows '
                 'for each statement execute function refresh.tg_source__mark_stale()', v_name);
  execute format('create trigger zz_refresh_stale_update after update on %s referencing new table as changed_rows '
                 'for each statement execute function refresh.tg_source__mark_stale()', v_name);
  execute format('create trigger zz_refresh_stale_delete after delete on %s referencing old table as changed_rows '
                 'for each statement execute function refresh.tg_source__mark_stale()', v_name);
  execute format('create trigger zz_refresh_stale_truncate after truncate on %s '
                 'for each statement execute function refresh.tg_source__mark_stale()', v_name);
end;
$$;
comment on function refresh.install_stale_triggers(regclass) is
  'Creates the statement-level staleness triggers (with transition tables; plain statement triggers on foreign tables) on one source table.';

create or replace function refresh.remove_stale_triggers(p_table regclass) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := refresh.qualified_name(p_table);
  v_trigger text;
begin
  foreach v_trigger in array array['zz_refresh_stale_insert', 'zz_refresh_stale_update', 'zz_refresh_stale_delete', 'zz_refresh_stale_truncate'] loop
    execute format('drop trigger if exists %I on %s', v_trigger, v_name);
  end loop;
end;
$$;
comment on function refresh.remove_stale_triggers(regclass) is 'Drops the staleness triggers from a table no registered object reads any more.';

create or replace function refresh.sync_sources() returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  r record;
begin
  insert into refresh.source (source, object)
  select c.source, c.object from refresh.computed_sources() c
  on conflict do nothing;
  delete from refresh.source s
   where not exists (select from refresh.computed_sources() c where c.source = s.source and c.object = s.object);

  for r in
    select s.source as rel, 'install' as action
      from (select distinct source from refresh.source) s
     where not exists (select from pg_catalog.pg_trigger t
                        where t.tgrelid = s.source and t.tgname = 'zz_refresh_stale_insert')
    union all
    select t.tgrelid::regclass, 'remove'
      from pg_catalog.pg_trigger t
     where t.tgname = 'zz_refresh_stale_insert'
       and t.tgfoid = 'refresh.tg_source__mark_stale()'::regprocedure
       and not exists (select from refresh.source s where s.source = t.tgrelid::regclass)
  loop
    begin
      if r.action = 'install' then
        perform refresh.install_stale_triggers(r.rel);
      else
        perform refresh.remove_stale_triggers(r.rel);
      end if;
    exception when others then
      raise warning 'refresh: could not % staleness triggers on %: % (SQLSTATE %)', r.action, r.rel, sqlerrm, sqlstate
        using hint = 'objects reading it are not marked stale by its writes; fix the cause and run select refresh.sync()';
    end;
  end loop;
end;
$$;
comment on function refresh.sync_sources() is
  'Recomputes refresh.source and installs or removes the staleness triggers so that exactly the tables registered objects read carry them.';

create or replace function refresh.sync(p_by text default 'sync') returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_stats oid := pg_catalog.to_regnamespace('stats');
begin
  perform set_config('refresh.syncing', 'on', true);
  -- forget what is gone
  delete from refresh.object o
   where not exists (select from pg_catalog.pg_class c where c.oid = o.object and c.relkind in ('m', 'r', 'p'));
  delete from refresh.dependency d where not exists (select from pg_catalog.pg_class c where c.oid = d.parent);
  -- register every materialized view and table in stats (partitions belong to their parent)
  if v_stats is not null then
    insert into refresh.object (object, kind, method, stale_since, registered_by)
    select c.oid::regclass,
           case c.relkind when 'm' then 'materialized_view' else 'table' end,
           case c.relkind when 'm' then 'concurrent' else 'maintained' end,
           case when c.relkind = 'm' and not c.relispopulated then now() end,
           p_by
      from pg_catalog.pg_class c
     where c.relnamespace = v_stats and c.relkind in ('m', 'r', 'p') and not c.relispartition
    on conflict (object) do nothing;
  end if;
  -- catalog dependencies, rediscovered
  insert into refresh.dependency (dependent, parent, strength, origin)
  select p.dependent, p.parent, 'hard', 'catalog' from refresh.catalog_parents() p
  on conflict do nothing;
  delete from refresh.dependency d
   where d.origin = 'catalog'
     and not exists (select from refresh.catalog_parents() p where p.dependent = d.dependent and p.parent = d.parent);
  perform refresh.sync_sources();
  perform set_config('refresh.syncing', 'off', true);
end;
$$;
comment on function refresh.sync(text) is
  'Brings the registry in line with the catalog: unregisters dropped objects, registers every materialized view and table in stats (unpopulated ones stale), rediscovers catalog dependencies, recomputes sources and staleness triggers. Run by the event triggers and by sql/050_refresh.sql; safe to run any time.';

create or replace function refresh.tg_registry__sync_sources() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if coalesce(current_setting('refresh.syncing', true), '') <> 'on' then
    perform refresh.sync_sources();
  end if;
  return null;
end;
$$;
comment on function refresh.tg_registry__sync_sources() is
  'After a statement changing refresh.object or refresh.dependency by hand (a declared dependency, a method): recomputes sources and staleness triggers.';

drop trigger if exists _900_sync_sources_insert on refresh.dependency;
drop trigger if exists _900_sync_sources on refresh.dependency;
create trigger _900_sync_sources
  after insert or update or delete on refresh.dependency
  for each statement execute function refresh.tg_registry__sync_sources();
drop trigger if exists _900_sync_sources on refresh.object;
create trigger _900_sync_sources
  after insert or delete or update of method on refresh.object
  for each statement execute function refresh.tg_registry__sync_sources();

create or replace function refresh.tg_ddl__sync() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Only DDL that can change the registry: objects in stats (what is registered), views and
  -- materialized views anywhere (the dependency chains run through them), and new
  -- partitions of a table a registered object reads (they get its staleness triggers).
  -- Other tables, such as the daily partitions of the odds a loader or maintenance creates,
  -- change nothing, and a full sync for each made a season's odds load take minutes on
  -- PostgreSQL 15.
  if exists (select from pg_catalog.pg_event_trigger_ddl_commands() c
              where c.schema_name is not null and c.schema_name not like 'pg\_temp%'
                and c.object_type in ('table', 'materialized view', 'view', 'foreign table', 'table column')
                and (c.schema_name = 'stats'
                     or c.object_type in ('view', 'materialized view')
                     or exists (select from pg_catalog.pg_partition_ancestors(c.objid) a
                                  join refresh.source src on src.source = a.relid
                                 where a.relid <> c.objid))) then
    perform refresh.sync('event_trigger');
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', tg_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$$;
comment on function refresh.tg_ddl__sync() is
  'Event trigger (ddl_command_end): after DDL creating or altering a table in stats, or a view or materialized view in any schema (outside pg_temp), or a new partition of a table a registered object reads, runs refresh.sync(); other tables (such as odds partitions made by loaders and maintenance) cannot change the registry and are skipped. Never fails the DDL: a problem is a WARNING.';

create or replace function refresh.tg_drop__sync() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- REFRESH … CONCURRENTLY creates and drops temporary tables: they are not ours to track
  if exists (select from pg_catalog.pg_event_trigger_dropped_objects() d
              where not d.is_temporary and d.object_type in ('table', 'materialized view', 'view', 'foreign table')) then
    perform refresh.sync('event_trigger');
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', tg_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$$;
comment on function refresh.tg_drop__sync() is
  'Event trigger (sql_drop): after a table, materialized view or view is dropped (temporary ones ignored), runs refresh.sync() so dropped objects are unregistered.';

drop event trigger if exists refresh_sync_on_ddl;
create event trigger refresh_sync_on_ddl on ddl_command_end
  when tag in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE MATERIALIZED VIEW', 'ALTER TABLE',
               'ALTER MATERIALIZED VIEW', 'CREATE VIEW', 'ALTER VIEW', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE')
  execute function refresh.tg_ddl__sync();
comment on event trigger refresh_sync_on_ddl is 'Registers new materialized views and tables in stats and rediscovers dependencies (refresh.sync).';

drop event trigger if exists refresh_sync_on_drop;
create event trigger refresh_sync_on_drop on sql_drop
  execute function refresh.tg_drop__sync();
comment on event trigger refresh_sync_on_drop is 'Unregisters dropped materialized views and tables (refresh.sync); ignores temporary tables.';

-- ---------------------------------------------------------------------------
-- Data-quality checks
-- ---------------------------------------------------------------------------

create or replace function refresh.check_expectation(p_expected numeric, p_min numeric, p_max numeric) returns text
language sql immutable
as $$ select concat_ws(' and ', '= ' || p_expected, '>= ' || p_min, '<= ' || p_max) $$;
comment on function refresh.check_expectation(numeric, numeric, numeric) is 'A check''s thresholds in words: "= 0", ">= 0 and <= 0.05".';

create or replace view refresh.failing_check as
select c.check_id, c.name, c.object, c.severity, r.value, r.checked_at, r.error_sqlstate, r.error_message,
       case when r.error_message is not null then format('its query failed: %s (SQLSTATE %s)', r.error_message, r.error_sqlstate)
            when r.value is null then 'its query returned no value'
            else format('value %s, expected %s', r.value, refresh.check_expectation(c.expected, c.min_value, c.max_value))
       end as detail
  from refresh."check" c
  cross join lateral (
    select * from refresh.check_result x where x.check_id = c.check_id order by x.checked_at desc, x.check_result_id desc limit 1
  ) r
 where c.enabled and not r.passed;
comment on view refresh.failing_check is 'Enabled checks whose latest result failed, with what went wrong. An error-severity one blocks its object''s hard dependents.';

create or replace function refresh.run_checks(p_object regclass default null, p_run_id bigint default null)
returns table (check_name text, object regclass, severity text, value numeric, passed boolean, detail text)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  c refresh."check";
  v numeric;
  v_state text;
  v_msg text;
  v_ok boolean;
begin
  for c in
    select * from refresh."check" k where k.enabled and (p_object is null or k.object = p_object) order by k.name
  loop
    v := null;
    v_state := null;
    v_msg := null;
    begin
      -- a check only reads: run it read-only, then roll the subtransaction back
      perform set_config('transaction_read_only', 'on', true);
      execute c.query into v;
      raise exception using errcode = 'SL079', message = 'check evaluated';
    exception
      when sqlstate 'SL079' then null;
      when others then
        get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
    end;
    v_ok := v_state is null and v is not null
            and (c.expected is null or v = c.expected)
            and (c.min_value is null or v >= c.min_value)
            and (c.max_value is null or v <= c.max_value);
    insert into refresh.check_result (check_id, run_id, value, passed, error_sqlstate, error_message)
    values (c.check_id, p_run_id, v, v_ok, v_state, v_msg);
    check_name := c.name;
    object := c.object;
    severity := c.severity;
    value := v;
    passed := v_ok;
    detail := case when v_ok then null
                   when v_msg is not null then format('its query failed: %s (SQLSTATE %s)', v_msg, v_state)
                   when v is null then 'its query returned no value'
                   else format('value %s, expected %s', v, refresh.check_expectation(c.expected, c.min_value, c.max_value)) end;
    return next;
  end loop;
end;
$$;
comment on function refresh.run_checks(regclass, bigint) is
  'Runs the enabled checks of one object (all checks when null: the nightly report), each read-only in its own subtransaction; a query that errors is a failed check with its error. Stores and returns the results.';

create or replace function refresh.blocked_reason(p_object regclass) returns text
language sql stable
security definer -- refresh.status calls it for readers, who see no refresh tables
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
  with recursive up (object, depth) as (
    select d.parent, 1
      from refresh.dependency d join refresh.object p on p.object = d.parent
     where d.dependent = p_object and d.strength = 'hard'
    union
    select d.parent, u.depth + 1
      from up u
      join refresh.dependency d on d.dependent = u.object and d.strength = 'hard'
      join refresh.object p on p.object = d.parent
     where u.depth < 100
  )
  select r.reason from (
    select u.depth, 1 as rank, format('the last refresh of %s failed: %s', u.object, p.last_error) as reason
      from up u join refresh.object p on p.object = u.object
     where p.last_status = 'failed'
    union all
    select u.depth, 2, format('data-quality check %s on %s failed: %s', quote_literal(f.name), u.object, f.detail)
      from up u join refresh.failing_check f on f.object = u.object and f.severity = 'error'
  ) r
  order by r.depth, r.rank, r.reason
  limit 1
$$;
comment on function refresh.blocked_reason(regclass) is
  'Why an object must not be refreshed now: a hard ancestor whose last refresh failed or whose error-severity check fails. Null when nothing blocks it.';

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
  for i in 0 .. greatest(p_months_ahead, 0) loop
    v_name := 'run_' || to_char(v_month + make_interval(months => i), 'YYYY"m"MM');
    if pg_catalog.to_regclass(format('refresh.%I', v_name)) is null then
      execute format('create table refresh.%I partition of refresh.run for values from (%L) to (%L)',
                     v_name,
                     (v_month + make_interval(months => i)) at time zone 'UTC',
                     (v_month + make_interval(months => i + 1)) at time zone 'UTC');
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
  r record;
begin
  if p_keep is null or p_keep <= interval '0' then
    raise exception 'refresh.maintain_run_partitions: retention must be a positive interval, not %', p_keep
      using errcode = 'SL068', hint = 'e.g. 13 months';
  end if;
  v_cutoff := (now() - p_keep) at time zone 'UTC';
  for r in
    select c.relname
      from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'refresh.run'::regclass and c.relname ~ '^run_[0-9]{4}m[0-9]{2}$'
       and to_timestamp(substr(c.relname, 5), 'YYYY"m"MM')::timestamp + interval '1 month' <= v_cutoff
     order by c.relname
  loop
    execute format('drop table refresh.%I', r.relname);
    action := 'dropped';
    partition_name := 'refresh.' || r.relname;
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
  -- Clear the staleness this run covers before its snapshot is taken. A writer still holding
  -- the row (it just marked it) keeps it stale: the next pass refreshes again.
  update refresh.object o set stale_since = null
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
      execute format('select %s($1, $2)', v_fn_name) using p_object, coalesce(v_obj.parameters -> 'args', '{}'::jsonb);
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
  -- a check that failed before may pass now that the data was fixed: look again
  perform refresh.run_checks(f.object)
     from (select distinct fc.object from refresh.failing_check fc where fc.object is not null) f;
  return pg_catalog.nextval('refresh.run_group_seq');
end;
$$;
comment on function refresh.begin_pass() is
  'Starts a refresh pass: ensures audit partitions, reaps abandoned runs, re-runs checks that failed last time (the data may have been fixed), and returns the pass''s run_group.';

create or replace procedure refresh.run_due(
  p_trigger text default 'manual',
  p_object regclass default null,
  p_force boolean default false,
  p_dry_run boolean default false)
language plpgsql
as $$
declare
  v_group bigint;
  s record;
begin
  perform refresh.assert_trigger_source(p_trigger);
  if p_dry_run then
    for s in select * from refresh.plan(p_object, p_force) p order by p.step loop
      raise notice '% %: % (level %, %)', s.step, s.object, s.reason, s.level, s.method;
    end loop;
    return;
  end if;
  v_group := refresh.begin_pass();
  commit;
  for s in select * from refresh.plan(p_object, p_force) p order by p.step loop
    call refresh.refresh_object(s.object, p_trigger, v_group, s.reason, p_force or s.object = p_object);
  end loop;
end;
$$;
comment on procedure refresh.run_due(text, regclass, boolean, boolean) is
  'Refreshes what refresh.plan(p_object, p_force) lists, in order, one refresh.refresh_object each, committing between objects (call it outside a transaction block). p_dry_run only prints the plan as NOTICEs. statement_timeout cannot be armed per object inside one CALL: `scoreline refresh` calls refresh_object per object with it.';

-- ---------------------------------------------------------------------------
-- Checkpoints
-- ---------------------------------------------------------------------------

create or replace function refresh.checkpoint_start(p_function text, p_target text, p_total bigint default null,
                                                    p_ttl interval default '1 hour')
returns refresh.checkpoint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v refresh.checkpoint;
begin
  update refresh.checkpoint k set status = 'expired', updated_at = now()
   where k.function_name = p_function and k.target = p_target and k.status = 'active' and k.expires_at < now();
  insert into refresh.checkpoint (function_name, target, total, expires_at)
  values (p_function, p_target, p_total, now() + p_ttl)
  on conflict (function_name, target) where status = 'active' do nothing
  returning * into v;
  if v.checkpoint_id is null then
    select * into v from refresh.checkpoint k
     where k.function_name = p_function and k.target = p_target and k.status = 'active';
  end if;
  return v;
end;
$$;
comment on function refresh.checkpoint_start(text, text, bigint, interval) is
  'Starts a checkpoint for a long job, or returns the active one to resume from (its position says where). An expired one is not resumed.';

create or replace function refresh.checkpoint_resume(p_function text, p_target text) returns refresh.checkpoint
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select * from refresh.checkpoint k
   where k.function_name = p_function and k.target = p_target and k.status = 'active' and k.expires_at >= now()
$$;
comment on function refresh.checkpoint_resume(text, text) is 'The active, unexpired checkpoint of a job on a target, or null: where to resume.';

create or replace function refresh.checkpoint_advance(p_checkpoint_id bigint, p_position bigint, p_state jsonb default null,
                                                      p_ttl interval default '1 hour')
returns refresh.checkpoint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v refresh.checkpoint;
begin
  select * into v from refresh.checkpoint k where k.checkpoint_id = p_checkpoint_id for update;
  if not found or v.status <> 'active' or v.expires_at < now() then
    raise exception 'checkpoint % is not active (%)', p_checkpoint_id, coalesce(case when v.status = 'active' then 'expired' else v.status end, 'no such checkpoint')
      using errcode = 'SL065', hint = 'call refresh.checkpoint_start again to start over or resume the active one';
  end if;
  if p_position is null or p_position < v.position or (v.total is not null and p_position > v.total) then
    raise exception 'checkpoint % (% on %): position % is outside % .. %', p_checkpoint_id, v.function_name, v.target, p_position,
                    v.position, coalesce(v.total::text, 'unbounded')
      using errcode = 'SL066', hint = 'a checkpoint only moves forward, up to its total';
  end if;
  update refresh.checkpoint k
     set position = p_position, state = coalesce(p_state, k.state), updated_at = now(), expires_at = now() + p_ttl
   where k.checkpoint_id = p_checkpoint_id
  returning * into v;
  return v;
end;
$$;
comment on function refresh.checkpoint_advance(bigint, bigint, jsonb, interval) is
  'Records progress (a position that only moves forward, optional state) and extends the expiry; refuses a checkpoint that is not active (SL065) or a bad position (SL066).';

create or replace function refresh.checkpoint_complete(p_checkpoint_id bigint) returns refresh.checkpoint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v refresh.checkpoint;
begin
  update refresh.checkpoint k set status = 'completed', position = coalesce(k.total, k.position), updated_at = now()
   where k.checkpoint_id = p_checkpoint_id and k.status = 'active'
  returning * into v;
  if v.checkpoint_id is null then
    raise exception 'checkpoint % is not active', p_checkpoint_id
      using errcode = 'SL065', hint = 'only an active checkpoint can be completed';
  end if;
  return v;
end;
$$;
comment on function refresh.checkpoint_complete(bigint) is 'Marks a job''s checkpoint completed; the next checkpoint_start for it starts from 0.';

-- ---------------------------------------------------------------------------
-- What a DBA reads
-- ---------------------------------------------------------------------------

create or replace view refresh.status as
select o.object,
       o.kind,
       o.method,
       o.enabled,
       s.state,
       o.stale_since,
       o.last_refresh_at as last_success,
       o.last_duration,
       coalesce(o.sla is not null and s.behind_since is not null and now() - s.behind_since > o.sla, false) as sla_breached,
       s.reason,
       o.next_refresh_at,
       o.sla,
       o.priority
  from refresh.object o
  join pg_catalog.pg_class c on c.oid = o.object
  cross join lateral (
    select (select format('data-quality check %s failed: %s', quote_literal(f.name), f.detail)
              from refresh.failing_check f where f.object = o.object and f.severity = 'error'
             order by f.name limit 1) as own_check,
           refresh.blocked_reason(o.object) as blocked,
           o.kind = 'materialized_view' and not c.relispopulated as unpopulated,
           o.next_refresh_at <= now() as due
  ) x
  cross join lateral (
    select case when o.last_status = 'failed' then 'failed'
                when x.own_check is not null then 'failed'
                when x.blocked is not null then 'blocked'
                when o.stale_since is not null or x.due or x.unpopulated then 'stale'
                else 'fresh' end as state,
           case when o.last_status = 'failed' then 'the last refresh failed: ' || o.last_error
                when x.own_check is not null then x.own_check
                when x.blocked is not null then 'blocked: ' || x.blocked
                when x.unpopulated then 'never populated'
                when o.stale_since is not null then 'a source changed at ' || o.stale_since
                when x.due then 'due since ' || o.next_refresh_at
           end as reason,
           coalesce(o.stale_since, case when x.due then o.next_refresh_at end,
                    case when x.unpopulated then o.registered_at end) as behind_since
  ) s;
comment on view refresh.status is
  'One row per registered object: fresh, stale, failed or blocked, since when, its last success and duration, whether it is stale for longer than its SLA, and why.';

create or replace view refresh.dag_edge as
select d.parent,
       case when p.object is not null then 'registered'
            else case c.relkind when 'r' then 'table' when 'p' then 'table' when 'f' then 'foreign table'
                                when 'v' then 'view' when 'm' then 'materialized view' else 'relation' end
       end as parent_kind,
       d.dependent,
       d.strength,
       d.origin
  from refresh.dependency d
  left join refresh.object p on p.object = d.parent
  left join pg_catalog.pg_class c on c.oid = d.parent;
comment on view refresh.dag_edge is 'The dependency graph''s edges: parent → dependent, whether the parent is itself registered, hard or soft, discovered or declared. `scoreline dag` prints it.';

-- ---------------------------------------------------------------------------
-- Start-up: partitions of the audit log, the registry in line with the catalog, shipped checks
-- ---------------------------------------------------------------------------

select refresh.ensure_run_partitions();
select refresh.sync('sync');

-- The checks the seeds ask for. Their targets belong to the forecast and stats code and
-- may appear after this file first ran, so they are attached when they exist; the rest
-- of a check (query, thresholds, severity) is the DBA's to tune and is never overwritten.
insert into refresh."check" (name, object, query, expected, min_value, max_value, severity, description)
select v.name, (select o.object from refresh.object o where o.object = pg_catalog.to_regclass(v.target)),
       v.query, v.expected, v.min_value, v.max_value, v.severity, v.description
  from (values
    ('forecast_no_orphaned_rows', null, 'select forecast.dq_orphaned_rows()', 0::numeric, null::numeric, null::numeric, 'error',
     'Predictions, picks and scores whose event, market, selection or forecaster is missing: must be 0.'),
    ('forecast_no_duplicate_picks', null, 'select forecast.dq_duplicate_picks()', 0, null, null, 'error',
     'Picks chosen twice by one forecaster for one market (or selection): must be 0.'),
    ('stats_unknown_position_share', 'stats.player_stats', 'select stats.dq_unknown_position_share()', null, 0, 0.05, 'warn',
     'Share of player stats rows whose position the roster does not give: under 5%.'),
    ('stats_model_stats_match_recomputation', 'stats.model_stats_competition_agg', 'select stats.dq_model_stats_mismatch(100)', 0, null, null, 'error',
     'Rows of the model stats views that differ from a recomputation on a sample of 100 models: must be 0.'),
    ('stats_model_stats_incremental_equals_full', 'stats.model_event_agg', 'select stats.dq_model_stats_incremental_vs_full()', 0, null, null, 'error',
     'Rows of the incrementally maintained model statistics that differ from a full recomputation from the scores: must be 0.')
  ) as v (name, target, query, expected, min_value, max_value, severity, description)
on conflict (name) do update set object = coalesce(refresh."check".object, excluded.object);
