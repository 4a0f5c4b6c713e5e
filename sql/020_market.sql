-- market: defaults and rules for markets that constraints alone cannot express, and the
-- guards that keep settlement (a selection's result, a market's settled or void status)
-- and the rows picks and bets hang on out of reach of roles without owner authority.
--
-- Who settles (docs/security.md): market.settle_event (security definer, through
-- forecast.score_event for the worker), market.correct_market (the owner role), and the
-- owner role (and superusers) directly. "Owner authority" is core.acts_as_owner():
-- current_user is the owner role or a member, which inside a security definer function is
-- its owner. No setting a session can set grants it.
--
-- SQLSTATEs raised here:
--   SL007  a selection's result written by a role without owner authority
--   SL008  a market's settlement (status to or from settled or void, settled_at, settled_result_version,
--          or the event, type or places of a settled market) changed by a role without owner authority
--   SL009  a market or selection deleted with users' picks, bets or scored predictions, by a role
--          without owner authority
--   SL020  a market type opened on a kind of event it does not apply to

create or replace function market.tg_market__defaults() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_mt market.market_type;
  v_ev_kind text;
begin
  select * into v_mt from market.market_type where code = new.market_type;
  if not found then
    -- An unknown type: the foreign key market_market_type_fk reports it, once the
    -- not-null check (which runs first) is satisfied.
    new.allows_multiple_picks := coalesce(new.allows_multiple_picks, false);
    return new;
  end if;
  select kind into v_ev_kind from core.event where event_id = new.event_id;
  if v_ev_kind is not null and not (v_ev_kind = any (v_mt.event_kinds)) then
    raise exception 'a % market cannot be opened on a % (event %)', new.market_type, v_ev_kind, new.event_id
      using errcode = 'SL020',
            hint = format('%s markets apply to: %s', new.market_type, array_to_string(v_mt.event_kinds, ', '));
  end if;
  new.allows_multiple_picks := coalesce(new.allows_multiple_picks, v_mt.allows_multiple_picks);
  if new.market_type = 'race_place' and new.places is null then
    new.places := 3;
  end if;
  return new;
end;
$$;
comment on function market.tg_market__defaults() is
  'Before insert of market.market, and update of its event or type: refuses a market type on the wrong kind of event (SL020); fills allows_multiple_picks from the market type and places (3) for race_place.';

drop trigger if exists _100_defaults on market.market;
create trigger _100_defaults
  before insert or update of event_id, market_type on market.market
  for each row execute function market.tg_market__defaults();

-- Settlement is not an update any role may make ------------------------------------

create or replace function market.tg_market__guard_settlement() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'INSERT' then
    if new.status in ('settled', 'void') and not core.acts_as_owner() then
      raise exception 'a % market on event % cannot be created %', new.market_type, new.event_id, new.status
        using errcode = 'SL008',
              hint = 'markets are created open; they are settled by market.settle_event (forecast.score_event) or market.correct_market';
    end if;
    return new;
  end if;
  if (old.status in ('settled', 'void') or new.status in ('settled', 'void'))
     and (new.status, new.settled_at, new.settled_result_version, new.event_id, new.market_type, new.places)
         is distinct from (old.status, old.settled_at, old.settled_result_version, old.event_id, old.market_type, old.places)
     and not core.acts_as_owner() then
    raise exception 'market % (% on event %) is %: it is settled by market.settle_event and corrected by core.correct_event_result or market.correct_market, not by an update',
      old.market_id, old.market_type, old.event_id, old.status
      using errcode = 'SL008',
            hint = case when new.status in ('settled', 'void') or old.status in ('settled', 'void')
                        then 'settle with forecast.score_event(event_id); correct the event''s result with core.correct_event_result, a binary market''s with market.correct_market (the owner role)'
                   end;
  end if;
  return new;
end;
$$;
comment on function market.tg_market__guard_settlement() is
  'Before insert or update of market.market: a market is created open, and its settlement (status to or from settled or void, settled_at, settled_result_version, or the event, type or places of a settled market) changes only with owner authority (core.acts_as_owner(): market.settle_event, market.correct_market, the owner role); SL008 otherwise.';

