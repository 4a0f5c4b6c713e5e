-- forecast: the scores-owed record (forecast.event_scoring). Every change that needs an
-- event re-scored and its bets re-settled bumps the event's owed_version in the same
-- transaction as the change: a completion or a correction (a trigger on core.event), the
-- deletion of a prediction on a settled or void market (a statement trigger on
-- forecast.prediction). forecast.score_event and trade.settle_bets record the version they
-- caught up with. The reconciler (worker.enqueue_owed, sql/080_worker.sql) queues scoring for
-- every event behind; the check below counts the events behind for longer than a grace period.
-- Re-applied by `scoreline migrate`; idempotent. See docs/scoring.md ("Scores owed").
--
-- Why the version is read first: a scorer takes the event's advisory lock, reads owed_version
-- (v), then reads the result and writes. A change commits its result and its owed_version
-- together, so whatever result the scorer reads is at least as new as v: recording v never
-- claims more than was done. A change committed after the read leaves owed_version > v, and
-- the event stays behind until the next scoring.
--
-- SQLSTATEs raised here:
--   SL041  forecast.record_scoring for a part other than scores or bets

create or replace function forecast.owe_scoring(p_event_ids bigint[]) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer;
begin
  insert into forecast.event_scoring as es (event_id, result_version)
  select e.event_id, e.result_version
    from core.event e
   where e.event_id = any (p_event_ids)
   order by e.event_id -- one lock order for concurrent callers
  on conflict (event_id) do update
     set owed_version = es.owed_version + 1,
         result_version = excluded.result_version,
         owed_since = coalesce(es.owed_since, now());
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;
comment on function forecast.owe_scoring(bigint[]) is
  'Records that the events need re-scoring and their bets re-settling: creates their forecast.event_scoring row (owed) or bumps its owed_version, keeping owed_since when they were already behind. Called in the transaction of the change by the (security definer) triggers on core.event and forecast.prediction; no role is granted it. Returns the number of events recorded.';

create or replace function forecast.tg_event__owe_scoring() returns trigger
language plpgsql
volatile
security definer -- fired by any role's completion or correction; the record is written with owner authority
set search_path = pg_catalog, pg_temp
as $$
begin
  perform forecast.owe_scoring(array[new.event_id]);
  return null;
end;
$$;
comment on function forecast.tg_event__owe_scoring() is
  'After an event is completed, abandoned or cancelled, or its result corrected (result_version): its scores and bets are owed (forecast.owe_scoring), in the same transaction. Fires before the trigger that queues the scoring job (_200_enqueue_scoring), so a scorer already running waits for this transaction on the record and sees the new version.';

-- The same condition as worker.tg_event__enqueue_scoring: the record is written before the job is queued.
drop trigger if exists _150_owe_scoring on core.event;
create trigger _150_owe_scoring
  after update of status, result_version on core.event
  for each row
  when ((new.status = 'completed' and old.status is distinct from 'completed')
        or (new.status in ('abandoned', 'cancelled') and old.status is distinct from new.status)
        or new.result_version <> old.result_version)
  execute function forecast.tg_event__owe_scoring();

create or replace function forecast.tg_prediction__owe_rescoring() returns trigger
language plpgsql
volatile
security definer -- reads the markets and queues the job whoever deletes
set search_path = pg_catalog, pg_temp
as $$
declare
  v_events bigint[];
begin
  -- the events whose settled or void markets lost a prediction: their rarity shares and points change
  select array_agg(distinct m.event_id order by m.event_id) into v_events
    from old_rows o
    join market.market m on m.market_id = o.market_id
   where m.status in ('settled', 'void');
  if v_events is null then
    return null;
  end if;
  perform forecast.owe_scoring(v_events);
  perform worker.add_job('score_event',
                         json_build_object('event_id', e.event_id, 'result_version', e.result_version),
                         'score_event:' || e.event_id, null, worker.scoring_priority(e.scheduled_start), 'replace')
     from core.event e
    where e.event_id = any (v_events)
    order by e.event_id;
  return null;
