-- Settlement: a market's selections get their result (won, lost, void) from the
-- event's result. Re-applied by `scoreline migrate`; idempotent.
--
-- market.settle_event is security definer: the market and selection guards
-- (sql/020_market.sql) let only owner authority write a settlement, and the worker settles
-- through it. market.correct_market is the owner role's correction of a binary market.
--
-- SQLSTATEs raised here:
--   SL010  market.correct_market: no such market
--   SL011  market.correct_market on a market whose result follows its event (not binary)
--   SL012  market.correct_market that changes nothing
--   SL040  no such event
--   22023  market.correct_market with an unknown status, or results that are not
--          {"selection code": won | lost | void | null} for every selection of the market
--
-- Rules (docs/scoring.md):
--   match_result     home / draw / away from the final score.
--   correct_score    the selection coded '<home>-<away>' wins; 'other' wins when no selection has the score.
--   first_td_scorer  from forecast.first_touchdown: the scorer's selection (player_id) wins; with no
--                    touchdown (player_id null) the selection coded 'none' wins. No row yet = not settled.
--   race_win         runners in position 1 win (a dead heat: every tied runner wins).
--   race_place       runners in positions <= places win (ties on the last paid place all win);
--                    what a tied winner is paid follows the dead-heat rule (market.dead_heats,
--                    market.settled_pnl), in scoring's units and in bet settlement alike.
--                    Non-runners are void; did_not_finish and disqualified lose. A race with a
--                    declared runner without a result is not settled.
--   binary           resolved by its source; settle_event leaves it alone.
--   abandoned / cancelled event: every market void, every selection void.
--   an event back to scheduled / postponed (a withdrawn result): settled markets reopen, results cleared.

-- Dead heats and the money of a settled selection ------------------------------------
--
-- The bookmakers' and exchanges' dead-heat rule: when runners tie for the last places paid,
-- a stake on one of them is divided by the number of runners tied and multiplied by the
-- places left for them; that part is paid at full odds, the rest is lost. Two runners
-- tied for first in a win market: half the stake wins at the odds, half is lost. Scoring's
-- units (forecast.score_event) and bet settlement (trade.settle_bets) both pay through
-- market.settled_pnl, with the shares market.dead_heats gives.

create or replace function market.dead_heats(p_event_id bigint)
returns table (selection_id bigint, places integer, tied integer)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  with finisher as (
    select r.runner_id,
           (rank() over (order by r.finish_position) - 1)::integer as ahead,
           (count(*) over (partition by r.finish_position))::integer as tied
      from core.runner r
     where r.event_id = p_event_id and r.status = 'finished' and r.finish_position is not null
  )
  select s.selection_id, (paid.n - f.ahead)::integer, f.tied
    from market.market m
    join market.selection s on s.market_id = m.market_id
    join finisher f on f.runner_id = s.runner_id
   cross join lateral (select case m.market_type when 'race_win' then 1 else m.places end as n) paid
   where m.event_id = p_event_id
     and m.market_type in ('race_win', 'race_place')
     and f.tied > 1
     and paid.n - f.ahead between 1 and f.tied - 1 -- tied on the last places paid, not all of them paid
$$;
comment on function market.dead_heats(bigint) is
  'The dead heats of an event''s race_win and race_place markets: each selection whose runner finished tied with others for the last places paid, with places = the paid places left for the tied runners and tied = how many tied (two runners tied for first in a win market: places 1, tied 2). A winning stake on it is paid places / tied at full odds, the rest lost (market.settled_pnl). Selections without a dead heat on a paid place are not listed (their share is 1). Used by forecast.score_event and trade.settle_bets.';

create or replace function market.settled_pnl(
  p_side text,
  p_odds numeric,
  p_stake numeric,
  p_result text,
  p_places integer default 1,
  p_tied integer default 1
) returns numeric
language sql
immutable
parallel safe
as $$
  -- stake x odds x places / tied - stake, divided last: exact whenever the amount is a decimal
  select case when p_result = 'void' then 0::numeric
              when p_result = 'won' and p_side = 'back' and p_places = p_tied then p_stake * (p_odds - 1)
              when p_result = 'won' and p_side = 'back' then p_stake * p_odds * p_places / p_tied - p_stake
              when p_result = 'won' and p_side = 'lay' and p_places = p_tied then -(p_stake * (p_odds - 1))
              when p_result = 'won' and p_side = 'lay' then p_stake - p_stake * p_odds * p_places / p_tied
              when p_result = 'lost' and p_side = 'back' then -p_stake
              when p_result = 'lost' and p_side = 'lay' then p_stake
         end
