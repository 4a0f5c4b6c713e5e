-- migrate:up
-- Model statistics maintained incrementally: scoring an event writes its delta (new
-- minus previous contribution) in the same transaction (sql/045_model_stats.sql); the
-- seed's three names become plain views over the folded sums plus the deltas not yet
-- folded, so they are current the moment scoring commits. Scoring only appends deltas
-- (no two scorings wait on the same summary row); the refresh orchestrator folds them
-- into the sums (method function stats.fold_model_stats). A full REFRESH recomputed
-- every prediction ever made; this touches one event.

create table stats.model_event_agg (
  model_id bigint not null constraint model_event_agg_model_fk references forecast.forecaster on delete cascade,
  event_id bigint not null,
  competition_id integer not null,
  season_id integer not null,
  home_team_id integer,
  away_team_id integer,
  predictions integer not null constraint model_event_agg_predictions_positive check (predictions > 0),
  points numeric not null,
  win_count integer not null,
  draw_count integer not null,
  loss_count integer not null,
  total_units numeric not null,
  units_count integer not null,
  constraint model_event_agg_pkey primary key (model_id, event_id)
);
comment on table stats.model_event_agg is 'One row per (model, event) with at least one scored prediction: that event''s contribution to the model statistics, and the keys (competition, season, clubs) it was added under, so it can be taken back exactly. Maintained by stats.apply_model_stats; no foreign key to core.event so that a deleted event''s contribution can still be subtracted.';
comment on column stats.model_event_agg.units_count is 'How many of the predictions had units (odds taken): total_units is shown as null when none had.';
create index model_event_agg_event_idx on stats.model_event_agg (event_id);

create table stats.model_stats_competition_agg (
  model_id bigint not null constraint model_stats_competition_agg_model_fk references forecast.forecaster on delete cascade,
  competition_id integer not null constraint model_stats_competition_agg_competition_fk references core.competition on delete cascade,
  season_id integer not null constraint model_stats_competition_agg_season_fk references core.season on delete cascade,
  total_matches integer not null constraint model_stats_competition_agg_matches_positive check (total_matches > 0),
  total_points numeric not null,
  win_count integer not null constraint model_stats_competition_agg_win_count_non_negative check (win_count >= 0),
  draw_count integer not null constraint model_stats_competition_agg_draw_count_non_negative check (draw_count >= 0),
  loss_count integer not null constraint model_stats_competition_agg_loss_count_non_negative check (loss_count >= 0),
  total_units numeric not null,
  units_count integer not null constraint model_stats_competition_agg_units_count_non_negative check (units_count >= 0),
  constraint model_stats_competition_agg_pkey primary key (model_id, competition_id, season_id)
);
comment on table stats.model_stats_competition_agg is 'Model statistics per competition and season as sums, folded from stats.model_stats_competition_delta by stats.fold_model_stats (the refresh orchestrator''s incremental method). Read through stats.mv_model_stats_competition and stats.mv_model_stats_overall.';

create table stats.model_stats_club_agg (
  model_id bigint not null constraint model_stats_club_agg_model_fk references forecast.forecaster on delete cascade,
  club_id integer not null constraint model_stats_club_agg_club_fk references core.team on delete cascade,
  season_id integer not null constraint model_stats_club_agg_season_fk references core.season on delete cascade,
  is_home boolean not null,
  total_matches integer not null constraint model_stats_club_agg_matches_positive check (total_matches > 0),
  total_points numeric not null,
  win_count integer not null constraint model_stats_club_agg_win_count_non_negative check (win_count >= 0),
  draw_count integer not null constraint model_stats_club_agg_draw_count_non_negative check (draw_count >= 0),
  loss_count integer not null constraint model_stats_club_agg_loss_count_non_negative check (loss_count >= 0),
  total_units numeric not null,
  units_count integer not null constraint model_stats_club_agg_units_count_non_negative check (units_count >= 0),
  constraint model_stats_club_agg_pkey primary key (model_id, club_id, season_id, is_home)
);
comment on table stats.model_stats_club_agg is 'Model statistics per club, season and home/away as sums, folded from stats.model_stats_club_delta by stats.fold_model_stats. Read through stats.mv_model_stats_club.';
create index model_stats_club_agg_club_idx on stats.model_stats_club_agg (club_id, season_id);

create table stats.model_stats_competition_delta (
  delta_id bigint generated always as identity primary key,
  model_id bigint not null,
  competition_id integer not null,
  season_id integer not null,
  total_matches integer not null,
  total_points numeric not null,
  win_count integer not null,
  draw_count integer not null,
  loss_count integer not null,
  total_units numeric not null,
  units_count integer not null
);
comment on table stats.model_stats_competition_delta is 'Signed changes to stats.model_stats_competition_agg appended by scoring (stats.apply_model_stats) and not yet folded into it (stats.fold_model_stats). Append-only between folds, so concurrent scorings never wait on each other; no foreign keys, for the same reason (the fold and stats.dq_model_stats_incremental_vs_full check them).';
create index model_stats_competition_delta_key_idx on stats.model_stats_competition_delta (model_id, competition_id, season_id);

create table stats.model_stats_club_delta (
  delta_id bigint generated always as identity primary key,
  model_id bigint not null,
  club_id integer not null,
  season_id integer not null,
  is_home boolean not null,
  total_matches integer not null,
  total_points numeric not null,
  win_count integer not null,
  draw_count integer not null,
  loss_count integer not null,
  total_units numeric not null,
  units_count integer not null
);
comment on table stats.model_stats_club_delta is 'Signed changes to stats.model_stats_club_agg appended by scoring and not yet folded into it (stats.fold_model_stats).';
create index model_stats_club_delta_key_idx on stats.model_stats_club_delta (model_id, club_id, season_id, is_home);
create index model_stats_club_delta_club_idx on stats.model_stats_club_delta (club_id, season_id);

drop materialized view stats.mv_model_stats_overall;
drop materialized view stats.mv_model_stats_competition;
drop materialized view stats.mv_model_stats_club;

-- migrate:down
drop view if exists stats.mv_model_stats_overall;
drop view if exists stats.mv_model_stats_competition;
drop view if exists stats.mv_model_stats_club;
drop table stats.model_stats_club_delta;
drop table stats.model_stats_competition_delta;
drop table stats.model_stats_club_agg;
drop table stats.model_stats_competition_agg;
drop table stats.model_event_agg;
