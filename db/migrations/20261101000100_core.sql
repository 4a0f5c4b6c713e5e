-- migrate:up
-- The core domain: sports, competitions, seasons, weeks, teams, players, rosters,
-- events (a match, a game or a race) and race runners. One model for every sport.

create schema core;
comment on schema core is 'The domain every sport shares: sport, competition, season, week, team, player, roster, event and race runner.';

create table core.sport (
  sport_id smallint generated always as identity primary key,
  code text not null constraint sport_code_key unique
    constraint sport_code_format check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null
);
comment on table core.sport is 'A sport: american_football, football (soccer), horse_racing, greyhound_racing.';
comment on column core.sport.code is 'Stable lower-case key used by feeds and code.';

create table core.competition (
  competition_id integer generated always as identity primary key,
  sport_id smallint not null constraint competition_sport_fk references core.sport on delete restrict,
  code text not null constraint competition_code_key unique
    constraint competition_code_format check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  country text
);
comment on table core.competition is 'A league, tournament or race meeting series (nfl, epl, hkjc).';
comment on column core.competition.code is 'Stable lower-case key used by feeds and code.';
create index competition_sport_idx on core.competition (sport_id);

create table core.season (
  season_id integer generated always as identity primary key,
  competition_id integer not null constraint season_competition_fk references core.competition on delete cascade,
  label text not null,
  starts_on date,
  ends_on date,
  is_current boolean not null default false,
  constraint season_competition_label_key unique (competition_id, label),
  constraint season_id_competition_key unique (season_id, competition_id),
  constraint season_dates_ordered check (ends_on is null or starts_on is null or ends_on >= starts_on)
);
comment on table core.season is 'A season of a competition (2024, 2019-20). At most one season per competition is current.';
comment on column core.season.label is 'The season as its competition names it: 2024 for the NFL, 2019-20 for the Premier League.';
comment on column core.season.is_current is 'The season now being played; the overall model statistics cover current seasons only.';
comment on constraint season_id_competition_key on core.season is 'Lets core.event reference (season, competition) so an event''s season belongs to its competition.';
create unique index season_one_current_per_competition on core.season (competition_id) where is_current;
comment on index core.season_one_current_per_competition is 'One current season per competition.';

create table core.week (
  season_id integer not null constraint week_season_fk references core.season on delete cascade,
  week_number smallint not null constraint week_number_positive check (week_number between 1 and 60),
  label text not null,
  starts_on date,
  ends_on date,
  constraint week_pkey primary key (season_id, week_number),
  constraint week_dates_ordered check (ends_on is null or starts_on is null or ends_on >= starts_on)
);
comment on table core.week is 'An NFL week or a football matchday within a season; events reference (season_id, week_number).';
comment on column core.week.week_number is 'The week''s number within the season: NFL weeks 1-18 regular, 19-22 post-season; matchdays 1-38.';

create table core.team (
  team_id integer generated always as identity primary key,
  sport_id smallint not null constraint team_sport_fk references core.sport on delete restrict,
  code text not null,
  name text not null,
  constraint team_sport_code_key unique (sport_id, code)
);
comment on table core.team is 'A team or club.';
comment on column core.team.code is 'The team''s key in its feeds: the NFL abbreviation (KC) or the club''s short name (Man United).';

create table core.player (
  player_id bigint generated always as identity primary key,
  sport_id smallint not null constraint player_sport_fk references core.sport on delete restrict,
  external_id text not null,
  full_name text not null,
  constraint player_sport_external_id_key unique (sport_id, external_id)
);
comment on table core.player is 'A player. Positions are not stored here: core.roster is their single source of truth.';
comment on column core.player.external_id is 'The feed''s stable id, e.g. the NFL GSIS id 00-0023459.';
create index player_full_name_idx on core.player (full_name);

