-- What settlement reads, frozen once it has read it: a settled game's first touchdown, the
-- selections of a settled or void market; and who may register a user forecaster.
-- Re-applied by `scoreline migrate`; idempotent.
-- (A settled event's score, status, teams and the like: sql/010_core.sql; a settled race's
-- runners: core.tg_runner__guard_result; a settled market's status, event, type and places:
-- market.tg_market__guard_settlement.) See docs/security.md, "The write path".
--
-- SQLSTATEs raised here (SL013-SL019 belong to settlement inputs and their corrections):
--   SL013  a settled game's first touchdown changed or deleted by a role without owner authority
--   SL014  a selection added to a settled or void market, or one of its settlement terms (market,
--          code, team, player, runner) changed, by a role without owner authority
--   SL015  a user forecaster created (or a model made a user) by a role without owner authority
--   SL003, SL004, SL005, SL034  forecast.correct_first_touchdown: no such event, not settled,
--          changes nothing, not a game (as core.correct_event_result and the first-touchdown rule)

create or replace function forecast.tg_first_touchdown__guard_settled() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
declare
  v_ev record;
begin
  if core.acts_as_owner() then
    return case when tg_op = 'DELETE' then old else new end; -- forecast.correct_first_touchdown, the owner role
  end if;
  if tg_op = 'UPDATE'
     and (new.event_id, new.player_id, new.team_id) is not distinct from (old.event_id, old.player_id, old.team_id) then
    return new; -- the fact is unchanged (its source, say)
  end if;
  select e.event_id, e.external_id, e.status into v_ev
    from core.event e
   where e.event_id in (old.event_id, case when tg_op = 'UPDATE' then new.event_id end)
     and e.status in ('completed', 'abandoned', 'cancelled')
   order by e.event_id
   limit 1;
  if found then
    raise exception 'event % (%) is %: its first touchdown is part of the settled result and is not % by the worker',
      v_ev.event_id, v_ev.external_id, v_ev.status, case when tg_op = 'DELETE' then 'deleted' else 'changed' end
      using errcode = 'SL013',
            hint = 'correct it with forecast.correct_first_touchdown(event_id, player_id, team_id, reason), which leaves a trace in core.event_correction and re-scores';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end;
$$;
comment on function forecast.tg_first_touchdown__guard_settled() is
  'Before update or delete of forecast.first_touchdown: once the game is completed (or abandoned, cancelled) its first touchdown is a settled fact: a role without owner authority (core.acts_as_owner()) neither changes the scorer nor deletes it (SL013); recording it the first time, after the final whistle, stays open. Corrections: forecast.correct_first_touchdown.';

drop trigger if exists _090_guard_settled on forecast.first_touchdown;
create trigger _090_guard_settled
  before update or delete on forecast.first_touchdown
  for each row execute function forecast.tg_first_touchdown__guard_settled();

create or replace function forecast.correct_first_touchdown(p_event_id bigint, p_player_id bigint, p_team_id integer, p_reason text)
returns core.event_correction
language plpgsql
volatile
security definer -- writes a settled fact, its trace and the scores with owner authority
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev core.event;
  v_old jsonb;
  v_new jsonb := jsonb_build_object('player_id', p_player_id, 'team_id', p_team_id);
  v_trace core.event_correction;
begin
  select * into v_ev from core.event where event_id = p_event_id for update;
  if not found then
    raise exception 'no event %', p_event_id using errcode = 'SL003';
  end if;
  if v_ev.kind <> 'game' then
    raise exception 'event % (%) is a %: only a game has a first touchdown', v_ev.event_id, v_ev.external_id, v_ev.kind
      using errcode = 'SL034';
  end if;
  if v_ev.status not in ('completed', 'abandoned', 'cancelled') then
    raise exception 'event % (%) is %: only a settled game''s first touchdown is corrected; record it with forecast.record_first_touchdown',
      v_ev.event_id, v_ev.external_id, v_ev.status
      using errcode = 'SL004';
  end if;
  select jsonb_build_object('player_id', f.player_id, 'team_id', f.team_id) into v_old
    from forecast.first_touchdown f where f.event_id = v_ev.event_id;
  if v_old is not distinct from v_new then
    raise exception 'event % (%): the correction changes nothing', v_ev.event_id, v_ev.external_id
      using errcode = 'SL005';
  end if;

  insert into forecast.first_touchdown as ft (event_id, player_id, team_id, source)
  values (v_ev.event_id, p_player_id, p_team_id, 'correction')
  on conflict (event_id) do update
     set player_id = excluded.player_id, team_id = excluded.team_id, source = excluded.source, recorded_at = now();
  -- a new result version: the markets re-settle and the worker's scoring job runs (worker.tg_event__enqueue_scoring)
  update core.event set result_version = result_version + 1 where event_id = v_ev.event_id;

  insert into core.event_correction (event_id, corrected_by, reason, old_status, new_status,
                                     old_home_score, old_away_score, new_home_score, new_away_score,
                                     old_first_touchdown, new_first_touchdown, result_version)
  values (v_ev.event_id, session_user, p_reason, v_ev.status, v_ev.status,
          v_ev.home_score, v_ev.away_score, v_ev.home_score, v_ev.away_score,
          coalesce(v_old, 'null'::jsonb), v_new, v_ev.result_version + 1)
  returning * into v_trace;
  perform forecast.score_event(v_ev.event_id);
  return v_trace;
