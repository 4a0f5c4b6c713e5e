-- migrate:up
-- Real feed files of every era: the football-data.co.uk divisions and bookmakers, match
-- statistics, Hong Kong runners withdrawn before they had a number, and NFL franchises
-- whose abbreviation changed (a team with a history of codes).

-- football-data.co.uk's 22 standard divisions (E0, the Premier League, came with the ingest
-- migration). Codes are the competitions' stable keys; the country is ISO 3166 (GB-ENG and
-- GB-SCT for the two football associations of Great Britain).
insert into core.competition (sport_id, code, name, country)
select s.sport_id, c.code, c.name, c.country
  from (values
    ('efl_championship', 'EFL Championship', 'GB-ENG'),
    ('efl_league_one', 'EFL League One', 'GB-ENG'),
    ('efl_league_two', 'EFL League Two', 'GB-ENG'),
    ('national_league', 'National League (Conference)', 'GB-ENG'),
    ('scottish_premiership', 'Scottish Premiership', 'GB-SCT'),
    ('scottish_championship', 'Scottish Championship', 'GB-SCT'),
    ('scottish_league_one', 'Scottish League One', 'GB-SCT'),
    ('scottish_league_two', 'Scottish League Two', 'GB-SCT'),
    ('bundesliga', 'Bundesliga', 'DE'),
    ('bundesliga_2', '2. Bundesliga', 'DE'),
    ('serie_a', 'Serie A', 'IT'),
    ('serie_b', 'Serie B', 'IT'),
    ('la_liga', 'La Liga', 'ES'),
    ('segunda_division', 'Segunda División', 'ES'),
    ('ligue_1', 'Ligue 1', 'FR'),
    ('ligue_2', 'Ligue 2', 'FR'),
    ('eredivisie', 'Eredivisie', 'NL'),
    ('belgian_pro_league', 'Belgian Pro League (Jupiler League)', 'BE'),
    ('primeira_liga', 'Primeira Liga', 'PT'),
    ('super_lig', 'Süper Lig', 'TR'),
    ('greek_super_league', 'Super League Greece', 'GR')
  ) as c (code, name, country)
  join core.sport s on s.code = 'football'
on conflict (code) do nothing;

insert into ingest.competition_code (feed, code, competition_id)
select 'football_data', m.division, c.competition_id
  from (values
    ('E1', 'efl_championship'), ('E2', 'efl_league_one'), ('E3', 'efl_league_two'), ('EC', 'national_league'),
    ('SC0', 'scottish_premiership'), ('SC1', 'scottish_championship'), ('SC2', 'scottish_league_one'),
    ('SC3', 'scottish_league_two'), ('D1', 'bundesliga'), ('D2', 'bundesliga_2'), ('I1', 'serie_a'),
    ('I2', 'serie_b'), ('SP1', 'la_liga'), ('SP2', 'segunda_division'), ('F1', 'ligue_1'), ('F2', 'ligue_2'),
    ('N1', 'eredivisie'), ('B1', 'belgian_pro_league'), ('P1', 'primeira_liga'), ('T1', 'super_lig'),
    ('G1', 'greek_super_league')
  ) as m (division, competition)
  join core.competition c on c.code = m.competition
on conflict (feed, code) do nothing;

-- The bookmakers football-data.co.uk has quoted 1X2 prices of (its key to the columns).
insert into market.source (code, name, kind, commission_rate) values
  ('bet_and_win', 'Bet&Win (bwin)', 'bookmaker', 0),
  ('blue_square', 'Blue Square', 'bookmaker', 0),
  ('gamebookers', 'Gamebookers', 'bookmaker', 0),
  ('interwetten', 'Interwetten', 'bookmaker', 0),
  ('ladbrokes', 'Ladbrokes', 'bookmaker', 0),
  ('sporting_odds', 'Sporting Odds', 'bookmaker', 0),
  ('sportingbet', 'Sportingbet', 'bookmaker', 0),
  ('stan_james', 'Stan James', 'bookmaker', 0),
  ('stanleybet', 'Stanleybet', 'bookmaker', 0),
  ('vc_bet', 'VC Bet', 'bookmaker', 0),
  ('william_hill', 'William Hill', 'bookmaker', 0)
on conflict (code) do nothing;

-- Match statistics (shots, corners, fouls, cards, attendance), where the file has them.
alter table ingest.stage_football_data add column statistics jsonb not null default '{}';
comment on column ingest.stage_football_data.statistics is
  'Match statistics of the row, where the file has them: {"attendance": 20329, "home": {"shots": 11, "shots_on_target": 5, ...}, "away": {...}}.';

