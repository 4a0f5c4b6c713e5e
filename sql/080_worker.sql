-- worker: how changes become jobs (in the same transaction as the change), the
-- procedures the worker's tasks call, heartbeats and crash recovery, and views
-- of the queue for operators.
--
-- SQLSTATEs raised here:
--   SL120  a job for a task the worker does not run
--   SL121  a job setting out of range

create or replace function worker.add_job(
  p_task text,
  p_payload json,
  p_job_key text default null,
  p_run_at timestamptz default null,
  p_priority integer default 0,
  p_job_key_mode text default 'replace'
) returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_job_id bigint;
begin
  if p_task is null or p_task not in ('score_event', 'refresh', 'refresh_tick', 'nightly_sync', 'maintain', 'reconcile_scores') then
    raise exception 'no worker task named %', coalesce(quote_literal(p_task), 'null')
      using errcode = 'SL120',
            hint = 'tasks: score_event, refresh, refresh_tick, nightly_sync, maintain, reconcile_scores';
  end if;
  select (graphile_worker.add_job(
            identifier := p_task,
            payload := coalesce(p_payload, '{}'::json),
            run_at := p_run_at,
            max_attempts := (select s.job_max_attempts from worker.setting s),
            job_key := p_job_key,
            priority := coalesce(p_priority, 0),
            job_key_mode := p_job_key_mode)).id
    into v_job_id;
  return v_job_id;
end;
$$;
comment on function worker.add_job(text, json, text, timestamptz, integer, text) is
  'Enqueues a job for one of the worker''s tasks (SL120 otherwise) with the configured max attempts. Security definer so triggers fired by any role can enqueue without rights on graphile_worker.';

create or replace function worker.scoring_priority(p_scheduled_start timestamptz) returns integer
language sql
stable
strict
set search_path = pg_catalog, pg_temp
as $$
  select least(greatest(extract(epoch from (now() - p_scheduled_start)) / 3600, 0), 32767)::integer
$$;
comment on function worker.scoring_priority(timestamptz) is
  'Job priority for scoring an event: the hours since it was scheduled to start, at most 32767 (graphile-worker keeps priorities in a smallint and runs lower numbers first), so recently completed events are scored first.';

create or replace function worker.tg_event__enqueue_scoring() returns trigger
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if (new.status = 'completed' and old.status is distinct from 'completed')
     or (new.status in ('abandoned', 'cancelled') and old.status is distinct from new.status)
     or new.result_version <> old.result_version then
    perform worker.add_job(
      'score_event',
      json_build_object('event_id', new.event_id, 'result_version', new.result_version),
      'score_event:' || new.event_id,
      null,
      worker.scoring_priority(new.scheduled_start),
      'replace');
  end if;
  return null;
end;
$$;
comment on function worker.tg_event__enqueue_scoring() is
  'After an event is completed, abandoned or cancelled, or its result corrected: enqueue its settle-and-score job in the same transaction, keyed score_event:<event_id> so a pending job is replaced, not doubled.';

drop trigger if exists _200_enqueue_scoring on core.event;
create trigger _200_enqueue_scoring
  after update of status, result_version on core.event
  for each row execute function worker.tg_event__enqueue_scoring();

create or replace function worker.score_event(p_event_id bigint, p_refresh_delay_seconds integer default null) returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_delay integer := coalesce(p_refresh_delay_seconds, (select s.refresh_delay_seconds from worker.setting s));
  v_scored integer;
  v_bets integer;
  v_refresh_job bigint;
  v_requeued boolean := false;
  v_ev record;
