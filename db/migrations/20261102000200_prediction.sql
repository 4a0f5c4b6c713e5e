-- migrate:up
-- Predictions and picks, scoring rules as data, each prediction's score, the first
-- touchdown of a game (the fact that settles first_td_scorer markets), player
-- statistics, and the model statistics materialized views (seed 000).

-- A prediction names its selection and that selection's market together, so the
-- "one per market" rule can be a unique index; this key lets it reference both.
create unique index selection_id_market_key on market.selection (selection_id, market_id);
comment on index market.selection_id_market_key is 'Lets forecast.prediction reference (selection, market) together.';

create table forecast.prediction (
  prediction_id bigint generated always as identity primary key,
  forecaster_id bigint not null constraint prediction_forecaster_fk references forecast.forecaster on delete cascade,
  market_id bigint not null,
  selection_id bigint not null,
  one_per_market boolean not null,
  predicted_home_score smallint constraint prediction_home_score_non_negative check (predicted_home_score >= 0),
  predicted_away_score smallint constraint prediction_away_score_non_negative check (predicted_away_score >= 0),
  probability numeric constraint prediction_probability_range check (probability > 0 and probability <= 1),
  odds numeric(9, 3) constraint prediction_odds_above_one check (odds > 1),
  stake numeric(12, 2) not null default 1 constraint prediction_stake_non_negative check (stake >= 0),
  features jsonb not null default '{}' constraint prediction_features_is_object check (jsonb_typeof(features) = 'object'),
  predicted_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint prediction_selection_fk foreign key (selection_id, market_id)
    references market.selection (selection_id, market_id) on delete cascade,
  constraint prediction_selection_once unique (forecaster_id, selection_id),
  constraint prediction_score_pair check (num_nulls(predicted_home_score, predicted_away_score) in (0, 2))
);
comment on table forecast.prediction is 'A forecaster''s choice of a selection (a model''s prediction or a user''s pick): one per market unless the market allows several, never the same selection twice, only before the event starts and only on an open market (forecast.tg_prediction__guard).';
comment on column forecast.prediction.market_id is 'The selection''s market; filled from the selection when not given.';
comment on column forecast.prediction.one_per_market is 'Copied from market.market.allows_multiple_picks (negated) on insert: drives the partial unique index prediction_one_per_market.';
comment on column forecast.prediction.probability is 'The forecaster''s probability that the selection wins, in (0, 1]; Brier score and log loss are computed from it.';
comment on column forecast.prediction.odds is 'Decimal odds taken (> 1); units won or lost are computed at these odds.';
comment on column forecast.prediction.stake is 'Units staked (>= 0), 1 by default.';
comment on column forecast.prediction.features is 'Model inputs or notes (a JSON object).';
comment on column forecast.prediction.predicted_at is 'When the prediction was made: before the event''s start, never in the future.';
create unique index prediction_one_per_market on forecast.prediction (forecaster_id, market_id) where one_per_market;
comment on index forecast.prediction_one_per_market is 'One prediction per forecaster per market, unless the market allows several picks.';
create index prediction_market_selection_idx on forecast.prediction (market_id, selection_id);
create index prediction_forecaster_market_idx on forecast.prediction (forecaster_id, market_id);
create index prediction_selection_idx on forecast.prediction (selection_id);

create table forecast.prediction_market_price (
  prediction_id bigint not null constraint prediction_market_price_prediction_fk references forecast.prediction on delete cascade,
  external_market_id bigint not null
    constraint prediction_market_price_external_market_fk references market.external_market on delete cascade,
  price numeric(7, 6) not null constraint prediction_market_price_range check (price >= 0 and price <= 1),
  observed_at timestamptz not null,
  constraint prediction_market_price_pkey primary key (prediction_id, external_market_id)
);
comment on table forecast.prediction_market_price is 'A pick linked to the prediction-market (Polymarket, Kalshi) price of its selection at pick time; the external market must be linked to the same selection.';
comment on column forecast.prediction_market_price.price is 'The contract''s price (implied probability, 0..1) when the pick was made.';
create index prediction_market_price_external_market_idx on forecast.prediction_market_price (external_market_id);

