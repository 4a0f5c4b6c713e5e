-- refresh: dependency discovery from the catalog, the staleness triggers on source tables,
-- refresh.sync and the event triggers that keep the registry in line with the catalog.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.

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

create or replace function refresh.tg__mark_stale() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op <> 'TRUNCATE' and tg_nargs = 0 then
    if not exists (select from changed_rows) then
      return null; -- a statement that changed nothing makes nothing stale
    end if;
  end if;
  -- Until this transaction ends, hold the writer lock of every object the table feeds, shared
  -- (writers never wait on one another), even when the object is stale already: a refresher
  -- that starts meanwhile cannot see this change, and must not clear the staleness it causes
  -- (refresh.refresh_object clears it only when it can take the lock exclusively).
  perform pg_catalog.pg_advisory_xact_lock_shared(refresh.writer_lock_key(s.object))
     from refresh.source s where s.source = tg_relid::regclass;
  if pg_catalog.current_setting('transaction_isolation') = 'read committed' then
    update refresh.object o
       set stale_since = now()
     where o.stale_since is null
       and o.object in (select s.object from refresh.source s where s.source = tg_relid::regclass);
  else
    -- A repeatable read or serializable snapshot may predate a refresher's clearing of the
    -- staleness, and would skip a row it still sees stale: rewrite every row, so that a row
    -- cleared since the snapshot is a serialization failure (40001), never a lost mark.
    update refresh.object o
       set stale_since = coalesce(o.stale_since, now())
     where o.object in (select s.object from refresh.source s where s.source = tg_relid::regclass);
  end if;
  return null;
end;
$$;
comment on function refresh.tg__mark_stale() is
  'Shared by every source table (triggers _990_refresh_stale_*): after each statement (transition table changed_rows), takes the writer lock (refresh.writer_lock_key) of every registered object that reads the table, shared, to the end of the transaction, and marks those not stale yet stale in one UPDATE, so concurrent writers do not queue on the registry (under repeatable read or serializable every row is rewritten: a staleness cleared since the snapshot is a serialization failure, not a lost mark).';

create or replace function refresh.install_stale_triggers(p_table regclass) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := refresh.qualified_name(p_table);
  v_relkind "char";
