-- trade: the bet lifecycle, settlement (P&L and commission) and race-model predictions;
-- the strategy performance aggregate is in sql/061_strategy_performance.sql.
-- Re-applied by `scoreline migrate`; everything here is idempotent.
--
-- SQLSTATEs raised here:
--   SL083  a bet's status cannot make that change (or a bet inserted already settled)
--   SL084  pnl, commission, result or settled_at written outside trade.settle_bets
--   SL085  a bet's terms (side, odds, stake, selection, strategy, source, placed_at) changed once it left pending
--   SL086  trade.settle_bets on an event that does not exist
--   SL087  a race prediction by a forecaster that is not a model
--   SL093  a bet placed, matched or voided (by a role without owner authority) on a market that is not
--          open, a selection with a result, or an event completed, abandoned or cancelled; placed or
--          matched once the event has started (no market is in-play); a pending bet moved onto such a selection
--   SL094  a bet's status, placed_at or matched_at chosen by a role without owner authority
--   SL095  trade.match_bet: no such bet
--   SL096  trade.match_bet: the bet is not pending
--   SL097  trade.place_bet: the strategy is not active

-- Bets --------------------------------------------------------------------------
--
-- How a bet is written (docs/security.md):
--   the app        trade.place_bet (pending, placed_at = now()) and trade.match_bet (the
--                  exchange matched it, while its market is open); no direct UPDATE
--   the worker     UPDATE of status and external_ref (an exchange's report), by the same rules
--   settlement     trade.settle_bets (security definer) writes pnl, commission, result, settled_at
--   the owner      any bet directly (historical bets of back-tests, dated in the past, matched),
--                  and a settlement repair with scoreline.settling_bets = 'on'
-- Every role without owner authority (core.acts_as_owner(): the owner role or a member, or a
-- security definer function) meets the same guard, whatever privileges it was given: a bet is
-- placed pending at now(), and changes status only while it can still be bet on (SL093).

-- replaced by role authority (a setting any session sets was the whole check); still in databases upgraded from before that (make drift-check ARGS=--from-each-step shows it)
drop function if exists trade.settling();

create or replace function trade.assert_bettable(p_selection_id bigint, p_action text default 'bet on') returns text
language plpgsql
volatile
security definer -- locks the market row (for share) for sessions without update on market.market
set search_path = pg_catalog, pg_temp
as $$
declare
  v_sel record;
begin
  select s.selection_id, s.code, s.result, m.market_id, m.market_type, m.status as market_status,
         e.event_id, e.external_id, e.status as event_status, coalesce(e.actual_start, e.scheduled_start) as starts
    into v_sel
    from market.selection s
    join market.market m on m.market_id = s.market_id
    join core.event e on e.event_id = m.event_id
   where s.selection_id = p_selection_id
     for share of m; -- a settlement running now waits for this bet, or this bet sees the market settled
  if not found then
    raise exception 'bet on selection %, which does not exist', p_selection_id
      using errcode = '23503', constraint = 'bet_selection_fk', table = 'bet', schema = 'trade';
  end if;
  if v_sel.market_status <> 'open' then
    raise exception 'cannot % selection % (%): the % market % on event % (%) is %', p_action, v_sel.selection_id, v_sel.code,
      v_sel.market_type, v_sel.market_id, v_sel.event_id, v_sel.external_id, v_sel.market_status
      using errcode = 'SL093', hint = 'bets are placed and matched only while the market is open';
  end if;
  if v_sel.result is not null then
    raise exception 'cannot % selection % (%) of market %: it has a result (%)', p_action, v_sel.selection_id, v_sel.code, v_sel.market_id, v_sel.result
      using errcode = 'SL093', hint = 'a selection whose result is known takes no bet';
  end if;
  if v_sel.event_status in ('completed', 'abandoned', 'cancelled') then
    raise exception 'cannot % selection % (%): event % (%) is %', p_action, v_sel.selection_id, v_sel.code, v_sel.event_id, v_sel.external_id, v_sel.event_status
      using errcode = 'SL093', hint = 'an event whose result is known takes no bet';
  end if;
  -- no market is in-play (docs/timeseries.md): bets are placed and matched before the start;
  -- voiding stays open until the result is known
  if p_action <> 'void a bet on' and (v_sel.event_status = 'in_progress' or now() >= v_sel.starts) then
    raise exception 'cannot % selection % (%): event % (%) started at %', p_action, v_sel.selection_id, v_sel.code, v_sel.event_id,
      v_sel.external_id, to_char(v_sel.starts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
      using errcode = 'SL093', hint = 'bets close at the event''s start (actual, else scheduled); no market is in-play';
  end if;
  return v_sel.market_type;
end;
$$;
comment on function trade.assert_bettable(bigint, text) is
  'Whether a selection can be bet on now: its market open, no result on it, its event not completed, abandoned or cancelled, and - to place or match a bet, not to void one - not started (in progress, or now() at or after its actual, else scheduled, start: no market is in-play) (SL093 otherwise; 23503 bet_selection_fk for an unknown selection). Locks the market row for share, so that a settlement running now either waits for the bet or is seen by it. Returns the market type. Used by trade.place_bet, trade.match_bet and the bet guard (for roles without owner authority).';

create or replace function trade.tg_bet__guard() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_mtype text;
  v_owner boolean := core.acts_as_owner();
  -- the setting is a mode flag: it counts only with owner authority (trade.settle_bets is security definer)
  v_settling boolean := coalesce(current_setting('scoreline.settling_bets', true), '') = 'on' and v_owner;
begin
  -- numeric NaN compares greater than every number, so the range checks alone let it through;
  -- an infinite placed_at would land in the default partition and never be settled
  if new.odds = 'NaN'::numeric then
    raise exception 'bet refused: odds NaN is not a number above 1'
      using errcode = '23514', constraint = 'bet_odds_above_one', table = 'bet', schema = 'trade';
  end if;
  if new.stake = 'NaN'::numeric then
    raise exception 'bet refused: stake NaN is not a positive amount'
      using errcode = '23514', constraint = 'bet_stake_positive', table = 'bet', schema = 'trade';
  end if;
  if not isfinite(new.placed_at) then
    raise exception 'bet refused: placed_at % is not a point in time', new.placed_at
      using errcode = '22008', hint = 'leave placed_at to its default, now()';
  end if;
  if tg_op = 'INSERT' then
    if new.status in ('settled', 'cancelled', 'void') then
      raise exception 'a bet is placed pending or matched, not %', new.status
        using errcode = 'SL083', hint = 'settlement is done by trade.settle_bets(event_id)';
    end if;
    if num_nonnulls(new.pnl, new.commission, new.result, new.settled_at) > 0 then
      raise exception 'bet on selection %: pnl, commission, result and settled_at are computed by settlement, not given', new.selection_id
        using errcode = 'SL084', hint = 'leave them null; trade.settle_bets(event_id) computes them';
    end if;
    if v_owner then
      -- the owner records bets as they were (back-tests): any status above, any placed_at
      select m.market_type into v_mtype
        from market.selection s join market.market m on m.market_id = s.market_id
       where s.selection_id = new.selection_id;
      if not found then
        raise exception 'bet on selection %, which does not exist', new.selection_id
          using errcode = '23503', constraint = 'bet_selection_fk', table = 'bet', schema = 'trade';
      end if;
    else
      if new.status <> 'pending' or new.placed_at <> now() or new.matched_at is not null then
        raise exception 'bet on selection % refused: a bet is placed by the server, pending at now(), not % at %', new.selection_id, new.status, new.placed_at
          using errcode = 'SL094',
                hint = 'call trade.place_bet(strategy_id, selection_id, source_id, side, odds, stake), then trade.match_bet(bet_id) when the exchange matches it';
      end if;
      v_mtype := trade.assert_bettable(new.selection_id);
    end if;
    new.market_type := v_mtype;
    if new.status = 'matched' then
      new.matched_at := coalesce(new.matched_at, new.placed_at);
    end if;
    return new;
  end if;

  -- UPDATE
  if not v_settling then
    if (new.pnl, new.commission, new.result, new.settled_at)
       is distinct from (old.pnl, old.commission, old.result, old.settled_at) then
      raise exception 'bet % (placed %): pnl, commission, result and settled_at are computed by settlement, not written', old.bet_id, old.placed_at
        using errcode = 'SL084', hint = 'set the selection''s result and settle the market, then call trade.settle_bets(event_id)';
    end if;
    if new.status is distinct from old.status
       and new.status in ('pending', 'matched', 'settled', 'cancelled', 'void')
       and (old.status, new.status) not in (('pending', 'matched'), ('pending', 'cancelled'), ('pending', 'void'), ('matched', 'void')) then
      raise exception 'bet % (placed %): status cannot go from % to %', old.bet_id, old.placed_at, old.status, new.status
        using errcode = 'SL083',
              hint = case when new.status = 'settled' then 'bets are settled by trade.settle_bets(event_id)'
                          else 'allowed: pending -> matched | cancelled | void, matched -> void (settled, cancelled and void are final)' end;
    end if;
    if old.status <> 'pending'
       and (new.side, new.odds, new.stake, new.selection_id, new.strategy_id, new.source_id, new.placed_at, new.market_type)
           is distinct from (old.side, old.odds, old.stake, old.selection_id, old.strategy_id, old.source_id, old.placed_at, old.market_type) then
      raise exception 'bet % (placed %) is %: its terms can no longer change', old.bet_id, old.placed_at, old.status
        using errcode = 'SL085', hint = 'cancel or void it and place a new bet';
    end if;
    if (new.selection_id, new.market_type) is distinct from (old.selection_id, old.market_type) then
      -- a pending bet moved onto another selection is a new bet on it: judged as one, its type copied again
      if v_owner then
        select m.market_type into v_mtype
          from market.selection s join market.market m on m.market_id = s.market_id
         where s.selection_id = new.selection_id;
      else
        v_mtype := trade.assert_bettable(new.selection_id);
      end if;
      new.market_type := coalesce(v_mtype, new.market_type);
    end if;
    if not v_owner then
      -- matched or voided only while it can still be bet on: never once the result is known
      if new.status is distinct from old.status and new.status in ('matched', 'void') then
        perform trade.assert_bettable(new.selection_id, case new.status when 'matched' then 'match a bet on' else 'void a bet on' end);
      end if;
      if (new.placed_at, new.matched_at) is distinct from (old.placed_at, old.matched_at)
         and not (new.status = 'matched' and old.status = 'pending' and new.placed_at = old.placed_at) then
        raise exception 'bet % (placed %): placed_at and matched_at are the server''s times', old.bet_id, old.placed_at
          using errcode = 'SL094', hint = 'trade.match_bet(bet_id) stamps matched_at now()';
      end if;
      if new.status = 'matched' and old.status = 'pending' then
        new.matched_at := now();
      end if;
    end if;
    if new.status = 'void' and old.status <> 'void' then
      -- voided by the exchange or the operator: the stake is returned
      new.pnl := 0;
      new.commission := 0;
      new.settled_at := now();
    end if;
  end if;
  if new.status = 'matched' and old.status = 'pending' then
    new.matched_at := coalesce(new.matched_at, now());
  end if;
  new.updated_at := now();
  return new;
end;
$$;
comment on function trade.tg_bet__guard() is
  'Before insert or update of trade.bet: refuses NaN odds or stake (as their range constraints, which NaN passes) and an infinite placed_at (22008); copies market_type from the selection''s market; a bet is placed pending or matched (SL083); status changes pending -> matched | cancelled | void and matched -> void only, settled comes from trade.settle_bets (SL083); pnl, commission, result and settled_at are written only by settlement (SL084: scoreline.settling_bets counts only with owner authority, i.e. inside the security definer trade.settle_bets); terms freeze once the bet leaves pending (SL085); a voided bet gets P&L 0. For roles without owner authority also: a bet is inserted pending at now() (SL094), on a selection that can be bet on (trade.assert_bettable, SL093: market open, no result, event not started), a pending bet moved onto another selection is judged as a new bet on it (SL093), and is matched or voided only while it still can (SL093), its times stamped by the server (SL094).';

drop trigger if exists _100_guard on trade.bet;
create trigger _100_guard
  before insert or update on trade.bet
  for each row execute function trade.tg_bet__guard();

create or replace function trade.place_bet(
  p_strategy_id integer,
  p_selection_id bigint,
  p_source_id integer,
  p_side text,
  p_odds numeric,
  p_stake numeric,
  p_external_ref text default null
) returns trade.bet
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_active boolean;
  v_bet trade.bet;
begin
  select st.active into v_active from trade.strategy st where st.strategy_id = p_strategy_id;
  if v_active is not null and not v_active then
    raise exception 'strategy % is not active', p_strategy_id
      using errcode = 'SL097', hint = 'set trade.strategy.active to bet with it again';
  end if;
  perform trade.assert_bettable(p_selection_id); -- SL093, 23503; locks the market for share
  insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at, external_ref)
  values (p_strategy_id, p_selection_id, p_source_id, p_side, p_odds, p_stake, 'pending', now(), p_external_ref)
  returning * into v_bet;
  return v_bet;
end;
$$;
comment on function trade.place_bet(integer, bigint, integer, text, numeric, numeric, text) is
  'Places a bet for the app: pending, placed_at = now(), no P&L or settlement (those are trade.settle_bets''s). Refused on a market that is not open, a selection with a result, an event completed, abandoned or cancelled, or one that has started (SL093), with an inactive strategy (SL097); the constraints of trade.bet name anything else (bet_side_known, bet_odds_above_one, bet_stake_positive, bet_strategy_fk, bet_source_fk, bet_selection_fk). Returns the bet. Mark it matched with trade.match_bet.';

create or replace function trade.match_bet(p_bet_id bigint, p_external_ref text default null) returns trade.bet
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bet trade.bet;
begin
  select * into v_bet from trade.bet b where b.bet_id = p_bet_id;
  if not found then
    raise exception 'no bet %', p_bet_id using errcode = 'SL095';
  end if;
  -- the market first (for share, as settlement locks it first), then the bet
  perform trade.assert_bettable(v_bet.selection_id, 'match a bet on'); -- SL093 once the result is known
  select * into v_bet from trade.bet b where b.bet_id = v_bet.bet_id and b.placed_at = v_bet.placed_at for update;
  if v_bet.status <> 'pending' then
    raise exception 'bet % (placed %) is %: only a pending bet becomes matched', v_bet.bet_id, v_bet.placed_at, v_bet.status
      using errcode = 'SL096';
  end if;
  update trade.bet b
     set status = 'matched', matched_at = now(), external_ref = coalesce(p_external_ref, b.external_ref)
   where b.bet_id = v_bet.bet_id and b.placed_at = v_bet.placed_at
  returning * into v_bet;
  return v_bet;
end;
$$;
comment on function trade.match_bet(bigint, text) is
  'Marks a pending bet matched (the exchange reported it; p_external_ref is the exchange''s reference), matched_at = now(). Refused once its market is no longer open, its selection has a result or its event is completed, abandoned or cancelled (SL093); SL095 no such bet, SL096 not pending. Called by the app and the worker.';

create or replace function trade.settle_bets(p_event_id bigint) returns integer
language plpgsql
volatile
security definer -- the bet guard accepts settled fields only with owner authority
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n_settled integer;
  v_n_lapsed integer;
  v_owed bigint;
  v_owed_rv integer;
begin
  -- one settler per event at a time, with its scorer (forecast.score_event, market.settle_event)
  perform pg_advisory_xact_lock(hashtext('scoreline.score_event'), hashtext(p_event_id::text));
  -- The work owed, read before the results (sql/043_forecast_owed.sql), with the event row held
  -- (key share): a correction in progress commits first, the next one waits for this
  -- transaction. Lock order core.event, then forecast.event_scoring, as a correction's.
  -- Two statements: a row lock that waited re-reads the locked row only, not a joined one.
  perform from core.event e where e.event_id = p_event_id for key share;
  if not found then
    raise exception 'trade.settle_bets: no event %', p_event_id using errcode = 'SL086';
  end if;
  select es.owed_version, es.result_version into v_owed, v_owed_rv from forecast.event_scoring es where es.event_id = p_event_id;
  perform set_config('scoreline.settling_bets', 'on', true);

  with outcome as (
    select b.bet_id, b.placed_at, b.side, b.odds, b.stake,
           case when m.status = 'void' then 'void' else s.result end as result,
           coalesce(st.commission_rate, src.commission_rate) as rate,
           coalesce(dh.places, 1) as places, coalesce(dh.tied, 1) as tied
      from market.market m
      join market.selection s on s.market_id = m.market_id
      join trade.bet b on b.selection_id = s.selection_id
      join trade.strategy st on st.strategy_id = b.strategy_id
      join market.source src on src.source_id = b.source_id
      left join market.dead_heats(p_event_id) dh on dh.selection_id = s.selection_id
     where m.event_id = p_event_id
       and (m.status = 'void' or (m.status = 'settled' and s.result is not null))
       and (b.status = 'matched' or (b.status in ('settled', 'void') and b.result is not null))
  ), gross as (
    select o.*,
           round(market.settled_pnl(o.side, o.odds, o.stake, o.result, o.places, o.tied), 2) as gross -- the dead-heat rule
      from outcome o
  ), priced as (
    select g.*,
           case when g.gross > 0 then round(g.gross * g.rate, 2) else 0::numeric end as commission
      from gross g
  ), written as (
    update trade.bet b
       set status = case when p.result = 'void' then 'void' else 'settled' end,
           result = p.result,
           commission = p.commission,
           pnl = p.gross - p.commission,
           settled_at = now()
      from priced p
     where b.bet_id = p.bet_id and b.placed_at = p.placed_at
       and (b.status = 'matched'
            or (b.result, b.pnl, b.commission) is distinct from (p.result, p.gross - p.commission, p.commission))
    returning 1
  )
  select count(*) into v_n_settled from written;

  -- bets never matched lapse when their market is settled or void
  with lapsed as (
    update trade.bet b
       set status = 'cancelled'
      from market.selection s
      join market.market m on m.market_id = s.market_id
     where b.selection_id = s.selection_id
       and m.event_id = p_event_id
       and m.status in ('settled', 'void')
       and b.status = 'pending'
    returning 1
  )
  select count(*) into v_n_lapsed from lapsed;

  perform set_config('scoreline.settling_bets', '', true);
  if v_owed is not null then
    perform forecast.record_scoring(p_event_id, 'bets', v_owed, v_owed_rv);
  end if;
  return v_n_settled + v_n_lapsed;
end;
$$;
comment on function trade.settle_bets(bigint) is
  'Settles the bets on an event''s settled or void markets from market.selection.result and returns how many bets it changed. P&L by market.settled_pnl, rounded to cents: back win: stake x (odds - 1) less commission; back loss: -stake; lay win (selection lost): +stake less commission; lay loss: -stake x (odds - 1); void selection or market: 0; a winner in a dead heat (market.dead_heats) is paid by the dead-heat rule: stake x places / tied at full odds, the rest lost (two tied for first: back stake x (odds / 2 - 1), lay the opposite). Commission = rate x positive winnings, rounded to cents, the rate from trade.strategy.commission_rate else market.source.commission_rate. Re-running after a corrected result re-settles the bets whose outcome changed; unmatched (pending) bets lapse to cancelled. Serialised per event with forecast.score_event (advisory lock); records in forecast.event_scoring the owed version it caught up with. The worker''s score_event task calls it after every completion and correction. SL086 when the event does not exist. Security definer: the bet guard accepts settled fields only with owner authority.';

comment on column trade.bet.pnl is
  'Profit or loss after commission, set by settlement (trade.settle_bets, by market.settled_pnl): back win stake x (odds - 1) - commission; back loss -stake; lay win stake - commission; lay loss -stake x (odds - 1); void 0; a winner in a dead heat by the dead-heat rule (stake x places / tied at full odds, the rest lost).';

create or replace function trade.dq_bets_disagree_with_selections() returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select count(*)::numeric
    from trade.bet b
    join market.selection s on s.selection_id = b.selection_id
    join market.market m on m.market_id = s.market_id
   where b.result is not null
     and b.result is distinct from case when m.status = 'void' then 'void' else s.result end
$$;
comment on function trade.dq_bets_disagree_with_selections() is
  'Data-quality check (0 = healthy): settled bets whose result disagrees with their selection''s (void for a void market), i.e. a result changed without trade.settle_bets running again.';

select refresh.define_check('trade_bets_agree_with_selections', null, 'select trade.dq_bets_disagree_with_selections()', 0, null, null, 'error',
  'Settled bets whose result disagrees with their selection''s (a result changed without trade.settle_bets running again): must be 0.');

-- Race-model predictions -------------------------------------------------------------

create or replace function forecast.tg_race_prediction__fill() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev bigint;
  v_fkind text;
begin
  select r.event_id into v_ev from core.runner r where r.runner_id = new.runner_id;
  if not found then
    raise exception 'race prediction for runner %, which does not exist', new.runner_id
      using errcode = '23503', constraint = 'race_prediction_runner_fk', table = 'race_prediction', schema = 'forecast';
  end if;
  new.event_id := v_ev;
  select f.kind into v_fkind from forecast.forecaster f where f.forecaster_id = new.forecaster_id;
  if v_fkind is distinct from 'model' and v_fkind is not null then
    raise exception 'forecaster % is a %: race predictions come from models', new.forecaster_id, v_fkind
      using errcode = 'SL087';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_race_prediction__fill() is
  'Before insert or update of forecast.race_prediction: copies the runner''s event_id; only a model forecaster predicts races (SL087).';

drop trigger if exists _100_fill on forecast.race_prediction;
create trigger _100_fill
  before insert or update of runner_id, forecaster_id on forecast.race_prediction
  for each row execute function forecast.tg_race_prediction__fill();
