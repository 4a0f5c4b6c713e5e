-- migrate:up
-- forecast.prediction_score.forecaster_id and event_id are copies of what the prediction
-- already references (prediction -> forecaster, prediction -> selection -> market -> event),
-- and rows go away with their prediction (prediction_score_prediction_fk, on delete cascade).
-- Checking two more foreign keys on every score row doubled the cost of scoring an event,
-- so they go; forecast.dq_orphaned_rows() checks the copies against the prediction.
alter table forecast.prediction_score drop constraint prediction_score_forecaster_fk;
alter table forecast.prediction_score drop constraint prediction_score_event_fk;
comment on column forecast.prediction_score.forecaster_id is
  'Copied from the prediction so statistics need no join; kept right by forecast.score_event and checked by forecast.dq_orphaned_rows() (no foreign key: the row is deleted with its prediction).';
comment on column forecast.prediction_score.event_id is
  'The event of the prediction''s market, copied so statistics and re-scoring touch only their event; checked by forecast.dq_orphaned_rows() (no foreign key: the row is deleted with its prediction).';

-- migrate:down
alter table forecast.prediction_score
  add constraint prediction_score_forecaster_fk foreign key (forecaster_id) references forecast.forecaster on delete cascade,
  add constraint prediction_score_event_fk foreign key (event_id) references core.event on delete cascade;
