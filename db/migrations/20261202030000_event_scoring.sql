-- migrate:up
-- The durable record that scoring work is owed (sql/043_forecast_owed.sql): for every event
-- that has had a result, the version of the work it needs (bumped in the same transaction as
-- a completion, a correction or the deletion of a scored prediction) and the version its
-- scores and its bets' settlement reflect. A queued job is not a record that work is owed
-- (a job can be lost); this row is, and the reconciler (worker.enqueue_owed) works from it.
create table forecast.event_scoring (
  event_id bigint primary key constraint event_scoring_event_fk references core.event on delete cascade,
  owed_version bigint not null default 1 constraint event_scoring_owed_version_positive check (owed_version >= 0),
  result_version integer not null,
  scored_version bigint not null default 0,
  scored_result_version integer,
  scored_at timestamptz,
  settled_version bigint not null default 0,
  settled_result_version integer,
  settled_at timestamptz,
  owed_since timestamptz default now(),
  constraint event_scoring_versions_not_ahead check (scored_version <= owed_version and settled_version <= owed_version),
  constraint event_scoring_owed_since_when_behind
    check ((owed_since is null) = (scored_version = owed_version and settled_version = owed_version))
);
comment on table forecast.event_scoring is
  'Scores owed: one row per event that has had a result. owed_version counts the changes that need the event re-scored and its bets re-settled (completion, correction, deletion of a scored prediction), bumped in the same transaction as the change; scored_version and settled_version say which of them forecast.score_event and trade.settle_bets have caught up with. An event is behind while owed_since is set. The reconciler (worker.enqueue_owed) queues scoring for every event behind; the check forecast_scores_behind_results counts those behind for too long.';
comment on column forecast.event_scoring.owed_version is 'Incremented by every change that needs the event re-scored and its bets re-settled: completed, abandoned or cancelled, a result correction (core.event.result_version), a scored prediction deleted.';
comment on column forecast.event_scoring.result_version is 'The core.event.result_version at the last change recorded here.';
comment on column forecast.event_scoring.scored_version is 'The owed_version forecast.score_event last caught up with (read before it read the result).';
comment on column forecast.event_scoring.scored_result_version is 'The core.event.result_version the event''s scores reflect.';
comment on column forecast.event_scoring.settled_version is 'The owed_version trade.settle_bets last caught up with (read before it read the results).';
comment on column forecast.event_scoring.settled_result_version is 'The core.event.result_version the event''s bet settlement reflects.';
comment on column forecast.event_scoring.owed_since is 'When the event fell behind (the first change not yet caught up with); null when its scores and bets are up to date.';
create index event_scoring_owed_idx on forecast.event_scoring (owed_since) where owed_since is not null;

-- Events already settled when this lands: behind when a prediction of theirs has no score
-- or a score of an older result; up to date otherwise.
insert into forecast.event_scoring (event_id, owed_version, result_version, scored_version, scored_result_version,
                                    settled_version, settled_result_version, owed_since)
select e.event_id, 1, e.result_version,
       case when behind.yes then 0 else 1 end, case when behind.yes then null else e.result_version end,
       case when behind.yes then 0 else 1 end, case when behind.yes then null else e.result_version end,
       case when behind.yes then now() end
  from core.event e
 cross join lateral (
   select exists (select from market.market m
                    join forecast.prediction p on p.market_id = m.market_id
                    left join forecast.prediction_score ps on ps.prediction_id = p.prediction_id
                   where m.event_id = e.event_id
                     and (ps.prediction_id is null or ps.result_version <> e.result_version)) as yes) behind
 where e.status in ('completed', 'abandoned', 'cancelled') or e.result_version > 0;

-- migrate:down
drop table forecast.event_scoring;
