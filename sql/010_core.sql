-- core: the event status lifecycle, result locking and the correction path.
-- Re-applied by `scoreline migrate`; everything here is idempotent.
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL001  an event's status cannot make that transition
--   SL002  a settled result (completed, abandoned, cancelled) changed outside core.correct_event_result
--   SL003  no such event
--   SL004  core.correct_event_result on an event whose result is not settled
--   SL005  a correction that changes nothing
--   SL006  the teams, competition, season or kind of a settled event changed outside a correction
--   SL009  an event or runner deleted with users' picks, bets or scored predictions on its markets,
--          by a role without owner authority (market.selections_in_use says what)
--   22023  a correction to an unknown status, or runner positions that are not {"runner number": position or null}
--          for runners of that race

create or replace function core.tg_event__guard_status() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  -- the setting counts only for the owner role (through core.correct_event_result, security definer, or its members)
  v_correcting boolean := case when coalesce(current_setting('scoreline.correcting_event', true), '') = new.event_id::text
                             then core.may_correct_results() else false end;
begin
  if new.status is distinct from old.status and not v_correcting then
    -- a settled status never changes by an update, whatever core.event_status_transition lists
    if old.status in ('completed', 'abandoned', 'cancelled')
       or not exists (select from core.event_status_transition t
                      where t.from_status = old.status and t.to_status = new.status) then
      raise exception 'event % (%): status cannot go from % to %', old.event_id, old.external_id, old.status, new.status
        using errcode = 'SL001',
              hint = case when old.status in ('completed', 'abandoned', 'cancelled')
                          then 'a settled result changes only through core.correct_event_result(event_id, status, home_score, away_score, reason)'
                          else 'see core.event_status_transition for the allowed changes' end;
    end if;
  end if;

  if old.status in ('completed', 'abandoned', 'cancelled') and not v_correcting
     and (new.home_score, new.away_score) is distinct from (old.home_score, old.away_score) then
    raise exception 'event % (%): the % result cannot be changed by an update', old.event_id, old.external_id, old.status
      using errcode = 'SL002',
            hint = 'use core.correct_event_result(event_id, status, home_score, away_score, reason), which leaves a trace in core.event_correction';
  end if;

  if old.status in ('completed', 'abandoned', 'cancelled') and not v_correcting
     and (new.home_team_id, new.away_team_id, new.competition_id, new.season_id, new.kind)
         is distinct from (old.home_team_id, old.away_team_id, old.competition_id, old.season_id, old.kind) then
    raise exception 'event % (%) is %: its teams, competition, season and kind are part of the settled result', old.event_id, old.external_id, old.status
      using errcode = 'SL006',
            hint = 'the owner role corrects them (set scoreline.correcting_event to the event id in the transaction), then re-scores with forecast.score_event(event_id)';
  end if;

  if new.status = 'completed' and old.status is distinct from 'completed' then
    new.completed_at := coalesce(new.completed_at, now());
  elsif new.status <> 'completed' then
    new.completed_at := null;
  end if;
  if new.status = 'in_progress' and new.actual_start is null then
    new.actual_start := now();
  end if;
  new.updated_at := now();
  return new;
end;
$$;
comment on function core.tg_event__guard_status() is
  'Before update of core.event: refuses status changes not listed in core.event_status_transition (SL001), changes to a settled result (SL002) and to a settled event''s teams, competition, season or kind (SL006) unless core.correct_event_result (or the owner role, with scoreline.correcting_event set) is correcting this event; stamps completed_at and updated_at.';

create or replace function core.tg_event__stamp_insert() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.status = 'completed' then
    new.completed_at := coalesce(new.completed_at, now());
  end if;
  return new;
end;
$$;
comment on function core.tg_event__stamp_insert() is 'Before insert of core.event: an event loaded as completed gets completed_at.';

drop trigger if exists _100_guard_status on core.event;
create trigger _100_guard_status
  before update on core.event
  for each row execute function core.tg_event__guard_status();

drop trigger if exists _100_stamp_insert on core.event;
create trigger _100_stamp_insert
  before insert on core.event
  for each row execute function core.tg_event__stamp_insert();

