-- migrate:up
-- Race-model predictions: a model's view of a runner (win, place or lose, with a
-- confidence and its features), partitioned by day on predicted_at, kept one year.

create sequence forecast.race_prediction_id_seq;
comment on sequence forecast.race_prediction_id_seq is 'Ids of forecast.race_prediction (a sequence: identity on partitioned tables is PostgreSQL 17+ only).';

create table forecast.race_prediction (
  race_prediction_id bigint not null default nextval('forecast.race_prediction_id_seq'),
  predicted_at timestamptz not null default now(),
  forecaster_id bigint not null constraint race_prediction_forecaster_fk references forecast.forecaster on delete cascade,
  runner_id bigint not null constraint race_prediction_runner_fk references core.runner on delete cascade,
  event_id bigint not null constraint race_prediction_event_fk references core.event on delete cascade,
  predicted_outcome text not null constraint race_prediction_outcome_known check (predicted_outcome in ('win', 'place', 'lose')),
  confidence numeric(5, 4) not null constraint race_prediction_confidence_range check (confidence > 0 and confidence <= 1),
  features jsonb not null default '{}' constraint race_prediction_features_is_object check (jsonb_typeof(features) = 'object'),
  created_at timestamptz not null default now(),
  constraint race_prediction_pkey primary key (race_prediction_id, predicted_at)
) partition by range (predicted_at);
comment on table forecast.race_prediction is
  'A race model''s prediction for one runner: win, place or lose, with a confidence in (0, 1] and the features it used. Partitioned by day on predicted_at; partitions older than a year are dropped by maint.run_partition_maintenance().';
comment on column forecast.race_prediction.event_id is 'The runner''s race, copied from core.runner on insert (for "a race''s predictions" without a join).';
comment on column forecast.race_prediction.confidence is 'The model''s probability for predicted_outcome, in (0, 1].';
comment on column forecast.race_prediction.features is 'The feature values the model used (a JSON object).';
create index race_prediction_forecaster_idx on forecast.race_prediction (forecaster_id, predicted_at);
create index race_prediction_event_idx on forecast.race_prediction (event_id, predicted_at);
create table forecast.race_prediction_default partition of forecast.race_prediction default;
comment on table forecast.race_prediction_default is 'Race predictions whose predicted_at has no daily partition; should stay empty (maint.default_partition_rows()).';

insert into maint.partition_policy (parent, granularity, premake, retention, note) values
  ('forecast.race_prediction', '1 day', '7 days', '1 year', 'Race-model predictions: kept one year.');

-- migrate:down
delete from maint.partition_policy where parent = 'forecast.race_prediction'::regclass;
drop table forecast.race_prediction;
drop sequence forecast.race_prediction_id_seq;
