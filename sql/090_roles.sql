-- Roles and least privilege (docs/security.md). Applied last by `scoreline migrate`,
-- after every other sql/ file, so objects added since the last run are covered:
-- every grant here is reset and given again on each run.
--
-- The roles (NOLOGIN groups, names in core.db_role, created by the roles migration):
--   owner   full rights on every scoreline schema; the role allowed to correct a settled
--           result directly (core.correct_event_result is the normal path)
--   worker  runs scoring, refresh, ingest, partition maintenance and the job queue
--   app     writes its user's predictions (row-level security by scoreline.user_id),
--           places bets, reads events, markets and statistics
--   reader  statistics (stats.*) and refresh.status only
--   checker the rights data-quality checks run with (refresh.evaluate_check, which it owns):
--           reads the data schemas, calls the dq_* functions; no login, nothing else
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL140  a bad role prefix (migration), or core.db_role lacks a kind
--   SL141  scoreline.user_id is not a forecaster id, or names no user forecaster (a model, or none)
--
-- Owner authority (core.acts_as_owner): current_user is the owner role or one of its members.
-- Superusers are members of every role, and inside a security definer function current_user
-- is the function's owner (the migrating superuser), so the settlement and correction
-- functions have it and a worker or app session does not — whatever settings it sets. The
-- guards of settled history (sql/010_core.sql, 020_market.sql, 040_forecast.sql,
-- 060_trade.sql) ask it.

-- Roles recorded in core.db_role exist on this server (a restored database on a new server).
do $$
declare
  v_r record;
begin
  for v_r in select role_name from core.db_role loop
    if not exists (select from pg_catalog.pg_roles where rolname = v_r.role_name) then
      begin
        execute format('create role %I nologin', v_r.role_name);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end;
$$;

create or replace function core.role_name(p_kind text) returns name
language plpgsql
stable
strict
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_r name;
begin
  select d.role_name into v_r from core.db_role d where d.kind = p_kind;
  if v_r is null then
    raise exception 'no % role recorded in core.db_role', p_kind
      using errcode = 'SL140', hint = 'kinds are owner, worker, app, reader and checker; the roles migrations record them';
  end if;
  return v_r;
end;
$$;
comment on function core.role_name(text) is
  'The database role of a kind (owner, worker, app, reader) as recorded in core.db_role; SL140 for an unknown kind.';

create or replace function core.acts_as_owner() returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.pg_has_role(current_user, core.role_name('owner'), 'MEMBER')
$$;
comment on function core.acts_as_owner() is
  'Owner authority: whether current_user is the owner role or a member (superusers are members of every role). Inside a security definer function current_user is its owner, so market.settle_event, forecast.score_event, trade.settle_bets and the correction functions have it; a worker or app session does not, whatever settings it sets. The guards of settled results, settlements, scores, picks and bets ask it.';

create or replace function core.may_correct_results() returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select core.acts_as_owner()
$$;
comment on function core.may_correct_results() is
  'Whether the current role may change a settled result once scoreline.correcting_event is set: the owner role and its members (superusers are members of every role). core.correct_event_result is security definer, so through it every caller may; an app or worker session setting the setting itself may not (SL002).';

create or replace function forecast.acting_user_id() returns bigint
language plpgsql
stable
security definer -- reads forecast.forecaster whatever the caller may read
set search_path = pg_catalog, pg_temp
as $$
declare
  v_setting text := nullif(btrim(current_setting('scoreline.user_id', true)), '');
  v_kind text;
begin
  if v_setting is null then
    return null; -- no user: row-level security shows nothing and accepts nothing
  end if;
  if v_setting !~ '^[1-9][0-9]{0,17}$' then
    raise exception 'scoreline.user_id % is not a forecaster id', v_setting
      using errcode = 'SL141', hint = 'set scoreline.user_id to the forecaster_id of the user the session acts for';
  end if;
  select f.kind into v_kind from forecast.forecaster f where f.forecaster_id = v_setting::bigint;
  if v_kind is distinct from 'user' then
    raise exception 'scoreline.user_id % names no user forecaster (%)', v_setting, coalesce('a ' || v_kind, 'no forecaster has that id')
      using errcode = 'SL141', hint = 'an app session acts for a user (forecast.forecaster kind user); models'' predictions are written by the worker';
  end if;
  return v_setting::bigint;
