-- ingest: the merge of the nfl_players feed (src/ingest/nfl_players.ts): one batch of its staging
-- table into core and market, set-based. Re-applied by `scoreline migrate`; idempotent.
-- How a load works: sql/070_ingest_common.sql. SQLSTATEs: those of ingest.begin_merge (SL101-SL103).

create or replace function ingest.merge_nfl_players(p_batch_id bigint, p_final boolean default true) returns ingest.batch
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Teams: a player row names his team (recent_team, the abbreviation of that season: a
-- former code of a franchise is resolved by core.team_for_code); a team the schedule has not
-- established is rejected, not created, so that a typo cannot invent a 33rd team.
-- A player whose team changed in a later file gets a roster row for the new team too
-- (he was on both rosters that season); his position is updated on every roster row
-- of that season and team.
declare
  v_comp record;
  v_inserted integer;
  v_updated integer;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'nfl_players');
  v_comp := ingest.competition('nfl');

  with d as (
    select s.line_number, s.player_id, s.season,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id
    window w as (partition by s.player_id, s.season order by s.line_number)
  ), dup as (
    delete from ingest.stage_nfl_players s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.player_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('player %s already appears on line %s of this file', player_id, first_line)
    from dup;

  -- Each team code of each season resolved once (a franchise's code of that season), not
  -- once per player row: the batch's few dozen (team, season) pairs.
  drop table if exists pg_temp.ingest_np_team;
  create temporary table ingest_np_team on commit drop as
  select d.recent_team, d.season, core.team_for_code(v_comp.sport_id, d.recent_team, d.season::integer) as team_id
    from (select distinct s.recent_team, s.season from ingest.stage_nfl_players s where s.batch_id = p_batch_id) d;
  perform 'PRAGMA:TABLE: pg_temp.ingest_np_team (recent_team text, season text, team_id integer)'; -- its shape for plpgsql_check, which cannot see a table created at run time
  analyze pg_temp.ingest_np_team;

  with bad as (
    delete from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id
       and not exists (select from pg_temp.ingest_np_team t
                        where t.recent_team = s.recent_team and t.season = s.season and t.team_id is not null)
    returning s.line_number, s.raw, s.recent_team
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('team %s is not known: NFL teams come from the schedule (feed nfl_games); load it first', recent_team)
    from bad;

  insert into core.season (competition_id, label)
  select distinct v_comp.competition_id, s.season
    from ingest.stage_nfl_players s
   where s.batch_id = p_batch_id
  on conflict (competition_id, label) do nothing;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with renamed as (
    update core.player p set full_name = s.display_name
      from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id and p.sport_id = v_comp.sport_id and p.external_id = s.player_id
       and p.full_name <> s.display_name
    returning s.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from renamed;

  insert into core.player (sport_id, external_id, full_name)
  select v_comp.sport_id, s.player_id, s.display_name
    from ingest.stage_nfl_players s
   where s.batch_id = p_batch_id
  on conflict (sport_id, external_id) do nothing;

  drop table if exists pg_temp.ingest_roster;
  create temporary table ingest_roster on commit drop as
  select s.line_number, se.season_id, t.team_id, p.player_id, s.position, s.player_id as external_id
    from ingest.stage_nfl_players s
    join core.season se on se.competition_id = v_comp.competition_id and se.label = s.season
    join pg_temp.ingest_np_team t on t.recent_team = s.recent_team and t.season = s.season
    join core.player p on p.sport_id = v_comp.sport_id and p.external_id = s.player_id
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_roster (line_number integer, season_id integer, team_id integer, player_id bigint, position text, external_id text)'; -- its shape for plpgsql_check, which cannot see a table created at run time
  analyze pg_temp.ingest_roster;

  with ins as (
    insert into core.roster (season_id, team_id, player_id, position, external_id)
    select w.season_id, w.team_id, w.player_id, w.position, w.external_id
      from pg_temp.ingest_roster w
    on conflict (season_id, team_id, player_id) do nothing
    returning season_id, team_id, player_id
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select w.line_number, true
    from ins join pg_temp.ingest_roster w using (season_id, team_id, player_id)
  on conflict (line_number) do update set is_new = true;

  with moved as (
    update core.roster r set position = w.position
      from pg_temp.ingest_roster w
     where r.season_id = w.season_id and r.team_id = w.team_id and r.player_id = w.player_id
       and r.position <> w.position
    returning w.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from moved
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into v_inserted, v_updated
    from pg_temp.ingest_touched_line t;
  select count(*) into v_total from pg_temp.ingest_roster;
  delete from ingest.stage_nfl_players s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_inserted, v_updated, v_total - v_inserted - v_updated, p_final);
end;
$$;
comment on function ingest.merge_nfl_players(bigint, boolean) is
  'Merges one nfl_players batch: players by GSIS id (core.player, name updated when it changes) and their roster row for the season with position and recent_team (core.roster, position updated when it changes). Rows naming a team the schedule has not created are rejected. Returns the finished batch.';
