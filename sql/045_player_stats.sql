-- stats: pick'em player statistics kept current by triggers, and their data-quality
-- check. Re-applied by `scoreline migrate`; idempotent.
--
-- stats.player_stats is recomputed for exactly the (season, player) pairs a change
-- touches, from the facts (forecast.first_touchdown of completed games, first_td_scorer
-- picks and their settled selections), so an increment and a decrement (a corrected or
-- withdrawn result, a deleted pick) are the same code path and a re-run changes nothing.

create or replace function stats.recompute_player_stats(p_season_ids integer[], p_player_ids bigint[]) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_touched integer;
begin
  -- one recomputation per (season, player) at a time, locks taken in one order (no deadlock)
  perform pg_advisory_xact_lock(hashtext('scoreline.player_stats'), k.lock_key)
     from (select distinct hashtext(u.season_id || ':' || u.player_id) as lock_key
             from unnest(p_season_ids, p_player_ids) as u (season_id, player_id)
            where u.season_id is not null and u.player_id is not null
            order by 1) k;

  with keys as (
    select distinct u.season_id, u.player_id
      from unnest(p_season_ids, p_player_ids) as u (season_id, player_id)
     where u.season_id is not null and u.player_id is not null
  ),
  facts as (
    select e.season_id, ft.player_id, coalesce(ft.team_id, rt.team_id) as team_id,
           1 as touchdown, 0 as pick, 0 as correct
      from keys k
      join forecast.first_touchdown ft on ft.player_id = k.player_id
      join core.event e on e.event_id = ft.event_id and e.season_id = k.season_id and e.status = 'completed'
      left join lateral (select r.team_id from core.roster r
                          where r.season_id = e.season_id and r.player_id = ft.player_id
                          order by (r.team_id in (e.home_team_id, e.away_team_id)) desc, r.roster_id desc
                          limit 1) rt on true
    union all
    select e.season_id, s.player_id, coalesce(s.team_id, ftt.team_id, rt.team_id) as team_id,
           0, 1, case when s.result = 'won' then 1 else 0 end
      from keys k
      join market.selection s on s.player_id = k.player_id
      join market.market m on m.market_id = s.market_id and m.market_type = 'first_td_scorer'
      join core.event e on e.event_id = m.event_id and e.season_id = k.season_id
      join forecast.prediction p on p.selection_id = s.selection_id
      left join forecast.first_touchdown ftt on ftt.event_id = e.event_id and ftt.player_id = s.player_id
      left join lateral (select r.team_id from core.roster r
                          where r.season_id = e.season_id and r.player_id = s.player_id
                          order by (r.team_id in (e.home_team_id, e.away_team_id)) desc, r.roster_id desc
                          limit 1) rt on true
  ),
  agg as (
    select f.season_id, f.team_id, f.player_id,
           sum(f.touchdown)::integer as first_td_count, sum(f.pick)::integer as picks_made, sum(f.correct)::integer as picks_correct
      from facts f
     group by f.season_id, f.team_id, f.player_id
  ),
  positioned as (
    select a.*,
           coalesce((select r.position from core.roster r
                      where r.season_id = a.season_id and r.player_id = a.player_id
                      order by (r.team_id is not distinct from a.team_id) desc, r.roster_id desc
                      limit 1), 'UNK') as position
      from agg a
  ),
  removed as (
    delete from stats.player_stats ps
     using keys k
     where ps.season_id = k.season_id and ps.player_id = k.player_id
       and not exists (select from positioned p
                        where p.season_id = ps.season_id and p.player_id = ps.player_id
                          and p.team_id is not distinct from ps.team_id)
    returning 1
  ),
  upserted as (
    insert into stats.player_stats as ps (season_id, team_id, player_id, position, first_td_count, picks_made, picks_correct, updated_at)
    select p.season_id, p.team_id, p.player_id, p.position, p.first_td_count, p.picks_made, p.picks_correct, now()
      from positioned p
    on conflict on constraint player_stats_season_team_player_key do update
       set position = excluded.position,
           first_td_count = excluded.first_td_count,
           picks_made = excluded.picks_made,
           picks_correct = excluded.picks_correct,
           updated_at = excluded.updated_at
     where (ps.position, ps.first_td_count, ps.picks_made, ps.picks_correct)
           is distinct from (excluded.position, excluded.first_td_count, excluded.picks_made, excluded.picks_correct)
    returning 1
  )
  select (select count(*) from removed) + (select count(*) from upserted) into v_touched;
  return v_touched;
