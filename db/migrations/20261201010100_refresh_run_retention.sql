-- migrate:up
-- The retention of the refresh audit log (refresh.run) becomes a partition policy, which
-- only the owner role changes, instead of an argument any caller of
-- refresh.maintain_run_partitions chose. Its monthly partitions (run_YYYYmMM) are still
-- made and dropped by refresh.maintain_run_partitions, so maint.run_partition_maintenance
-- leaves the table alone (enabled false); maint.drop_partition honours the same retention.

insert into maint.partition_policy (parent, granularity, premake, retention, enabled, note) values
  ('refresh.run', '1 month', '2 months', '13 months', false,
   'The refresh audit log: monthly partitions run_YYYYmMM, made and dropped by refresh.maintain_run_partitions (hence enabled false); kept 13 months.');

-- migrate:down
delete from maint.partition_policy where parent = 'refresh.run'::regclass;
