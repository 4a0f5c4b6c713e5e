-- forecast: the rules a prediction must obey, the first-touchdown fact, the forecast
-- data-quality checks and the picks view. Scoring is in sql/041_forecast_scoring.sql, the
-- baseline models in sql/042_forecast_baselines.sql. Re-applied by `scoreline migrate`; idempotent.
--
-- SQLSTATEs raised here (SL030-SL059 belong to forecast/scoring/stats):
--   SL030  a prediction at or after the event's start (or made now on an event in progress or over),
--          or a pick changed or moved off an event that has started
--   SL031  a prediction on a market that is not open (settled, void, suspended)
--   SL032  a prediction dated in the future
--   SL033  a prediction-market price linked to an external market of another selection
--   SL034  a first touchdown recorded for an event that is not a game
--   SL035  forecast.place_pick in a session that acts for no user (scoreline.user_id unset)
--   SL036  a user's pick dated (predicted_at) by a role without owner authority: the server dates it
--   SL037  a scored pick, or one on a settled or void market, deleted or changed by a role without owner
--          authority; or a user's pick withdrawn once its event has started
--   SL038  forecast.prediction_score written outside forecast.score_event (a role without owner authority)
--
-- Who dates a prediction (docs/scoring.md, docs/security.md): an app (user) pick is stamped
-- with the server time, now(), and refused at or after the event's start by now(); the owner
-- and the worker writing a model's prediction may date it (back-tests), but never at or after
-- the start and never in the future. Settled history (a scored pick, a pick on a settled or
-- void market) is changed or deleted only with owner authority (core.acts_as_owner()).

-- pick_context once took a prediction and a forecaster id and, as its owner, told whether any
-- prediction was scored: a caller could probe other users' picks. What only the caller may
-- know is now judged by the guard with the caller's own rights.
drop function if exists forecast.pick_context(bigint, bigint, bigint);

create or replace function forecast.pick_context(p_selection_id bigint,
  out market_id bigint, out market_type text, out market_status text, out allows_multiple_picks boolean,
  out event_id bigint, out external_id text, out event_status text, out starts timestamptz)
language plpgsql
volatile
security definer -- locks the market row (for share) for sessions without update on market.market
set search_path = pg_catalog, pg_temp
as $$
begin
  select s.market_id, mk.market_type, mk.status, mk.allows_multiple_picks,
         e.event_id, e.external_id, e.status, coalesce(e.actual_start, e.scheduled_start)
    into market_id, market_type, market_status, allows_multiple_picks, event_id, external_id, event_status, starts
    from market.selection s
    join market.market mk on mk.market_id = s.market_id
    join core.event e on e.event_id = mk.event_id
   where s.selection_id = p_selection_id
     for share of mk; -- a settlement running now waits for this pick, or this pick sees it settled
end;
$$;
comment on function forecast.pick_context(bigint) is
  'What the prediction guard judges a pick''s selection by: its market (locked for share, so that a settlement running now waits for the pick or the pick sees it settled), the event, its status and its start (actual, else scheduled). market_id is null for an unknown selection. Security definer only for the lock (the app may not lock market rows); it returns nothing the app and the worker cannot read, and nothing about predictions.';

create or replace function forecast.pick_state(p_prediction_id bigint, p_forecaster_id bigint, out forecaster_kind text, out scored boolean)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  -- with the caller's rights: the app sees its own user's scores (the only picks it may change), the worker every score
  select (select f.kind from forecast.forecaster f where f.forecaster_id = p_forecaster_id),
         p_prediction_id is not null
         and exists (select from forecast.prediction_score ps where ps.prediction_id = p_prediction_id)
$$;
comment on function forecast.pick_state(bigint, bigint) is
  'The forecaster''s kind and whether the prediction is scored, read with the caller''s rights (not security definer): the prediction guard asks it about the row being changed, which row-level security lets the caller see.';

create or replace function forecast.tg_prediction__guard() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
declare
  v_ctx record;
  v_old record;
  v_state record;
  v_pick_changed boolean;
