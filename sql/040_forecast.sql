-- forecast: the rules a prediction must obey, the first-touchdown fact, the forecast
-- data-quality checks and the picks view. Scoring is in sql/041_forecast_scoring.sql, the
-- baseline models in sql/042_forecast_baselines.sql. Re-applied by `scoreline migrate`; idempotent.
--
-- SQLSTATEs raised here (SL030-SL059 belong to forecast/scoring/stats):
--   SL030  a prediction at or after the event's start
--   SL031  a prediction on a market that is not open (settled, void, suspended)
--   SL032  a prediction dated in the future
--   SL033  a prediction-market price linked to an external market of another selection
--   SL034  a first touchdown recorded for an event that is not a game

create or replace function forecast.tg_prediction__guard() returns trigger
language plpgsql
volatile
security definer -- locks the market row (for share) for sessions without update on market.market
set search_path = pg_catalog, pg_temp
as $$
declare
  v_m record;
  v_starts timestamptz;
begin
  if tg_op = 'UPDATE'
     and (new.forecaster_id, new.selection_id, new.market_id, new.probability, new.odds, new.stake,
          new.predicted_home_score, new.predicted_away_score, new.predicted_at)
         is not distinct from
         (old.forecaster_id, old.selection_id, old.market_id, old.probability, old.odds, old.stake,
          old.predicted_home_score, old.predicted_away_score, old.predicted_at) then
    return new; -- nothing about the pick itself changed (features, say)
  end if;
  -- numeric NaN compares greater than every number, so the range checks alone let it through
  if new.odds = 'NaN'::numeric then
    raise exception 'prediction refused: odds NaN is not a number above 1'
      using errcode = '23514', constraint = 'prediction_odds_above_one', table = 'prediction', schema = 'forecast';
  end if;
  if new.stake = 'NaN'::numeric then
    raise exception 'prediction refused: stake NaN is not a number of units (0 or more)'
      using errcode = '23514', constraint = 'prediction_stake_non_negative', table = 'prediction', schema = 'forecast';
  end if;

  select s.market_id, mk.market_type, mk.status as market_status, mk.allows_multiple_picks,
         e.event_id, e.external_id, coalesce(e.actual_start, e.scheduled_start) as starts
    into v_m
    from market.selection s
    join market.market mk on mk.market_id = s.market_id
    join core.event e on e.event_id = mk.event_id
   where s.selection_id = new.selection_id
     for share of mk; -- a settlement running now waits for this pick, or this pick sees it settled
  if not found then
    raise exception 'prediction refused: no selection %', new.selection_id
      using errcode = '23503', constraint = 'prediction_selection_fk', table = 'prediction', schema = 'forecast';
  end if;

  new.market_id := coalesce(new.market_id, v_m.market_id); -- a different market fails prediction_selection_fk
  new.one_per_market := not v_m.allows_multiple_picks;
  v_starts := v_m.starts;

  if v_m.market_status <> 'open' then
    raise exception 'prediction refused: the % market % on event % (%) is %', v_m.market_type, v_m.market_id, v_m.event_id, v_m.external_id, v_m.market_status
      using errcode = 'SL031',
            hint = 'predictions are accepted only while a market is open';
  end if;
  if new.predicted_at > now() then
    raise exception 'prediction refused: predicted_at % is in the future', new.predicted_at
      using errcode = 'SL032',
            hint = 'leave predicted_at to its default, now()';
  end if;
  if new.predicted_at >= v_starts or (tg_op = 'UPDATE' and now() >= v_starts) then
    raise exception 'prediction refused: event % (%) started at %; picks close at the start',
      v_m.event_id, v_m.external_id, to_char(v_starts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
      using errcode = 'SL030',
            hint = 'a prediction must be made (predicted_at) before the event''s start';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_prediction__guard() is
  'Before insert or update of forecast.prediction: refuses NaN odds or stake (as their range constraints, which NaN passes); fills market_id and one_per_market from the selection''s market; refuses a pick on a market that is not open (SL031), dated in the future (SL032), or at or after the event''s start (SL030, naming the event and its start).';

drop trigger if exists _100_guard on forecast.prediction;
create trigger _100_guard
  before insert or update on forecast.prediction
  for each row execute function forecast.tg_prediction__guard();

create or replace function forecast.tg_prediction_market_price__same_selection() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_pick_selection bigint;
  v_external_selection bigint;
  v_external_name text;
begin
  select p.selection_id into v_pick_selection from forecast.prediction p where p.prediction_id = new.prediction_id;
  select x.selection_id, x.external_id || ' ' || x.outcome into v_external_selection, v_external_name
    from market.external_market x where x.external_market_id = new.external_market_id;
  if v_pick_selection is not null and v_external_name is not null and v_external_selection is distinct from v_pick_selection then
    raise exception 'prediction % is on selection %, but external market % (%) is linked to selection %',
      new.prediction_id, v_pick_selection, new.external_market_id, v_external_name, coalesce(v_external_selection::text, 'none')
      using errcode = 'SL033',
            hint = 'link the external market to the selection first (market.external_market.selection_id)';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_prediction_market_price__same_selection() is
  'Before insert or update of forecast.prediction_market_price: the external market must be linked to the pick''s own selection (SL033).';

drop trigger if exists _100_same_selection on forecast.prediction_market_price;
create trigger _100_same_selection
  before insert or update on forecast.prediction_market_price
  for each row execute function forecast.tg_prediction_market_price__same_selection();

create or replace function forecast.tg_first_touchdown__game_only() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev record;
begin
  select e.event_id, e.external_id, e.kind into v_ev from core.event e where e.event_id = new.event_id;
  if found and v_ev.kind <> 'game' then
    raise exception 'event % (%) is a %: only a game has a first touchdown', v_ev.event_id, v_ev.external_id, v_ev.kind
      using errcode = 'SL034';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_first_touchdown__game_only() is 'Before insert or update of forecast.first_touchdown: only games (NFL) have one (SL034).';

drop trigger if exists _100_game_only on forecast.first_touchdown;
create trigger _100_game_only
  before insert or update on forecast.first_touchdown
  for each row execute function forecast.tg_first_touchdown__game_only();

create or replace function forecast.record_first_touchdown(p_event_id bigint, p_player_id bigint, p_team_id integer default null, p_source text default null)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ev_status text;
begin
  insert into forecast.first_touchdown as ft (event_id, player_id, team_id, source)
  values (p_event_id, p_player_id, p_team_id, p_source)
  on conflict (event_id) do update
     set player_id = excluded.player_id, team_id = excluded.team_id, source = excluded.source, recorded_at = now()
   where (ft.player_id, ft.team_id) is distinct from (excluded.player_id, excluded.team_id);
  select e.status into v_ev_status from core.event e where e.event_id = p_event_id;
  if v_ev_status in ('completed', 'abandoned', 'cancelled') then
    return forecast.score_event(p_event_id);
  end if;
  return 0;
end;
$$;
comment on function forecast.record_first_touchdown(bigint, bigint, integer, text) is
  'Records (or corrects) who scored the first touchdown of a game (p_player_id null = no touchdown) and, when the game is settled, re-scores it. Returns the scored predictions (0 when the game is not over).';

create or replace function forecast.dq_duplicate_picks() returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select (select count(*) from (select 1 from forecast.prediction p
                                 group by p.forecaster_id, p.selection_id having count(*) > 1) d)
       + (select count(*) from (select 1 from forecast.prediction p where p.one_per_market
                                 group by p.forecaster_id, p.market_id having count(*) > 1) d)
       + (select count(*) from (select 1 from forecast.prediction p
                                  join market.market m on m.market_id = p.market_id
                                 where not m.allows_multiple_picks
                                 group by p.forecaster_id, p.market_id having count(*) > 1) d)::numeric;
$$;
comment on function forecast.dq_duplicate_picks() is
  'Data-quality check (0 = healthy): groups of predictions that repeat a forecaster''s selection, or several picks by one forecaster on a single-pick market.';

create or replace function forecast.dq_orphaned_rows() returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select ((select count(*) from forecast.prediction_score ps
            left join forecast.prediction p on p.prediction_id = ps.prediction_id
            left join market.market m on m.market_id = p.market_id
           where p.prediction_id is null or ps.forecaster_id <> p.forecaster_id or ps.event_id <> m.event_id)
        + (select count(*) from forecast.prediction p
            left join market.selection s on s.selection_id = p.selection_id
           where s.selection_id is null or s.market_id <> p.market_id)
        + (select count(*) from forecast.prediction_score ps
            join market.market m on m.event_id = ps.event_id
            join forecast.prediction p on p.prediction_id = ps.prediction_id and p.market_id = m.market_id
           where m.status not in ('settled', 'void'))
        + (select count(*) from stats.player_stats st
            left join core.player pl on pl.player_id = st.player_id
           where pl.player_id is null))::numeric;
$$;
comment on function forecast.dq_orphaned_rows() is
  'Data-quality check (0 = healthy): scores without their prediction or disagreeing with it about forecaster or event, predictions whose selection is gone or in another market, scores of markets that are no longer settled, player statistics of unknown players.';

create or replace view forecast.pick as
select p.prediction_id,
       p.forecaster_id,
       f.kind as forecaster_kind,
       f.handle,
       e.event_id,
       e.external_id as event_external_id,
       e.season_id,
       e.week_number,
       m.market_id,
       m.market_type,
       p.selection_id,
       s.code as selection_code,
       s.label as selection_label,
       s.player_id,
       coalesce(pos.position, case when s.player_id is not null then 'UNK' end) as position,
       p.odds,
       p.stake,
       p.probability,
       p.predicted_at,
       s.result,
       ps.outcome,
       ps.points,
       ps.units
  from forecast.prediction p
  join forecast.forecaster f on f.forecaster_id = p.forecaster_id
  join market.market m on m.market_id = p.market_id
  join core.event e on e.event_id = m.event_id
  join market.selection s on s.selection_id = p.selection_id
  left join forecast.prediction_score ps on ps.prediction_id = p.prediction_id
  left join lateral (select r.position from core.roster r
                      where r.player_id = s.player_id and r.season_id = e.season_id
                      order by (r.team_id in (e.home_team_id, e.away_team_id)) desc, r.roster_id desc
                      limit 1) pos on true;
comment on view forecast.pick is 'Every prediction with its event, week, market, selection, the picked player''s position (from core.roster for that season; UNK without a roster row) and its score once scored: "picks by forecaster and week" read here.';

-- The forecast data-quality checks (refresh.define_check: a DBA's later changes are kept).
select refresh.define_check('forecast_no_orphaned_rows', null, 'select forecast.dq_orphaned_rows()', 0, null, null, 'error',
  'Predictions, picks and scores whose event, market, selection or forecaster is missing: must be 0.');
select refresh.define_check('forecast_no_duplicate_picks', null, 'select forecast.dq_duplicate_picks()', 0, null, null, 'error',
  'Picks chosen twice by one forecaster for one market (or selection): must be 0.');