end;
$$;
comment on function forecast.tg_prediction__owe_rescoring() is
  'After a delete from forecast.prediction (once per statement, over its transition table): the events whose settled or void markets lost predictions are owed a re-scoring (the others'' rarity share and points change; forecast.owe_scoring) and their score_event job is queued, in the same transaction.';

drop trigger if exists _150_owe_rescoring on forecast.prediction;
create trigger _150_owe_rescoring
  after delete on forecast.prediction
  referencing old table as old_rows
  for each statement execute function forecast.tg_prediction__owe_rescoring();

create or replace function forecast.record_scoring(p_event_id bigint, p_part text, p_version bigint, p_result_version integer)
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_behind boolean;
begin
  if p_part is null or p_part not in ('scores', 'bets') then
    raise exception 'forecast.record_scoring: the part caught up with is scores or bets, not %', coalesce(p_part, 'null')
      using errcode = 'SL041';
  end if;
  -- waits for a change in progress on this event (it holds the row), then sees its version
  update forecast.event_scoring es
     set scored_version = case when p_part = 'scores' then greatest(es.scored_version, p_version) else es.scored_version end,
         scored_result_version = case when p_part = 'scores' and p_version >= es.scored_version then p_result_version else es.scored_result_version end,
         scored_at = case when p_part = 'scores' then now() else es.scored_at end,
         settled_version = case when p_part = 'bets' then greatest(es.settled_version, p_version) else es.settled_version end,
         settled_result_version = case when p_part = 'bets' and p_version >= es.settled_version then p_result_version else es.settled_result_version end,
         settled_at = case when p_part = 'bets' then now() else es.settled_at end,
         owed_since = case when (case when p_part = 'scores' then greatest(es.scored_version, p_version) else es.scored_version end) = es.owed_version
                            and (case when p_part = 'bets' then greatest(es.settled_version, p_version) else es.settled_version end) = es.owed_version
                           then null
                           else es.owed_since end
   where es.event_id = p_event_id
  returning es.owed_since is not null into v_behind;
  return coalesce(v_behind, false);
end;
$$;
comment on function forecast.record_scoring(bigint, text, bigint, integer) is
  'Records that an event''s scores (p_part scores, by forecast.score_event) or bets (bets, by trade.settle_bets) caught up with owed_version p_version, read before the result was, and result version p_result_version; clears owed_since once both parts are up to date. Returns whether the event is still behind (a change committed meanwhile). SL041 for another part. Internal: called by the security definer scorers only.';

create or replace function forecast.owed_version(p_event_id bigint) returns bigint
language sql
stable
strict
set search_path = pg_catalog, pg_temp
as $$
  select es.owed_version from forecast.event_scoring es where es.event_id = p_event_id
$$;
comment on function forecast.owed_version(bigint) is
  'The event''s owed_version now (null when it never had a result): read by forecast.score_event and trade.settle_bets under the event''s lock, before they read its result.';

create or replace function forecast.dq_scores_behind_results(p_grace interval default interval '5 minutes') returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select count(*)::numeric
    from forecast.event_scoring es
   where es.owed_since < now() - p_grace
$$;
comment on function forecast.dq_scores_behind_results(interval) is
  'Data-quality check (0 = healthy): events whose scores or bet settlement have been behind their result (a completion, correction or deleted prediction not yet scored) for longer than p_grace (5 minutes by default: the worker scores within seconds and the reconciler re-queues every minute).';

select refresh.define_check('forecast_scores_behind_results', null, 'select forecast.dq_scores_behind_results(interval ''5 minutes'')', 0, null, null,
  'error', 'Events whose scores or bet settlement are behind their result (completed, corrected or a scored prediction deleted) for more than 5 minutes: must be 0 once the worker has drained.');