begin
  -- the table ends with exactly the current staleness triggers, whatever it carried before
  perform refresh.remove_stale_triggers(p_table);
  select c.relkind into v_relkind from pg_catalog.pg_class c where c.oid = p_table;
  if v_relkind = 'f' then
    -- foreign tables cannot have transition tables: mark on every statement
    execute format('create trigger _990_refresh_stale_insert after insert or update or delete on %s '
                   'for each statement execute function refresh.tg__mark_stale(%L)', v_name, 'no transition table');
    return;
  end if;
  execute format('create trigger _990_refresh_stale_insert after insert on %s referencing new table as changed_rows '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
  execute format('create trigger _990_refresh_stale_update after update on %s referencing new table as changed_rows '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
  execute format('create trigger _990_refresh_stale_delete after delete on %s referencing old table as changed_rows '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
  execute format('create trigger _990_refresh_stale_truncate after truncate on %s '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
end;
$$;
comment on function refresh.install_stale_triggers(regclass) is
  'Creates the statement-level staleness triggers _990_refresh_stale_insert|update|delete|truncate on refresh.tg__mark_stale() (with transition tables; one plain statement trigger on foreign tables) on one source table, replacing any staleness triggers it carried.';

create or replace function refresh.remove_stale_triggers(p_table regclass) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := refresh.qualified_name(p_table);
  v_trigger text;
begin
  -- zz_refresh_stale_*: the names the staleness triggers of an upgraded database may carry
  foreach v_trigger in array array['_990_refresh_stale_insert', '_990_refresh_stale_update', '_990_refresh_stale_delete', '_990_refresh_stale_truncate',
                                   'zz_refresh_stale_insert', 'zz_refresh_stale_update', 'zz_refresh_stale_delete', 'zz_refresh_stale_truncate'] loop
    execute format('drop trigger if exists %I on %s', v_trigger, v_name);
  end loop;
end;
$$;
comment on function refresh.remove_stale_triggers(regclass) is
  'Drops the staleness triggers (_990_refresh_stale_*, and zz_refresh_stale_* as an upgraded database may carry) from a table no registered object reads any more.';

create or replace function refresh.sync_sources() returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_r record;
begin
  insert into refresh.source (source, object)
  select c.source, c.object from refresh.computed_sources() c
  on conflict do nothing;
  delete from refresh.source s
   where not exists (select from refresh.computed_sources() c where c.source = s.source and c.object = s.object);

  -- Staleness triggers are found by name and function: the current ones (_990_refresh_stale_* on
  -- refresh.tg__mark_stale), and those an upgraded database may carry (zz_refresh_stale_*, or any
  -- on refresh.tg_source__mark_stale), which are replaced on sources and removed elsewhere.
  for v_r in
    select s.source as rel, 'install' as action
      from (select distinct source from refresh.source) s
     where not exists (select from pg_catalog.pg_trigger t
                        where t.tgrelid = s.source and t.tgname = '_990_refresh_stale_insert'
                          and t.tgfoid = 'refresh.tg__mark_stale()'::regprocedure)
        or exists (select from pg_catalog.pg_trigger t
                    where t.tgrelid = s.source
                      and (t.tgname like 'zz\_refresh\_stale\_%'
                           or t.tgfoid = pg_catalog.to_regprocedure('refresh.tg_source__mark_stale()')))
    union all
    select distinct t.tgrelid::regclass, 'remove'
      from pg_catalog.pg_trigger t
     where (t.tgname like '\_990\_refresh\_stale\_%' or t.tgname like 'zz\_refresh\_stale\_%')
       and t.tgfoid in ('refresh.tg__mark_stale()'::regprocedure, pg_catalog.to_regprocedure('refresh.tg_source__mark_stale()'))
       and not exists (select from refresh.source s where s.source = t.tgrelid::regclass)
  loop
    begin
      if v_r.action = 'install' then
        perform refresh.install_stale_triggers(v_r.rel);
      else
        perform refresh.remove_stale_triggers(v_r.rel);
      end if;
    exception when others then
      raise warning 'refresh: could not % staleness triggers on %: % (SQLSTATE %)', v_r.action, v_r.rel, sqlerrm, sqlstate
        using hint = 'objects reading it are not marked stale by its writes; fix the cause and run select refresh.sync()';
    end;
  end loop;
end;
$$;
comment on function refresh.sync_sources() is
  'Recomputes refresh.source and installs or removes the staleness triggers so that exactly the tables registered objects read carry them, each the four _990_refresh_stale_* triggers on refresh.tg__mark_stale() (staleness triggers under other names or on refresh.tg_source__mark_stale(), as an upgraded database may carry, are replaced).';

create or replace function refresh.sync(p_by text default 'sync') returns void
language plpgsql volatile security definer
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
  'Brings the registry in line with the catalog: unregisters dropped objects, registers every materialized view and table in stats (unpopulated ones stale), rediscovers catalog dependencies, recomputes sources and staleness triggers. Run by the event triggers and at the end of the refresh code (sql/036_refresh_status.sql); safe to run any time.';

create or replace function refresh.tg__sync_sources() returns trigger
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if coalesce(current_setting('refresh.syncing', true), '') <> 'on' then
    perform refresh.sync_sources();
  end if;
  return null;
end;
$$;
comment on function refresh.tg__sync_sources() is
  'Shared by refresh.object and refresh.dependency (triggers _900_sync_sources): after a statement changing either by hand (a declared dependency, a method), recomputes sources and staleness triggers.';

drop trigger if exists _900_sync_sources_insert on refresh.dependency;
drop trigger if exists _900_sync_sources on refresh.dependency;
create trigger _900_sync_sources
  after insert or update or delete on refresh.dependency
  for each statement execute function refresh.tg__sync_sources();
drop trigger if exists _900_sync_sources on refresh.object;
create trigger _900_sync_sources
  after insert or delete or update of method on refresh.object
  for each statement execute function refresh.tg__sync_sources();
-- the former name of refresh.tg__sync_sources(): still in databases upgraded from the refresh orchestration's first version (make drift-check ARGS=--from-each-step shows it)
drop function if exists refresh.tg_registry__sync_sources();

create or replace function refresh.on_ddl_command_end(p_tag text) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Only DDL that can change the registry: objects in stats (what is registered), views and
  -- materialized views anywhere (the dependency chains run through them), and new
  -- partitions of a table a registered object reads (they get its staleness triggers).
  -- Other tables, such as the daily partitions of the odds a loader or maintenance creates,
  -- change nothing, and a full sync for each would make a season's odds load take minutes on
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
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', p_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$$;
comment on function refresh.on_ddl_command_end(text) is
  'What the ddl_command_end event trigger does (called with the command tag, from inside the trigger): after DDL creating or altering a table in stats, or a view or materialized view in any schema (outside pg_temp), or a new partition of a table a registered object reads, runs refresh.sync(); other tables (such as odds partitions made by loaders and maintenance) cannot change the registry and are skipped. Never fails the DDL: a problem is a WARNING.';

create or replace function refresh.on_sql_drop(p_tag text) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- REFRESH … CONCURRENTLY creates and drops temporary tables: they are not ours to track
  if exists (select from pg_catalog.pg_event_trigger_dropped_objects() d
              where not d.is_temporary and d.object_type in ('table', 'materialized view', 'view', 'foreign table')) then
    perform refresh.sync('event_trigger');
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', p_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$$;
comment on function refresh.on_sql_drop(text) is
  'What the sql_drop event trigger does (called with the command tag, from inside the trigger): after a table, materialized view or view is dropped (temporary ones ignored), runs refresh.sync() so dropped objects are unregistered. Never fails the DDL.';

create or replace function refresh.tg_ddl__sync() returns event_trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform refresh.on_ddl_command_end(tg_tag);
end;
$$;
comment on function refresh.tg_ddl__sync() is
  'Event trigger (ddl_command_end) installed when a superuser migrates: refresh.on_ddl_command_end(tag).';

create or replace function refresh.tg_drop__sync() returns event_trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform refresh.on_sql_drop(tg_tag);
end;
$$;
comment on function refresh.tg_drop__sync() is
  'Event trigger (sql_drop) installed when a superuser migrates: refresh.on_sql_drop(tag).';

-- Only a superuser creates event triggers. A superuser migrating (tests, the embedded
-- server, `make migrate` as postgres) installs them here, replacing any; a migration login
-- that is not a superuser keeps those the bootstrap installed (docker/initdb/
-- scoreline-bootstrap.sh: the same names and tags, on dispatchers that call
-- refresh.on_ddl_command_end and refresh.on_sql_drop), and warns when there are none.
-- An event trigger runs its function as whoever ran the DDL, often a superuser: it is
-- installed on refresh.tg_ddl__sync / tg_drop__sync only when a superuser owns them too.
-- When the migration login owns them (it may replace them), only the bootstrap's
-- dispatchers, which switch to that login first, may call them.
do $$
begin
  if (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user)
     and (select r.rolsuper from pg_catalog.pg_proc p join pg_catalog.pg_roles r on r.oid = p.proowner
           where p.oid = 'refresh.tg_ddl__sync()'::regprocedure)
     and (select r.rolsuper from pg_catalog.pg_proc p join pg_catalog.pg_roles r on r.oid = p.proowner
           where p.oid = 'refresh.tg_drop__sync()'::regprocedure) then
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
  elsif (select count(*) from pg_catalog.pg_event_trigger e
          where e.evtname in ('refresh_sync_on_ddl', 'refresh_sync_on_drop') and e.evtenabled <> 'D') = 2 then
    raise notice 'sql/031_refresh_discovery.sql: the registry''s functions belong to a role that is not a superuser: the event triggers refresh_sync_on_ddl and refresh_sync_on_drop the bootstrap installed are kept';
  else
    raise warning 'sql/031_refresh_discovery.sql: % cannot create the event triggers of the refresh registry (only a superuser may, and only on functions a superuser owns): materialized views and tables created in stats are registered, and new partitions of source tables get their staleness triggers, only at the next refresh.sync() (the nightly sync runs it)', current_user
      using hint = 'install them once as a superuser with docker/initdb/scoreline-bootstrap.sh (its dispatchers run the registry as the migration login)';
  end if;
end;
$$;
