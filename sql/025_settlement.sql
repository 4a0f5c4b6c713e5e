-- Settlement: a market's selections get their result (won, lost, void) from the
-- event's result. Re-applied by `scoreline migrate`; idempotent.
--
-- SQLSTATEs raised here:
--   SL040  no such event
--
-- Rules (docs/scoring.md):
--   match_result     home / draw / away from the final score.
--   correct_score    the selection coded '<home>-<away>' wins; 'other' wins when no selection has the score.
--   first_td_scorer  from forecast.first_touchdown: the scorer's selection (player_id) wins; with no
--                    touchdown (player_id null) the selection coded 'none' wins. No row yet = not settled.
--   race_win         runners in position 1 win (a dead heat: every tied runner wins).
--   race_place       runners in positions <= places win (ties on the last paid place all win);
--                    units for dead heats are reduced by forecast.score_event.
--                    Non-runners are void; did_not_finish and disqualified lose. A race with a
--                    declared runner without a result is not settled.
--   binary           resolved by its source; settle_event leaves it alone.
--   abandoned / cancelled event: every market void, every selection void.
--   an event back to scheduled / postponed (a withdrawn result): settled markets reopen, results cleared.

create or replace function market.settle_event(p_event_id bigint) returns integer
language plpgsql
volatile
strict
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
  'Settles every match_result, correct_score, first_td_scorer, race_win and race_place market of an event from its result (score, forecast.first_touchdown, core.runner finishing positions); abandoned or cancelled voids them; a withdrawn result reopens them. Re-runnable after core.correct_event_result. Returns the number of selections whose result changed. Serialised per event with forecast.score_event (advisory lock).';
