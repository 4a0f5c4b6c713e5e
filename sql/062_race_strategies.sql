-- trade: the race strategies `make demo` runs on a Hong Kong meeting, as data (their
-- trade.strategy rows and parameters) and one set-based function that places their bets,
-- as forecast.create_baseline_predictions does for the NFL models. The bets are
-- historical back-test bets written directly into trade.bet: the function is granted to
-- no role (the demo runs it as the owner or a superuser).
-- Re-applied by `scoreline migrate`; everything here is idempotent.
--
-- SQLSTATEs raised here:
--   SL098  a market.source the race strategies price or bet with (hkjc, betfair) does not exist

create or replace function trade.create_race_strategy_bets(p_event_ids bigint[] default null) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  -- what each strategy bets; the price every strategy reads is the latest hkjc win price
  v_strategies constant jsonb := '[
    {"name": "favourite_back", "version": "1", "source": "hkjc",
     "parameters": {"rule": "back the shortest-priced runner", "stake": 10}},
    {"name": "value_back", "version": "1", "source": "hkjc",
     "parameters": {"rule": "back every runner priced 5 to 10", "min_odds": 5, "max_odds": 10, "stake": 5}},
    {"name": "favourite_lay", "version": "1", "source": "betfair",
     "parameters": {"rule": "lay the shortest-priced runner", "stake": 10}}
  ]'::jsonb;
  v_price_source constant text := 'hkjc';
  -- the bets are placed 5 minutes before the start, at the price seen then
  v_lead constant interval := interval '5 minutes';
  v_missing text;
  v_price_source_id smallint;
  v_from timestamptz;
  v_to timestamptz;
  v_placed integer;
begin
  select string_agg(c.code, ', ' order by c.code) into v_missing
    from (select j.source as code from jsonb_to_recordset(v_strategies) as j(source text)
          union select v_price_source) c
   where not exists (select from market.source s where s.code = c.code);
  if v_missing is not null then
    raise exception 'trade.create_race_strategy_bets: no market.source %', v_missing
      using errcode = 'SL098',
            hint = 'the market migration creates the sources hkjc and betfair; run `scoreline migrate`, or insert the source';
  end if;
  select s.source_id into v_price_source_id from market.source s where s.code = v_price_source;

  insert into trade.strategy (name, version, parameters, active)
  select j.name, j.version, j.parameters, true
    from jsonb_to_recordset(v_strategies) as j(name text, version text, parameters jsonb)
  on conflict (name, version) do nothing;

  -- trade.bet is partitioned by placed_at: the days of the bets exist before the insert
  select min(e.scheduled_start) - v_lead, max(e.scheduled_start) - v_lead into v_from, v_to
    from core.event e
    join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
   where e.kind = 'race' and (p_event_ids is null or e.event_id = any (p_event_ids));
  if v_from is null then
    return 0;
  end if;
  perform maint.ensure_partitions('trade.bet'::regclass, v_from, v_to);

  with race as (
    select e.event_id, m.market_id, e.scheduled_start - v_lead as placed_at
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
     where e.kind = 'race' and (p_event_ids is null or e.event_id = any (p_event_ids))
  ), price as (
    -- a runner's price: its latest win price at the bet's time (a price older than a day is none)
    select r.event_id, r.placed_at, s.selection_id, o.last_traded_price as odds,
           row_number() over (partition by r.event_id order by o.last_traded_price, x.number, s.code) as price_rank
      from race r
      join market.selection s on s.market_id = r.market_id
      left join core.runner x on x.runner_id = s.runner_id
      cross join lateral (
        select o.last_traded_price
          from market.odds_all o
         where o.selection_id = s.selection_id and o.source_id = v_price_source_id
           and o.observed_at <= r.placed_at and o.observed_at > r.placed_at - interval '1 day'
           and o.last_traded_price is not null
         order by o.observed_at desc
         limit 1) o
  ), strategy as (
    select st.strategy_id, st.name, st.parameters, src.source_id
      from jsonb_to_recordset(v_strategies) as j(name text, version text, source text)
      join trade.strategy st on st.name = j.name and st.version = j.version
      join market.source src on src.code = j.source
  ), wanted as (
    select st.strategy_id, st.source_id, p.selection_id, p.odds, p.placed_at,
           case when st.name = 'favourite_lay' then 'lay' else 'back' end as side,
           (st.parameters ->> 'stake')::numeric as stake,
           format('demo:%s:%s', st.name, p.selection_id) as ref
      from price p
      join strategy st
        on case st.name
             when 'value_back' then p.odds between (st.parameters ->> 'min_odds')::numeric and (st.parameters ->> 'max_odds')::numeric
             else p.price_rank = 1 end
  ), placed as (
    insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at, external_ref)
    select w.strategy_id, w.selection_id, w.source_id, w.side, w.odds, w.stake, 'matched', w.placed_at, w.ref
      from wanted w
     where not exists (select from trade.bet b where b.external_ref = w.ref and b.placed_at = w.placed_at)
    returning 1
  )
  select count(*) into v_placed from placed;
  return v_placed;
end;
$$;
comment on function trade.create_race_strategy_bets(bigint[]) is
  'Creates (once) the three race strategies of the demo and places their bets on the race_win markets of the given races (default: every race): favourite_back backs the shortest-priced runner (stake 10, at hkjc), value_back backs every runner priced 5 to 10 (stake 5, at hkjc), favourite_lay lays the shortest-priced runner (stake 10, at betfair, whose commission applies); the price is the runner''s latest hkjc win price (market.odds_all.last_traded_price: a live snapshot or a price the feed kept in market.odds_history) 5 minutes before the start, when the bets are placed, matched. Historical back-test bets, written directly into trade.bet (external_ref demo:<strategy>:<selection>); re-running places only what is missing. SL098 when a source it needs does not exist. Returns the bets placed.';
