-- market: defaults and rules for markets that constraints alone cannot express.
--
-- SQLSTATEs raised here:
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
