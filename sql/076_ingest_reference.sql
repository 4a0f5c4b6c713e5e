-- ingest: the reference data feeds resolve their codes with: a feed's league code to a
-- competition (ingest.competition_code, mapped by a DBA with ingest.map_competition_code,
-- `scoreline ingest-map-code`), and a team's former codes by season (core.team_alias:
-- franchises that moved, NFL OAK -> LV). Re-applied by `scoreline migrate`; idempotent.
--
-- SQLSTATEs raised here:
--   SL107  ingest.map_competition_code: no such feed
--   SL108  ingest.map_competition_code: no such competition, and no name and sport to create it
--   SL109  ingest.map_competition_code: the code already maps to another competition
--   SL110  ingest.map_competition_code: no such sport
--   SL111  core.team_alias: a code that would mean two teams of a sport in one season

create or replace function ingest.map_competition_code(
  p_feed text, p_code text, p_competition text,
  p_name text default null, p_country text default null, p_sport text default null
) returns ingest.competition_code
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_competition_id integer;
  v_sport_id smallint;
  v_row ingest.competition_code;
begin
  if p_feed is null or not exists (select from ingest.feed f where f.code = p_feed) then
    raise exception 'no feed %', coalesce(p_feed, 'null')
      using errcode = 'SL107',
            hint = format('feeds: %s', (select string_agg(f.code, ', ' order by f.code) from ingest.feed f));
  end if;
  if p_code is null or btrim(p_code) = '' then
    raise exception 'a % code to map is required', p_feed using errcode = '22023';
  end if;

  select c.competition_id into v_competition_id from core.competition c where c.code = p_competition;
  if not found then
    if p_name is null or p_sport is null then
      raise exception 'no competition %: give its name and sport (and country) to create it', coalesce(p_competition, 'null')
        using errcode = 'SL108',
              hint = format('scoreline ingest-map-code %s %s %s --name ''...'' --sport football --country DE; existing competitions: select code, name from core.competition',
                            p_feed, p_code, coalesce(p_competition, '<competition>'));
    end if;
    select s.sport_id into v_sport_id from core.sport s where s.code = p_sport;
    if not found then
      raise exception 'no sport %', p_sport
        using errcode = 'SL110',
              hint = format('sports: %s', (select string_agg(s.code, ', ' order by s.code) from core.sport s));
    end if;
    insert into core.competition (sport_id, code, name, country)
    values (v_sport_id, p_competition, p_name, p_country)
    returning competition_id into v_competition_id;
  end if;

  select * into v_row from ingest.competition_code cc where cc.feed = p_feed and cc.code = p_code;
  if found then
    if v_row.competition_id <> v_competition_id then
      raise exception '% code % already maps to competition %', p_feed, p_code,
                      (select c.code from core.competition c where c.competition_id = v_row.competition_id)
        using errcode = 'SL109',
              hint = format('to remap it (events already loaded stay in their competition): delete from ingest.competition_code where feed = %L and code = %L', p_feed, p_code);
    end if;
    return v_row;
  end if;

  insert into ingest.competition_code (feed, code, competition_id)
  values (p_feed, p_code, v_competition_id)
  returning * into v_row;
  return v_row;
end;
$$;
comment on function ingest.map_competition_code(text, text, text, text, text, text) is
  'A DBA''s mapping of a feed''s league code to a competition (`scoreline ingest-map-code football_data D1 bundesliga`): maps the code to the competition, creating the competition first when name and sport are given. Idempotent for the same mapping. SL107 no such feed, SL108 no such competition and no name and sport, SL109 the code maps to another competition, SL110 no such sport.';

-- ---------------------------------------------------------------------------
-- Franchises: a team's former codes by season
-- ---------------------------------------------------------------------------

create or replace function core.team_for_code(p_sport_id smallint, p_code text, p_season integer) returns integer
language sql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    (select a.team_id
       from core.team_alias a
       join core.team t on t.team_id = a.team_id
      where a.code = p_code and t.sport_id = p_sport_id
        and p_season <= a.valid_to_season and (a.valid_from_season is null or p_season >= a.valid_from_season)
      order by a.valid_to_season
      limit 1),
    (select t.team_id from core.team t where t.sport_id = p_sport_id and t.code = p_code));
$$;
comment on function core.team_for_code(smallint, text, integer) is
  'The team a feed''s code means in a season (its starting year): the team whose former code it was then (core.team_alias: OAK in 2015 is the team LV), else the team with that code; null when neither exists.';

create or replace function core.tg_team_alias__check() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_other record;
begin
  select a.team_id, t.code as team_code, a.valid_from_season, a.valid_to_season into v_other
    from core.team_alias a
    join core.team t on t.team_id = a.team_id
   where a.code = new.code
     and t.sport_id = (select t2.sport_id from core.team t2 where t2.team_id = new.team_id)
     and (a.team_id, a.code, a.valid_to_season) is distinct from (new.team_id, new.code, new.valid_to_season)
     and (tg_op = 'INSERT' or (a.team_id, a.code, a.valid_to_season) is distinct from (old.team_id, old.code, old.valid_to_season))
     and coalesce(a.valid_from_season, -32768) <= new.valid_to_season
     and coalesce(new.valid_from_season, -32768) <= a.valid_to_season
   limit 1;
  if found then
    raise exception 'code % already means team % in seasons %-%', new.code, v_other.team_code,
                    coalesce(v_other.valid_from_season::text, ''), v_other.valid_to_season
      using errcode = 'SL111',
            hint = 'a code means one team of a sport in a season: make the seasons of the two aliases not overlap';
  end if;
  return new;
end;
$$;
comment on function core.tg_team_alias__check() is
  'Before insert or update of core.team_alias: a code means at most one team of a sport in any season (SL111 when two aliases'' seasons overlap).';

drop trigger if exists _100_check on core.team_alias;
create trigger _100_check
  before insert or update on core.team_alias
  for each row execute function core.tg_team_alias__check();