create table forecast.scoring_rule (
  market_type text primary key constraint scoring_rule_market_type_fk references market.market_type on delete cascade,
  points_min numeric not null default 2,
  points_max numeric not null default 6,
  curve_exponent numeric not null default 1 constraint scoring_rule_curve_exponent_positive check (curve_exponent > 0),
  points_step numeric not null default 1 constraint scoring_rule_points_step_positive check (points_step > 0),
  loss_points numeric not null default 0,
  log_loss_epsilon double precision not null default 1e-15
    constraint scoring_rule_log_loss_epsilon_range check (log_loss_epsilon > 0 and log_loss_epsilon < 0.5),
  description text not null,
  constraint scoring_rule_points_ordered check (points_min >= 0 and points_max >= points_min)
);
comment on table forecast.scoring_rule is 'How predictions on a market type are scored (docs/scoring.md): a correct prediction earns points_min + round((points_max - points_min) * (1 - share) ^ curve_exponent / points_step) * points_step, where share is the fraction of the market''s forecasters who chose that selection; a wrong one loss_points; a void one 0.';
comment on column forecast.scoring_rule.curve_exponent is 'Shape of the rarity curve: 1 is linear in the share; above 1 keeps the bonus for the rarest picks.';
comment on column forecast.scoring_rule.points_step is 'Points are rounded to a multiple of this (1 = whole points).';
comment on column forecast.scoring_rule.log_loss_epsilon is 'Probabilities are clipped to [epsilon, 1 - epsilon] for log loss, so a certain wrong prediction costs a finite amount.';

insert into forecast.scoring_rule (market_type, description) values
  ('match_result', 'Home, draw or away: 2 points for the consensus pick up to 6 for a lone one.'),
  ('correct_score', 'Exact score: 2 to 6 points by rarity.'),
  ('first_td_scorer', 'First touchdown scorer: 2 to 6 points by rarity.'),
  ('race_win', 'Race winner: 2 to 6 points by rarity.'),
  ('race_place', 'Placed runner: 2 to 6 points by rarity.'),
  ('binary', 'Yes/no market: 2 to 6 points by rarity.');

create table forecast.prediction_score (
  prediction_id bigint primary key constraint prediction_score_prediction_fk references forecast.prediction on delete cascade,
  forecaster_id bigint not null constraint prediction_score_forecaster_fk references forecast.forecaster on delete cascade,
  event_id bigint not null constraint prediction_score_event_fk references core.event on delete cascade,
  outcome text not null constraint prediction_score_outcome_known check (outcome in ('win', 'loss', 'void')),
  points numeric not null,
  rarity_share numeric not null constraint prediction_score_rarity_share_range check (rarity_share > 0 and rarity_share <= 1),
  staked numeric(12, 2) not null constraint prediction_score_staked_non_negative check (staked >= 0),
  units numeric,
  probability numeric,
  brier double precision,
  log_loss double precision,
  result_version integer not null,
  scored_at timestamptz not null default now()
);
comment on table forecast.prediction_score is 'One row per scored prediction, written only by forecast.score_event: outcome (win, loss, void), points, rarity share, units won or lost, Brier score and log loss. The statistics views aggregate from here.';
comment on column forecast.prediction_score.forecaster_id is 'Copied from the prediction so statistics need no join.';
comment on column forecast.prediction_score.event_id is 'The event of the prediction''s market, copied so statistics and re-scoring touch only their event.';
comment on column forecast.prediction_score.rarity_share is 'Forecasters on this market who chose this selection / forecasters on this market (0..1]: the smaller, the more points.';
comment on column forecast.prediction_score.staked is 'Units at risk: the stake when the prediction won or lost and odds were taken, else 0 (ROI = units / staked).';
comment on column forecast.prediction_score.units is 'Units won or lost at the odds taken: win stake * (odds - 1) (dead heats: stake * (f * odds - 1)), loss -stake, void 0; null when no odds were taken.';
comment on column forecast.prediction_score.probability is 'The prediction''s probability, copied for the calibration view.';
comment on column forecast.prediction_score.brier is '(probability - outcome)^2 where outcome is 1 for a win and 0 for a loss; null for void or without probability.';
comment on column forecast.prediction_score.log_loss is '-ln(p) for a win, -ln(1 - p) for a loss, p clipped by the rule''s epsilon; null for void or without probability.';
comment on column forecast.prediction_score.result_version is 'The core.event.result_version the score was computed from.';
create index prediction_score_event_idx on forecast.prediction_score (event_id);
create index prediction_score_forecaster_event_idx on forecast.prediction_score (forecaster_id, event_id);

create table forecast.first_touchdown (
  event_id bigint primary key constraint first_touchdown_event_fk references core.event on delete cascade,
  player_id bigint constraint first_touchdown_player_fk references core.player on delete restrict,
  team_id integer constraint first_touchdown_team_fk references core.team on delete restrict,
  source text,
  recorded_at timestamptz not null default now(),
  constraint first_touchdown_team_needs_player check (player_id is not null or team_id is null)
);
comment on table forecast.first_touchdown is 'Who scored the first touchdown of a game: the fact that settles first_td_scorer markets and counts in stats.player_stats (once per game). player_id null = no touchdown was scored.';
comment on column forecast.first_touchdown.team_id is 'The scorer''s team in that game, when the feed says; otherwise it comes from the roster.';
create index first_touchdown_player_idx on forecast.first_touchdown (player_id) where player_id is not null;