begin
  if v_delay < 0 then
    raise exception 'refresh delay must be 0 seconds or more, not %', v_delay using errcode = 'SL121';
  end if;
  if not exists (select from core.event where event_id = p_event_id) then
    return jsonb_build_object('event_id', p_event_id, 'status', 'gone');
  end if;
  v_scored := forecast.score_event(p_event_id);
  v_bets := trade.settle_bets(p_event_id);
  -- Still behind: a change committed while this ran (a prediction deleted: corrections wait
  -- for the event row, deletes do not; forecast.record_scoring waited for it on the record and
  -- saw its version). Its own job may be lost (graphile-worker's add_job returns null when a
  -- worker locks the pending job between its update and its insert): queue the next one here.
  select e.event_id, e.result_version, e.scheduled_start into v_ev
    from forecast.event_scoring es join core.event e on e.event_id = es.event_id
   where es.event_id = p_event_id and es.owed_since is not null;
  if found then
    perform worker.add_job('score_event', json_build_object('event_id', v_ev.event_id, 'result_version', v_ev.result_version),
                           'score_event:' || v_ev.event_id, null, worker.scoring_priority(v_ev.scheduled_start), 'replace');
    v_requeued := true;
  end if;
  v_refresh_job := worker.add_job('refresh', json_build_object('trigger', 'event'), 'refresh', now() + make_interval(secs => v_delay), 0, 'preserve_run_at');
  return jsonb_build_object('event_id', p_event_id, 'status', 'scored', 'predictions', v_scored, 'bets', v_bets, 'requeued', v_requeued,
                            'refresh_job', v_refresh_job, 'refresh_at', now() + make_interval(secs => v_delay));
end;
$$;
comment on function worker.score_event(bigint, integer) is
  'The score_event task: settles and scores the event (forecast.score_event), settles its bets (trade.settle_bets), queues the next scoring when the event is still behind (a change committed meanwhile, forecast.event_scoring), then enqueues the debounced refresh (job key refresh, preserve_run_at, delay from worker.setting unless given), all in one transaction. Returns what it did (predictions scored, bets changed, whether it re-queued); an event that no longer exists is reported as gone.';

create or replace function worker.enqueue_owed() returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  -- owed events without a job that will run: none with their key, or one that failed for good
  -- (a locked job on its last attempt counts as failed: replacing it queues a new one)
  with todo as (
    select e.event_id, e.result_version, e.scheduled_start
      from forecast.event_scoring es
      join core.event e on e.event_id = es.event_id
     where es.owed_since is not null
       and not exists (select from graphile_worker._private_jobs j
                        where j.key = 'score_event:' || es.event_id
                          and j.attempts < j.max_attempts)
     order by es.owed_since, es.event_id
  )
  select count(worker.add_job('score_event',
                              json_build_object('event_id', t.event_id, 'result_version', t.result_version),
                              'score_event:' || t.event_id, null, worker.scoring_priority(t.scheduled_start), 'replace'))::integer
    from todo t
$$;
comment on function worker.enqueue_owed() is
  'The reconciler: queues a score_event job for every event behind in forecast.event_scoring (its scores or bets not caught up with its last completion, correction or deleted prediction) that has no job that will run (none with its key, or one that failed for good). Returns how many it queued. The reconcile_scores task runs it every minute, and every refresh pass (refresh.begin_pass).';

create or replace function worker.enqueue_refresh(p_trigger text default 'http', p_delay_seconds integer default 0) returns bigint
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_delay_seconds < 0 then
    raise exception 'refresh delay must be 0 seconds or more, not %', p_delay_seconds using errcode = 'SL121';
  end if;
  return worker.add_job('refresh', json_build_object('trigger', p_trigger), 'refresh',
                        now() + make_interval(secs => p_delay_seconds), 0, 'replace');
end;
$$;
comment on function worker.enqueue_refresh(text, integer) is
  'Queues a refresh now (or after a delay), replacing a pending debounced one: what POST /cron/update-stats calls.';

