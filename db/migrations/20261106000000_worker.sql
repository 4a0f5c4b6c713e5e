-- migrate:up
-- The worker's own state: heartbeats for crash recovery. The queue itself is
-- graphile-worker's schema (graphile_worker), installed by `scoreline migrate`.

create schema worker;
comment on schema worker is 'The job worker''s state and entry points: heartbeats, crash recovery, the views of the queue, and the procedures its tasks call.';

create table worker.heartbeat (
  process_id text primary key,
  worker_ids text[] not null default '{}',
  hostname text not null,
  pid integer not null,
  concurrency integer not null constraint heartbeat_concurrency_positive check (concurrency > 0),
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  stopped_at timestamptz
);
comment on table worker.heartbeat is 'One row per worker process, refreshed every few seconds. Jobs locked by workers whose heartbeat is older than the threshold are unlocked by worker.recover_stale_workers.';
comment on column worker.heartbeat.process_id is 'A random id for the process (one process runs several graphile-worker workers).';
comment on column worker.heartbeat.worker_ids is 'The graphile-worker worker ids of this process: the values of graphile_worker jobs'' locked_by.';
comment on column worker.heartbeat.stopped_at is 'Set on a graceful stop; a crashed process never sets it.';

create table worker.recovery (
  recovery_id bigint generated always as identity primary key,
  recovered_at timestamptz not null default now(),
  recovered_by text not null,
  worker_ids text[] not null,
  jobs_unlocked integer not null
);
comment on table worker.recovery is 'Each time stale workers'' jobs were unlocked: by which process, which worker ids, how many jobs.';

create table worker.setting (
  only_row boolean primary key default true constraint setting_single_row check (only_row),
  job_max_attempts integer not null default 10 constraint setting_job_max_attempts_range check (job_max_attempts between 1 and 100),
  refresh_delay_seconds integer not null default 60 constraint setting_refresh_delay_range check (refresh_delay_seconds between 0 and 86400),
  updated_at timestamptz not null default now()
);
comment on table worker.setting is 'The job settings SQL triggers need (one row). The worker process writes its configuration (JOB_MAX_ATTEMPTS, REFRESH_DEBOUNCE_SECONDS) here at start.';
insert into worker.setting default values;

-- migrate:down
drop schema worker cascade;