-- A Hong Kong runner withdrawn before the race (WV, WX) has no horse number: the row is
-- kept, the runner is a non-runner keyed by its brand code.
alter table ingest.stage_hkjc_results alter column horse_no drop not null;
comment on column ingest.stage_hkjc_results.horse_no is 'The saddle-cloth number; empty for a horse withdrawn before numbers were given (a non_runner, keyed by its brand code).';

alter table core.runner alter column number drop not null;
alter table core.runner
  add constraint runner_numberless_is_non_runner check (number is not null or status = 'non_runner'),
  add constraint runner_numberless_has_external_id check (number is not null or external_id is not null);
comment on constraint runner_numberless_is_non_runner on core.runner is 'Only a runner withdrawn before the race may lack a number.';
comment on constraint runner_numberless_has_external_id on core.runner is 'A runner without a number is known by its external id (a horse''s brand code).';
comment on column core.runner.number is 'Saddle cloth or trap number, unique within the race; null only for a non-runner withdrawn before numbers were given.';
create unique index runner_event_numberless_external_id_key on core.runner (event_id, external_id) where number is null;
comment on index core.runner_event_numberless_external_id_key is 'A runner without a number is unique within its race by its external id.';

-- Franchises: one team whose code changed over the seasons (NFL OAK -> LV in 2020).
create table core.team_alias (
  team_id integer not null constraint team_alias_team_fk references core.team on delete cascade,
  code text not null constraint team_alias_code_given check (length(btrim(code)) > 0),
  valid_from_season smallint,
  valid_to_season smallint not null,
  constraint team_alias_pkey primary key (team_id, code, valid_to_season),
  constraint team_alias_seasons_ordered check (valid_from_season is null or valid_from_season <= valid_to_season)
);
comment on table core.team_alias is
  'A former code of a team (a franchise that moved or was renamed: the Raiders were OAK until 2019, then LV): a feed row naming the code in a season the alias covers means this team, so its statistics follow the franchise. The team''s own code (core.team.code) is its code in every other season.';
comment on column core.team_alias.valid_from_season is 'First season (its starting year) the code meant this team; null: since the beginning.';
comment on column core.team_alias.valid_to_season is 'Last season (its starting year) the code meant this team.';
create index team_alias_code_idx on core.team_alias (code);

-- The NFL relocations nflverse files show by season.
insert into core.team (sport_id, code, name)
select s.sport_id, t.code, t.code
  from (values ('LV'), ('LAC'), ('LA')) as t (code)
  join core.sport s on s.code = 'american_football'
on conflict (sport_id, code) do nothing;

insert into core.team_alias (team_id, code, valid_from_season, valid_to_season)
select t.team_id, a.code, null, a.valid_to
  from (values ('LV', 'OAK', 2019), ('LAC', 'SD', 2016), ('LA', 'STL', 2015)) as a (team, code, valid_to)
  join core.sport s on s.code = 'american_football'
  join core.team t on t.sport_id = s.sport_id and t.code = a.team;

-- migrate:down
drop table core.team_alias;
drop index core.runner_event_numberless_external_id_key;
alter table core.runner drop constraint runner_numberless_is_non_runner, drop constraint runner_numberless_has_external_id;
delete from core.runner where number is null;
alter table core.runner alter column number set not null;
delete from ingest.stage_hkjc_results where horse_no is null;
alter table ingest.stage_hkjc_results alter column horse_no set not null;
alter table ingest.stage_football_data drop column statistics;
delete from market.source s
 where s.code in ('bet_and_win', 'blue_square', 'gamebookers', 'interwetten', 'ladbrokes', 'sporting_odds',
                  'sportingbet', 'stan_james', 'stanleybet', 'vc_bet', 'william_hill')
   and not exists (select from market.odds_snapshot o where o.source_id = s.source_id);
delete from ingest.competition_code where feed = 'football_data' and code <> 'E0';
delete from core.competition c
 where c.code in ('efl_championship', 'efl_league_one', 'efl_league_two', 'national_league', 'scottish_premiership',
                  'scottish_championship', 'scottish_league_one', 'scottish_league_two', 'bundesliga', 'bundesliga_2',
                  'serie_a', 'serie_b', 'la_liga', 'segunda_division', 'ligue_1', 'ligue_2', 'eredivisie',
                  'belgian_pro_league', 'primeira_liga', 'super_lig', 'greek_super_league')
   and not exists (select from core.season s where s.competition_id = c.competition_id);
