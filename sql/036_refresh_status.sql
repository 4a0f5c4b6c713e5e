-- refresh: what a DBA reads (refresh.status, refresh.dag_edge), and the start-up of the
-- registry: audit partitions, the registry in line with the catalog. Files after this one
-- (forecast, stats, trade, …) register their own objects' methods and checks.
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.

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
-- Start-up: partitions of the audit log, the registry in line with the catalog
-- ---------------------------------------------------------------------------

select refresh.ensure_run_partitions();
select refresh.sync('sync');
-- the former name of refresh.tg__mark_stale(): the sync above re-pointed every staleness trigger that used it;
-- still in databases upgraded from the refresh orchestration's first version (make drift-check ARGS=--from-each-step shows it)
drop function if exists refresh.tg_source__mark_stale();
