-- migrate:up
-- The trace a correction of a market's settlement leaves (market.correct_market,
-- sql/025_settlement.sql): who, when, why, and the market's status and its selections'
-- results before and after. A market whose result follows its event (match_result,
-- correct_score, first_td_scorer, race_win, race_place) is corrected through its event
-- (core.correct_event_result, traced in core.event_correction); this table holds the
-- corrections of the markets resolved by their source (binary).
create table market.market_correction (
  correction_id bigint generated always as identity primary key,
  market_id bigint not null constraint market_correction_market_fk references market.market on delete cascade,
  corrected_at timestamptz not null default now(),
  corrected_by text not null default session_user,
  reason text not null constraint market_correction_reason_given check (length(btrim(reason)) > 0),
  old_status text not null,
  new_status text not null,
  old_results jsonb not null constraint market_correction_old_results_is_object check (jsonb_typeof(old_results) = 'object'),
  new_results jsonb not null constraint market_correction_new_results_is_object check (jsonb_typeof(new_results) = 'object')
);
comment on table market.market_correction is
  'The trace every market.correct_market leaves: who, when, why, and the market''s status and selection results before and after. Corrections of markets that follow their event''s result are in core.event_correction.';
comment on column market.market_correction.corrected_by is 'The login that made the correction (session_user: inside the security definer path current_user is the function''s owner).';
comment on column market.market_correction.old_results is 'The selections'' results before: {"selection code": "won" | "lost" | "void" | null}.';
comment on column market.market_correction.new_results is 'The selections'' results after: {"selection code": "won" | "lost" | "void" | null}.';
create index market_correction_market_idx on market.market_correction (market_id, corrected_at);

-- migrate:down
drop table market.market_correction;