end;
$$;
comment on function stats.recompute_player_stats(integer[], bigint[]) is
  'Recomputes stats.player_stats for the given (season, player) pairs (two parallel arrays) from the facts; rows whose counts fall to nothing are removed. Called by the maintenance triggers; safe to call by hand. Returns rows inserted, changed or removed.';

-- forecast.first_touchdown: the fact itself changed
create or replace function stats.tg_first_touchdown__player_stats() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_seasons integer[];
  v_players bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(e.season_id), array_agg(n.player_id) into v_seasons, v_players
      from new_rows n join core.event e on e.event_id = n.event_id where n.player_id is not null;
  elsif tg_op = 'DELETE' then
    select array_agg(e.season_id), array_agg(o.player_id) into v_seasons, v_players
      from old_rows o join core.event e on e.event_id = o.event_id where o.player_id is not null;
  else
    select array_agg(e.season_id), array_agg(x.player_id) into v_seasons, v_players
      from (select n.event_id, n.player_id from new_rows n
            union select o.event_id, o.player_id from old_rows o) x
      join core.event e on e.event_id = x.event_id
     where x.player_id is not null;
  end if;
  if v_seasons is not null then
    perform stats.recompute_player_stats(v_seasons, v_players);
  end if;
  return null;
end;
$$;
comment on function stats.tg_first_touchdown__player_stats() is 'After a statement on forecast.first_touchdown: recomputes the player statistics of the scorers involved.';

drop trigger if exists _300_player_stats_insert on forecast.first_touchdown;
create trigger _300_player_stats_insert after insert on forecast.first_touchdown
  referencing new table as new_rows for each statement execute function stats.tg_first_touchdown__player_stats();
drop trigger if exists _300_player_stats_update on forecast.first_touchdown;
create trigger _300_player_stats_update after update on forecast.first_touchdown
  referencing old table as old_rows new table as new_rows for each statement execute function stats.tg_first_touchdown__player_stats();
drop trigger if exists _300_player_stats_delete on forecast.first_touchdown;
create trigger _300_player_stats_delete after delete on forecast.first_touchdown
  referencing old table as old_rows for each statement execute function stats.tg_first_touchdown__player_stats();

-- core.event: a game reached, or left, completed (a withdrawn or corrected result)
create or replace function stats.tg_event__player_stats() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_seasons integer[];
  v_players bigint[];
begin
  select array_agg(x.season_id), array_agg(x.player_id) into v_seasons, v_players
    from (select o.season_id, ft.player_id
            from old_rows o
            join new_rows n on n.event_id = o.event_id
            join forecast.first_touchdown ft on ft.event_id = o.event_id
           where ft.player_id is not null
             and ((o.status = 'completed') <> (n.status = 'completed') or o.season_id <> n.season_id)
          union
          select n.season_id, ft.player_id
            from old_rows o
            join new_rows n on n.event_id = o.event_id
            join forecast.first_touchdown ft on ft.event_id = n.event_id
           where ft.player_id is not null
             and ((o.status = 'completed') <> (n.status = 'completed') or o.season_id <> n.season_id)) x;
  if v_seasons is not null then
    perform stats.recompute_player_stats(v_seasons, v_players);
  end if;
  return null;
end;
$$;
comment on function stats.tg_event__player_stats() is 'After an update of core.event: when games enter or leave completed, recomputes the player statistics of their first-touchdown scorers.';

drop trigger if exists _300_player_stats on core.event;
create trigger _300_player_stats after update on core.event
  referencing old table as old_rows new table as new_rows for each statement execute function stats.tg_event__player_stats();

-- market.selection: settlement set, changed or cleared a first_td_scorer result
create or replace function stats.tg_selection__player_stats() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_seasons integer[];
  v_players bigint[];
