-- migrate:up
-- Ingestion: feeds, batches, rejected rows and one staging table per feed. The merge
-- functions that move staged rows into core and market live in sql/070_ingest.sql.

create schema ingest;
comment on schema ingest is 'Feed loading: the feeds scoreline reads, every batch loaded and its counts, the rows it rejected and why, and the staging tables rows are COPY''d into before a merge function moves them into core and market.';

create table ingest.feed (
  code text primary key constraint feed_code_format check (code ~ '^[a-z][a-z0-9_]*$'),
  description text not null,
  staging_table regclass not null,
  merge_function text not null
);
comment on table ingest.feed is 'The feeds `scoreline ingest <feed> <file>` understands: the format, its staging table and its merge function.';
comment on column ingest.feed.staging_table is 'The UNLOGGED table the feed''s valid rows are COPY''d into, keyed by batch_id; emptied by the merge.';
comment on column ingest.feed.merge_function is 'The function (in sql/070_ingest.sql) that merges one batch of the staging table into the domain tables: ingest.merge_<feed>(batch_id).';

create table ingest.batch (
  batch_id bigint generated always as identity primary key,
  feed text not null constraint batch_feed_fk references ingest.feed on delete restrict,
  location text not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text not null default 'running' constraint batch_status_known check (status in ('running', 'completed', 'failed')),
  inserted integer not null default 0,
  updated integer not null default 0,
  unchanged integer not null default 0,
  rejected integer not null default 0,
  error text,
  constraint batch_counts_non_negative check (inserted >= 0 and updated >= 0 and unchanged >= 0 and rejected >= 0),
  constraint batch_finished_has_time check (status = 'running' or finished_at is not null),
  constraint batch_failed_has_error check (status <> 'failed' or error is not null)
);
comment on table ingest.batch is 'One load of one file or URL by one feed: when, how it ended, and how many rows it inserted, updated, left unchanged and rejected.';
comment on column ingest.batch.location is 'The file path or URL the batch was read from.';
comment on column ingest.batch.inserted is 'Rows whose domain entity (event, player) did not exist before this batch.';
comment on column ingest.batch.updated is 'Rows that changed an existing entity (its result, schedule, odds, week, roster, ...).';
comment on column ingest.batch.unchanged is 'Rows that matched what the database already had: a re-run of the same file reports only these and the rejected ones.';
comment on column ingest.batch.rejected is 'Rows kept in ingest.rejected_row instead of being loaded.';
comment on column ingest.batch.error is 'Why a failed batch failed (a missing column, an unreadable file, an SQL error); nothing of it was merged.';
create index batch_feed_started_idx on ingest.batch (feed, started_at desc);

create table ingest.rejected_row (
  rejected_row_id bigint generated always as identity primary key,
  batch_id bigint not null constraint rejected_row_batch_fk references ingest.batch on delete cascade,
  line_number integer not null constraint rejected_row_line_number_positive check (line_number > 0),
  stage text not null constraint rejected_row_stage_known check (stage in ('parse', 'validate', 'merge')),
  raw text not null,
  reason text not null constraint rejected_row_reason_given check (length(btrim(reason)) > 0),
  constraint rejected_row_one_per_line unique (batch_id, line_number)
);
comment on table ingest.rejected_row is 'A row a batch did not load, kept with its line number, its raw text and the reason, so nothing is silently dropped.';
comment on column ingest.rejected_row.line_number is 'The physical line of the file the record starts on (the header is line 1).';
comment on column ingest.rejected_row.stage is 'parse: not a well-formed CSV record; validate: the zod schema refused it (the reason is the zod issue); merge: the merge function refused it (unknown team, duplicate id, impossible status change).';
comment on column ingest.rejected_row.raw is 'The record exactly as read (lines of a multi-line record joined by a newline).';

create table ingest.competition_code (
  feed text not null constraint competition_code_feed_fk references ingest.feed on delete cascade,
  code text not null,
  competition_id integer not null constraint competition_code_competition_fk references core.competition on delete cascade,
  constraint competition_code_pkey primary key (feed, code)
);
comment on table ingest.competition_code is 'Which competition a feed''s own league code means (football-data Div E0 is the Premier League). Rows with a code not listed here are rejected.';