create table stats.player_stats (
  season_id integer not null constraint player_stats_season_fk references core.season on delete cascade,
  team_id integer constraint player_stats_team_fk references core.team on delete cascade,
  player_id bigint not null constraint player_stats_player_fk references core.player on delete cascade,
  position text not null default 'UNK',
  first_td_count integer not null default 0 constraint player_stats_first_td_count_non_negative check (first_td_count >= 0),
  picks_made integer not null default 0 constraint player_stats_picks_made_non_negative check (picks_made >= 0),
  picks_correct integer not null default 0 constraint player_stats_picks_correct_range check (picks_correct between 0 and picks_made),
  updated_at timestamptz not null default now(),
  constraint player_stats_season_team_player_key unique nulls not distinct (season_id, team_id, player_id)
);
comment on table stats.player_stats is 'Pick''em player statistics per season, team and player, maintained by triggers (sql/040_stats.sql) whenever a first touchdown, an event''s status, a settlement or a pick changes; a corrected or withdrawn result decrements. Rows whose counts are all zero are removed.';
comment on column stats.player_stats.team_id is 'The player''s team in those games (the feed''s, else his roster team); null when unknown.';
comment on column stats.player_stats.position is 'From core.roster for the season (and team); UNK when the player has no roster row (counted by stats.dq_unknown_position_share()).';
comment on column stats.player_stats.first_td_count is 'Completed games in which the player scored the first touchdown, counted once per game however many picked him.';
comment on column stats.player_stats.picks_made is 'First-touchdown predictions (any forecaster) on this player.';
comment on column stats.player_stats.picks_correct is 'Those of picks_made whose selection settled won.';
create index player_stats_position_team_idx on stats.player_stats (position, team_id, season_id);
create index player_stats_player_idx on stats.player_stats (player_id, season_id);

-- The model statistics (seed 000). Created empty: the first refresh populates them
-- (not concurrently); later refreshes are CONCURRENTLY, which the unique indexes allow.

create materialized view stats.mv_model_stats_overall as
select ps.forecaster_id as model_id,
       count(distinct ps.event_id)::integer as total_matches,
       sum(ps.points) as total_points,
       sum(ps.points) / count(distinct ps.event_id) as avg_points,
       (count(*) filter (where ps.outcome = 'win'))::numeric
         / nullif(count(*) filter (where ps.outcome in ('win', 'loss')), 0) as win_rate,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as draw_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
       sum(ps.units) as total_units
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
  join core.event e on e.event_id = ps.event_id
  join core.season s on s.season_id = e.season_id and s.is_current
 group by ps.forecaster_id
with no data;
comment on materialized view stats.mv_model_stats_overall is 'Model performance over current seasons only: matches (events) predicted, points, average points per match, win rate = wins / (wins + losses), win/draw/loss counts (win = correct, loss = wrong, draw = void), units. Refresh policy: refreshed by the refresh orchestrator after scoring (stale once forecast.score_event changes a score), REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.mv_model_stats_overall.model_id is 'forecast.forecaster.forecaster_id of a model.';
comment on column stats.mv_model_stats_overall.total_matches is 'Distinct events with at least one scored prediction.';
comment on column stats.mv_model_stats_overall.avg_points is 'total_points / total_matches.';
comment on column stats.mv_model_stats_overall.draw_count is 'Void predictions (abandoned or cancelled events, non-runners).';
create unique index model_stats_overall_model_id_key on stats.mv_model_stats_overall (model_id);

create materialized view stats.mv_model_stats_competition as
select ps.forecaster_id as model_id,
       e.competition_id,
       e.season_id,
       s.label as season,
       count(distinct ps.event_id)::integer as total_matches,
       sum(ps.points) as total_points,
       sum(ps.points) / count(distinct ps.event_id) as avg_points,
       (count(*) filter (where ps.outcome = 'win'))::numeric
         / nullif(count(*) filter (where ps.outcome in ('win', 'loss')), 0) as win_rate,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as draw_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
       sum(ps.units) as total_units
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
  join core.event e on e.event_id = ps.event_id
  join core.season s on s.season_id = e.season_id
 group by ps.forecaster_id, e.competition_id, e.season_id, s.label
