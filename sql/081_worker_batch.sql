-- worker: bursts scored as sets. When many events complete together their score_event jobs
-- are pending at once; the job a worker fetched claims others that are ready
-- (worker.claim_score_jobs, locked by the same worker as graphile-worker locks a job, so a
-- crash leaves them to worker.recover_stale_workers), scores all their events in one
-- transaction (worker.score_events: forecast.score_events, one statistics pass for the batch)
-- and completes the claimed jobs in that transaction (worker.complete_score_jobs). A batch
-- that fails gives its claimed jobs back (worker.release_score_jobs): each then runs alone.
-- The task is src/tasks/score_event.ts.
--
-- SQLSTATEs raised here:
--   SL121  a refresh delay below 0 seconds (as worker.score_event, sql/080_worker.sql)

create or replace function worker.claim_score_jobs(p_locked_by text, p_except_job_id bigint, p_limit integer)
returns table (job_id bigint, event_id bigint)
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  -- the ready jobs graphile-worker would fetch next (its own selection: available, due, no
  -- named queue, by priority then run_at), locked the way it locks one it fetched
  with j as (
    select jobs.id
      from graphile_worker._private_jobs jobs
     where jobs.is_available
       and jobs.run_at <= now()
       and jobs.task_id = (select t.id from graphile_worker._private_tasks t where t.identifier = 'score_event')
       and jobs.job_queue_id is null
       and jobs.id is distinct from p_except_job_id
       and (jobs.payload::jsonb ->> 'event_id') ~ '^[1-9][0-9]{0,17}$' -- a payload the task would refuse runs alone and fails there
     order by jobs.priority, jobs.run_at
     limit greatest(coalesce(p_limit, 0), 0)
       for update skip locked
  )
  update graphile_worker._private_jobs jobs
     set attempts = jobs.attempts + 1, locked_by = p_locked_by, locked_at = now()
    from j
   where jobs.id = j.id
  returning jobs.id, (jobs.payload::jsonb ->> 'event_id')::bigint
$$;
comment on function worker.claim_score_jobs(text, bigint, integer) is
  'Claims up to p_limit ready score_event jobs other than p_except_job_id (the one the caller runs) for the worker p_locked_by: those graphile-worker would fetch next (available, due, in no named queue, by priority then run_at; locked ones are skipped), locked and their attempt counted as graphile-worker does when it fetches a job, so a worker that dies leaves them to worker.recover_stale_workers. Returns each job with its event. The score_event task scores them with its own (worker.score_events), then completes them (worker.complete_score_jobs) or gives them back (worker.release_score_jobs).';

create or replace function worker.complete_score_jobs(p_job_ids bigint[], p_locked_by text) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer;
begin
  -- a claimed job replaced while it was held (a correction queued a newer one with its key)
  -- is deleted too: the newer job does the work again with newer information
  delete from graphile_worker._private_jobs j
   where j.id = any (p_job_ids) and j.locked_by = p_locked_by;
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;
comment on function worker.complete_score_jobs(bigint[], text) is
  'Completes score_event jobs claimed by worker.claim_score_jobs whose events were scored: deletes those still locked by p_locked_by (as graphile-worker completes a job). Called in the scoring''s transaction, so a job is gone exactly when its scoring committed. Returns the jobs completed.';

create or replace function worker.release_score_jobs(p_job_ids bigint[], p_locked_by text) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_superseded integer;
  v_released integer;
begin
  -- replaced while held (no key, attempts used up): the newer job does the work
  delete from graphile_worker._private_jobs j
   where j.id = any (p_job_ids) and j.locked_by = p_locked_by
     and j.key is null and j.attempts >= j.max_attempts;
  get diagnostics v_superseded = row_count;
  -- the others run again on their own, the claim not counted as an attempt
  update graphile_worker._private_jobs j
     set locked_by = null, locked_at = null, attempts = greatest(j.attempts - 1, 0)
   where j.id = any (p_job_ids) and j.locked_by = p_locked_by;
  get diagnostics v_released = row_count;
  return v_superseded + v_released;