-- Staging tables: UNLOGGED (a crash loses only batches that had not been merged,
-- and those are marked failed), no indexes but batch_id, typed columns so that the
-- merge casts nothing; every valid row keeps its line number and raw text so that
-- the merge can reject it with both.

create unlogged table ingest.stage_nfl_games (
  batch_id bigint not null,
  line_number integer not null,
  raw text not null,
  game_id text not null,
  season text not null,
  game_type text not null,
  week smallint not null,
  gameday date not null,
  gametime time,
  away_team text not null,
  away_score smallint,
  home_team text not null,
  home_score smallint,
  away_moneyline integer,
  home_moneyline integer,
  spread_line numeric,
  total_line numeric,
  overtime boolean,
  location text,
  stadium text,
  roof text,
  surface text
);
comment on table ingest.stage_nfl_games is 'Staging for the nfl_games feed (nflverse games.csv): valid rows of running batches.';
create index stage_nfl_games_batch_idx on ingest.stage_nfl_games (batch_id);

create unlogged table ingest.stage_football_data (
  batch_id bigint not null,
  line_number integer not null,
  raw text not null,
  division text not null,
  match_date date not null,
  kickoff time,
  home_team text not null,
  away_team text not null,
  home_goals smallint,
  away_goals smallint,
  half_time_home_goals smallint,
  half_time_away_goals smallint,
  referee text,
  odds jsonb not null
);
comment on table ingest.stage_football_data is 'Staging for the football_data feed (football-data.co.uk results with odds): valid rows of running batches.';
comment on column ingest.stage_football_data.odds is 'Decimal prices by source: {"bet365": {"home": 2.1, "draw": 3.4, "away": 3.5}, "pinnacle_closing": {...}}.';
create index stage_football_data_batch_idx on ingest.stage_football_data (batch_id);

create unlogged table ingest.stage_nfl_players (
  batch_id bigint not null,
  line_number integer not null,
  raw text not null,
  player_id text not null,
  display_name text not null,
  position text not null,
  position_group text,
  season text not null,
  season_type text not null,
  recent_team text not null,
  games smallint
);
comment on table ingest.stage_nfl_players is 'Staging for the nfl_players feed (nflverse player stats): valid rows of running batches.';
create index stage_nfl_players_batch_idx on ingest.stage_nfl_players (batch_id);

insert into ingest.feed (code, description, staging_table, merge_function) values
  ('nfl_games', 'NFL schedules and results, nflverse games.csv format', 'ingest.stage_nfl_games', 'ingest.merge_nfl_games'),
  ('football_data', 'Football results with bookmaker odds, football-data.co.uk format', 'ingest.stage_football_data', 'ingest.merge_football_data'),
  ('nfl_players', 'NFL players and their season roster (team, position), nflverse player stats format', 'ingest.stage_nfl_players', 'ingest.merge_nfl_players');

-- Reference rows the feeds need: the sports and competitions they load into.
insert into core.sport (code, name) values
  ('american_football', 'American football'),
  ('football', 'Football (soccer)'),
  ('horse_racing', 'Horse racing')
on conflict (code) do nothing;

insert into core.competition (sport_id, code, name, country)
select s.sport_id, c.code, c.name, c.country
from (values
  ('american_football', 'nfl', 'NFL', 'US'),
  ('football', 'epl', 'Premier League', 'GB'),
  ('horse_racing', 'hkjc', 'Hong Kong Jockey Club racing (Sha Tin, Happy Valley)', 'HK')
) as c (sport, code, name, country)
join core.sport s on s.code = c.sport
on conflict (code) do nothing;

insert into ingest.competition_code (feed, code, competition_id)
select 'football_data', 'E0', competition_id from core.competition where code = 'epl';

-- migrate:down
delete from core.competition where code in ('nfl', 'epl', 'hkjc')
  and not exists (select from core.season s where s.competition_id = core.competition.competition_id);
delete from core.sport where code in ('american_football', 'football', 'horse_racing')
  and not exists (select from core.competition c where c.sport_id = core.sport.sport_id)
  and not exists (select from core.team t where t.sport_id = core.sport.sport_id)
  and not exists (select from core.player p where p.sport_id = core.sport.sport_id);
drop schema ingest cascade;
