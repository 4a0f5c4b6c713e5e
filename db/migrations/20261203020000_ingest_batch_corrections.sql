-- migrate:up
-- A changed final score is a correction (core.correct_event_result), not an update: the batch
-- counts corrections in a column of their own, so that a load says how many settled results
-- it changed.
alter table ingest.batch
  add column corrections integer not null default 0,
  add constraint batch_corrections_non_negative check (corrections >= 0);
comment on column ingest.batch.corrections is
  'Settled events whose result this batch changed (a corrected final score, through core.correct_event_result: result_version bumped, a trace in core.event_correction, re-scoring queued). Not counted in updated.';

-- migrate:down
alter table ingest.batch drop column corrections;