end;
$$;
comment on function forecast.correct_first_touchdown(bigint, bigint, integer, text) is
  'Corrects the first touchdown of a settled game (p_player_id null = no touchdown): writes forecast.first_touchdown, bumps the event''s result_version, leaves a row in core.event_correction with the fact before and after (old_first_touchdown, new_first_touchdown; corrected_by the login) and re-scores the game. The only way a settled game''s first touchdown changes for a role without owner authority. SL003 no such event, SL034 not a game, SL004 not settled, SL005 changes nothing; a reason is required (event_correction_reason_given).';

create or replace function market.tg_selection__guard_settled_terms() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
declare
  v_mk record;
begin
  if core.acts_as_owner() then
    return new;
  end if;
  if tg_op = 'UPDATE'
     and (new.market_id, new.code, new.team_id, new.player_id, new.runner_id)
         is not distinct from (old.market_id, old.code, old.team_id, old.player_id, old.runner_id) then
    return new; -- its label, say
  end if;
  select m.market_id, m.market_type, m.event_id, m.status into v_mk
    from market.market m
   where m.market_id in (new.market_id, case when tg_op = 'UPDATE' then old.market_id end)
     and m.status in ('settled', 'void')
   order by m.market_id
   limit 1;
  if found then
    raise exception 'the % market % on event % is %: %', v_mk.market_type, v_mk.market_id, v_mk.event_id, v_mk.status,
      case when tg_op = 'INSERT' then format('no selection (%s) is added to it', new.code)
           else format('selection %s (%s) keeps its market, code, team, player and runner', old.selection_id, old.code) end
      using errcode = 'SL014',
            hint = 'settlement read them; correct the event''s result with core.correct_event_result, a binary market''s with market.correct_market (the owner role)';
  end if;
  return new;
end;
$$;
comment on function market.tg_selection__guard_settled_terms() is
  'Before insert or update of market.selection: what settlement reads (the market, code, team, player, runner) is frozen once the market is settled or void: a role without owner authority (core.acts_as_owner()) neither adds a selection to such a market nor changes those columns, nor moves a selection into or out of it (SL014). Its label stays open.';

drop trigger if exists _080_guard_settled_terms on market.selection;
create trigger _080_guard_settled_terms
  before insert or update on market.selection
  for each row execute function market.tg_selection__guard_settled_terms();

-- Who a user is ---------------------------------------------------------------------

create or replace function forecast.tg_forecaster__guard_kind() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
begin
  if new.kind = 'user' and (tg_op = 'INSERT' or old.kind is distinct from 'user') and not core.acts_as_owner() then
    raise exception 'forecaster % (%): users are registered by the owner role, not by %', new.name, coalesce(new.handle, 'no handle'), current_user
      using errcode = 'SL015',
            hint = 'the worker writes models (kind model); an app session acts for an existing user (scoreline.user_id)';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_forecaster__guard_kind() is
  'Before insert or update of forecast.forecaster: only owner authority (core.acts_as_owner()) creates a user forecaster or turns a model into one (SL015). The worker, which may insert forecasters for its models, would otherwise mint users (taking their handles) that an app session could then act for.';

drop trigger if exists _100_guard_kind on forecast.forecaster;
create trigger _100_guard_kind
  before insert or update of kind on forecast.forecaster
  for each row execute function forecast.tg_forecaster__guard_kind();