begin
  if tg_op = 'DELETE' then
    if core.acts_as_owner() then
      return old; -- the owner's correction path (a cascade from a deleted market runs as the owner too)
    end if;
    v_ctx := forecast.pick_context(old.selection_id);
    v_state := forecast.pick_state(old.prediction_id, old.forecaster_id);
    if v_state.scored or v_ctx.market_status in ('settled', 'void') then
      raise exception 'prediction % (forecaster %, event % (%)) is %: settled history is kept', old.prediction_id, old.forecaster_id,
        v_ctx.event_id, v_ctx.external_id, case when v_state.scored then 'scored' else 'on a ' || v_ctx.market_status || ' market' end
        using errcode = 'SL037',
              hint = 'a settled pick is deleted only by the owner role (a correction)';
    end if;
    if v_state.forecaster_kind = 'user' and now() >= v_ctx.starts then
      raise exception 'prediction % (forecaster %): event % (%) started at %; a pick is not withdrawn once the event has started',
        old.prediction_id, old.forecaster_id, v_ctx.event_id, v_ctx.external_id,
        to_char(v_ctx.starts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
        using errcode = 'SL037',
              hint = 'picks close at the start, for changes and withdrawals alike';
    end if;
    return old;
  end if;

  if tg_op = 'UPDATE' then
    if (new.*) is not distinct from (old.*) then
      return new;
    end if;
    v_old := forecast.pick_context(old.selection_id);
    if not core.acts_as_owner() then
      v_state := forecast.pick_state(old.prediction_id, old.forecaster_id);
      if v_state.scored or v_old.market_status in ('settled', 'void') then
        raise exception 'prediction % (forecaster %, event % (%)) is %: settled history is not changed', old.prediction_id, old.forecaster_id,
          v_old.event_id, v_old.external_id, case when v_state.scored then 'scored' else 'on a ' || v_old.market_status || ' market' end
          using errcode = 'SL037',
                hint = 'a settled pick is changed only by the owner role (a correction)';
      end if;
    end if;
    v_pick_changed := (new.forecaster_id, new.selection_id, new.market_id, new.probability, new.odds, new.stake,
                       new.predicted_home_score, new.predicted_away_score, new.predicted_at)
                      is distinct from
                      (old.forecaster_id, old.selection_id, old.market_id, old.probability, old.odds, old.stake,
                       old.predicted_home_score, old.predicted_away_score, old.predicted_at);
    if not v_pick_changed then
      return new; -- nothing about the pick itself changed (features, say)
    end if;
    -- the pick's present event closes it too: moving a pick off an event that has started is a
    -- change (or withdrawal) after the start, whatever the new target
    if now() >= v_old.starts then
      raise exception 'prediction % (forecaster %): event % (%) started at %; a pick is not changed or moved once its event has started',
        old.prediction_id, old.forecaster_id, v_old.event_id, v_old.external_id,
        to_char(v_old.starts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
        using errcode = 'SL030',
              hint = 'picks close at the start of their event, for changes and moves alike';
    end if;
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

  v_ctx := forecast.pick_context(new.selection_id);
  v_state := forecast.pick_state(null, new.forecaster_id);
  if v_ctx.market_id is null then
    raise exception 'prediction refused: no selection %', new.selection_id
      using errcode = '23503', constraint = 'prediction_selection_fk', table = 'prediction', schema = 'forecast';
  end if;

  new.market_id := coalesce(new.market_id, v_ctx.market_id); -- a different market fails prediction_selection_fk
  new.one_per_market := not v_ctx.allows_multiple_picks;

  -- a user's pick is dated by the server unless the owner writes it (demo picks, repairs)
  if v_state.forecaster_kind = 'user' and not core.acts_as_owner() then
    if tg_op = 'UPDATE' then
      new.predicted_at := now(); -- a changed pick is made now
    elsif new.predicted_at <> now() then
      raise exception 'prediction refused: forecaster % is a user, whose picks are dated by the server (now()), not %',
        new.forecaster_id, new.predicted_at
        using errcode = 'SL036',
              hint = 'leave predicted_at to its default, or call forecast.place_pick(selection_id, ...)';
    end if;
  end if;

  if v_ctx.market_status <> 'open' then
    raise exception 'prediction refused: the % market % on event % (%) is %', v_ctx.market_type, v_ctx.market_id, v_ctx.event_id,
      v_ctx.external_id, v_ctx.market_status
      using errcode = 'SL031',
            hint = 'predictions are accepted only while a market is open';
  end if;
  if new.predicted_at > now() then
    raise exception 'prediction refused: predicted_at % is in the future', new.predicted_at
      using errcode = 'SL032',
            hint = 'leave predicted_at to its default, now()';
  end if;
  if new.predicted_at >= v_ctx.starts or (tg_op = 'UPDATE' and now() >= v_ctx.starts)
     or (v_ctx.event_status not in ('scheduled', 'postponed') and (tg_op = 'UPDATE' or new.predicted_at >= now())) then
    raise exception 'prediction refused: event % (%) % at %; picks close at the start',
      v_ctx.event_id, v_ctx.external_id,
      case when v_ctx.event_status in ('scheduled', 'postponed') then 'started' else 'is ' || v_ctx.event_status || ', scheduled to start' end,
      to_char(v_ctx.starts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
      using errcode = 'SL030',
            hint = 'a prediction must be made (predicted_at) before the event''s start';
  end if;
  return new;
end;
$$;
comment on function forecast.tg_prediction__guard() is
  'Before insert, update or delete of forecast.prediction: refuses NaN odds or stake (as their range constraints, which NaN passes); fills market_id and one_per_market from the selection''s market; refuses a pick on a market that is not open (SL031), dated in the future (SL032), at or after the event''s start (SL030, naming the event and its start), or, made now (or changed), on an event no longer scheduled or postponed (in progress, completed, abandoned, cancelled: SL030, whatever its scheduled start says; a back-dated prediction of a back-test is judged by its date). A change is judged on both ends: the new selection as a new pick, and the pick''s present event, which must not have started (SL030), so a pick is not moved off a game in progress. A user''s pick written by a role without owner authority is dated by the server: predicted_at must be now() on insert (SL036) and becomes now() when the pick changes. Without owner authority (core.acts_as_owner()) a scored pick, or one on a settled or void market, is neither changed nor deleted, and a user''s pick is not withdrawn once its event has started (SL037).';

drop trigger if exists _100_guard on forecast.prediction;
create trigger _100_guard
  before insert or update or delete on forecast.prediction
  for each row execute function forecast.tg_prediction__guard();

create or replace function forecast.place_pick(
  p_selection_id bigint,
  p_odds numeric default null,
  p_stake numeric default 1,
  p_probability numeric default null,
  p_features jsonb default '{}',
  p_predicted_home_score smallint default null,
  p_predicted_away_score smallint default null
) returns forecast.prediction
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_user bigint := forecast.acting_user_id(); -- SL141 for an id that names no user forecaster
  v_pick forecast.prediction;
begin
  if v_user is null then
    raise exception 'forecast.place_pick: the session acts for no user'
      using errcode = 'SL035', hint = 'set scoreline.user_id to the user''s forecaster_id first (set local scoreline.user_id = ''42'')';
  end if;
  -- the guard judges it: market open (SL031), before the start by the server's clock (SL030)
  insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability, features,
                                   predicted_home_score, predicted_away_score, predicted_at)
  values (v_user, p_selection_id, p_odds, coalesce(p_stake, 1), p_probability, coalesce(p_features, '{}'),
          p_predicted_home_score, p_predicted_away_score, now())
  returning * into v_pick;
  return v_pick;
end;
$$;
comment on function forecast.place_pick(bigint, numeric, numeric, numeric, jsonb, smallint, smallint) is
  'The app''s way to make a pick for the user it acts for (scoreline.user_id; SL035 when unset, SL141 when it names no user forecaster): predicted_at = now(), refused on a market that is not open (SL031) and at or after the event''s start by the server''s clock (SL030); the constraints of forecast.prediction name the rest (prediction_one_per_market, prediction_selection_once, prediction_selection_fk, prediction_odds_above_one). Returns the prediction. The app changes or withdraws it before the start with UPDATE or DELETE (row-level security).';

create or replace function forecast.tg_prediction_score__guard() returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if not core.acts_as_owner() then
    raise exception 'forecast.prediction_score is written by scoring (forecast.score_event), not by %', lower(tg_op)
      using errcode = 'SL038',
            hint = 'score with forecast.score_event(event_id) (worker.score_event); correct a result with core.correct_event_result';
  end if;
  return null;
end;
$$;
comment on function forecast.tg_prediction_score__guard() is
  'Before each statement writing forecast.prediction_score: only owner authority writes scores (forecast.score_event, security definer; the owner role), SL038 otherwise. Deleting a prediction (the owner''s) takes its score with it through the foreign key, which runs as the table''s owner.';

drop trigger if exists _050_guard on forecast.prediction_score;
create trigger _050_guard
  before insert or update or delete on forecast.prediction_score
  for each statement execute function forecast.tg_prediction_score__guard();

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

create or replace function forecast.dq_scores_disagree_with_selections() returns numeric
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select count(*)::numeric
    from forecast.prediction_score ps
    join forecast.prediction p on p.prediction_id = ps.prediction_id
    join market.market m on m.market_id = p.market_id
    join market.selection s on s.selection_id = p.selection_id
   where ps.outcome is distinct from case when m.status = 'void' or s.result = 'void' then 'void'
                                          when s.result = 'won' then 'win'
                                          when s.result = 'lost' then 'loss' end
$$;
comment on function forecast.dq_scores_disagree_with_selections() is
  'Data-quality check (0 = healthy): scores whose outcome disagrees with their selection''s result (won: win, lost: loss, void or a void market: void; no result: no score), i.e. a result or a score changed without re-scoring. forecast.score_event leaves none.';

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
select refresh.define_check('forecast_scores_agree_with_selections', null, 'select forecast.dq_scores_disagree_with_selections()', 0, null, null,
  'error', 'Scores whose outcome disagrees with their selection''s result (a result or a score changed without re-scoring): must be 0.');