$$;
comment on function market.settled_pnl(text, numeric, numeric, text, integer, integer) is
  'Profit or loss, before commission and unrounded, of a stake at decimal odds on a selection settled won, lost or void, by the dead-heat rule: a back bet on a winner pays stake x odds x places / tied - stake (stake x (odds - 1) without a dead heat: places = tied = 1), on a loser -stake; a lay bet is the opposite side of the same back bet (stake - stake x odds x places / tied, or +stake); void 0; null for an unknown side or result. places / tied comes from market.dead_heats. The one rule of both forecast.score_event (units, side back) and trade.settle_bets (which rounds to cents and takes commission).';

create or replace function market.settle_event(p_event_id bigint) returns integer
language plpgsql
volatile
strict
security definer -- settlement is written with owner authority (the market and selection guards)
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev core.event;
  v_changed integer;
begin
  -- the same key as forecast.score_event: one settler/scorer per event at a time
  perform pg_advisory_xact_lock(hashtext('scoreline.score_event'), hashtext(p_event_id::text));

  select * into v_ev from core.event where event_id = p_event_id;
  if not found then
    raise exception 'cannot settle event %: no such event', p_event_id using errcode = 'SL040';
  end if;

  with sel as (
    select s.selection_id, s.code, s.player_id, s.runner_id, s.result, m.market_id, m.market_type, m.places
      from market.market m
      join market.selection s on s.market_id = m.market_id
     where m.event_id = v_ev.event_id
       and m.market_type in ('match_result', 'correct_score', 'first_td_scorer', 'race_win', 'race_place')
  ),
  ft as (
    select f.player_id from forecast.first_touchdown f where f.event_id = v_ev.event_id
  ),
  wanted as (
    select sel.selection_id, sel.market_id, sel.result as old_result,
           case
             when v_ev.status in ('abandoned', 'cancelled') then 'void'
             when v_ev.status <> 'completed' then null
             when sel.market_type = 'match_result' then
               case when sel.code = case sign(v_ev.home_score - v_ev.away_score) when 1 then 'home' when 0 then 'draw' else 'away' end
                    then 'won' else 'lost' end
             when sel.market_type = 'correct_score' then
               case when sel.code = v_ev.home_score || '-' || v_ev.away_score then 'won'
                    when sel.code = 'other'
                         and not exists (select from sel s2 where s2.market_id = sel.market_id and s2.code = v_ev.home_score || '-' || v_ev.away_score)
                    then 'won'
                    else 'lost' end
             when sel.market_type = 'first_td_scorer' then
               case when not exists (select from ft) then null
                    when (select ft.player_id from ft) is null then case when sel.code = 'none' and sel.player_id is null then 'won' else 'lost' end
                    when sel.player_id = (select ft.player_id from ft) then 'won'
                    else 'lost' end
             else -- race_win, race_place
               case when r.runner_id is null then null
                    when r.status = 'non_runner' then 'void'
                    when r.status = 'finished' and r.finish_position <= case sel.market_type when 'race_win' then 1 else sel.places end then 'won'
                    when r.status in ('finished', 'did_not_finish', 'disqualified') then 'lost'
                    else null
               end
           end as result
      from sel
      left join core.runner r on r.runner_id = sel.runner_id and r.event_id = v_ev.event_id
  ),
  market_state as (
    -- a market settles only when every selection has a result; otherwise all stay unsettled
    select m.market_id,
           case when v_ev.status in ('abandoned', 'cancelled') then 'void'
                when v_ev.status = 'completed' and coalesce(bool_and(w.result is not null), true) then 'settled'
                when m.status in ('settled', 'void') then 'open'
                else m.status end as status
      from market.market m
      left join wanted w on w.market_id = m.market_id
     where m.event_id = v_ev.event_id
       and m.market_type in ('match_result', 'correct_score', 'first_td_scorer', 'race_win', 'race_place')
     group by m.market_id, m.status
  ),
  final as (
    select w.selection_id, w.old_result,
           case when ms.status in ('settled', 'void') then w.result end as result
      from wanted w
      join market_state ms on ms.market_id = w.market_id
  ),
  upd_market as (
    update market.market m
       set status = ms.status,
           settled_at = case when ms.status in ('settled', 'void') then now() end,
           settled_result_version = case when ms.status in ('settled', 'void') then v_ev.result_version end
      from market_state ms
     where m.market_id = ms.market_id
       and (m.status, m.settled_result_version) is distinct from
           (ms.status, case when ms.status in ('settled', 'void') then v_ev.result_version end)
    returning m.market_id
  ),
  upd_selection as (
    update market.selection s
       set result = f.result
      from final f
     where s.selection_id = f.selection_id
       and f.old_result is distinct from f.result
    returning s.selection_id
  )
  -- (data-modifying CTEs always run to completion, referenced or not)
  select count(*) into v_changed from upd_selection;

  return v_changed;