create or replace function core.tg_runner__guard_result() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev record;
begin
  -- the race it ran in and the one it would move to: a runner moved into or out of a settled
  -- race changes what its settlement reads as much as a new position
  select e.event_id, e.external_id, e.status into v_ev
    from core.event e
   where e.event_id in (old.event_id, new.event_id) and e.status in ('completed', 'abandoned', 'cancelled')
   order by e.event_id = old.event_id desc
   limit 1;
  if v_ev.status in ('completed', 'abandoned', 'cancelled')
     and not (coalesce(current_setting('scoreline.correcting_event', true), '') = v_ev.event_id::text and core.may_correct_results())
     and (new.status, new.finish_position, new.event_id) is distinct from (old.status, old.finish_position, old.event_id)
     and not (new.event_id <> old.event_id and core.acts_as_owner()) then
    raise exception 'race % (%): runner % finishing result cannot be changed by an update once the race is %',
      v_ev.event_id, v_ev.external_id, old.number, v_ev.status
      using errcode = 'SL002',
            hint = 'use core.correct_event_result(event_id, status, null, null, reason, runner_positions)';
  end if;
  return new;
end;
$$;
comment on function core.tg_runner__guard_result() is
  'Before update of core.runner: a settled race''s finishing positions and statuses (a non-runner is void) change only through core.correct_event_result (SL002), and no runner moves into or out of a settled race but by the owner role (SL002).';

drop trigger if exists _100_guard_result on core.runner;
create trigger _100_guard_result
  before update on core.runner
  for each row execute function core.tg_runner__guard_result();

create or replace function core.tg_event__guard_delete() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_held text;
begin
  if core.acts_as_owner() then
    return old;
  end if;
  v_held := market.selections_in_use(array(select s.selection_id
                                             from market.market m
                                             join market.selection s on s.market_id = m.market_id
                                            where m.event_id = old.event_id));
  if v_held is not null then
    raise exception 'event % (%) cannot be deleted: its markets hold %', old.event_id, old.external_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: only the owner role deletes them';
  end if;
  return old;
end;
$$;
comment on function core.tg_event__guard_delete() is
  'Before delete of core.event: a role without owner authority cannot delete an event whose markets hold users'' picks, bets or scored predictions (SL009), which the cascade through market.market and market.selection would take with it.';

drop trigger if exists _100_guard_delete on core.event;
create trigger _100_guard_delete
  before delete on core.event
  for each row execute function core.tg_event__guard_delete();

create or replace function core.tg_runner__guard_delete() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_held text;
begin
  if core.acts_as_owner() then
    return old;
  end if;
  v_held := market.selections_in_use(array(select s.selection_id from market.selection s where s.runner_id = old.runner_id));
  if v_held is not null then
    raise exception 'runner % (% in race %) cannot be deleted: its selections hold %', old.runner_id, old.number, old.event_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: a runner that does not run is a non_runner (status), not deleted';
  end if;
  return old;
end;
$$;
comment on function core.tg_runner__guard_delete() is
  'Before delete of core.runner: a role without owner authority cannot delete a runner whose selections hold users'' picks, bets or scored predictions (SL009), which the cascade through market.selection would take with it.';

drop trigger if exists _100_guard_delete on core.runner;
create trigger _100_guard_delete
  before delete on core.runner
  for each row execute function core.tg_runner__guard_delete();

create or replace function core.correct_event_result(
  p_event_id bigint,
  p_status text,
  p_home_score smallint,
  p_away_score smallint,
  p_reason text,
  p_runner_positions jsonb default null
) returns core.event_correction
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev core.event;
  v_trace core.event_correction;
  v_bad text;
  v_old_positions jsonb;
  v_new_positions jsonb;