drop trigger if exists _090_guard_settlement on market.market;
create trigger _090_guard_settlement
  before insert or update on market.market
  for each row execute function market.tg_market__guard_settlement();

create or replace function market.tg_selection__guard_result() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'INSERT' then
    if new.result is not null and not core.acts_as_owner() then
      raise exception 'selection % of market %: its result is written by settlement, not given on insert', new.code, new.market_id
        using errcode = 'SL007',
              hint = 'insert it without a result; market.settle_event (forecast.score_event) or market.correct_market sets it';
    end if;
    return new;
  end if;
  if (new.result is distinct from old.result or (new.market_id <> old.market_id and old.result is not null))
     and not core.acts_as_owner() then
    raise exception 'selection % (% of market %): its result is written by settlement (market.settle_event) or a correction, not by an update',
      old.selection_id, old.code, old.market_id
      using errcode = 'SL007',
            hint = 'settle with forecast.score_event(event_id); correct the event''s result with core.correct_event_result, a binary market''s with market.correct_market (the owner role)';
  end if;
  return new;
end;
$$;
comment on function market.tg_selection__guard_result() is
  'Before insert or update of market.selection: its result is written only with owner authority (core.acts_as_owner(): market.settle_event, market.correct_market, the owner role); SL007 otherwise.';

drop trigger if exists _090_guard_result on market.selection;
create trigger _090_guard_result
  before insert or update on market.selection
  for each row execute function market.tg_selection__guard_result();

-- Deleting what picks and bets hang on ----------------------------------------------

create or replace function market.selections_in_use(p_selection_ids bigint[]) returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select nullif(concat_ws(', ',
                          case when x.user_picks > 0 then x.user_picks || ' user picks' end,
                          case when x.bets > 0 then x.bets || ' bets' end,
                          case when x.scored > 0 then x.scored || ' scored predictions' end), '')
    from (select (select count(*) from forecast.prediction p
                    join forecast.forecaster f on f.forecaster_id = p.forecaster_id
                   where p.selection_id = any (p_selection_ids) and f.kind = 'user') as user_picks,
                 (select count(*) from trade.bet b where b.selection_id = any (p_selection_ids)) as bets,
                 (select count(*) from forecast.prediction p
                    join forecast.prediction_score ps on ps.prediction_id = p.prediction_id
                   where p.selection_id = any (p_selection_ids)) as scored) x
$$;
comment on function market.selections_in_use(bigint[]) is
  'What the selections hold that must not be deleted with them by a role without owner authority: "3 user picks, 1 bets, 12 scored predictions", or null when nothing. Security definer so that the count sees every row whatever the caller''s row-level security; used by the delete guards of core.event, core.runner, market.market and market.selection (SL009).';

create or replace function market.tg_market__guard_delete() returns trigger
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
  v_held := market.selections_in_use(array(select s.selection_id from market.selection s where s.market_id = old.market_id));
  if v_held is not null then
    raise exception 'market % (% on event %) cannot be deleted: its selections hold %', old.market_id, old.market_type, old.event_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: only the owner role deletes them';
  end if;
  return old;
end;
$$;
comment on function market.tg_market__guard_delete() is
  'Before delete of market.market: a role without owner authority cannot delete a market whose selections hold users'' picks, bets or scored predictions (SL009), which the cascade to market.selection and forecast.prediction would take with it.';

drop trigger if exists _100_guard_delete on market.market;
create trigger _100_guard_delete
  before delete on market.market
  for each row execute function market.tg_market__guard_delete();

create or replace function market.tg_selection__guard_delete() returns trigger
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
  v_held := market.selections_in_use(array[old.selection_id]);
  if v_held is not null then
    raise exception 'selection % (% of market %) cannot be deleted: it holds %', old.selection_id, old.code, old.market_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: only the owner role deletes them';
  end if;
  return old;
end;
$$;
comment on function market.tg_selection__guard_delete() is
  'Before delete of market.selection: a role without owner authority cannot delete a selection holding users'' picks, bets or scored predictions (SL009), which the cascade to forecast.prediction would take with it.';

drop trigger if exists _100_guard_delete on market.selection;
create trigger _100_guard_delete
  before delete on market.selection
  for each row execute function market.tg_selection__guard_delete();