end;
$$;
comment on function worker.release_score_jobs(bigint[], text) is
  'Gives back score_event jobs claimed by worker.claim_score_jobs when their batch could not be scored: unlocks them with the claim''s attempt taken back, so each runs on its own (and fails, if it does, with its own error); one replaced by a newer job while held is deleted instead. Returns the jobs released.';

create or replace function worker.score_events(p_event_ids bigint[], p_refresh_delay_seconds integer default null) returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_delay integer := coalesce(p_refresh_delay_seconds, (select s.refresh_delay_seconds from worker.setting s));
  v_ids bigint[];
  v_gone bigint[];
  v_id bigint;
  v_scored bigint;
  v_events jsonb;
  v_bets integer := 0;
  v_requeued bigint[];
  v_refresh_job bigint;
begin
  if v_delay < 0 then
    raise exception 'refresh delay must be 0 seconds or more, not %', v_delay using errcode = 'SL121';
  end if;
  select array_agg(e.event_id order by e.event_id) into v_ids
    from core.event e
   where e.event_id = any (p_event_ids);
  select array_agg(distinct u.id order by u.id) into v_gone
    from unnest(p_event_ids) as u (id)
   where u.id is not null and u.id <> all (coalesce(v_ids, '{}'));
  if v_ids is null then
    return jsonb_build_object('status', 'gone', 'events', 0, 'predictions', 0, 'bets', 0, 'scored', '[]'::jsonb,
                              'gone', coalesce(to_jsonb(v_gone), '[]'::jsonb), 'requeued', '[]'::jsonb);
  end if;
  -- every score of every event in one statement (one statistics pass), then the bets
  select coalesce(sum(s.predictions), 0), jsonb_agg(jsonb_build_object('event_id', s.event_id, 'predictions', s.predictions) order by s.event_id)
    into v_scored, v_events
    from forecast.score_events(v_ids) s;
  foreach v_id in array v_ids loop
    v_bets := v_bets + trade.settle_bets(v_id);
  end loop;
  -- Still behind: a change committed while this ran (as worker.score_event): queue the next scoring.
  select array_agg(q.event_id order by q.event_id) into v_requeued
    from (select e.event_id,
                 worker.add_job('score_event', json_build_object('event_id', e.event_id, 'result_version', e.result_version),
                                'score_event:' || e.event_id, null, worker.scoring_priority(e.scheduled_start), 'replace') as job_id
            from forecast.event_scoring es
            join core.event e on e.event_id = es.event_id
           where es.event_id = any (v_ids) and es.owed_since is not null
           order by e.event_id) q;
  v_refresh_job := worker.add_job('refresh', json_build_object('trigger', 'event'), 'refresh', now() + make_interval(secs => v_delay), 0, 'preserve_run_at');
  return jsonb_build_object('status', 'scored', 'events', cardinality(v_ids), 'predictions', v_scored, 'bets', v_bets, 'scored', v_events,
                            'requeued', coalesce(to_jsonb(v_requeued), '[]'::jsonb), 'gone', coalesce(to_jsonb(v_gone), '[]'::jsonb),
                            'refresh_job', v_refresh_job, 'refresh_at', now() + make_interval(secs => v_delay));
end;
$$;
comment on function worker.score_events(bigint[], integer) is
  'The score_event task for a batch of events (a burst of completions): scores all of them in one set-based pass (forecast.score_events: per-event advisory locks, one statistics maintenance pass), settles each one''s bets (trade.settle_bets), queues the next scoring of any still behind (a change committed meanwhile, forecast.event_scoring), then enqueues one debounced refresh, all in one transaction. Events that no longer exist are skipped and listed as gone. Returns what it did: events and predictions scored (and each event with its predictions, scored), bets changed, events re-queued.';
