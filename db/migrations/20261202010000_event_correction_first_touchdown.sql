-- migrate:up
-- A settled game's first touchdown (forecast.first_touchdown) is a settlement input like its
-- score: once the game is over it changes only through forecast.correct_first_touchdown,
-- whose trace is a row of core.event_correction with the scorer before and after.
alter table core.event_correction
  add column old_first_touchdown jsonb,
  add column new_first_touchdown jsonb;
comment on column core.event_correction.old_first_touchdown is
  'A corrected first touchdown (forecast.correct_first_touchdown): the fact before, {"player_id": …, "team_id": …} (player_id null: no touchdown), or JSON null when none was recorded; SQL null when the correction did not touch it.';
comment on column core.event_correction.new_first_touchdown is
  'A corrected first touchdown: the fact after, {"player_id": …, "team_id": …}; SQL null when the correction did not touch it.';

-- migrate:down
alter table core.event_correction
  drop column new_first_touchdown,
  drop column old_first_touchdown;
