-- migrate:up
-- Markets: every sport as event -> market -> selection, as betting exchanges model it.

create schema market;
comment on schema market is 'Markets on events, their selections and results, and the sources of prices (exchanges, bookmakers, prediction markets).';

create table market.market_type (
  code text primary key constraint market_type_code_format check (code ~ '^[a-z][a-z0-9_]*$'),
  description text not null,
  allows_multiple_picks boolean not null default false,
  event_kinds text[] not null constraint market_type_event_kinds_known
    check (event_kinds <@ array['match', 'game', 'race']::text[] and cardinality(event_kinds) > 0)
);
comment on table market.market_type is 'The kinds of market scoreline settles, as data: match_result, correct_score, first_td_scorer, race_win, race_place, binary.';
comment on column market.market_type.allows_multiple_picks is 'Default for market.market.allows_multiple_picks: whether one forecaster may pick several selections of one market.';
comment on column market.market_type.event_kinds is 'The event kinds this market type can be opened on.';

insert into market.market_type (code, description, allows_multiple_picks, event_kinds) values
  ('match_result', 'Home win, draw or away win, from the final score.', false, array['match', 'game']),
  ('correct_score', 'The exact final score (home-away), from the final score.', false, array['match', 'game']),
  ('first_td_scorer', 'The player who scores the first touchdown of the game, or no touchdown.', false, array['game']),
  ('race_win', 'The runner that finishes first.', false, array['race']),
  ('race_place', 'Runners finishing within the paid places (market.market.places).', true, array['race']),
  ('binary', 'A yes/no question resolved by its source (prediction markets).', false, array['match', 'game', 'race']);

create table market.source (
  source_id smallint generated always as identity primary key,
  code text not null constraint source_code_key unique
    constraint source_code_format check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  kind text not null constraint source_kind_known check (kind in ('exchange', 'bookmaker', 'prediction_market', 'aggregate')),
  commission_rate numeric(5, 4) not null default 0
    constraint source_commission_rate_range check (commission_rate >= 0 and commission_rate < 1)
);
comment on table market.source is 'Where prices come from: an exchange (Betfair), a bookmaker (Bet365, Pinnacle), a prediction market (Polymarket, Kalshi) or an aggregate (market average).';
comment on column market.source.commission_rate is 'Commission charged on net winnings (exchanges), as a fraction: 0.05 is 5%.';

insert into market.source (code, name, kind, commission_rate) values
  ('betfair', 'Betfair Exchange', 'exchange', 0.05),
  ('bet365', 'Bet365', 'bookmaker', 0),
  ('pinnacle', 'Pinnacle', 'bookmaker', 0),
  ('market_average', 'Average of bookmakers', 'aggregate', 0),
  ('market_max', 'Best price among bookmakers', 'aggregate', 0),
  ('consensus', 'Consensus moneyline (nflverse)', 'aggregate', 0),
  ('hkjc', 'Hong Kong Jockey Club pari-mutuel', 'bookmaker', 0),
  ('polymarket', 'Polymarket', 'prediction_market', 0),
  ('kalshi', 'Kalshi', 'prediction_market', 0);

create table market.market (
  market_id bigint generated always as identity primary key,
  event_id bigint not null constraint market_event_fk references core.event on delete cascade,
  market_type text not null constraint market_market_type_fk references market.market_type on delete restrict,
  status text not null default 'open' constraint market_status_known check (status in ('open', 'suspended', 'settled', 'void')),
  allows_multiple_picks boolean not null,
  places smallint constraint market_places_positive check (places > 0),
  settled_at timestamptz,
  settled_result_version integer,
  created_at timestamptz not null default now(),
  constraint market_event_type_key unique (event_id, market_type),
  constraint market_place_has_places check (market_type <> 'race_place' or places is not null),
  constraint market_settled_has_time check (status not in ('settled', 'void') or settled_at is not null)
);
comment on table market.market is 'A market on an event: status open -> settled or void (settlement sets it; a re-settlement after a correction may settle again).';
comment on column market.market.allows_multiple_picks is 'Whether one forecaster may pick several of its selections (race_place); set from market_type on insert when not given.';
comment on column market.market.places is 'For race_place: how many places are paid.';
comment on column market.market.settled_result_version is 'The core.event.result_version this settlement was computed from.';
create index market_status_idx on market.market (status) where status = 'open';

create table market.selection (
  selection_id bigint generated always as identity primary key,
  market_id bigint not null constraint selection_market_fk references market.market on delete cascade,
  code text not null,
  label text not null,
  team_id integer constraint selection_team_fk references core.team on delete restrict,
  player_id bigint constraint selection_player_fk references core.player on delete restrict,
  runner_id bigint constraint selection_runner_fk references core.runner on delete cascade,
  result text constraint selection_result_known check (result in ('won', 'lost', 'void')),
  constraint selection_market_code_key unique (market_id, code),
  constraint selection_one_subject check (num_nonnulls(team_id, player_id, runner_id) <= 1)
);
comment on table market.selection is 'One outcome of a market: home/draw/away, a score, a player, a runner, yes/no. result is set by settlement.';
comment on column market.selection.code is 'Stable key within the market: home, draw, away; 2-1; a player''s external id or none; a runner number; yes, no.';
comment on column market.selection.result is 'won, lost or void once the market is settled; null while open.';
create index selection_player_idx on market.selection (player_id) where player_id is not null;
create index selection_runner_idx on market.selection (runner_id) where runner_id is not null;
create index selection_team_idx on market.selection (team_id) where team_id is not null;

create table market.external_market (
  external_market_id bigint generated always as identity primary key,
  source_id smallint not null constraint external_market_source_fk references market.source on delete restrict,
  external_id text not null,
  outcome text not null,
  selection_id bigint constraint external_market_selection_fk references market.selection on delete set null,
  question text,
  status text,
  resolution text,
  resolved_at timestamptz,
  metadata jsonb not null default '{}',
  constraint external_market_source_id_outcome_key unique (source_id, external_id, outcome)
);
comment on table market.external_market is 'A prediction-market contract (Polymarket condition, Kalshi ticker) and outcome, linked to one of our selections, with its resolution.';
comment on column market.external_market.outcome is 'The outcome within the external market: Yes or No, or a named outcome.';
create index external_market_selection_idx on market.external_market (selection_id) where selection_id is not null;

-- migrate:down
drop schema market cascade;