begin
  select * into v_ev from core.event where event_id = p_event_id for update;
  if not found then
    raise exception 'no event %', p_event_id using errcode = 'SL003';
  end if;
  if v_ev.status not in ('completed', 'abandoned', 'cancelled') then
    raise exception 'event % (%) is %: only a settled result is corrected; update it directly', v_ev.event_id, v_ev.external_id, v_ev.status
      using errcode = 'SL004';
  end if;
  if p_status is null or p_status not in ('completed', 'abandoned', 'cancelled', 'scheduled', 'postponed') then
    raise exception 'event % (%): a correction sets status completed, abandoned, cancelled, scheduled or postponed, not %',
      v_ev.event_id, v_ev.external_id, coalesce(p_status, 'null')
      using errcode = '22023';
  end if;

  if p_runner_positions is not null then
    if v_ev.kind <> 'race' then
      raise exception 'event % (%) is a %: runner positions apply to races only', v_ev.event_id, v_ev.external_id, v_ev.kind
        using errcode = '22023';
    end if;
    if jsonb_typeof(p_runner_positions) <> 'object' then
      raise exception 'runner positions must be a JSON object {"runner number": position or null}, not %', p_runner_positions
        using errcode = '22023';
    end if;
    select string_agg(format('%s: %s', key, value), ', ' order by key) into v_bad
      from jsonb_each(p_runner_positions)
     where key !~ '^[1-9][0-9]{0,3}$'
        or case jsonb_typeof(value)
             when 'null' then false
             when 'number' then value::numeric not between 1 and 999 or value::numeric <> trunc(value::numeric)
             else true
           end;
    if v_bad is not null then
      raise exception 'runner positions must map runner numbers to positions (whole numbers from 1) or null, not %', v_bad
        using errcode = '22023';
    end if;
    select string_agg(w.key, ', ' order by w.key::int) into v_bad
      from jsonb_each(p_runner_positions) w
     where not exists (select from core.runner r where r.event_id = v_ev.event_id and r.number = w.key::smallint);
    if v_bad is not null then
      raise exception 'race % (%) has no runner numbered %', v_ev.event_id, v_ev.external_id, v_bad
        using errcode = '22023';
    end if;
  end if;

  perform set_config('scoreline.correcting_event', v_ev.event_id::text, true);

  if p_runner_positions is not null then
    with wanted as (
      select key::smallint as number, nullif(value, 'null'::jsonb)::smallint as position
      from jsonb_each(p_runner_positions)
    ), changes as (
      select r.runner_id, r.number, r.finish_position as old_position, w.position as new_position
        from core.runner r
        join wanted w on w.number = r.number
       where r.event_id = v_ev.event_id
         and r.finish_position is distinct from w.position
    ), applied as (
      update core.runner r
         set finish_position = c.new_position,
             status = case when c.new_position is null then 'did_not_finish' else 'finished' end
        from changes c
       where r.runner_id = c.runner_id
      returning c.number, c.old_position, c.new_position
    )
    select jsonb_object_agg(number::text, old_position), jsonb_object_agg(number::text, new_position)
      into v_old_positions, v_new_positions
      from applied;
  end if;

  if (v_ev.status, v_ev.home_score, v_ev.away_score) is not distinct from (p_status, p_home_score, p_away_score)
     and v_old_positions is null then
    perform set_config('scoreline.correcting_event', '', true);
    raise exception 'event % (%): the correction changes nothing', v_ev.event_id, v_ev.external_id
      using errcode = 'SL005';
  end if;

  update core.event
     set status = p_status,
         home_score = p_home_score,
         away_score = p_away_score,
         result_version = result_version + 1
   where event_id = v_ev.event_id;

  perform set_config('scoreline.correcting_event', '', true);

  -- corrected_by: the login (session_user); current_user here is the function's owner
  insert into core.event_correction (event_id, corrected_by, reason, old_status, new_status,
                                     old_home_score, old_away_score, new_home_score, new_away_score,
                                     old_runner_positions, new_runner_positions, result_version)
  values (v_ev.event_id, session_user, p_reason, v_ev.status, p_status,
          v_ev.home_score, v_ev.away_score, p_home_score, p_away_score,
          v_old_positions, v_new_positions, v_ev.result_version + 1)
  returning * into v_trace;
  return v_trace;
end;
$$;
comment on function core.correct_event_result(bigint, text, smallint, smallint, text, jsonb) is
  'Corrects a settled result (score, status, or a race''s finishing positions as {"runner number": position or null}), bumps result_version and leaves a row in core.event_correction with the result before and after. The only way a completed event changes. SL003 no such event, SL004 not settled, SL005 changes nothing, 22023 a bad status or bad runner positions.';
