-- migrate:up
-- What partition maintenance did: one row per partition created, dropped or downsampled.

create table maint.maintenance_log (
  log_id bigint generated always as identity primary key,
  run_at timestamptz not null default now(),
  parent text not null,
  action text not null constraint maintenance_log_action_known check (action in ('create', 'drop', 'downsample')),
  partition_name text,
  range_from timestamptz,
  range_to timestamptz,
  rows bigint
);
comment on table maint.maintenance_log is
  'One row per action of maint.run_partition_maintenance(): partitions created ahead (one row per table and run, rows = how many), partitions dropped at retention (detach + drop), partitions downsampled (rows = bars written) before being dropped.';
comment on column maint.maintenance_log.parent is 'The partitioned table, as text (a dropped partition can no longer be named by regclass).';
comment on column maint.maintenance_log.partition_name is 'The partition acted on (schema-qualified); null for a create row.';
comment on column maint.maintenance_log.rows is 'create: partitions created; downsample: bars written; drop: null.';
create index maintenance_log_run_at_idx on maint.maintenance_log (run_at);

-- migrate:down
drop table maint.maintenance_log;
