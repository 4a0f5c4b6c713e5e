-- migrate:up
-- A job that graphile-worker had superseded while it ran (add_job with the same job_key
-- on a locked job takes the key off it and uses up its attempts, so that it is not
-- retried) is deleted when its worker is found dead: the job that replaced it does, or
-- did, the same work. worker.recovery counts them apart from the jobs unlocked to run again.
alter table worker.recovery
  add column jobs_superseded integer not null default 0
    constraint recovery_jobs_superseded_not_negative check (jobs_superseded >= 0);
comment on column worker.recovery.jobs_superseded is
  'Jobs of the dead workers that had been superseded by a newer job with the same key (score_event:<id>, refresh) while they ran: deleted, not run again. jobs_unlocked counts the others.';

-- migrate:down
alter table worker.recovery drop column jobs_superseded;