-- The five-argument beat of before WORKER_ID; the sixth argument defaults to hostname:pid.
drop function if exists worker.beat(text, text[], text, integer, integer);
create or replace function worker.beat(
  p_process_id text, p_worker_ids text[], p_hostname text, p_pid integer, p_concurrency integer, p_worker_id text default null
) returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  insert into worker.heartbeat as h (process_id, worker_id, worker_ids, hostname, pid, concurrency)
  values (p_process_id, coalesce(p_worker_id, p_hostname || ':' || p_pid), p_worker_ids, p_hostname, p_pid, p_concurrency)
  on conflict (process_id) do update
    set worker_ids = excluded.worker_ids, last_seen_at = now(), stopped_at = null
$$;
comment on function worker.beat(text, text[], text, integer, integer, text) is
  'A worker process''s heartbeat: records its name (WORKER_ID, hostname:pid when not given), its graphile-worker ids and the time.';

create or replace view worker.fleet as
with p as (
  select h.*, (select count(*) from graphile_worker._private_jobs j where j.locked_by = any (h.worker_ids)) as jobs_locked
    from worker.heartbeat h
)
select p.worker_id,
       count(*) filter (where p.stopped_at is null) as processes_alive,
       count(*) as processes,
       coalesce(sum(p.concurrency) filter (where p.stopped_at is null), 0)::integer as concurrency_alive,
       max(p.last_seen_at) as last_seen_at,
       sum(p.jobs_locked)::bigint as jobs_locked,
       array_agg(p.process_id order by p.started_at, p.process_id) as process_ids
  from p
 group by p.worker_id;
comment on view worker.fleet is
  'One row per worker name (WORKER_ID): its processes (alive: not stopped; a crashed one stays alive until its heartbeat is older than STALE_WORKER_SECONDS and another worker recovers it), their concurrency, when one last beat, and the jobs its processes hold locked.';
comment on column worker.fleet.worker_id is 'The name the worker gives itself (WORKER_ID; hostname:pid when unset): one row per name, however many processes ran under it.';
comment on column worker.fleet.processes_alive is 'Its processes not stopped (worker.heartbeat.stopped_at null); a crashed one counts until another worker recovers it.';
comment on column worker.fleet.processes is 'Every process recorded under the name, stopped ones included (until worker.prune_history removes their heartbeats).';
comment on column worker.fleet.concurrency_alive is 'The jobs its live processes may run at once: the sum of their concurrency (0 when none is alive).';
comment on column worker.fleet.last_seen_at is 'The latest heartbeat of any of its processes.';
comment on column worker.fleet.jobs_locked is 'graphile-worker jobs its processes hold locked now (running, or left locked by a crashed process until recovery).';
comment on column worker.fleet.process_ids is 'Its processes (worker.heartbeat.process_id: WORKER_ID and a random part), oldest first.';

create or replace function worker.recover_stale_workers(p_threshold interval, p_recovered_by text) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_stale text[];
  v_backend integer;
  v_unlocked integer;
  v_superseded integer;
