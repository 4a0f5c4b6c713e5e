-- forecast: the rules a prediction must obey, scoring, the first-touchdown fact,
-- and the forecast data-quality checks. Re-applied by `scoreline migrate`; idempotent.
--
-- SQLSTATEs raised here (SL030-SL059 belong to forecast/scoring/stats):
--   SL030  a prediction at or after the event's start
--   SL031  a prediction on a market that is not open (settled, void, suspended)
--   SL032  a prediction dated in the future
--   SL033  a prediction-market price linked to an external market of another selection
--   SL034  a first touchdown recorded for an event that is not a game
--   SL040  no such event (forecast.score_event, market.settle_event)

create or replace function forecast.tg_prediction__guard() returns trigger
language plpgsql
volatile
security definer -- locks the market row (for share) for sessions without update on market.market
set search_path = pg_catalog, pg_temp
as $$
declare
  m record;
  starts timestamptz;
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
    into m
    from market.selection s
    join market.market mk on mk.market_id = s.market_id
    join core.event e on e.event_id = mk.event_id
   where s.selection_id = new.selection_id
     for share of mk; -- a settlement running now waits for this pick, or this pick sees it settled
  if not found then
    raise exception 'prediction refused: no selection %', new.selection_id
      using errcode = '23503', constraint = 'prediction_selection_fk', table = 'prediction', schema = 'forecast';
  end if;

  new.market_id := coalesce(new.market_id, m.market_id); -- a different market fails prediction_selection_fk
  new.one_per_market := not m.allows_multiple_picks;
  starts := m.starts;

  if m.market_status <> 'open' then
    raise exception 'prediction refused: the % market % on event % (%) is %', m.market_type, m.market_id, m.event_id, m.external_id, m.market_status
      using errcode = 'SL031',
            hint = 'predictions are accepted only while a market is open';
  end if;
  if new.predicted_at > now() then
    raise exception 'prediction refused: predicted_at % is in the future', new.predicted_at
      using errcode = 'SL032',
            hint = 'leave predicted_at to its default, now()';
  end if;
  if new.predicted_at >= starts or (tg_op = 'UPDATE' and now() >= starts) then
    raise exception 'prediction refused: event % (%) started at %; picks close at the start',
      m.event_id, m.external_id, to_char(starts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
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
  pick_selection bigint;
  external_selection bigint;
  external_name text;
begin
  select p.selection_id into pick_selection from forecast.prediction p where p.prediction_id = new.prediction_id;
  select x.selection_id, x.external_id || ' ' || x.outcome into external_selection, external_name
    from market.external_market x where x.external_market_id = new.external_market_id;
  if pick_selection is not null and external_name is not null and external_selection is distinct from pick_selection then
    raise exception 'prediction % is on selection %, but external market % (%) is linked to selection %',
      new.prediction_id, pick_selection, new.external_market_id, external_name, coalesce(external_selection::text, 'none')
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
  ev record;
begin
  select e.event_id, e.external_id, e.kind into ev from core.event e where e.event_id = new.event_id;
  if found and ev.kind <> 'game' then
    raise exception 'event % (%) is a %: only a game has a first touchdown', ev.event_id, ev.external_id, ev.kind
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

create or replace function forecast.score_event(p_event_id bigint) returns integer
language plpgsql
volatile
strict
set search_path = pg_catalog, pg_temp
set work_mem = '64MB'
as $$
declare
  rv integer;
  scored integer;
begin
  -- one scorer per event at a time; a second call waits, then finds nothing to change
  perform pg_advisory_xact_lock(hashtext('scoreline.score_event'), hashtext(p_event_id::text));

  perform market.settle_event(p_event_id); -- raises SL040 for an unknown event
  select e.result_version into rv from core.event e where e.event_id = p_event_id;

  -- predictions whose market is no longer settled (a withdrawn result) lose their score
  delete from forecast.prediction_score ps
   where ps.event_id = p_event_id
     and not exists (select from forecast.prediction p
                       join market.market m on m.market_id = p.market_id
                      where p.prediction_id = ps.prediction_id
                        and m.status in ('settled', 'void')
                        and m.event_id = p_event_id);

  with preds as (
    select p.prediction_id, p.forecaster_id, p.market_id, p.selection_id, p.probability, p.odds, p.stake,
           m.market_type, m.status as market_status, m.places, s.result, s.runner_id
      from market.market m
      join forecast.prediction p on p.market_id = m.market_id
      join market.selection s on s.selection_id = p.selection_id
     where m.event_id = p_event_id
       and m.status in ('settled', 'void')
  ),
  market_size as (
    -- forecasters with a prediction on the market (several picks by one count once)
    select d.market_id, count(*) as forecasters
      from (select pr.market_id, pr.forecaster_id from preds pr group by pr.market_id, pr.forecaster_id) d
     group by d.market_id
  ),
  selection_points as (
    -- rarity and the points a win earns depend only on the selection: computed once per selection
    -- (a forecaster picks a selection at most once, so count(*) counts forecasters)
    select x.market_id, x.selection_id, x.rarity_share,
           coalesce(rule.points_min, 2)
             + round((coalesce(rule.points_max, 6) - coalesce(rule.points_min, 2))
                     * power(1 - x.rarity_share, coalesce(rule.curve_exponent, 1)) / coalesce(rule.points_step, 1))
               * coalesce(rule.points_step, 1) as win_points,
           coalesce(rule.loss_points, 0) as loss_points,
           coalesce(rule.log_loss_epsilon, 1e-15) as eps
      from (select pr.market_id, pr.selection_id, pr.market_type, count(*)::numeric / ms.forecasters as rarity_share
              from preds pr
              join market_size ms on ms.market_id = pr.market_id
             group by pr.market_id, pr.selection_id, pr.market_type, ms.forecasters) x
      left join forecast.scoring_rule rule on rule.market_type = x.market_type
  ),
  dead_heat as (
    -- bookmakers' dead-heat rule: runners tied on the last paid place share it
    select r.runner_id,
           least(1, greatest(0, paid.n - (select count(*) from core.runner a where a.event_id = r.event_id and a.finish_position < r.finish_position))::numeric
                    / (select count(*) from core.runner t where t.event_id = r.event_id and t.finish_position = r.finish_position)) as factor,
           paid.market_type
      from core.runner r
     cross join lateral (select distinct pr.market_type, case pr.market_type when 'race_win' then 1 else pr.places end as n
                           from preds pr where pr.runner_id = r.runner_id) paid
     where r.event_id = p_event_id and r.finish_position is not null
  ),
  computed as (
    select pr.prediction_id, pr.forecaster_id, pr.probability, pr.odds, pr.stake,
           o.outcome, sp.rarity_share, sp.win_points, sp.loss_points, sp.eps,
           coalesce(dh.factor, 1) as factor
      from preds pr
      join selection_points sp on sp.market_id = pr.market_id and sp.selection_id = pr.selection_id
      left join dead_heat dh on dh.runner_id = pr.runner_id and dh.market_type = pr.market_type
     cross join lateral (select case when pr.market_status = 'void' or pr.result = 'void' then 'void'
                                     when pr.result = 'won' then 'win'
                                     when pr.result = 'lost' then 'loss' end as outcome) o
     where o.outcome is not null
  ),
  scored_rows as (
    select c.prediction_id, c.forecaster_id, c.outcome, c.rarity_share,
           case c.outcome when 'win' then c.win_points when 'loss' then c.loss_points else 0 end as points,
           case when c.outcome in ('win', 'loss') and c.odds is not null then c.stake else 0 end as staked,
           case when c.odds is null then null
                when c.outcome = 'win' then c.stake * (c.factor * c.odds - 1)
                when c.outcome = 'loss' then -c.stake
                else 0 end as units,
           c.probability,
           case when c.probability is not null and c.outcome <> 'void'
                then power(c.probability::float8 - case c.outcome when 'win' then 1 else 0 end, 2) end as brier,
           case when c.probability is null or c.outcome = 'void' then null
                when c.outcome = 'win' then -ln(greatest(c.eps, least(1 - c.eps, c.probability::float8)))
                else -ln(1 - greatest(c.eps, least(1 - c.eps, c.probability::float8))) end as log_loss
      from computed c
  )
  insert into forecast.prediction_score as ps
         (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, units,
          probability, brier, log_loss, result_version, scored_at)
  select s.prediction_id, s.forecaster_id, p_event_id, s.outcome, s.points, s.rarity_share, s.staked, s.units,
         s.probability, s.brier, s.log_loss, rv, now()
    from scored_rows s
  on conflict (prediction_id) do update
     set forecaster_id = excluded.forecaster_id,
         event_id = excluded.event_id,
         outcome = excluded.outcome,
         points = excluded.points,
         rarity_share = excluded.rarity_share,
         staked = excluded.staked,
         units = excluded.units,
         probability = excluded.probability,
         brier = excluded.brier,
         log_loss = excluded.log_loss,
         result_version = excluded.result_version,
         scored_at = excluded.scored_at
   where (ps.forecaster_id, ps.event_id, ps.outcome, ps.points, ps.rarity_share, ps.staked, ps.units,
          ps.probability, ps.brier, ps.log_loss, ps.result_version)
         is distinct from
         (excluded.forecaster_id, excluded.event_id, excluded.outcome, excluded.points, excluded.rarity_share, excluded.staked,
          excluded.units, excluded.probability, excluded.brier, excluded.log_loss, excluded.result_version);

  select count(*) into scored from forecast.prediction_score ps where ps.event_id = p_event_id;
  return scored;
end;
$$;
comment on function forecast.score_event(bigint) is
  'Settles the event (market.settle_event), then (re)computes every prediction score of the event in one set-based statement: outcome, points by the market type''s forecast.scoring_rule, rarity share, units at the odds taken (dead-heat reduced), Brier score and log loss. Idempotent (unchanged scores are not rewritten), serialised per event by an advisory lock; scores of markets no longer settled are removed. Returns the number of scored predictions of the event.';

create or replace function forecast.record_first_touchdown(p_event_id bigint, p_player_id bigint, p_team_id integer default null, p_source text default null)
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  ev_status text;
begin
  insert into forecast.first_touchdown as ft (event_id, player_id, team_id, source)
  values (p_event_id, p_player_id, p_team_id, p_source)
  on conflict (event_id) do update
     set player_id = excluded.player_id, team_id = excluded.team_id, source = excluded.source, recorded_at = now()
   where (ft.player_id, ft.team_id) is distinct from (excluded.player_id, excluded.team_id);
  select e.status into ev_status from core.event e where e.event_id = p_event_id;
  if ev_status in ('completed', 'abandoned', 'cancelled') then
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

-- Baseline forecasters for the demo and for comparison: they predict every open
-- match_result market from the data already loaded.

create or replace function forecast.create_baseline_predictions(p_seed text default 'scoreline') returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  k constant double precision := 20;
  home_advantage constant double precision := 50;
  initial constant double precision := 1500;
  draw_rate constant double precision := 0.26;
  ratings jsonb := '{}';
  ev record;
  rh double precision;
  ra double precision;
  eh double precision;
  sh double precision;
  elo_events bigint[] := '{}';
  elo_codes text[] := '{}';
  elo_probs double precision[] := '{}';
  elo_features jsonb[] := '{}';
  total integer := 0;
  n integer;
begin
  insert into forecast.forecaster (kind, name, version, model_type, hyperparameters)
  values ('model', 'bookmaker_favourite', '1', 'favourite', '{"sources": ["bet365", "pinnacle", "market_average", "consensus"]}'),
         ('model', 'always_home', '1', 'always_home', '{}'),
         ('model', 'random', '1', 'random', jsonb_build_object('seed', p_seed)),
         ('model', 'elo', '1', 'elo', jsonb_build_object('k', k, 'home_advantage', home_advantage, 'initial', initial, 'draw_rate', draw_rate))
  on conflict (name, version) where kind = 'model' do nothing;

  -- favourite, always home, random: one set-based insert over every open match_result selection
  with candidate as (
    select m.market_id, s.selection_id, s.code, e.external_id,
           least(now() - interval '1 second', e.scheduled_start - interval '1 hour') as predicted_at,
           (coalesce(e.metadata -> 'odds' -> 'bet365', e.metadata -> 'odds' -> 'pinnacle',
                     e.metadata -> 'odds' -> 'market_average', e.metadata -> 'odds' -> 'consensus') ->> s.code)::numeric as price
      from market.market m
      join core.event e on e.event_id = m.event_id
      join market.selection s on s.market_id = m.market_id
     where m.market_type = 'match_result' and m.status = 'open'
       and e.kind in ('match', 'game')
       and s.code in ('home', 'draw', 'away')
  ),
  priced as (
    select c.*,
           (1 / c.price) / sum(1 / c.price) over (partition by c.market_id) as implied,
           row_number() over (partition by c.market_id order by c.price nulls last, c.code) as by_price,
           count(*) over (partition by c.market_id) as choices,
           row_number() over (partition by c.market_id order by c.code) as ordinal
      from candidate c
  ),
  chosen as (
    select f.forecaster_id, p.selection_id, p.price, p.implied, p.predicted_at
      from priced p
      join forecast.forecaster f on f.kind = 'model' and f.version = '1'
       and ((f.name = 'bookmaker_favourite' and p.by_price = 1 and p.price is not null)
            or (f.name = 'always_home' and p.code = 'home')
            or (f.name = 'random' and p.ordinal = 1 + (hashtextextended(p.external_id || ':' || p_seed, 0) % p.choices + p.choices) % p.choices))
  ),
  ins as (
    insert into forecast.prediction (forecaster_id, selection_id, odds, probability, predicted_at)
    select c.forecaster_id, c.selection_id, c.price, round(c.implied, 6), c.predicted_at
      from chosen c
    on conflict do nothing
    returning 1
  )
  select count(*) into n from ins;
  total := total + n;

  -- Elo: ratings move game by game in time order, so this one walks the events in order
  -- (each prediction uses only results before its event); a single insert follows.
  for ev in
    select e.event_id, e.kind, e.home_team_id, e.away_team_id, e.home_score, e.away_score, e.status
      from core.event e
     where e.kind in ('match', 'game') and e.home_team_id is not null
     order by e.scheduled_start, e.event_id
  loop
    rh := coalesce((ratings ->> ev.home_team_id::text)::double precision, initial);
    ra := coalesce((ratings ->> ev.away_team_id::text)::double precision, initial);
    eh := 1 / (1 + power(10, (ra - rh - home_advantage) / 400));
    elo_events := elo_events || ev.event_id;
    elo_codes := elo_codes || case when eh >= 0.5 then 'home' else 'away' end;
    elo_probs := elo_probs || (greatest(eh, 1 - eh) * case when ev.kind = 'match' then 1 - draw_rate else 1 end);
    elo_features := elo_features || jsonb_build_object('home_rating', round(rh::numeric, 1), 'away_rating', round(ra::numeric, 1));
    if ev.status = 'completed' then
      sh := case when ev.home_score > ev.away_score then 1 when ev.home_score = ev.away_score then 0.5 else 0 end;
      ratings := ratings || jsonb_build_object(ev.home_team_id::text, rh + k * (sh - eh), ev.away_team_id::text, ra - k * (sh - eh));
    end if;
  end loop;

  with elo as (
    select u.event_id, u.code, u.probability, u.features
      from unnest(elo_events, elo_codes, elo_probs, elo_features) as u (event_id, code, probability, features)
  ),
  ins as (
    insert into forecast.prediction (forecaster_id, selection_id, odds, probability, features, predicted_at)
    select f.forecaster_id, s.selection_id,
           (coalesce(e.metadata -> 'odds' -> 'bet365', e.metadata -> 'odds' -> 'pinnacle',
                     e.metadata -> 'odds' -> 'market_average', e.metadata -> 'odds' -> 'consensus') ->> s.code)::numeric,
           round(elo.probability::numeric, 6), elo.features,
           least(now() - interval '1 second', e.scheduled_start - interval '1 hour')
      from elo
      join core.event e on e.event_id = elo.event_id
      join market.market m on m.event_id = e.event_id and m.market_type = 'match_result' and m.status = 'open'
      join market.selection s on s.market_id = m.market_id and s.code = elo.code
      join forecast.forecaster f on f.kind = 'model' and f.name = 'elo' and f.version = '1'
    on conflict do nothing
    returning 1
  )
  select count(*) into n from ins;
  return total + n;
end;
$$;
comment on function forecast.create_baseline_predictions(text) is
  'Creates (once) four baseline models and their predictions on every open match_result market: bookmaker_favourite (the lowest price among bet365, pinnacle, market_average or consensus in core.event.metadata->odds, at that price, with the normalised implied probability), always_home, random (a hash of the event and p_seed: the same picks on every run) and elo (ratings from earlier results only: K 20, home advantage 50, start 1500; never predicts a draw). Re-running adds only what is missing. Returns the predictions created.';

create or replace function forecast.create_demo_picks(p_users integer default 3, p_weeks integer default 4) returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  n integer;
begin
  insert into forecast.forecaster (kind, name, handle)
  select 'user', 'Demo user ' || i, 'demo_user_' || i from generate_series(1, p_users) i
  on conflict (lower(handle)) where kind = 'user' do nothing;

  -- first-touchdown markets on the first weeks of every season with rosters, their
  -- selections the skill players on both rosters
  insert into market.market (event_id, market_type)
  select e.event_id, 'first_td_scorer'
    from core.event e
   where e.kind = 'game' and e.week_number <= p_weeks
     and exists (select from core.roster r where r.season_id = e.season_id)
  on conflict (event_id, market_type) do nothing;

  insert into market.selection (market_id, code, label, player_id)
  select m.market_id, p.external_id, p.full_name, p.player_id
    from core.event g
    join market.market m on m.event_id = g.event_id and m.market_type = 'first_td_scorer' and m.status = 'open'
    join core.roster r on r.season_id = g.season_id and r.team_id in (g.home_team_id, g.away_team_id) and r.position in ('QB', 'RB', 'WR', 'TE')
    join core.player p on p.player_id = r.player_id
   where g.kind = 'game' and g.week_number <= p_weeks
  on conflict (market_id, code) do nothing;

  insert into market.selection (market_id, code, label)
  select m.market_id, 'none', 'No touchdown'
    from market.market m
   where m.market_type = 'first_td_scorer' and m.status = 'open'
  on conflict (market_id, code) do nothing;

  -- each demo user picks one player per game, the same on every run (a hash of user and game)
  with choice as (
    select f.forecaster_id, s.selection_id, e.scheduled_start,
           row_number() over (partition by f.forecaster_id, m.market_id order by hashtextextended(f.handle || ':' || s.code, 0)) as rn
      from forecast.forecaster f
      join market.market m on m.market_type = 'first_td_scorer' and m.status = 'open'
      join core.event e on e.event_id = m.event_id and e.week_number <= p_weeks
      join market.selection s on s.market_id = m.market_id and s.player_id is not null
     where f.kind = 'user' and f.handle like 'demo\_user\_%'
  ), ins as (
    insert into forecast.prediction (forecaster_id, selection_id, odds, predicted_at)
    select c.forecaster_id, c.selection_id, 8.0, least(now() - interval '1 second', c.scheduled_start - interval '1 hour')
      from choice c where c.rn = 1
    on conflict do nothing
    returning 1
  )
  select count(*) into n from ins;
  return n;
end;
$$;
comment on function forecast.create_demo_picks(integer, integer) is
  'Demo pick''em: creates p_users users (demo_user_N), first_td_scorer markets on the games of the first p_weeks weeks of seasons that have rosters (selections: QB, RB, WR and TE of both rosters, and none), and one first-touchdown pick per user per game at 8.0. Idempotent. The picks settle once forecast.record_first_touchdown names the scorer. Returns the picks created.';
