-- forecast: baseline forecasters for the demo and for comparison, and the demo's pick'em
-- users. Re-applied by `scoreline migrate`; idempotent.

-- The baseline models predict every open match_result market from the data already loaded.

create or replace function forecast.create_baseline_predictions(p_seed text default 'scoreline') returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_k constant double precision := 20;
  v_home_advantage constant double precision := 50;
  v_initial constant double precision := 1500;
  v_draw_rate constant double precision := 0.26;
  v_ratings jsonb := '{}'::jsonb;
  v_ev record;
  v_rh double precision;
  v_ra double precision;
  v_eh double precision;
  v_sh double precision;
  v_elo_events bigint[] := '{}'::bigint[];
  v_elo_codes text[] := '{}'::text[];
  v_elo_probs double precision[] := '{}'::double precision[];
  v_elo_features jsonb[] := '{}'::jsonb[];
  v_total integer := 0;
  v_n integer;
begin
  insert into forecast.forecaster (kind, name, version, model_type, hyperparameters)
  values ('model', 'bookmaker_favourite', '1', 'favourite', '{"sources": ["bet365", "pinnacle", "market_average", "consensus"]}'),
         ('model', 'always_home', '1', 'always_home', '{}'),
         ('model', 'random', '1', 'random', jsonb_build_object('seed', p_seed)),
         ('model', 'elo', '1', 'elo', jsonb_build_object('k', v_k, 'home_advantage', v_home_advantage, 'initial', v_initial, 'draw_rate', v_draw_rate))
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
  select count(*) into v_n from ins;
  v_total := v_total + v_n;

  -- Elo: ratings move game by game in time order, so this one walks the events in order
  -- (each prediction uses only results before its event); a single insert follows.
  for v_ev in
    select e.event_id, e.kind, e.home_team_id, e.away_team_id, e.home_score, e.away_score, e.status
      from core.event e
     where e.kind in ('match', 'game') and e.home_team_id is not null
     order by e.scheduled_start, e.event_id
  loop
    v_rh := coalesce((v_ratings ->> v_ev.home_team_id::text)::double precision, v_initial);
    v_ra := coalesce((v_ratings ->> v_ev.away_team_id::text)::double precision, v_initial);
    v_eh := 1 / (1 + power(10, (v_ra - v_rh - v_home_advantage) / 400));
    v_elo_events := v_elo_events || v_ev.event_id;
    v_elo_codes := v_elo_codes || case when v_eh >= 0.5 then 'home' else 'away' end;
    v_elo_probs := v_elo_probs || (greatest(v_eh, 1 - v_eh) * case when v_ev.kind = 'match' then 1 - v_draw_rate else 1 end);
    v_elo_features := v_elo_features || jsonb_build_object('home_rating', round(v_rh::numeric, 1), 'away_rating', round(v_ra::numeric, 1));
    if v_ev.status = 'completed' then
      v_sh := case when v_ev.home_score > v_ev.away_score then 1 when v_ev.home_score = v_ev.away_score then 0.5 else 0 end;
      v_ratings := v_ratings || jsonb_build_object(v_ev.home_team_id::text, v_rh + v_k * (v_sh - v_eh), v_ev.away_team_id::text, v_ra - v_k * (v_sh - v_eh));
    end if;
  end loop;

  with elo as (
    select u.event_id, u.code, u.probability, u.features
      from unnest(v_elo_events, v_elo_codes, v_elo_probs, v_elo_features) as u (event_id, code, probability, features)
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
  select count(*) into v_n from ins;
  return v_total + v_n;
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
  v_n integer;
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
  select count(*) into v_n from ins;
  return v_n;
end;
$$;
comment on function forecast.create_demo_picks(integer, integer) is
  'Demo pick''em: creates p_users users (demo_user_N), first_td_scorer markets on the games of the first p_weeks weeks of seasons that have rosters (selections: QB, RB, WR and TE of both rosters, and none), and one first-touchdown pick per user per game at 8.0. Idempotent. The picks settle once forecast.record_first_touchdown names the scorer. Returns the picks created.';
