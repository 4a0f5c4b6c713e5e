-- refresh: the plain views a DBA may name (the seed's stats.mv_model_stats_* among them) are
-- not registered, since there is nothing to refresh: refresh.view_edge says what each reads
-- (for `scoreline dag`), refresh.explain answers `scoreline refresh --object` for one.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL075  refresh.explain: no relation has that name

-- ---------------------------------------------------------------------------
-- The plain views of stats and what they read
-- ---------------------------------------------------------------------------

create or replace view refresh.view_edge as
select distinct d.refobjid::regclass as parent,
       case when p.object is not null then 'registered'
            else case c.relkind when 'r' then 'table' when 'p' then 'table' when 'f' then 'foreign table'
                                when 'v' then 'view' when 'm' then 'materialized view' else 'relation' end
       end as parent_kind,
       v.oid::regclass as dependent
  from pg_catalog.pg_class v
  join pg_catalog.pg_namespace n on n.oid = v.relnamespace and n.nspname = 'stats'
  join pg_catalog.pg_rewrite r on r.ev_class = v.oid
  join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = r.oid
                             and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> v.oid and d.deptype = 'n'
  join pg_catalog.pg_class c on c.oid = d.refobjid
  left join refresh.object p on p.object = d.refobjid
 where v.relkind = 'v';
comment on view refresh.view_edge is
  'The plain views of stats (not registered: current at commit) and the relations each reads: parent → dependent, whether the parent is registered. `scoreline dag` draws them after what they read.';
comment on column refresh.view_edge.parent is 'A relation the plain view reads (pg_depend through the view''s rewrite rule).';
comment on column refresh.view_edge.parent_kind is 'registered (in refresh.object: refreshed by scoreline refresh), or what else the parent is: table, foreign table, view, materialized view, relation.';
comment on column refresh.view_edge.dependent is 'The plain view of stats that reads the parent: current at commit, never refreshed itself.';

-- ---------------------------------------------------------------------------
-- What `scoreline refresh --object` answers for an object it does not refresh
-- ---------------------------------------------------------------------------

create or replace function refresh.explain(p_name text)
returns table (object text, kind text, answer text, reads text[])
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_rel regclass := pg_catalog.to_regclass(p_name);
  v_kind "char";
  v_reads text[];
  v_materialized text[];
  v_maintained text[];
begin
  if v_rel is null then
    raise exception 'refresh: no relation is named %', p_name
      using errcode = 'SL075',
            hint = 'name it as schema.name: select object from refresh.status lists what is refreshed, select distinct dependent from refresh.view_edge the plain views';
  end if;
  select c.relkind into v_kind from pg_catalog.pg_class c where c.oid = v_rel;
  -- a registered object, or a relation that is not a view: refresh.plan answers (or SL060)
  if v_kind <> 'v' or exists (select from refresh.object o where o.object = v_rel) then
    return;
  end if;
  -- what the view reads, directly and through other views
  with recursive read_rel (rel) as (
    select d.refobjid
      from pg_catalog.pg_rewrite r
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = r.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> r.ev_class and d.deptype = 'n'
     where r.ev_class = v_rel
    union
    select d.refobjid
      from read_rel x
      join pg_catalog.pg_rewrite r on r.ev_class = x.rel
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = r.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> r.ev_class and d.deptype = 'n'
  )
  select pg_catalog.array_agg(x.rel::regclass::text order by x.rel::regclass::text),
         pg_catalog.array_agg(x.rel::regclass::text order by x.rel::regclass::text) filter (where o.kind = 'materialized_view'),
         pg_catalog.array_agg(x.rel::regclass::text order by x.rel::regclass::text) filter (where o.method = 'maintained')
    into v_reads, v_materialized, v_maintained
    from read_rel x
    left join refresh.object o on o.object = x.rel;
  object := v_rel::text;
  kind := 'view';
  reads := coalesce(v_reads, '{}');
  answer := case
    when v_materialized is not null then
      pg_catalog.format('a plain view, current at commit, over the materialized view %s: nothing to refresh here; refresh that: scoreline refresh --object %s',
                        pg_catalog.array_to_string(v_materialized, ', '), v_materialized[1])
    when v_maintained is not null then
      'a plain view over tables maintained in the scoring transaction: current at commit, nothing to refresh'
    else 'a plain view over source tables: current at commit, nothing to refresh'
  end;
  return next;
end;
$$;
comment on function refresh.explain(text) is
  'What `scoreline refresh --object` answers for a plain view (not registered: nothing to refresh), with what it reads, directly or through other views; no row for a registered object or a relation that is not a view (refresh.plan answers for those). SL075 when no relation has the name.';
