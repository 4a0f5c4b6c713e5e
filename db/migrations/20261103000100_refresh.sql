-- migrate:up
-- refresh: the registry of derived objects (materialized views and tables in stats),
-- their dependencies, the audit log of every refresh attempt, data-quality checks and
-- their results, and checkpoints of long jobs. The code (sync, staleness triggers,
-- run_due, plan, status) is in sql/050_refresh.sql.

-- stats is created by the forecast migration; this one must not fail when it runs alone.
create schema if not exists stats;

create schema refresh;
comment on schema refresh is
  'Refresh orchestration: registry of derived objects, dependency graph, audit of every refresh, data-quality checks, checkpoints. See docs/refresh.md.';

create table refresh.object (
  object regclass constraint object_pkey primary key,
  kind text not null
    constraint object_kind_known check (kind in ('materialized_view', 'table')),
  enabled boolean not null default true,
  method text not null
    constraint object_method_known check (method in ('concurrent', 'full', 'function', 'maintained')),
  refresh_function text,
  parameters jsonb not null default '{}'
    constraint object_parameters_is_object check (jsonb_typeof(parameters) = 'object'),
  priority integer not null default 100,
  frequency interval
    constraint object_frequency_positive check (frequency > interval '0'),
  sla interval
    constraint object_sla_positive check (sla > interval '0'),
  stale_since timestamptz,
  next_refresh_at timestamptz,
  last_refresh_at timestamptz,
  last_duration interval,
  last_status text
    constraint object_last_status_known check (last_status in ('success', 'failed', 'warning')),
  last_error text,
  registered_at timestamptz not null default now(),
  registered_by text not null default 'manual'
    constraint object_registered_by_known check (registered_by in ('event_trigger', 'sync', 'manual')),
  constraint object_function_named_iff_function_method check ((method = 'function') = (refresh_function is not null))
);
comment on table refresh.object is
  'One row per derived object scoreline keeps fresh. Materialized views and tables created in schema stats are registered by an event trigger and unregistered when dropped; others may be inserted by hand.';
comment on column refresh.object.object is 'The materialized view or table. A regclass: names are always quoted by the catalog, never spliced.';
comment on column refresh.object.kind is 'materialized_view or table; set from the catalog.';
comment on column refresh.object.method is
  'concurrent: REFRESH MATERIALIZED VIEW CONCURRENTLY when populated and a usable unique index exists, plain otherwise; full: always plain REFRESH; function: call refresh_function(object regclass, parameters jsonb); maintained: kept current by triggers, a refresh is a no-op audited as skipped.';
comment on column refresh.object.refresh_function is
  'For method function: schema-qualified name of a function taking (regclass, jsonb), e.g. stats.rebuild_player_stats. Resolved through to_regprocedure, never spliced.';
comment on column refresh.object.parameters is
  'Options: lock_timeout and statement_timeout (PostgreSQL duration strings such as 5s or 500ms), count_rows (boolean, default true), args (any json passed to refresh_function).';
comment on column refresh.object.priority is 'Within one level of the dependency graph, higher priority refreshes first.';
comment on column refresh.object.frequency is 'Refresh at least this often even when nothing marked the object stale; null: only when stale.';
comment on column refresh.object.sla is 'The longest the object may stay stale; refresh.status.sla_breached says when it has been stale longer.';
comment on column refresh.object.stale_since is 'When a change to something it depends on first made it stale since its last refresh; null when fresh.';
comment on column refresh.object.next_refresh_at is 'When frequency makes it due next.';
comment on column refresh.object.last_refresh_at is 'When its last successful refresh finished.';
comment on column refresh.object.last_status is 'Outcome of its last refresh that was not skipped: success, warning (a data-quality check failed) or failed.';
create index object_next_refresh_idx on refresh.object (next_refresh_at) where enabled;

create table refresh.dependency (
  dependent regclass not null
    constraint dependency_dependent_fk references refresh.object (object) on delete cascade,
  parent regclass not null,
  strength text not null default 'hard'
    constraint dependency_strength_known check (strength in ('hard', 'soft')),
  origin text not null default 'declared'
    constraint dependency_origin_known check (origin in ('catalog', 'declared')),
  note text,
  constraint dependency_pkey primary key (dependent, parent),
  constraint dependency_not_self check (dependent <> parent)
);
comment on table refresh.dependency is
  'What a registered object reads: discovered from the catalog (pg_depend through pg_rewrite, recursively through plain views down to tables and materialized views) or declared by hand (tables read inside functions). A failed parent or a failing error-severity check on it blocks hard dependents only.';
comment on column refresh.dependency.parent is 'A table, materialized view or plain view the dependent reads; when it is itself registered, it is refreshed first.';
comment on column refresh.dependency.strength is 'hard: the dependent is skipped while the parent failed or fails an error check; soft: refreshed anyway.';
comment on column refresh.dependency.origin is 'catalog: rediscovered on every DDL (rows that disappear from the catalog go); declared: kept until deleted.';
create index dependency_parent_idx on refresh.dependency (parent);

create table refresh.source (
  source regclass not null,
  object regclass not null
    constraint source_object_fk references refresh.object (object) on delete cascade,
  constraint source_pkey primary key (source, object)
);
comment on table refresh.source is
  'Derived by refresh.sync(): for each base table (and each of its partitions), the registered objects a write to it makes stale, directly or through other registered objects. The staleness triggers read this by its primary key.';

create sequence refresh.run_group_seq;
comment on sequence refresh.run_group_seq is 'Numbers one refresh pass (one refresh.run_due call, or one CLI run): the runs it audits share it.';

