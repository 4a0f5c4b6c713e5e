-- The catalog of a scoreline database as (kind, name, definition) rows, compared by
-- scripts/drift-check.ts between a database upgraded step by step and a fresh one.
-- The project's schemas only (graphile-worker's own schema is the same library in both);
-- partitions are left out (which days exist depends on when the database was made), their
-- partitioned parents are in.
with nsp as (
  select n.oid, n.nspname from pg_namespace n
   where n.nspname not in ('pg_catalog', 'information_schema', 'graphile_worker', 'pg_toast')
     and n.nspname !~ '^pg_(temp|toast_temp)_'
     and not exists (select from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
),
rel as (
  select c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) as name, c.relacl, c.relrowsecurity, c.relforcerowsecurity,
         c.relpersistence, c.reloptions
    from pg_class c join nsp n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c')
     and not c.relispartition
     and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
)
select 'schema' as kind, n.nspname as name,
       concat_ws(' ', 'owner', pg_get_userbyid(s.nspowner), 'acl', (select array_agg(a::text order by a::text) from unnest(s.nspacl) a)) as def
  from nsp n join pg_namespace s on s.oid = n.oid
union all
select case r.relkind when 'r' then 'table' when 'p' then 'table' when 'v' then 'view' when 'm' then 'materialized view'
                      when 'S' then 'sequence' when 'f' then 'foreign table' else 'type' end,
       r.name,
       concat_ws(' ', case r.relkind when 'p' then 'partitioned by ' || pg_get_partkeydef(r.oid) end,
                 case when r.relpersistence = 'u' then 'unlogged' end,
                 case when r.relrowsecurity then 'row level security' end,
                 case when r.relforcerowsecurity then 'forced' end,
                 case when r.reloptions is not null then 'with ' || array_to_string(r.reloptions, ',') end,
                 case when r.relkind in ('v', 'm') then 'definition md5 ' || md5(pg_get_viewdef(r.oid)) end)
  from rel r
union all
select 'grant on', r.name, (select string_agg(a::text, ' ' order by a::text) from unnest(r.relacl) a)
  from rel r where r.relacl is not null
union all
select 'column', r.name || '.' || quote_ident(a.attname),
       concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                 case when a.attnotnull then 'not null' end,
                 case when a.atthasdef then case when a.attgenerated = 's' then 'generated as ' else 'default ' end || pg_get_expr(d.adbin, d.adrelid) end,
                 case a.attidentity when 'a' then 'identity always' when 'd' then 'identity by default' end,
                 case when a.attcollation <> 0 and a.attcollation <> (select t.typcollation from pg_type t where t.oid = a.atttypid)
                      then 'collate ' || (select collname from pg_collation where oid = a.attcollation) end,
                 case when a.attacl is not null then 'acl ' || (select string_agg(x::text, ' ' order by x::text) from unnest(a.attacl) x) end)
  from rel r
  join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
union all
select 'constraint', r.name || ' ' || quote_ident(c.conname), pg_get_constraintdef(c.oid)
  from rel r join pg_constraint c on c.conrelid = r.oid
union all
select 'constraint', format('%I.%I', n.nspname, t.typname) || ' ' || quote_ident(c.conname), pg_get_constraintdef(c.oid)
  from pg_constraint c join pg_type t on t.oid = c.contypid join nsp n on n.oid = t.typnamespace
union all
select 'index', format('%I.%I', n.nspname, ic.relname), pg_get_indexdef(i.indexrelid)
  from pg_index i join rel r on r.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid join nsp n on n.oid = ic.relnamespace
union all
select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window function' else 'function' end,
       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       concat_ws(' ', 'returns', pg_get_function_result(p.oid), 'language', l.lanname,
                 case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
                 case when p.proisstrict then 'strict' end,
                 case when p.prosecdef then 'security definer' end,
                 case p.proparallel when 's' then 'parallel safe' when 'r' then 'parallel restricted' end,
                 case when p.proconfig is not null then 'set ' || array_to_string(p.proconfig, ',') end,
                 'owner', pg_get_userbyid(p.proowner),
                 'body md5', md5(coalesce(p.prosrc, '') || coalesce(pg_get_function_sqlbody(p.oid), '')),
                 'args', pg_get_function_arguments(p.oid))
  from pg_proc p join nsp n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
 where not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
union all
select 'grant on function', format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       coalesce((select string_agg(a::text, ' ' order by a::text) from unnest(p.proacl) a), 'default (PUBLIC may execute)')
  from pg_proc p join nsp n on n.oid = p.pronamespace
 where not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
union all
select 'trigger', r.name || ' ' || quote_ident(t.tgname),
       regexp_replace(pg_get_triggerdef(t.oid), '^CREATE (CONSTRAINT )?TRIGGER \S+ ', '') ||
       case t.tgenabled when 'D' then ' (disabled)' when 'R' then ' (replica)' when 'A' then ' (always)' else '' end
  from pg_trigger t join rel r on r.oid = t.tgrelid
 where not t.tgisinternal
union all
select 'event trigger', quote_ident(e.evtname),
       concat_ws(' ', 'on', e.evtevent, 'execute', e.evtfoid::regproc::text, 'tags', e.evttags::text, 'enabled', e.evtenabled)
  from pg_event_trigger e
 where not exists (select from pg_depend d where d.classid = 'pg_event_trigger'::regclass and d.objid = e.oid and d.deptype = 'e')
union all
select 'policy', r.name || ' ' || quote_ident(p.polname),
       concat_ws(' ', case when p.polpermissive then 'permissive' else 'restrictive' end, 'for', p.polcmd::text,
                 'to', (select string_agg(case when x = 0 then 'public' else pg_get_userbyid(x) end, ',' order by 1) from unnest(p.polroles) x),
                 'using', pg_get_expr(p.polqual, p.polrelid), 'with check', pg_get_expr(p.polwithcheck, p.polrelid))
  from pg_policy p join rel r on r.oid = p.polrelid
union all
select case t.typtype when 'e' then 'enum' when 'd' then 'domain' when 'r' then 'range' else 'type' end,
       format('%I.%I', n.nspname, t.typname),
       case t.typtype
         when 'e' then (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)
         when 'd' then format_type(t.typbasetype, t.typtypmod) || case when t.typnotnull then ' not null' else '' end
                       || coalesce(' default ' || t.typdefault, '')
         else '' end
  from pg_type t join nsp n on n.oid = t.typnamespace
 where t.typtype in ('e', 'd', 'r')
   and not exists (select from pg_depend d where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
union all
select 'default privileges', concat_ws(' ', pg_get_userbyid(d.defaclrole), 'in', n.nspname, 'on', d.defaclobjtype::text),
       (select string_agg(a::text, ' ' order by a::text) from unnest(d.defaclacl) a)
  from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
union all
select 'extension', e.extname, e.extversion from pg_extension e
order by 1, 2, 3
