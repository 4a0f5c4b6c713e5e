-- migrate:up
-- Forecasters (models and users) and the schema of derived statistics.

create schema forecast;
comment on schema forecast is 'Who predicts (forecasters: models and users), their predictions and picks, the scoring rules and each prediction''s score.';

create schema stats;
comment on schema stats is 'Everything derived: model statistics views, player statistics, leaderboards, calibration. Never written by applications.';

create table forecast.forecaster (
  forecaster_id bigint generated always as identity primary key,
  kind text not null constraint forecaster_kind_known check (kind in ('model', 'user')),
  name text not null constraint forecaster_name_given check (length(btrim(name)) > 0),
  version text,
  model_type text,
  hyperparameters jsonb not null default '{}',
  metrics jsonb not null default '{}',
  active boolean not null default true,
  handle text,
  created_at timestamptz not null default now(),
  constraint forecaster_model_has_version check (kind <> 'model' or (version is not null and model_type is not null)),
  constraint forecaster_user_has_handle check (kind <> 'user' or handle is not null),
  constraint forecaster_model_has_no_handle check (kind <> 'model' or handle is null),
  constraint forecaster_handle_format check (handle ~ '^[A-Za-z0-9_.-]{2,40}$'),
  constraint forecaster_hyperparameters_is_object check (jsonb_typeof(hyperparameters) = 'object'),
  constraint forecaster_metrics_is_object check (jsonb_typeof(metrics) = 'object')
);
comment on table forecast.forecaster is 'Who makes predictions: a model (name + version unique, model type, hyperparameters, metrics, active) or a user (a unique handle).';
comment on column forecast.forecaster.kind is 'model (a baseline or trained model) or user (a person playing pick''em).';
comment on column forecast.forecaster.version is 'Models: the version string; name + version is unique among models.';
comment on column forecast.forecaster.model_type is 'Models: the family, e.g. elo, favourite, always_home, random, poisson.';
comment on column forecast.forecaster.hyperparameters is 'Models: the parameters the model was run with (a JSON object).';
comment on column forecast.forecaster.metrics is 'Models: training or evaluation metrics reported by the model (a JSON object); scored results live in forecast.prediction_score.';
comment on column forecast.forecaster.active is 'Inactive forecasters keep their history but are not expected to predict.';
comment on column forecast.forecaster.handle is 'Users: the unique public handle (case-insensitive).';

create unique index forecaster_model_name_version_key on forecast.forecaster (name, version) where kind = 'model';
comment on index forecast.forecaster_model_name_version_key is 'A model is identified by name + version.';
create unique index forecaster_user_handle_key on forecast.forecaster (lower(handle)) where kind = 'user';
comment on index forecast.forecaster_user_handle_key is 'A user handle is unique, case-insensitively.';
create index forecaster_kind_active_idx on forecast.forecaster (kind, active);

-- migrate:down
drop schema stats cascade;
drop schema forecast cascade;