with no data;
comment on materialized view stats.mv_model_stats_competition is 'Model performance per competition and season (all seasons), same measures as stats.mv_model_stats_overall. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.mv_model_stats_competition.season is 'The season''s label (2024, 2019-20).';
create unique index model_stats_comp_model_comp_season_key on stats.mv_model_stats_competition (model_id, competition_id, season_id);

create materialized view stats.mv_model_stats_club as
select ps.forecaster_id as model_id,
       side.club_id,
       e.season_id,
       s.label as season,
       side.is_home,
       count(distinct ps.event_id)::integer as total_matches,
       sum(ps.points) as total_points,
       sum(ps.points) / count(distinct ps.event_id) as avg_points,
       (count(*) filter (where ps.outcome = 'win'))::numeric
         / nullif(count(*) filter (where ps.outcome in ('win', 'loss')), 0) as win_rate,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as draw_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
       sum(ps.units) as total_units
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
  join core.event e on e.event_id = ps.event_id
  join core.season s on s.season_id = e.season_id
 cross join lateral (values (e.home_team_id, true), (e.away_team_id, false)) as side (club_id, is_home)
 where side.club_id is not null
 group by ps.forecaster_id, side.club_id, e.season_id, s.label, side.is_home
with no data;
comment on materialized view stats.mv_model_stats_club is 'Model performance per club, season and home/away (all seasons): every prediction on a match counts for its home club (is_home) and its away club. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.mv_model_stats_club.club_id is 'core.team.team_id.';
comment on column stats.mv_model_stats_club.is_home is 'Whether the club played at home in those events.';
create unique index model_stats_club_model_club_season_home_key on stats.mv_model_stats_club (model_id, club_id, season_id, is_home);

create materialized view stats.user_leaderboard as
select e.season_id,
       ps.forecaster_id,
       f.handle,
       count(*)::integer as predictions,
       (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
       (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
       (count(*) filter (where ps.outcome = 'void'))::integer as void_count,
       sum(ps.points) as points,
       coalesce(sum(ps.units), 0) as units,
       sum(ps.staked) as staked,
       sum(ps.units) / nullif(sum(ps.staked) filter (where ps.units is not null), 0) as roi,
       rank() over (partition by e.season_id order by sum(ps.points) desc)::integer as rank
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'user'
  join core.event e on e.event_id = ps.event_id
 group by e.season_id, ps.forecaster_id, f.handle
with no data;
comment on materialized view stats.user_leaderboard is 'Users ranked by points per season, with units won or lost and ROI = units / units staked. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.user_leaderboard.rank is 'rank() by points within the season: ties share a rank.';
comment on column stats.user_leaderboard.roi is 'units / staked over predictions that won or lost at odds; null when nothing was staked.';
create unique index user_leaderboard_season_forecaster_key on stats.user_leaderboard (season_id, forecaster_id);
create index user_leaderboard_season_rank_idx on stats.user_leaderboard (season_id, rank);

create materialized view stats.model_calibration as
select ps.forecaster_id as model_id,
       b.bucket,
       (b.bucket - 1) / 10.0 as probability_low,
       b.bucket / 10.0 as probability_high,
       count(*)::integer as predictions,
       avg(ps.probability) as mean_probability,
       avg(case when ps.outcome = 'win' then 1.0 else 0.0 end) as observed_rate,
       avg(ps.brier) as brier,
       avg(ps.log_loss) as log_loss
  from forecast.prediction_score ps
  join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
 cross join lateral (select least(width_bucket(ps.probability, 0, 1, 10), 10) as bucket) b
 where ps.outcome <> 'void' and ps.probability is not null
 group by ps.forecaster_id, b.bucket
with no data;
comment on materialized view stats.model_calibration is 'Model calibration by probability bucket (tenths): predictions, mean stated probability, observed win rate, mean Brier score and log loss. Void predictions and those without probability are left out. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';
comment on column stats.model_calibration.bucket is '1..10: probability in [(bucket-1)/10, bucket/10); 1.0 falls in bucket 10.';
create unique index model_calibration_model_bucket_key on stats.model_calibration (model_id, bucket);

-- migrate:down
drop materialized view stats.model_calibration;
drop materialized view stats.user_leaderboard;
drop materialized view stats.mv_model_stats_club;
drop materialized view stats.mv_model_stats_competition;
drop materialized view stats.mv_model_stats_overall;
drop table stats.player_stats;
drop table forecast.first_touchdown;
drop table forecast.prediction_score;
drop table forecast.scoring_rule;
drop table forecast.prediction_market_price;
drop table forecast.prediction;
drop index market.selection_id_market_key;
