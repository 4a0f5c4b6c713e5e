-- refresh: small helpers shared by the refresh code, and the validation of the registry
-- (refresh.object, refresh.dependency).
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL061  refresh_function is not a schema-qualified function taking (regclass, jsonb)
--   SL062  refresh.object.parameters holds an unknown key or a bad value
--   SL063  the object is not a materialized view or table, or the method does not fit its kind
--   SL064  a declared dependency would make a cycle
--   SL067  an unknown trigger source (cron, manual, event, http)

-- ---------------------------------------------------------------------------
-- Small helpers
-- ---------------------------------------------------------------------------

create or replace function refresh.lock_key(p_object regclass) returns bigint
language sql immutable strict parallel safe
as $$ select (1919247464::bigint << 32) | p_object::oid::bigint $$;
comment on function refresh.lock_key(regclass) is
  'The advisory lock key one refresher of an object holds (high half: the constant ''refh'', low half: the object''s oid).';

create or replace function refresh.writer_lock_key(p_object regclass) returns bigint
language sql immutable strict parallel safe
as $$ select (1919247991::bigint << 32) | p_object::oid::bigint $$;
comment on function refresh.writer_lock_key(regclass) is
  'The advisory lock key of the writers of an object''s sources (high half: the constant ''refw'', low half: the object''s oid). Every transaction that changes a source holds it shared until it ends (refresh.tg__mark_stale); a refresher clears the object''s staleness only when it can take it exclusively, i.e. when no such write is in flight (refresh.refresh_object).';

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
volatile
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
volatile
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