end;
$$;
comment on function forecast.acting_user_id() is
  'The forecaster_id an app session acts for: the setting scoreline.user_id (set by the app, e.g. set local scoreline.user_id = ''42''); null when unset; SL141 when it is not a positive whole number or names no forecaster of kind user (a model, or none). The row-level security policies of forecast.prediction, prediction_score and prediction_market_price compare with it as (select forecast.acting_user_id()), an initplan evaluated once per statement; forecast.place_pick writes for it.';

create or replace function forecast.is_forecaster_kind(p_forecaster_id bigint, p_kind text) returns boolean
language sql
stable
strict
security definer
set search_path = pg_catalog, pg_temp
as $$
  select exists (select from forecast.forecaster f where f.forecaster_id = p_forecaster_id and f.kind = p_kind)
$$;
comment on function forecast.is_forecaster_kind(bigint, text) is
  'Whether a forecaster is of that kind (model or user): the row-level security policies use it so that the worker writes only models'' predictions and an app session only its user''s picks.';

-- ---------------------------------------------------------------------------
-- Privileges: reset, then granted
-- ---------------------------------------------------------------------------

-- Functions the migrating role creates from now on are not executable by PUBLIC.
-- (Per-schema default privileges can only add, so this is the global form.)
alter default privileges revoke execute on routines from public;

do $$
declare
  v_schemas text[] := array['core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker'];
  v_s text;
  v_r name;
  v_owner_r name := core.role_name('owner');
  v_worker_r name := core.role_name('worker');
  v_app_r name := core.role_name('app');
  v_reader_r name := core.role_name('reader');
  v_roles name[] := array[core.role_name('owner'), core.role_name('worker'), core.role_name('app'), core.role_name('reader')];
  v_f text;
  v_t text;
