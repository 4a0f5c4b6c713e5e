-- migrate:up
-- Two landed migrations were edited after databases had run them (20261101000100_core.sql,
-- 20261107000100_model_stats_incremental.sql): a database that ran their first versions lacks
-- what the edits added, and sql/ cannot be applied to it (stats.model_stats_*_delta are missing).
-- This adds each of those objects where it is missing, exactly as the edited files define it; on a
-- database that ran the edited files it changes nothing. `make drift-check` proves the two equal.

-- 20261101000100_core.sql
do $$
begin
  if not exists (select from pg_constraint c
                  where c.conrelid = 'core.event_status_transition'::regclass and c.conname = 'event_status_transition_status_known') then
    alter table core.event_status_transition add constraint event_status_transition_status_known check (
      from_status in ('scheduled', 'in_progress', 'completed', 'postponed', 'abandoned', 'cancelled')
      and to_status in ('scheduled', 'in_progress', 'completed', 'postponed', 'abandoned', 'cancelled'));
  end if;
end;
$$;
alter table core.event_correction
  add column if not exists old_runner_positions jsonb,
  add column if not exists new_runner_positions jsonb;
comment on column core.event_correction.old_runner_positions is 'For a race whose finishing positions were corrected: {"runner number": position before} of the runners that changed; null otherwise.';
comment on column core.event_correction.new_runner_positions is 'For a race whose finishing positions were corrected: {"runner number": position after} of the runners that changed (null: did not finish).';
comment on column core.event_correction.result_version is 'The core.event.result_version this correction produced.';

-- 20261107000100_model_stats_incremental.sql
create table if not exists stats.model_stats_competition_delta (
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
create index if not exists model_stats_competition_delta_key_idx on stats.model_stats_competition_delta (model_id, competition_id, season_id);

create table if not exists stats.model_stats_club_delta (
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
create index if not exists model_stats_club_delta_key_idx on stats.model_stats_club_delta (model_id, club_id, season_id, is_home);
create index if not exists model_stats_club_delta_club_idx on stats.model_stats_club_delta (club_id, season_id);

comment on table stats.model_stats_competition_agg is 'Model statistics per competition and season as sums, folded from stats.model_stats_competition_delta by stats.fold_model_stats (the refresh orchestrator''s incremental method). Read through stats.mv_model_stats_competition and stats.mv_model_stats_overall.';
comment on table stats.model_stats_club_agg is 'Model statistics per club, season and home/away as sums, folded from stats.model_stats_club_delta by stats.fold_model_stats. Read through stats.mv_model_stats_club.';

-- migrate:down
-- Nothing: what this adds belongs to the two migrations that define it, and goes with theirs.