create table refresh.run (
  run_id bigint generated always as identity,
  started_at timestamptz not null default clock_timestamp(),
  run_group bigint,
  object regclass,
  object_name text not null,
  trigger_source text not null
    constraint run_trigger_source_known check (trigger_source in ('cron', 'manual', 'event', 'http')),
  status text not null
    constraint run_status_known check (status in ('running', 'success', 'failed', 'warning', 'skipped')),
  method text,
  reason text,
  rows_before bigint,
  rows_after bigint,
  finished_at timestamptz,
  duration interval,
  error_sqlstate text,
  error_message text,
  error_detail text,
  error_context text,
  parameters jsonb,
  stale_since timestamptz,
  backend_pid integer not null default pg_backend_pid(),
  backend_start timestamptz,
  constraint run_pkey primary key (run_id, started_at),
  constraint run_finished_after_start check (finished_at is null or finished_at >= started_at)
) partition by range (started_at);
comment on table refresh.run is
  'The audit log: one row per refresh attempt, partitioned by month (refresh.maintain_run_partitions creates months ahead and drops those past retention).';
comment on column refresh.run.run_group is 'The refresh pass this attempt belonged to (refresh.run_group_seq).';
comment on column refresh.run.object_name is 'The object''s name when it ran, kept readable after the object is dropped.';
comment on column refresh.run.trigger_source is 'What asked for it: cron, manual, event (a completion) or http.';
comment on column refresh.run.status is 'running, success, warning (refreshed, a data-quality check failed), failed, or skipped (reason says why).';
comment on column refresh.run.method is 'How it was refreshed: concurrent, full, function, maintained.';
comment on column refresh.run.reason is 'Why it ran (stale since, due, forced, requested, depends on …) or why it was skipped.';
comment on column refresh.run.stale_since is 'The staleness this run cleared; given back to the object when the run fails.';
comment on column refresh.run.backend_pid is 'The backend running it; refresh.reap() marks running rows whose backend is gone failed.';
create index run_object_started_idx on refresh.run (object, started_at desc);
create index run_status_started_idx on refresh.run (status, started_at desc);
create index run_group_idx on refresh.run (run_group);

create table refresh."check" (
  check_id integer generated always as identity constraint check_pkey primary key,
  name text not null constraint check_name_key unique,
  object regclass constraint check_object_fk references refresh.object (object) on delete cascade,
  query text not null,
  expected numeric,
  min_value numeric,
  max_value numeric,
  severity text not null default 'error'
    constraint check_severity_known check (severity in ('warn', 'error')),
  enabled boolean not null default true,
  description text,
  constraint check_has_threshold check (expected is not null or min_value is not null or max_value is not null),
  constraint check_range_ordered check (min_value is null or max_value is null or min_value <= max_value)
);
comment on table refresh."check" is
  'Data-quality checks as data: a query returning one number, compared with expected / min_value / max_value. Run read-only after each refresh of their object and by refresh.run_checks() (nightly). A failing error-severity check blocks the object''s hard dependents.';
comment on column refresh."check".object is 'The registered object it guards; null: a global check, run only by refresh.run_checks().';
comment on column refresh."check".query is 'Trusted SQL written by a DBA, returning one number in its first column; executed in a read-only subtransaction.';
comment on column refresh."check".severity is 'warn: recorded; error: recorded and blocks the hard dependents of its object.';

create table refresh.check_result (
  check_result_id bigint generated always as identity constraint check_result_pkey primary key,
  check_id integer not null constraint check_result_check_fk references refresh."check" (check_id) on delete cascade,
  run_id bigint,
  checked_at timestamptz not null default clock_timestamp(),
  value numeric,
  passed boolean not null,
  error_sqlstate text,
  error_message text
);
comment on table refresh.check_result is 'Every evaluation of a data-quality check: the value, whether it passed, and the error when its query failed (a failing query is a failed check).';
comment on column refresh.check_result.run_id is 'The refresh.run after which it ran; null when run by refresh.run_checks() alone.';
create index check_result_check_checked_idx on refresh.check_result (check_id, checked_at desc);

create table refresh.checkpoint (
  checkpoint_id bigint generated always as identity constraint checkpoint_pkey primary key,
  function_name text not null,
  target text not null,
  position bigint not null default 0,
  total bigint,
  state jsonb not null default '{}',
  status text not null default 'active'
    constraint checkpoint_status_known check (status in ('active', 'completed', 'expired')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '1 hour',
  constraint checkpoint_position_in_range check (position >= 0 and (total is null or position <= total))
);
comment on table refresh.checkpoint is
  'Progress of a long job (an ingest, a backfill) so an interrupted run resumes where it stopped. One active checkpoint per function and target; refresh.reap() expires those past expires_at.';
comment on column refresh.checkpoint.function_name is 'The job, e.g. ingest.load_odds or a backfill name.';
comment on column refresh.checkpoint.target is 'What it works on: a table, a file, a date range.';
comment on column refresh.checkpoint.position is 'How far it got (rows, lines, ids), as the job counts.';
comment on column refresh.checkpoint.state is 'Whatever else the job needs to resume.';
create unique index checkpoint_one_active on refresh.checkpoint (function_name, target) where status = 'active';
comment on index refresh.checkpoint_one_active is 'One active checkpoint per function and target (a partial unique index).';
create index checkpoint_active_expiry_idx on refresh.checkpoint (expires_at) where status = 'active';

-- migrate:down
drop schema refresh cascade;