begin
  foreach v_s in array v_schemas loop
    if to_regnamespace(v_s) is null then
      continue;
    end if;
    execute format('revoke all on schema %I from public', v_s);
    execute format('revoke all on all tables in schema %I from public', v_s);
    execute format('revoke all on all sequences in schema %I from public', v_s);
    execute format('revoke all on all routines in schema %I from public', v_s);
    foreach v_r in array v_roles loop
      execute format('revoke all on schema %I from %I', v_s, v_r);
      execute format('revoke all on all tables in schema %I from %I', v_s, v_r);
      execute format('revoke all on all sequences in schema %I from %I', v_s, v_r);
      execute format('revoke all on all routines in schema %I from %I', v_s, v_r);
    end loop;

    -- owner: all the data, none of the code. No CREATE on the schemas and no TRIGGER on the
    -- tables: a superuser runs this schema's code (migrations, the event triggers, refreshes,
    -- and through the security definer functions every settlement), and a trigger or function
    -- an owner-role login added would run with the superuser's rights. Objects are the
    -- migrating role's.
    execute format('grant usage on schema %I to %I', v_s, v_owner_r);
    execute format('grant select, insert, update, delete, truncate, references on all tables in schema %I to %I', v_s, v_owner_r);
    execute format('grant all on all sequences in schema %I to %I', v_s, v_owner_r);
    execute format('grant execute on all routines in schema %I to %I', v_s, v_owner_r);
  end loop;

  -- worker: reads every scoreline table, writes the ones its procedures write
  foreach v_s in array array['core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker'] loop
    execute format('grant usage on schema %I to %I', v_s, v_worker_r);
    execute format('grant select on all tables in schema %I to %I', v_s, v_worker_r);
  end loop;
  foreach v_s in array array['core', 'market', 'ingest', 'stats'] loop
    execute format('grant insert, update, delete on all tables in schema %I to %I', v_s, v_worker_r);
  end loop;
  foreach v_s in array array['core', 'market', 'ingest', 'refresh', 'maint', 'worker', 'stats'] loop
    execute format('grant usage on all sequences in schema %I to %I', v_s, v_worker_r);
  end loop;
  -- the role registry is the owner's: a worker rewriting it would have the next migrate grant
  -- the owner's rights (or own the check evaluator) to whichever role it names
  execute format('revoke insert, update, delete on core.db_role from %I', v_worker_r);
  -- refresh, maint, worker: exactly what the worker's procedures write as the worker (the
  -- security definer functions write the rest). Definitions (refresh.object's method and
  -- function, checks, dependencies, partition policies) are the owner's; audit rows
  -- (refresh.run, maint.maintenance_log, worker.recovery) are appended, never deleted.
  execute format('grant update (stale_since, next_refresh_at, last_refresh_at, last_duration, last_status, last_error) on refresh.object to %I', v_worker_r);
  execute format('grant insert on refresh.run to %I', v_worker_r);
  execute format('grant update (status, finished_at, duration, rows_before, rows_after, error_sqlstate, error_message, error_detail, error_context) on refresh.run to %I', v_worker_r);
  execute format('grant insert, update on refresh.checkpoint to %I', v_worker_r);
  execute format('grant insert on maint.maintenance_log to %I', v_worker_r);
  execute format('grant insert, update on worker.heartbeat to %I', v_worker_r);
  execute format('grant insert on worker.recovery to %I', v_worker_r);
  execute format('grant update on worker.setting to %I', v_worker_r);
  -- nor the traces corrections leave (core.acts_as_owner also reads the owner role's name from
  -- core.db_role): written by the owner and the security definer correction functions only
  execute format('revoke insert, update, delete on core.event_correction, market.market_correction from %I', v_worker_r);
  -- nor the reference data settlement reads (a transition out of completed would be a silent
  -- correction; a source's commission rate re-prices every settled bet at the next trade.settle_bets)
  execute format('revoke insert, update, delete on core.event_status_transition, market.source, market.market_type from %I', v_worker_r);
  -- nor price history: the prices loaded from files (market.odds_history) are written by a
  -- running load through market.write_odds_history (security definer), the downsampled bars
  -- (market.odds_bar_1m) by maint.downsample_odds; captured snapshots are appended (COPY),
  -- never rewritten or deleted but by the definer functions of maintenance and the selection's
  -- delete trigger. Partitions are tables of their own: revoked on each, the default too.
  for v_t in
    select c.oid::regclass::text from pg_catalog.pg_class c
     where c.oid in ('market.odds_history'::regclass, 'market.odds_bar_1m'::regclass)
        or c.oid in (select i.inhrelid from pg_catalog.pg_inherits i where i.inhparent = 'market.odds_history'::regclass)
  loop
    execute format('revoke insert, update, delete on %s from %I', v_t, v_worker_r);
  end loop;
  for v_t in
    select c.oid::regclass::text from pg_catalog.pg_class c
     where c.oid = 'market.odds_snapshot'::regclass
        or c.oid in (select i.inhrelid from pg_catalog.pg_inherits i where i.inhparent = 'market.odds_snapshot'::regclass)
  loop
    execute format('revoke update, delete on %s from %I', v_t, v_worker_r);
  end loop;
  foreach v_t in array array['forecast.prediction', 'forecast.prediction_score', 'forecast.first_touchdown',
                           'forecast.prediction_market_price', 'trade.performance_invalidation', 'trade.performance_watermark'] loop
    execute format('grant insert, update, delete on %s to %I', v_t::regclass, v_worker_r);
  end loop;
  execute format('grant insert on forecast.forecaster to %I', v_worker_r);     -- models
  -- bets: an exchange's report (matched, void, cancelled; its reference); settlement is trade.settle_bets
  execute format('grant update (status, external_ref) on trade.bet to %I', v_worker_r);
  execute format('grant usage on all sequences in schema forecast to %I', v_worker_r);
  -- the job queue is the worker's own
  if to_regnamespace('graphile_worker') is not null then
    execute format('grant usage on schema graphile_worker to %I', v_worker_r);
    execute format('grant select, insert, update, delete on all tables in schema graphile_worker to %I', v_worker_r);
    execute format('grant usage on all sequences in schema graphile_worker to %I', v_worker_r);
    execute format('grant execute on all routines in schema graphile_worker to %I', v_worker_r);
    -- graphile-worker turns row-level security on for its private tables (no policy: only
    -- their owner sees rows); the worker and owner roles get a policy of their own
    for v_t in select c.oid::regclass::text from pg_catalog.pg_class c
              where c.relnamespace = 'graphile_worker'::regnamespace and c.relkind in ('r', 'p') and c.relrowsecurity loop
      execute format('drop policy if exists scoreline_worker on %s', v_t);
      execute format('create policy scoreline_worker on %s to %I, %I using (true) with check (true)', v_t, v_worker_r, v_owner_r);
    end loop;
  end if;
  -- the worker's entry points and what they call, function by function
  foreach v_f in array array[
    'worker.score_event(bigint,integer)', 'worker.score_events(bigint[],integer)', 'worker.claim_score_jobs(text,bigint,integer)',
    'worker.complete_score_jobs(bigint[],text)', 'worker.release_score_jobs(bigint[],text)', 'worker.maintain(interval)', 'worker.nightly_sync()',
    'worker.enqueue_unscored()', 'worker.enqueue_owed()', 'worker.enqueue_refresh(text,integer)', 'worker.beat(text,text[],text,integer,integer,text)',
    'worker.recover_stale_workers(interval,text)', 'worker.add_job(text,json,text,timestamptz,integer,text)',
    'worker.scoring_priority(timestamptz)',
    'forecast.score_event(bigint)', 'forecast.score_events(bigint[])', 'forecast.record_first_touchdown(bigint,bigint,integer,text)',
    'forecast.dq_duplicate_picks()', 'forecast.dq_orphaned_rows()', 'forecast.dq_scores_disagree_with_selections()',
    'trade.dq_bets_disagree_with_selections()', 'forecast.create_baseline_predictions(text)',
    'forecast.acting_user_id()', 'forecast.is_forecaster_kind(bigint,text)',
    'market.settle_event(bigint)', 'core.correct_event_result(bigint,text,smallint,smallint,text,jsonb)',
    'forecast.correct_first_touchdown(bigint,bigint,integer,text)',
    'core.role_name(text)', 'core.may_correct_results()',
    'stats.recompute_player_stats(integer[],bigint[])', 'stats.recompute_player_stats_of_selections(bigint[])',
    'stats.dq_unknown_position_share()', 'stats.dq_model_stats_mismatch(integer)', 'stats.model_stats_full()',
    'stats.apply_model_stats(bigint[],bigint[])', 'stats.fold_model_stats(regclass,jsonb)', 'stats.rebuild_model_stats()', 'stats.dq_model_stats_incremental_vs_full()',
    'refresh.run_due(text,regclass,boolean,boolean)', 'refresh.refresh_object(regclass,text,bigint,text,boolean)',
    'refresh.lock_key(regclass)', 'refresh.writer_lock_key(regclass)', 'refresh.qualified_name(regclass)', 'refresh.assert_trigger_source(text)',
    'refresh.resolve_function(text)', 'refresh.validate_parameters(jsonb)', 'refresh.effective_method(regclass)',
    'refresh.catalog_parents()', 'refresh.computed_sources()', 'refresh.sync(text)', 'refresh.check_expectation(numeric,numeric,numeric)',
    'refresh.run_checks(regclass,bigint)', 'refresh.run_check(text,bigint)', 'refresh.sqlstate_reason(text)', 'refresh.blocked_reason(regclass)', 'refresh.ensure_run_partitions(timestamptz,integer)',
    'refresh.maintain_run_partitions(interval)', 'refresh.reap(regclass)', 'refresh.refresh_relation(regclass,boolean)',
    'refresh.levels()', 'refresh.plan(regclass,boolean)', 'refresh.explain(text)', 'refresh.begin_pass()',
    'refresh.checkpoint_start(text,text,bigint,interval)', 'refresh.checkpoint_resume(text,text)',
    'refresh.checkpoint_advance(bigint,bigint,jsonb,interval)', 'refresh.checkpoint_complete(bigint)',
    'trade.settle_bets(bigint)', 'trade.hour_of(timestamptz)',
    'trade.assert_bettable(bigint,text)', 'trade.match_bet(bigint,text)',
    'core.acts_as_owner()', 'market.selections_in_use(bigint[])', 'forecast.pick_context(bigint)', 'forecast.pick_state(bigint,bigint)',
    'trade.refresh_strategy_performance(timestamptz)', 'trade.refresh_strategy_performance(regclass,jsonb)',
    'maint.run_partition_maintenance()', 'maint.run_partition_maintenance(timestamptz)', 'maint.partition_key(regclass)',
    'maint.partition_unit(interval)', 'maint.partition_has_rows(regclass,name,timestamptz,timestamptz)',
    'maint.ensure_partitions(regclass,timestamptz,timestamptz)', 'maint.default_partition_rows()',
    'maint.drop_partition(regclass,regclass)', 'maint.downsample_partition(regclass,regclass)', 'worker.prune_history()',
    'ingest.american_to_decimal(integer)', 'ingest.football_season_label(date)', 'ingest.name_key(text)',
    'ingest.begin_merge(bigint,text)', 'ingest.finish_batch(bigint,integer,integer,integer,boolean)',
    'ingest.competition(text)', 'ingest.advance_current_season(integer,text[])', 'ingest.merge_events(bigint)',
    'ingest.merge_nfl_games(bigint,boolean)', 'ingest.merge_football_data(bigint,boolean)',
    'ingest.merge_nfl_players(bigint,boolean)', 'ingest.merge_hkjc_results(bigint,boolean)',
    'ingest.merge_external_markets(text)', 'ingest.merge_polymarket_markets(bigint,boolean)',
    'ingest.merge_kalshi_markets(bigint,boolean)', 'core.team_for_code(smallint,text,integer)',
    'market.keep_odds_history(bigint)', 'market.write_odds_history(bigint,timestamptz[],bigint[],smallint[],numeric[])', 'ingest.keep_football_data_odds(bigint)', 'ingest.analyze_staging(bigint)'
  ] loop
    if to_regprocedure(v_f) is null then
      raise notice 'sql/090_roles.sql: % does not exist; the worker is not granted it', v_f;
      continue;
    end if;
    execute format('grant execute on routine %s to %I', to_regprocedure(v_f), v_worker_r);
  end loop;

  -- app: reference data, its user's predictions, bets, statistics
  foreach v_s in array array['core', 'market', 'forecast', 'stats', 'trade'] loop
    execute format('grant usage on schema %I to %I', v_s, v_app_r);
  end loop;
  foreach v_s in array array['core', 'market', 'stats'] loop
    execute format('grant select on all tables in schema %I to %I', v_s, v_app_r);
  end loop;
  execute format('revoke select on core.db_role from %I', v_app_r);
  execute format('grant select on forecast.forecaster, forecast.scoring_rule, forecast.first_touchdown, forecast.pick to %I', v_app_r);
  execute format('grant select, delete on forecast.prediction to %I', v_app_r);
  -- predicted_at is the server's (its default now(), stamped again by the guard on a change)
  execute format('grant insert (forecaster_id, market_id, selection_id, predicted_home_score, predicted_away_score, probability, odds, stake, features) on forecast.prediction to %I', v_app_r);
  execute format('grant update (selection_id, market_id, predicted_home_score, predicted_away_score, probability, odds, stake, features) on forecast.prediction to %I', v_app_r);
  execute format('grant select on forecast.prediction_score to %I', v_app_r);
  execute format('grant select, insert, delete on forecast.prediction_market_price to %I', v_app_r);
  execute format('grant select on trade.strategy, trade.bet to %I', v_app_r);
  -- bets are placed by trade.place_bet (a direct insert meets the same guard); status,
  -- placed_at and matched_at are the server's
  execute format('grant insert (strategy_id, selection_id, source_id, side, odds, stake, external_ref) on trade.bet to %I', v_app_r);
  execute format('grant usage on sequence trade.bet_bet_id_seq to %I', v_app_r);
  foreach v_f in array array['forecast.acting_user_id()', 'forecast.is_forecaster_kind(bigint,text)', 'core.role_name(text)',
                           'core.may_correct_results()', 'core.acts_as_owner()', 'forecast.pick_context(bigint)', 'forecast.pick_state(bigint,bigint)',
                           'forecast.place_pick(bigint,numeric,numeric,numeric,jsonb,smallint,smallint)',
                           'trade.place_bet(integer,bigint,integer,text,numeric,numeric,text)', 'trade.match_bet(bigint,text)',
                           'trade.assert_bettable(bigint,text)'] loop
    if to_regprocedure(v_f) is null then
      raise notice 'sql/090_roles.sql: % does not exist; the app is not granted it', v_f;
      continue;
    end if;
    execute format('grant execute on routine %s to %I', to_regprocedure(v_f), v_app_r);
  end loop;

  -- reader: statistics and the freshness table
  execute format('grant usage on schema stats, refresh to %I', v_reader_r);
  execute format('grant select on all tables in schema stats to %I', v_reader_r);
  execute format('grant select on refresh.status to %I', v_reader_r);
  foreach v_f in array array['refresh.blocked_reason(regclass)', 'refresh.check_expectation(numeric,numeric,numeric)', 'refresh.sqlstate_reason(text)',
                           'refresh.effective_method(regclass)', 'refresh.qualified_name(regclass)'] loop
    execute format('grant execute on routine %s to %I', to_regprocedure(v_f), v_reader_r);
  end loop;
end;
$$;

-- Advisory locks serialise the worker's scoring, settlement, refreshes, player statistics and
-- merges (forecast.score_event, refresh.lock_key, ...). Their keys are no secret, so a session
-- that may take them may hold them and stall that work: in this database only the owner and
-- worker groups may (function privileges are per database). The lock functions belong to the
-- bootstrap superuser: a migrating role that is not one cannot change them, and warns when
-- PUBLIC still has them (docker/initdb/scoreline-bootstrap.sh revokes them there).
do $$
declare
  v_f regprocedure;
  v_owner_r name := core.role_name('owner');
  v_worker_r name := core.role_name('worker');
  v_open text;
begin
  if (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) then
    for v_f in select p.oid::regprocedure from pg_catalog.pg_proc p
                where p.pronamespace = 'pg_catalog'::regnamespace
                  and p.proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$' order by 1::text loop
      execute format('revoke execute on function %s from public', v_f);
      execute format('grant execute on function %s to %I, %I', v_f, v_owner_r, v_worker_r);
    end loop;
  else
    select string_agg(p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', ', ' order by p.oid::regprocedure::text)
      into v_open
      from pg_catalog.pg_proc p
     where p.pronamespace = 'pg_catalog'::regnamespace
       and p.proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$'
       -- a routine's only privilege is the one to call it: PUBLIC holds it when listed (grantee 0)
       and exists (select from pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a where a.grantee = 0);
    if v_open is not null then
      raise warning 'sql/090_roles.sql: % is not a superuser and cannot revoke the advisory lock functions from PUBLIC: the app and reader roles can hold the worker''s locks (%)', current_user, v_open
        using hint = 'run docker/initdb/scoreline-bootstrap.sh once as a superuser (it revokes them in this database)';
    end if;
  end if;
end;
$$;

-- checker: what data-quality checks run with (refresh.evaluate_check, sql/032_refresh_checks.sql):
-- read the data schemas and call the dq_* functions, nothing more (no refresh, ingest or
-- worker internals, no job queue, no function that writes). Reset, then granted, like the rest.
do $$
declare
  v_checker name := core.role_name('checker');
  v_s text;
  v_f record;
begin
  foreach v_s in array array['core', 'market', 'forecast', 'stats', 'refresh', 'trade', 'ingest', 'maint', 'worker', 'graphile_worker'] loop
    if to_regnamespace(v_s) is null then
      continue;
    end if;
    execute format('revoke all on schema %I from %I', v_s, v_checker);
    execute format('revoke all on all tables in schema %I from %I', v_s, v_checker);
    execute format('revoke all on all sequences in schema %I from %I', v_s, v_checker);
    execute format('revoke all on all routines in schema %I from %I', v_s, v_checker);
  end loop;
  foreach v_s in array array['core', 'market', 'forecast', 'stats', 'trade', 'maint'] loop
    execute format('grant usage on schema %I to %I', v_s, v_checker);
    execute format('grant select on all tables in schema %I to %I', v_s, v_checker);
  end loop;
  execute format('revoke select on core.db_role from %I', v_checker);
  -- the data-quality functions, and the one they read through; a security definer one would
  -- run as its owner with the check's arguments, so it is not granted
  for v_f in
    select p.oid::regprocedure as fn, p.prosecdef
      from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('core', 'market', 'forecast', 'stats', 'trade', 'maint') and p.prokind = 'f'
       and (p.proname like 'dq\_%' or p.oid = pg_catalog.to_regprocedure('stats.model_stats_full()'))
     order by 1::text
  loop
    if v_f.prosecdef then
      raise warning 'sql/090_roles.sql: % is security definer: the checker role is not granted it', v_f.fn
        using hint = 'a data-quality function runs with the rights of the check (the checker role): drop security definer';
      continue;
    end if;
    execute format('grant execute on routine %s to %I', v_f.fn, v_checker);
  end loop;
end;
$$;

-- ---------------------------------------------------------------------------
-- Row-level security: a user's picks
-- ---------------------------------------------------------------------------

alter table forecast.prediction enable row level security;
alter table forecast.prediction_score enable row level security;
alter table forecast.prediction_market_price enable row level security;

-- picks by forecast.pick are filtered for the session that reads them
alter view forecast.pick set (security_invoker = true);

do $$
declare
  v_owner_r name := core.role_name('owner');
  v_worker_r name := core.role_name('worker');
  v_app_r name := core.role_name('app');
begin
  drop policy if exists prediction_owner on forecast.prediction;
  drop policy if exists prediction_worker_read on forecast.prediction;
  drop policy if exists prediction_worker_insert on forecast.prediction;
  drop policy if exists prediction_worker_update on forecast.prediction;
  drop policy if exists prediction_worker_delete on forecast.prediction;
  drop policy if exists prediction_app_user on forecast.prediction;
  execute format('create policy prediction_owner on forecast.prediction to %I using (true) with check (true)', v_owner_r);
  execute format('create policy prediction_worker_read on forecast.prediction for select to %I using (true)', v_worker_r);
  execute format($p$create policy prediction_worker_insert on forecast.prediction for insert to %I
                    with check (forecast.is_forecaster_kind(forecaster_id, 'model'))$p$, v_worker_r);
  execute format($p$create policy prediction_worker_update on forecast.prediction for update to %I
                    using (forecast.is_forecaster_kind(forecaster_id, 'model'))
                    with check (forecast.is_forecaster_kind(forecaster_id, 'model'))$p$, v_worker_r);
  execute format($p$create policy prediction_worker_delete on forecast.prediction for delete to %I
                    using (forecast.is_forecaster_kind(forecaster_id, 'model'))$p$, v_worker_r);
  -- (select ...): an initplan, evaluated once per statement, not once per row; acting_user_id()
  -- itself refuses an id that names no user forecaster (SL141)
  execute format($p$create policy prediction_app_user on forecast.prediction to %I
                    using (forecaster_id = (select forecast.acting_user_id()))
                    with check (forecaster_id = (select forecast.acting_user_id()))$p$, v_app_r);

  drop policy if exists prediction_score_owner on forecast.prediction_score;
  drop policy if exists prediction_score_worker on forecast.prediction_score;
  drop policy if exists prediction_score_app_user on forecast.prediction_score;
  execute format('create policy prediction_score_owner on forecast.prediction_score to %I using (true) with check (true)', v_owner_r);
  execute format('create policy prediction_score_worker on forecast.prediction_score to %I using (true) with check (true)', v_worker_r);
  execute format($p$create policy prediction_score_app_user on forecast.prediction_score for select to %I
                    using (forecaster_id = (select forecast.acting_user_id()))$p$, v_app_r);

  drop policy if exists prediction_market_price_owner on forecast.prediction_market_price;
  drop policy if exists prediction_market_price_worker on forecast.prediction_market_price;
  drop policy if exists prediction_market_price_app_user on forecast.prediction_market_price;
  execute format('create policy prediction_market_price_owner on forecast.prediction_market_price to %I using (true) with check (true)', v_owner_r);
  execute format('create policy prediction_market_price_worker on forecast.prediction_market_price to %I using (true) with check (true)', v_worker_r);
  -- the prediction must be visible to the session, i.e. its user's (the subquery is itself under row-level security)
  execute format($p$create policy prediction_market_price_app_user on forecast.prediction_market_price to %I
                    using (exists (select from forecast.prediction p where p.prediction_id = prediction_market_price.prediction_id))
                    with check (exists (select from forecast.prediction p where p.prediction_id = prediction_market_price.prediction_id))$p$, v_app_r);
end;
$$;
comment on policy prediction_app_user on forecast.prediction is
  'An app session sees and changes only the picks of the user it acts for: forecaster_id = scoreline.user_id (forecast.acting_user_id(), once per statement), which must name a user forecaster (SL141 for a model or an unknown id).';
comment on policy prediction_worker_read on forecast.prediction is 'The worker reads every prediction (scoring).';
comment on policy prediction_worker_insert on forecast.prediction is 'The worker writes models'' predictions only, never a user''s pick.';
comment on policy prediction_worker_update on forecast.prediction is 'The worker changes models'' predictions only.';
comment on policy prediction_worker_delete on forecast.prediction is 'The worker deletes models'' predictions only.';
comment on policy prediction_owner on forecast.prediction is 'The owner role sees and changes everything.';
comment on policy prediction_score_app_user on forecast.prediction_score is
  'An app session reads the scores of its user''s picks only: forecaster_id = scoreline.user_id (forecast.acting_user_id(), once per statement), which must name a user forecaster (SL141 for a model or an unknown id).';
comment on policy prediction_score_worker on forecast.prediction_score is 'The worker writes every score (scoring).';
comment on policy prediction_score_owner on forecast.prediction_score is 'The owner role sees and changes everything.';
comment on policy prediction_market_price_app_user on forecast.prediction_market_price is
  'An app session reads and links prices of its user''s picks only: the pick must be visible to it under prediction_app_user, i.e. be the pick of the user scoreline.user_id names (SL141 for a model or an unknown id).';
comment on policy prediction_market_price_worker on forecast.prediction_market_price is 'The worker reads and writes every price link.';
comment on policy prediction_market_price_owner on forecast.prediction_market_price is 'The owner role sees and changes everything.';

-- The checker reads every prediction, score and price link (the data-quality checks count them all).
do $$
declare
  v_checker name := core.role_name('checker');
begin
  drop policy if exists prediction_checker_read on forecast.prediction;
  drop policy if exists prediction_score_checker_read on forecast.prediction_score;
  drop policy if exists prediction_market_price_checker_read on forecast.prediction_market_price;
  execute format('create policy prediction_checker_read on forecast.prediction for select to %I using (true)', v_checker);
  execute format('create policy prediction_score_checker_read on forecast.prediction_score for select to %I using (true)', v_checker);
  execute format('create policy prediction_market_price_checker_read on forecast.prediction_market_price for select to %I using (true)', v_checker);
end;
$$;
comment on policy prediction_checker_read on forecast.prediction is 'The checker role (data-quality checks) reads every prediction.';
comment on policy prediction_score_checker_read on forecast.prediction_score is 'The checker role (data-quality checks) reads every score.';
comment on policy prediction_market_price_checker_read on forecast.prediction_market_price is 'The checker role (data-quality checks) reads every price link.';