begin
  select array_agg(e.season_id), array_agg(n.player_id) into v_seasons, v_players
    from old_rows o
    join new_rows n on n.selection_id = o.selection_id
    join market.market m on m.market_id = n.market_id and m.market_type = 'first_td_scorer'
    join core.event e on e.event_id = m.event_id
   where n.player_id is not null
     and (n.result is distinct from o.result or n.player_id is distinct from o.player_id)
     and exists (select from forecast.prediction p where p.selection_id = n.selection_id);
  if v_seasons is not null then
    perform stats.recompute_player_stats(v_seasons, v_players);
  end if;
  return null;
end;
$$;
comment on function stats.tg_selection__player_stats() is 'After an update of market.selection (settlement): recomputes the player statistics of picked first-touchdown selections whose result changed.';

drop trigger if exists _300_player_stats on market.selection;
create trigger _300_player_stats after update on market.selection
  referencing old table as old_rows new table as new_rows for each statement execute function stats.tg_selection__player_stats();

-- forecast.prediction: a first-touchdown pick made, changed or withdrawn
create or replace function stats.recompute_player_stats_of_selections(p_selection_ids bigint[]) returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(stats.recompute_player_stats(array_agg(k.season_id), array_agg(k.player_id)), 0)
    from (select distinct e.season_id, s.player_id
            from market.selection s
            join market.market m on m.market_id = s.market_id and m.market_type = 'first_td_scorer'
            join core.event e on e.event_id = m.event_id
           where s.selection_id = any (p_selection_ids) and s.player_id is not null) k
  having count(*) > 0;
$$;
comment on function stats.recompute_player_stats_of_selections(bigint[]) is 'Recomputes the player statistics of the players behind these first_td_scorer selections (others are ignored).';

create or replace function stats.tg_prediction__player_stats() returns trigger
language plpgsql
volatile
security definer -- app sessions write picks, not stats.player_stats
set search_path = pg_catalog, pg_temp
as $$
declare
  v_selections bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.selection_id) into v_selections from new_rows n;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.selection_id) into v_selections from old_rows o;
  else
    select array_agg(distinct x.selection_id) into v_selections
      from (select n.selection_id from new_rows n union select o.selection_id from old_rows o) x;
  end if;
  if v_selections is not null then
    perform stats.recompute_player_stats_of_selections(v_selections);
  end if;
  return null;
end;
$$;
comment on function stats.tg_prediction__player_stats() is 'After a statement on forecast.prediction: recomputes the player statistics of the first-touchdown selections picked, changed or unpicked.';

drop trigger if exists _300_player_stats_insert on forecast.prediction;
create trigger _300_player_stats_insert after insert on forecast.prediction
  referencing new table as new_rows for each statement execute function stats.tg_prediction__player_stats();
drop trigger if exists _300_player_stats_update on forecast.prediction;
create trigger _300_player_stats_update after update on forecast.prediction
  referencing old table as old_rows new table as new_rows for each statement execute function stats.tg_prediction__player_stats();
drop trigger if exists _300_player_stats_delete on forecast.prediction;
create trigger _300_player_stats_delete after delete on forecast.prediction
  referencing old table as old_rows for each statement execute function stats.tg_prediction__player_stats();

create or replace function stats.dq_unknown_position_share() returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(avg(case when ps.position = 'UNK' then 1 else 0 end), 0)::numeric from stats.player_stats ps;
$$;
comment on function stats.dq_unknown_position_share() is 'Data-quality check: the share (0..1) of stats.player_stats rows whose position is UNK (no roster row); 0 = healthy, the target on real data is under 0.05.';

select refresh.define_check('stats_unknown_position_share', 'stats.player_stats', 'select stats.dq_unknown_position_share()', null, 0, 0.05, 'warn',
  'Share of player stats rows whose position the roster does not give: under 5%.');

comment on table stats.player_stats is 'Pick''em player statistics per season, team and player, maintained by triggers (sql/045_player_stats.sql) whenever a first touchdown, an event''s status, a settlement or a pick changes; a corrected or withdrawn result decrements. Rows whose counts are all zero are removed.';