begin
  -- Workers holding locks whose process has not beaten within the threshold (or never did).
  select array_agg(distinct j.locked_by) into v_stale
    from graphile_worker._private_jobs j
   where j.locked_by is not null
     and j.locked_at < now() - p_threshold
     and not exists (select from worker.heartbeat h
                      where j.locked_by = any (h.worker_ids)
                        and h.stopped_at is null
                        and h.last_seen_at > now() - p_threshold);
  if v_stale is null then
    return 0;
  end if;
  -- The dead processes' backends may still be running (or waiting inside) a job's statement:
  -- PostgreSQL notices a closed client only when it next reads from it, so that statement
  -- could still commit after the job runs again elsewhere. End them first (a role may end
  -- its own backends; the workers connect as one role) and wait for them to be gone.
  for v_backend in
    select a.pid
      from pg_stat_activity a
      join worker.heartbeat h
        on a.application_name = case when h.process_id ~ '/[0-9a-f]{6}$'
                                     -- src/worker/runner.ts workerApplicationName: the WORKER_ID cut to 39, never the random part
                                     then 'scoreline worker ' || left(left(h.process_id, length(h.process_id) - 7), 39) || right(h.process_id, 7)
                                     else left('scoreline worker ' || h.process_id, 63) end
     where h.worker_ids && v_stale
       and a.datname = current_database()
       and a.pid <> pg_backend_pid()
  loop
    begin
      perform pg_terminate_backend(v_backend, 5000);
    exception when insufficient_privilege then
      null; -- another role's backend (a superuser's): it cannot be ended from here
    end;
  end loop;
  -- A score_event or refresh job always has a key; one without it had been superseded
  -- while it ran (graphile-worker's add_job takes the key off a locked job with the same
  -- key and uses up its attempts). The job that replaced it does, or already did, the same
  -- work with newer information: delete it rather than leave it failed for good.
  delete from graphile_worker._private_jobs j
   using graphile_worker._private_tasks t
   where t.id = j.task_id
     and j.locked_by = any (v_stale)
     and j.key is null
     and j.attempts >= j.max_attempts
     and t.identifier in ('score_event', 'refresh');
  get diagnostics v_superseded = row_count;
  -- Say why on each other job: an attempt was used when the job was fetched, so a job
  -- whose attempts are now exhausted (a cron tick runs once: max=1) shows in
  -- worker.failed_job with this reason rather than with no error at all.
  update graphile_worker._private_jobs j
     set last_error = format('interrupted: worker %s stopped (no heartbeat for %s) while running this job, locked at %s',
                             j.locked_by, p_threshold, j.locked_at)
   where j.locked_by = any (v_stale);
  get diagnostics v_unlocked = row_count;
  perform graphile_worker.force_unlock_workers(v_stale);
  insert into worker.recovery (recovered_by, worker_ids, jobs_unlocked, jobs_superseded)
  values (p_recovered_by, v_stale, v_unlocked, v_superseded);
  update worker.heartbeat set stopped_at = coalesce(stopped_at, now()) where worker_ids && v_stale;
  return v_unlocked + v_superseded;
end;
$$;
comment on function worker.recover_stale_workers(interval, text) is
  'Unlocks the jobs (and queues) of workers whose heartbeat is older than the threshold with graphile_worker.force_unlock_workers, after ending the stale processes'' backends that are still connected (found by their application_name, scoreline worker <process_id>: a statement a killed worker left running must not commit after its job runs again), so a killed worker''s jobs run again in seconds rather than after graphile-worker''s 4-hour lock; each job''s last_error says it was interrupted (a job whose attempts are exhausted, such as a once-only cron tick, then shows in worker.failed_job with that reason); a score_event or refresh job superseded by a newer one with its key while it ran is deleted instead; records it in worker.recovery. Returns the number of jobs released (unlocked or deleted).';

create or replace view worker.job as
select j.id as job_id,
       t.identifier as task,
       j.key as job_key,
       j.payload,
       j.priority,
       j.run_at,
       j.attempts,
       j.max_attempts,
       case when j.locked_at is not null then 'running'
            when j.attempts >= j.max_attempts then 'failed'
            when j.run_at > now() then 'scheduled'
            else 'queued' end as state,
       j.last_error,
       j.locked_by,
       j.locked_at,
       j.created_at,
       j.updated_at
  from graphile_worker._private_jobs j
  join graphile_worker._private_tasks t on t.id = j.task_id;
comment on view worker.job is 'Every job in the queue with its task and state: queued, scheduled (run_at in the future, e.g. a retry backing off or a debounced refresh), running, or failed (attempts exhausted).';

create or replace view worker.failed_job as
select job_id, task, job_key, payload, attempts, max_attempts, last_error, created_at, updated_at as failed_at
  from worker.job
 where state = 'failed';
comment on view worker.failed_job is 'Jobs that failed for good (all attempts used), with their last error. Re-run one with graphile_worker.reschedule_jobs(array[job_id], attempts => 0).';