create table core.roster (
  roster_id bigint generated always as identity primary key,
  season_id integer not null constraint roster_season_fk references core.season on delete cascade,
  team_id integer not null constraint roster_team_fk references core.team on delete restrict,
  player_id bigint not null constraint roster_player_fk references core.player on delete cascade,
  position text not null constraint roster_position_format check (position ~ '^[A-Z][A-Z0-9/]{0,7}$'),
  jersey smallint constraint roster_jersey_range check (jersey between 0 and 99),
  external_id text,
  constraint roster_season_team_player_key unique (season_id, team_id, player_id)
);
comment on table core.roster is 'A player on a team''s roster in a season, with his position: the single source of truth for positions.';
comment on column core.roster.position is 'Position code as the feed gives it (QB, RB, WR, TE, K, ...).';
create index roster_team_position_idx on core.roster (team_id, position);
create index roster_player_season_idx on core.roster (player_id, season_id);

create table core.event_status_transition (
  from_status text not null,
  to_status text not null,
  constraint event_status_transition_pkey primary key (from_status, to_status),
  constraint event_status_transition_not_same check (from_status <> to_status),
  constraint event_status_transition_status_known check (
    from_status in ('scheduled', 'in_progress', 'completed', 'postponed', 'abandoned', 'cancelled')
    and to_status in ('scheduled', 'in_progress', 'completed', 'postponed', 'abandoned', 'cancelled'))
);
comment on table core.event_status_transition is 'The status changes an ordinary UPDATE may make to an event; anything else is refused (SQLSTATE SL001). A settled result (completed, abandoned, cancelled) changes only through core.correct_event_result.';

insert into core.event_status_transition (from_status, to_status) values
  ('scheduled', 'in_progress'),
  ('scheduled', 'completed'),
  ('scheduled', 'postponed'),
  ('scheduled', 'cancelled'),
  ('scheduled', 'abandoned'),
  ('postponed', 'scheduled'),
  ('postponed', 'cancelled'),
  ('in_progress', 'completed'),
  ('in_progress', 'abandoned'),
  ('in_progress', 'postponed');

create table core.event (
  event_id bigint generated always as identity primary key,
  external_id text not null constraint event_external_id_key unique,
  kind text not null constraint event_kind_known check (kind in ('match', 'game', 'race')),
  competition_id integer not null,
  season_id integer not null,
  week_number smallint,
  stage text not null default 'regular' constraint event_stage_known check (stage in ('preseason', 'regular', 'postseason')),
  round text,
  name text,
  scheduled_start timestamptz not null,
  actual_start timestamptz,
  status text not null default 'scheduled'
    constraint event_status_known check (status in ('scheduled', 'in_progress', 'completed', 'postponed', 'abandoned', 'cancelled')),
  home_team_id integer constraint event_home_team_fk references core.team on delete restrict,
  away_team_id integer constraint event_away_team_fk references core.team on delete restrict,
  home_score smallint constraint event_home_score_non_negative check (home_score >= 0),
  away_score smallint constraint event_away_score_non_negative check (away_score >= 0),
  venue text,
  completed_at timestamptz,
  result_version integer not null default 0,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint event_season_fk foreign key (season_id, competition_id)
    references core.season (season_id, competition_id) on delete restrict,
  constraint event_week_fk foreign key (season_id, week_number)
    references core.week (season_id, week_number) on delete restrict,
  constraint event_teams_distinct check (home_team_id <> away_team_id),
  constraint event_match_has_teams check (kind = 'race' or (home_team_id is not null and away_team_id is not null)),
  constraint event_race_has_no_teams check (kind <> 'race' or (home_team_id is null and away_team_id is null and home_score is null and away_score is null)),
  constraint event_completed_match_has_scores check (status <> 'completed' or kind = 'race' or (home_score is not null and away_score is not null)),
  constraint event_scores_only_once_started check (status in ('in_progress', 'completed', 'abandoned') or (home_score is null and away_score is null)),
  constraint event_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);
