-- migrate:up
-- Comments on the constraints of the December migrations that had none: a violated
-- constraint's name is the error a caller sees, and its comment says what it protects
-- (docs/schema.md is generated from these).

comment on constraint odds_history_price_above_one on market.odds_history is
  'A historical price is decimal odds, above 1: a 1 (or 0) in a file is no price and is skipped by market.write_odds_history before it gets here.';
comment on constraint batch_odds_kept_non_negative on ingest.batch is
  'The prices a load kept in market.odds_history are a count: never below 0.';
comment on constraint batch_corrections_non_negative on ingest.batch is
  'The settled results a load corrected are a count: never below 0.';
comment on constraint db_role_kind_known on core.db_role is
  'The kinds of role scoreline knows: owner, worker, app, reader, checker (docs/security.md).';
comment on constraint event_status_transition_status_known on core.event_status_transition is
  'Both ends of a transition are event statuses (those of core.event.status).';
comment on constraint team_alias_pkey on core.team_alias is
  'One alias of a code per team and last season: the same code may name a team again in other seasons.';
comment on constraint team_alias_code_given on core.team_alias is
  'An alias is a code, never blank.';
comment on constraint team_alias_seasons_ordered on core.team_alias is
  'An alias''s first season is not after its last (an open start, null, is allowed).';
comment on constraint team_alias_team_fk on core.team_alias is
  'The team the code names; a deleted team takes its aliases with it.';
comment on constraint event_scoring_event_fk on forecast.event_scoring is
  'The event whose scoring is owed; a deleted event leaves no record behind.';
comment on constraint event_scoring_owed_since_when_behind on forecast.event_scoring is
  'owed_since is set exactly while the scores or the settlement are behind the owed version, so the owed events are the rows with owed_since.';
comment on constraint event_scoring_owed_version_positive on forecast.event_scoring is
  'The owed version counts the changes that need the event re-scored and its bets re-settled: never below 0.';
comment on constraint event_scoring_versions_not_ahead on forecast.event_scoring is
  'Scoring and settlement never record a version the event has not reached.';
comment on constraint market_correction_market_fk on market.market_correction is
  'The market corrected; its trace goes with a deleted market.';
comment on constraint market_correction_old_results_is_object on market.market_correction is
  'The results before the correction: a JSON object of selection code to result.';
comment on constraint market_correction_new_results_is_object on market.market_correction is
  'The results after the correction: a JSON object of selection code to result.';
comment on constraint market_correction_reason_given on market.market_correction is
  'A correction says why: the reason is never blank.';
comment on constraint check_timeout_range on refresh."check" is
  'A data-quality check runs for more than 0 and at most an hour before it is cancelled.';

-- migrate:down
comment on constraint odds_history_price_above_one on market.odds_history is null;
comment on constraint batch_odds_kept_non_negative on ingest.batch is null;
comment on constraint batch_corrections_non_negative on ingest.batch is null;
comment on constraint db_role_kind_known on core.db_role is null;
comment on constraint event_status_transition_status_known on core.event_status_transition is null;
comment on constraint team_alias_pkey on core.team_alias is null;
comment on constraint team_alias_code_given on core.team_alias is null;
comment on constraint team_alias_seasons_ordered on core.team_alias is null;
comment on constraint team_alias_team_fk on core.team_alias is null;
comment on constraint event_scoring_event_fk on forecast.event_scoring is null;
comment on constraint event_scoring_owed_since_when_behind on forecast.event_scoring is null;
comment on constraint event_scoring_owed_version_positive on forecast.event_scoring is null;
comment on constraint event_scoring_versions_not_ahead on forecast.event_scoring is null;
comment on constraint market_correction_market_fk on market.market_correction is null;
comment on constraint market_correction_old_results_is_object on market.market_correction is null;
comment on constraint market_correction_new_results_is_object on market.market_correction is null;
comment on constraint market_correction_reason_given on market.market_correction is null;
comment on constraint check_timeout_range on refresh."check" is null;