create or replace function worker.prune_history() returns integer
language plpgsql
volatile
security definer -- the worker appends to worker.recovery but may not delete from it
set search_path = pg_catalog, pg_temp
as $$
declare
  v_heartbeats integer;
  v_recoveries integer;
begin
  delete from worker.heartbeat where stopped_at < now() - interval '1 day';
  get diagnostics v_heartbeats = row_count;
  delete from worker.recovery where recovered_at < now() - interval '90 days';
  get diagnostics v_recoveries = row_count;
  return v_heartbeats + v_recoveries;
end;
$$;
comment on function worker.prune_history() is
  'Retention of the worker''s own records: heartbeats of processes stopped more than a day ago, recovery records older than 90 days (fixed here, not chosen by the caller). Returns the rows deleted. The maintain task calls it; the worker role has no DELETE on worker.recovery.';

-- No SET clause: a procedure with one cannot COMMIT between its steps; every name inside is schema-qualified.
create or replace procedure worker.maintain(p_keep_failed interval default '14 days')
language plpgsql
as $$
begin
  if to_regprocedure('maint.run_partition_maintenance()') is not null then
    -- a static CALL, not EXECUTE: a dynamic CALL runs atomically, and this one commits
    -- after every partition (sql/066_partition_run.sql)
    call maint.run_partition_maintenance();
  end if;
  if to_regprocedure('refresh.reap(regclass)') is not null then
    perform refresh.reap(null);
    commit;
  end if;
  if to_regprocedure('refresh.maintain_run_partitions(interval)') is not null then
    perform refresh.maintain_run_partitions();
    commit;
  end if;
  delete from graphile_worker._private_jobs
   where attempts >= max_attempts and locked_at is null and updated_at < now() - p_keep_failed;
  perform worker.prune_history();
end;
$$;
comment on procedure worker.maintain(interval) is
  'The maintain task: partition maintenance (when installed), the refresh reaper and audit retention, deletion of jobs that failed for good more than p_keep_failed ago, old heartbeats and recovery records. Commits between steps.';

create or replace function worker.nightly_sync() returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_report jsonb;
begin
  -- the registry in line with the catalog, also where no event trigger keeps it so
  perform refresh.sync('sync');
  select jsonb_build_object(
           'checks', count(*),
           'failed', count(*) filter (where not r.passed),
           'failed_checks', coalesce(jsonb_agg(jsonb_build_object('check', r.check_name, 'severity', r.severity, 'detail', r.detail))
                                     filter (where not r.passed), '[]'::jsonb))
    into v_report
    from refresh.run_checks(null, null) r;
  return v_report;
end;
$$;
comment on function worker.nightly_sync() is
  'The nightly sync in SQL: brings the refresh registry in line with the catalog (refresh.sync), runs every enabled check (refresh.run_checks), stores the results and returns how many ran and which failed. The worker''s nightly_sync task does the same, each check as its own statement under its timeout.';

create or replace function worker.enqueue_unscored() returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  with todo as (
    select e.event_id, e.result_version, e.scheduled_start
      from core.event e
     where e.status in ('completed', 'abandoned', 'cancelled')
       and exists (select from market.market m
                     join forecast.prediction p on p.market_id = m.market_id
                    where m.event_id = e.event_id
                      and not exists (select from forecast.prediction_score ps where ps.prediction_id = p.prediction_id))
  )
  select count(worker.add_job('score_event',
                              json_build_object('event_id', t.event_id, 'result_version', t.result_version),
                              'score_event:' || t.event_id, null, worker.scoring_priority(t.scheduled_start), 'replace'))::integer
    from todo t
$$;
comment on function worker.enqueue_unscored() is
  'Queues a score_event job for every settled event (completed, abandoned, cancelled) that has predictions without a score: after a bulk load that inserted finished events, or to repair. Returns how many were queued; jobs already pending are replaced, not doubled.';