end;
$$;
comment on function market.settle_event(bigint) is
  'Settles every match_result, correct_score, first_td_scorer, race_win and race_place market of an event from its result (score, forecast.first_touchdown, core.runner finishing positions); abandoned or cancelled voids them; a withdrawn result reopens them. Re-runnable after core.correct_event_result. Returns the number of selections whose result changed. Serialised per event with forecast.score_event (advisory lock). Security definer: the settlement guards of market.market and market.selection accept its writes (owner authority), not a session''s own updates.';

create or replace function market.correct_market(p_market_id bigint, p_status text, p_results jsonb, p_reason text)
returns market.market_correction
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_market market.market;
  v_event core.event;
  v_old jsonb;
  v_new jsonb;
  v_bad text;
  v_trace market.market_correction;
begin
  select * into v_market from market.market m where m.market_id = p_market_id for update;
  if not found then
    raise exception 'no market %', p_market_id using errcode = 'SL010';
  end if;
  select * into v_event from core.event e where e.event_id = v_market.event_id;
  if v_market.market_type <> 'binary' then
    raise exception 'market % is a % market on event % (%): its result follows the event''s, corrected with core.correct_event_result', v_market.market_id, v_market.market_type,
      v_event.event_id, v_event.external_id
      using errcode = 'SL011',
            hint = 'correct the event''s result with core.correct_event_result(event_id, status, home_score, away_score, reason[, runner_positions]); it re-settles and re-scores the market';
  end if;
  if p_status is null or p_status not in ('settled', 'void', 'open') then
    raise exception 'market %: a correction sets status settled, void or open, not %', v_market.market_id, coalesce(p_status, 'null')
      using errcode = '22023';
  end if;
  if p_results is not null and jsonb_typeof(p_results) <> 'object' then
    raise exception 'market %: results must be a JSON object {"selection code": "won" | "lost" | "void" | null}, not %', v_market.market_id, p_results
      using errcode = '22023';
  end if;
  select string_agg(r.key, ', ' order by r.key) into v_bad
    from jsonb_each(coalesce(p_results, '{}')) r
   where not exists (select from market.selection s where s.market_id = v_market.market_id and s.code = r.key);
  if v_bad is not null then
    raise exception 'market % has no selection %', v_market.market_id, v_bad using errcode = '22023';
  end if;
  select string_agg(format('%s: %s', r.key, r.value), ', ' order by r.key) into v_bad
    from jsonb_each(coalesce(p_results, '{}')) r
   where r.value <> 'null'::jsonb and (jsonb_typeof(r.value) <> 'string' or r.value #>> '{}' not in ('won', 'lost', 'void'));
  if v_bad is not null then
    raise exception 'market %: a result is won, lost, void or null, not %', v_market.market_id, v_bad using errcode = '22023';
  end if;

  select jsonb_object_agg(s.code, s.result order by s.code),
         jsonb_object_agg(s.code, case p_status when 'void' then 'void'
                                                when 'open' then null
                                                else p_results ->> s.code end order by s.code)
    into v_old, v_new
    from market.selection s where s.market_id = v_market.market_id;
  if p_status = 'settled' then
    select string_agg(k.key, ', ' order by k.key) into v_bad from jsonb_each(coalesce(v_new, '{}')) k where k.value = 'null'::jsonb;
    if v_bad is not null then
      raise exception 'market %: a settled market needs a result for every selection; none given for %', v_market.market_id, v_bad
        using errcode = '22023';
    end if;
  end if;
  if v_market.status = p_status and v_old is not distinct from v_new then
    raise exception 'market %: the correction changes nothing', v_market.market_id using errcode = 'SL012';
  end if;

  update market.market m
     set status = p_status,
         settled_at = case when p_status in ('settled', 'void') then now() end,
         settled_result_version = case when p_status in ('settled', 'void') then v_event.result_version end
   where m.market_id = v_market.market_id;
  update market.selection s
     set result = v_new ->> s.code
   where s.market_id = v_market.market_id
     and s.result is distinct from v_new ->> s.code;

  insert into market.market_correction (market_id, corrected_by, reason, old_status, new_status, old_results, new_results)
  values (v_market.market_id, session_user, p_reason, v_market.status, p_status, coalesce(v_old, '{}'), coalesce(v_new, '{}'))
  returning * into v_trace;

  -- re-score the event's predictions (and queue the refresh of the statistics), re-settle its bets
  perform worker.score_event(v_event.event_id);
  perform trade.settle_bets(v_event.event_id);
  return v_trace;
end;
$$;
comment on function market.correct_market(bigint, text, jsonb, text) is
  'The owner role''s correction (or resolution) of a binary market: sets its status (settled, void or open) and its selections'' results ({"selection code": "won" | "lost" | "void" | null}; every selection for settled, all void for void, none for open), leaves a row in market.market_correction, re-scores the event (worker.score_event, which queues the statistics refresh) and re-settles its bets (trade.settle_bets). SL010 no such market, SL011 a market whose result follows its event (use core.correct_event_result), SL012 changes nothing, 22023 bad status or results.';