comment on table core.event is 'A match, game or race. Status lifecycle scheduled -> in_progress -> completed, or postponed, abandoned, cancelled; transitions are enforced by core.tg_event__guard_status and a completed result changes only through core.correct_event_result.';
comment on column core.event.external_id is 'The natural id, unique: 2024_01_BAL_KC for the NFL, epl_2019-20_20190809_LIV_NOR, hkjc_20240101_ST_R1.';
comment on column core.event.kind is 'match (football), game (NFL) or race (runners instead of teams).';
comment on column core.event.week_number is 'With season_id, references core.week; null for races.';
comment on column core.event.stage is 'preseason, regular or postseason.';
comment on column core.event.round is 'The feed''s round or game type: REG, WC, DIV, CON, SB; a race number.';
comment on column core.event.result_version is 'Incremented by each correction of a completed result; scoring jobs are keyed by (event, result_version).';
comment on column core.event.completed_at is 'When the event reached completed (set by the status trigger).';
create index event_competition_season_idx on core.event (competition_id, season_id);
create index event_status_scheduled_idx on core.event (status, scheduled_start);
create index event_season_week_idx on core.event (season_id, week_number);
create index event_home_team_idx on core.event (home_team_id, season_id);
create index event_away_team_idx on core.event (away_team_id, season_id);

create table core.event_correction (
  correction_id bigint generated always as identity primary key,
  event_id bigint not null constraint event_correction_event_fk references core.event on delete cascade,
  corrected_at timestamptz not null default now(),
  corrected_by text not null default current_user,
  reason text not null constraint event_correction_reason_given check (length(btrim(reason)) > 0),
  old_status text not null,
  new_status text not null,
  old_home_score smallint,
  old_away_score smallint,
  new_home_score smallint,
  new_away_score smallint,
  old_runner_positions jsonb,
  new_runner_positions jsonb,
  result_version integer not null
);
comment on table core.event_correction is 'The trace every correction of a settled result leaves: who, when, why, and the result before and after.';
comment on column core.event_correction.old_runner_positions is 'For a race whose finishing positions were corrected: {"runner number": position before} of the runners that changed; null otherwise.';
comment on column core.event_correction.new_runner_positions is 'For a race whose finishing positions were corrected: {"runner number": position after} of the runners that changed (null: did not finish).';
comment on column core.event_correction.result_version is 'The core.event.result_version this correction produced.';
create index event_correction_event_idx on core.event_correction (event_id, corrected_at);

create table core.runner (
  runner_id bigint generated always as identity primary key,
  event_id bigint not null constraint runner_event_fk references core.event on delete cascade,
  number smallint not null constraint runner_number_positive check (number > 0),
  draw smallint constraint runner_draw_positive check (draw > 0),
  name text not null,
  external_id text,
  jockey text,
  trainer text,
  form_rating numeric(4, 2) constraint runner_form_rating_range check (form_rating between 0 and 10),
  weight numeric(7, 2) constraint runner_weight_positive check (weight > 0),
  days_since_last_race integer constraint runner_days_since_last_race_non_negative check (days_since_last_race >= 0),
  status text not null default 'declared'
    constraint runner_status_known check (status in ('declared', 'non_runner', 'finished', 'did_not_finish', 'disqualified')),
  finish_position smallint constraint runner_finish_position_positive check (finish_position > 0),
  finish_time interval,
  metadata jsonb not null default '{}',
  constraint runner_event_number_key unique (event_id, number),
  constraint runner_finished_has_position check (status <> 'finished' or finish_position is not null),
  constraint runner_position_only_when_finished check (finish_position is null or status = 'finished'),
  constraint runner_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);
comment on table core.runner is 'A runner (horse, greyhound) in a race: trap or draw, form, weight, trainer, and its finishing position once run.';
comment on column core.runner.number is 'Saddle cloth or trap number, unique within the race.';
comment on column core.runner.draw is 'Barrier draw (horses); for greyhounds the trap is the number.';
comment on column core.runner.form_rating is 'Form rating on a 0-10 scale.';
comment on column core.runner.finish_position is 'Finishing place; dead heats share a position.';
create index runner_event_position_idx on core.runner (event_id, finish_position);

-- migrate:down
drop schema core cascade;
