-- db/schema.sql: the schema `scoreline migrate` creates, as pg_dump 15 prints it (make schema-dump;
-- make schema-check fails when it is not current). Partitions are left out: their names follow dates.
-- Read it, diff it; never load it: migrations and sql/ are the source (make migrate).

--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: core; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "core";

--
-- Name: SCHEMA "core"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "core" IS 'The domain every sport shares: sport, competition, season, week, team, player, roster, event and race runner.';

--
-- Name: forecast; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "forecast";

--
-- Name: SCHEMA "forecast"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "forecast" IS 'Who predicts (forecasters: models and users), their predictions and picks, the scoring rules and each prediction''s score.';

--
-- Name: graphile_worker; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "graphile_worker";

--
-- Name: ingest; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "ingest";

--
-- Name: SCHEMA "ingest"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "ingest" IS 'Feed loading: the feeds scoreline reads, every batch loaded and its counts, the rows it rejected and why, and the staging tables rows are COPY''d into before a merge function moves them into core and market.';

--
-- Name: maint; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "maint";

--
-- Name: SCHEMA "maint"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "maint" IS 'Partition maintenance: the policy a DBA edits (maint.partition_policy) and the procedures that create partitions ahead, drop expired ones and downsample raw odds.';

--
-- Name: market; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "market";

--
-- Name: SCHEMA "market"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "market" IS 'Markets on events, their selections and results, and the sources of prices (exchanges, bookmakers, prediction markets).';

--
-- Name: SCHEMA "public"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "public" IS 'standard public schema';

--
-- Name: refresh; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "refresh";

--
-- Name: SCHEMA "refresh"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "refresh" IS 'Refresh orchestration: registry of derived objects, dependency graph, audit of every refresh, data-quality checks, checkpoints. See docs/refresh.md.';

--
-- Name: stats; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "stats";

--
-- Name: SCHEMA "stats"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "stats" IS 'Everything derived: model statistics views, player statistics, leaderboards, calibration. Never written by applications.';

--
-- Name: trade; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "trade";

--
-- Name: SCHEMA "trade"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "trade" IS 'Trading strategies and their bets; settlement computes P&L and commission (trade.settle_bets).';

--
-- Name: worker; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "worker";

--
-- Name: SCHEMA "worker"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA "worker" IS 'The job worker''s state and entry points: heartbeats, crash recovery, the views of the queue, and the procedures its tasks call.';

--
-- Name: job_spec; Type: TYPE; Schema: graphile_worker; Owner: -
--

CREATE TYPE "graphile_worker"."job_spec" AS (
	"identifier" "text",
	"payload" "json",
	"queue_name" "text",
	"run_at" timestamp with time zone,
	"max_attempts" smallint,
	"job_key" "text",
	"priority" smallint,
	"flags" "text"[]
);

--
-- Name: acts_as_owner(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."acts_as_owner"() RETURNS boolean
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select pg_catalog.pg_has_role(current_user, core.role_name('owner'), 'MEMBER')
$$;

--
-- Name: FUNCTION "acts_as_owner"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."acts_as_owner"() IS 'Owner authority: whether current_user is the owner role or a member (superusers are members of every role). Inside a security definer function current_user is its owner, so market.settle_event, forecast.score_event, trade.settle_bets and the correction functions have it; a worker or app session does not, whatever settings it sets. The guards of settled results, settlements, scores, picks and bets ask it.';

SET default_tablespace = '';

SET default_table_access_method = "heap";

--
-- Name: event_correction; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."event_correction" (
    "correction_id" bigint NOT NULL,
    "event_id" bigint NOT NULL,
    "corrected_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "corrected_by" "text" DEFAULT CURRENT_USER NOT NULL,
    "reason" "text" NOT NULL,
    "old_status" "text" NOT NULL,
    "new_status" "text" NOT NULL,
    "old_home_score" smallint,
    "old_away_score" smallint,
    "new_home_score" smallint,
    "new_away_score" smallint,
    "old_runner_positions" "jsonb",
    "new_runner_positions" "jsonb",
    "result_version" integer NOT NULL,
    "old_first_touchdown" "jsonb",
    "new_first_touchdown" "jsonb",
    CONSTRAINT "event_correction_reason_given" CHECK (("length"("btrim"("reason")) > 0))
);

--
-- Name: TABLE "event_correction"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."event_correction" IS 'The trace every correction of a settled result leaves: who, when, why, and the result before and after.';

--
-- Name: COLUMN "event_correction"."old_runner_positions"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event_correction"."old_runner_positions" IS 'For a race whose finishing positions were corrected: {"runner number": position before} of the runners that changed; null otherwise.';

--
-- Name: COLUMN "event_correction"."new_runner_positions"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event_correction"."new_runner_positions" IS 'For a race whose finishing positions were corrected: {"runner number": position after} of the runners that changed (null: did not finish).';

--
-- Name: COLUMN "event_correction"."result_version"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event_correction"."result_version" IS 'The core.event.result_version this correction produced.';

--
-- Name: COLUMN "event_correction"."old_first_touchdown"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event_correction"."old_first_touchdown" IS 'A corrected first touchdown (forecast.correct_first_touchdown): the fact before, {"player_id": …, "team_id": …} (player_id null: no touchdown), or JSON null when none was recorded; SQL null when the correction did not touch it.';

--
-- Name: COLUMN "event_correction"."new_first_touchdown"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event_correction"."new_first_touchdown" IS 'A corrected first touchdown: the fact after, {"player_id": …, "team_id": …}; SQL null when the correction did not touch it.';

--
-- Name: correct_event_result(bigint, "text", smallint, smallint, "text", "jsonb"); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."correct_event_result"("p_event_id" bigint, "p_status" "text", "p_home_score" smallint, "p_away_score" smallint, "p_reason" "text", "p_runner_positions" "jsonb" DEFAULT NULL::"jsonb") RETURNS "core"."event_correction"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_ev core.event;
  v_trace core.event_correction;
  v_bad text;
  v_old_positions jsonb;
  v_new_positions jsonb;
begin
  select * into v_ev from core.event where event_id = p_event_id for update;
  if not found then
    raise exception 'no event %', p_event_id using errcode = 'SL003';
  end if;
  if v_ev.status not in ('completed', 'abandoned', 'cancelled') then
    raise exception 'event % (%) is %: only a settled result is corrected; update it directly', v_ev.event_id, v_ev.external_id, v_ev.status
      using errcode = 'SL004';
  end if;
  if p_status is null or p_status not in ('completed', 'abandoned', 'cancelled', 'scheduled', 'postponed') then
    raise exception 'event % (%): a correction sets status completed, abandoned, cancelled, scheduled or postponed, not %',
      v_ev.event_id, v_ev.external_id, coalesce(p_status, 'null')
      using errcode = '22023';
  end if;

  if p_runner_positions is not null then
    if v_ev.kind <> 'race' then
      raise exception 'event % (%) is a %: runner positions apply to races only', v_ev.event_id, v_ev.external_id, v_ev.kind
        using errcode = '22023';
    end if;
    if jsonb_typeof(p_runner_positions) <> 'object' then
      raise exception 'runner positions must be a JSON object {"runner number": position or null}, not %', p_runner_positions
        using errcode = '22023';
    end if;
    select string_agg(format('%s: %s', key, value), ', ' order by key) into v_bad
      from jsonb_each(p_runner_positions)
     where key !~ '^[1-9][0-9]{0,3}$'
        or case jsonb_typeof(value)
             when 'null' then false
             when 'number' then value::numeric not between 1 and 999 or value::numeric <> trunc(value::numeric)
             else true
           end;
    if v_bad is not null then
      raise exception 'runner positions must map runner numbers to positions (whole numbers from 1) or null, not %', v_bad
        using errcode = '22023';
    end if;
    select string_agg(w.key, ', ' order by w.key::int) into v_bad
      from jsonb_each(p_runner_positions) w
     where not exists (select from core.runner r where r.event_id = v_ev.event_id and r.number = w.key::smallint);
    if v_bad is not null then
      raise exception 'race % (%) has no runner numbered %', v_ev.event_id, v_ev.external_id, v_bad
        using errcode = '22023';
    end if;
  end if;

  perform set_config('scoreline.correcting_event', v_ev.event_id::text, true);

  if p_runner_positions is not null then
    with wanted as (
      select key::smallint as number, nullif(value, 'null'::jsonb)::smallint as position
      from jsonb_each(p_runner_positions)
    ), changes as (
      select r.runner_id, r.number, r.finish_position as old_position, w.position as new_position
        from core.runner r
        join wanted w on w.number = r.number
       where r.event_id = v_ev.event_id
         and r.finish_position is distinct from w.position
    ), applied as (
      update core.runner r
         set finish_position = c.new_position,
             status = case when c.new_position is null then 'did_not_finish' else 'finished' end
        from changes c
       where r.runner_id = c.runner_id
      returning c.number, c.old_position, c.new_position
    )
    select jsonb_object_agg(number::text, old_position), jsonb_object_agg(number::text, new_position)
      into v_old_positions, v_new_positions
      from applied;
  end if;

  if (v_ev.status, v_ev.home_score, v_ev.away_score) is not distinct from (p_status, p_home_score, p_away_score)
     and v_old_positions is null then
    perform set_config('scoreline.correcting_event', '', true);
    raise exception 'event % (%): the correction changes nothing', v_ev.event_id, v_ev.external_id
      using errcode = 'SL005';
  end if;

  update core.event
     set status = p_status,
         home_score = p_home_score,
         away_score = p_away_score,
         result_version = result_version + 1
   where event_id = v_ev.event_id;

  perform set_config('scoreline.correcting_event', '', true);

  -- corrected_by: the login (session_user); current_user here is the function's owner
  insert into core.event_correction (event_id, corrected_by, reason, old_status, new_status,
                                     old_home_score, old_away_score, new_home_score, new_away_score,
                                     old_runner_positions, new_runner_positions, result_version)
  values (v_ev.event_id, session_user, p_reason, v_ev.status, p_status,
          v_ev.home_score, v_ev.away_score, p_home_score, p_away_score,
          v_old_positions, v_new_positions, v_ev.result_version + 1)
  returning * into v_trace;
  return v_trace;
end;
$_$;

--
-- Name: FUNCTION "correct_event_result"("p_event_id" bigint, "p_status" "text", "p_home_score" smallint, "p_away_score" smallint, "p_reason" "text", "p_runner_positions" "jsonb"); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."correct_event_result"("p_event_id" bigint, "p_status" "text", "p_home_score" smallint, "p_away_score" smallint, "p_reason" "text", "p_runner_positions" "jsonb") IS 'Corrects a settled result (score, status, or a race''s finishing positions as {"runner number": position or null}), bumps result_version and leaves a row in core.event_correction with the result before and after. The only way a completed event changes. SL003 no such event, SL004 not settled, SL005 changes nothing, 22023 a bad status or bad runner positions.';

--
-- Name: may_correct_results(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."may_correct_results"() RETURNS boolean
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select core.acts_as_owner()
$$;

--
-- Name: FUNCTION "may_correct_results"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."may_correct_results"() IS 'Whether the current role may change a settled result once scoreline.correcting_event is set: the owner role and its members (superusers are members of every role). core.correct_event_result is security definer, so through it every caller may; an app or worker session setting the setting itself may not (SL002).';

--
-- Name: role_name("text"); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."role_name"("p_kind" "text") RETURNS "name"
    LANGUAGE "plpgsql" STABLE STRICT SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "role_name"("p_kind" "text"); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."role_name"("p_kind" "text") IS 'The database role of a kind (owner, worker, app, reader) as recorded in core.db_role; SL140 for an unknown kind.';

--
-- Name: team_for_code(smallint, "text", integer); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."team_for_code"("p_sport_id" smallint, "p_code" "text", "p_season" integer) RETURNS integer
    LANGUAGE "sql" STABLE PARALLEL SAFE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(
    (select a.team_id
       from core.team_alias a
       join core.team t on t.team_id = a.team_id
      where a.code = p_code and t.sport_id = p_sport_id
        and p_season <= a.valid_to_season and (a.valid_from_season is null or p_season >= a.valid_from_season)
      order by a.valid_to_season
      limit 1),
    (select t.team_id from core.team t where t.sport_id = p_sport_id and t.code = p_code));
$$;

--
-- Name: FUNCTION "team_for_code"("p_sport_id" smallint, "p_code" "text", "p_season" integer); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."team_for_code"("p_sport_id" smallint, "p_code" "text", "p_season" integer) IS 'The team a feed''s code means in a season (its starting year): the team whose former code it was then (core.team_alias: OAK in 2015 is the team LV), else the team with that code; null when neither exists.';

--
-- Name: tg_event__guard_delete(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."tg_event__guard_delete"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_held text;
begin
  if core.acts_as_owner() then
    return old;
  end if;
  v_held := market.selections_in_use(array(select s.selection_id
                                             from market.market m
                                             join market.selection s on s.market_id = m.market_id
                                            where m.event_id = old.event_id));
  if v_held is not null then
    raise exception 'event % (%) cannot be deleted: its markets hold %', old.event_id, old.external_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: only the owner role deletes them';
  end if;
  return old;
end;
$$;

--
-- Name: FUNCTION "tg_event__guard_delete"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."tg_event__guard_delete"() IS 'Before delete of core.event: a role without owner authority cannot delete an event whose markets hold users'' picks, bets or scored predictions (SL009), which the cascade through market.market and market.selection would take with it.';

--
-- Name: tg_event__guard_status(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."tg_event__guard_status"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  -- the setting counts only for the owner role (through core.correct_event_result, security definer, or its members)
  v_correcting boolean := case when coalesce(current_setting('scoreline.correcting_event', true), '') = new.event_id::text
                             then core.may_correct_results() else false end;
begin
  if new.status is distinct from old.status and not v_correcting then
    -- a settled status never changes by an update, whatever core.event_status_transition lists
    if old.status in ('completed', 'abandoned', 'cancelled')
       or not exists (select from core.event_status_transition t
                      where t.from_status = old.status and t.to_status = new.status) then
      raise exception 'event % (%): status cannot go from % to %', old.event_id, old.external_id, old.status, new.status
        using errcode = 'SL001',
              hint = case when old.status in ('completed', 'abandoned', 'cancelled')
                          then 'a settled result changes only through core.correct_event_result(event_id, status, home_score, away_score, reason)'
                          else 'see core.event_status_transition for the allowed changes' end;
    end if;
  end if;

  if old.status in ('completed', 'abandoned', 'cancelled') and not v_correcting
     and (new.home_score, new.away_score) is distinct from (old.home_score, old.away_score) then
    raise exception 'event % (%): the % result cannot be changed by an update', old.event_id, old.external_id, old.status
      using errcode = 'SL002',
            hint = 'use core.correct_event_result(event_id, status, home_score, away_score, reason), which leaves a trace in core.event_correction';
  end if;

  if old.status in ('completed', 'abandoned', 'cancelled') and not v_correcting
     and (new.home_team_id, new.away_team_id, new.competition_id, new.season_id, new.kind)
         is distinct from (old.home_team_id, old.away_team_id, old.competition_id, old.season_id, old.kind) then
    raise exception 'event % (%) is %: its teams, competition, season and kind are part of the settled result', old.event_id, old.external_id, old.status
      using errcode = 'SL006',
            hint = 'the owner role corrects them (set scoreline.correcting_event to the event id in the transaction), then re-scores with forecast.score_event(event_id)';
  end if;

  if new.status = 'completed' and old.status is distinct from 'completed' then
    new.completed_at := coalesce(new.completed_at, now());
  elsif new.status <> 'completed' then
    new.completed_at := null;
  end if;
  if new.status = 'in_progress' and new.actual_start is null then
    new.actual_start := now();
  end if;
  new.updated_at := now();
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_event__guard_status"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."tg_event__guard_status"() IS 'Before update of core.event: refuses status changes not listed in core.event_status_transition (SL001), changes to a settled result (SL002) and to a settled event''s teams, competition, season or kind (SL006) unless core.correct_event_result (or the owner role, with scoreline.correcting_event set) is correcting this event; stamps completed_at and updated_at.';

--
-- Name: tg_event__stamp_insert(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."tg_event__stamp_insert"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if new.status = 'completed' then
    new.completed_at := coalesce(new.completed_at, now());
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_event__stamp_insert"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."tg_event__stamp_insert"() IS 'Before insert of core.event: an event loaded as completed gets completed_at.';

--
-- Name: tg_runner__guard_delete(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."tg_runner__guard_delete"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_held text;
begin
  if core.acts_as_owner() then
    return old;
  end if;
  v_held := market.selections_in_use(array(select s.selection_id from market.selection s where s.runner_id = old.runner_id));
  if v_held is not null then
    raise exception 'runner % (% in race %) cannot be deleted: its selections hold %', old.runner_id, old.number, old.event_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: a runner that does not run is a non_runner (status), not deleted';
  end if;
  return old;
end;
$$;

--
-- Name: FUNCTION "tg_runner__guard_delete"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."tg_runner__guard_delete"() IS 'Before delete of core.runner: a role without owner authority cannot delete a runner whose selections hold users'' picks, bets or scored predictions (SL009), which the cascade through market.selection would take with it.';

--
-- Name: tg_runner__guard_result(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."tg_runner__guard_result"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_ev record;
begin
  -- the race it ran in and the one it would move to: a runner moved into or out of a settled
  -- race changes what its settlement reads as much as a new position
  select e.event_id, e.external_id, e.status into v_ev
    from core.event e
   where e.event_id in (old.event_id, new.event_id) and e.status in ('completed', 'abandoned', 'cancelled')
   order by e.event_id = old.event_id desc
   limit 1;
  if v_ev.status in ('completed', 'abandoned', 'cancelled')
     and not (coalesce(current_setting('scoreline.correcting_event', true), '') = v_ev.event_id::text and core.may_correct_results())
     and (new.status, new.finish_position, new.event_id) is distinct from (old.status, old.finish_position, old.event_id)
     and not (new.event_id <> old.event_id and core.acts_as_owner()) then
    raise exception 'race % (%): runner % finishing result cannot be changed by an update once the race is %',
      v_ev.event_id, v_ev.external_id, old.number, v_ev.status
      using errcode = 'SL002',
            hint = 'use core.correct_event_result(event_id, status, null, null, reason, runner_positions)';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_runner__guard_result"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."tg_runner__guard_result"() IS 'Before update of core.runner: a settled race''s finishing positions and statuses (a non-runner is void) change only through core.correct_event_result (SL002), and no runner moves into or out of a settled race but by the owner role (SL002).';

--
-- Name: tg_team_alias__check(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION "core"."tg_team_alias__check"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_other record;
begin
  select a.team_id, t.code as team_code, a.valid_from_season, a.valid_to_season into v_other
    from core.team_alias a
    join core.team t on t.team_id = a.team_id
   where a.code = new.code
     and t.sport_id = (select t2.sport_id from core.team t2 where t2.team_id = new.team_id)
     and (a.team_id, a.code, a.valid_to_season) is distinct from (new.team_id, new.code, new.valid_to_season)
     and (tg_op = 'INSERT' or (a.team_id, a.code, a.valid_to_season) is distinct from (old.team_id, old.code, old.valid_to_season))
     and coalesce(a.valid_from_season, -32768) <= new.valid_to_season
     and coalesce(new.valid_from_season, -32768) <= a.valid_to_season
   limit 1;
  if found then
    raise exception 'code % already means team % in seasons %-%', new.code, v_other.team_code,
                    coalesce(v_other.valid_from_season::text, ''), v_other.valid_to_season
      using errcode = 'SL111',
            hint = 'a code means one team of a sport in a season: make the seasons of the two aliases not overlap';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_team_alias__check"(); Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON FUNCTION "core"."tg_team_alias__check"() IS 'Before insert or update of core.team_alias: a code means at most one team of a sport in any season (SL111 when two aliases'' seasons overlap).';

--
-- Name: acting_user_id(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."acting_user_id"() RETURNS bigint
    LANGUAGE "plpgsql" STABLE SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION "acting_user_id"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."acting_user_id"() IS 'The forecaster_id an app session acts for: the setting scoreline.user_id (set by the app, e.g. set local scoreline.user_id = ''42''); null when unset; SL141 when it is not a positive whole number or names no forecaster of kind user (a model, or none). The row-level security policies of forecast.prediction, prediction_score and prediction_market_price compare with it as (select forecast.acting_user_id()), an initplan evaluated once per statement; forecast.place_pick writes for it.';

--
-- Name: correct_first_touchdown(bigint, bigint, integer, "text"); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."correct_first_touchdown"("p_event_id" bigint, "p_player_id" bigint, "p_team_id" integer, "p_reason" "text") RETURNS "core"."event_correction"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_ev core.event;
  v_old jsonb;
  v_new jsonb := jsonb_build_object('player_id', p_player_id, 'team_id', p_team_id);
  v_trace core.event_correction;
begin
  select * into v_ev from core.event where event_id = p_event_id for update;
  if not found then
    raise exception 'no event %', p_event_id using errcode = 'SL003';
  end if;
  if v_ev.kind <> 'game' then
    raise exception 'event % (%) is a %: only a game has a first touchdown', v_ev.event_id, v_ev.external_id, v_ev.kind
      using errcode = 'SL034';
  end if;
  if v_ev.status not in ('completed', 'abandoned', 'cancelled') then
    raise exception 'event % (%) is %: only a settled game''s first touchdown is corrected; record it with forecast.record_first_touchdown',
      v_ev.event_id, v_ev.external_id, v_ev.status
      using errcode = 'SL004';
  end if;
  select jsonb_build_object('player_id', f.player_id, 'team_id', f.team_id) into v_old
    from forecast.first_touchdown f where f.event_id = v_ev.event_id;
  if v_old is not distinct from v_new then
    raise exception 'event % (%): the correction changes nothing', v_ev.event_id, v_ev.external_id
      using errcode = 'SL005';
  end if;

  insert into forecast.first_touchdown as ft (event_id, player_id, team_id, source)
  values (v_ev.event_id, p_player_id, p_team_id, 'correction')
  on conflict (event_id) do update
     set player_id = excluded.player_id, team_id = excluded.team_id, source = excluded.source, recorded_at = now();
  -- a new result version: the markets re-settle and the worker's scoring job runs (worker.tg_event__enqueue_scoring)
  update core.event set result_version = result_version + 1 where event_id = v_ev.event_id;

  insert into core.event_correction (event_id, corrected_by, reason, old_status, new_status,
                                     old_home_score, old_away_score, new_home_score, new_away_score,
                                     old_first_touchdown, new_first_touchdown, result_version)
  values (v_ev.event_id, session_user, p_reason, v_ev.status, v_ev.status,
          v_ev.home_score, v_ev.away_score, v_ev.home_score, v_ev.away_score,
          coalesce(v_old, 'null'::jsonb), v_new, v_ev.result_version + 1)
  returning * into v_trace;
  perform forecast.score_event(v_ev.event_id);
  return v_trace;
end;
$$;

--
-- Name: FUNCTION "correct_first_touchdown"("p_event_id" bigint, "p_player_id" bigint, "p_team_id" integer, "p_reason" "text"); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."correct_first_touchdown"("p_event_id" bigint, "p_player_id" bigint, "p_team_id" integer, "p_reason" "text") IS 'Corrects the first touchdown of a settled game (p_player_id null = no touchdown): writes forecast.first_touchdown, bumps the event''s result_version, leaves a row in core.event_correction with the fact before and after (old_first_touchdown, new_first_touchdown; corrected_by the login) and re-scores the game. The only way a settled game''s first touchdown changes for a role without owner authority. SL003 no such event, SL034 not a game, SL004 not settled, SL005 changes nothing; a reason is required (event_correction_reason_given).';

--
-- Name: create_baseline_predictions("text"); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."create_baseline_predictions"("p_seed" "text" DEFAULT 'scoreline'::"text") RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "create_baseline_predictions"("p_seed" "text"); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."create_baseline_predictions"("p_seed" "text") IS 'Creates (once) four baseline models and their predictions on every open match_result market: bookmaker_favourite (the lowest price among bet365, pinnacle, market_average or consensus in core.event.metadata->odds, at that price, with the normalised implied probability), always_home, random (a hash of the event and p_seed: the same picks on every run) and elo (ratings from earlier results only: K 20, home advantage 50, start 1500; never predicts a draw). Re-running adds only what is missing. Returns the predictions created.';

--
-- Name: create_demo_picks(integer, integer); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."create_demo_picks"("p_users" integer DEFAULT 3, "p_weeks" integer DEFAULT 4) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "create_demo_picks"("p_users" integer, "p_weeks" integer); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."create_demo_picks"("p_users" integer, "p_weeks" integer) IS 'Demo pick''em: creates p_users users (demo_user_N), first_td_scorer markets on the games of the first p_weeks weeks of seasons that have rosters (selections: QB, RB, WR and TE of both rosters, and none), and one first-touchdown pick per user per game at 8.0. Idempotent. The picks settle once forecast.record_first_touchdown names the scorer. Returns the picks created.';

--
-- Name: dq_duplicate_picks(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."dq_duplicate_picks"() RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select (select count(*) from (select 1 from forecast.prediction p
                                 group by p.forecaster_id, p.selection_id having count(*) > 1) d)
       + (select count(*) from (select 1 from forecast.prediction p where p.one_per_market
                                 group by p.forecaster_id, p.market_id having count(*) > 1) d)
       + (select count(*) from (select 1 from forecast.prediction p
                                  join market.market m on m.market_id = p.market_id
                                 where not m.allows_multiple_picks
                                 group by p.forecaster_id, p.market_id having count(*) > 1) d)::numeric;
$$;

--
-- Name: FUNCTION "dq_duplicate_picks"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."dq_duplicate_picks"() IS 'Data-quality check (0 = healthy): groups of predictions that repeat a forecaster''s selection, or several picks by one forecaster on a single-pick market.';

--
-- Name: dq_orphaned_rows(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."dq_orphaned_rows"() RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "dq_orphaned_rows"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."dq_orphaned_rows"() IS 'Data-quality check (0 = healthy): scores without their prediction or disagreeing with it about forecaster or event, predictions whose selection is gone or in another market, scores of markets that are no longer settled, player statistics of unknown players.';

--
-- Name: dq_scores_behind_results(interval); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."dq_scores_behind_results"("p_grace" interval DEFAULT '00:05:00'::interval) RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select count(*)::numeric
    from forecast.event_scoring es
   where es.owed_since < now() - p_grace
$$;

--
-- Name: FUNCTION "dq_scores_behind_results"("p_grace" interval); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."dq_scores_behind_results"("p_grace" interval) IS 'Data-quality check (0 = healthy): events whose scores or bet settlement have been behind their result (a completion, correction or deleted prediction not yet scored) for longer than p_grace (5 minutes by default: the worker scores within seconds and the reconciler re-queues every minute).';

--
-- Name: dq_scores_disagree_with_selections(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."dq_scores_disagree_with_selections"() RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select count(*)::numeric
    from forecast.prediction_score ps
    join forecast.prediction p on p.prediction_id = ps.prediction_id
    join market.market m on m.market_id = p.market_id
    join market.selection s on s.selection_id = p.selection_id
   where ps.outcome is distinct from case when m.status = 'void' or s.result = 'void' then 'void'
                                          when s.result = 'won' then 'win'
                                          when s.result = 'lost' then 'loss' end
$$;

--
-- Name: FUNCTION "dq_scores_disagree_with_selections"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."dq_scores_disagree_with_selections"() IS 'Data-quality check (0 = healthy): scores whose outcome disagrees with their selection''s result (won: win, lost: loss, void or a void market: void; no result: no score), i.e. a result or a score changed without re-scoring. forecast.score_event leaves none.';

--
-- Name: is_forecaster_kind(bigint, "text"); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."is_forecaster_kind"("p_forecaster_id" bigint, "p_kind" "text") RETURNS boolean
    LANGUAGE "sql" STABLE STRICT SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select exists (select from forecast.forecaster f where f.forecaster_id = p_forecaster_id and f.kind = p_kind)
$$;

--
-- Name: FUNCTION "is_forecaster_kind"("p_forecaster_id" bigint, "p_kind" "text"); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."is_forecaster_kind"("p_forecaster_id" bigint, "p_kind" "text") IS 'Whether a forecaster is of that kind (model or user): the row-level security policies use it so that the worker writes only models'' predictions and an app session only its user''s picks.';

--
-- Name: log_loss(numeric, boolean, double precision); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."log_loss"("p_probability" numeric, "p_won" boolean, "p_epsilon" double precision DEFAULT 0.000000000000001) RETURNS double precision
    LANGUAGE "sql" IMMUTABLE PARALLEL SAFE
    AS $$
  -- q, the probability given to what happened (p for a win, 1 - p for a loss), and 1 - q are
  -- exact in numeric, and so is their clipping: in double precision 1 - (1 - 1e-15) is not
  -- 1e-15. -ln q from q when q <= 1/2; above, from r = 1 - q as 2 atanh(r / (2 - r)) (that is
  -- -ln(1 - r)), which keeps every digit of a loss close to 0.
  select case when p_probability is null or p_won is null then null
              when (case when p_won then p_probability else 1 - p_probability end) <= 0.5
              then -ln(greatest(coalesce(p_epsilon, 1e-15)::numeric,
                                case when p_won then p_probability else 1 - p_probability end)::double precision)
              else 2 * atanh((greatest(coalesce(p_epsilon, 1e-15)::numeric, case when p_won then 1 - p_probability else p_probability end)
                              / (2 - greatest(coalesce(p_epsilon, 1e-15)::numeric, case when p_won then 1 - p_probability else p_probability end)))::double precision)
         end
$$;

--
-- Name: FUNCTION "log_loss"("p_probability" numeric, "p_won" boolean, "p_epsilon" double precision); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."log_loss"("p_probability" numeric, "p_won" boolean, "p_epsilon" double precision) IS 'Log loss of a prediction with probability p of winning: -ln p when it won, -ln(1 - p) when it lost, the probability of the outcome clipped to [epsilon, 1 - epsilon] (forecast.scoring_rule.log_loss_epsilon, default 1e-15) in exact numeric arithmetic, so that a certain wrong prediction costs exactly -ln(epsilon) (34.538776394910684 for 1e-15) and a certain right one -ln(1 - epsilon) (1.0000000000000005e-15). Null when p or the outcome is null. Used by forecast.score_event.';

--
-- Name: owe_scoring(bigint[]); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."owe_scoring"("p_event_ids" bigint[]) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_n integer;
begin
  insert into forecast.event_scoring as es (event_id, result_version)
  select e.event_id, e.result_version
    from core.event e
   where e.event_id = any (p_event_ids)
   order by e.event_id -- one lock order for concurrent callers
  on conflict (event_id) do update
     set owed_version = es.owed_version + 1,
         result_version = excluded.result_version,
         owed_since = coalesce(es.owed_since, now());
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;

--
-- Name: FUNCTION "owe_scoring"("p_event_ids" bigint[]); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."owe_scoring"("p_event_ids" bigint[]) IS 'Records that the events need re-scoring and their bets re-settling: creates their forecast.event_scoring row (owed) or bumps its owed_version, keeping owed_since when they were already behind. Called in the transaction of the change by the (security definer) triggers on core.event and forecast.prediction; no role is granted it. Returns the number of events recorded.';

--
-- Name: owed_version(bigint); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."owed_version"("p_event_id" bigint) RETURNS bigint
    LANGUAGE "sql" STABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select es.owed_version from forecast.event_scoring es where es.event_id = p_event_id
$$;

--
-- Name: FUNCTION "owed_version"("p_event_id" bigint); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."owed_version"("p_event_id" bigint) IS 'The event''s owed_version now (null when it never had a result): read by forecast.score_event and trade.settle_bets under the event''s lock, before they read its result.';

--
-- Name: pick_context(bigint); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."pick_context"("p_selection_id" bigint, OUT "market_id" bigint, OUT "market_type" "text", OUT "market_status" "text", OUT "allows_multiple_picks" boolean, OUT "event_id" bigint, OUT "external_id" "text", OUT "event_status" "text", OUT "starts" timestamp with time zone) RETURNS "record"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "pick_context"("p_selection_id" bigint, OUT "market_id" bigint, OUT "market_type" "text", OUT "market_status" "text", OUT "allows_multiple_picks" boolean, OUT "event_id" bigint, OUT "external_id" "text", OUT "event_status" "text", OUT "starts" timestamp with time zone); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."pick_context"("p_selection_id" bigint, OUT "market_id" bigint, OUT "market_type" "text", OUT "market_status" "text", OUT "allows_multiple_picks" boolean, OUT "event_id" bigint, OUT "external_id" "text", OUT "event_status" "text", OUT "starts" timestamp with time zone) IS 'What the prediction guard judges a pick''s selection by: its market (locked for share, so that a settlement running now waits for the pick or the pick sees it settled), the event, its status and its start (actual, else scheduled). market_id is null for an unknown selection. Security definer only for the lock (the app may not lock market rows); it returns nothing the app and the worker cannot read, and nothing about predictions.';

--
-- Name: pick_state(bigint, bigint); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."pick_state"("p_prediction_id" bigint, "p_forecaster_id" bigint, OUT "forecaster_kind" "text", OUT "scored" boolean) RETURNS "record"
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  -- with the caller's rights: the app sees its own user's scores (the only picks it may change), the worker every score
  select (select f.kind from forecast.forecaster f where f.forecaster_id = p_forecaster_id),
         p_prediction_id is not null
         and exists (select from forecast.prediction_score ps where ps.prediction_id = p_prediction_id)
$$;

--
-- Name: FUNCTION "pick_state"("p_prediction_id" bigint, "p_forecaster_id" bigint, OUT "forecaster_kind" "text", OUT "scored" boolean); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."pick_state"("p_prediction_id" bigint, "p_forecaster_id" bigint, OUT "forecaster_kind" "text", OUT "scored" boolean) IS 'The forecaster''s kind and whether the prediction is scored, read with the caller''s rights (not security definer): the prediction guard asks it about the row being changed, which row-level security lets the caller see.';

--
-- Name: prediction; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."prediction" (
    "prediction_id" bigint NOT NULL,
    "forecaster_id" bigint NOT NULL,
    "market_id" bigint NOT NULL,
    "selection_id" bigint NOT NULL,
    "one_per_market" boolean NOT NULL,
    "predicted_home_score" smallint,
    "predicted_away_score" smallint,
    "probability" numeric,
    "odds" numeric(9,3),
    "stake" numeric(12,2) DEFAULT 1 NOT NULL,
    "features" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "predicted_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "prediction_away_score_non_negative" CHECK (("predicted_away_score" >= 0)),
    CONSTRAINT "prediction_features_is_object" CHECK (("jsonb_typeof"("features") = 'object'::"text")),
    CONSTRAINT "prediction_home_score_non_negative" CHECK (("predicted_home_score" >= 0)),
    CONSTRAINT "prediction_odds_above_one" CHECK (("odds" > (1)::numeric)),
    CONSTRAINT "prediction_probability_range" CHECK ((("probability" > (0)::numeric) AND ("probability" <= (1)::numeric))),
    CONSTRAINT "prediction_score_pair" CHECK (("num_nulls"("predicted_home_score", "predicted_away_score") = ANY (ARRAY[0, 2]))),
    CONSTRAINT "prediction_stake_non_negative" CHECK (("stake" >= (0)::numeric))
);

--
-- Name: TABLE "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."prediction" IS 'A forecaster''s choice of a selection (a model''s prediction or a user''s pick): one per market unless the market allows several, never the same selection twice, only before the event starts and only on an open market (forecast.tg_prediction__guard).';

--
-- Name: COLUMN "prediction"."market_id"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."market_id" IS 'The selection''s market; filled from the selection when not given.';

--
-- Name: COLUMN "prediction"."one_per_market"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."one_per_market" IS 'Copied from market.market.allows_multiple_picks (negated) on insert: drives the partial unique index prediction_one_per_market.';

--
-- Name: COLUMN "prediction"."probability"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."probability" IS 'The forecaster''s probability that the selection wins, in (0, 1]; Brier score and log loss are computed from it.';

--
-- Name: COLUMN "prediction"."odds"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."odds" IS 'Decimal odds taken (> 1); units won or lost are computed at these odds.';

--
-- Name: COLUMN "prediction"."stake"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."stake" IS 'Units staked (>= 0), 1 by default.';

--
-- Name: COLUMN "prediction"."features"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."features" IS 'Model inputs or notes (a JSON object).';

--
-- Name: COLUMN "prediction"."predicted_at"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction"."predicted_at" IS 'When the prediction was made: before the event''s start, never in the future.';

--
-- Name: place_pick(bigint, numeric, numeric, numeric, "jsonb", smallint, smallint); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."place_pick"("p_selection_id" bigint, "p_odds" numeric DEFAULT NULL::numeric, "p_stake" numeric DEFAULT 1, "p_probability" numeric DEFAULT NULL::numeric, "p_features" "jsonb" DEFAULT '{}'::"jsonb", "p_predicted_home_score" smallint DEFAULT NULL::smallint, "p_predicted_away_score" smallint DEFAULT NULL::smallint) RETURNS "forecast"."prediction"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "place_pick"("p_selection_id" bigint, "p_odds" numeric, "p_stake" numeric, "p_probability" numeric, "p_features" "jsonb", "p_predicted_home_score" smallint, "p_predicted_away_score" smallint); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."place_pick"("p_selection_id" bigint, "p_odds" numeric, "p_stake" numeric, "p_probability" numeric, "p_features" "jsonb", "p_predicted_home_score" smallint, "p_predicted_away_score" smallint) IS 'The app''s way to make a pick for the user it acts for (scoreline.user_id; SL035 when unset, SL141 when it names no user forecaster): predicted_at = now(), refused on a market that is not open (SL031) and at or after the event''s start by the server''s clock (SL030); the constraints of forecast.prediction name the rest (prediction_one_per_market, prediction_selection_once, prediction_selection_fk, prediction_odds_above_one). Returns the prediction. The app changes or withdraws it before the start with UPDATE or DELETE (row-level security).';

--
-- Name: record_demo_first_touchdowns(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."record_demo_first_touchdowns"() RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_game record;
  v_n integer := 0;
begin
  -- Never on real data by accident: only in a session that says it is the demo's (make demo
  -- sets scoreline.demo for its transaction), and only for games whose first-touchdown picks
  -- are all the demo users' (forecast.create_demo_picks): a real user's pick is never settled
  -- on a drawn scorer, and a real game keeps room for its real one.
  if coalesce(current_setting('scoreline.demo', true), '') <> 'on' then
    raise exception 'demo first touchdowns are recorded only by the demo (scoreline.demo is not on in this session)'
      using errcode = 'SL042',
            hint = 'record real first touchdowns with forecast.record_first_touchdown; make demo sets scoreline.demo for its own transaction';
  end if;
  -- completed games with a first_td_scorer market and no first touchdown recorded: a player of
  -- a team that scored (drawn by a hash of game and player, the same on every run), or no
  -- touchdown when neither team scored
  for v_game in
    select e.event_id, d.player_id, d.team_id
      from core.event e
      join market.market m on m.event_id = e.event_id and m.market_type = 'first_td_scorer'
      left join lateral (
        select s.player_id, r.team_id
          from market.selection s
          join core.roster r on r.player_id = s.player_id and r.season_id = e.season_id
                            and r.team_id in (e.home_team_id, e.away_team_id)
         where s.market_id = m.market_id
           and ((r.team_id = e.home_team_id and e.home_score > 0) or (r.team_id = e.away_team_id and e.away_score > 0))
         order by pg_catalog.hashtextextended('demo first touchdown:' || e.event_id || ':' || s.code, 0), s.code
         limit 1) d on true
     where e.kind = 'game' and e.status = 'completed'
       and not exists (select from forecast.first_touchdown f where f.event_id = e.event_id)
       and exists (select from forecast.prediction p join market.selection s on s.selection_id = p.selection_id
                    where s.market_id = m.market_id)
       and not exists (select from forecast.prediction p
                         join market.selection s on s.selection_id = p.selection_id
                         join forecast.forecaster f on f.forecaster_id = p.forecaster_id
                        where s.market_id = m.market_id
                          and (f.kind <> 'user' or f.handle is null or f.handle not like 'demo\_user\_%'))
     order by e.event_id
  loop
    perform forecast.record_first_touchdown(v_game.event_id, v_game.player_id, v_game.team_id, 'demo data: drawn, not the real scorer');
    v_n := v_n + 1;
  end loop;
  return v_n;
end;
$$;

--
-- Name: FUNCTION "record_demo_first_touchdowns"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."record_demo_first_touchdowns"() IS 'Demo data (make demo): only in a session with scoreline.demo = on (else SL042), records a first touchdown for every completed game that has a first_td_scorer market picked only by the demo users (demo_user_N) and none recorded — a player of a team that scored, drawn by a hash of game and player (the same on every run), or no touchdown when neither scored — with source ''demo data: drawn, not the real scorer'', and scores the games (forecast.record_first_touchdown). The sample files have no play-by-play: without this the demo''s first-touchdown picks are never scored. Never run on real data. Returns the games recorded.';

--
-- Name: record_first_touchdown(bigint, bigint, integer, "text"); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."record_first_touchdown"("p_event_id" bigint, "p_player_id" bigint, "p_team_id" integer DEFAULT NULL::integer, "p_source" "text" DEFAULT NULL::"text") RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "record_first_touchdown"("p_event_id" bigint, "p_player_id" bigint, "p_team_id" integer, "p_source" "text"); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."record_first_touchdown"("p_event_id" bigint, "p_player_id" bigint, "p_team_id" integer, "p_source" "text") IS 'Records (or corrects) who scored the first touchdown of a game (p_player_id null = no touchdown) and, when the game is settled, re-scores it. Returns the scored predictions (0 when the game is not over).';

--
-- Name: record_scoring(bigint, "text", bigint, integer); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."record_scoring"("p_event_id" bigint, "p_part" "text", "p_version" bigint, "p_result_version" integer) RETURNS boolean
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_behind boolean;
begin
  if p_part is null or p_part not in ('scores', 'bets') then
    raise exception 'forecast.record_scoring: the part caught up with is scores or bets, not %', coalesce(p_part, 'null')
      using errcode = 'SL041';
  end if;
  -- waits for a change in progress on this event (it holds the row), then sees its version
  update forecast.event_scoring es
     set scored_version = case when p_part = 'scores' then greatest(es.scored_version, p_version) else es.scored_version end,
         scored_result_version = case when p_part = 'scores' and p_version >= es.scored_version then p_result_version else es.scored_result_version end,
         scored_at = case when p_part = 'scores' then now() else es.scored_at end,
         settled_version = case when p_part = 'bets' then greatest(es.settled_version, p_version) else es.settled_version end,
         settled_result_version = case when p_part = 'bets' and p_version >= es.settled_version then p_result_version else es.settled_result_version end,
         settled_at = case when p_part = 'bets' then now() else es.settled_at end,
         owed_since = case when (case when p_part = 'scores' then greatest(es.scored_version, p_version) else es.scored_version end) = es.owed_version
                            and (case when p_part = 'bets' then greatest(es.settled_version, p_version) else es.settled_version end) = es.owed_version
                           then null
                           else es.owed_since end
   where es.event_id = p_event_id
  returning es.owed_since is not null into v_behind;
  return coalesce(v_behind, false);
end;
$$;

--
-- Name: FUNCTION "record_scoring"("p_event_id" bigint, "p_part" "text", "p_version" bigint, "p_result_version" integer); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."record_scoring"("p_event_id" bigint, "p_part" "text", "p_version" bigint, "p_result_version" integer) IS 'Records that an event''s scores (p_part scores, by forecast.score_event) or bets (bets, by trade.settle_bets) caught up with owed_version p_version, read before the result was, and result version p_result_version; clears owed_since once both parts are up to date. Returns whether the event is still behind (a change committed meanwhile). SL041 for another part. Internal: called by the security definer scorers only.';

--
-- Name: score_event(bigint); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."score_event"("p_event_id" bigint) RETURNS integer
    LANGUAGE "sql" STRICT SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(sum(s.predictions), 0)::integer from forecast.score_events(array[p_event_id]) s
$$;

--
-- Name: FUNCTION "score_event"("p_event_id" bigint); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."score_event"("p_event_id" bigint) IS 'One event through forecast.score_events: settles the event (market.settle_event), then (re)computes every prediction score of the event in one set-based statement: outcome, points by the market type''s forecast.scoring_rule, rarity share, units at the odds taken (market.settled_pnl: the dead-heat rule of market.dead_heats), Brier score and log loss (forecast.log_loss). Idempotent (unchanged scores are not rewritten), serialised per event by an advisory lock; scores of markets no longer settled are removed; records in forecast.event_scoring the owed version it caught up with (read before the result). Returns the number of scored predictions of the event. Security definer: forecast.prediction_score and the settlement (market.settle_event) are written with owner authority only.';

--
-- Name: score_events(bigint[]); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."score_events"("p_event_ids" bigint[]) RETURNS TABLE("event_id" bigint, "predictions" integer)
    LANGUAGE "plpgsql" STRICT SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "work_mem" TO '64MB'
    AS $$
#variable_conflict use_column
declare
  v_ids bigint[];
  v_id bigint;
  v_owed bigint;
  v_owed_rv integer;
  v_owed_ids bigint[] := '{}'::bigint[];
  v_owed_versions bigint[] := '{}'::bigint[];
  v_owed_rvs integer[] := '{}'::integer[];
begin
  select coalesce(array_agg(distinct u.id order by u.id), '{}') into v_ids from unnest(p_event_ids) as u (id) where u.id is not null;
  foreach v_id in array v_ids loop
    -- one scorer per event at a time; a second call waits, then finds nothing to change.
    -- Ascending event ids: two batches that share events lock them in one order.
    perform pg_advisory_xact_lock(hashtext('scoreline.score_event'), hashtext(v_id::text));
    -- The work owed, read before the result (sql/043_forecast_owed.sql), with the event row held
    -- (key share): a correction in progress commits first, the next one waits for this
    -- transaction. Lock order core.event, then forecast.event_scoring, as a correction's.
    -- Two statements: a row lock that waited re-reads the locked row only, not a joined one.
    perform from core.event e where e.event_id = v_id for key share;
    select es.owed_version, es.result_version into v_owed, v_owed_rv from forecast.event_scoring es where es.event_id = v_id;
    if v_owed is not null then
      v_owed_ids := v_owed_ids || v_id;
      v_owed_versions := v_owed_versions || v_owed;
      v_owed_rvs := v_owed_rvs || v_owed_rv;
    end if;
  end loop;

  foreach v_id in array v_ids loop
    perform market.settle_event(v_id); -- raises SL040 for an unknown event
  end loop;

  -- predictions whose market is no longer settled (a withdrawn result) lose their score; each
  -- score is looked up through its own prediction (its foreign key: the prediction exists)
  delete from forecast.prediction_score ps
   using forecast.prediction p, market.market m
   where ps.event_id = any (v_ids)
     and p.prediction_id = ps.prediction_id
     and m.market_id = p.market_id
     and (m.status not in ('settled', 'void') or m.event_id <> ps.event_id);

  -- One statement for every event of the batch (one pass of the statistics maintenance).
  -- The predictions read are held (key share): a concurrent delete of one waits for this
  -- transaction, or, when it committed first, the prediction is skipped here and its score
  -- never written (no foreign-key failure).
  with preds as (
    -- the event's result version joined per market, not per prediction: the markets just
    -- settled in this transaction are not in the planner's statistics yet, and a join per
    -- prediction planned for one row would scan core.event once per prediction
    select p.prediction_id, p.forecaster_id, p.market_id, p.selection_id, p.probability, p.odds, p.stake,
           m.event_id, e.result_version, m.market_type, m.status as market_status, m.places, s.result, s.runner_id
      from market.market m
      join core.event e on e.event_id = m.event_id
      join forecast.prediction p on p.market_id = m.market_id
      join market.selection s on s.selection_id = p.selection_id
     where m.event_id = any (v_ids)
       and e.event_id = any (v_ids) -- the events by their key too: never a scan of core.event
       and m.status in ('settled', 'void')
       for key share of p
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
    -- the dead-heat rule, per event of the batch (selection ids are unique across events)
    select d.selection_id, d.places, d.tied
      from unnest(v_ids) as ev (id)
     cross join lateral market.dead_heats(ev.id) d
  ),
  computed as (
    select pr.prediction_id, pr.forecaster_id, pr.event_id, pr.result_version, pr.probability, pr.odds, pr.stake,
           o.outcome, sp.rarity_share, sp.win_points, sp.loss_points, sp.eps,
           coalesce(dh.places, 1) as places, coalesce(dh.tied, 1) as tied
      from preds pr
      join selection_points sp on sp.market_id = pr.market_id and sp.selection_id = pr.selection_id
      left join dead_heat dh on dh.selection_id = pr.selection_id
     cross join lateral (select case when pr.market_status = 'void' or pr.result = 'void' then 'void'
                                     when pr.result = 'won' then 'win'
                                     when pr.result = 'lost' then 'loss' end as outcome) o
     where o.outcome is not null
  ),
  scored_rows as (
    select c.prediction_id, c.forecaster_id, c.event_id, c.result_version, c.outcome, c.rarity_share,
           case c.outcome when 'win' then c.win_points when 'loss' then c.loss_points else 0 end as points,
           case when c.outcome in ('win', 'loss') and c.odds is not null then c.stake else 0 end as staked,
           case when c.odds is null then null
                else market.settled_pnl('back', c.odds, c.stake, case c.outcome when 'win' then 'won' when 'loss' then 'lost' else 'void' end,
                                        c.places, c.tied) end as units,
           c.probability,
           case when c.probability is not null and c.outcome <> 'void'
                then power(c.probability::float8 - case c.outcome when 'win' then 1 else 0 end, 2) end as brier,
           case when c.probability is null or c.outcome = 'void' then null
                else forecast.log_loss(c.probability, c.outcome = 'win', c.eps) end as log_loss
      from computed c
  )
  insert into forecast.prediction_score as ps
         (prediction_id, forecaster_id, event_id, outcome, points, rarity_share, staked, units,
          probability, brier, log_loss, result_version, scored_at)
  select s.prediction_id, s.forecaster_id, s.event_id, s.outcome, s.points, s.rarity_share, s.staked, s.units,
         s.probability, s.brier, s.log_loss, s.result_version, now()
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

  for v_id, v_owed, v_owed_rv in
    select u.id, u.v, u.rv from unnest(v_owed_ids, v_owed_versions, v_owed_rvs) as u (id, v, rv)
  loop
    perform forecast.record_scoring(v_id, 'scores', v_owed, v_owed_rv);
  end loop;

  return query
    select ev.id, (select count(*)::integer from forecast.prediction_score ps where ps.event_id = ev.id)
      from unnest(v_ids) as ev (id)
     order by ev.id;
end;
$$;

--
-- Name: FUNCTION "score_events"("p_event_ids" bigint[]); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."score_events"("p_event_ids" bigint[]) IS 'Settles each event (market.settle_event), then (re)computes every prediction score of all the events in one set-based statement, so the statistics maintenance runs once for the batch: outcome, points by the market type''s forecast.scoring_rule, rarity share, units at the odds taken (market.settled_pnl: the dead-heat rule of market.dead_heats), Brier score and log loss (forecast.log_loss). Idempotent (unchanged scores are not rewritten), serialised per event by an advisory lock taken in ascending event order; the predictions read are held (for key share), so a concurrent delete of one either waits or is seen; scores of markets no longer settled are removed; records in forecast.event_scoring, per event, the owed version it caught up with (read before the result). Returns each event with its number of scored predictions; SL040 for an unknown event (nothing is written). Security definer: forecast.prediction_score and the settlement are written with owner authority only.';

--
-- Name: tg_event__owe_scoring(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_event__owe_scoring"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform forecast.owe_scoring(array[new.event_id]);
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_event__owe_scoring"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_event__owe_scoring"() IS 'After an event is completed, abandoned or cancelled, or its result corrected (result_version): its scores and bets are owed (forecast.owe_scoring), in the same transaction. Fires before the trigger that queues the scoring job (_200_enqueue_scoring), so a scorer already running waits for this transaction on the record and sees the new version.';

--
-- Name: tg_first_touchdown__game_only(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_first_touchdown__game_only"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "tg_first_touchdown__game_only"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_first_touchdown__game_only"() IS 'Before insert or update of forecast.first_touchdown: only games (NFL) have one (SL034).';

--
-- Name: tg_first_touchdown__guard_settled(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_first_touchdown__guard_settled"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
declare
  v_ev record;
begin
  if core.acts_as_owner() then
    return case when tg_op = 'DELETE' then old else new end; -- forecast.correct_first_touchdown, the owner role
  end if;
  if tg_op = 'UPDATE'
     and (new.event_id, new.player_id, new.team_id) is not distinct from (old.event_id, old.player_id, old.team_id) then
    return new; -- the fact is unchanged (its source, say)
  end if;
  select e.event_id, e.external_id, e.status into v_ev
    from core.event e
   where e.event_id in (old.event_id, case when tg_op = 'UPDATE' then new.event_id end)
     and e.status in ('completed', 'abandoned', 'cancelled')
   order by e.event_id
   limit 1;
  if found then
    raise exception 'event % (%) is %: its first touchdown is part of the settled result and is not % by the worker',
      v_ev.event_id, v_ev.external_id, v_ev.status, case when tg_op = 'DELETE' then 'deleted' else 'changed' end
      using errcode = 'SL013',
            hint = 'correct it with forecast.correct_first_touchdown(event_id, player_id, team_id, reason), which leaves a trace in core.event_correction and re-scores';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end;
$$;

--
-- Name: FUNCTION "tg_first_touchdown__guard_settled"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_first_touchdown__guard_settled"() IS 'Before update or delete of forecast.first_touchdown: once the game is completed (or abandoned, cancelled) its first touchdown is a settled fact: a role without owner authority (core.acts_as_owner()) neither changes the scorer nor deletes it (SL013); recording it the first time, after the final whistle, stays open. Corrections: forecast.correct_first_touchdown.';

--
-- Name: tg_forecaster__guard_kind(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_forecaster__guard_kind"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
begin
  if new.kind = 'user' and (tg_op = 'INSERT' or old.kind is distinct from 'user') and not core.acts_as_owner() then
    raise exception 'forecaster % (%): users are registered by the owner role, not by %', new.name, coalesce(new.handle, 'no handle'), current_user
      using errcode = 'SL015',
            hint = 'the worker writes models (kind model); an app session acts for an existing user (scoreline.user_id)';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_forecaster__guard_kind"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_forecaster__guard_kind"() IS 'Before insert or update of forecast.forecaster: only owner authority (core.acts_as_owner()) creates a user forecaster or turns a model into one (SL015). The worker, which may insert forecasters for its models, would otherwise mint users (taking their handles) that an app session could then act for.';

--
-- Name: tg_prediction__guard(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_prediction__guard"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "tg_prediction__guard"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_prediction__guard"() IS 'Before insert, update or delete of forecast.prediction: refuses NaN odds or stake (as their range constraints, which NaN passes); fills market_id and one_per_market from the selection''s market; refuses a pick on a market that is not open (SL031), dated in the future (SL032), at or after the event''s start (SL030, naming the event and its start), or, made now (or changed), on an event no longer scheduled or postponed (in progress, completed, abandoned, cancelled: SL030, whatever its scheduled start says; a back-dated prediction of a back-test is judged by its date). A change is judged on both ends: the new selection as a new pick, and the pick''s present event, which must not have started (SL030), so a pick is not moved off a game in progress. A user''s pick written by a role without owner authority is dated by the server: predicted_at must be now() on insert (SL036) and becomes now() when the pick changes. Without owner authority (core.acts_as_owner()) a scored pick, or one on a settled or void market, is neither changed nor deleted, and a user''s pick is not withdrawn once its event has started (SL037).';

--
-- Name: tg_prediction__owe_rescoring(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_prediction__owe_rescoring"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_events bigint[];
begin
  -- the events whose settled or void markets lost a prediction: their rarity shares and points change
  select array_agg(distinct m.event_id order by m.event_id) into v_events
    from old_rows o
    join market.market m on m.market_id = o.market_id
   where m.status in ('settled', 'void');
  if v_events is null then
    return null;
  end if;
  perform forecast.owe_scoring(v_events);
  perform worker.add_job('score_event',
                         json_build_object('event_id', e.event_id, 'result_version', e.result_version),
                         'score_event:' || e.event_id, null, worker.scoring_priority(e.scheduled_start), 'replace')
     from core.event e
    where e.event_id = any (v_events)
    order by e.event_id;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_prediction__owe_rescoring"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_prediction__owe_rescoring"() IS 'After a delete from forecast.prediction (once per statement, over its transition table): the events whose settled or void markets lost predictions are owed a re-scoring (the others'' rarity share and points change; forecast.owe_scoring) and their score_event job is queued, in the same transaction.';

--
-- Name: tg_prediction_market_price__same_selection(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_prediction_market_price__same_selection"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "tg_prediction_market_price__same_selection"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_prediction_market_price__same_selection"() IS 'Before insert or update of forecast.prediction_market_price: the external market must be linked to the pick''s own selection (SL033).';

--
-- Name: tg_prediction_score__guard(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_prediction_score__guard"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if not core.acts_as_owner() then
    raise exception 'forecast.prediction_score is written by scoring (forecast.score_event), not by %', lower(tg_op)
      using errcode = 'SL038',
            hint = 'score with forecast.score_event(event_id) (worker.score_event); correct a result with core.correct_event_result';
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_prediction_score__guard"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_prediction_score__guard"() IS 'Before each statement writing forecast.prediction_score: only owner authority writes scores (forecast.score_event, security definer; the owner role), SL038 otherwise. Deleting a prediction (the owner''s) takes its score with it through the foreign key, which runs as the table''s owner.';

--
-- Name: tg_race_prediction__fill(); Type: FUNCTION; Schema: forecast; Owner: -
--

CREATE FUNCTION "forecast"."tg_race_prediction__fill"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "tg_race_prediction__fill"(); Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON FUNCTION "forecast"."tg_race_prediction__fill"() IS 'Before insert or update of forecast.race_prediction: copies the runner''s event_id; only a model forecaster predicts races (SL087).';

--
-- Name: _private_jobs; Type: TABLE; Schema: graphile_worker; Owner: -
--

CREATE TABLE "graphile_worker"."_private_jobs" (
    "id" bigint NOT NULL,
    "job_queue_id" integer,
    "task_id" integer NOT NULL,
    "payload" "json" DEFAULT '{}'::"json" NOT NULL,
    "priority" smallint DEFAULT 0 NOT NULL,
    "run_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "attempts" smallint DEFAULT 0 NOT NULL,
    "max_attempts" smallint DEFAULT 25 NOT NULL,
    "last_error" "text",
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "key" "text",
    "locked_at" timestamp with time zone,
    "locked_by" "text",
    "revision" integer DEFAULT 0 NOT NULL,
    "flags" "jsonb",
    "is_available" boolean GENERATED ALWAYS AS ((("locked_at" IS NULL) AND ("attempts" < "max_attempts"))) STORED NOT NULL,
    CONSTRAINT "jobs_key_check" CHECK ((("length"("key") > 0) AND ("length"("key") <= 512))),
    CONSTRAINT "jobs_max_attempts_check" CHECK (("max_attempts" >= 1))
);

--
-- Name: add_job("text", "json", "text", timestamp with time zone, integer, "text", integer, "text"[], "text"); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."add_job"("identifier" "text", "payload" "json" DEFAULT NULL::"json", "queue_name" "text" DEFAULT NULL::"text", "run_at" timestamp with time zone DEFAULT NULL::timestamp with time zone, "max_attempts" integer DEFAULT NULL::integer, "job_key" "text" DEFAULT NULL::"text", "priority" integer DEFAULT NULL::integer, "flags" "text"[] DEFAULT NULL::"text"[], "job_key_mode" "text" DEFAULT 'replace'::"text") RETURNS "graphile_worker"."_private_jobs"
    LANGUAGE "plpgsql"
    AS $$
declare
  v_job "graphile_worker"._private_jobs;
begin
  if (job_key is null or job_key_mode is null or job_key_mode in ('replace', 'preserve_run_at')) then
    select * into v_job
    from "graphile_worker".add_jobs(
      ARRAY[(
        identifier,
        payload,
        queue_name,
        run_at,
        max_attempts::smallint,
        job_key,
        priority::smallint,
        flags
      )::"graphile_worker".job_spec],
      (job_key_mode = 'preserve_run_at')
    )
    limit 1;
    return v_job;
  elsif job_key_mode = 'unsafe_dedupe' then
    -- Ensure all the tasks exist
    insert into "graphile_worker"._private_tasks as tasks (identifier)
    values (add_job.identifier)
    on conflict do nothing;
    -- Ensure all the queues exist
    if add_job.queue_name is not null then
      insert into "graphile_worker"._private_job_queues as job_queues (queue_name)
      values (add_job.queue_name)
      on conflict do nothing;
    end if;
    -- Insert job, but if one already exists then do nothing, even if the
    -- existing job has already started (and thus represents an out-of-date
    -- world state). This is dangerous because it means that whatever state
    -- change triggered this add_job may not be acted upon (since it happened
    -- after the existing job started executing, but no further job is being
    -- scheduled), but it is useful in very rare circumstances for
    -- de-duplication. If in doubt, DO NOT USE THIS.
    insert into "graphile_worker"._private_jobs as jobs (
      job_queue_id,
      task_id,
      payload,
      run_at,
      max_attempts,
      key,
      priority,
      flags
    )
      select
        job_queues.id,
        tasks.id,
        coalesce(add_job.payload, '{}'::json),
        coalesce(add_job.run_at, now()),
        coalesce(add_job.max_attempts::smallint, 25::smallint),
        add_job.job_key,
        coalesce(add_job.priority::smallint, 0::smallint),
        (
          select jsonb_object_agg(flag, true)
          from unnest(add_job.flags) as item(flag)
        )
      from "graphile_worker"._private_tasks as tasks
      left join "graphile_worker"._private_job_queues as job_queues
      on job_queues.queue_name = add_job.queue_name
      where tasks.identifier = add_job.identifier
    on conflict (key)
      -- Bump the updated_at so that there's something to return
      do update set
        revision = jobs.revision + 1,
        updated_at = now()
      returning *
      into v_job;
    if v_job.revision = 0 then
      perform pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":1}');
    end if;
    return v_job;
  else
    raise exception 'Invalid job_key_mode value, expected ''replace'', ''preserve_run_at'' or ''unsafe_dedupe''.' using errcode = 'GWBKM';
  end if;
end;
$$;

--
-- Name: add_jobs("graphile_worker"."job_spec"[], boolean); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."add_jobs"("specs" "graphile_worker"."job_spec"[], "job_key_preserve_run_at" boolean DEFAULT false) RETURNS SETOF "graphile_worker"."_private_jobs"
    LANGUAGE "plpgsql"
    AS $$
begin
  -- Ensure all the tasks exist
  insert into "graphile_worker"._private_tasks as tasks (identifier)
  select distinct spec.identifier
  from unnest(specs) spec
  on conflict do nothing;
  -- Ensure all the queues exist
  insert into "graphile_worker"._private_job_queues as job_queues (queue_name)
  select distinct spec.queue_name
  from unnest(specs) spec
  where spec.queue_name is not null
  on conflict do nothing;
  -- Ensure any locked jobs have their key cleared - in the case of locked
  -- existing job create a new job instead as it must have already started
  -- executing (i.e. it's world state is out of date, and the fact add_job
  -- has been called again implies there's new information that needs to be
  -- acted upon).
  update "graphile_worker"._private_jobs as jobs
  set
    key = null,
    attempts = jobs.max_attempts,
    updated_at = now()
  from unnest(specs) spec
  where spec.job_key is not null
  and jobs.key = spec.job_key
  and is_available is not true;

  -- WARNING: this count is not 100% accurate; 'on conflict' clause will cause it to be an overestimate
  perform pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":' || array_length(specs, 1)::text || '}');

  -- TODO: is there a risk that a conflict could occur depending on the
  -- isolation level?
  return query insert into "graphile_worker"._private_jobs as jobs (
    job_queue_id,
    task_id,
    payload,
    run_at,
    max_attempts,
    key,
    priority,
    flags
  )
    select
      job_queues.id,
      tasks.id,
      coalesce(spec.payload, '{}'::json),
      coalesce(spec.run_at, now()),
      coalesce(spec.max_attempts, 25),
      spec.job_key,
      coalesce(spec.priority, 0),
      (
        select jsonb_object_agg(flag, true)
        from unnest(spec.flags) as item(flag)
      )
    from unnest(specs) spec
    inner join "graphile_worker"._private_tasks as tasks
    on tasks.identifier = spec.identifier
    left join "graphile_worker"._private_job_queues as job_queues
    on job_queues.queue_name = spec.queue_name
  on conflict (key) do update set
    job_queue_id = excluded.job_queue_id,
    task_id = excluded.task_id,
    payload =
      case
      when json_typeof(jobs.payload) = 'array' and json_typeof(excluded.payload) = 'array' then
        (jobs.payload::jsonb || excluded.payload::jsonb)::json
      else
        excluded.payload
      end,
    max_attempts = excluded.max_attempts,
    run_at = (case
      when job_key_preserve_run_at is true and jobs.attempts = 0 then jobs.run_at
      else excluded.run_at
    end),
    priority = excluded.priority,
    revision = jobs.revision + 1,
    flags = excluded.flags,
    -- always reset error/retry state
    attempts = 0,
    last_error = null,
    updated_at = now()
  where jobs.locked_at is null
  returning *;
end;
$$;

--
-- Name: complete_jobs(bigint[]); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."complete_jobs"("job_ids" bigint[]) RETURNS SETOF "graphile_worker"."_private_jobs"
    LANGUAGE "sql"
    AS $$
  delete from "graphile_worker"._private_jobs as jobs
    where id = any(job_ids)
    and (
      locked_at is null
    or
      locked_at < now() - interval '4 hours'
    )
    returning *;
$$;

--
-- Name: force_unlock_workers("text"[]); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."force_unlock_workers"("worker_ids" "text"[]) RETURNS "void"
    LANGUAGE "sql"
    AS $$
update "graphile_worker"._private_jobs as jobs
set locked_at = null, locked_by = null
where locked_by = any(worker_ids);
update "graphile_worker"._private_job_queues as job_queues
set locked_at = null, locked_by = null
where locked_by = any(worker_ids);
$$;

--
-- Name: permanently_fail_jobs(bigint[], "text"); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."permanently_fail_jobs"("job_ids" bigint[], "error_message" "text" DEFAULT NULL::"text") RETURNS SETOF "graphile_worker"."_private_jobs"
    LANGUAGE "sql"
    AS $$
  update "graphile_worker"._private_jobs as jobs
    set
      last_error = coalesce(error_message, 'Manually marked as failed'),
      attempts = max_attempts,
      updated_at = now()
    where id = any(job_ids)
    and (
      locked_at is null
    or
      locked_at < NOW() - interval '4 hours'
    )
    returning *;
$$;

--
-- Name: remove_job("text"); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."remove_job"("job_key" "text") RETURNS "graphile_worker"."_private_jobs"
    LANGUAGE "plpgsql" STRICT
    AS $$
declare
  v_job "graphile_worker"._private_jobs;
begin
  -- Delete job if not locked
  delete from "graphile_worker"._private_jobs as jobs
    where key = job_key
    and (
      locked_at is null
    or
      locked_at < NOW() - interval '4 hours'
    )
  returning * into v_job;
  if not (v_job is null) then
    perform pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":-1}');
    return v_job;
  end if;
  -- Otherwise prevent job from retrying, and clear the key
  update "graphile_worker"._private_jobs as jobs
  set
    key = null,
    attempts = jobs.max_attempts,
    updated_at = now()
  where key = job_key
  returning * into v_job;
  return v_job;
end;
$$;

--
-- Name: reschedule_jobs(bigint[], timestamp with time zone, integer, integer, integer); Type: FUNCTION; Schema: graphile_worker; Owner: -
--

CREATE FUNCTION "graphile_worker"."reschedule_jobs"("job_ids" bigint[], "run_at" timestamp with time zone DEFAULT NULL::timestamp with time zone, "priority" integer DEFAULT NULL::integer, "attempts" integer DEFAULT NULL::integer, "max_attempts" integer DEFAULT NULL::integer) RETURNS SETOF "graphile_worker"."_private_jobs"
    LANGUAGE "sql"
    AS $$
  update "graphile_worker"._private_jobs as jobs
    set
      run_at = coalesce(reschedule_jobs.run_at, jobs.run_at),
      priority = coalesce(reschedule_jobs.priority::smallint, jobs.priority),
      attempts = coalesce(reschedule_jobs.attempts::smallint, jobs.attempts),
      max_attempts = coalesce(reschedule_jobs.max_attempts::smallint, jobs.max_attempts),
      updated_at = now()
    where id = any(job_ids)
    and (
      locked_at is null
    or
      locked_at < NOW() - interval '4 hours'
    )
    returning *;
$$;

--
-- Name: advance_current_season(integer, "text"[]); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."advance_current_season"("p_competition_id" integer, "p_labels" "text"[]) RETURNS "void"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_latest core.season;
  v_current_label text;
begin
  select * into v_latest from core.season s
   where s.competition_id = p_competition_id and s.label = any (p_labels)
   order by s.label collate "C" desc limit 1;
  if not found then
    return;
  end if;
  select s.label into v_current_label from core.season s where s.competition_id = p_competition_id and s.is_current;
  if v_current_label is null or v_latest.label collate "C" > v_current_label collate "C" then
    update core.season s set is_current = false where s.competition_id = p_competition_id and s.is_current;
    update core.season s set is_current = true where s.season_id = v_latest.season_id;
  end if;
end;
$$;

--
-- Name: FUNCTION "advance_current_season"("p_competition_id" integer, "p_labels" "text"[]); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."advance_current_season"("p_competition_id" integer, "p_labels" "text"[]) IS 'After a schedule or results load: the latest season in the file becomes its competition''s current season, unless a later season is already current (loading history never moves the current season back).';

--
-- Name: american_to_decimal(integer); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."american_to_decimal"("p_american" integer) RETURNS numeric
    LANGUAGE "plpgsql" IMMUTABLE STRICT PARALLEL SAFE
    AS $$
begin
  if p_american >= 100 then
    return round(1 + p_american / 100.0, 4);
  elsif p_american <= -100 then
    return round(1 + 100.0 / -p_american, 4);
  end if;
  raise exception 'American odds % are not a price: a price is +100 or more, or -100 or less', p_american
    using errcode = 'SL100',
          hint = 'even money is +100 (decimal 2.0); -285 is decimal 1.3509, +230 is decimal 3.30';
end;
$$;

--
-- Name: FUNCTION "american_to_decimal"("p_american" integer); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."american_to_decimal"("p_american" integer) IS 'Converts American (moneyline) odds to decimal odds, rounded to 4 places: +230 -> 3.3000, -285 -> 1.3509. Values between -100 and +100 are not prices (SL100).';

--
-- Name: analyze_staging(bigint); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."analyze_staging"("p_batch_id" bigint) RETURNS boolean
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_table regclass;
begin
  select f.staging_table into v_table
    from ingest.batch b join ingest.feed f on f.code = b.feed
   where b.batch_id = p_batch_id and b.status = 'running';
  if v_table is null then
    return false;
  end if;
  -- Security definer: only the feeds' own staging tables, whatever ingest.feed says.
  if not exists (select from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                  where c.oid = v_table and n.nspname = 'ingest' and c.relname like 'stage\_%') then
    raise exception 'ingest.feed names % as the staging table of batch %''s feed: not a staging table (ingest.stage_*)', v_table, p_batch_id
      using errcode = 'SL112';
  end if;
  -- SKIP_LOCKED: a concurrent load of the same feed holds the table's ANALYZE lock until
  -- it commits; this load then goes on with the statistics there are rather than wait.
  execute format('analyze (skip_locked) %s', v_table);
  return true;
end;
$$;

--
-- Name: FUNCTION "analyze_staging"("p_batch_id" bigint); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."analyze_staging"("p_batch_id" bigint) IS 'Statistics of a running batch''s staging table, taken after its rows were COPY''d and before the merge (in the load''s transaction, which sees its own rows): without them the planner takes the staging table for empty and picks nested loops that make a merge quadratic. Skipped (without waiting) while a concurrent load of the same feed holds the ANALYZE lock. Only tables ingest.stage_* (SL112 otherwise: it runs with its owner''s rights). Returns false for a batch that is not running.';

--
-- Name: batch; Type: TABLE; Schema: ingest; Owner: -
--

CREATE TABLE "ingest"."batch" (
    "batch_id" bigint NOT NULL,
    "feed" "text" NOT NULL,
    "location" "text" NOT NULL,
    "started_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "finished_at" timestamp with time zone,
    "status" "text" DEFAULT 'running'::"text" NOT NULL,
    "inserted" integer DEFAULT 0 NOT NULL,
    "updated" integer DEFAULT 0 NOT NULL,
    "unchanged" integer DEFAULT 0 NOT NULL,
    "rejected" integer DEFAULT 0 NOT NULL,
    "error" "text",
    "odds_kept" integer DEFAULT 0 NOT NULL,
    "corrections" integer DEFAULT 0 NOT NULL,
    CONSTRAINT "batch_corrections_non_negative" CHECK (("corrections" >= 0)),
    CONSTRAINT "batch_counts_non_negative" CHECK ((("inserted" >= 0) AND ("updated" >= 0) AND ("unchanged" >= 0) AND ("rejected" >= 0))),
    CONSTRAINT "batch_failed_has_error" CHECK ((("status" <> 'failed'::"text") OR ("error" IS NOT NULL))),
    CONSTRAINT "batch_finished_has_time" CHECK ((("status" = 'running'::"text") OR ("finished_at" IS NOT NULL))),
    CONSTRAINT "batch_odds_kept_non_negative" CHECK (("odds_kept" >= 0)),
    CONSTRAINT "batch_status_known" CHECK (("status" = ANY (ARRAY['running'::"text", 'completed'::"text", 'failed'::"text"])))
);

--
-- Name: TABLE "batch"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."batch" IS 'One load of one file or URL by one feed: when, how it ended, and how many rows it inserted, updated, left unchanged and rejected.';

--
-- Name: COLUMN "batch"."location"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."location" IS 'The file path or URL the batch was read from.';

--
-- Name: COLUMN "batch"."inserted"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."inserted" IS 'Rows whose domain entity (event, player) did not exist before this batch.';

--
-- Name: COLUMN "batch"."updated"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."updated" IS 'Rows that changed an existing entity (its result, schedule, odds, week, roster, ...).';

--
-- Name: COLUMN "batch"."unchanged"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."unchanged" IS 'Rows that matched what the database already had: a re-run of the same file reports only these and the rejected ones.';

--
-- Name: COLUMN "batch"."rejected"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."rejected" IS 'Rows kept in ingest.rejected_row instead of being loaded.';

--
-- Name: COLUMN "batch"."error"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."error" IS 'Why a failed batch failed (a missing column, an unreadable file, an SQL error); nothing of it was merged.';

--
-- Name: COLUMN "batch"."odds_kept"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."odds_kept" IS 'Prices this load wrote into market.odds_history (new ones, and changed ones of a corrected file): kept there under its own policy, forever by default. A re-run of the same file keeps 0 more.';

--
-- Name: COLUMN "batch"."corrections"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."batch"."corrections" IS 'Settled events whose result this batch changed (a corrected final score, through core.correct_event_result: result_version bumped, a trace in core.event_correction, re-scoring queued). Not counted in updated.';

--
-- Name: CONSTRAINT "batch_corrections_non_negative" ON "batch"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON CONSTRAINT "batch_corrections_non_negative" ON "ingest"."batch" IS 'The settled results a load corrected are a count: never below 0.';

--
-- Name: CONSTRAINT "batch_odds_kept_non_negative" ON "batch"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON CONSTRAINT "batch_odds_kept_non_negative" ON "ingest"."batch" IS 'The prices a load kept in market.odds_history are a count: never below 0.';

--
-- Name: begin_merge(bigint, "text"); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."begin_merge"("p_batch_id" bigint, "p_feed" "text") RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_b ingest.batch;
begin
  select * into v_b from ingest.batch where batch_id = p_batch_id for update;
  if not found then
    raise exception 'no ingest batch %', p_batch_id using errcode = 'SL101';
  end if;
  if v_b.feed <> p_feed then
    raise exception 'ingest batch % was read by feed %, not %', v_b.batch_id, v_b.feed, p_feed
      using errcode = 'SL102', hint = format('merge it with %s', (select f.merge_function from ingest.feed f where f.code = v_b.feed));
  end if;
  if v_b.status <> 'running' then
    raise exception 'ingest batch % (% from %) is already %', v_b.batch_id, v_b.feed, v_b.location, v_b.status
      using errcode = 'SL103', hint = 'load the file again: each load is a new batch';
  end if;
  -- One merge per feed at a time: two loads of the same feed would race to create the same teams and seasons.
  perform pg_advisory_xact_lock(hashtext('scoreline.ingest'), hashtext(p_feed));
  return v_b;
end;
$$;

--
-- Name: FUNCTION "begin_merge"("p_batch_id" bigint, "p_feed" "text"); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."begin_merge"("p_batch_id" bigint, "p_feed" "text") IS 'Checks that a batch exists (SL101), belongs to the feed (SL102) and is still running (SL103), locks it, and serialises merges of one feed (transaction advisory lock).';

--
-- Name: competition("text"); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."competition"("p_code" "text", OUT "competition_id" integer, OUT "sport_id" smallint) RETURNS "record"
    LANGUAGE "plpgsql" STABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  select c.competition_id, c.sport_id into competition_id, sport_id from core.competition c where c.code = p_code;
  if not found then
    raise exception 'competition % is not defined', p_code
      using errcode = 'SL104', hint = 'the ingest migration creates nfl, epl and hkjc; run `scoreline migrate`';
  end if;
end;
$$;

--
-- Name: FUNCTION "competition"("p_code" "text", OUT "competition_id" integer, OUT "sport_id" smallint); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."competition"("p_code" "text", OUT "competition_id" integer, OUT "sport_id" smallint) IS 'The competition and sport ids of a competition code; SL104 when the reference row is missing.';

--
-- Name: finish_batch(bigint, integer, integer, integer, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."finish_batch"("p_batch_id" bigint, "p_inserted" integer, "p_updated" integer, "p_unchanged" integer, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  update ingest.batch b
     set status = case when p_final then 'completed' else b.status end,
         finished_at = case when p_final then now() end,
         inserted = b.inserted + p_inserted,
         updated = b.updated + p_updated,
         unchanged = b.unchanged + p_unchanged,
         rejected = (select count(*) from ingest.rejected_row r where r.batch_id = p_batch_id)
   where b.batch_id = p_batch_id
  returning b.*
$$;

--
-- Name: FUNCTION "finish_batch"("p_batch_id" bigint, "p_inserted" integer, "p_updated" integer, "p_unchanged" integer, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."finish_batch"("p_batch_id" bigint, "p_inserted" integer, "p_updated" integer, "p_unchanged" integer, "p_final" boolean) IS 'Adds a merge''s counts to its batch (a resumable load merges chunk by chunk) and, when p_final, marks it completed; rejected counts every ingest.rejected_row of the batch (parse, validate and merge).';

--
-- Name: football_season_label("date"); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."football_season_label"("p_first_match" "date") RETURNS "text"
    LANGUAGE "sql" IMMUTABLE STRICT PARALLEL SAFE
    AS $$
  select case when extract(month from p_first_match) >= 7
              then to_char(p_first_match, 'YYYY') || '-' || to_char(p_first_match + interval '1 year', 'YY')
              else to_char(p_first_match - interval '1 year', 'YYYY') || '-' || to_char(p_first_match, 'YY') end
$$;

--
-- Name: FUNCTION "football_season_label"("p_first_match" "date"); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."football_season_label"("p_first_match" "date") IS 'The football season a file belongs to, named by its first match: a first match from July on starts a season (2019-08-09 -> 2019-20), an earlier one belongs to the season that started the year before. Taken from the first match, not each match, because 2019-20 ended in July 2020.';

--
-- Name: keep_football_data_odds(bigint); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."keep_football_data_odds"("p_batch_id" bigint) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  -- (plpgsql: pg_temp.ingest_fd exists only during a load.) The matches of the batch being
  -- merged (pg_temp.ingest_fd, made by ingest.merge_football_data), their prices by source
  -- in the staged odds (bet365, pinnacle, market_average, market_max, each also
  -- *_closing), one row per match_result selection (home, draw, away) and price: opening
  -- prices observed at kick-off - 48 hours, closing prices at kick-off - 5 minutes.
  perform 'PRAGMA:TABLE: pg_temp.ingest_fd (batch_id bigint, line_number integer, raw text, division text, match_date date, kickoff time, home_team text, away_team text, home_goals smallint, away_goals smallint, half_time_home_goals smallint, half_time_away_goals smallint, referee text, odds jsonb, statistics jsonb, competition_id integer, season_label text, external_id text, season_id integer, week_number smallint)'; -- its shape for plpgsql_check: ingest.merge_football_data creates it at run time
  drop table if exists pg_temp.odds_history_load;
  create temporary table odds_history_load on commit drop as
  select case when o.key like '%\_closing' then e.scheduled_start - interval '5 minutes'
              else e.scheduled_start - interval '48 hours' end as observed_at,
         s.selection_id, src.source_id, (o.value ->> s.code)::numeric(10, 4) as price
    from pg_temp.ingest_fd f
    join core.event e on e.external_id = f.external_id
    join market.market m on m.event_id = e.event_id and m.market_type = 'match_result'
    join market.selection s on s.market_id = m.market_id
   cross join lateral jsonb_each(f.odds) o
    join market.source src on src.code = regexp_replace(o.key, '_closing$', '')
   where jsonb_typeof(f.odds) = 'object';
  return market.keep_odds_history(p_batch_id);
end;
$_$;

--
-- Name: FUNCTION "keep_football_data_odds"("p_batch_id" bigint); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."keep_football_data_odds"("p_batch_id" bigint) IS 'Called by ingest.merge_football_data: the bookmaker prices of the batch being merged (pg_temp.ingest_fd) into market.odds_history (market.keep_odds_history, which counts them in ingest.batch.odds_kept): one per match_result selection, source (every bookmaker of market.source the file quotes: bet365, pinnacle, william_hill, ...; market_average, market_max) and time; opening prices at kick-off - 48 h, closing (*_closing) at kick-off - 5 min. Returns the prices written (a re-run writes 0).';

--
-- Name: competition_code; Type: TABLE; Schema: ingest; Owner: -
--

CREATE TABLE "ingest"."competition_code" (
    "feed" "text" NOT NULL,
    "code" "text" NOT NULL,
    "competition_id" integer NOT NULL
);

--
-- Name: TABLE "competition_code"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."competition_code" IS 'Which competition a feed''s own league code means (football-data Div E0 is the Premier League). Rows with a code not listed here are rejected.';

--
-- Name: map_competition_code("text", "text", "text", "text", "text", "text"); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."map_competition_code"("p_feed" "text", "p_code" "text", "p_competition" "text", "p_name" "text" DEFAULT NULL::"text", "p_country" "text" DEFAULT NULL::"text", "p_sport" "text" DEFAULT NULL::"text") RETURNS "ingest"."competition_code"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_competition_id integer;
  v_sport_id smallint;
  v_row ingest.competition_code;
begin
  if p_feed is null or not exists (select from ingest.feed f where f.code = p_feed) then
    raise exception 'no feed %', coalesce(p_feed, 'null')
      using errcode = 'SL107',
            hint = format('feeds: %s', (select string_agg(f.code, ', ' order by f.code) from ingest.feed f));
  end if;
  if p_code is null or btrim(p_code) = '' then
    raise exception 'a % code to map is required', p_feed using errcode = '22023';
  end if;

  select c.competition_id into v_competition_id from core.competition c where c.code = p_competition;
  if not found then
    if p_name is null or p_sport is null then
      raise exception 'no competition %: give its name and sport (and country) to create it', coalesce(p_competition, 'null')
        using errcode = 'SL108',
              hint = format('scoreline ingest-map-code %s %s %s --name ''...'' --sport football --country DE; existing competitions: select code, name from core.competition',
                            p_feed, p_code, coalesce(p_competition, '<competition>'));
    end if;
    select s.sport_id into v_sport_id from core.sport s where s.code = p_sport;
    if not found then
      raise exception 'no sport %', p_sport
        using errcode = 'SL110',
              hint = format('sports: %s', (select string_agg(s.code, ', ' order by s.code) from core.sport s));
    end if;
    insert into core.competition (sport_id, code, name, country)
    values (v_sport_id, p_competition, p_name, p_country)
    returning competition_id into v_competition_id;
  end if;

  select * into v_row from ingest.competition_code cc where cc.feed = p_feed and cc.code = p_code;
  if found then
    if v_row.competition_id <> v_competition_id then
      raise exception '% code % already maps to competition %', p_feed, p_code,
                      (select c.code from core.competition c where c.competition_id = v_row.competition_id)
        using errcode = 'SL109',
              hint = format('to remap it (events already loaded stay in their competition): delete from ingest.competition_code where feed = %L and code = %L', p_feed, p_code);
    end if;
    return v_row;
  end if;

  insert into ingest.competition_code (feed, code, competition_id)
  values (p_feed, p_code, v_competition_id)
  returning * into v_row;
  return v_row;
end;
$$;

--
-- Name: FUNCTION "map_competition_code"("p_feed" "text", "p_code" "text", "p_competition" "text", "p_name" "text", "p_country" "text", "p_sport" "text"); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."map_competition_code"("p_feed" "text", "p_code" "text", "p_competition" "text", "p_name" "text", "p_country" "text", "p_sport" "text") IS 'A DBA''s mapping of a feed''s league code to a competition (`scoreline ingest-map-code football_data D1 bundesliga`): maps the code to the competition, creating the competition first when name and sport are given. Idempotent for the same mapping. SL107 no such feed, SL108 no such competition and no name and sport, SL109 the code maps to another competition, SL110 no such sport.';

--
-- Name: merge_events(bigint); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_events"("p_batch_id" bigint, OUT "inserted" integer, OUT "updated" integer, OUT "corrections" integer) RETURNS "record"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- pg_temp.ingest_want holds what the feed says each event is (built by the feed's merge function).
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check: the feed's merge function creates it at run time

  -- What the database must refuse: a status change core.event_status_transition does not allow,
  -- or a settled result the feed no longer has (withdrawing a result is a correction, made by a person).
  with bad as (
    delete from pg_temp.ingest_want w
     using core.event e
     where e.external_id = w.external_id
       and e.status <> w.status
       and ((e.status in ('completed', 'abandoned', 'cancelled') and w.status not in ('completed', 'abandoned', 'cancelled'))
            or (e.status not in ('completed', 'abandoned', 'cancelled')
                and not exists (select from core.event_status_transition t where t.from_status = e.status and t.to_status = w.status)))
    returning w.line_number, w.raw, w.external_id, e.status as db_status, w.status as feed_status
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, b.line_number, 'merge', b.raw,
         case when b.db_status in ('completed', 'abandoned', 'cancelled')
              then format('event %s is %s but the feed has no result for it; a settled result is withdrawn only with core.correct_event_result', b.external_id, b.db_status)
              else format('event %s is %s; it cannot become %s (see core.event_status_transition)', b.external_id, b.db_status, b.feed_status) end
  from bad b;

  -- Nor can a feed move a settled event to other teams, another competition or season, or
  -- another kind: that is part of the settled result (SL006), corrected by the owner role.
  with moved as (
    delete from pg_temp.ingest_want w
     using core.event e
     where e.external_id = w.external_id
       and e.status in ('completed', 'abandoned', 'cancelled')
       and (e.home_team_id, e.away_team_id, e.competition_id, e.season_id, e.kind)
           is distinct from (w.home_team_id, w.away_team_id, w.competition_id, w.season_id, w.kind)
    returning w.line_number, w.raw, w.external_id, e.status as db_status
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, m.line_number, 'merge', m.raw,
         format('event %s is %s: the feed gives it other teams, competition, season or kind, which are part of the settled result and change only by a correction of the owner role',
                m.external_id, m.db_status)
  from moved m;

  drop table if exists pg_temp.ingest_touched;
  create temporary table ingest_touched (event_id bigint primary key, is_new boolean not null, corrected boolean not null default false) on commit drop;

  with ins as (
    insert into core.event (external_id, kind, competition_id, season_id, week_number, stage, round, name,
                            scheduled_start, status, home_team_id, away_team_id, home_score, away_score, metadata)
    select w.external_id, w.kind, w.competition_id, w.season_id, w.week_number, w.stage, w.round, w.name,
           w.scheduled_start, w.status, w.home_team_id, w.away_team_id, w.home_score, w.away_score, w.metadata
      from pg_temp.ingest_want w
     where not exists (select from core.event e where e.external_id = w.external_id)
    returning event_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new) select event_id, true from ins;

  -- Everything but a settled result changes by a plain update (the status guard allows
  -- scheduled -> completed with its scores); odds and other metadata are merged key by key.
  with upd as (
    update core.event e
       set competition_id = w.competition_id,
           season_id = w.season_id,
           week_number = w.week_number,
           stage = w.stage,
           round = w.round,
           name = w.name,
           scheduled_start = w.scheduled_start,
           home_team_id = w.home_team_id,
           away_team_id = w.away_team_id,
           status = case when e.status in ('completed', 'abandoned', 'cancelled') then e.status else w.status end,
           home_score = case when e.status in ('completed', 'abandoned', 'cancelled') then e.home_score else w.home_score end,
           away_score = case when e.status in ('completed', 'abandoned', 'cancelled') then e.away_score else w.away_score end,
           metadata = e.metadata || w.metadata
      from pg_temp.ingest_want w
     where e.external_id = w.external_id
       and ((e.competition_id, e.season_id, e.week_number, e.stage, e.round, e.name, e.scheduled_start, e.home_team_id, e.away_team_id)
              is distinct from
            (w.competition_id, w.season_id, w.week_number, w.stage, w.round, w.name, w.scheduled_start, w.home_team_id, w.away_team_id)
            or not e.metadata @> w.metadata
            or (e.status not in ('completed', 'abandoned', 'cancelled')
                and (e.status, e.home_score, e.away_score) is distinct from (w.status, w.home_score, w.away_score)))
    returning e.event_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new) select event_id, false from upd
  on conflict (event_id) do nothing;

  -- A corrected result of a settled event goes through the correction path: it bumps
  -- result_version and leaves a trace, so re-settlement follows the normal trigger path.
  with fix as (
    select e.event_id, w.status, w.home_score, w.away_score, w.line_number
      from core.event e
      join pg_temp.ingest_want w on w.external_id = e.external_id
     where e.status in ('completed', 'abandoned', 'cancelled')
       and (e.status, e.home_score, e.away_score) is distinct from (w.status, w.home_score, w.away_score)
  )
  insert into pg_temp.ingest_touched (event_id, is_new, corrected)
  select (core.correct_event_result(f.event_id, f.status, f.home_score, f.away_score,
                                    format('corrected by ingest batch %s, line %s', p_batch_id, f.line_number))).event_id,
         false, true
    from fix f
  on conflict (event_id) do update set corrected = true;

  -- Every match and game has its match_result market with home, draw and away.
  with m as (
    insert into market.market (event_id, market_type)
    select e.event_id, 'match_result'
      from pg_temp.ingest_want w
      join core.event e on e.external_id = w.external_id
     where w.kind in ('match', 'game')
    on conflict (event_id, market_type) do nothing
    returning event_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new) select event_id, false from m
  on conflict (event_id) do nothing;

  with sel as (
    insert into market.selection (market_id, code, label, team_id)
    select m.market_id, v.code,
           case v.code when 'home' then ht.name when 'away' then awt.name else 'Draw' end,
           case v.code when 'home' then e.home_team_id when 'away' then e.away_team_id end
      from pg_temp.ingest_want w
      join core.event e on e.external_id = w.external_id
      join market.market m on m.event_id = e.event_id and m.market_type = 'match_result'
      join core.team ht on ht.team_id = e.home_team_id
      join core.team awt on awt.team_id = e.away_team_id
     cross join (values ('home'), ('draw'), ('away')) as v (code)
    on conflict (market_id, code) do update
      set label = excluded.label, team_id = excluded.team_id
      where (market.selection.label, market.selection.team_id) is distinct from (excluded.label, excluded.team_id)
    returning market_id
  )
  insert into pg_temp.ingest_touched (event_id, is_new)
  select distinct m.event_id, false from sel join market.market m on m.market_id = sel.market_id
  on conflict (event_id) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new and not t.corrected), count(*) filter (where t.corrected)
    into inserted, updated, corrections
    from pg_temp.ingest_touched t;
  update ingest.batch b set corrections = b.corrections + merge_events.corrections
   where b.batch_id = p_batch_id and merge_events.corrections > 0;
end;
$$;

--
-- Name: FUNCTION "merge_events"("p_batch_id" bigint, OUT "inserted" integer, OUT "updated" integer, OUT "corrections" integer); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_events"("p_batch_id" bigint, OUT "inserted" integer, OUT "updated" integer, OUT "corrections" integer) IS 'The part of every event feed''s merge they share: from pg_temp.ingest_want (one row per event as the feed has it) it rejects impossible status changes and settled events the feed moves to other teams, competition, season or kind, inserts new events, updates changed ones, corrects changed settled results through core.correct_event_result, and makes sure each match and game has its match_result market with home/draw/away selections. The events it inserted or changed are left in pg_temp.ingest_touched; returns how many were inserted, updated and corrected (a changed settled result: not counted as updated), and adds the corrections to the batch''s corrections.';

--
-- Name: merge_external_markets("text"); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_external_markets"("p_source" "text", OUT "inserted" integer, OUT "updated" integer) RETURNS "record"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- pg_temp.ingest_external holds one row per market and outcome (line_number, external_id,
-- outcome, question, status, resolution, resolved_at, metadata), built by the feed's merge.
-- Existing links to our selections (selection_id) are kept: a feed never unlinks.
declare
  v_source smallint;
begin
  perform 'PRAGMA:TABLE: pg_temp.ingest_external (line_number integer, external_id text, outcome text, question text, status text, resolution text, resolved_at timestamptz, metadata jsonb)'; -- its shape for plpgsql_check: the feed's merge function creates it at run time
  select s.source_id into v_source from market.source s where s.code = p_source;
  if not found then
    raise exception 'source % is not defined', p_source
      using errcode = 'SL104', hint = 'the market migration creates polymarket and kalshi in market.source';
  end if;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into market.external_market (source_id, external_id, outcome, question, status, resolution, resolved_at, metadata)
    select v_source, x.external_id, x.outcome, x.question, x.status, x.resolution, x.resolved_at, x.metadata
      from pg_temp.ingest_external x
    on conflict (source_id, external_id, outcome) do nothing
    returning external_id, outcome
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select distinct x.line_number, true from ins join pg_temp.ingest_external x using (external_id, outcome)
  on conflict (line_number) do nothing;

  with upd as (
    update market.external_market m
       set question = x.question, status = x.status, resolution = x.resolution,
           resolved_at = coalesce(m.resolved_at, x.resolved_at), metadata = m.metadata || x.metadata
      from pg_temp.ingest_external x
     where m.source_id = v_source and m.external_id = x.external_id and m.outcome = x.outcome
       and ((m.question, m.status, m.resolution) is distinct from (x.question, x.status, x.resolution)
            or (m.resolved_at is null and x.resolved_at is not null)
            or not m.metadata @> x.metadata)
    returning x.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select distinct line_number, false from upd
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into inserted, updated
    from pg_temp.ingest_touched_line t;
end;
$$;

--
-- Name: FUNCTION "merge_external_markets"("p_source" "text", OUT "inserted" integer, OUT "updated" integer); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_external_markets"("p_source" "text", OUT "inserted" integer, OUT "updated" integer) IS 'The part of the prediction-market feeds'' merges they share: upserts pg_temp.ingest_external (one row per market and outcome) into market.external_market for the source, keeping links to our selections. Returns how many records (lines) were inserted and updated.';

--
-- Name: merge_football_data(bigint, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_football_data"("p_batch_id" bigint, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Clubs: a results file is the authority on which clubs play in its league, so a club
-- not yet in core.team is created under its short name (Man United); rows of a division
-- not mapped in ingest.competition_code are rejected, naming the command that maps it.
-- Match statistics go into metadata->'statistics', values the feed could not read (a
-- price of 0) into metadata->'unreadable', as written.
-- Matchdays: football-data has none, so they are derived: each club's matches in the
-- file, in kick-off order, are its matchdays 1, 2, ...; a match is on the later of its
-- two clubs' matchdays (a postponed match joins the round in which it was played).
declare
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'football_data');

  with bad as (
    delete from ingest.stage_football_data s
     where s.batch_id = p_batch_id
       and not exists (select from ingest.competition_code cc where cc.feed = 'football_data' and cc.code = s.division)
    returning s.line_number, s.raw, s.division
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('division %s is not a known competition: map it with `scoreline ingest-map-code football_data %s <competition>` (ingest.map_competition_code), then load the file again', division, division)
    from bad;

  drop table if exists pg_temp.ingest_fd;
  create temporary table ingest_fd on commit drop as
  select r.*,
         c.code || '_' || r.season_label || '_' || to_char(r.match_date, 'YYYYMMDD') || '_'
           || ingest.name_key(r.home_team) || '_' || ingest.name_key(r.away_team) as external_id,
         null::integer as season_id,
         null::smallint as week_number
    from (select s.*, cc.competition_id, ingest.football_season_label(min(s.match_date) over (partition by s.division)) as season_label
            from ingest.stage_football_data s
            join ingest.competition_code cc on cc.feed = 'football_data' and cc.code = s.division
           where s.batch_id = p_batch_id) r
    join core.competition c on c.competition_id = r.competition_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_fd (batch_id bigint, line_number integer, raw text, division text, match_date date, kickoff time, home_team text, away_team text, home_goals smallint, away_goals smallint, half_time_home_goals smallint, half_time_away_goals smallint, referee text, odds jsonb, statistics jsonb, competition_id integer, season_label text, external_id text, season_id integer, week_number smallint)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  with d as (
    select f.line_number, f.external_id,
           first_value(f.line_number) over w as first_line,
           row_number() over w as n
      from pg_temp.ingest_fd f
    window w as (partition by f.external_id order by f.line_number)
  ), dup as (
    delete from pg_temp.ingest_fd f using d
     where f.line_number = d.line_number and d.n > 1
    returning f.line_number, f.raw, f.external_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('match %s already appears on line %s of this file', external_id, first_line)
    from dup;

  insert into core.season (competition_id, label, starts_on, ends_on)
  select f.competition_id, f.season_label, min(f.match_date), max(f.match_date)
    from pg_temp.ingest_fd f
   group by f.competition_id, f.season_label
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  update pg_temp.ingest_fd f set season_id = se.season_id
    from core.season se
   where se.competition_id = f.competition_id and se.label = f.season_label;

  perform ingest.advance_current_season(x.competition_id, x.labels)
     from (select f.competition_id, array_agg(distinct f.season_label) as labels
             from pg_temp.ingest_fd f group by f.competition_id) x;

  insert into core.team (sport_id, code, name)
  select distinct c.sport_id, t.code, t.code
    from pg_temp.ingest_fd f
    join core.competition c on c.competition_id = f.competition_id
   cross join lateral (values (f.home_team), (f.away_team)) as t (code)
  on conflict (sport_id, code) do nothing;

  with appearance as (
    select f.external_id, f.season_id, t.club, f.match_date, f.kickoff, f.line_number
      from pg_temp.ingest_fd f
     cross join lateral (values (f.home_team), (f.away_team)) as t (club)
  ), ordinal as (
    select a.external_id,
           row_number() over (partition by a.season_id, a.club order by a.match_date, a.kickoff nulls first, a.line_number) as n
      from appearance a
  ), matchday as (
    select o.external_id, max(o.n)::smallint as week_number from ordinal o group by o.external_id
  )
  update pg_temp.ingest_fd f set week_number = m.week_number
    from matchday m
   where m.external_id = f.external_id;

  insert into core.week (season_id, week_number, label, starts_on, ends_on)
  select f.season_id, f.week_number, 'Matchday ' || f.week_number, min(f.match_date), max(f.match_date)
    from pg_temp.ingest_fd f
   group by f.season_id, f.week_number
  on conflict (season_id, week_number) do update
    set label = excluded.label,
        starts_on = least(core.week.starts_on, excluded.starts_on),
        ends_on = greatest(core.week.ends_on, excluded.ends_on)
    where (core.week.label, core.week.starts_on, core.week.ends_on)
          is distinct from (excluded.label, least(core.week.starts_on, excluded.starts_on), greatest(core.week.ends_on, excluded.ends_on));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select f.line_number, f.raw, f.external_id, 'match'::text as kind,
         f.competition_id, f.season_id, f.week_number,
         'regular'::text as stage, null::text as round,
         f.home_team || ' v ' || f.away_team as name,
         -- football-data times are UK local; older files without a Time column get 15:00.
         (f.match_date + coalesce(f.kickoff, time '15:00')) at time zone 'Europe/London' as scheduled_start,
         case when f.home_goals is not null and f.away_goals is not null then 'completed' else 'scheduled' end as status,
         ht.team_id as home_team_id, awt.team_id as away_team_id,
         f.home_goals as home_score, f.away_goals as away_score,
         jsonb_strip_nulls(jsonb_build_object(
           'odds', nullif(f.odds, '{}'::jsonb),
           'half_time', case when f.half_time_home_goals is not null and f.half_time_away_goals is not null then
                          jsonb_build_object('home', f.half_time_home_goals, 'away', f.half_time_away_goals) end,
           'referee', f.referee,
           'statistics', nullif(f.statistics - 'unreadable', '{}'::jsonb),
           'unreadable', f.statistics -> 'unreadable')) as metadata
    from pg_temp.ingest_fd f
    join core.competition c on c.competition_id = f.competition_id
    join core.team ht on ht.sport_id = c.sport_id and ht.code = f.home_team
    join core.team awt on awt.sport_id = c.sport_id and awt.code = f.away_team;
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_events(p_batch_id);
  select count(*) into v_total from pg_temp.ingest_want;
  perform ingest.keep_football_data_odds(p_batch_id);
  delete from ingest.stage_football_data s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated - v_counts.corrections, p_final);
end;
$$;

--
-- Name: FUNCTION "merge_football_data"("p_batch_id" bigint, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_football_data"("p_batch_id" bigint, "p_final" boolean) IS 'Merges one football_data batch: the competition from the Div code (ingest.competition_code), the season named by the file''s first match (2019-20), clubs by short name (unknown ones are created), matchdays derived from each club''s match order, matches (external_id like epl_2019-20_20190809_Liverpool_Norwich, completed with FTHG/FTAG), bookmaker decimal odds in metadata->odds (every bookmaker, averages and maxima, opening and closing), match statistics in metadata->statistics, values that could not be read in metadata->unreadable, a match_result market per match, and every price into market.odds_history (ingest.keep_football_data_odds; counted in the batch''s odds_kept). Unmapped divisions are rejected (scoreline ingest-map-code maps one). Returns the finished batch.';

--
-- Name: merge_hkjc_results(bigint, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_hkjc_results"("p_batch_id" bigint, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- One row per runner. A race is an event of kind race (external_id hkjc_20240101_ST_R1)
-- in competition hkjc; its season is the Hong Kong racing season, September to July
-- (2024-01-01 -> 2023-24). The file has no post times: scheduled_start is the meeting's
-- date at 12:30 Hong Kong time plus 30 minutes per race after the first, and the event
-- says so in metadata->'start_time_estimated'. Races in a results file are completed.
-- Runners are keyed by (race, horse number), a horse withdrawn before it had a number
-- (WV, WX with an empty horse_no) by (race, brand code): it is a non_runner, the race
-- still has it, and its selection is void at settlement. A finishing position that
-- changes for a completed race goes through core.correct_event_result. Each race gets a
-- race_win market with a selection per runner (code = horse number, or the brand code of
-- a numberless runner). Counts are per runner row.
declare
  v_comp record;
  v_inserted integer;
  v_updated integer;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'hkjc_results');
  v_comp := ingest.competition('hkjc');

  with d as (
    select s.line_number, s.race_date, s.venue, s.race_no, s.horse_no,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_hkjc_results s
     where s.batch_id = p_batch_id
    window w as (partition by s.race_date, s.venue, s.race_no, coalesce(s.horse_no::text, s.horse_code) order by s.line_number)
  ), dup as (
    delete from ingest.stage_hkjc_results s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, d.race_no, coalesce(d.horse_no::text, s.horse_code) as horse, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('horse %s of race %s already appears on line %s of this file', horse, race_no, first_line)
    from dup;

  drop table if exists pg_temp.ingest_hk;
  create temporary table ingest_hk on commit drop as
  select s.*,
         'hkjc_' || to_char(s.race_date, 'YYYYMMDD') || '_' || s.venue || '_R' || s.race_no as external_id,
         case when extract(month from s.race_date) >= 8
              then to_char(s.race_date, 'YYYY') || '-' || to_char(s.race_date + interval '1 year', 'YY')
              else to_char(s.race_date - interval '1 year', 'YYYY') || '-' || to_char(s.race_date, 'YY') end as season_label
    from ingest.stage_hkjc_results s
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_hk (batch_id bigint, line_number integer, raw text, race_date date, venue text, race_no smallint, race_meeting_no integer, race_name text, race_class text, distance_m smallint, rating_range text, going text, course text, prize_hkd bigint, race_finish_time text, sectional_times text, runner_status text, place smallint, dead_heat boolean, horse_no smallint, horse_name text, horse_code text, jockey text, trainer text, actual_wt_lbs smallint, declared_wt_lbs smallint, draw smallint, lbw text, running_position text, finish_time interval, win_odds numeric, external_id text, season_label text)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  insert into core.season (competition_id, label, starts_on, ends_on)
  select v_comp.competition_id, h.season_label, min(h.race_date), max(h.race_date)
    from pg_temp.ingest_hk h
   group by h.season_label
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  perform ingest.advance_current_season(v_comp.competition_id, array(select distinct h.season_label from pg_temp.ingest_hk h));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select distinct on (h.external_id)
         h.line_number, h.raw, h.external_id, 'race'::text as kind,
         v_comp.competition_id, se.season_id, null::smallint as week_number,
         'regular'::text as stage, h.race_no::text as round,
         coalesce(h.race_name, 'Race ' || h.race_no) as name,
         (h.race_date + time '12:30' + (h.race_no - 1) * interval '30 minutes') at time zone 'Asia/Hong_Kong' as scheduled_start,
         'completed'::text as status,
         null::integer as home_team_id, null::integer as away_team_id,
         null::smallint as home_score, null::smallint as away_score,
         jsonb_strip_nulls(jsonb_build_object(
           'venue', h.venue,
           'meeting_race_no', h.race_meeting_no,
           'race_class', h.race_class,
           'distance_m', h.distance_m,
           'rating_range', h.rating_range,
           'going', h.going,
           'course', h.course,
           'prize_hkd', h.prize_hkd,
           'race_finish_time', h.race_finish_time,
           'sectional_times', h.sectional_times,
           'start_time_estimated', true)) as metadata
    from pg_temp.ingest_hk h
    join core.season se on se.competition_id = v_comp.competition_id and se.label = h.season_label
   order by h.external_id, h.line_number;
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  perform ingest.merge_events(p_batch_id); -- its counts are of races; the batch counts runner lines (below)

  drop table if exists pg_temp.ingest_runner;
  create temporary table ingest_runner on commit drop as
  select h.line_number, e.event_id, e.status as event_status, h.horse_no as number,
         coalesce(h.horse_no::text, h.horse_code) as key, h.draw, h.horse_name as name, h.horse_code as external_id,
         h.jockey, h.trainer, h.actual_wt_lbs::numeric(7, 2) as weight, h.runner_status as status, h.place as finish_position,
         h.finish_time,
         jsonb_strip_nulls(jsonb_build_object(
           'odds', case when h.win_odds is not null then jsonb_build_object('hkjc_win', h.win_odds) end,
           'dead_heat', case when h.dead_heat then true end,
           'declared_weight_lbs', h.declared_wt_lbs,
           'lbw', h.lbw,
           'running_position', h.running_position)) as metadata
    from pg_temp.ingest_hk h
    join core.event e on e.external_id = h.external_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_runner (line_number integer, event_id bigint, event_status text, number smallint, key text, draw smallint, name text, external_id text, jockey text, trainer text, weight numeric(7, 2), status text, finish_position smallint, finish_time interval, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with ins as (
    insert into core.runner (event_id, number, draw, name, external_id, jockey, trainer, weight, status, finish_position, finish_time, metadata)
    select r.event_id, r.number, r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.status, r.finish_position, r.finish_time, r.metadata
      from pg_temp.ingest_runner r
     where r.number is not null
    on conflict (event_id, number) do nothing
    returning event_id, number::text as key
  ), ins_numberless as (
    insert into core.runner (event_id, number, draw, name, external_id, jockey, trainer, weight, status, finish_position, finish_time, metadata)
    select r.event_id, null, r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.status, r.finish_position, r.finish_time, r.metadata
      from pg_temp.ingest_runner r
     where r.number is null
    on conflict (event_id, external_id) where number is null do nothing
    returning event_id, external_id as key
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, true
    from (select * from ins union all select * from ins_numberless) i
    join pg_temp.ingest_runner r on r.event_id = i.event_id and r.key = i.key;

  -- Everything about a runner but its result, and the result while the race is not settled.
  with upd as (
    update core.runner x
       set draw = r.draw, name = r.name, external_id = r.external_id, jockey = r.jockey, trainer = r.trainer,
           weight = r.weight, finish_time = r.finish_time, metadata = x.metadata || r.metadata,
           status = case when r.event_status in ('completed', 'abandoned', 'cancelled') then x.status else r.status end,
           finish_position = case when r.event_status in ('completed', 'abandoned', 'cancelled') then x.finish_position else r.finish_position end
      from pg_temp.ingest_runner r
     where x.event_id = r.event_id and coalesce(x.number::text, x.external_id) = r.key
       and ((x.draw, x.name, x.external_id, x.jockey, x.trainer, x.weight, x.finish_time)
              is distinct from (r.draw, r.name, r.external_id, r.jockey, r.trainer, r.weight, r.finish_time)
            or not x.metadata @> r.metadata
            or (r.event_status not in ('completed', 'abandoned', 'cancelled')
                and (x.status, x.finish_position) is distinct from (r.status, r.finish_position)))
    returning r.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from upd
  on conflict (line_number) do nothing;

  -- Changed finishing positions of a settled race: one correction per race.
  with changed as (
    select r.event_id, r.line_number, r.number, r.finish_position
      from pg_temp.ingest_runner r
      join core.runner x on x.event_id = r.event_id and coalesce(x.number::text, x.external_id) = r.key
     where r.event_status in ('completed', 'abandoned', 'cancelled')
       and r.number is not null
       and x.finish_position is distinct from r.finish_position
  ), fixed as (
    select (core.correct_event_result(c.event_id, e.status, null, null,
                                      format('corrected by ingest batch %s, lines %s', p_batch_id, string_agg(c.line_number::text, ', ' order by c.line_number)),
                                      jsonb_object_agg(c.number::text, c.finish_position))).event_id
      from changed c join core.event e on e.event_id = c.event_id
     group by c.event_id, e.status
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select c.line_number, false from changed c where c.event_id in (select event_id from fixed)
  on conflict (line_number) do nothing;

  -- Rows of a race whose event itself changed count as updated.
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, false
    from pg_temp.ingest_runner r join pg_temp.ingest_touched t on t.event_id = r.event_id and not t.is_new
  on conflict (line_number) do nothing;

  -- A race_win market per race, a selection per runner.
  insert into market.market (event_id, market_type)
  select distinct r.event_id, 'race_win' from pg_temp.ingest_runner r
  on conflict (event_id, market_type) do nothing;

  with sel as (
    insert into market.selection (market_id, code, label, runner_id)
    select m.market_id, r.key, x.name, x.runner_id
      from pg_temp.ingest_runner r
      join core.runner x on x.event_id = r.event_id and coalesce(x.number::text, x.external_id) = r.key
      join market.market m on m.event_id = r.event_id and m.market_type = 'race_win'
    on conflict (market_id, code) do update
      set label = excluded.label, runner_id = excluded.runner_id
      where (market.selection.label, market.selection.runner_id) is distinct from (excluded.label, excluded.runner_id)
    returning market_id, code
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select r.line_number, false
    from sel
    join market.market m on m.market_id = sel.market_id
    join pg_temp.ingest_runner r on r.event_id = m.event_id and r.key = sel.code
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into v_inserted, v_updated
    from pg_temp.ingest_touched_line t;
  select count(*) into v_total from pg_temp.ingest_runner;

  -- The runners' final win odds as historical prices of the hkjc source, observed 10
  -- minutes before the race's (estimated) start: kept in market.odds_history, counted in
  -- the batch's odds_kept (a re-run keeps 0 more).
  drop table if exists pg_temp.odds_history_load;
  create temporary table odds_history_load on commit drop as
  select e.scheduled_start - interval '10 minutes' as observed_at, s.selection_id, src.source_id, r.win_odds::numeric(10, 4) as price
    from pg_temp.ingest_hk r
    join core.event e on e.external_id = r.external_id
    join market.market m on m.event_id = e.event_id and m.market_type = 'race_win'
    join market.selection s on s.market_id = m.market_id and s.code = coalesce(r.horse_no::text, r.horse_code)
   cross join (select x.source_id from market.source x where x.code = 'hkjc') src
   where r.win_odds is not null;
  perform market.keep_odds_history(p_batch_id);

  delete from ingest.stage_hkjc_results s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_inserted, v_updated, v_total - v_inserted - v_updated, p_final);
end;
$$;

--
-- Name: FUNCTION "merge_hkjc_results"("p_batch_id" bigint, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_hkjc_results"("p_batch_id" bigint, "p_final" boolean) IS 'Merges one hkjc_results batch (one row per runner): races as events of kind race (external_id hkjc_20240101_ST_R1, Hong Kong season September-July, start times estimated), runners with draw, jockey, trainer, weight, finishing position and time, win odds in runner metadata->odds->hkjc_win and as historical prices of the hkjc source at the start - 10 minutes (market.odds_history, counted in odds_kept), and a race_win market with a selection per runner (a horse withdrawn before it had a number is a non_runner keyed by its brand code). Changed positions of a completed race go through core.correct_event_result. Counts are per runner row. Returns the finished batch.';

--
-- Name: merge_kalshi_markets(bigint, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_kalshi_markets"("p_batch_id" bigint, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Kalshi markets are binary: two external_market rows per ticker, outcomes yes and no.
-- A determined market (result yes or no) resolves them won/lost at close_time; the
-- dollar prices (yes bid/ask, last) are in metadata.
declare
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'kalshi_markets');

  with d as (
    select s.line_number, s.ticker, first_value(s.line_number) over w as first_line, row_number() over w as n
      from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id
    window w as (partition by s.ticker order by s.line_number)
  ), dup as (
    delete from ingest.stage_kalshi_markets s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.ticker, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('market %s already appears on line %s of this file', ticker, first_line)
    from dup;

  drop table if exists pg_temp.ingest_external;
  create temporary table ingest_external on commit drop as
  select s.line_number, s.ticker as external_id, o.outcome, s.title as question, s.status,
         case when s.result is null then null when s.result = o.outcome then 'won' else 'lost' end as resolution,
         case when s.result is not null then s.close_time end as resolved_at,
         jsonb_strip_nulls(jsonb_build_object('event_ticker', s.event_ticker, 'open_time', s.open_time, 'close_time', s.close_time,
                                              'yes_bid', s.yes_bid, 'yes_ask', s.yes_ask, 'last_price', s.last_price)) as metadata
    from ingest.stage_kalshi_markets s
   cross join (values ('yes'), ('no')) as o (outcome)
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_external (line_number integer, external_id text, outcome text, question text, status text, resolution text, resolved_at timestamptz, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_external_markets('kalshi');
  select count(*) into v_total from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id;
  delete from ingest.stage_kalshi_markets s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated, p_final);
end;
$$;

--
-- Name: FUNCTION "merge_kalshi_markets"("p_batch_id" bigint, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_kalshi_markets"("p_batch_id" bigint, "p_final" boolean) IS 'Merges one kalshi_markets batch into market.external_market: outcomes yes and no per ticker, the status as Kalshi gives it, resolution won/lost from result, dollar prices in metadata. Returns the batch.';

--
-- Name: merge_nfl_games(bigint, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_nfl_games"("p_batch_id" bigint, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Teams: the schedule is the authority on which NFL teams exist, so an abbreviation
-- not yet in core.team is created (code and name = the abbreviation) — unless it is a
-- franchise's former code in that season (core.team_alias: OAK until 2019 is LV), which
-- means the franchise's team (core.team_for_code), so its games follow the franchise. The roster feed
-- (merge_nfl_players) does the opposite and rejects unknown teams.
declare
  v_comp record;
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'nfl_games');
  v_comp := ingest.competition('nfl');

  with d as (
    select s.line_number, s.game_id,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_nfl_games s
     where s.batch_id = p_batch_id
    window w as (partition by s.game_id order by s.line_number)
  ), dup as (
    delete from ingest.stage_nfl_games s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.game_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('game_id %s already appears on line %s of this file', game_id, first_line)
    from dup;

  insert into core.season (competition_id, label, starts_on, ends_on)
  select v_comp.competition_id, s.season, min(s.gameday), max(s.gameday)
    from ingest.stage_nfl_games s
   where s.batch_id = p_batch_id
   group by s.season
  on conflict (competition_id, label) do update
    set starts_on = least(core.season.starts_on, excluded.starts_on),
        ends_on = greatest(core.season.ends_on, excluded.ends_on)
    where (core.season.starts_on, core.season.ends_on)
          is distinct from (least(core.season.starts_on, excluded.starts_on), greatest(core.season.ends_on, excluded.ends_on));

  perform ingest.advance_current_season(v_comp.competition_id,
    array(select distinct s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id));

  insert into core.team (sport_id, code, name)
  select distinct v_comp.sport_id, t.code, t.code
    from (select s.home_team, s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id
          union
          select s.away_team, s.season from ingest.stage_nfl_games s where s.batch_id = p_batch_id) as t (code, season)
   where core.team_for_code(v_comp.sport_id, t.code, t.season::integer) is null
  on conflict (sport_id, code) do nothing;

  insert into core.week (season_id, week_number, label, starts_on, ends_on)
  select se.season_id, s.week,
         case min(s.game_type)
           when 'REG' then 'Week ' || s.week
           when 'WC' then 'Wild Card'
           when 'DIV' then 'Divisional round'
           when 'CON' then 'Conference championships'
           when 'SB' then 'Super Bowl'
           else min(s.game_type) end,
         min(s.gameday), max(s.gameday)
    from ingest.stage_nfl_games s
    join core.season se on se.competition_id = v_comp.competition_id and se.label = s.season
   where s.batch_id = p_batch_id
   group by se.season_id, s.week
  on conflict (season_id, week_number) do update
    set label = excluded.label,
        starts_on = least(core.week.starts_on, excluded.starts_on),
        ends_on = greatest(core.week.ends_on, excluded.ends_on)
    where (core.week.label, core.week.starts_on, core.week.ends_on)
          is distinct from (excluded.label, least(core.week.starts_on, excluded.starts_on), greatest(core.week.ends_on, excluded.ends_on));

  drop table if exists pg_temp.ingest_want;
  create temporary table ingest_want on commit drop as
  select s.line_number, s.raw, s.game_id as external_id, 'game'::text as kind,
         v_comp.competition_id, se.season_id, s.week as week_number,
         case when s.game_type = 'REG' then 'regular' else 'postseason' end as stage,
         s.game_type as round,
         s.away_team || ' @ ' || s.home_team as name,
         -- nflverse times are US Eastern; a game without a time yet is put at 13:00 Eastern.
         (s.gameday + coalesce(s.gametime, time '13:00')) at time zone 'America/New_York' as scheduled_start,
         case when s.home_score is not null and s.away_score is not null then 'completed' else 'scheduled' end as status,
         ht.team_id as home_team_id, awt.team_id as away_team_id,
         s.home_score, s.away_score,
         jsonb_strip_nulls(jsonb_build_object(
           'odds', case when s.home_moneyline is not null and s.away_moneyline is not null then
                     jsonb_build_object('consensus', jsonb_build_object(
                       'home', ingest.american_to_decimal(s.home_moneyline),
                       'away', ingest.american_to_decimal(s.away_moneyline))) end,
           'moneyline', case when s.home_moneyline is not null and s.away_moneyline is not null then
                          jsonb_build_object('home', s.home_moneyline, 'away', s.away_moneyline) end,
           'spread_line', s.spread_line,
           'total_line', s.total_line,
           'overtime', s.overtime,
           'location', s.location,
           'stadium', s.stadium,
           'roof', s.roof,
           'surface', s.surface)) as metadata
    from ingest.stage_nfl_games s
    join core.season se on se.competition_id = v_comp.competition_id and se.label = s.season
    cross join lateral (select core.team_for_code(v_comp.sport_id, s.home_team, s.season::integer) as team_id) ht
    cross join lateral (select core.team_for_code(v_comp.sport_id, s.away_team, s.season::integer) as team_id) awt
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_want (line_number integer, raw text, external_id text, kind text, competition_id integer, season_id integer, week_number smallint, stage text, round text, name text, scheduled_start timestamptz, status text, home_team_id integer, away_team_id integer, home_score smallint, away_score smallint, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_events(p_batch_id);
  select count(*) into v_total from pg_temp.ingest_want;
  delete from ingest.stage_nfl_games s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated - v_counts.corrections, p_final);
end;
$$;

--
-- Name: FUNCTION "merge_nfl_games"("p_batch_id" bigint, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_nfl_games"("p_batch_id" bigint, "p_final" boolean) IS 'Merges one nfl_games batch: seasons (the latest in the file becomes current), teams by abbreviation (a franchise''s former code in its seasons, core.team_alias, is the franchise''s team; unknown ones are created), weeks (1-18 regular, 19-22 post-season), games (external_id = game_id, stage regular for REG else postseason, round = game_type, scheduled_start from gameday + gametime in America/New_York, completed when both scores are present), consensus moneylines as decimal odds in metadata->odds, and a match_result market per game. Returns the finished batch.';

--
-- Name: merge_nfl_players(bigint, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_nfl_players"("p_batch_id" bigint, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Teams: a player row names his team (recent_team, the abbreviation of that season: a
-- former code of a franchise is resolved by core.team_for_code); a team the schedule has not
-- established is rejected, not created, so that a typo cannot invent a 33rd team.
-- A player whose team changed in a later file gets a roster row for the new team too
-- (he was on both rosters that season); his position is updated on every roster row
-- of that season and team.
declare
  v_comp record;
  v_inserted integer;
  v_updated integer;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'nfl_players');
  v_comp := ingest.competition('nfl');

  with d as (
    select s.line_number, s.player_id, s.season,
           first_value(s.line_number) over w as first_line,
           row_number() over w as n
      from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id
    window w as (partition by s.player_id, s.season order by s.line_number)
  ), dup as (
    delete from ingest.stage_nfl_players s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.player_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('player %s already appears on line %s of this file', player_id, first_line)
    from dup;

  -- Each team code of each season resolved once (a franchise's code of that season), not
  -- once per player row: the batch's few dozen (team, season) pairs.
  drop table if exists pg_temp.ingest_np_team;
  create temporary table ingest_np_team on commit drop as
  select d.recent_team, d.season, core.team_for_code(v_comp.sport_id, d.recent_team, d.season::integer) as team_id
    from (select distinct s.recent_team, s.season from ingest.stage_nfl_players s where s.batch_id = p_batch_id) d;
  perform 'PRAGMA:TABLE: pg_temp.ingest_np_team (recent_team text, season text, team_id integer)'; -- its shape for plpgsql_check, which cannot see a table created at run time
  analyze pg_temp.ingest_np_team;

  with bad as (
    delete from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id
       and not exists (select from pg_temp.ingest_np_team t
                        where t.recent_team = s.recent_team and t.season = s.season and t.team_id is not null)
    returning s.line_number, s.raw, s.recent_team
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw,
         format('team %s is not known: NFL teams come from the schedule (feed nfl_games); load it first', recent_team)
    from bad;

  insert into core.season (competition_id, label)
  select distinct v_comp.competition_id, s.season
    from ingest.stage_nfl_players s
   where s.batch_id = p_batch_id
  on conflict (competition_id, label) do nothing;

  drop table if exists pg_temp.ingest_touched_line;
  create temporary table ingest_touched_line (line_number integer primary key, is_new boolean not null) on commit drop;

  with renamed as (
    update core.player p set full_name = s.display_name
      from ingest.stage_nfl_players s
     where s.batch_id = p_batch_id and p.sport_id = v_comp.sport_id and p.external_id = s.player_id
       and p.full_name <> s.display_name
    returning s.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from renamed;

  insert into core.player (sport_id, external_id, full_name)
  select v_comp.sport_id, s.player_id, s.display_name
    from ingest.stage_nfl_players s
   where s.batch_id = p_batch_id
  on conflict (sport_id, external_id) do nothing;

  drop table if exists pg_temp.ingest_roster;
  create temporary table ingest_roster on commit drop as
  select s.line_number, se.season_id, t.team_id, p.player_id, s.position, s.player_id as external_id
    from ingest.stage_nfl_players s
    join core.season se on se.competition_id = v_comp.competition_id and se.label = s.season
    join pg_temp.ingest_np_team t on t.recent_team = s.recent_team and t.season = s.season
    join core.player p on p.sport_id = v_comp.sport_id and p.external_id = s.player_id
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_roster (line_number integer, season_id integer, team_id integer, player_id bigint, position text, external_id text)'; -- its shape for plpgsql_check, which cannot see a table created at run time
  analyze pg_temp.ingest_roster;

  with ins as (
    insert into core.roster (season_id, team_id, player_id, position, external_id)
    select w.season_id, w.team_id, w.player_id, w.position, w.external_id
      from pg_temp.ingest_roster w
    on conflict (season_id, team_id, player_id) do nothing
    returning season_id, team_id, player_id
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new)
  select w.line_number, true
    from ins join pg_temp.ingest_roster w using (season_id, team_id, player_id)
  on conflict (line_number) do update set is_new = true;

  with moved as (
    update core.roster r set position = w.position
      from pg_temp.ingest_roster w
     where r.season_id = w.season_id and r.team_id = w.team_id and r.player_id = w.player_id
       and r.position <> w.position
    returning w.line_number
  )
  insert into pg_temp.ingest_touched_line (line_number, is_new) select line_number, false from moved
  on conflict (line_number) do nothing;

  select count(*) filter (where t.is_new), count(*) filter (where not t.is_new)
    into v_inserted, v_updated
    from pg_temp.ingest_touched_line t;
  select count(*) into v_total from pg_temp.ingest_roster;
  delete from ingest.stage_nfl_players s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_inserted, v_updated, v_total - v_inserted - v_updated, p_final);
end;
$$;

--
-- Name: FUNCTION "merge_nfl_players"("p_batch_id" bigint, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_nfl_players"("p_batch_id" bigint, "p_final" boolean) IS 'Merges one nfl_players batch: players by GSIS id (core.player, name updated when it changes) and their roster row for the season with position and recent_team (core.roster, position updated when it changes). Rows naming a team the schedule has not created are rejected. Returns the finished batch.';

--
-- Name: merge_polymarket_markets(bigint, boolean); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."merge_polymarket_markets"("p_batch_id" bigint, "p_final" boolean DEFAULT true) RETURNS "ingest"."batch"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- One external_market row per outcome of a market (external_id = conditionId). Status:
-- closed, open (active) or inactive. A closed market's outcome priced 1 resolved won,
-- priced 0 lost (Polymarket settles prices to 1 and 0); its current price is in
-- metadata->'price'. Linking a market to our selections is a separate step.
declare
  v_counts record;
  v_total integer;
begin
  perform ingest.begin_merge(p_batch_id, 'polymarket_markets');

  with d as (
    select s.line_number, s.condition_id, first_value(s.line_number) over w as first_line, row_number() over w as n
      from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id
    window w as (partition by s.condition_id order by s.line_number)
  ), dup as (
    delete from ingest.stage_polymarket_markets s using d
     where s.batch_id = p_batch_id and s.line_number = d.line_number and d.n > 1
    returning s.line_number, s.raw, s.condition_id, d.first_line
  )
  insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
  select p_batch_id, line_number, 'merge', raw, format('market %s already appears on line %s of this file', condition_id, first_line)
    from dup;

  drop table if exists pg_temp.ingest_external;
  create temporary table ingest_external on commit drop as
  select s.line_number, s.condition_id as external_id, o.outcome, s.question,
         case when s.closed then 'closed' when s.active then 'open' else 'inactive' end as status,
         case when s.closed and (s.prices ->> (o.n::int - 1))::numeric = 1 then 'won'
              when s.closed and (s.prices ->> (o.n::int - 1))::numeric = 0 then 'lost' end as resolution,
         case when s.closed and (s.prices ->> (o.n::int - 1))::numeric in (0, 1) then s.end_date end as resolved_at,
         jsonb_strip_nulls(jsonb_build_object('price', s.prices -> (o.n::int - 1), 'market_id', s.market_id, 'slug', s.slug,
                                              'end_date', s.end_date)) as metadata
    from ingest.stage_polymarket_markets s
   cross join lateral jsonb_array_elements_text(s.outcomes) with ordinality as o (outcome, n)
   where s.batch_id = p_batch_id;
  perform 'PRAGMA:TABLE: pg_temp.ingest_external (line_number integer, external_id text, outcome text, question text, status text, resolution text, resolved_at timestamptz, metadata jsonb)'; -- its shape for plpgsql_check, which cannot see a table created at run time

  v_counts := ingest.merge_external_markets('polymarket');
  select count(*) into v_total from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id;
  delete from ingest.stage_polymarket_markets s where s.batch_id = p_batch_id;
  return ingest.finish_batch(p_batch_id, v_counts.inserted, v_counts.updated, v_total - v_counts.inserted - v_counts.updated, p_final);
end;
$$;

--
-- Name: FUNCTION "merge_polymarket_markets"("p_batch_id" bigint, "p_final" boolean); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."merge_polymarket_markets"("p_batch_id" bigint, "p_final" boolean) IS 'Merges one polymarket_markets batch into market.external_market: a row per outcome (external_id = conditionId), status open/closed/inactive, resolution won/lost from the settled prices of a closed market, the price in metadata. Returns the batch.';

--
-- Name: name_key("text"); Type: FUNCTION; Schema: ingest; Owner: -
--

CREATE FUNCTION "ingest"."name_key"("p_name" "text") RETURNS "text"
    LANGUAGE "sql" IMMUTABLE STRICT PARALLEL SAFE
    AS $$
  select trim(both '_' from regexp_replace(p_name, '[^A-Za-z0-9]+', '_', 'g'))
$$;

--
-- Name: FUNCTION "name_key"("p_name" "text"); Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON FUNCTION "ingest"."name_key"("p_name" "text") IS 'A name as it appears in a natural id: runs of anything but letters and digits become one underscore (Man United -> Man_United).';

--
-- Name: default_partition_rows(); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."default_partition_rows"() RETURNS TABLE("parent" "regclass", "rows" bigint)
    LANGUAGE "plpgsql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_d record;
begin
  for v_d in
    select pb.parent as p, pb.partition as part
      from maint.partition_bounds pb
     where pb.is_default
     order by pb.parent::text
  loop
    parent := v_d.p;
    execute format('select count(*) from %s', v_d.part) into rows;
    return next;
  end loop;
end;
$$;

--
-- Name: FUNCTION "default_partition_rows"(); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."default_partition_rows"() IS 'For every table in maint.partition_policy that has a default partition: how many rows sit in it. Anything above 0 means rows arrived for a time without a partition (a far-future or far-past timestamp, or a historic load without maint.ensure_partitions): a data-quality check should fail on it.';

--
-- Name: downsample_odds("regclass"); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."downsample_odds"("p_partition" "regclass") RETURNS bigint
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_n bigint;
begin
  if not exists (select from pg_catalog.pg_inherits where inhparent = 'market.odds_snapshot'::regclass and inhrelid = p_partition) then
    raise exception '% is not a partition of market.odds_snapshot', p_partition using errcode = 'SL088';
  end if;
  execute format($q$
    insert into market.odds_bar_1m as b
      (bucket, selection_id, source_id,
       back_open, back_high, back_low, back_close,
       lay_open, lay_high, lay_low, lay_close,
       last_traded_price, volume, snapshots, first_observed_at, last_observed_at)
    select date_bin('1 minute', o.observed_at, timestamptz '2000-01-01 00:00:00+00'), o.selection_id, o.source_id,
           (array_agg(o.back_price order by o.observed_at) filter (where o.back_price is not null))[1],
           max(o.back_price), min(o.back_price),
           (array_agg(o.back_price order by o.observed_at desc) filter (where o.back_price is not null))[1],
           (array_agg(o.lay_price order by o.observed_at) filter (where o.lay_price is not null))[1],
           max(o.lay_price), min(o.lay_price),
           (array_agg(o.lay_price order by o.observed_at desc) filter (where o.lay_price is not null))[1],
           (array_agg(o.last_traded_price order by o.observed_at desc) filter (where o.last_traded_price is not null))[1],
           max(o.volume), count(*), min(o.observed_at), max(o.observed_at)
      from %s o
     group by 1, 2, 3
    on conflict (selection_id, source_id, bucket) do update set
      back_open = case when excluded.first_observed_at < b.first_observed_at
                       then coalesce(excluded.back_open, b.back_open) else coalesce(b.back_open, excluded.back_open) end,
      back_high = greatest(b.back_high, excluded.back_high),
      back_low = least(b.back_low, excluded.back_low),
      back_close = case when excluded.last_observed_at > b.last_observed_at
                        then coalesce(excluded.back_close, b.back_close) else coalesce(b.back_close, excluded.back_close) end,
      lay_open = case when excluded.first_observed_at < b.first_observed_at
                      then coalesce(excluded.lay_open, b.lay_open) else coalesce(b.lay_open, excluded.lay_open) end,
      lay_high = greatest(b.lay_high, excluded.lay_high),
      lay_low = least(b.lay_low, excluded.lay_low),
      lay_close = case when excluded.last_observed_at > b.last_observed_at
                       then coalesce(excluded.lay_close, b.lay_close) else coalesce(b.lay_close, excluded.lay_close) end,
      last_traded_price = case when excluded.last_observed_at > b.last_observed_at
                               then coalesce(excluded.last_traded_price, b.last_traded_price)
                               else coalesce(b.last_traded_price, excluded.last_traded_price) end,
      volume = greatest(b.volume, excluded.volume),
      snapshots = b.snapshots + excluded.snapshots,
      first_observed_at = least(b.first_observed_at, excluded.first_observed_at),
      last_observed_at = greatest(b.last_observed_at, excluded.last_observed_at)
  $q$, p_partition);
  get diagnostics v_n = row_count;
  return v_n;
end;
$_$;

--
-- Name: FUNCTION "downsample_odds"("p_partition" "regclass"); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."downsample_odds"("p_partition" "regclass") IS 'Internal to maint.downsample_partition (the owner may call it; the worker may not): aggregates one partition of market.odds_snapshot into 1-minute bars in market.odds_bar_1m (open/high/low/close of back and lay by observed_at, last traded price close, volume = the largest cumulative volume in the minute) and returns the number of bars written. A bar that already exists (late raw rows for a minute already downsampled) is merged: high, low, volume and counts exactly; open and close by time.';

--
-- Name: downsample_partition("regclass", "regclass"); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."downsample_partition"("p_parent" "regclass", "p_partition" "regclass") RETURNS bigint
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_pol maint.partition_policy;
  v_bounds record;
  v_bars bigint;
begin
  if not exists (select from pg_catalog.pg_inherits where inhparent = p_parent and inhrelid = p_partition) then
    raise exception '% is not a partition of %', p_partition, p_parent using errcode = 'SL088';
  end if;
  select * into v_pol from maint.partition_policy pol where pol.parent = p_parent for share;
  if not found or v_pol.downsample_after is null then
    raise exception 'the partition policy of % does not downsample it: partition % is not downsampled nor dropped', p_parent, p_partition
      using errcode = 'SL090', hint = 'downsample_after and downsample_into are set in maint.partition_policy, by the owner role';
  end if;
  if (v_pol.parent, v_pol.downsample_into) is distinct from ('market.odds_snapshot'::regclass, 'market.odds_bar_1m'::regclass) then
    raise exception 'no downsampler from % into %', v_pol.parent, v_pol.downsample_into
      using errcode = 'SL089',
            hint = 'only market.odds_snapshot -> market.odds_bar_1m is known; set downsample_after and downsample_into to null';
  end if;
  select pb.is_default, pb.range_from, pb.range_to into v_bounds
    from maint.partition_bounds pb where pb.parent = p_parent and pb.partition = p_partition;
  if v_bounds.is_default or v_bounds.range_to is null or v_bounds.range_to > now() - v_pol.downsample_after then
    raise exception 'partition % of % is not due for downsampling: %', p_partition, p_parent,
                    case when v_bounds.is_default then 'the default partition is never downsampled'
                         else format('it ends at %s, and raw rows are kept for %s, until %s', v_bounds.range_to, v_pol.downsample_after, v_bounds.range_to + v_pol.downsample_after) end
      using errcode = 'SL091', hint = 'maintenance downsamples a partition once its whole range is older than downsample_after';
  end if;
  perform maint.ensure_partitions(v_pol.downsample_into, v_bounds.range_from, v_bounds.range_to - interval '1 microsecond');
  v_bars := maint.downsample_odds(p_partition);
  insert into maint.maintenance_log (parent, action, partition_name, range_from, range_to, rows)
  values (p_parent::text, 'downsample', p_partition::text, v_bounds.range_from, v_bounds.range_to, v_bars);
  insert into maint.maintenance_log (parent, action, partition_name, range_from, range_to)
  values (p_parent::text, 'drop', p_partition::text, v_bounds.range_from, v_bounds.range_to);
  execute format('alter table %s detach partition %s', p_parent, p_partition);
  execute format('drop table %s', p_partition);
  return v_bars;
end;
$$;

--
-- Name: FUNCTION "downsample_partition"("p_parent" "regclass", "p_partition" "regclass"); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."downsample_partition"("p_parent" "regclass", "p_partition" "regclass") IS 'Downsampling: aggregates a raw partition into its policy''s downsample_into (market.odds_snapshot into market.odds_bar_1m, maint.downsample_odds), then detaches and drops it, logging both, in one transaction, only when the policy says it is due: its whole range ends at or before now() - downsample_after (server time). Returns the bars written. Refuses a table whose policy does not downsample (SL090), a partition not due or the default partition (SL091), an unknown downsampler (SL089), a table that is not a partition of the parent (SL088).';

--
-- Name: dq_orphaned_odds(); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."dq_orphaned_odds"() RETURNS bigint
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select (select count(*)
            from market.odds_snapshot o
           where not exists (select from market.selection s where s.selection_id = o.selection_id)
              or not exists (select from market.source r where r.source_id = o.source_id))
       + (select count(*)
            from market.odds_history h
           where not exists (select from market.selection s where s.selection_id = h.selection_id)
              or not exists (select from market.source r where r.source_id = h.source_id));
$$;

--
-- Name: FUNCTION "dq_orphaned_odds"(); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."dq_orphaned_odds"() IS 'Data-quality check: odds snapshots and historical prices whose selection or source does not exist (0 = healthy). The COPY path checks its keys (market.lock_odds_keys) and deletes follow the selection''s trigger; a row written by a plain INSERT with an unknown id, or a TRUNCATE of market.selection, shows up here. To run it nightly, register it: insert into refresh."check" (name, query, expected, severity) values (''odds_no_orphaned_snapshots'', ''select maint.dq_orphaned_odds()'', 0, ''error'').';

--
-- Name: drop_partition("regclass", "regclass"); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."drop_partition"("p_parent" "regclass", "p_partition" "regclass") RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_retention interval;
  v_has_policy boolean;
  v_bounds record;
begin
  if not exists (select from pg_catalog.pg_inherits where inhparent = p_parent and inhrelid = p_partition) then
    raise exception '% is not a partition of %', p_partition, p_parent using errcode = 'SL088';
  end if;
  -- the rows are locked: a DBA's change of the policy waits for this drop, or this drop for it
  select true, pol.retention into v_has_policy, v_retention
    from maint.partition_policy pol where pol.parent = p_parent for share;
  if v_has_policy is null then
    raise exception 'table % has no partition policy: none of its partitions is ever dropped', p_parent
      using errcode = 'SL090', hint = 'retention is set in maint.partition_policy, by the owner role';
  end if;
  if v_retention is null then
    raise exception 'table % keeps its rows forever (its maint.partition_policy.retention is null): partition % is not dropped', p_parent, p_partition
      using errcode = 'SL090', hint = 'only the owner role changes a retention (update maint.partition_policy set retention = …)';
  end if;
  select pb.is_default, pb.range_from, pb.range_to into v_bounds
    from maint.partition_bounds pb where pb.parent = p_parent and pb.partition = p_partition;
  if v_bounds.is_default or v_bounds.range_to is null or v_bounds.range_to > now() - v_retention then
    raise exception 'partition % of % is not expired: %', p_partition, p_parent,
                    case when v_bounds.is_default then 'the default partition is never dropped'
                         else format('it ends at %s, and a retention of %s keeps everything after %s', v_bounds.range_to, v_retention, now() - v_retention) end
      using errcode = 'SL091', hint = 'maintenance drops a partition once its whole range is older than the retention';
  end if;
  insert into maint.maintenance_log (parent, action, partition_name, range_from, range_to)
  values (p_parent::text, 'drop', p_partition::text, v_bounds.range_from, v_bounds.range_to);
  execute format('alter table %s detach partition %s', p_parent, p_partition);
  execute format('drop table %s', p_partition);
end;
$$;

--
-- Name: FUNCTION "drop_partition"("p_parent" "regclass", "p_partition" "regclass"); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."drop_partition"("p_parent" "regclass", "p_partition" "regclass") IS 'Retention: detaches a partition from its table, then drops it (never DELETE), and logs it in maint.maintenance_log, only when the table''s policy says it is expired: its whole range ends at or before now() - retention (server time, not the caller''s). Refuses a table without a policy or with retention null (kept forever, SL090), a partition not expired yet or the default partition (SL091), a table that is not a partition of the parent (SL088).';

--
-- Name: ensure_partitions("regclass", timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."ensure_partitions"("p_parent" "regclass", "p_from" timestamp with time zone, "p_to" timestamp with time zone) RETURNS integer
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_pol maint.partition_policy;
  v_unit text;
  v_key name;
  v_sch name;
  v_tbl name;
  v_def oid;
  v_suffix_format text;
  v_n_parts bigint;
  v_b timestamptz;
  v_e timestamptz;
  v_part name;
  v_cols text;
  v_created integer := 0;
begin
  if p_parent is null or p_from is null or p_to is null or p_to < p_from then
    raise exception 'maint.ensure_partitions(%, %, %): the range must be given, from <= to', p_parent, p_from, p_to
      using errcode = 'SL082';
  end if;
  select * into v_pol from maint.partition_policy where parent = p_parent;
  if not found then
    raise exception 'no partition policy for table %', p_parent
      using errcode = 'SL080',
            hint = 'insert a row into maint.partition_policy (parent, granularity, premake, retention) first';
  end if;
  v_key := maint.partition_key(p_parent);
  v_unit := maint.partition_unit(v_pol.granularity);
  v_n_parts := case v_unit
               when 'hour' then extract(epoch from p_to - p_from) / 3600
               when 'day' then extract(epoch from p_to - p_from) / 86400
               else extract(epoch from p_to - p_from) / (86400 * 28) end;
  if v_n_parts > 10000 then
    raise exception 'maint.ensure_partitions(%): % to % would create about % partitions', p_parent, p_from, p_to, v_n_parts
      using errcode = 'SL082', hint = 'ask for at most 10000 partitions at a time';
  end if;
  v_suffix_format := case v_unit when 'hour' then 'YYYYMMDDHH24' when 'day' then 'YYYYMMDD' else 'YYYYMM' end;
  select n.nspname, c.relname into v_sch, v_tbl
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = p_parent;
  select nullif(partdefid, 0) into v_def from pg_catalog.pg_partitioned_table where partrelid = p_parent;

  -- one creator per table at a time: two loaders asking for the same day wait, then find it made
  perform pg_catalog.pg_advisory_xact_lock(1835100526, (p_parent::oid::bigint % 2147483647)::integer);

  -- the existing bounds are read once (materialized), not once per wanted partition
  for v_b, v_e in
    with have as materialized (
      select pb.range_from, pb.range_to from maint.partition_bounds pb where pb.parent = p_parent and not pb.is_default
    )
    select s.b at time zone 'UTC', (s.b + v_pol.granularity) at time zone 'UTC'
      from generate_series(date_trunc(v_unit, p_from at time zone 'UTC'),
                           date_trunc(v_unit, p_to at time zone 'UTC'),
                           v_pol.granularity) as s(b)
     where not exists (select from have pb
                        where pb.range_from < (s.b + v_pol.granularity) at time zone 'UTC'
                          and pb.range_to > s.b at time zone 'UTC')
  loop
    v_part := format('%s_p%s', v_tbl, to_char(v_b at time zone 'UTC', v_suffix_format));
    if v_def is not null
       and maint.partition_has_rows(v_def::regclass, v_key, v_b, v_e) then
      -- rows already sit in the default partition: move them into the new partition,
      -- then attach it (attaching re-checks the default partition holds none of its range)
      select string_agg(format('%I', a.attname), ', ' order by a.attnum) into v_cols
        from pg_catalog.pg_attribute a
       where a.attrelid = p_parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
      execute format('create table %I.%I (like %I.%I including defaults including constraints including generated)',
                     v_sch, v_part, v_sch, v_tbl);
      perform 'PRAGMA:DISABLE:SECURITY_WARNINGS'; -- plpgsql_check: v_cols is a list of format('%I') names, v_def a regclass
      execute format('with moved as (delete from %s where %I >= $1 and %I < $2 returning %s) insert into %I.%I (%s) select %s from moved',
                     v_def::regclass, v_key, v_key, v_cols, v_sch, v_part, v_cols, v_cols)
        using v_b, v_e;
      perform 'PRAGMA:ENABLE:SECURITY_WARNINGS';
      execute format('alter table %I.%I attach partition %I.%I for values from (%L) to (%L)', v_sch, v_tbl, v_sch, v_part, v_b, v_e);
    else
      execute format('create table %I.%I partition of %I.%I for values from (%L) to (%L)', v_sch, v_part, v_sch, v_tbl, v_b, v_e);
    end if;
    v_created := v_created + 1;
  end loop;
  return v_created;
end;
$_$;

--
-- Name: FUNCTION "ensure_partitions"("p_parent" "regclass", "p_from" timestamp with time zone, "p_to" timestamp with time zone); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."ensure_partitions"("p_parent" "regclass", "p_from" timestamp with time zone, "p_to" timestamp with time zone) IS 'Creates the missing partitions of a table in maint.partition_policy covering [p_from, p_to] (UTC-aligned, the policy''s granularity) and returns how many it created. Rows already in the default partition for a new range are moved into it. Loaders call it before a historic load; maintenance calls it for the days ahead. SL080 without a policy, SL082 for a bad range.';

--
-- Name: partition_has_rows("regclass", "name", timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."partition_has_rows"("p_table" "regclass", "p_key" "name", "p_from" timestamp with time zone, "p_to" timestamp with time zone) RETURNS boolean
    LANGUAGE "plpgsql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_found_one boolean;
begin
  execute format('select exists (select from %s where %I >= $1 and %I < $2)', p_table, p_key, p_key)
    into v_found_one using p_from, p_to;
  return v_found_one;
end;
$_$;

--
-- Name: FUNCTION "partition_has_rows"("p_table" "regclass", "p_key" "name", "p_from" timestamp with time zone, "p_to" timestamp with time zone); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."partition_has_rows"("p_table" "regclass", "p_key" "name", "p_from" timestamp with time zone, "p_to" timestamp with time zone) IS 'Whether a table holds any row with p_key in [p_from, p_to).';

--
-- Name: partition_key("regclass"); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."partition_key"("p_parent" "regclass") RETURNS "name"
    LANGUAGE "plpgsql" STABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_key name;
begin
  select a.attname into v_key
    from pg_catalog.pg_partitioned_table p
    join pg_catalog.pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
   where p.partrelid = p_parent
     and p.partstrat = 'r'
     and p.partnatts = 1
     and a.atttypid = 'timestamptz'::regtype;
  if v_key is null then
    raise exception 'table % is not range-partitioned on one timestamptz column', p_parent
      using errcode = 'SL081',
            hint = 'partition maintenance handles tables created with PARTITION BY RANGE (<timestamptz column>)';
  end if;
  return v_key;
end;
$$;

--
-- Name: FUNCTION "partition_key"("p_parent" "regclass"); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."partition_key"("p_parent" "regclass") IS 'The timestamptz column a table is range-partitioned on; raises SL081 when it is not partitioned that way.';

--
-- Name: partition_unit(interval); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."partition_unit"("p_granularity" interval) RETURNS "text"
    LANGUAGE "sql" IMMUTABLE STRICT
    RETURN CASE "p_granularity" WHEN '01:00:00'::interval THEN 'hour'::"text" WHEN '1 day'::interval THEN 'day'::"text" WHEN '1 mon'::interval THEN 'month'::"text" ELSE NULL::"text" END;

--
-- Name: FUNCTION "partition_unit"("p_granularity" interval); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."partition_unit"("p_granularity" interval) IS 'The date_trunc unit of a partition granularity: hour, day or month.';

--
-- Name: run_partition_maintenance(); Type: PROCEDURE; Schema: maint; Owner: -
--

CREATE PROCEDURE "maint"."run_partition_maintenance"()
    LANGUAGE "plpgsql"
    AS $$
begin
  call maint.run_partition_maintenance(pg_catalog.now());
end;
$$;

--
-- Name: PROCEDURE "run_partition_maintenance"(); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON PROCEDURE "maint"."run_partition_maintenance"() IS 'call maint.run_partition_maintenance(): the maintenance the worker''s maintain job runs, as of now() (see maint.run_partition_maintenance(timestamptz)); commits after every partition, so outside a transaction block only (2D000 inside one).';

--
-- Name: run_partition_maintenance(timestamp with time zone); Type: PROCEDURE; Schema: maint; Owner: -
--

CREATE PROCEDURE "maint"."run_partition_maintenance"(IN "p_now" timestamp with time zone)
    LANGUAGE "plpgsql"
    AS $$
declare
  v_at_ts timestamptz := coalesce(p_now, pg_catalog.now());
  v_pol record;
  v_part record;
  v_n bigint;
  v_d record;
begin
  if v_at_ts > pg_catalog.now() then
    -- retention is judged on the server's time: as of a later time it would drop partitions too early
    raise exception 'partition maintenance as of % (after now(), %) would drop partitions before their retention', v_at_ts, pg_catalog.now()
      using errcode = 'SL092', hint = 'call maint.run_partition_maintenance() (as of now); maint.ensure_partitions creates partitions for any range ahead';
  end if;
  -- Commit first, before anything is done: inside a transaction block (after BEGIN) or
  -- from a function, PostgreSQL refuses this COMMIT with 2D000 "invalid transaction
  -- termination" (CONTEXT: ... maint.run_partition_maintenance ... at COMMIT), and nothing
  -- was changed. A clearer message of our own is not possible: PL/pgSQL cannot catch it
  -- (a block with an exception handler may not commit at all), and nothing tells an
  -- explicit transaction block from an implicit one.
  commit;

  for v_pol in
    select p.parent, p.premake, p.retention, p.downsample_after, p.downsample_into
      from maint.partition_policy p where p.enabled order by p.parent::text
  loop
    -- partitions ahead (few: one transaction)
    v_n := maint.ensure_partitions(v_pol.parent, v_at_ts, v_at_ts + v_pol.premake);
    if v_n > 0 then
      insert into maint.maintenance_log (parent, action, rows, range_from, range_to)
      values (v_pol.parent::text, 'create', v_n, v_at_ts, v_at_ts + v_pol.premake);
    end if;
    commit;

    -- retention: whole partitions past it are dropped, without downsampling, one per
    -- transaction (maint.drop_partition checks the policy again, against now(), and logs the drop)
    if v_pol.retention is not null then
      for v_part in
        select pb.partition from maint.partition_bounds pb
         where pb.parent = v_pol.parent and not pb.is_default and pb.range_to <= v_at_ts - v_pol.retention
         order by pb.range_from
      loop
        perform maint.drop_partition(v_pol.parent, v_part.partition);
        commit;
      end loop;
    end if;

    -- downsampling: aggregate, then drop the raw partition, one per transaction
    if v_pol.downsample_after is not null then
      if (v_pol.parent, v_pol.downsample_into) is distinct from ('market.odds_snapshot'::regclass, 'market.odds_bar_1m'::regclass) then
        raise exception 'no downsampler from % into %', v_pol.parent, v_pol.downsample_into
          using errcode = 'SL089',
                hint = 'only market.odds_snapshot -> market.odds_bar_1m is known; set downsample_after and downsample_into to null';
      end if;
      -- (maint.downsample_partition checks the policy again, against now(), and logs both steps)
      for v_part in
        select pb.partition from maint.partition_bounds pb
         where pb.parent = v_pol.parent and not pb.is_default and pb.range_to <= v_at_ts - v_pol.downsample_after
         order by pb.range_from
      loop
        perform maint.downsample_partition(v_pol.parent, v_part.partition);
        commit;
      end loop;
    end if;
  end loop;

  for v_d in select r.parent, r.rows from maint.default_partition_rows() r where r.rows > 0 loop
    raise warning 'default partition of % holds % rows: they have no partition of their own', v_d.parent, v_d.rows
      using hint = pg_catalog.format('call maint.ensure_partitions(%L, <from>, <to>) for their time range: it moves them', v_d.parent::text);
  end loop;
end;
$$;

--
-- Name: PROCEDURE "run_partition_maintenance"(IN "p_now" timestamp with time zone); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON PROCEDURE "maint"."run_partition_maintenance"(IN "p_now" timestamp with time zone) IS 'Partition maintenance as of p_now (null: now(); a time after now() is refused, SL092); call maint.run_partition_maintenance() runs it as of now. For every enabled table in maint.partition_policy, creates partitions from now to now + premake, detaches and drops partitions entirely older than the retention, downsamples raw odds partitions older than downsample_after into market.odds_bar_1m and drops them; logs each action in maint.maintenance_log and warns about rows in default partitions. Commits after every partition (any backlog fits in max_locks_per_transaction), so it must be CALLed outside a transaction block: inside one it fails with 2D000 before doing anything.';

--
-- Name: tg_partition_policy__check(); Type: FUNCTION; Schema: maint; Owner: -
--

CREATE FUNCTION "maint"."tg_partition_policy__check"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform maint.partition_key(new.parent);
  if new.downsample_into is not null then
    perform maint.partition_key(new.downsample_into);
  end if;
  new.updated_at := now();
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_partition_policy__check"(); Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON FUNCTION "maint"."tg_partition_policy__check"() IS 'Before insert or update of maint.partition_policy: the table (and the downsample target) must be range-partitioned on one timestamptz column (SL081); stamps updated_at.';

--
-- Name: market_correction; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."market_correction" (
    "correction_id" bigint NOT NULL,
    "market_id" bigint NOT NULL,
    "corrected_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "corrected_by" "text" DEFAULT SESSION_USER NOT NULL,
    "reason" "text" NOT NULL,
    "old_status" "text" NOT NULL,
    "new_status" "text" NOT NULL,
    "old_results" "jsonb" NOT NULL,
    "new_results" "jsonb" NOT NULL,
    CONSTRAINT "market_correction_new_results_is_object" CHECK (("jsonb_typeof"("new_results") = 'object'::"text")),
    CONSTRAINT "market_correction_old_results_is_object" CHECK (("jsonb_typeof"("old_results") = 'object'::"text")),
    CONSTRAINT "market_correction_reason_given" CHECK (("length"("btrim"("reason")) > 0))
);

--
-- Name: TABLE "market_correction"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."market_correction" IS 'The trace every market.correct_market leaves: who, when, why, and the market''s status and selection results before and after. Corrections of markets that follow their event''s result are in core.event_correction.';

--
-- Name: COLUMN "market_correction"."corrected_by"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market_correction"."corrected_by" IS 'The login that made the correction (session_user: inside the security definer path current_user is the function''s owner).';

--
-- Name: COLUMN "market_correction"."old_results"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market_correction"."old_results" IS 'The selections'' results before: {"selection code": "won" | "lost" | "void" | null}.';

--
-- Name: COLUMN "market_correction"."new_results"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market_correction"."new_results" IS 'The selections'' results after: {"selection code": "won" | "lost" | "void" | null}.';

--
-- Name: CONSTRAINT "market_correction_new_results_is_object" ON "market_correction"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "market_correction_new_results_is_object" ON "market"."market_correction" IS 'The results after the correction: a JSON object of selection code to result.';

--
-- Name: CONSTRAINT "market_correction_old_results_is_object" ON "market_correction"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "market_correction_old_results_is_object" ON "market"."market_correction" IS 'The results before the correction: a JSON object of selection code to result.';

--
-- Name: CONSTRAINT "market_correction_reason_given" ON "market_correction"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "market_correction_reason_given" ON "market"."market_correction" IS 'A correction says why: the reason is never blank.';

--
-- Name: correct_market(bigint, "text", "jsonb", "text"); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."correct_market"("p_market_id" bigint, "p_status" "text", "p_results" "jsonb", "p_reason" "text") RETURNS "market"."market_correction"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "correct_market"("p_market_id" bigint, "p_status" "text", "p_results" "jsonb", "p_reason" "text"); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."correct_market"("p_market_id" bigint, "p_status" "text", "p_results" "jsonb", "p_reason" "text") IS 'The owner role''s correction (or resolution) of a binary market: sets its status (settled, void or open) and its selections'' results ({"selection code": "won" | "lost" | "void" | null}; every selection for settled, all void for void, none for open), leaves a row in market.market_correction, re-scores the event (worker.score_event, which queues the statistics refresh) and re-settles its bets (trade.settle_bets). SL010 no such market, SL011 a market whose result follows its event (use core.correct_event_result), SL012 changes nothing, 22023 bad status or results.';

--
-- Name: dead_heats(bigint); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."dead_heats"("p_event_id" bigint) RETURNS TABLE("selection_id" bigint, "places" integer, "tied" integer)
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "dead_heats"("p_event_id" bigint); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."dead_heats"("p_event_id" bigint) IS 'The dead heats of an event''s race_win and race_place markets: each selection whose runner finished tied with others for the last places paid, with places = the paid places left for the tied runners and tied = how many tied (two runners tied for first in a win market: places 1, tied 2). A winning stake on it is paid places / tied at full odds, the rest lost (market.settled_pnl). Selections without a dead heat on a paid place are not listed (their share is 1). Used by forecast.score_event and trade.settle_bets.';

--
-- Name: keep_odds_history(bigint); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."keep_odds_history"("p_batch_id" bigint) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_kept integer;
begin
  if to_regclass('pg_temp.odds_history_load') is null then
    raise exception 'market.keep_odds_history(%): no load table pg_temp.odds_history_load', p_batch_id
      using errcode = 'SL099',
            hint = 'create temporary table odds_history_load (observed_at timestamptz, selection_id bigint, source_id smallint, price numeric) on commit drop, fill it, then call this';
  end if;
  perform 'PRAGMA:TABLE: pg_temp.odds_history_load (observed_at timestamptz, selection_id bigint, source_id smallint, price numeric)'; -- its shape for plpgsql_check: the merge creates it at run time
  -- The load table is the caller's (a temporary table its session owns): read here, as the
  -- caller, and handed to the security definer writer as arrays, in the file's order.
  select market.write_odds_history(p_batch_id,
           coalesce(array_agg(l.observed_at), '{}'), coalesce(array_agg(l.selection_id), '{}'),
           coalesce(array_agg(l.source_id), '{}'), coalesce(array_agg(l.price), '{}'))
    into v_kept
    from pg_temp.odds_history_load l
   where l.price > 1;
  return v_kept;
end;
$$;

--
-- Name: FUNCTION "keep_odds_history"("p_batch_id" bigint); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."keep_odds_history"("p_batch_id" bigint) IS 'Used by the feeds'' merges, in the load''s transaction: writes the prices in pg_temp.odds_history_load (observed_at, selection_id, source_id, price; prices <= 1 are not prices and are skipped) into market.odds_history under batch p_batch_id through market.write_odds_history (security definer: the batch must be running, SL160), creating the monthly partitions they need; a price already held is rewritten only when it changed. Adds the prices written to ingest.batch.odds_kept and returns their number (a re-run of the same file writes 0). SL099 without the load table.';

--
-- Name: lock_odds_keys(bigint[], smallint[]); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."lock_odds_keys"("p_selection_ids" bigint[], "p_source_ids" smallint[]) RETURNS "void"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_missing_selections bigint[];
  v_missing_sources smallint[];
begin
  -- Lock what exists, as a foreign key check would (FOR KEY SHARE): a concurrent delete
  -- of one of these selections waits for the load to commit, then its trigger deletes
  -- the loaded snapshots with it.
  with wanted as (select distinct id from unnest(p_selection_ids) id where id is not null),
       found as (select s.selection_id from market.selection s join wanted w on w.id = s.selection_id for key share of s)
  select array_agg(w.id order by w.id) into v_missing_selections
    from wanted w where not exists (select from found f where f.selection_id = w.id);
  with wanted as (select distinct id from unnest(p_source_ids) id where id is not null),
       found as (select s.source_id from market.source s join wanted w on w.id = s.source_id for key share of s)
  select array_agg(w.id order by w.id) into v_missing_sources
    from wanted w where not exists (select from found f where f.source_id = w.id);
  if v_missing_selections is not null or v_missing_sources is not null then
    raise exception 'odds snapshots for % unknown selection(s) % and % unknown source(s) %: nothing was loaded',
        coalesce(cardinality(v_missing_selections), 0), coalesce(array_to_string(v_missing_selections[1:20], ', '), '-'),
        coalesce(cardinality(v_missing_sources), 0), coalesce(array_to_string(v_missing_sources, ', '), '-')
      using errcode = 'SL105',
            hint = 'create the market.selection / market.source rows first, or leave those snapshots out of the load';
  end if;
end;
$$;

--
-- Name: FUNCTION "lock_odds_keys"("p_selection_ids" bigint[], "p_source_ids" smallint[]); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."lock_odds_keys"("p_selection_ids" bigint[], "p_source_ids" smallint[]) IS 'The set-based stand-in for the foreign keys of market.odds_snapshot, called by the COPY path (copyOddsSnapshots) with the distinct selection and source ids of a load, in the load''s transaction: locks the rows it finds FOR KEY SHARE (as a foreign key check does) and raises SL105 naming the ids that do not exist.';

--
-- Name: selections_in_use(bigint[]); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."selections_in_use"("p_selection_ids" bigint[]) RETURNS "text"
    LANGUAGE "sql" STABLE SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select nullif(concat_ws(', ',
                          case when x.user_picks > 0 then x.user_picks || ' user picks' end,
                          case when x.bets > 0 then x.bets || ' bets' end,
                          case when x.scored > 0 then x.scored || ' scored predictions' end), '')
    from (select (select count(*) from forecast.prediction p
                    join forecast.forecaster f on f.forecaster_id = p.forecaster_id
                   where p.selection_id = any (p_selection_ids) and f.kind = 'user') as user_picks,
                 (select count(*) from trade.bet b where b.selection_id = any (p_selection_ids)) as bets,
                 (select count(*) from forecast.prediction p
                    join forecast.prediction_score ps on ps.prediction_id = p.prediction_id
                   where p.selection_id = any (p_selection_ids)) as scored) x
$$;

--
-- Name: FUNCTION "selections_in_use"("p_selection_ids" bigint[]); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."selections_in_use"("p_selection_ids" bigint[]) IS 'What the selections hold that must not be deleted with them by a role without owner authority: "3 user picks, 1 bets, 12 scored predictions", or null when nothing. Security definer so that the count sees every row whatever the caller''s row-level security; used by the delete guards of core.event, core.runner, market.market and market.selection (SL009).';

--
-- Name: settle_event(bigint); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."settle_event"("p_event_id" bigint) RETURNS integer
    LANGUAGE "plpgsql" STRICT SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "settle_event"("p_event_id" bigint); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."settle_event"("p_event_id" bigint) IS 'Settles every match_result, correct_score, first_td_scorer, race_win and race_place market of an event from its result (score, forecast.first_touchdown, core.runner finishing positions); abandoned or cancelled voids them; a withdrawn result reopens them. Re-runnable after core.correct_event_result. Returns the number of selections whose result changed. Serialised per event with forecast.score_event (advisory lock). Security definer: the settlement guards of market.market and market.selection accept its writes (owner authority), not a session''s own updates.';

--
-- Name: settled_pnl("text", numeric, numeric, "text", integer, integer); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."settled_pnl"("p_side" "text", "p_odds" numeric, "p_stake" numeric, "p_result" "text", "p_places" integer DEFAULT 1, "p_tied" integer DEFAULT 1) RETURNS numeric
    LANGUAGE "sql" IMMUTABLE PARALLEL SAFE
    AS $$
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

--
-- Name: FUNCTION "settled_pnl"("p_side" "text", "p_odds" numeric, "p_stake" numeric, "p_result" "text", "p_places" integer, "p_tied" integer); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."settled_pnl"("p_side" "text", "p_odds" numeric, "p_stake" numeric, "p_result" "text", "p_places" integer, "p_tied" integer) IS 'Profit or loss, before commission and unrounded, of a stake at decimal odds on a selection settled won, lost or void, by the dead-heat rule: a back bet on a winner pays stake x odds x places / tied - stake (stake x (odds - 1) without a dead heat: places = tied = 1), on a loser -stake; a lay bet is the opposite side of the same back bet (stake - stake x odds x places / tied, or +stake); void 0; null for an unknown side or result. places / tied comes from market.dead_heats. The one rule of both forecast.score_event (units, side back) and trade.settle_bets (which rounds to cents and takes commission).';

--
-- Name: tg__keep_odds_key(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg__keep_odds_key"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_used boolean;
  v_what text;
begin
  perform 'PRAGMA:DISABLE:CHECK'; -- plpgsql_check: one function for two tables, each branch reads its own table's columns
  if tg_table_name = 'source' then
    v_what := format('source %s (%s)', old.code, old.source_id);
    select exists (select from market.odds_snapshot o where o.source_id = old.source_id)
        or exists (select from market.odds_history h where h.source_id = old.source_id) into v_used;
  else
    v_what := format('selection %s', old.selection_id);
    select exists (select from market.odds_snapshot o where o.selection_id = old.selection_id)
        or exists (select from market.odds_history h where h.selection_id = old.selection_id) into v_used;
  end if;
  perform 'PRAGMA:ENABLE:CHECK';
  if v_used then
    raise exception '% has odds snapshots or historical prices: it cannot be %', v_what, case tg_op when 'DELETE' then 'deleted' else 'renumbered' end
      using errcode = 'SL106',
            hint = case when tg_table_name = 'source' then 'odds snapshots keep their source; drop or detach the partitions holding them first'
                        else 'odds snapshots keep their selection id' end;
  end if;
  return case tg_op when 'DELETE' then old else new end;
end;
$$;

--
-- Name: FUNCTION "tg__keep_odds_key"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg__keep_odds_key"() IS 'Shared by market.source and market.selection (triggers _500_odds_snapshot_restrict, _510_odds_snapshot_key_change): before deleting a market.source, or changing a source''s or selection''s id, refuses (SL106) when odds snapshots or historical prices (market.odds_history) use it (ON DELETE RESTRICT / ON UPDATE NO ACTION without a foreign key). Sources are few and rarely deleted; the check scans the snapshots of that source.';

--
-- Name: tg_market__defaults(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_market__defaults"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "tg_market__defaults"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_market__defaults"() IS 'Before insert of market.market, and update of its event or type: refuses a market type on the wrong kind of event (SL020); fills allows_multiple_picks from the market type and places (3) for race_place.';

--
-- Name: tg_market__guard_delete(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_market__guard_delete"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_held text;
begin
  if core.acts_as_owner() then
    return old;
  end if;
  v_held := market.selections_in_use(array(select s.selection_id from market.selection s where s.market_id = old.market_id));
  if v_held is not null then
    raise exception 'market % (% on event %) cannot be deleted: its selections hold %', old.market_id, old.market_type, old.event_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: only the owner role deletes them';
  end if;
  return old;
end;
$$;

--
-- Name: FUNCTION "tg_market__guard_delete"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_market__guard_delete"() IS 'Before delete of market.market: a role without owner authority cannot delete a market whose selections hold users'' picks, bets or scored predictions (SL009), which the cascade to market.selection and forecast.prediction would take with it.';

--
-- Name: tg_market__guard_settlement(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_market__guard_settlement"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if tg_op = 'INSERT' then
    if new.status in ('settled', 'void') and not core.acts_as_owner() then
      raise exception 'a % market on event % cannot be created %', new.market_type, new.event_id, new.status
        using errcode = 'SL008',
              hint = 'markets are created open; they are settled by market.settle_event (forecast.score_event) or market.correct_market';
    end if;
    return new;
  end if;
  if (old.status in ('settled', 'void') or new.status in ('settled', 'void'))
     and (new.status, new.settled_at, new.settled_result_version, new.event_id, new.market_type, new.places)
         is distinct from (old.status, old.settled_at, old.settled_result_version, old.event_id, old.market_type, old.places)
     and not core.acts_as_owner() then
    raise exception 'market % (% on event %) is %: it is settled by market.settle_event and corrected by core.correct_event_result or market.correct_market, not by an update',
      old.market_id, old.market_type, old.event_id, old.status
      using errcode = 'SL008',
            hint = case when new.status in ('settled', 'void') or old.status in ('settled', 'void')
                        then 'settle with forecast.score_event(event_id); correct the event''s result with core.correct_event_result, a binary market''s with market.correct_market (the owner role)'
                   end;
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_market__guard_settlement"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_market__guard_settlement"() IS 'Before insert or update of market.market: a market is created open, and its settlement (status to or from settled or void, settled_at, settled_result_version, or the event, type or places of a settled market) changes only with owner authority (core.acts_as_owner(): market.settle_event, market.correct_market, the owner role); SL008 otherwise.';

--
-- Name: tg_selection__delete_odds(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_selection__delete_odds"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- One delete per table for the whole statement; the primary keys (selection_id leading)
  -- find the rows in every partition.
  delete from market.odds_snapshot o using old_rows d where o.selection_id = d.selection_id;
  delete from market.odds_history h using old_rows d where h.selection_id = d.selection_id;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_selection__delete_odds"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_selection__delete_odds"() IS 'After a delete of market.selection rows (directly or cascaded from their market): deletes their odds snapshots and historical prices, one set-based statement per table (ON DELETE CASCADE without a foreign key).';

--
-- Name: tg_selection__guard_delete(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_selection__guard_delete"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_held text;
begin
  if core.acts_as_owner() then
    return old;
  end if;
  v_held := market.selections_in_use(array[old.selection_id]);
  if v_held is not null then
    raise exception 'selection % (% of market %) cannot be deleted: it holds %', old.selection_id, old.code, old.market_id, v_held
      using errcode = 'SL009',
            hint = 'users'' picks, bets and scored predictions are history: only the owner role deletes them';
  end if;
  return old;
end;
$$;

--
-- Name: FUNCTION "tg_selection__guard_delete"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_selection__guard_delete"() IS 'Before delete of market.selection: a role without owner authority cannot delete a selection holding users'' picks, bets or scored predictions (SL009), which the cascade to forecast.prediction would take with it.';

--
-- Name: tg_selection__guard_result(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_selection__guard_result"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if tg_op = 'INSERT' then
    if new.result is not null and not core.acts_as_owner() then
      raise exception 'selection % of market %: its result is written by settlement, not given on insert', new.code, new.market_id
        using errcode = 'SL007',
              hint = 'insert it without a result; market.settle_event (forecast.score_event) or market.correct_market sets it';
    end if;
    return new;
  end if;
  if (new.result is distinct from old.result or (new.market_id <> old.market_id and old.result is not null))
     and not core.acts_as_owner() then
    raise exception 'selection % (% of market %): its result is written by settlement (market.settle_event) or a correction, not by an update',
      old.selection_id, old.code, old.market_id
      using errcode = 'SL007',
            hint = 'settle with forecast.score_event(event_id); correct the event''s result with core.correct_event_result, a binary market''s with market.correct_market (the owner role)';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_selection__guard_result"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_selection__guard_result"() IS 'Before insert or update of market.selection: its result is written only with owner authority (core.acts_as_owner(): market.settle_event, market.correct_market, the owner role); SL007 otherwise.';

--
-- Name: tg_selection__guard_settled_terms(); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."tg_selection__guard_settled_terms"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
-- Not security definer: current_user is the writer, whose authority (core.acts_as_owner()) decides.
declare
  v_mk record;
begin
  if core.acts_as_owner() then
    return new;
  end if;
  if tg_op = 'UPDATE'
     and (new.market_id, new.code, new.team_id, new.player_id, new.runner_id)
         is not distinct from (old.market_id, old.code, old.team_id, old.player_id, old.runner_id) then
    return new; -- its label, say
  end if;
  select m.market_id, m.market_type, m.event_id, m.status into v_mk
    from market.market m
   where m.market_id in (new.market_id, case when tg_op = 'UPDATE' then old.market_id end)
     and m.status in ('settled', 'void')
   order by m.market_id
   limit 1;
  if found then
    raise exception 'the % market % on event % is %: %', v_mk.market_type, v_mk.market_id, v_mk.event_id, v_mk.status,
      case when tg_op = 'INSERT' then format('no selection (%s) is added to it', new.code)
           else format('selection %s (%s) keeps its market, code, team, player and runner', old.selection_id, old.code) end
      using errcode = 'SL014',
            hint = 'settlement read them; correct the event''s result with core.correct_event_result, a binary market''s with market.correct_market (the owner role)';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_selection__guard_settled_terms"(); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."tg_selection__guard_settled_terms"() IS 'Before insert or update of market.selection: what settlement reads (the market, code, team, player, runner) is frozen once the market is settled or void: a role without owner authority (core.acts_as_owner()) neither adds a selection to such a market nor changes those columns, nor moves a selection into or out of it (SL014). Its label stays open.';

--
-- Name: write_odds_history(bigint, timestamp with time zone[], bigint[], smallint[], numeric[]); Type: FUNCTION; Schema: market; Owner: -
--

CREATE FUNCTION "market"."write_odds_history"("p_batch_id" bigint, "p_observed_at" timestamp with time zone[], "p_selection_ids" bigint[], "p_source_ids" smallint[], "p_prices" numeric[]) RETURNS integer
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_status text;
  v_lo timestamptz;
  v_hi timestamptz;
  v_kept integer;
begin
  -- the batch stays running until this load's transaction ends (a concurrent finish waits)
  select b.status into v_status from ingest.batch b where b.batch_id = p_batch_id for share;
  if v_status is distinct from 'running' then
    raise exception 'historical prices for ingest batch %: %', p_batch_id, coalesce('the batch is ' || v_status, 'no such batch')
      using errcode = 'SL160',
            hint = 'historical prices are written by a feed load in progress (scoreline ingest), through market.keep_odds_history';
  end if;
  select min(l.observed_at), max(l.observed_at) into v_lo, v_hi
    from unnest(p_observed_at, p_selection_ids, p_source_ids, p_prices) as l(observed_at, selection_id, source_id, price)
   where l.price > 1 and l.selection_id is not null and l.source_id is not null;
  if v_lo is null then
    return 0;
  end if;
  perform maint.ensure_partitions('market.odds_history'::regclass, v_lo, v_hi);
  -- one price per key (a file naming a match twice keeps its last line's); a re-load
  -- rewrites only prices that changed, stamped with its batch
  insert into market.odds_history as h (observed_at, selection_id, source_id, price, batch_id)
  select distinct on (l.selection_id, l.source_id, l.observed_at) l.observed_at, l.selection_id, l.source_id, l.price, p_batch_id
    from unnest(p_observed_at, p_selection_ids, p_source_ids, p_prices) with ordinality as l(observed_at, selection_id, source_id, price, n)
   where l.price > 1 and l.observed_at is not null and l.selection_id is not null and l.source_id is not null
   order by l.selection_id, l.source_id, l.observed_at, l.n desc
  on conflict (selection_id, source_id, observed_at) do update
    set price = excluded.price, batch_id = excluded.batch_id
    where h.price is distinct from excluded.price;
  get diagnostics v_kept = row_count;
  update ingest.batch b set odds_kept = b.odds_kept + v_kept where b.batch_id = p_batch_id;
  return v_kept;
end;
$$;

--
-- Name: FUNCTION "write_odds_history"("p_batch_id" bigint, "p_observed_at" timestamp with time zone[], "p_selection_ids" bigint[], "p_source_ids" smallint[], "p_prices" numeric[]); Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON FUNCTION "market"."write_odds_history"("p_batch_id" bigint, "p_observed_at" timestamp with time zone[], "p_selection_ids" bigint[], "p_source_ids" smallint[], "p_prices" numeric[]) IS 'The only writer of market.odds_history besides the owner (security definer; the worker has no insert, update or delete on the table or its partitions): writes the prices given as parallel arrays (observed_at, selection_id, source_id, price; prices <= 1 are not prices and are skipped) under batch p_batch_id, which must be a running ingest.batch (SL160 otherwise: a finished, failed or unknown batch), creating the monthly partitions they need; one price per key, the last given winning; a price already held is rewritten only when it changed. Adds the prices written to ingest.batch.odds_kept and returns their number. Called by market.keep_odds_history, which reads the load''s temporary table as the caller.';

--
-- Name: assert_trigger_source("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."assert_trigger_source"("p_trigger" "text") RETURNS "void"
    LANGUAGE "plpgsql" IMMUTABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if p_trigger is null or p_trigger not in ('cron', 'manual', 'event', 'http') then
    raise exception 'unknown refresh trigger source "%"', p_trigger
      using errcode = 'SL067', hint = 'use one of cron, manual, event, http';
  end if;
end;
$$;

--
-- Name: FUNCTION "assert_trigger_source"("p_trigger" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."assert_trigger_source"("p_trigger" "text") IS 'Refuses a trigger source other than cron, manual, event, http (SL067).';

--
-- Name: begin_pass(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."begin_pass"() RETURNS bigint
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform refresh.ensure_run_partitions();
  perform refresh.reap();
  -- scoring owed but not queued (a lost job): queued before the statistics are refreshed
  if pg_catalog.to_regprocedure('worker.enqueue_owed()') is not null then
    perform worker.enqueue_owed();
  end if;
  -- a check that failed before may pass now that the data was fixed: look again
  perform refresh.run_checks(f.object)
     from (select distinct fc.object from refresh.failing_check fc where fc.object is not null) f;
  return pg_catalog.nextval('refresh.run_group_seq');
end;
$$;

--
-- Name: FUNCTION "begin_pass"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."begin_pass"() IS 'Starts a refresh pass: ensures audit partitions, reaps abandoned runs, queues the scoring owed to events whose job was lost (worker.enqueue_owed), re-runs checks that failed last time (the data may have been fixed), and returns the pass''s run_group.';

--
-- Name: blocked_reason("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."blocked_reason"("p_object" "regclass") RETURNS "text"
    LANGUAGE "sql" STABLE SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "jit" TO 'off'
    AS $$
  with recursive up (object, depth) as (
    select d.parent, 1
      from refresh.dependency d join refresh.object p on p.object = d.parent
     where d.dependent = p_object and d.strength = 'hard'
    union
    select d.parent, u.depth + 1
      from up u
      join refresh.dependency d on d.dependent = u.object and d.strength = 'hard'
      join refresh.object p on p.object = d.parent
     where u.depth < 100
  )
  select r.reason from (
    select u.depth, 1 as rank, format('the last refresh of %s failed: %s', u.object, p.last_error) as reason
      from up u join refresh.object p on p.object = u.object
     where p.last_status = 'failed'
    union all
    select u.depth, 2, format('data-quality check %s on %s failed: %s', quote_literal(f.name), u.object, f.detail)
      from up u join refresh.failing_check f on f.object = u.object and f.severity = 'error'
  ) r
  order by r.depth, r.rank, r.reason
  limit 1
$$;

--
-- Name: FUNCTION "blocked_reason"("p_object" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."blocked_reason"("p_object" "regclass") IS 'Why an object must not be refreshed now: a hard ancestor whose last refresh failed or whose error-severity check fails. Null when nothing blocks it.';

--
-- Name: catalog_parents(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."catalog_parents"() RETURNS TABLE("dependent" "regclass", "parent" "regclass")
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "jit" TO 'off'
    AS $$
  with recursive reads (dependent, rel) as (
    select o.object::oid, d.refobjid
      from refresh.object o
      join pg_catalog.pg_rewrite w on w.ev_class = o.object::oid
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> w.ev_class
    union
    select r.dependent, d.refobjid
      from reads r
      join pg_catalog.pg_class v on v.oid = r.rel and v.relkind = 'v'
      join pg_catalog.pg_rewrite w on w.ev_class = v.oid
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> w.ev_class
  )
  select distinct r.dependent::regclass, r.rel::regclass
    from reads r join pg_catalog.pg_class c on c.oid = r.rel
   where c.relkind in ('r', 'p', 'm', 'f') and r.rel <> r.dependent
$$;

--
-- Name: FUNCTION "catalog_parents"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."catalog_parents"() IS 'What each registered materialized view reads, from pg_depend through pg_rewrite, followed recursively through plain views down to tables, foreign tables and materialized views.';

--
-- Name: check_expectation(numeric, numeric, numeric); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."check_expectation"("p_expected" numeric, "p_min" numeric, "p_max" numeric) RETURNS "text"
    LANGUAGE "sql" IMMUTABLE
    AS $$ select concat_ws(' and ', '= ' || p_expected, '>= ' || p_min, '<= ' || p_max) $$;

--
-- Name: FUNCTION "check_expectation"("p_expected" numeric, "p_min" numeric, "p_max" numeric); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."check_expectation"("p_expected" numeric, "p_min" numeric, "p_max" numeric) IS 'A check''s thresholds in words: "= 0", ">= 0 and <= 0.05".';

--
-- Name: checkpoint; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."checkpoint" (
    "checkpoint_id" bigint NOT NULL,
    "function_name" "text" NOT NULL,
    "target" "text" NOT NULL,
    "position" bigint DEFAULT 0 NOT NULL,
    "total" bigint,
    "state" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "status" "text" DEFAULT 'active'::"text" NOT NULL,
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "expires_at" timestamp with time zone DEFAULT ("now"() + '01:00:00'::interval) NOT NULL,
    CONSTRAINT "checkpoint_position_in_range" CHECK ((("position" >= 0) AND (("total" IS NULL) OR ("position" <= "total")))),
    CONSTRAINT "checkpoint_status_known" CHECK (("status" = ANY (ARRAY['active'::"text", 'completed'::"text", 'expired'::"text"])))
);

--
-- Name: TABLE "checkpoint"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."checkpoint" IS 'Progress of a long job (an ingest, a backfill) so an interrupted run resumes where it stopped. One active checkpoint per function and target; refresh.reap() expires those past expires_at.';

--
-- Name: COLUMN "checkpoint"."function_name"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."checkpoint"."function_name" IS 'The job, e.g. ingest.load_odds or a backfill name.';

--
-- Name: COLUMN "checkpoint"."target"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."checkpoint"."target" IS 'What it works on: a table, a file, a date range.';

--
-- Name: COLUMN "checkpoint"."position"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."checkpoint"."position" IS 'How far it got (rows, lines, ids), as the job counts.';

--
-- Name: COLUMN "checkpoint"."state"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."checkpoint"."state" IS 'Whatever else the job needs to resume.';

--
-- Name: checkpoint_advance(bigint, bigint, "jsonb", interval); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."checkpoint_advance"("p_checkpoint_id" bigint, "p_position" bigint, "p_state" "jsonb" DEFAULT NULL::"jsonb", "p_ttl" interval DEFAULT '01:00:00'::interval) RETURNS "refresh"."checkpoint"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_checkpoint refresh.checkpoint;
begin
  select * into v_checkpoint from refresh.checkpoint k where k.checkpoint_id = p_checkpoint_id for update;
  if not found or v_checkpoint.status <> 'active' or v_checkpoint.expires_at < now() then
    raise exception 'checkpoint % is not active (%)', p_checkpoint_id, coalesce(case when v_checkpoint.status = 'active' then 'expired' else v_checkpoint.status end, 'no such checkpoint')
      using errcode = 'SL065', hint = 'call refresh.checkpoint_start again to start over or resume the active one';
  end if;
  if p_position is null or p_position < v_checkpoint.position or (v_checkpoint.total is not null and p_position > v_checkpoint.total) then
    raise exception 'checkpoint % (% on %): position % is outside % .. %', p_checkpoint_id, v_checkpoint.function_name, v_checkpoint.target, p_position,
                    v_checkpoint.position, coalesce(v_checkpoint.total::text, 'unbounded')
      using errcode = 'SL066', hint = 'a checkpoint only moves forward, up to its total';
  end if;
  update refresh.checkpoint k
     set position = p_position, state = coalesce(p_state, k.state), updated_at = now(), expires_at = now() + p_ttl
   where k.checkpoint_id = p_checkpoint_id
  returning * into v_checkpoint;
  return v_checkpoint;
end;
$$;

--
-- Name: FUNCTION "checkpoint_advance"("p_checkpoint_id" bigint, "p_position" bigint, "p_state" "jsonb", "p_ttl" interval); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."checkpoint_advance"("p_checkpoint_id" bigint, "p_position" bigint, "p_state" "jsonb", "p_ttl" interval) IS 'Records progress (a position that only moves forward, optional state) and extends the expiry; refuses a checkpoint that is not active (SL065) or a bad position (SL066).';

--
-- Name: checkpoint_complete(bigint); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."checkpoint_complete"("p_checkpoint_id" bigint) RETURNS "refresh"."checkpoint"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_checkpoint refresh.checkpoint;
begin
  update refresh.checkpoint k set status = 'completed', position = coalesce(k.total, k.position), updated_at = now()
   where k.checkpoint_id = p_checkpoint_id and k.status = 'active'
  returning * into v_checkpoint;
  if v_checkpoint.checkpoint_id is null then
    raise exception 'checkpoint % is not active', p_checkpoint_id
      using errcode = 'SL065', hint = 'only an active checkpoint can be completed';
  end if;
  return v_checkpoint;
end;
$$;

--
-- Name: FUNCTION "checkpoint_complete"("p_checkpoint_id" bigint); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."checkpoint_complete"("p_checkpoint_id" bigint) IS 'Marks a job''s checkpoint completed; the next checkpoint_start for it starts from 0.';

--
-- Name: checkpoint_resume("text", "text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."checkpoint_resume"("p_function" "text", "p_target" "text") RETURNS "refresh"."checkpoint"
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select * from refresh.checkpoint k
   where k.function_name = p_function and k.target = p_target and k.status = 'active' and k.expires_at >= now()
$$;

--
-- Name: FUNCTION "checkpoint_resume"("p_function" "text", "p_target" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."checkpoint_resume"("p_function" "text", "p_target" "text") IS 'The active, unexpired checkpoint of a job on a target, or null: where to resume.';

--
-- Name: checkpoint_start("text", "text", bigint, interval); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."checkpoint_start"("p_function" "text", "p_target" "text", "p_total" bigint DEFAULT NULL::bigint, "p_ttl" interval DEFAULT '01:00:00'::interval) RETURNS "refresh"."checkpoint"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_checkpoint refresh.checkpoint;
begin
  update refresh.checkpoint k set status = 'expired', updated_at = now()
   where k.function_name = p_function and k.target = p_target and k.status = 'active' and k.expires_at < now();
  insert into refresh.checkpoint (function_name, target, total, expires_at)
  values (p_function, p_target, p_total, now() + p_ttl)
  on conflict (function_name, target) where status = 'active' do nothing
  returning * into v_checkpoint;
  if v_checkpoint.checkpoint_id is null then
    select * into v_checkpoint from refresh.checkpoint k
     where k.function_name = p_function and k.target = p_target and k.status = 'active';
  end if;
  return v_checkpoint;
end;
$$;

--
-- Name: FUNCTION "checkpoint_start"("p_function" "text", "p_target" "text", "p_total" bigint, "p_ttl" interval); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."checkpoint_start"("p_function" "text", "p_target" "text", "p_total" bigint, "p_ttl" interval) IS 'Starts a checkpoint for a long job, or returns the active one to resume from (its position says where). An expired one is not resumed.';

--
-- Name: computed_sources(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."computed_sources"() RETURNS TABLE("source" "regclass", "object" "regclass")
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "jit" TO 'off'
    AS $$
  with recursive reach (object, rel) as (
    select d.dependent::oid, d.parent::oid
      from refresh.dependency d join refresh.object o on o.object = d.dependent
     where o.method <> 'maintained'
    union
    select r.object, nxt.parent
      from reach r
      cross join lateral (
        -- through plain views (declared parents may be views)
        select d.refobjid as parent
          from pg_catalog.pg_class v
          join pg_catalog.pg_rewrite w on w.ev_class = v.oid
          join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                                     and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> v.oid
         where v.oid = r.rel and v.relkind = 'v'
        union all
        -- through registered objects: what they read makes their dependents stale too
        select d.parent::oid from refresh.dependency d where d.dependent::oid = r.rel
      ) nxt
  ),
  tables as (
    select distinct r.rel, r.object
      from reach r
      join pg_catalog.pg_class c on c.oid = r.rel
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'f')
       and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  )
  select t.rel::regclass, t.object::regclass from tables t
  union
  -- every partition, for writes that name a partition directly
  select pt.relid, t.object::regclass
    from tables t
    join pg_catalog.pg_class c on c.oid = t.rel and c.relkind = 'p'
    cross join lateral pg_catalog.pg_partition_tree(t.rel::regclass) pt
   where pt.relid <> t.rel::regclass
$$;

--
-- Name: FUNCTION "computed_sources"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."computed_sources"() IS 'For each base table (and each partition of a partitioned one), the registered objects a write to it makes stale, directly or through plain views and other registered objects. Maintained objects are never stale.';

--
-- Name: define_check("text", "text", "text", numeric, numeric, numeric, "text", "text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."define_check"("p_name" "text", "p_target" "text", "p_query" "text", "p_expected" numeric, "p_min" numeric, "p_max" numeric, "p_severity" "text", "p_description" "text") RETURNS "void"
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  -- The check is attached to its target once the target is registered; the rest of a
  -- check (query, thresholds, severity) is the DBA's to tune and is never overwritten.
  insert into refresh."check" (name, object, query, expected, min_value, max_value, severity, description)
  values (p_name, (select o.object from refresh.object o where o.object = pg_catalog.to_regclass(p_target)),
          p_query, p_expected, p_min, p_max, p_severity, p_description)
  on conflict (name) do update set object = coalesce(refresh."check".object, excluded.object);
$$;

--
-- Name: FUNCTION "define_check"("p_name" "text", "p_target" "text", "p_query" "text", "p_expected" numeric, "p_min" numeric, "p_max" numeric, "p_severity" "text", "p_description" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."define_check"("p_name" "text", "p_target" "text", "p_query" "text", "p_expected" numeric, "p_min" numeric, "p_max" numeric, "p_severity" "text", "p_description" "text") IS 'Ships a data-quality check (the sql/ file of each area calls it for its own checks): inserts it, or attaches an existing one to its target (p_target, a registered object, or null for a check of no object) when it had none. A DBA''s later changes to a check''s query, thresholds or severity are kept.';

--
-- Name: effective_method("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."effective_method"("p_object" "regclass") RETURNS "text"
    LANGUAGE "sql" STABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select case
           when o.method <> 'concurrent' then o.method
           when c.relispopulated and exists (
             select from pg_catalog.pg_index i
              where i.indrelid = c.oid and i.indisunique and i.indisvalid and i.indimmediate
                and i.indpred is null and i.indexprs is null) then 'concurrent'
           else 'full'
         end
    from refresh.object o join pg_catalog.pg_class c on c.oid = o.object
   where o.object = p_object
$$;

--
-- Name: FUNCTION "effective_method"("p_object" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."effective_method"("p_object" "regclass") IS 'How the object will be refreshed now: concurrent only when its method allows it, it is populated and it has a unique index without expressions or WHERE (what REFRESH … CONCURRENTLY needs); full otherwise; function or maintained as registered.';

--
-- Name: ensure_run_partitions(timestamp with time zone, integer); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."ensure_run_partitions"("p_at" timestamp with time zone DEFAULT "now"(), "p_months_ahead" integer DEFAULT 2) RETURNS integer
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_month timestamp := date_trunc('month', p_at at time zone 'UTC');
  v_name text;
  v_created integer := 0;
begin
  for v_i in 0 .. greatest(p_months_ahead, 0) loop
    v_name := 'run_' || to_char(v_month + make_interval(months => v_i), 'YYYY"m"MM');
    if pg_catalog.to_regclass(format('refresh.%I', v_name)) is null then
      execute format('create table refresh.%I partition of refresh.run for values from (%L) to (%L)',
                     v_name,
                     (v_month + make_interval(months => v_i)) at time zone 'UTC',
                     (v_month + make_interval(months => v_i + 1)) at time zone 'UTC');
      execute format('comment on table refresh.%I is %L', v_name, 'One month (UTC) of refresh.run.');
      v_created := v_created + 1;
    end if;
  end loop;
  return v_created;
end;
$$;

--
-- Name: FUNCTION "ensure_run_partitions"("p_at" timestamp with time zone, "p_months_ahead" integer); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."ensure_run_partitions"("p_at" timestamp with time zone, "p_months_ahead" integer) IS 'Creates the monthly (UTC) partitions of refresh.run for the month of p_at and p_months_ahead after it; returns how many it created.';

--
-- Name: evaluate_check("text", interval); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."evaluate_check"("p_query" "text", "p_timeout" interval) RETURNS numeric
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_value numeric;
begin
  -- never run stored SQL as a role that could do more than read (a grant added by mistake)
  if exists (select from pg_catalog.pg_roles r
              where r.rolname = current_user and (r.rolsuper or r.rolbypassrls or r.rolcanlogin))
     or pg_catalog.pg_has_role(current_user, 'pg_read_server_files', 'MEMBER')
     or pg_catalog.pg_has_role(current_user, 'pg_write_server_files', 'MEMBER')
     or pg_catalog.pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')
     or pg_catalog.pg_has_role(current_user, 'pg_read_all_data', 'MEMBER')
     or pg_catalog.pg_has_role(current_user, 'pg_write_all_data', 'MEMBER') then
    raise exception 'data-quality checks run as %, which may do more than read: no check is run', current_user
      using errcode = 'SL143',
            hint = format('the checker role is NOLOGIN, not a superuser, without BYPASSRLS and without the pg_*_server_* and pg_*_all_data roles: revoke them from %I', current_user);
  end if;
  begin
    -- a check only reads: read-only, its lock timeout, and whatever it did rolled back
    perform pg_catalog.set_config('transaction_read_only', 'on', true);
    perform pg_catalog.set_config('lock_timeout', (extract(epoch from p_timeout) * 1000)::bigint::text, true);
    perform 'PRAGMA:DISABLE:SECURITY_WARNINGS'; -- plpgsql_check: running the owner's check query is this function's job, read-only
    execute p_query into v_value;
    perform 'PRAGMA:ENABLE:SECURITY_WARNINGS';
    raise exception using errcode = 'SL079', message = 'check evaluated';
  exception
    when sqlstate 'SL079' then null;
  end;
  return v_value;
end;
$$;

--
-- Name: FUNCTION "evaluate_check"("p_query" "text", "p_timeout" interval); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."evaluate_check"("p_query" "text", "p_timeout" interval) IS 'Evaluates a data-quality check''s query and returns its number: owned by the checker role and security definer, so the query runs with that role''s rights only (read scoreline data, call the dq_* functions), read-only, in a subtransaction rolled back afterwards, waiting at most p_timeout for a lock. Refuses (SL143) when the checker role could do more than read. Only refresh.run_check (and the owner role) call it.';

--
-- Name: explain("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."explain"("p_name" "text") RETURNS TABLE("object" "text", "kind" "text", "answer" "text", "reads" "text"[])
    LANGUAGE "plpgsql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_rel regclass := pg_catalog.to_regclass(p_name);
  v_kind "char";
  v_reads text[];
  v_materialized text[];
  v_maintained text[];
begin
  if v_rel is null then
    raise exception 'refresh: no relation is named %', p_name
      using errcode = 'SL075',
            hint = 'name it as schema.name: select object from refresh.status lists what is refreshed, select distinct dependent from refresh.view_edge the plain views';
  end if;
  select c.relkind into v_kind from pg_catalog.pg_class c where c.oid = v_rel;
  -- a registered object, or a relation that is not a view: refresh.plan answers (or SL060)
  if v_kind <> 'v' or exists (select from refresh.object o where o.object = v_rel) then
    return;
  end if;
  -- what the view reads, directly and through other views
  with recursive read_rel (rel) as (
    select d.refobjid
      from pg_catalog.pg_rewrite r
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = r.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> r.ev_class and d.deptype = 'n'
     where r.ev_class = v_rel
    union
    select d.refobjid
      from read_rel x
      join pg_catalog.pg_rewrite r on r.ev_class = x.rel
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = r.oid
                                 and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> r.ev_class and d.deptype = 'n'
  )
  select pg_catalog.array_agg(x.rel::regclass::text order by x.rel::regclass::text),
         pg_catalog.array_agg(x.rel::regclass::text order by x.rel::regclass::text) filter (where o.kind = 'materialized_view'),
         pg_catalog.array_agg(x.rel::regclass::text order by x.rel::regclass::text) filter (where o.method = 'maintained')
    into v_reads, v_materialized, v_maintained
    from read_rel x
    left join refresh.object o on o.object = x.rel;
  object := v_rel::text;
  kind := 'view';
  reads := coalesce(v_reads, '{}');
  answer := case
    when v_materialized is not null then
      pg_catalog.format('a plain view, current at commit, over the materialized view %s: nothing to refresh here; refresh that: scoreline refresh --object %s',
                        pg_catalog.array_to_string(v_materialized, ', '), v_materialized[1])
    when v_maintained is not null then
      'a plain view over tables maintained in the scoring transaction: current at commit, nothing to refresh'
    else 'a plain view over source tables: current at commit, nothing to refresh'
  end;
  return next;
end;
$$;

--
-- Name: FUNCTION "explain"("p_name" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."explain"("p_name" "text") IS 'What `scoreline refresh --object` answers for a plain view (not registered: nothing to refresh), with what it reads, directly or through other views; no row for a registered object or a relation that is not a view (refresh.plan answers for those). SL075 when no relation has the name.';

--
-- Name: install_stale_triggers("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."install_stale_triggers"("p_table" "regclass") RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_name text := refresh.qualified_name(p_table);
  v_relkind "char";
begin
  -- the table ends with exactly the current staleness triggers, whatever it carried before
  perform refresh.remove_stale_triggers(p_table);
  select c.relkind into v_relkind from pg_catalog.pg_class c where c.oid = p_table;
  if v_relkind = 'f' then
    -- foreign tables cannot have transition tables: mark on every statement
    execute format('create trigger _990_refresh_stale_insert after insert or update or delete on %s '
                   'for each statement execute function refresh.tg__mark_stale(%L)', v_name, 'no transition table');
    return;
  end if;
  execute format('create trigger _990_refresh_stale_insert after insert on %s referencing new table as changed_rows '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
  execute format('create trigger _990_refresh_stale_update after update on %s referencing new table as changed_rows '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
  execute format('create trigger _990_refresh_stale_delete after delete on %s referencing old table as changed_rows '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
  execute format('create trigger _990_refresh_stale_truncate after truncate on %s '
                 'for each statement execute function refresh.tg__mark_stale()', v_name);
end;
$$;

--
-- Name: FUNCTION "install_stale_triggers"("p_table" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."install_stale_triggers"("p_table" "regclass") IS 'Creates the statement-level staleness triggers _990_refresh_stale_insert|update|delete|truncate on refresh.tg__mark_stale() (with transition tables; one plain statement trigger on foreign tables) on one source table, replacing any staleness triggers it carried.';

--
-- Name: levels(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."levels"() RETURNS TABLE("object" "regclass", "level" integer)
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "jit" TO 'off'
    AS $$
  with recursive lvl (object, level) as (
    select o.object, 0 from refresh.object o
    union
    select d.dependent, l.level + 1
      from lvl l
      join refresh.dependency d on d.parent = l.object
     where l.level < 100
  )
  select l.object, max(l.level)::integer from lvl l group by l.object
$$;

--
-- Name: FUNCTION "levels"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."levels"() IS 'Each registered object''s level in the dependency graph: 0 when it reads no registered object, else one more than its deepest registered parent.';

--
-- Name: lock_key("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."lock_key"("p_object" "regclass") RETURNS bigint
    LANGUAGE "sql" IMMUTABLE STRICT PARALLEL SAFE
    AS $$ select (1919247464::bigint << 32) | p_object::oid::bigint $$;

--
-- Name: FUNCTION "lock_key"("p_object" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."lock_key"("p_object" "regclass") IS 'The advisory lock key one refresher of an object holds (high half: the constant ''refh'', low half: the object''s oid).';

--
-- Name: maintain_run_partitions(interval); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."maintain_run_partitions"("p_keep" interval DEFAULT NULL::interval) RETURNS TABLE("action" "text", "partition_name" "text")
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_retention interval;
  v_keep interval;
  v_r record;
begin
  if p_keep is not null and p_keep <= interval '0' then
    raise exception 'refresh.maintain_run_partitions: retention must be a positive interval, not %', p_keep
      using errcode = 'SL068', hint = 'e.g. 13 months, or none for the policy''s';
  end if;
  select pol.retention into v_retention from maint.partition_policy pol where pol.parent = 'refresh.run'::regclass;
  if v_retention is not null and p_keep < v_retention then
    raise exception 'refresh.maintain_run_partitions(%): shorter than the policy''s retention of refresh.run (%)', p_keep, v_retention
      using errcode = 'SL092',
            hint = 'call refresh.maintain_run_partitions() for the policy''s retention; the owner role changes it in maint.partition_policy';
  end if;
  v_keep := greatest(p_keep, v_retention);
  -- no policy, or retention null: the audit log is kept whole
  if v_retention is not null then
    for v_r in
      select pb.partition
        from maint.partition_bounds pb
       where pb.parent = 'refresh.run'::regclass and not pb.is_default and pb.range_to <= now() - v_keep
       order by pb.range_from
    loop
      partition_name := v_r.partition::text;
      perform maint.drop_partition('refresh.run'::regclass, v_r.partition); -- checks the policy again, and logs it
      action := 'dropped';
      return next;
    end loop;
  end if;
  if refresh.ensure_run_partitions(now(), 2) > 0 then
    action := 'created';
    partition_name := 'months ahead';
    return next;
  end if;
end;
$$;

--
-- Name: FUNCTION "maintain_run_partitions"("p_keep" interval); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."maintain_run_partitions"("p_keep" interval) IS 'Audit retention: drops (maint.drop_partition, logged in maint.maintenance_log) the monthly partitions of refresh.run that ended more than the retention of its policy in maint.partition_policy ago (13 months as shipped; p_keep may only keep longer: shorter is SL092), and creates the coming months. Without a policy, or with retention null, nothing is dropped. Run by the maintain job.';

--
-- Name: on_ddl_command_end("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."on_ddl_command_end"("p_tag" "text") RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- Only DDL that can change the registry: objects in stats (what is registered), views and
  -- materialized views anywhere (the dependency chains run through them), and new
  -- partitions of a table a registered object reads (they get its staleness triggers).
  -- Other tables, such as the daily partitions of the odds a loader or maintenance creates,
  -- change nothing, and a full sync for each would make a season's odds load take minutes on
  -- PostgreSQL 15.
  if exists (select from pg_catalog.pg_event_trigger_ddl_commands() c
              where c.schema_name is not null and c.schema_name not like 'pg\_temp%'
                and c.object_type in ('table', 'materialized view', 'view', 'foreign table', 'table column')
                and (c.schema_name = 'stats'
                     or c.object_type in ('view', 'materialized view')
                     or exists (select from pg_catalog.pg_partition_ancestors(c.objid) a
                                  join refresh.source src on src.source = a.relid
                                 where a.relid <> c.objid))) then
    perform refresh.sync('event_trigger');
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', p_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$$;

--
-- Name: FUNCTION "on_ddl_command_end"("p_tag" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."on_ddl_command_end"("p_tag" "text") IS 'What the ddl_command_end event trigger does (called with the command tag, from inside the trigger): after DDL creating or altering a table in stats, or a view or materialized view in any schema (outside pg_temp), or a new partition of a table a registered object reads, runs refresh.sync(); other tables (such as odds partitions made by loaders and maintenance) cannot change the registry and are skipped. Never fails the DDL: a problem is a WARNING.';

--
-- Name: on_sql_drop("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."on_sql_drop"("p_tag" "text") RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- REFRESH … CONCURRENTLY creates and drops temporary tables: they are not ours to track
  if exists (select from pg_catalog.pg_event_trigger_dropped_objects() d
              where not d.is_temporary and d.object_type in ('table', 'materialized view', 'view', 'foreign table')) then
    perform refresh.sync('event_trigger');
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', p_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$$;

--
-- Name: FUNCTION "on_sql_drop"("p_tag" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."on_sql_drop"("p_tag" "text") IS 'What the sql_drop event trigger does (called with the command tag, from inside the trigger): after a table, materialized view or view is dropped (temporary ones ignored), runs refresh.sync() so dropped objects are unregistered. Never fails the DDL.';

--
-- Name: plan("regclass", boolean); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."plan"("p_object" "regclass" DEFAULT NULL::"regclass", "p_force" boolean DEFAULT false) RETURNS TABLE("step" integer, "object" "regclass", "level" integer, "reason" "text", "method" "text")
    LANGUAGE "plpgsql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "jit" TO 'off'
    AS $$
begin
  if p_object is not null and not exists (select from refresh.object o where o.object = p_object) then
    raise exception 'refresh: % is not registered in refresh.object', p_object
      using errcode = 'SL060', hint = 'materialized views and tables in stats register themselves; see select * from refresh.status';
  end if;
  return query
  with recursive
  seed as (
    select o.object,
           case when p_object is not null then 'requested'
                when p_force then 'forced'
                when o.stale_since is not null then format('stale since %s', o.stale_since)
                when o.kind = 'materialized_view' and not c.relispopulated then 'not populated'
                else format('due since %s', o.next_refresh_at) end as reason
      from refresh.object o
      join pg_catalog.pg_class c on c.oid = o.object
     where o.enabled
       and case when p_object is not null then o.object = p_object
                else p_force or o.stale_since is not null or o.next_refresh_at <= now()
                     or (o.kind = 'materialized_view' and not c.relispopulated) end
  ),
  closure (object, reason, depth) as (
    select s.object, s.reason, 0 from seed s
    union
    select d.dependent, format('depends on %s', cl.object), cl.depth + 1
      from closure cl join refresh.dependency d on d.parent = cl.object
     where cl.depth < 100
  ),
  chosen as (
    select distinct on (cl.object) cl.object, cl.reason from closure cl order by cl.object, cl.depth, cl.reason
  )
  select (row_number() over (order by lv.level, o.priority desc, ch.object::text))::integer,
         ch.object, lv.level, ch.reason, refresh.effective_method(ch.object)
    from chosen ch
    join refresh.object o on o.object = ch.object
    join refresh.levels() lv on lv.object = ch.object
   where o.enabled
   order by 1;
end;
$$;

--
-- Name: FUNCTION "plan"("p_object" "regclass", "p_force" boolean); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."plan"("p_object" "regclass", "p_force" boolean) IS 'What a refresh would do, in order: with p_object that object and everything depending on it; otherwise every enabled object that is stale, due or unpopulated (all with p_force) and their dependents. Parents before dependents, higher priority first within a level. Shared by run_due''s dry run and `scoreline refresh --dry-run`.';

--
-- Name: qualified_name("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."qualified_name"("p_object" "regclass") RETURNS "text"
    LANGUAGE "sql" STABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select format('%I.%I', n.nspname, c.relname)
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = p_object
$$;

--
-- Name: FUNCTION "qualified_name"("p_object" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."qualified_name"("p_object" "regclass") IS 'schema.name of a relation with both parts quoted by format(''%I.%I''): the only form in which the refresh code splices a name into SQL. Null when the relation is gone.';

--
-- Name: reap("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."reap"("p_object" "regclass" DEFAULT NULL::"regclass") RETURNS integer
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_runs integer;
begin
  with dead as (
    select r.run_id, r.started_at
      from refresh.run r
      left join pg_catalog.pg_stat_activity a on a.pid = r.backend_pid
     where r.status = 'running'
       and (p_object is null or r.object = p_object)
       and (a.pid is null                                        -- the backend is gone
            or a.backend_start <> r.backend_start                -- the pid belongs to a new backend (null: not visible, assume alive)
            or r.backend_pid = pg_catalog.pg_backend_pid()       -- left by this session's earlier, interrupted call
            or a.state <> 'active')                              -- its call ended without finishing the run
  ),
  failed as (
    update refresh.run r
       set status = 'failed', finished_at = clock_timestamp(), duration = clock_timestamp() - r.started_at,
           error_sqlstate = 'SL071',
           error_message = format('abandoned: backend %s stopped before the refresh of %s finished', r.backend_pid, r.object_name)
      from dead
     where r.run_id = dead.run_id and r.started_at = dead.started_at
    returning r.object, r.stale_since, r.error_message
  ),
  restored as (
    update refresh.object o
       set stale_since = coalesce(o.stale_since, f.stale_since, now()), last_status = 'failed', last_error = f.error_message
      from failed f
     where o.object = f.object
    returning 1
  )
  select count(*) into v_runs from failed;

  update refresh.checkpoint set status = 'expired', updated_at = now()
   where status = 'active' and expires_at < now();
  return v_runs;
end;
$$;

--
-- Name: FUNCTION "reap"("p_object" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."reap"("p_object" "regclass") IS 'Marks runs left running by a backend that is gone (or idle, or this session before) failed (SL071), giving their objects back the staleness they had; expires active checkpoints past expires_at. Returns the runs reaped.';

--
-- Name: refresh_object("regclass", "text", bigint, "text", boolean); Type: PROCEDURE; Schema: refresh; Owner: -
--

CREATE PROCEDURE "refresh"."refresh_object"(IN "p_object" "regclass", IN "p_trigger" "text" DEFAULT 'manual'::"text", IN "p_run_group" bigint DEFAULT NULL::bigint, IN "p_reason" "text" DEFAULT NULL::"text", IN "p_force" boolean DEFAULT false)
    LANGUAGE "plpgsql"
    AS $_$
declare
  v_obj refresh.object;
  v_name text;
  v_populated boolean;
  v_group bigint := coalesce(p_run_group, pg_catalog.nextval('refresh.run_group_seq'));
  v_skip text;
  v_method text;
  v_run bigint;
  v_started timestamptz;
  v_count boolean;
  v_before bigint;
  v_after bigint;
  v_fn regprocedure;
  v_fn_name text;
  v_error boolean := false;
  v_state text;
  v_msg text;
  v_detail text;
  v_context text;
  v_failures text;
  v_finished timestamptz;
begin
  perform refresh.assert_trigger_source(p_trigger);
  select * into v_obj from refresh.object o where o.object = p_object;
  if not found and p_run_group is not null then
    raise notice '%: unregistered since the pass was planned: nothing to do', p_object;
    return; -- dropped while a pass was running
  elsif not found then
    raise exception 'refresh: % is not registered in refresh.object', p_object
      using errcode = 'SL060', hint = 'materialized views and tables in stats register themselves; see select * from refresh.status';
  end if;
  v_name := refresh.qualified_name(p_object);
  select c.relispopulated into v_populated from pg_catalog.pg_class c where c.oid = p_object;
  perform refresh.ensure_run_partitions();
  perform refresh.reap(p_object);

  -- 1. Decide and claim, under the object's advisory lock (held to the commit only).
  if not pg_catalog.pg_try_advisory_xact_lock(refresh.lock_key(p_object)) then
    v_skip := format('another refresher holds the lock on %s', v_name);
  elsif exists (select from refresh.run r where r.object = p_object and r.status = 'running') then
    select format('run %s (backend %s) is refreshing %s', r.run_id, r.backend_pid, v_name) into v_skip
      from refresh.run r where r.object = p_object and r.status = 'running' limit 1;
  elsif not v_obj.enabled then
    v_skip := format('%s is disabled in refresh.object', v_name);
  else
    select format('parent %s is being refreshed by another run, which refreshes %s after it', d.parent, v_name) into v_skip
      from refresh.dependency d
      join refresh.object p on p.object = d.parent
     where d.dependent = p_object
       and (exists (select from refresh.run r where r.object = d.parent and r.status = 'running')
            or exists (select from pg_catalog.pg_locks l
                        where l.locktype = 'advisory' and l.granted and l.pid <> pg_catalog.pg_backend_pid()
                          and l.classid = 1919247464 and l.objid = d.parent::oid and l.objsubid = 1))
     limit 1;
    if v_skip is null then
      v_skip := refresh.blocked_reason(p_object);
      if v_skip is not null then
        v_skip := 'blocked: ' || v_skip;
      end if;
    end if;
    if v_skip is null and not (p_force or v_obj.stale_since is not null or v_obj.next_refresh_at <= now()
                               or (v_obj.kind = 'materialized_view' and not v_populated)) then
      v_skip := format('%s is fresh: nothing it reads changed since its refresh at %s', v_name, v_obj.last_refresh_at);
    end if;
    if v_skip is null and v_obj.method = 'maintained' then
      v_skip := format('%s is maintained by triggers: nothing to refresh', v_name);
      update refresh.object o set stale_since = null where o.object = p_object;
    end if;
  end if;

  if v_skip is not null then
    insert into refresh.run (run_group, object, object_name, trigger_source, status, method, reason, finished_at, duration, parameters)
    values (v_group, p_object, v_name, p_trigger, 'skipped', v_obj.method, v_skip, clock_timestamp(), interval '0', v_obj.parameters);
    raise notice '%: skipped: %', v_name, v_skip;
    commit;
    return;
  end if;

  v_method := refresh.effective_method(p_object);
  insert into refresh.run (run_group, object, object_name, trigger_source, status, method, reason, parameters, stale_since, backend_start)
  values (v_group, p_object, v_name, p_trigger, 'running', v_method,
          coalesce(p_reason, case when p_force then 'forced' when v_obj.stale_since is not null then format('stale since %s', v_obj.stale_since)
                                  else 'due' end),
          v_obj.parameters, v_obj.stale_since,
          (select a.backend_start from pg_catalog.pg_stat_activity a where a.pid = pg_catalog.pg_backend_pid()))
  returning run_id, started_at into v_run, v_started;
  -- Clear the staleness this run covers before its snapshot is taken. A write to a source
  -- still in flight (its transaction holds the writer lock shared, refresh.tg__mark_stale)
  -- will not be in this refresh: then the object stays stale, since now, and the next pass
  -- refreshes again. A writer still holding the row (it just marked it) keeps it stale too.
  update refresh.object o
     set stale_since = case when pg_catalog.pg_try_advisory_xact_lock(refresh.writer_lock_key(p_object)) then null else now() end
   where o.object in (select x.object from refresh.object x
                       where x.object = p_object and x.stale_since is not null
                         for update skip locked);
  commit;

  -- 2. Refresh, with the object's lock timeout.
  begin
    perform pg_catalog.pg_advisory_xact_lock(refresh.lock_key(p_object));
    perform set_config('lock_timeout', coalesce(v_obj.parameters ->> 'lock_timeout', '5s'), true);
    v_count := coalesce((v_obj.parameters ->> 'count_rows')::boolean, true);
    if v_count and (v_obj.kind = 'table' or v_populated) then
      execute format('select count(*) from %s', v_name) into v_before;
    end if;
    if v_method in ('concurrent', 'full') then
      perform refresh.refresh_relation(p_object, v_method = 'concurrent');
    else
      v_fn := refresh.resolve_function(v_obj.refresh_function);
      select format('%I.%I', n.nspname, p.proname) into v_fn_name
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where p.oid = v_fn;
      perform 'PRAGMA:DISABLE:SECURITY_WARNINGS'; -- plpgsql_check: v_fn_name is format('%I.%I') of the catalog's names
      execute format('select %s($1, $2)', v_fn_name) using p_object, coalesce(v_obj.parameters -> 'args', '{}'::jsonb);
      perform 'PRAGMA:ENABLE:SECURITY_WARNINGS';
    end if;
    if v_count then
      execute format('select count(*) from %s', v_name) into v_after;
    end if;
    update refresh.run r set rows_before = v_before, rows_after = v_after
     where r.run_id = v_run and r.started_at = v_started;
  exception when others or query_canceled then
    -- query_canceled (57014: a statement_timeout, a cancel) is caught by name so that the audit
    -- records it; it is raised again below, once the run is marked failed
    get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text,
                            v_detail = pg_exception_detail, v_context = pg_exception_context;
    v_error := true;
  end;

  if v_error then
    v_finished := clock_timestamp();
    update refresh.run r
       set status = 'failed', finished_at = v_finished, duration = v_finished - r.started_at,
           error_sqlstate = v_state, error_message = v_msg, error_detail = nullif(v_detail, ''), error_context = nullif(v_context, '')
     where r.run_id = v_run and r.started_at = v_started;
    update refresh.object o
       set stale_since = coalesce(o.stale_since, v_obj.stale_since, now()),
           last_status = 'failed', last_error = format('%s (SQLSTATE %s)', v_msg, v_state)
     where o.object = p_object;
    raise notice '%: failed: % (SQLSTATE %)', v_name, v_msg, v_state;
    commit;
    if v_state = '57014' then
      raise exception 'refresh of % cancelled: %', v_name, v_msg
        using errcode = '57014', hint = format('run %s is audited as failed in refresh.run', v_run);
    end if;
    return;
  end if;
  commit;

  -- 3. Book-keeping, dependents made stale, data-quality checks.
  v_finished := clock_timestamp();
  update refresh.object o
     set last_refresh_at = v_finished, last_duration = v_finished - v_started, last_status = 'success', last_error = null,
         next_refresh_at = v_finished + o.frequency
   where o.object = p_object;
  update refresh.object o
     set stale_since = now()
   where o.stale_since is null
     and o.object in (select d.dependent from refresh.dependency d where d.parent = p_object);
  select string_agg(format('%s check %s: %s', c.severity, quote_literal(c.check_name), c.detail), '; ' order by c.check_name)
    into v_failures
    from refresh.run_checks(p_object, v_run) c
   where not c.passed;
  update refresh.run r
     set status = case when v_failures is null then 'success' else 'warning' end,
         finished_at = v_finished, duration = v_finished - r.started_at,
         error_sqlstate = case when v_failures is not null then 'SL070' end,
         error_message = case when v_failures is not null then 'data-quality: ' || v_failures end
   where r.run_id = v_run and r.started_at = v_started;
  if v_failures is not null then
    update refresh.object o set last_status = 'warning', last_error = 'data-quality: ' || v_failures where o.object = p_object;
    raise notice '%: refreshed (%), but data-quality: %', v_name, v_method, v_failures;
  else
    raise notice '%: refreshed (%): rows % -> %', v_name, v_method, coalesce(v_before::text, '-'), coalesce(v_after::text, '-');
  end if;
  commit;
end;
$_$;

--
-- Name: PROCEDURE "refresh_object"(IN "p_object" "regclass", IN "p_trigger" "text", IN "p_run_group" bigint, IN "p_reason" "text", IN "p_force" boolean); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON PROCEDURE "refresh"."refresh_object"(IN "p_object" "regclass", IN "p_trigger" "text", IN "p_run_group" bigint, IN "p_reason" "text", IN "p_force" boolean) IS 'Refreshes one registered object, auditing it in refresh.run: skips it (audited, with the reason) when another refresher holds it or its parent, when a hard parent failed or fails an error check, or when it is fresh and not forced; else claims it, clears its staleness, refreshes (CONCURRENTLY when possible) under its lock_timeout, marks its dependents stale and runs its checks. Commits between these steps: call it outside a transaction block.';

--
-- Name: refresh_relation("regclass", boolean); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."refresh_relation"("p_object" "regclass", "p_concurrently" boolean) RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if not exists (select from refresh.object o where o.object = p_object and o.kind = 'materialized_view') then
    raise exception 'refresh: % is not a registered materialized view', p_object
      using errcode = 'SL060', hint = 'see select * from refresh.status';
  end if;
  if p_concurrently then
    execute format('refresh materialized view concurrently %s', refresh.qualified_name(p_object));
  else
    execute format('refresh materialized view %s', refresh.qualified_name(p_object));
  end if;
end;
$$;

--
-- Name: FUNCTION "refresh_relation"("p_object" "regclass", "p_concurrently" boolean); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."refresh_relation"("p_object" "regclass", "p_concurrently" boolean) IS 'REFRESH MATERIALIZED VIEW [CONCURRENTLY] of a registered view, as the owner of the refresh schema (REFRESH needs the view''s owner), so that the worker role needs no ownership. Only registered views; the name comes from the catalog, quoted.';

--
-- Name: remove_stale_triggers("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."remove_stale_triggers"("p_table" "regclass") RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_name text := refresh.qualified_name(p_table);
  v_trigger text;
begin
  -- zz_refresh_stale_*: the names the staleness triggers of an upgraded database may carry
  foreach v_trigger in array array['_990_refresh_stale_insert', '_990_refresh_stale_update', '_990_refresh_stale_delete', '_990_refresh_stale_truncate',
                                   'zz_refresh_stale_insert', 'zz_refresh_stale_update', 'zz_refresh_stale_delete', 'zz_refresh_stale_truncate'] loop
    execute format('drop trigger if exists %I on %s', v_trigger, v_name);
  end loop;
end;
$$;

--
-- Name: FUNCTION "remove_stale_triggers"("p_table" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."remove_stale_triggers"("p_table" "regclass") IS 'Drops the staleness triggers (_990_refresh_stale_*, and zz_refresh_stale_* as an upgraded database may carry) from a table no registered object reads any more.';

--
-- Name: resolve_function("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."resolve_function"("p_name" "text") RETURNS "regprocedure"
    LANGUAGE "plpgsql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_parts text[];
  v_fn regprocedure;
begin
  if p_name is null then
    return null;
  end if;
  begin
    v_parts := pg_catalog.parse_ident(p_name);
  exception when others then
    v_parts := null;
  end;
  if v_parts is null or pg_catalog.cardinality(v_parts) <> 2 then
    raise exception 'refresh function "%" is not a schema-qualified function name', p_name
      using errcode = 'SL061',
            hint = 'give schema.function; it is called as schema.function(object regclass, parameters jsonb)';
  end if;
  v_fn := pg_catalog.to_regprocedure(format('%I.%I(regclass, jsonb)', v_parts[1], v_parts[2]));
  if v_fn is null or not exists (select from pg_catalog.pg_proc p where p.oid = v_fn and p.prokind = 'f') then
    raise exception 'refresh function %.%(regclass, jsonb) does not exist', quote_ident(v_parts[1]), quote_ident(v_parts[2])
      using errcode = 'SL061',
            hint = 'create the function first; it receives the object and refresh.object.parameters->''args''';
  end if;
  return v_fn;
end;
$$;

--
-- Name: FUNCTION "resolve_function"("p_name" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."resolve_function"("p_name" "text") IS 'Resolves refresh.object.refresh_function (schema.name) to the function name(regclass, jsonb) through parse_ident and to_regprocedure, or raises SL061. Nothing is ever spliced from the text.';

--
-- Name: run_check("text", bigint); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."run_check"("p_name" "text", "p_run_id" bigint DEFAULT NULL::bigint) RETURNS TABLE("check_name" "text", "object" "regclass", "severity" "text", "value" numeric, "passed" boolean, "detail" "text")
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_c refresh."check";
  v_value numeric;
  v_state text;
  v_msg text;
  v_ok boolean;
begin
  select * into v_c from refresh."check" k where k.name = p_name and k.enabled;
  if not found then
    return; -- unknown or disabled: nothing to run
  end if;
  begin
    v_value := refresh.evaluate_check(v_c.query, v_c.timeout);
  exception
    -- a failed query is a failed check; so is one cancelled (its timeout, when it runs as its own statement)
    when others or query_canceled then
      get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
  end;
  v_ok := v_state is null and v_value is not null
          and (v_c.expected is null or v_value = v_c.expected)
          and (v_c.min_value is null or v_value >= v_c.min_value)
          and (v_c.max_value is null or v_value <= v_c.max_value);
  insert into refresh.check_result (check_id, run_id, value, passed, error_sqlstate, error_message)
  values (v_c.check_id, p_run_id, v_value, v_ok, v_state, v_msg);
  check_name := v_c.name;
  object := v_c.object;
  severity := v_c.severity;
  value := v_value;
  passed := v_ok;
  detail := case when v_ok then null
                 when v_msg is not null then format('its query failed: %s (SQLSTATE %s)', v_msg, v_state)
                 when v_value is null then 'its query returned no value'
                 else format('value %s, expected %s', v_value, refresh.check_expectation(v_c.expected, v_c.min_value, v_c.max_value)) end;
  return next;
end;
$$;

--
-- Name: FUNCTION "run_check"("p_name" "text", "p_run_id" bigint); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."run_check"("p_name" "text", "p_run_id" bigint) IS 'Runs one enabled check by name (refresh.evaluate_check: as the checker role, read-only, under its timeout); a query that errors, or is cancelled, is a failed check with its error. Stores the result and returns it, with the full error text in detail (for the owner and worker; readers see refresh.failing_check''s generic detail). The nightly report calls it once per check, each as its own statement under the check''s statement timeout.';

--
-- Name: run_checks("regclass", bigint); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."run_checks"("p_object" "regclass" DEFAULT NULL::"regclass", "p_run_id" bigint DEFAULT NULL::bigint) RETURNS TABLE("check_name" "text", "object" "regclass", "severity" "text", "value" numeric, "passed" boolean, "detail" "text")
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select r.*
    from (select k.name from refresh."check" k where k.enabled and (p_object is null or k.object = p_object) order by k.name) c
    cross join lateral refresh.run_check(c.name, p_run_id) r
$$;

--
-- Name: FUNCTION "run_checks"("p_object" "regclass", "p_run_id" bigint); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."run_checks"("p_object" "regclass", "p_run_id" bigint) IS 'Runs the enabled checks of one object (all checks when null: the nightly report), each through refresh.run_check (as the checker role, read-only, in its own subtransaction); a query that errors is a failed check with its error. Stores and returns the results.';

--
-- Name: run_due("text", "regclass", boolean, boolean); Type: PROCEDURE; Schema: refresh; Owner: -
--

CREATE PROCEDURE "refresh"."run_due"(IN "p_trigger" "text" DEFAULT 'manual'::"text", IN "p_object" "regclass" DEFAULT NULL::"regclass", IN "p_force" boolean DEFAULT false, IN "p_dry_run" boolean DEFAULT false)
    LANGUAGE "plpgsql"
    AS $$
declare
  v_group bigint;
  v_s record;
begin
  perform refresh.assert_trigger_source(p_trigger);
  if p_dry_run then
    for v_s in select * from refresh.plan(p_object, p_force) p order by p.step loop
      raise notice '% %: % (level %, %)', v_s.step, v_s.object, v_s.reason, v_s.level, v_s.method;
    end loop;
    return;
  end if;
  v_group := refresh.begin_pass();
  commit;
  for v_s in select * from refresh.plan(p_object, p_force) p order by p.step loop
    call refresh.refresh_object(v_s.object, p_trigger, v_group, v_s.reason, p_force or v_s.object = p_object);
  end loop;
end;
$$;

--
-- Name: PROCEDURE "run_due"(IN "p_trigger" "text", IN "p_object" "regclass", IN "p_force" boolean, IN "p_dry_run" boolean); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON PROCEDURE "refresh"."run_due"(IN "p_trigger" "text", IN "p_object" "regclass", IN "p_force" boolean, IN "p_dry_run" boolean) IS 'Refreshes what refresh.plan(p_object, p_force) lists, in order, one refresh.refresh_object each, committing between objects (call it outside a transaction block). p_dry_run only prints the plan as NOTICEs. statement_timeout cannot be armed per object inside one CALL: `scoreline refresh` calls refresh_object per object with it.';

--
-- Name: sqlstate_reason("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."sqlstate_reason"("p_sqlstate" "text") RETURNS "text"
    LANGUAGE "sql" IMMUTABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select case
           when p_sqlstate = '42501' then 'insufficient privilege'
           when p_sqlstate = '25006' then 'it tried to write (checks run read-only)'
           when p_sqlstate = '57014' then 'cancelled (its timeout)'
           when p_sqlstate = '55P03' then 'a lock it waited for was not granted within its timeout'
           when p_sqlstate = '42883' then 'a function it calls does not exist'
           when p_sqlstate in ('42P01', '42703') then 'a table or column it reads does not exist'
           when left(p_sqlstate, 2) = '22' then 'a data exception'
           when left(p_sqlstate, 2) = '42' then 'a syntax error or an access rule violation'
           else 'an error'
         end
$$;

--
-- Name: FUNCTION "sqlstate_reason"("p_sqlstate" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."sqlstate_reason"("p_sqlstate" "text") IS 'A generic reason for a SQLSTATE (insufficient privilege, cancelled, a data exception …): what readers are told about a check whose query failed, instead of its message, which may quote data.';

--
-- Name: sync("text"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."sync"("p_by" "text" DEFAULT 'sync'::"text") RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_stats oid := pg_catalog.to_regnamespace('stats');
begin
  perform set_config('refresh.syncing', 'on', true);
  -- forget what is gone
  delete from refresh.object o
   where not exists (select from pg_catalog.pg_class c where c.oid = o.object and c.relkind in ('m', 'r', 'p'));
  delete from refresh.dependency d where not exists (select from pg_catalog.pg_class c where c.oid = d.parent);
  -- register every materialized view and table in stats (partitions belong to their parent)
  if v_stats is not null then
    insert into refresh.object (object, kind, method, stale_since, registered_by)
    select c.oid::regclass,
           case c.relkind when 'm' then 'materialized_view' else 'table' end,
           case c.relkind when 'm' then 'concurrent' else 'maintained' end,
           case when c.relkind = 'm' and not c.relispopulated then now() end,
           p_by
      from pg_catalog.pg_class c
     where c.relnamespace = v_stats and c.relkind in ('m', 'r', 'p') and not c.relispartition
    on conflict (object) do nothing;
  end if;
  -- catalog dependencies, rediscovered
  insert into refresh.dependency (dependent, parent, strength, origin)
  select p.dependent, p.parent, 'hard', 'catalog' from refresh.catalog_parents() p
  on conflict do nothing;
  delete from refresh.dependency d
   where d.origin = 'catalog'
     and not exists (select from refresh.catalog_parents() p where p.dependent = d.dependent and p.parent = d.parent);
  perform refresh.sync_sources();
  perform set_config('refresh.syncing', 'off', true);
end;
$$;

--
-- Name: FUNCTION "sync"("p_by" "text"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."sync"("p_by" "text") IS 'Brings the registry in line with the catalog: unregisters dropped objects, registers every materialized view and table in stats (unpopulated ones stale), rediscovers catalog dependencies, recomputes sources and staleness triggers. Run by the event triggers and at the end of the refresh code (sql/036_refresh_status.sql); safe to run any time.';

--
-- Name: sync_sources(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."sync_sources"() RETURNS "void"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_r record;
begin
  insert into refresh.source (source, object)
  select c.source, c.object from refresh.computed_sources() c
  on conflict do nothing;
  delete from refresh.source s
   where not exists (select from refresh.computed_sources() c where c.source = s.source and c.object = s.object);

  -- Staleness triggers are found by name and function: the current ones (_990_refresh_stale_* on
  -- refresh.tg__mark_stale), and those an upgraded database may carry (zz_refresh_stale_*, or any
  -- on refresh.tg_source__mark_stale), which are replaced on sources and removed elsewhere.
  for v_r in
    select s.source as rel, 'install' as action
      from (select distinct source from refresh.source) s
     where not exists (select from pg_catalog.pg_trigger t
                        where t.tgrelid = s.source and t.tgname = '_990_refresh_stale_insert'
                          and t.tgfoid = 'refresh.tg__mark_stale()'::regprocedure)
        or exists (select from pg_catalog.pg_trigger t
                    where t.tgrelid = s.source
                      and (t.tgname like 'zz\_refresh\_stale\_%'
                           or t.tgfoid = pg_catalog.to_regprocedure('refresh.tg_source__mark_stale()')))
    union all
    select distinct t.tgrelid::regclass, 'remove'
      from pg_catalog.pg_trigger t
     where (t.tgname like '\_990\_refresh\_stale\_%' or t.tgname like 'zz\_refresh\_stale\_%')
       and t.tgfoid in ('refresh.tg__mark_stale()'::regprocedure, pg_catalog.to_regprocedure('refresh.tg_source__mark_stale()'))
       and not exists (select from refresh.source s where s.source = t.tgrelid::regclass)
  loop
    begin
      if v_r.action = 'install' then
        perform refresh.install_stale_triggers(v_r.rel);
      else
        perform refresh.remove_stale_triggers(v_r.rel);
      end if;
    exception when others then
      raise warning 'refresh: could not % staleness triggers on %: % (SQLSTATE %)', v_r.action, v_r.rel, sqlerrm, sqlstate
        using hint = 'objects reading it are not marked stale by its writes; fix the cause and run select refresh.sync()';
    end;
  end loop;
end;
$$;

--
-- Name: FUNCTION "sync_sources"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."sync_sources"() IS 'Recomputes refresh.source and installs or removes the staleness triggers so that exactly the tables registered objects read carry them, each the four _990_refresh_stale_* triggers on refresh.tg__mark_stale() (staleness triggers under other names or on refresh.tg_source__mark_stale(), as an upgraded database may carry, are replaced).';

--
-- Name: tg__mark_stale(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg__mark_stale"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if tg_op <> 'TRUNCATE' and tg_nargs = 0 then
    if not exists (select from changed_rows) then
      return null; -- a statement that changed nothing makes nothing stale
    end if;
  end if;
  -- Until this transaction ends, hold the writer lock of every object the table feeds, shared
  -- (writers never wait on one another), even when the object is stale already: a refresher
  -- that starts meanwhile cannot see this change, and must not clear the staleness it causes
  -- (refresh.refresh_object clears it only when it can take the lock exclusively).
  perform pg_catalog.pg_advisory_xact_lock_shared(refresh.writer_lock_key(s.object))
     from refresh.source s where s.source = tg_relid::regclass;
  if pg_catalog.current_setting('transaction_isolation') = 'read committed' then
    update refresh.object o
       set stale_since = now()
     where o.stale_since is null
       and o.object in (select s.object from refresh.source s where s.source = tg_relid::regclass);
  else
    -- A repeatable read or serializable snapshot may predate a refresher's clearing of the
    -- staleness, and would skip a row it still sees stale: rewrite every row, so that a row
    -- cleared since the snapshot is a serialization failure (40001), never a lost mark.
    update refresh.object o
       set stale_since = coalesce(o.stale_since, now())
     where o.object in (select s.object from refresh.source s where s.source = tg_relid::regclass);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg__mark_stale"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg__mark_stale"() IS 'Shared by every source table (triggers _990_refresh_stale_*): after each statement (transition table changed_rows), takes the writer lock (refresh.writer_lock_key) of every registered object that reads the table, shared, to the end of the transaction, and marks those not stale yet stale in one UPDATE, so concurrent writers do not queue on the registry (under repeatable read or serializable every row is rewritten: a staleness cleared since the snapshot is a serialization failure, not a lost mark).';

--
-- Name: tg__sync_sources(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg__sync_sources"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if coalesce(current_setting('refresh.syncing', true), '') <> 'on' then
    perform refresh.sync_sources();
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg__sync_sources"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg__sync_sources"() IS 'Shared by refresh.object and refresh.dependency (triggers _900_sync_sources): after a statement changing either by hand (a declared dependency, a method), recomputes sources and staleness triggers.';

--
-- Name: tg_ddl__sync(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg_ddl__sync"() RETURNS "event_trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform refresh.on_ddl_command_end(tg_tag);
end;
$$;

--
-- Name: FUNCTION "tg_ddl__sync"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg_ddl__sync"() IS 'Event trigger (ddl_command_end) installed when a superuser migrates: refresh.on_ddl_command_end(tag).';

--
-- Name: tg_dependency__no_cycle(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg_dependency__no_cycle"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    SET "jit" TO 'off'
    AS $$
begin
  if exists (
    with recursive down(object) as (
      select new.dependent::oid
      union
      select d.dependent::oid from down join refresh.dependency d on d.parent::oid = down.object
    )
    select from down where down.object = new.parent::oid
  ) then
    raise exception 'refresh.dependency: % cannot depend on %: % already depends on %', new.dependent, new.parent, new.parent, new.dependent
      using errcode = 'SL064', hint = 'dependencies must form a graph without cycles';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_dependency__no_cycle"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg_dependency__no_cycle"() IS 'Before insert or update of refresh.dependency: refuses a dependency that closes a cycle (SL064).';

--
-- Name: tg_drop__sync(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg_drop__sync"() RETURNS "event_trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform refresh.on_sql_drop(tg_tag);
end;
$$;

--
-- Name: FUNCTION "tg_drop__sync"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg_drop__sync"() IS 'Event trigger (sql_drop) installed when a superuser migrates: refresh.on_sql_drop(tag).';

--
-- Name: tg_object__validate(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg_object__validate"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_relkind "char";
begin
  select c.relkind into v_relkind from pg_catalog.pg_class c where c.oid = new.object;
  if v_relkind is null or v_relkind not in ('m', 'r', 'p') then
    raise exception 'refresh.object: % is not a materialized view or a table', new.object
      using errcode = 'SL063',
            hint = 'register materialized views and tables; plain views are followed to their tables as dependencies';
  end if;
  new.kind := case v_relkind when 'm' then 'materialized_view' else 'table' end;
  if new.kind = 'table' and new.method in ('concurrent', 'full') then
    raise exception 'refresh.object: table % cannot be refreshed with REFRESH MATERIALIZED VIEW (method %)', new.object, new.method
      using errcode = 'SL063', hint = 'use method function (with refresh_function) or maintained';
  end if;
  if new.method = 'function' then
    perform refresh.resolve_function(new.refresh_function);
  end if;
  perform refresh.validate_parameters(new.parameters);
  if tg_op = 'INSERT' then
    if new.frequency is not null and new.next_refresh_at is null then
      new.next_refresh_at := now() + new.frequency;
    end if;
  elsif new.frequency is distinct from old.frequency then
    new.next_refresh_at := coalesce(new.last_refresh_at, now()) + new.frequency;
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_object__validate"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg_object__validate"() IS 'Before insert or update of refresh.object''s definition: sets kind from the catalog, refuses relations that are not materialized views or tables and methods that do not fit (SL063), unresolvable refresh functions (SL061) and bad parameters (SL062); schedules next_refresh_at from frequency.';

--
-- Name: tg_run__final(); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."tg_run__final"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if old.status <> 'running'
     and not pg_catalog.pg_has_role(current_user, (select d.role_name from core.db_role d where d.kind = 'owner'), 'MEMBER') then
    raise exception 'refresh.run % (%, %) is finished: an audit row is not changed', old.run_id, old.object_name, old.status
      using errcode = 'SL072', hint = 'only a running run is completed; the owner role may repair the audit';
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION "tg_run__final"(); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."tg_run__final"() IS 'Before an update of refresh.run: a finished run (not running) is final; only the owner role (and its members, superusers) may change it (SL072).';

--
-- Name: validate_parameters("jsonb"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."validate_parameters"("p_parameters" "jsonb") RETURNS "void"
    LANGUAGE "plpgsql" IMMUTABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_bad text;
  v_key text;
begin
  if p_parameters is null or jsonb_typeof(p_parameters) <> 'object' then
    return; -- the check object_parameters_is_object reports it
  end if;
  select string_agg(k, ', ' order by k) into v_bad
    from jsonb_object_keys(p_parameters) k
   where k not in ('lock_timeout', 'statement_timeout', 'count_rows', 'args');
  if v_bad is not null then
    raise exception 'refresh.object.parameters: unknown key(s) %', v_bad
      using errcode = 'SL062', hint = 'known keys: lock_timeout, statement_timeout, count_rows, args';
  end if;
  foreach v_key in array array['lock_timeout', 'statement_timeout'] loop
    if p_parameters ? v_key
       and (jsonb_typeof(p_parameters -> v_key) <> 'string'
            or (p_parameters ->> v_key) !~ '^[0-9]{1,9} ?(us|ms|s|min|h|d)?$') then
      raise exception 'refresh.object.parameters: % must be a duration such as 5s or 500ms, not %', v_key, p_parameters -> v_key
        using errcode = 'SL062';
    end if;
  end loop;
  if p_parameters ? 'count_rows' and jsonb_typeof(p_parameters -> 'count_rows') <> 'boolean' then
    raise exception 'refresh.object.parameters: count_rows must be true or false, not %', p_parameters -> 'count_rows'
      using errcode = 'SL062';
  end if;
end;
$_$;

--
-- Name: FUNCTION "validate_parameters"("p_parameters" "jsonb"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."validate_parameters"("p_parameters" "jsonb") IS 'Refuses unknown keys and values that are not durations or booleans in refresh.object.parameters (SL062). Timeouts are applied with set_config, never spliced.';

--
-- Name: writer_lock_key("regclass"); Type: FUNCTION; Schema: refresh; Owner: -
--

CREATE FUNCTION "refresh"."writer_lock_key"("p_object" "regclass") RETURNS bigint
    LANGUAGE "sql" IMMUTABLE STRICT PARALLEL SAFE
    AS $$ select (1919247991::bigint << 32) | p_object::oid::bigint $$;

--
-- Name: FUNCTION "writer_lock_key"("p_object" "regclass"); Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON FUNCTION "refresh"."writer_lock_key"("p_object" "regclass") IS 'The advisory lock key of the writers of an object''s sources (high half: the constant ''refw'', low half: the object''s oid). Every transaction that changes a source holds it shared until it ends (refresh.tg__mark_stale); a refresher clears the object''s staleness only when it can take it exclusively, i.e. when no such write is in flight (refresh.refresh_object).';

--
-- Name: apply_model_stats(bigint[], bigint[]); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."apply_model_stats"("p_model_ids" bigint[], "p_event_ids" bigint[]) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_pairs integer;
begin
  -- One statement: the touched pairs, their contribution now (from prediction_score) with
  -- sign +1 and the contribution recorded before (stats.model_event_agg, read in the
  -- statement's snapshot, before its own writes) with sign -1; then every write from them.
  with pair as (
    select distinct u.model_id, u.event_id
      from unnest(p_model_ids, p_event_ids) as u (model_id, event_id)
      join forecast.forecaster f on f.forecaster_id = u.model_id and f.kind = 'model'
  ), ev as materialized (
    -- the touched events, each looked up by its key (never a scan of core.event, whatever the
    -- planner thinks of the pairs' count)
    select e.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id
      from (select distinct p.event_id from pair p) d
     cross join lateral (select x.event_id, x.competition_id, x.season_id, x.home_team_id, x.away_team_id
                           from core.event x where x.event_id = d.event_id
                          limit 1) e -- one row by its key; the limit keeps the lookup from being flattened into a hash join over core.event
  ), fresh as materialized (
    select p.model_id, p.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id,
           count(*)::integer as predictions, sum(ps.points) as points,
           (count(*) filter (where ps.outcome = 'win'))::integer as win_count,
           (count(*) filter (where ps.outcome = 'void'))::integer as draw_count,
           (count(*) filter (where ps.outcome = 'loss'))::integer as loss_count,
           coalesce(sum(ps.units), 0) as total_units, count(ps.units)::integer as units_count
      from pair p
      join forecast.prediction_score ps on ps.forecaster_id = p.model_id and ps.event_id = p.event_id
      -- joined on the pair (an = any over the argument, one entry per pair, would be searched
      -- once per score row)
      join ev e on e.event_id = p.event_id
     group by p.model_id, p.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id
  ), before as materialized (
    select a.* from stats.model_event_agg a join pair p using (model_id, event_id)
  ), signed as materialized (
    select 1 as sign, f.* from fresh f
    union all
    select -1, b.* from before b
  ), gone as (
    -- per (model, event): the new contribution replaces the old one, or none is left
    delete from stats.model_event_agg a
     using before b
     where a.model_id = b.model_id and a.event_id = b.event_id
       and not exists (select from fresh f where f.model_id = b.model_id and f.event_id = b.event_id)
  ), upserted as (
    insert into stats.model_event_agg as a
    select f.model_id, f.event_id, f.competition_id, f.season_id, f.home_team_id, f.away_team_id, f.predictions, f.points,
           f.win_count, f.draw_count, f.loss_count, f.total_units, f.units_count
      from fresh f
    on conflict (model_id, event_id) do update
       set competition_id = excluded.competition_id, season_id = excluded.season_id,
           home_team_id = excluded.home_team_id, away_team_id = excluded.away_team_id,
           predictions = excluded.predictions, points = excluded.points, win_count = excluded.win_count,
           draw_count = excluded.draw_count, loss_count = excluded.loss_count,
           total_units = excluded.total_units, units_count = excluded.units_count
     -- an unchanged contribution is not rewritten
     where (a.competition_id, a.season_id, a.home_team_id, a.away_team_id, a.predictions, a.points, a.win_count,
            a.draw_count, a.loss_count, a.total_units, a.units_count)
           is distinct from
           (excluded.competition_id, excluded.season_id, excluded.home_team_id, excluded.away_team_id, excluded.predictions,
            excluded.points, excluded.win_count, excluded.draw_count, excluded.loss_count, excluded.total_units, excluded.units_count)
  ), competition_delta as (
    -- per competition and season, and per club side: append the signed differences
    insert into stats.model_stats_competition_delta
           (model_id, competition_id, season_id, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
    select c.model_id, c.competition_id, c.season_id, sum(c.sign), sum(c.sign * c.points), sum(c.sign * c.win_count),
           sum(c.sign * c.draw_count), sum(c.sign * c.loss_count), sum(c.sign * c.total_units), sum(c.sign * c.units_count)
      from signed c
     group by c.model_id, c.competition_id, c.season_id
    having sum(c.sign) <> 0 or sum(c.sign * c.points) <> 0 or sum(c.sign * c.win_count) <> 0 or sum(c.sign * c.draw_count) <> 0
        or sum(c.sign * c.loss_count) <> 0 or sum(c.sign * c.total_units) <> 0 or sum(c.sign * c.units_count) <> 0
  ), club_delta as (
    insert into stats.model_stats_club_delta
           (model_id, club_id, season_id, is_home, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
    select c.model_id, s.club_id, c.season_id, s.is_home, sum(c.sign), sum(c.sign * c.points), sum(c.sign * c.win_count),
           sum(c.sign * c.draw_count), sum(c.sign * c.loss_count), sum(c.sign * c.total_units), sum(c.sign * c.units_count)
      from signed c
     cross join lateral (values (c.home_team_id, true), (c.away_team_id, false)) as s (club_id, is_home)
     where s.club_id is not null
     group by c.model_id, s.club_id, c.season_id, s.is_home
    having sum(c.sign) <> 0 or sum(c.sign * c.points) <> 0 or sum(c.sign * c.win_count) <> 0 or sum(c.sign * c.draw_count) <> 0
        or sum(c.sign * c.loss_count) <> 0 or sum(c.sign * c.total_units) <> 0 or sum(c.sign * c.units_count) <> 0
  )
  select count(distinct (s.model_id, s.event_id))::integer into v_pairs from signed s;
  return v_pairs;
end;
$$;

--
-- Name: FUNCTION "apply_model_stats"("p_model_ids" bigint[], "p_event_ids" bigint[]); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."apply_model_stats"("p_model_ids" bigint[], "p_event_ids" bigint[]) IS 'Incremental maintenance: for the given (model, event) pairs, recomputes their contribution from forecast.prediction_score, replaces it in stats.model_event_agg (an unchanged one is not rewritten) and appends new minus previous to stats.model_stats_competition_delta and stats.model_stats_club_delta. One set-based statement (no intermediate jsonb); called by the statement triggers on forecast.prediction_score.';

--
-- Name: dq_model_stats_incremental_vs_full(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."dq_model_stats_incremental_vs_full"() RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  with full_ as (select * from stats.model_stats_full()),
  event_diff as (
    select count(*) as n from (
      (select * from full_ except all select * from stats.model_event_agg)
      union all
      (select * from stats.model_event_agg except all select * from full_)) d
  ), comp_full as (
    select model_id, competition_id, season_id, count(*)::integer as total_matches, sum(points) as total_points,
           sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
           sum(total_units) as total_units, sum(units_count)::integer as units_count
      from full_ group by model_id, competition_id, season_id
  ), comp_diff as (
    select count(*) as n from (
      (select * from comp_full except all select * from stats.model_stats_competition_current)
      union all
      (select * from stats.model_stats_competition_current except all select * from comp_full)) d
  ), club_full as (
    select f.model_id, s.club_id, f.season_id, s.is_home, count(*)::integer as total_matches, sum(f.points) as total_points,
           sum(f.win_count)::integer as win_count, sum(f.draw_count)::integer as draw_count, sum(f.loss_count)::integer as loss_count,
           sum(f.total_units) as total_units, sum(f.units_count)::integer as units_count
      from full_ f cross join lateral (values (f.home_team_id, true), (f.away_team_id, false)) as s (club_id, is_home)
     where s.club_id is not null
     group by f.model_id, s.club_id, f.season_id, s.is_home
  ), club_diff as (
    select count(*) as n from (
      (select * from club_full except all select * from stats.model_stats_club_current)
      union all
      (select * from stats.model_stats_club_current except all select * from club_full)) d
  )
  select (event_diff.n + comp_diff.n + club_diff.n)::numeric from event_diff, comp_diff, club_diff
$$;

--
-- Name: FUNCTION "dq_model_stats_incremental_vs_full"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."dq_model_stats_incremental_vs_full"() IS 'Data-quality check (0 = healthy): rows of the incrementally maintained model statistics (per-event contributions, and sums plus pending deltas) that differ from a full recomputation from forecast.prediction_score.';

--
-- Name: dq_model_stats_mismatch(integer); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."dq_model_stats_mismatch"("p_sample" integer DEFAULT 100) RETURNS numeric
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_bad bigint := 0;
  v_n bigint;
begin
  if (select c.relispopulated from pg_class c where c.oid = 'stats.mv_model_stats_overall'::regclass) then
    with sample as (
      select v.* from stats.mv_model_stats_overall v order by random() limit p_sample
    ), recomputed as (
      select ps.forecaster_id as model_id, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
             count(*) filter (where ps.outcome = 'win') as win_count, count(*) filter (where ps.outcome = 'void') as draw_count,
             count(*) filter (where ps.outcome = 'loss') as loss_count, sum(ps.units) as total_units
        from sample s
        join forecast.prediction_score ps on ps.forecaster_id = s.model_id
        join core.event e on e.event_id = ps.event_id
        join core.season se on se.season_id = e.season_id and se.is_current
       group by ps.forecaster_id
    )
    select count(*) into v_n
      from sample s left join recomputed r on r.model_id = s.model_id
     where (s.total_matches, s.total_points, s.win_count, s.draw_count, s.loss_count, s.total_units)
           is distinct from (r.total_matches, r.total_points, r.win_count, r.draw_count, r.loss_count, r.total_units);
    v_bad := v_bad + v_n;
  end if;

  if (select c.relispopulated from pg_class c where c.oid = 'stats.mv_model_stats_competition'::regclass) then
    with sample as (
      select v.* from stats.mv_model_stats_competition v order by random() limit p_sample
    ), recomputed as (
      select s.model_id, s.competition_id, s.season_id, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
             count(*) filter (where ps.outcome = 'win') as win_count, count(*) filter (where ps.outcome = 'void') as draw_count,
             count(*) filter (where ps.outcome = 'loss') as loss_count, sum(ps.units) as total_units
        from sample s
        join forecast.prediction_score ps on ps.forecaster_id = s.model_id
        join core.event e on e.event_id = ps.event_id and e.competition_id = s.competition_id and e.season_id = s.season_id
       group by s.model_id, s.competition_id, s.season_id
    )
    select count(*) into v_n
      from sample s left join recomputed r using (model_id, competition_id, season_id)
     where (s.total_matches, s.total_points, s.win_count, s.draw_count, s.loss_count, s.total_units)
           is distinct from (r.total_matches, r.total_points, r.win_count, r.draw_count, r.loss_count, r.total_units);
    v_bad := v_bad + v_n;
  end if;

  if (select c.relispopulated from pg_class c where c.oid = 'stats.mv_model_stats_club'::regclass) then
    with sample as (
      select v.* from stats.mv_model_stats_club v order by random() limit p_sample
    ), recomputed as (
      select s.model_id, s.club_id, s.season_id, s.is_home, count(distinct ps.event_id)::integer as total_matches, sum(ps.points) as total_points,
             count(*) filter (where ps.outcome = 'win') as win_count, count(*) filter (where ps.outcome = 'void') as draw_count,
             count(*) filter (where ps.outcome = 'loss') as loss_count, sum(ps.units) as total_units
        from sample s
        join forecast.prediction_score ps on ps.forecaster_id = s.model_id
        join core.event e on e.event_id = ps.event_id and e.season_id = s.season_id
         and s.club_id = case when s.is_home then e.home_team_id else e.away_team_id end
       group by s.model_id, s.club_id, s.season_id, s.is_home
    )
    select count(*) into v_n
      from sample s left join recomputed r using (model_id, club_id, season_id, is_home)
     where (s.total_matches, s.total_points, s.win_count, s.draw_count, s.loss_count, s.total_units)
           is distinct from (r.total_matches, r.total_points, r.win_count, r.draw_count, r.loss_count, r.total_units);
    v_bad := v_bad + v_n;
  end if;

  return v_bad::numeric;
end;
$$;

--
-- Name: FUNCTION "dq_model_stats_mismatch"("p_sample" integer); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."dq_model_stats_mismatch"("p_sample" integer) IS 'Data-quality check (0 = healthy): of up to p_sample random rows from each of stats.mv_model_stats_overall, _competition and _club (when populated), how many differ from a recomputation from forecast.prediction_score: a stale or wrong view.';

--
-- Name: dq_unknown_position_share(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."dq_unknown_position_share"() RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(avg(case when ps.position = 'UNK' then 1 else 0 end), 0)::numeric from stats.player_stats ps;
$$;

--
-- Name: FUNCTION "dq_unknown_position_share"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."dq_unknown_position_share"() IS 'Data-quality check: the share (0..1) of stats.player_stats rows whose position is UNK (no roster row); 0 = healthy, the target on real data is under 0.05.';

--
-- Name: fold_model_stats("regclass", "jsonb"); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."fold_model_stats"("p_object" "regclass", "p_parameters" "jsonb" DEFAULT '{}'::"jsonb") RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_n integer := 0;
begin
  -- plpgsql_check: p_parameters is unused (every refresh method takes (regclass, jsonb); a fold has none)
  -- @plpgsql_check_options: extra_warnings = false
  -- One folder at a time per table; scorings keep appending meanwhile (only the rows
  -- this statement deletes are folded, later ones wait for the next fold).
  if p_object = 'stats.model_stats_competition_agg'::regclass then
    perform pg_advisory_xact_lock(hashtext('scoreline.fold_model_stats'), 1);
    with moved as (
      delete from stats.model_stats_competition_delta returning *
    ), d as (
      select model_id, competition_id, season_id, sum(total_matches)::integer as matches, sum(total_points) as points,
             sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
             sum(total_units) as total_units, sum(units_count)::integer as units_count, count(*) as folded
        from moved group by model_id, competition_id, season_id
    ), emptied as (
      delete from stats.model_stats_competition_agg a using d
       where (a.model_id, a.competition_id, a.season_id) = (d.model_id, d.competition_id, d.season_id)
         and a.total_matches + d.matches = 0
      returning 1
    ), updated as (
      update stats.model_stats_competition_agg a
         set total_matches = a.total_matches + d.matches, total_points = a.total_points + d.points,
             win_count = a.win_count + d.win_count, draw_count = a.draw_count + d.draw_count,
             loss_count = a.loss_count + d.loss_count, total_units = a.total_units + d.total_units,
             units_count = a.units_count + d.units_count
        from d
       where (a.model_id, a.competition_id, a.season_id) = (d.model_id, d.competition_id, d.season_id)
         and a.total_matches + d.matches > 0
      returning a.model_id, a.competition_id, a.season_id
    ), inserted as (
      insert into stats.model_stats_competition_agg
             (model_id, competition_id, season_id, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
      select d.model_id, d.competition_id, d.season_id, d.matches, d.points, d.win_count, d.draw_count, d.loss_count, d.total_units, d.units_count
        from d
       where d.matches > 0
         and not exists (select from stats.model_stats_competition_agg a
                          where (a.model_id, a.competition_id, a.season_id) = (d.model_id, d.competition_id, d.season_id))
      returning 1
    )
    select coalesce(sum(folded), 0) into v_n from d;
  elsif p_object = 'stats.model_stats_club_agg'::regclass then
    perform pg_advisory_xact_lock(hashtext('scoreline.fold_model_stats'), 2);
    with moved as (
      delete from stats.model_stats_club_delta returning *
    ), d as (
      select model_id, club_id, season_id, is_home, sum(total_matches)::integer as matches, sum(total_points) as points,
             sum(win_count)::integer as win_count, sum(draw_count)::integer as draw_count, sum(loss_count)::integer as loss_count,
             sum(total_units) as total_units, sum(units_count)::integer as units_count, count(*) as folded
        from moved group by model_id, club_id, season_id, is_home
    ), emptied as (
      delete from stats.model_stats_club_agg a using d
       where (a.model_id, a.club_id, a.season_id, a.is_home) = (d.model_id, d.club_id, d.season_id, d.is_home)
         and a.total_matches + d.matches = 0
      returning 1
    ), updated as (
      update stats.model_stats_club_agg a
         set total_matches = a.total_matches + d.matches, total_points = a.total_points + d.points,
             win_count = a.win_count + d.win_count, draw_count = a.draw_count + d.draw_count,
             loss_count = a.loss_count + d.loss_count, total_units = a.total_units + d.total_units,
             units_count = a.units_count + d.units_count
        from d
       where (a.model_id, a.club_id, a.season_id, a.is_home) = (d.model_id, d.club_id, d.season_id, d.is_home)
         and a.total_matches + d.matches > 0
      returning 1
    ), inserted as (
      insert into stats.model_stats_club_agg
             (model_id, club_id, season_id, is_home, total_matches, total_points, win_count, draw_count, loss_count, total_units, units_count)
      select d.model_id, d.club_id, d.season_id, d.is_home, d.matches, d.points, d.win_count, d.draw_count, d.loss_count, d.total_units, d.units_count
        from d
       where d.matches > 0
         and not exists (select from stats.model_stats_club_agg a
                          where (a.model_id, a.club_id, a.season_id, a.is_home) = (d.model_id, d.club_id, d.season_id, d.is_home))
      returning 1
    )
    select coalesce(sum(folded), 0) into v_n from d;
  else
    raise exception 'stats.fold_model_stats folds stats.model_stats_competition_agg or stats.model_stats_club_agg, not %', p_object
      using errcode = '22023';
  end if;
  -- Deleting the folded deltas fired the staleness trigger of their table; that mark is
  -- this transaction's own (stamped now()) and changes no answer: take it back. A mark
  -- left by a scoring that committed meanwhile has another time and stays.
  if to_regclass('refresh.object') is not null then
    update refresh.object o set stale_since = null where o.object = p_object and o.stale_since = now();
  end if;
  return v_n;
end;
$$;

--
-- Name: FUNCTION "fold_model_stats"("p_object" "regclass", "p_parameters" "jsonb"); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."fold_model_stats"("p_object" "regclass", "p_parameters" "jsonb") IS 'The refresh orchestrator''s incremental method for stats.model_stats_competition_agg and stats.model_stats_club_agg: moves the pending deltas into the sums in one statement (rows whose matches reach 0 are removed). The views read sums plus pending deltas, so a fold changes no answer; it only keeps the delta tables short. Returns the delta rows folded.';

--
-- Name: model_stats_full(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."model_stats_full"() RETURNS TABLE("model_id" bigint, "event_id" bigint, "competition_id" integer, "season_id" integer, "home_team_id" integer, "away_team_id" integer, "predictions" integer, "points" numeric, "win_count" integer, "draw_count" integer, "loss_count" integer, "total_units" numeric, "units_count" integer)
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select ps.forecaster_id, ps.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id,
         count(*)::integer, sum(ps.points),
         (count(*) filter (where ps.outcome = 'win'))::integer,
         (count(*) filter (where ps.outcome = 'void'))::integer,
         (count(*) filter (where ps.outcome = 'loss'))::integer,
         coalesce(sum(ps.units), 0), count(ps.units)::integer
    from forecast.prediction_score ps
    join forecast.forecaster f on f.forecaster_id = ps.forecaster_id and f.kind = 'model'
    join core.event e on e.event_id = ps.event_id
   group by ps.forecaster_id, ps.event_id, e.competition_id, e.season_id, e.home_team_id, e.away_team_id
$$;

--
-- Name: FUNCTION "model_stats_full"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."model_stats_full"() IS 'Every (model, event) contribution to the model statistics recomputed from forecast.prediction_score: what stats.model_event_agg must hold. Used by the full rebuild and the incremental-equals-full check.';

--
-- Name: rebuild_model_stats(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."rebuild_model_stats"() RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_n integer;
begin
  lock table stats.model_event_agg, stats.model_stats_competition_agg, stats.model_stats_club_agg,
             stats.model_stats_competition_delta, stats.model_stats_club_delta in exclusive mode;
  truncate stats.model_event_agg, stats.model_stats_competition_agg, stats.model_stats_club_agg,
           stats.model_stats_competition_delta, stats.model_stats_club_delta;
  insert into stats.model_event_agg select * from stats.model_stats_full();
  get diagnostics v_n = row_count;
  insert into stats.model_stats_competition_agg
  select model_id, competition_id, season_id, count(*), sum(points), sum(win_count), sum(draw_count), sum(loss_count), sum(total_units), sum(units_count)
    from stats.model_event_agg group by model_id, competition_id, season_id;
  insert into stats.model_stats_club_agg
  select a.model_id, s.club_id, a.season_id, s.is_home, count(*), sum(a.points), sum(a.win_count), sum(a.draw_count), sum(a.loss_count),
         sum(a.total_units), sum(a.units_count)
    from stats.model_event_agg a
   cross join lateral (values (a.home_team_id, true), (a.away_team_id, false)) as s (club_id, is_home)
   where s.club_id is not null
   group by a.model_id, s.club_id, a.season_id, s.is_home;
  return v_n;
end;
$$;

--
-- Name: FUNCTION "rebuild_model_stats"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."rebuild_model_stats"() IS 'Full recomputation of the model statistics (per-event contributions, sums; deltas emptied) from forecast.prediction_score: repair, or after a bulk load with the triggers disabled. Readers keep reading the old rows until it commits. Returns the (model, event) rows built.';

--
-- Name: recompute_player_stats(integer[], bigint[]); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."recompute_player_stats"("p_season_ids" integer[], "p_player_ids" bigint[]) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_touched integer;
begin
  -- one recomputation per (season, player) at a time, locks taken in one order (no deadlock)
  perform pg_advisory_xact_lock(hashtext('scoreline.player_stats'), k.lock_key)
     from (select distinct hashtext(u.season_id || ':' || u.player_id) as lock_key
             from unnest(p_season_ids, p_player_ids) as u (season_id, player_id)
            where u.season_id is not null and u.player_id is not null
            order by 1) k;

  with keys as (
    select distinct u.season_id, u.player_id
      from unnest(p_season_ids, p_player_ids) as u (season_id, player_id)
     where u.season_id is not null and u.player_id is not null
  ),
  facts as (
    select e.season_id, ft.player_id, coalesce(ft.team_id, rt.team_id) as team_id,
           1 as touchdown, 0 as pick, 0 as correct
      from keys k
      join forecast.first_touchdown ft on ft.player_id = k.player_id
      join core.event e on e.event_id = ft.event_id and e.season_id = k.season_id and e.status = 'completed'
      left join lateral (select r.team_id from core.roster r
                          where r.season_id = e.season_id and r.player_id = ft.player_id
                          order by (r.team_id in (e.home_team_id, e.away_team_id)) desc, r.roster_id desc
                          limit 1) rt on true
    union all
    select e.season_id, s.player_id, coalesce(s.team_id, ftt.team_id, rt.team_id) as team_id,
           0, 1, case when s.result = 'won' then 1 else 0 end
      from keys k
      join market.selection s on s.player_id = k.player_id
      join market.market m on m.market_id = s.market_id and m.market_type = 'first_td_scorer'
      join core.event e on e.event_id = m.event_id and e.season_id = k.season_id
      join forecast.prediction p on p.selection_id = s.selection_id
      left join forecast.first_touchdown ftt on ftt.event_id = e.event_id and ftt.player_id = s.player_id
      left join lateral (select r.team_id from core.roster r
                          where r.season_id = e.season_id and r.player_id = s.player_id
                          order by (r.team_id in (e.home_team_id, e.away_team_id)) desc, r.roster_id desc
                          limit 1) rt on true
  ),
  agg as (
    select f.season_id, f.team_id, f.player_id,
           sum(f.touchdown)::integer as first_td_count, sum(f.pick)::integer as picks_made, sum(f.correct)::integer as picks_correct
      from facts f
     group by f.season_id, f.team_id, f.player_id
  ),
  positioned as (
    select a.*,
           coalesce((select r.position from core.roster r
                      where r.season_id = a.season_id and r.player_id = a.player_id
                      order by (r.team_id is not distinct from a.team_id) desc, r.roster_id desc
                      limit 1), 'UNK') as position
      from agg a
  ),
  removed as (
    delete from stats.player_stats ps
     using keys k
     where ps.season_id = k.season_id and ps.player_id = k.player_id
       and not exists (select from positioned p
                        where p.season_id = ps.season_id and p.player_id = ps.player_id
                          and p.team_id is not distinct from ps.team_id)
    returning 1
  ),
  upserted as (
    insert into stats.player_stats as ps (season_id, team_id, player_id, position, first_td_count, picks_made, picks_correct, updated_at)
    select p.season_id, p.team_id, p.player_id, p.position, p.first_td_count, p.picks_made, p.picks_correct, now()
      from positioned p
    on conflict on constraint player_stats_season_team_player_key do update
       set position = excluded.position,
           first_td_count = excluded.first_td_count,
           picks_made = excluded.picks_made,
           picks_correct = excluded.picks_correct,
           updated_at = excluded.updated_at
     where (ps.position, ps.first_td_count, ps.picks_made, ps.picks_correct)
           is distinct from (excluded.position, excluded.first_td_count, excluded.picks_made, excluded.picks_correct)
    returning 1
  )
  select (select count(*) from removed) + (select count(*) from upserted) into v_touched;
  return v_touched;
end;
$$;

--
-- Name: FUNCTION "recompute_player_stats"("p_season_ids" integer[], "p_player_ids" bigint[]); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."recompute_player_stats"("p_season_ids" integer[], "p_player_ids" bigint[]) IS 'Recomputes stats.player_stats for the given (season, player) pairs (two parallel arrays) from the facts; rows whose counts fall to nothing are removed. Called by the maintenance triggers; safe to call by hand. Returns rows inserted, changed or removed.';

--
-- Name: recompute_player_stats_of_selections(bigint[]); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."recompute_player_stats_of_selections"("p_selection_ids" bigint[]) RETURNS integer
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(stats.recompute_player_stats(array_agg(k.season_id), array_agg(k.player_id)), 0)
    from (select distinct e.season_id, s.player_id
            from market.selection s
            join market.market m on m.market_id = s.market_id and m.market_type = 'first_td_scorer'
            join core.event e on e.event_id = m.event_id
           where s.selection_id = any (p_selection_ids) and s.player_id is not null) k
  having count(*) > 0;
$$;

--
-- Name: FUNCTION "recompute_player_stats_of_selections"("p_selection_ids" bigint[]); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."recompute_player_stats_of_selections"("p_selection_ids" bigint[]) IS 'Recomputes the player statistics of the players behind these first_td_scorer selections (others are ignored).';

--
-- Name: tg_event__model_stats_keys(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."tg_event__model_stats_keys"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_models bigint[];
  v_events bigint[];
begin
  select array_agg(a.model_id), array_agg(a.event_id) into v_models, v_events
    from stats.model_event_agg a
    join new_rows n on n.event_id = a.event_id
   where (a.competition_id, a.season_id, a.home_team_id, a.away_team_id)
         is distinct from (n.competition_id, n.season_id, n.home_team_id, n.away_team_id);
  if v_models is not null then
    perform stats.apply_model_stats(v_models, v_events);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_event__model_stats_keys"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."tg_event__model_stats_keys"() IS 'After an event''s competition, season or clubs change: moves its scored predictions'' contribution to the new keys.';

--
-- Name: tg_event__player_stats(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."tg_event__player_stats"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_seasons integer[];
  v_players bigint[];
begin
  select array_agg(x.season_id), array_agg(x.player_id) into v_seasons, v_players
    from (select o.season_id, ft.player_id
            from old_rows o
            join new_rows n on n.event_id = o.event_id
            join forecast.first_touchdown ft on ft.event_id = o.event_id
           where ft.player_id is not null
             and ((o.status = 'completed') <> (n.status = 'completed') or o.season_id <> n.season_id)
          union
          select n.season_id, ft.player_id
            from old_rows o
            join new_rows n on n.event_id = o.event_id
            join forecast.first_touchdown ft on ft.event_id = n.event_id
           where ft.player_id is not null
             and ((o.status = 'completed') <> (n.status = 'completed') or o.season_id <> n.season_id)) x;
  if v_seasons is not null then
    perform stats.recompute_player_stats(v_seasons, v_players);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_event__player_stats"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."tg_event__player_stats"() IS 'After an update of core.event: when games enter or leave completed, recomputes the player statistics of their first-touchdown scorers.';

--
-- Name: tg_first_touchdown__player_stats(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."tg_first_touchdown__player_stats"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_seasons integer[];
  v_players bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(e.season_id), array_agg(n.player_id) into v_seasons, v_players
      from new_rows n join core.event e on e.event_id = n.event_id where n.player_id is not null;
  elsif tg_op = 'DELETE' then
    select array_agg(e.season_id), array_agg(o.player_id) into v_seasons, v_players
      from old_rows o join core.event e on e.event_id = o.event_id where o.player_id is not null;
  else
    select array_agg(e.season_id), array_agg(x.player_id) into v_seasons, v_players
      from (select n.event_id, n.player_id from new_rows n
            union select o.event_id, o.player_id from old_rows o) x
      join core.event e on e.event_id = x.event_id
     where x.player_id is not null;
  end if;
  if v_seasons is not null then
    perform stats.recompute_player_stats(v_seasons, v_players);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_first_touchdown__player_stats"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."tg_first_touchdown__player_stats"() IS 'After a statement on forecast.first_touchdown: recomputes the player statistics of the scorers involved.';

--
-- Name: tg_prediction__player_stats(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."tg_prediction__player_stats"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_selections bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.selection_id) into v_selections from new_rows n;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.selection_id) into v_selections from old_rows o;
  else
    select array_agg(distinct x.selection_id) into v_selections
      from (select n.selection_id from new_rows n union select o.selection_id from old_rows o) x;
  end if;
  if v_selections is not null then
    perform stats.recompute_player_stats_of_selections(v_selections);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_prediction__player_stats"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."tg_prediction__player_stats"() IS 'After a statement on forecast.prediction: recomputes the player statistics of the first-touchdown selections picked, changed or unpicked.';

--
-- Name: tg_prediction_score__apply(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."tg_prediction_score__apply"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_models bigint[];
  v_events bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.forecaster_id), array_agg(n.event_id) into v_models, v_events
      from (select distinct forecaster_id, event_id from new_rows) n;
  elsif tg_op = 'DELETE' then
    select array_agg(o.forecaster_id), array_agg(o.event_id) into v_models, v_events
      from (select distinct forecaster_id, event_id from old_rows) o;
  else
    select array_agg(x.forecaster_id), array_agg(x.event_id) into v_models, v_events
      from (select forecaster_id, event_id from new_rows union select forecaster_id, event_id from old_rows) x;
  end if;
  if v_models is not null then
    perform stats.apply_model_stats(v_models, v_events);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_prediction_score__apply"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."tg_prediction_score__apply"() IS 'After each statement on forecast.prediction_score: applies the touched (model, event) pairs'' new contribution to the model statistics (stats.apply_model_stats), in the same transaction.';

--
-- Name: tg_selection__player_stats(); Type: FUNCTION; Schema: stats; Owner: -
--

CREATE FUNCTION "stats"."tg_selection__player_stats"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_seasons integer[];
  v_players bigint[];
begin
  select array_agg(e.season_id), array_agg(n.player_id) into v_seasons, v_players
    from old_rows o
    join new_rows n on n.selection_id = o.selection_id
    join market.market m on m.market_id = n.market_id and m.market_type = 'first_td_scorer'
    join core.event e on e.event_id = m.event_id
   where n.player_id is not null
     and (n.result is distinct from o.result or n.player_id is distinct from o.player_id)
     and exists (select from forecast.prediction p where p.selection_id = n.selection_id);
  if v_seasons is not null then
    perform stats.recompute_player_stats(v_seasons, v_players);
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_selection__player_stats"(); Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON FUNCTION "stats"."tg_selection__player_stats"() IS 'After an update of market.selection (settlement): recomputes the player statistics of picked first-touchdown selections whose result changed.';

--
-- Name: assert_bettable(bigint, "text"); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."assert_bettable"("p_selection_id" bigint, "p_action" "text" DEFAULT 'bet on'::"text") RETURNS "text"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "assert_bettable"("p_selection_id" bigint, "p_action" "text"); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."assert_bettable"("p_selection_id" bigint, "p_action" "text") IS 'Whether a selection can be bet on now: its market open, no result on it, its event not completed, abandoned or cancelled, and - to place or match a bet, not to void one - not started (in progress, or now() at or after its actual, else scheduled, start: no market is in-play) (SL093 otherwise; 23503 bet_selection_fk for an unknown selection). Locks the market row for share, so that a settlement running now either waits for the bet or is seen by it. Returns the market type. Used by trade.place_bet, trade.match_bet and the bet guard (for roles without owner authority).';

--
-- Name: create_race_strategy_bets(bigint[]); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."create_race_strategy_bets"("p_event_ids" bigint[] DEFAULT NULL::bigint[]) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "create_race_strategy_bets"("p_event_ids" bigint[]); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."create_race_strategy_bets"("p_event_ids" bigint[]) IS 'Creates (once) the three race strategies of the demo and places their bets on the race_win markets of the given races (default: every race): favourite_back backs the shortest-priced runner (stake 10, at hkjc), value_back backs every runner priced 5 to 10 (stake 5, at hkjc), favourite_lay lays the shortest-priced runner (stake 10, at betfair, whose commission applies); the price is the runner''s latest hkjc win price (market.odds_all.last_traded_price: a live snapshot or a price the feed kept in market.odds_history) 5 minutes before the start, when the bets are placed, matched. Historical back-test bets, written directly into trade.bet (external_ref demo:<strategy>:<selection>); re-running places only what is missing. SL098 when a source it needs does not exist. Returns the bets placed.';

--
-- Name: dq_bets_disagree_with_selections(); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."dq_bets_disagree_with_selections"() RETURNS numeric
    LANGUAGE "sql" STABLE
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select count(*)::numeric
    from trade.bet b
    join market.selection s on s.selection_id = b.selection_id
    join market.market m on m.market_id = s.market_id
   where b.result is not null
     and b.result is distinct from case when m.status = 'void' then 'void' else s.result end
$$;

--
-- Name: FUNCTION "dq_bets_disagree_with_selections"(); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."dq_bets_disagree_with_selections"() IS 'Data-quality check (0 = healthy): settled bets whose result disagrees with their selection''s (void for a void market), i.e. a result changed without trade.settle_bets running again.';

--
-- Name: hour_of(timestamp with time zone); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."hour_of"("p_at" timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE "sql" IMMUTABLE STRICT
    RETURN "date_bin"('01:00:00'::interval, "p_at", '2000-01-01 00:00:00+00'::timestamp with time zone);

--
-- Name: FUNCTION "hour_of"("p_at" timestamp with time zone); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."hour_of"("p_at" timestamp with time zone) IS 'The start of the UTC hour containing p_at (the bucket of strategy performance).';

--
-- Name: bet_bet_id_seq; Type: SEQUENCE; Schema: trade; Owner: -
--

CREATE SEQUENCE "trade"."bet_bet_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE "bet_bet_id_seq"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON SEQUENCE "trade"."bet_bet_id_seq" IS 'Ids of trade.bet (a sequence rather than an identity column: identity on partitioned tables is PostgreSQL 17+ only).';

--
-- Name: bet; Type: TABLE; Schema: trade; Owner: -
--

CREATE TABLE "trade"."bet" (
    "bet_id" bigint DEFAULT "nextval"('"trade"."bet_bet_id_seq"'::"regclass") NOT NULL,
    "placed_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "strategy_id" integer NOT NULL,
    "selection_id" bigint NOT NULL,
    "source_id" smallint NOT NULL,
    "market_type" "text" NOT NULL,
    "side" "text" NOT NULL,
    "odds" numeric(10,4) NOT NULL,
    "stake" numeric(14,2) NOT NULL,
    "status" "text" DEFAULT 'pending'::"text" NOT NULL,
    "matched_at" timestamp with time zone,
    "settled_at" timestamp with time zone,
    "result" "text",
    "pnl" numeric(14,2),
    "commission" numeric(14,2),
    "external_ref" "text",
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "bet_commission_non_negative" CHECK (("commission" >= (0)::numeric)),
    CONSTRAINT "bet_matched_has_time" CHECK ((("status" <> ALL (ARRAY['matched'::"text", 'settled'::"text"])) OR ("matched_at" IS NOT NULL))),
    CONSTRAINT "bet_odds_above_one" CHECK (("odds" > (1)::numeric)),
    CONSTRAINT "bet_outcome_iff_settled" CHECK ((("status" = ANY (ARRAY['settled'::"text", 'void'::"text"])) = (("pnl" IS NOT NULL) AND ("commission" IS NOT NULL) AND ("settled_at" IS NOT NULL)))),
    CONSTRAINT "bet_result_known" CHECK (("result" = ANY (ARRAY['won'::"text", 'lost'::"text", 'void'::"text"]))),
    CONSTRAINT "bet_side_known" CHECK (("side" = ANY (ARRAY['back'::"text", 'lay'::"text"]))),
    CONSTRAINT "bet_stake_positive" CHECK (("stake" > (0)::numeric)),
    CONSTRAINT "bet_status_known" CHECK (("status" = ANY (ARRAY['pending'::"text", 'matched'::"text", 'settled'::"text", 'cancelled'::"text", 'void'::"text"])))
)
PARTITION BY RANGE ("placed_at");

--
-- Name: TABLE "bet"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON TABLE "trade"."bet" IS 'A bet placed by a strategy: back or lay a selection at decimal odds for a stake. Status pending -> matched -> settled, or cancelled, or void (enforced by trade.tg_bet__guard). P&L and commission are computed by trade.settle_bets, never typed in. Partitioned by day on placed_at; kept forever (no retention).';

--
-- Name: COLUMN "bet"."market_type"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."market_type" IS 'The type of the selection''s market, copied on insert (for performance by market type).';

--
-- Name: COLUMN "bet"."side"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."side" IS 'back: win if the selection wins; lay: win if it does not.';

--
-- Name: COLUMN "bet"."odds"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."odds" IS 'Decimal odds taken (> 1).';

--
-- Name: COLUMN "bet"."stake"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."stake" IS 'Backer''s stake; for a lay bet, the backer''s stake laid (liability = stake x (odds - 1)).';

--
-- Name: COLUMN "bet"."result"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."result" IS 'The selection''s result the bet was settled on (won, lost, void).';

--
-- Name: COLUMN "bet"."pnl"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."pnl" IS 'Profit or loss after commission, set by settlement (trade.settle_bets, by market.settled_pnl): back win stake x (odds - 1) - commission; back loss -stake; lay win stake - commission; lay loss -stake x (odds - 1); void 0; a winner in a dead heat by the dead-heat rule (stake x places / tied at full odds, the rest lost).';

--
-- Name: COLUMN "bet"."commission"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."commission" IS 'Commission on the bet''s net winnings, set by settlement (0 on a loss or void).';

--
-- Name: COLUMN "bet"."external_ref"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."bet"."external_ref" IS 'The exchange''s id of the bet, when there is one.';

--
-- Name: match_bet(bigint, "text"); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."match_bet"("p_bet_id" bigint, "p_external_ref" "text" DEFAULT NULL::"text") RETURNS "trade"."bet"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "match_bet"("p_bet_id" bigint, "p_external_ref" "text"); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."match_bet"("p_bet_id" bigint, "p_external_ref" "text") IS 'Marks a pending bet matched (the exchange reported it; p_external_ref is the exchange''s reference), matched_at = now(). Refused once its market is no longer open, its selection has a result or its event is completed, abandoned or cancelled (SL093); SL095 no such bet, SL096 not pending. Called by the app and the worker.';

--
-- Name: place_bet(integer, bigint, integer, "text", numeric, numeric, "text"); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."place_bet"("p_strategy_id" integer, "p_selection_id" bigint, "p_source_id" integer, "p_side" "text", "p_odds" numeric, "p_stake" numeric, "p_external_ref" "text" DEFAULT NULL::"text") RETURNS "trade"."bet"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "place_bet"("p_strategy_id" integer, "p_selection_id" bigint, "p_source_id" integer, "p_side" "text", "p_odds" numeric, "p_stake" numeric, "p_external_ref" "text"); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."place_bet"("p_strategy_id" integer, "p_selection_id" bigint, "p_source_id" integer, "p_side" "text", "p_odds" numeric, "p_stake" numeric, "p_external_ref" "text") IS 'Places a bet for the app: pending, placed_at = now(), no P&L or settlement (those are trade.settle_bets''s). Refused on a market that is not open, a selection with a result, an event completed, abandoned or cancelled, or one that has started (SL093), with an inactive strategy (SL097); the constraints of trade.bet name anything else (bet_side_known, bet_odds_above_one, bet_stake_positive, bet_strategy_fk, bet_source_fk, bet_selection_fk). Returns the bet. Mark it matched with trade.match_bet.';

--
-- Name: refresh_strategy_performance(timestamp with time zone); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."refresh_strategy_performance"("p_until" timestamp with time zone DEFAULT "now"()) RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_hours timestamptz[];
  v_days date[];
  v_h_from timestamptz;
  v_h_to timestamptz;
begin
  -- one refresher at a time; bets keep flowing (they only append to the log)
  perform 1 from trade.performance_watermark for update;

  with taken as (
    delete from trade.performance_invalidation where bucket < p_until returning bucket
  )
  select array_agg(distinct bucket order by bucket) into v_hours from taken;

  if v_hours is not null then
    v_h_from := v_hours[1];
    v_h_to := v_hours[cardinality(v_hours)] + interval '1 hour';
    perform maint.ensure_partitions('stats.strategy_performance_hourly'::regclass, v_h_from, v_h_to - interval '1 microsecond');

    delete from stats.strategy_performance_hourly where bucket = any (v_hours);
    insert into stats.strategy_performance_hourly
      (bucket, strategy_id, market_type, bets, matched, settled, won, lost, void, cancelled,
       stake, settled_stake, gross_win, gross_loss, pnl, commission)
    select trade.hour_of(b.placed_at), b.strategy_id, b.market_type,
           count(*),
           count(*) filter (where b.matched_at is not null),
           count(*) filter (where b.status = 'settled'),
           count(*) filter (where b.status = 'settled' and (b.side = 'back') = (b.result = 'won')),
           count(*) filter (where b.status = 'settled' and (b.side = 'back') <> (b.result = 'won')),
           count(*) filter (where b.status = 'void'),
           count(*) filter (where b.status = 'cancelled'),
           sum(b.stake),
           coalesce(sum(b.stake) filter (where b.status = 'settled'), 0),
           coalesce(sum(b.pnl) filter (where b.pnl > 0), 0),
           coalesce(-sum(b.pnl) filter (where b.pnl < 0), 0),
           coalesce(sum(b.pnl), 0),
           coalesce(sum(b.commission), 0)
      from trade.bet b
     where b.placed_at >= v_h_from and b.placed_at < v_h_to
       and trade.hour_of(b.placed_at) = any (v_hours)
     group by 1, 2, 3;

    -- in order: the range below runs from the first day to the last
    v_days := array(select distinct (h at time zone 'UTC')::date from unnest(v_hours) h order by 1);
    delete from stats.strategy_performance_daily where day = any (v_days);
    insert into stats.strategy_performance_daily
      (day, strategy_id, market_type, bets, matched, settled, won, lost, void, cancelled,
       stake, settled_stake, gross_win, gross_loss, pnl, commission)
    select (h.bucket at time zone 'UTC')::date, h.strategy_id, h.market_type,
           sum(h.bets), sum(h.matched), sum(h.settled), sum(h.won), sum(h.lost), sum(h.void), sum(h.cancelled),
           sum(h.stake), sum(h.settled_stake), sum(h.gross_win), sum(h.gross_loss), sum(h.pnl), sum(h.commission)
      from stats.strategy_performance_hourly h
     where h.bucket >= (v_days[1]::timestamp at time zone 'UTC')
       and h.bucket < ((v_days[cardinality(v_days)] + 1)::timestamp at time zone 'UTC')
       and (h.bucket at time zone 'UTC')::date = any (v_days)
     group by 1, 2, 3;
  end if;

  update trade.performance_watermark
     set watermark = greatest(watermark, p_until), refreshed_at = now();

  -- What refresh.status says of both tables (they read the log, refresh.dependency):
  if exists (select from trade.performance_invalidation) then
    -- hours at or after p_until are not aggregated yet: the tables stay stale
    update refresh.object o set stale_since = coalesce(o.stale_since, now())
     where o.object in ('stats.strategy_performance_hourly'::regclass, 'stats.strategy_performance_daily'::regclass);
  else
    -- taking the log marked them stale in this transaction (that mark is stamped now()), yet
    -- everything logged is aggregated: take the mark back. A mark by a writer that committed
    -- meanwhile has another time and stays; one still in flight comes after this commit.
    update refresh.object o set stale_since = null
     where o.object in ('stats.strategy_performance_hourly'::regclass, 'stats.strategy_performance_daily'::regclass)
       and o.stale_since = now();
  end if;
  return coalesce(cardinality(v_hours), 0);
end;
$$;

--
-- Name: FUNCTION "refresh_strategy_performance"("p_until" timestamp with time zone); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."refresh_strategy_performance"("p_until" timestamp with time zone) IS 'Refreshes stats.strategy_performance_hourly and stats.strategy_performance_daily like a continuous aggregate: takes the hours logged in trade.performance_invalidation before p_until (default now), re-aggregates exactly those hours from trade.bet and the days containing them from the hours (ratios from sums, never averaged), and moves the watermark. Returns the number of hours re-aggregated. Called by the refresh orchestrator for both tables (method function, their source the invalidation log); leaves them stale in refresh.object while hours at or after p_until wait in the log.';

--
-- Name: refresh_strategy_performance("regclass", "jsonb"); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."refresh_strategy_performance"("p_object" "regclass", "p_parameters" "jsonb") RETURNS integer
    LANGUAGE "sql"
    BEGIN ATOMIC
 SELECT "trade"."refresh_strategy_performance"(COALESCE((("p_parameters" ->> 'until'::"text"))::timestamp with time zone, "now"())) AS "refresh_strategy_performance";
END;

--
-- Name: FUNCTION "refresh_strategy_performance"("p_object" "regclass", "p_parameters" "jsonb"); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."refresh_strategy_performance"("p_object" "regclass", "p_parameters" "jsonb") IS 'The refresh orchestrator''s entry point (refresh.object.refresh_function = trade.refresh_strategy_performance, method function) for stats.strategy_performance_hourly and stats.strategy_performance_daily: one call refreshes both; parameters {"until": timestamptz} optional.';

--
-- Name: settle_bets(bigint); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."settle_bets"("p_event_id" bigint) RETURNS integer
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "settle_bets"("p_event_id" bigint); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."settle_bets"("p_event_id" bigint) IS 'Settles the bets on an event''s settled or void markets from market.selection.result and returns how many bets it changed. P&L by market.settled_pnl, rounded to cents: back win: stake x (odds - 1) less commission; back loss: -stake; lay win (selection lost): +stake less commission; lay loss: -stake x (odds - 1); void selection or market: 0; a winner in a dead heat (market.dead_heats) is paid by the dead-heat rule: stake x places / tied at full odds, the rest lost (two tied for first: back stake x (odds / 2 - 1), lay the opposite). Commission = rate x positive winnings, rounded to cents, the rate from trade.strategy.commission_rate else market.source.commission_rate. Re-running after a corrected result re-settles the bets whose outcome changed; unmatched (pending) bets lapse to cancelled. Serialised per event with forecast.score_event (advisory lock); records in forecast.event_scoring the owed version it caught up with. The worker''s score_event task calls it after every completion and correction. SL086 when the event does not exist. Security definer: the bet guard accepts settled fields only with owner authority.';

--
-- Name: tg_bet__guard(); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."tg_bet__guard"() RETURNS "trigger"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION "tg_bet__guard"(); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."tg_bet__guard"() IS 'Before insert or update of trade.bet: refuses NaN odds or stake (as their range constraints, which NaN passes) and an infinite placed_at (22008); copies market_type from the selection''s market; a bet is placed pending or matched (SL083); status changes pending -> matched | cancelled | void and matched -> void only, settled comes from trade.settle_bets (SL083); pnl, commission, result and settled_at are written only by settlement (SL084: scoreline.settling_bets counts only with owner authority, i.e. inside the security definer trade.settle_bets); terms freeze once the bet leaves pending (SL085); a voided bet gets P&L 0. For roles without owner authority also: a bet is inserted pending at now() (SL094), on a selection that can be bet on (trade.assert_bettable, SL093: market open, no result, event not started), a pending bet moved onto another selection is judged as a new bet on it (SL093), and is matched or voided only while it still can (SL093), its times stamped by the server (SL094).';

--
-- Name: tg_bet__invalidate_deleted(); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."tg_bet__invalidate_deleted"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into trade.performance_invalidation (bucket)
  select distinct trade.hour_of(o.placed_at) from old_bets o;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_bet__invalidate_deleted"(); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."tg_bet__invalidate_deleted"() IS 'After delete on trade.bet (per statement): logs the hours of the deleted bets in trade.performance_invalidation.';

--
-- Name: tg_bet__invalidate_inserted(); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."tg_bet__invalidate_inserted"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into trade.performance_invalidation (bucket)
  select distinct trade.hour_of(n.placed_at) from new_bets n;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_bet__invalidate_inserted"(); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."tg_bet__invalidate_inserted"() IS 'After insert on trade.bet (per statement): logs the hours of the new bets in trade.performance_invalidation.';

--
-- Name: tg_bet__invalidate_updated(); Type: FUNCTION; Schema: trade; Owner: -
--

CREATE FUNCTION "trade"."tg_bet__invalidate_updated"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into trade.performance_invalidation (bucket)
  select trade.hour_of(o.placed_at) from old_bets o
  union
  select trade.hour_of(n.placed_at) from new_bets n;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_bet__invalidate_updated"(); Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON FUNCTION "trade"."tg_bet__invalidate_updated"() IS 'After update on trade.bet (per statement): logs the hours of the changed bets (before and after) in trade.performance_invalidation.';

--
-- Name: add_job("text", "json", "text", timestamp with time zone, integer, "text"); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."add_job"("p_task" "text", "p_payload" "json", "p_job_key" "text" DEFAULT NULL::"text", "p_run_at" timestamp with time zone DEFAULT NULL::timestamp with time zone, "p_priority" integer DEFAULT 0, "p_job_key_mode" "text" DEFAULT 'replace'::"text") RETURNS bigint
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_job_id bigint;
begin
  if p_task is null or p_task not in ('score_event', 'refresh', 'refresh_tick', 'nightly_sync', 'maintain', 'reconcile_scores') then
    raise exception 'no worker task named %', coalesce(quote_literal(p_task), 'null')
      using errcode = 'SL120',
            hint = 'tasks: score_event, refresh, refresh_tick, nightly_sync, maintain, reconcile_scores';
  end if;
  select (graphile_worker.add_job(
            identifier := p_task,
            payload := coalesce(p_payload, '{}'::json),
            run_at := p_run_at,
            max_attempts := (select s.job_max_attempts from worker.setting s),
            job_key := p_job_key,
            priority := coalesce(p_priority, 0),
            job_key_mode := p_job_key_mode)).id
    into v_job_id;
  return v_job_id;
end;
$$;

--
-- Name: FUNCTION "add_job"("p_task" "text", "p_payload" "json", "p_job_key" "text", "p_run_at" timestamp with time zone, "p_priority" integer, "p_job_key_mode" "text"); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."add_job"("p_task" "text", "p_payload" "json", "p_job_key" "text", "p_run_at" timestamp with time zone, "p_priority" integer, "p_job_key_mode" "text") IS 'Enqueues a job for one of the worker''s tasks (SL120 otherwise) with the configured max attempts. Security definer so triggers fired by any role can enqueue without rights on graphile_worker.';

--
-- Name: beat("text", "text"[], "text", integer, integer, "text"); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."beat"("p_process_id" "text", "p_worker_ids" "text"[], "p_hostname" "text", "p_pid" integer, "p_concurrency" integer, "p_worker_id" "text" DEFAULT NULL::"text") RETURNS "void"
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into worker.heartbeat as h (process_id, worker_id, worker_ids, hostname, pid, concurrency)
  values (p_process_id, coalesce(p_worker_id, p_hostname || ':' || p_pid), p_worker_ids, p_hostname, p_pid, p_concurrency)
  on conflict (process_id) do update
    set worker_ids = excluded.worker_ids, last_seen_at = now(), stopped_at = null
$$;

--
-- Name: FUNCTION "beat"("p_process_id" "text", "p_worker_ids" "text"[], "p_hostname" "text", "p_pid" integer, "p_concurrency" integer, "p_worker_id" "text"); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."beat"("p_process_id" "text", "p_worker_ids" "text"[], "p_hostname" "text", "p_pid" integer, "p_concurrency" integer, "p_worker_id" "text") IS 'A worker process''s heartbeat: records its name (WORKER_ID, hostname:pid when not given), its graphile-worker ids and the time.';

--
-- Name: claim_score_jobs("text", bigint, integer); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."claim_score_jobs"("p_locked_by" "text", "p_except_job_id" bigint, "p_limit" integer) RETURNS TABLE("job_id" bigint, "event_id" bigint)
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
  -- the ready jobs graphile-worker would fetch next (its own selection: available, due, no
  -- named queue, by priority then run_at), locked the way it locks one it fetched
  with j as (
    select jobs.id
      from graphile_worker._private_jobs jobs
     where jobs.is_available
       and jobs.run_at <= now()
       and jobs.task_id = (select t.id from graphile_worker._private_tasks t where t.identifier = 'score_event')
       and jobs.job_queue_id is null
       and jobs.id is distinct from p_except_job_id
       and (jobs.payload::jsonb ->> 'event_id') ~ '^[1-9][0-9]{0,17}$' -- a payload the task would refuse runs alone and fails there
     order by jobs.priority, jobs.run_at
     limit greatest(coalesce(p_limit, 0), 0)
       for update skip locked
  )
  update graphile_worker._private_jobs jobs
     set attempts = jobs.attempts + 1, locked_by = p_locked_by, locked_at = now()
    from j
   where jobs.id = j.id
  returning jobs.id, (jobs.payload::jsonb ->> 'event_id')::bigint
$_$;

--
-- Name: FUNCTION "claim_score_jobs"("p_locked_by" "text", "p_except_job_id" bigint, "p_limit" integer); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."claim_score_jobs"("p_locked_by" "text", "p_except_job_id" bigint, "p_limit" integer) IS 'Claims up to p_limit ready score_event jobs other than p_except_job_id (the one the caller runs) for the worker p_locked_by: those graphile-worker would fetch next (available, due, in no named queue, by priority then run_at; locked ones are skipped), locked and their attempt counted as graphile-worker does when it fetches a job, so a worker that dies leaves them to worker.recover_stale_workers. Returns each job with its event. The score_event task scores them with its own (worker.score_events), then completes them (worker.complete_score_jobs) or gives them back (worker.release_score_jobs).';

--
-- Name: complete_score_jobs(bigint[], "text"); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."complete_score_jobs"("p_job_ids" bigint[], "p_locked_by" "text") RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_n integer;
begin
  -- a claimed job replaced while it was held (a correction queued a newer one with its key)
  -- is deleted too: the newer job does the work again with newer information
  delete from graphile_worker._private_jobs j
   where j.id = any (p_job_ids) and j.locked_by = p_locked_by;
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;

--
-- Name: FUNCTION "complete_score_jobs"("p_job_ids" bigint[], "p_locked_by" "text"); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."complete_score_jobs"("p_job_ids" bigint[], "p_locked_by" "text") IS 'Completes score_event jobs claimed by worker.claim_score_jobs whose events were scored: deletes those still locked by p_locked_by (as graphile-worker completes a job). Called in the scoring''s transaction, so a job is gone exactly when its scoring committed. Returns the jobs completed.';

--
-- Name: enqueue_owed(); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."enqueue_owed"() RETURNS integer
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  -- owed events without a job that will run: none with their key, or one that failed for good
  -- (a locked job on its last attempt counts as failed: replacing it queues a new one)
  with todo as (
    select e.event_id, e.result_version, e.scheduled_start
      from forecast.event_scoring es
      join core.event e on e.event_id = es.event_id
     where es.owed_since is not null
       and not exists (select from graphile_worker._private_jobs j
                        where j.key = 'score_event:' || es.event_id
                          and j.attempts < j.max_attempts)
     order by es.owed_since, es.event_id
  )
  select count(worker.add_job('score_event',
                              json_build_object('event_id', t.event_id, 'result_version', t.result_version),
                              'score_event:' || t.event_id, null, worker.scoring_priority(t.scheduled_start), 'replace'))::integer
    from todo t
$$;

--
-- Name: FUNCTION "enqueue_owed"(); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."enqueue_owed"() IS 'The reconciler: queues a score_event job for every event behind in forecast.event_scoring (its scores or bets not caught up with its last completion, correction or deleted prediction) that has no job that will run (none with its key, or one that failed for good). Returns how many it queued. The reconcile_scores task runs it every minute, and every refresh pass (refresh.begin_pass).';

--
-- Name: enqueue_refresh("text", integer); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."enqueue_refresh"("p_trigger" "text" DEFAULT 'http'::"text", "p_delay_seconds" integer DEFAULT 0) RETURNS bigint
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if p_delay_seconds < 0 then
    raise exception 'refresh delay must be 0 seconds or more, not %', p_delay_seconds using errcode = 'SL121';
  end if;
  return worker.add_job('refresh', json_build_object('trigger', p_trigger), 'refresh',
                        now() + make_interval(secs => p_delay_seconds), 0, 'replace');
end;
$$;

--
-- Name: FUNCTION "enqueue_refresh"("p_trigger" "text", "p_delay_seconds" integer); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."enqueue_refresh"("p_trigger" "text", "p_delay_seconds" integer) IS 'Queues a refresh now (or after a delay), replacing a pending debounced one: what POST /cron/update-stats calls.';

--
-- Name: enqueue_unscored(); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."enqueue_unscored"() RETURNS integer
    LANGUAGE "sql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  with todo as (
    select e.event_id, e.result_version, e.scheduled_start
      from core.event e
     where e.status in ('completed', 'abandoned', 'cancelled')
       and exists (select from market.market m
                     join forecast.prediction p on p.market_id = m.market_id
                    where m.event_id = e.event_id
                      and not exists (select from forecast.prediction_score ps where ps.prediction_id = p.prediction_id))
  )
  select count(worker.add_job('score_event',
                              json_build_object('event_id', t.event_id, 'result_version', t.result_version),
                              'score_event:' || t.event_id, null, worker.scoring_priority(t.scheduled_start), 'replace'))::integer
    from todo t
$$;

--
-- Name: FUNCTION "enqueue_unscored"(); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."enqueue_unscored"() IS 'Queues a score_event job for every settled event (completed, abandoned, cancelled) that has predictions without a score: after a bulk load that inserted finished events, or to repair. Returns how many were queued; jobs already pending are replaced, not doubled.';

--
-- Name: maintain(interval); Type: PROCEDURE; Schema: worker; Owner: -
--

CREATE PROCEDURE "worker"."maintain"(IN "p_keep_failed" interval DEFAULT '14 days'::interval)
    LANGUAGE "plpgsql"
    AS $$
begin
  if to_regprocedure('maint.run_partition_maintenance()') is not null then
    -- a static CALL, not EXECUTE: a dynamic CALL runs atomically, and this one commits
    -- after every partition (sql/066_partition_run.sql)
    call maint.run_partition_maintenance();
  end if;
  if to_regprocedure('refresh.reap(regclass)') is not null then
    perform refresh.reap(null);
    commit;
  end if;
  if to_regprocedure('refresh.maintain_run_partitions(interval)') is not null then
    perform refresh.maintain_run_partitions();
    commit;
  end if;
  delete from graphile_worker._private_jobs
   where attempts >= max_attempts and locked_at is null and updated_at < now() - p_keep_failed;
  perform worker.prune_history();
end;
$$;

--
-- Name: PROCEDURE "maintain"(IN "p_keep_failed" interval); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON PROCEDURE "worker"."maintain"(IN "p_keep_failed" interval) IS 'The maintain task: partition maintenance (when installed), the refresh reaper and audit retention, deletion of jobs that failed for good more than p_keep_failed ago, old heartbeats and recovery records. Commits between steps.';

--
-- Name: nightly_sync(); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."nightly_sync"() RETURNS "jsonb"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_report jsonb;
begin
  -- the registry in line with the catalog, also where no event trigger keeps it so
  perform refresh.sync('sync');
  select jsonb_build_object(
           'checks', count(*),
           'failed', count(*) filter (where not r.passed),
           'failed_checks', coalesce(jsonb_agg(jsonb_build_object('check', r.check_name, 'severity', r.severity, 'detail', r.detail))
                                     filter (where not r.passed), '[]'::jsonb))
    into v_report
    from refresh.run_checks(null, null) r;
  return v_report;
end;
$$;

--
-- Name: FUNCTION "nightly_sync"(); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."nightly_sync"() IS 'The nightly sync in SQL: brings the refresh registry in line with the catalog (refresh.sync), runs every enabled check (refresh.run_checks), stores the results and returns how many ran and which failed. The worker''s nightly_sync task does the same, each check as its own statement under its timeout.';

--
-- Name: prune_history(); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."prune_history"() RETURNS integer
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_heartbeats integer;
  v_recoveries integer;
begin
  delete from worker.heartbeat where stopped_at < now() - interval '1 day';
  get diagnostics v_heartbeats = row_count;
  delete from worker.recovery where recovered_at < now() - interval '90 days';
  get diagnostics v_recoveries = row_count;
  return v_heartbeats + v_recoveries;
end;
$$;

--
-- Name: FUNCTION "prune_history"(); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."prune_history"() IS 'Retention of the worker''s own records: heartbeats of processes stopped more than a day ago, recovery records older than 90 days (fixed here, not chosen by the caller). Returns the rows deleted. The maintain task calls it; the worker role has no DELETE on worker.recovery.';

--
-- Name: recover_stale_workers(interval, "text"); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."recover_stale_workers"("p_threshold" interval, "p_recovered_by" "text") RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_stale text[];
  v_backend integer;
  v_unlocked integer;
  v_superseded integer;
begin
  -- Workers holding locks whose process has not beaten within the threshold (or never did).
  select array_agg(distinct j.locked_by) into v_stale
    from graphile_worker._private_jobs j
   where j.locked_by is not null
     and j.locked_at < now() - p_threshold
     and not exists (select from worker.heartbeat h
                      where j.locked_by = any (h.worker_ids)
                        and h.stopped_at is null
                        and h.last_seen_at > now() - p_threshold);
  if v_stale is null then
    return 0;
  end if;
  -- The dead processes' backends may still be running (or waiting inside) a job's statement:
  -- PostgreSQL notices a closed client only when it next reads from it, so that statement
  -- could still commit after the job runs again elsewhere. End them first (a role may end
  -- its own backends; the workers connect as one role) and wait for them to be gone.
  for v_backend in
    select a.pid
      from pg_stat_activity a
      join worker.heartbeat h
        on a.application_name = case when h.process_id ~ '/[0-9a-f]{6}$'
                                     -- src/worker/runner.ts workerApplicationName: the WORKER_ID cut to 39, never the random part
                                     then 'scoreline worker ' || left(left(h.process_id, length(h.process_id) - 7), 39) || right(h.process_id, 7)
                                     else left('scoreline worker ' || h.process_id, 63) end
     where h.worker_ids && v_stale
       and a.datname = current_database()
       and a.pid <> pg_backend_pid()
  loop
    begin
      perform pg_terminate_backend(v_backend, 5000);
    exception when insufficient_privilege then
      null; -- another role's backend (a superuser's): it cannot be ended from here
    end;
  end loop;
  -- A score_event or refresh job always has a key; one without it had been superseded
  -- while it ran (graphile-worker's add_job takes the key off a locked job with the same
  -- key and uses up its attempts). The job that replaced it does, or already did, the same
  -- work with newer information: delete it rather than leave it failed for good.
  delete from graphile_worker._private_jobs j
   using graphile_worker._private_tasks t
   where t.id = j.task_id
     and j.locked_by = any (v_stale)
     and j.key is null
     and j.attempts >= j.max_attempts
     and t.identifier in ('score_event', 'refresh');
  get diagnostics v_superseded = row_count;
  -- Say why on each other job: an attempt was used when the job was fetched, so a job
  -- whose attempts are now exhausted (a cron tick runs once: max=1) shows in
  -- worker.failed_job with this reason rather than with no error at all.
  update graphile_worker._private_jobs j
     set last_error = format('interrupted: worker %s stopped (no heartbeat for %s) while running this job, locked at %s',
                             j.locked_by, p_threshold, j.locked_at)
   where j.locked_by = any (v_stale);
  get diagnostics v_unlocked = row_count;
  perform graphile_worker.force_unlock_workers(v_stale);
  insert into worker.recovery (recovered_by, worker_ids, jobs_unlocked, jobs_superseded)
  values (p_recovered_by, v_stale, v_unlocked, v_superseded);
  update worker.heartbeat set stopped_at = coalesce(stopped_at, now()) where worker_ids && v_stale;
  return v_unlocked + v_superseded;
end;
$_$;

--
-- Name: FUNCTION "recover_stale_workers"("p_threshold" interval, "p_recovered_by" "text"); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."recover_stale_workers"("p_threshold" interval, "p_recovered_by" "text") IS 'Unlocks the jobs (and queues) of workers whose heartbeat is older than the threshold with graphile_worker.force_unlock_workers, after ending the stale processes'' backends that are still connected (found by their application_name, scoreline worker <process_id>: a statement a killed worker left running must not commit after its job runs again), so a killed worker''s jobs run again in seconds rather than after graphile-worker''s 4-hour lock; each job''s last_error says it was interrupted (a job whose attempts are exhausted, such as a once-only cron tick, then shows in worker.failed_job with that reason); a score_event or refresh job superseded by a newer one with its key while it ran is deleted instead; records it in worker.recovery. Returns the number of jobs released (unlocked or deleted).';

--
-- Name: release_score_jobs(bigint[], "text"); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."release_score_jobs"("p_job_ids" bigint[], "p_locked_by" "text") RETURNS integer
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_superseded integer;
  v_released integer;
begin
  -- replaced while held (no key, attempts used up): the newer job does the work
  delete from graphile_worker._private_jobs j
   where j.id = any (p_job_ids) and j.locked_by = p_locked_by
     and j.key is null and j.attempts >= j.max_attempts;
  get diagnostics v_superseded = row_count;
  -- the others run again on their own, the claim not counted as an attempt
  update graphile_worker._private_jobs j
     set locked_by = null, locked_at = null, attempts = greatest(j.attempts - 1, 0)
   where j.id = any (p_job_ids) and j.locked_by = p_locked_by;
  get diagnostics v_released = row_count;
  return v_superseded + v_released;
end;
$$;

--
-- Name: FUNCTION "release_score_jobs"("p_job_ids" bigint[], "p_locked_by" "text"); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."release_score_jobs"("p_job_ids" bigint[], "p_locked_by" "text") IS 'Gives back score_event jobs claimed by worker.claim_score_jobs when their batch could not be scored: unlocks them with the claim''s attempt taken back, so each runs on its own (and fails, if it does, with its own error); one replaced by a newer job while held is deleted instead. Returns the jobs released.';

--
-- Name: score_event(bigint, integer); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."score_event"("p_event_id" bigint, "p_refresh_delay_seconds" integer DEFAULT NULL::integer) RETURNS "jsonb"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_delay integer := coalesce(p_refresh_delay_seconds, (select s.refresh_delay_seconds from worker.setting s));
  v_scored integer;
  v_bets integer;
  v_refresh_job bigint;
  v_requeued boolean := false;
  v_ev record;
begin
  if v_delay < 0 then
    raise exception 'refresh delay must be 0 seconds or more, not %', v_delay using errcode = 'SL121';
  end if;
  if not exists (select from core.event where event_id = p_event_id) then
    return jsonb_build_object('event_id', p_event_id, 'status', 'gone');
  end if;
  v_scored := forecast.score_event(p_event_id);
  v_bets := trade.settle_bets(p_event_id);
  -- Still behind: a change committed while this ran (a prediction deleted: corrections wait
  -- for the event row, deletes do not; forecast.record_scoring waited for it on the record and
  -- saw its version). Its own job may be lost (graphile-worker's add_job returns null when a
  -- worker locks the pending job between its update and its insert): queue the next one here.
  select e.event_id, e.result_version, e.scheduled_start into v_ev
    from forecast.event_scoring es join core.event e on e.event_id = es.event_id
   where es.event_id = p_event_id and es.owed_since is not null;
  if found then
    perform worker.add_job('score_event', json_build_object('event_id', v_ev.event_id, 'result_version', v_ev.result_version),
                           'score_event:' || v_ev.event_id, null, worker.scoring_priority(v_ev.scheduled_start), 'replace');
    v_requeued := true;
  end if;
  v_refresh_job := worker.add_job('refresh', json_build_object('trigger', 'event'), 'refresh', now() + make_interval(secs => v_delay), 0, 'preserve_run_at');
  return jsonb_build_object('event_id', p_event_id, 'status', 'scored', 'predictions', v_scored, 'bets', v_bets, 'requeued', v_requeued,
                            'refresh_job', v_refresh_job, 'refresh_at', now() + make_interval(secs => v_delay));
end;
$$;

--
-- Name: FUNCTION "score_event"("p_event_id" bigint, "p_refresh_delay_seconds" integer); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."score_event"("p_event_id" bigint, "p_refresh_delay_seconds" integer) IS 'The score_event task: settles and scores the event (forecast.score_event), settles its bets (trade.settle_bets), queues the next scoring when the event is still behind (a change committed meanwhile, forecast.event_scoring), then enqueues the debounced refresh (job key refresh, preserve_run_at, delay from worker.setting unless given), all in one transaction. Returns what it did (predictions scored, bets changed, whether it re-queued); an event that no longer exists is reported as gone.';

--
-- Name: score_events(bigint[], integer); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."score_events"("p_event_ids" bigint[], "p_refresh_delay_seconds" integer DEFAULT NULL::integer) RETURNS "jsonb"
    LANGUAGE "plpgsql"
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_delay integer := coalesce(p_refresh_delay_seconds, (select s.refresh_delay_seconds from worker.setting s));
  v_ids bigint[];
  v_gone bigint[];
  v_id bigint;
  v_scored bigint;
  v_events jsonb;
  v_bets integer := 0;
  v_requeued bigint[];
  v_refresh_job bigint;
begin
  if v_delay < 0 then
    raise exception 'refresh delay must be 0 seconds or more, not %', v_delay using errcode = 'SL121';
  end if;
  select array_agg(e.event_id order by e.event_id) into v_ids
    from core.event e
   where e.event_id = any (p_event_ids);
  select array_agg(distinct u.id order by u.id) into v_gone
    from unnest(p_event_ids) as u (id)
   where u.id is not null and u.id <> all (coalesce(v_ids, '{}'));
  if v_ids is null then
    return jsonb_build_object('status', 'gone', 'events', 0, 'predictions', 0, 'bets', 0, 'scored', '[]'::jsonb,
                              'gone', coalesce(to_jsonb(v_gone), '[]'::jsonb), 'requeued', '[]'::jsonb);
  end if;
  -- every score of every event in one statement (one statistics pass), then the bets
  select coalesce(sum(s.predictions), 0), jsonb_agg(jsonb_build_object('event_id', s.event_id, 'predictions', s.predictions) order by s.event_id)
    into v_scored, v_events
    from forecast.score_events(v_ids) s;
  foreach v_id in array v_ids loop
    v_bets := v_bets + trade.settle_bets(v_id);
  end loop;
  -- Still behind: a change committed while this ran (as worker.score_event): queue the next scoring.
  select array_agg(q.event_id order by q.event_id) into v_requeued
    from (select e.event_id,
                 worker.add_job('score_event', json_build_object('event_id', e.event_id, 'result_version', e.result_version),
                                'score_event:' || e.event_id, null, worker.scoring_priority(e.scheduled_start), 'replace') as job_id
            from forecast.event_scoring es
            join core.event e on e.event_id = es.event_id
           where es.event_id = any (v_ids) and es.owed_since is not null
           order by e.event_id) q;
  v_refresh_job := worker.add_job('refresh', json_build_object('trigger', 'event'), 'refresh', now() + make_interval(secs => v_delay), 0, 'preserve_run_at');
  return jsonb_build_object('status', 'scored', 'events', cardinality(v_ids), 'predictions', v_scored, 'bets', v_bets, 'scored', v_events,
                            'requeued', coalesce(to_jsonb(v_requeued), '[]'::jsonb), 'gone', coalesce(to_jsonb(v_gone), '[]'::jsonb),
                            'refresh_job', v_refresh_job, 'refresh_at', now() + make_interval(secs => v_delay));
end;
$$;

--
-- Name: FUNCTION "score_events"("p_event_ids" bigint[], "p_refresh_delay_seconds" integer); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."score_events"("p_event_ids" bigint[], "p_refresh_delay_seconds" integer) IS 'The score_event task for a batch of events (a burst of completions): scores all of them in one set-based pass (forecast.score_events: per-event advisory locks, one statistics maintenance pass), settles each one''s bets (trade.settle_bets), queues the next scoring of any still behind (a change committed meanwhile, forecast.event_scoring), then enqueues one debounced refresh, all in one transaction. Events that no longer exist are skipped and listed as gone. Returns what it did: events and predictions scored (and each event with its predictions, scored), bets changed, events re-queued.';

--
-- Name: scoring_priority(timestamp with time zone); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."scoring_priority"("p_scheduled_start" timestamp with time zone) RETURNS integer
    LANGUAGE "sql" STABLE STRICT
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
  select least(greatest(extract(epoch from (now() - p_scheduled_start)) / 3600, 0), 32767)::integer
$$;

--
-- Name: FUNCTION "scoring_priority"("p_scheduled_start" timestamp with time zone); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."scoring_priority"("p_scheduled_start" timestamp with time zone) IS 'Job priority for scoring an event: the hours since it was scheduled to start, at most 32767 (graphile-worker keeps priorities in a smallint and runs lower numbers first), so recently completed events are scored first.';

--
-- Name: tg_event__enqueue_scoring(); Type: FUNCTION; Schema: worker; Owner: -
--

CREATE FUNCTION "worker"."tg_event__enqueue_scoring"() RETURNS "trigger"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if (new.status = 'completed' and old.status is distinct from 'completed')
     or (new.status in ('abandoned', 'cancelled') and old.status is distinct from new.status)
     or new.result_version <> old.result_version then
    perform worker.add_job(
      'score_event',
      json_build_object('event_id', new.event_id, 'result_version', new.result_version),
      'score_event:' || new.event_id,
      null,
      worker.scoring_priority(new.scheduled_start),
      'replace');
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION "tg_event__enqueue_scoring"(); Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON FUNCTION "worker"."tg_event__enqueue_scoring"() IS 'After an event is completed, abandoned or cancelled, or its result corrected: enqueue its settle-and-score job in the same transaction, keyed score_event:<event_id> so a pending job is replaced, not doubled.';

--
-- Name: competition; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."competition" (
    "competition_id" integer NOT NULL,
    "sport_id" smallint NOT NULL,
    "code" "text" NOT NULL,
    "name" "text" NOT NULL,
    "country" "text",
    CONSTRAINT "competition_code_format" CHECK (("code" ~ '^[a-z][a-z0-9_]*$'::"text"))
);

--
-- Name: TABLE "competition"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."competition" IS 'A league, tournament or race meeting series (nfl, epl, hkjc).';

--
-- Name: COLUMN "competition"."code"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."competition"."code" IS 'Stable lower-case key used by feeds and code.';

--
-- Name: competition_competition_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."competition" ALTER COLUMN "competition_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."competition_competition_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: db_role; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."db_role" (
    "kind" "text" NOT NULL,
    "role_name" "name" NOT NULL,
    CONSTRAINT "db_role_kind_known" CHECK (("kind" = ANY (ARRAY['owner'::"text", 'worker'::"text", 'app'::"text", 'reader'::"text", 'checker'::"text"])))
);

--
-- Name: TABLE "db_role"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."db_role" IS 'The database roles this database grants to, by kind (owner, worker, app, reader): written once by the roles migration from scoreline.role_prefix; sql/090_roles.sql grants to these names.';

--
-- Name: COLUMN "db_role"."kind"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."db_role"."kind" IS 'owner, worker, app, reader (the groups a DBA grants to logins) or checker (the role data-quality checks run as; granted to nobody but the migrating login).';

--
-- Name: COLUMN "db_role"."role_name"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."db_role"."role_name" IS 'The cluster-wide role: <prefix>_<kind>.';

--
-- Name: CONSTRAINT "db_role_kind_known" ON "db_role"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "db_role_kind_known" ON "core"."db_role" IS 'The kinds of role scoreline knows: owner, worker, app, reader, checker (docs/security.md).';

--
-- Name: event; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."event" (
    "event_id" bigint NOT NULL,
    "external_id" "text" NOT NULL,
    "kind" "text" NOT NULL,
    "competition_id" integer NOT NULL,
    "season_id" integer NOT NULL,
    "week_number" smallint,
    "stage" "text" DEFAULT 'regular'::"text" NOT NULL,
    "round" "text",
    "name" "text",
    "scheduled_start" timestamp with time zone NOT NULL,
    "actual_start" timestamp with time zone,
    "status" "text" DEFAULT 'scheduled'::"text" NOT NULL,
    "home_team_id" integer,
    "away_team_id" integer,
    "home_score" smallint,
    "away_score" smallint,
    "venue" "text",
    "completed_at" timestamp with time zone,
    "result_version" integer DEFAULT 0 NOT NULL,
    "metadata" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "event_away_score_non_negative" CHECK (("away_score" >= 0)),
    CONSTRAINT "event_completed_match_has_scores" CHECK ((("status" <> 'completed'::"text") OR ("kind" = 'race'::"text") OR (("home_score" IS NOT NULL) AND ("away_score" IS NOT NULL)))),
    CONSTRAINT "event_home_score_non_negative" CHECK (("home_score" >= 0)),
    CONSTRAINT "event_kind_known" CHECK (("kind" = ANY (ARRAY['match'::"text", 'game'::"text", 'race'::"text"]))),
    CONSTRAINT "event_match_has_teams" CHECK ((("kind" = 'race'::"text") OR (("home_team_id" IS NOT NULL) AND ("away_team_id" IS NOT NULL)))),
    CONSTRAINT "event_metadata_is_object" CHECK (("jsonb_typeof"("metadata") = 'object'::"text")),
    CONSTRAINT "event_race_has_no_teams" CHECK ((("kind" <> 'race'::"text") OR (("home_team_id" IS NULL) AND ("away_team_id" IS NULL) AND ("home_score" IS NULL) AND ("away_score" IS NULL)))),
    CONSTRAINT "event_scores_only_once_started" CHECK ((("status" = ANY (ARRAY['in_progress'::"text", 'completed'::"text", 'abandoned'::"text"])) OR (("home_score" IS NULL) AND ("away_score" IS NULL)))),
    CONSTRAINT "event_stage_known" CHECK (("stage" = ANY (ARRAY['preseason'::"text", 'regular'::"text", 'postseason'::"text"]))),
    CONSTRAINT "event_status_known" CHECK (("status" = ANY (ARRAY['scheduled'::"text", 'in_progress'::"text", 'completed'::"text", 'postponed'::"text", 'abandoned'::"text", 'cancelled'::"text"]))),
    CONSTRAINT "event_teams_distinct" CHECK (("home_team_id" <> "away_team_id"))
);

--
-- Name: TABLE "event"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."event" IS 'A match, game or race. Status lifecycle scheduled -> in_progress -> completed, or postponed, abandoned, cancelled; transitions are enforced by core.tg_event__guard_status and a completed result changes only through core.correct_event_result.';

--
-- Name: COLUMN "event"."external_id"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."external_id" IS 'The natural id, unique: 2024_01_BAL_KC for the NFL, epl_2019-20_20190809_LIV_NOR, hkjc_20240101_ST_R1.';

--
-- Name: COLUMN "event"."kind"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."kind" IS 'match (football), game (NFL) or race (runners instead of teams).';

--
-- Name: COLUMN "event"."week_number"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."week_number" IS 'With season_id, references core.week; null for races.';

--
-- Name: COLUMN "event"."stage"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."stage" IS 'preseason, regular or postseason.';

--
-- Name: COLUMN "event"."round"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."round" IS 'The feed''s round or game type: REG, WC, DIV, CON, SB; a race number.';

--
-- Name: COLUMN "event"."completed_at"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."completed_at" IS 'When the event reached completed (set by the status trigger).';

--
-- Name: COLUMN "event"."result_version"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."event"."result_version" IS 'Incremented by each correction of a completed result; scoring jobs are keyed by (event, result_version).';

--
-- Name: event_correction_correction_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."event_correction" ALTER COLUMN "correction_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."event_correction_correction_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: event_event_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."event" ALTER COLUMN "event_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."event_event_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: event_status_transition; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."event_status_transition" (
    "from_status" "text" NOT NULL,
    "to_status" "text" NOT NULL,
    CONSTRAINT "event_status_transition_not_same" CHECK (("from_status" <> "to_status")),
    CONSTRAINT "event_status_transition_status_known" CHECK ((("from_status" = ANY (ARRAY['scheduled'::"text", 'in_progress'::"text", 'completed'::"text", 'postponed'::"text", 'abandoned'::"text", 'cancelled'::"text"])) AND ("to_status" = ANY (ARRAY['scheduled'::"text", 'in_progress'::"text", 'completed'::"text", 'postponed'::"text", 'abandoned'::"text", 'cancelled'::"text"]))))
);

--
-- Name: TABLE "event_status_transition"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."event_status_transition" IS 'The status changes an ordinary UPDATE may make to an event; anything else is refused (SQLSTATE SL001). A settled result (completed, abandoned, cancelled) changes only through core.correct_event_result.';

--
-- Name: CONSTRAINT "event_status_transition_status_known" ON "event_status_transition"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "event_status_transition_status_known" ON "core"."event_status_transition" IS 'Both ends of a transition are event statuses (those of core.event.status).';

--
-- Name: player; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."player" (
    "player_id" bigint NOT NULL,
    "sport_id" smallint NOT NULL,
    "external_id" "text" NOT NULL,
    "full_name" "text" NOT NULL
);

--
-- Name: TABLE "player"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."player" IS 'A player. Positions are not stored here: core.roster is their single source of truth.';

--
-- Name: COLUMN "player"."external_id"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."player"."external_id" IS 'The feed''s stable id, e.g. the NFL GSIS id 00-0023459.';

--
-- Name: player_player_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."player" ALTER COLUMN "player_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."player_player_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: roster; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."roster" (
    "roster_id" bigint NOT NULL,
    "season_id" integer NOT NULL,
    "team_id" integer NOT NULL,
    "player_id" bigint NOT NULL,
    "position" "text" NOT NULL,
    "jersey" smallint,
    "external_id" "text",
    CONSTRAINT "roster_jersey_range" CHECK ((("jersey" >= 0) AND ("jersey" <= 99))),
    CONSTRAINT "roster_position_format" CHECK (("position" ~ '^[A-Z][A-Z0-9/]{0,7}$'::"text"))
);

--
-- Name: TABLE "roster"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."roster" IS 'A player on a team''s roster in a season, with his position: the single source of truth for positions.';

--
-- Name: COLUMN "roster"."position"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."roster"."position" IS 'Position code as the feed gives it (QB, RB, WR, TE, K, ...).';

--
-- Name: roster_roster_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."roster" ALTER COLUMN "roster_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."roster_roster_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: runner; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."runner" (
    "runner_id" bigint NOT NULL,
    "event_id" bigint NOT NULL,
    "number" smallint,
    "draw" smallint,
    "name" "text" NOT NULL,
    "external_id" "text",
    "jockey" "text",
    "trainer" "text",
    "form_rating" numeric(4,2),
    "weight" numeric(7,2),
    "days_since_last_race" integer,
    "status" "text" DEFAULT 'declared'::"text" NOT NULL,
    "finish_position" smallint,
    "finish_time" interval,
    "metadata" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    CONSTRAINT "runner_days_since_last_race_non_negative" CHECK (("days_since_last_race" >= 0)),
    CONSTRAINT "runner_draw_positive" CHECK (("draw" > 0)),
    CONSTRAINT "runner_finish_position_positive" CHECK (("finish_position" > 0)),
    CONSTRAINT "runner_finished_has_position" CHECK ((("status" <> 'finished'::"text") OR ("finish_position" IS NOT NULL))),
    CONSTRAINT "runner_form_rating_range" CHECK ((("form_rating" >= (0)::numeric) AND ("form_rating" <= (10)::numeric))),
    CONSTRAINT "runner_metadata_is_object" CHECK (("jsonb_typeof"("metadata") = 'object'::"text")),
    CONSTRAINT "runner_number_positive" CHECK (("number" > 0)),
    CONSTRAINT "runner_numberless_has_external_id" CHECK ((("number" IS NOT NULL) OR ("external_id" IS NOT NULL))),
    CONSTRAINT "runner_numberless_is_non_runner" CHECK ((("number" IS NOT NULL) OR ("status" = 'non_runner'::"text"))),
    CONSTRAINT "runner_position_only_when_finished" CHECK ((("finish_position" IS NULL) OR ("status" = 'finished'::"text"))),
    CONSTRAINT "runner_status_known" CHECK (("status" = ANY (ARRAY['declared'::"text", 'non_runner'::"text", 'finished'::"text", 'did_not_finish'::"text", 'disqualified'::"text"]))),
    CONSTRAINT "runner_weight_positive" CHECK (("weight" > (0)::numeric))
);

--
-- Name: TABLE "runner"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."runner" IS 'A runner (horse, greyhound) in a race: trap or draw, form, weight, trainer, and its finishing position once run.';

--
-- Name: COLUMN "runner"."number"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."runner"."number" IS 'Saddle cloth or trap number, unique within the race; null only for a non-runner withdrawn before numbers were given.';

--
-- Name: COLUMN "runner"."draw"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."runner"."draw" IS 'Barrier draw (horses); for greyhounds the trap is the number.';

--
-- Name: COLUMN "runner"."form_rating"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."runner"."form_rating" IS 'Form rating on a 0-10 scale.';

--
-- Name: COLUMN "runner"."finish_position"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."runner"."finish_position" IS 'Finishing place; dead heats share a position.';

--
-- Name: CONSTRAINT "runner_numberless_has_external_id" ON "runner"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "runner_numberless_has_external_id" ON "core"."runner" IS 'A runner without a number is known by its external id (a horse''s brand code).';

--
-- Name: CONSTRAINT "runner_numberless_is_non_runner" ON "runner"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "runner_numberless_is_non_runner" ON "core"."runner" IS 'Only a runner withdrawn before the race may lack a number.';

--
-- Name: runner_runner_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."runner" ALTER COLUMN "runner_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."runner_runner_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: season; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."season" (
    "season_id" integer NOT NULL,
    "competition_id" integer NOT NULL,
    "label" "text" NOT NULL,
    "starts_on" "date",
    "ends_on" "date",
    "is_current" boolean DEFAULT false NOT NULL,
    CONSTRAINT "season_dates_ordered" CHECK ((("ends_on" IS NULL) OR ("starts_on" IS NULL) OR ("ends_on" >= "starts_on")))
);

--
-- Name: TABLE "season"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."season" IS 'A season of a competition (2024, 2019-20). At most one season per competition is current.';

--
-- Name: COLUMN "season"."label"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."season"."label" IS 'The season as its competition names it: 2024 for the NFL, 2019-20 for the Premier League.';

--
-- Name: COLUMN "season"."is_current"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."season"."is_current" IS 'The season now being played; the overall model statistics cover current seasons only.';

--
-- Name: season_season_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."season" ALTER COLUMN "season_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."season_season_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: sport; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."sport" (
    "sport_id" smallint NOT NULL,
    "code" "text" NOT NULL,
    "name" "text" NOT NULL,
    CONSTRAINT "sport_code_format" CHECK (("code" ~ '^[a-z][a-z0-9_]*$'::"text"))
);

--
-- Name: TABLE "sport"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."sport" IS 'A sport: american_football, football (soccer), horse_racing, greyhound_racing.';

--
-- Name: COLUMN "sport"."code"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."sport"."code" IS 'Stable lower-case key used by feeds and code.';

--
-- Name: sport_sport_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."sport" ALTER COLUMN "sport_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."sport_sport_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: team; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."team" (
    "team_id" integer NOT NULL,
    "sport_id" smallint NOT NULL,
    "code" "text" NOT NULL,
    "name" "text" NOT NULL
);

--
-- Name: TABLE "team"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."team" IS 'A team or club.';

--
-- Name: COLUMN "team"."code"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."team"."code" IS 'The team''s key in its feeds: the NFL abbreviation (KC) or the club''s short name (Man United).';

--
-- Name: team_alias; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."team_alias" (
    "team_id" integer NOT NULL,
    "code" "text" NOT NULL,
    "valid_from_season" smallint,
    "valid_to_season" smallint NOT NULL,
    CONSTRAINT "team_alias_code_given" CHECK (("length"("btrim"("code")) > 0)),
    CONSTRAINT "team_alias_seasons_ordered" CHECK ((("valid_from_season" IS NULL) OR ("valid_from_season" <= "valid_to_season")))
);

--
-- Name: TABLE "team_alias"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."team_alias" IS 'A former code of a team (a franchise that moved or was renamed: the Raiders were OAK until 2019, then LV): a feed row naming the code in a season the alias covers means this team, so its statistics follow the franchise. The team''s own code (core.team.code) is its code in every other season.';

--
-- Name: COLUMN "team_alias"."valid_from_season"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."team_alias"."valid_from_season" IS 'First season (its starting year) the code meant this team; null: since the beginning.';

--
-- Name: COLUMN "team_alias"."valid_to_season"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."team_alias"."valid_to_season" IS 'Last season (its starting year) the code meant this team.';

--
-- Name: CONSTRAINT "team_alias_code_given" ON "team_alias"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "team_alias_code_given" ON "core"."team_alias" IS 'An alias is a code, never blank.';

--
-- Name: CONSTRAINT "team_alias_seasons_ordered" ON "team_alias"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "team_alias_seasons_ordered" ON "core"."team_alias" IS 'An alias''s first season is not after its last (an open start, null, is allowed).';

--
-- Name: team_team_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE "core"."team" ALTER COLUMN "team_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "core"."team_team_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: week; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE "core"."week" (
    "season_id" integer NOT NULL,
    "week_number" smallint NOT NULL,
    "label" "text" NOT NULL,
    "starts_on" "date",
    "ends_on" "date",
    CONSTRAINT "week_dates_ordered" CHECK ((("ends_on" IS NULL) OR ("starts_on" IS NULL) OR ("ends_on" >= "starts_on"))),
    CONSTRAINT "week_number_positive" CHECK ((("week_number" >= 1) AND ("week_number" <= 60)))
);

--
-- Name: TABLE "week"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE "core"."week" IS 'An NFL week or a football matchday within a season; events reference (season_id, week_number).';

--
-- Name: COLUMN "week"."week_number"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON COLUMN "core"."week"."week_number" IS 'The week''s number within the season: NFL weeks 1-18 regular, 19-22 post-season; matchdays 1-38.';

--
-- Name: event_scoring; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."event_scoring" (
    "event_id" bigint NOT NULL,
    "owed_version" bigint DEFAULT 1 NOT NULL,
    "result_version" integer NOT NULL,
    "scored_version" bigint DEFAULT 0 NOT NULL,
    "scored_result_version" integer,
    "scored_at" timestamp with time zone,
    "settled_version" bigint DEFAULT 0 NOT NULL,
    "settled_result_version" integer,
    "settled_at" timestamp with time zone,
    "owed_since" timestamp with time zone DEFAULT "now"(),
    CONSTRAINT "event_scoring_owed_since_when_behind" CHECK ((("owed_since" IS NULL) = (("scored_version" = "owed_version") AND ("settled_version" = "owed_version")))),
    CONSTRAINT "event_scoring_owed_version_positive" CHECK (("owed_version" >= 0)),
    CONSTRAINT "event_scoring_versions_not_ahead" CHECK ((("scored_version" <= "owed_version") AND ("settled_version" <= "owed_version")))
);

--
-- Name: TABLE "event_scoring"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."event_scoring" IS 'Scores owed: one row per event that has had a result. owed_version counts the changes that need the event re-scored and its bets re-settled (completion, correction, deletion of a scored prediction), bumped in the same transaction as the change; scored_version and settled_version say which of them forecast.score_event and trade.settle_bets have caught up with. An event is behind while owed_since is set. The reconciler (worker.enqueue_owed) queues scoring for every event behind; the check forecast_scores_behind_results counts those behind for too long.';

--
-- Name: COLUMN "event_scoring"."owed_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."owed_version" IS 'Incremented by every change that needs the event re-scored and its bets re-settled: completed, abandoned or cancelled, a result correction (core.event.result_version), a scored prediction deleted.';

--
-- Name: COLUMN "event_scoring"."result_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."result_version" IS 'The core.event.result_version at the last change recorded here.';

--
-- Name: COLUMN "event_scoring"."scored_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."scored_version" IS 'The owed_version forecast.score_event last caught up with (read before it read the result).';

--
-- Name: COLUMN "event_scoring"."scored_result_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."scored_result_version" IS 'The core.event.result_version the event''s scores reflect.';

--
-- Name: COLUMN "event_scoring"."settled_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."settled_version" IS 'The owed_version trade.settle_bets last caught up with (read before it read the results).';

--
-- Name: COLUMN "event_scoring"."settled_result_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."settled_result_version" IS 'The core.event.result_version the event''s bet settlement reflects.';

--
-- Name: COLUMN "event_scoring"."owed_since"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."event_scoring"."owed_since" IS 'When the event fell behind (the first change not yet caught up with); null when its scores and bets are up to date.';

--
-- Name: CONSTRAINT "event_scoring_owed_since_when_behind" ON "event_scoring"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON CONSTRAINT "event_scoring_owed_since_when_behind" ON "forecast"."event_scoring" IS 'owed_since is set exactly while the scores or the settlement are behind the owed version, so the owed events are the rows with owed_since.';

--
-- Name: CONSTRAINT "event_scoring_owed_version_positive" ON "event_scoring"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON CONSTRAINT "event_scoring_owed_version_positive" ON "forecast"."event_scoring" IS 'The owed version counts the changes that need the event re-scored and its bets re-settled: never below 0.';

--
-- Name: CONSTRAINT "event_scoring_versions_not_ahead" ON "event_scoring"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON CONSTRAINT "event_scoring_versions_not_ahead" ON "forecast"."event_scoring" IS 'Scoring and settlement never record a version the event has not reached.';

--
-- Name: first_touchdown; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."first_touchdown" (
    "event_id" bigint NOT NULL,
    "player_id" bigint,
    "team_id" integer,
    "source" "text",
    "recorded_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "first_touchdown_team_needs_player" CHECK ((("player_id" IS NOT NULL) OR ("team_id" IS NULL)))
);

--
-- Name: TABLE "first_touchdown"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."first_touchdown" IS 'Who scored the first touchdown of a game: the fact that settles first_td_scorer markets and counts in stats.player_stats (once per game). player_id null = no touchdown was scored.';

--
-- Name: COLUMN "first_touchdown"."team_id"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."first_touchdown"."team_id" IS 'The scorer''s team in that game, when the feed says; otherwise it comes from the roster.';

--
-- Name: forecaster; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."forecaster" (
    "forecaster_id" bigint NOT NULL,
    "kind" "text" NOT NULL,
    "name" "text" NOT NULL,
    "version" "text",
    "model_type" "text",
    "hyperparameters" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "metrics" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "active" boolean DEFAULT true NOT NULL,
    "handle" "text",
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "forecaster_handle_format" CHECK (("handle" ~ '^[A-Za-z0-9_.-]{2,40}$'::"text")),
    CONSTRAINT "forecaster_hyperparameters_is_object" CHECK (("jsonb_typeof"("hyperparameters") = 'object'::"text")),
    CONSTRAINT "forecaster_kind_known" CHECK (("kind" = ANY (ARRAY['model'::"text", 'user'::"text"]))),
    CONSTRAINT "forecaster_metrics_is_object" CHECK (("jsonb_typeof"("metrics") = 'object'::"text")),
    CONSTRAINT "forecaster_model_has_no_handle" CHECK ((("kind" <> 'model'::"text") OR ("handle" IS NULL))),
    CONSTRAINT "forecaster_model_has_version" CHECK ((("kind" <> 'model'::"text") OR (("version" IS NOT NULL) AND ("model_type" IS NOT NULL)))),
    CONSTRAINT "forecaster_name_given" CHECK (("length"("btrim"("name")) > 0)),
    CONSTRAINT "forecaster_user_has_handle" CHECK ((("kind" <> 'user'::"text") OR ("handle" IS NOT NULL)))
);

--
-- Name: TABLE "forecaster"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."forecaster" IS 'Who makes predictions: a model (name + version unique, model type, hyperparameters, metrics, active) or a user (a unique handle).';

--
-- Name: COLUMN "forecaster"."kind"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."kind" IS 'model (a baseline or trained model) or user (a person playing pick''em).';

--
-- Name: COLUMN "forecaster"."version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."version" IS 'Models: the version string; name + version is unique among models.';

--
-- Name: COLUMN "forecaster"."model_type"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."model_type" IS 'Models: the family, e.g. elo, favourite, always_home, random, poisson.';

--
-- Name: COLUMN "forecaster"."hyperparameters"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."hyperparameters" IS 'Models: the parameters the model was run with (a JSON object).';

--
-- Name: COLUMN "forecaster"."metrics"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."metrics" IS 'Models: training or evaluation metrics reported by the model (a JSON object); scored results live in forecast.prediction_score.';

--
-- Name: COLUMN "forecaster"."active"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."active" IS 'Inactive forecasters keep their history but are not expected to predict.';

--
-- Name: COLUMN "forecaster"."handle"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."forecaster"."handle" IS 'Users: the unique public handle (case-insensitive).';

--
-- Name: forecaster_forecaster_id_seq; Type: SEQUENCE; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."forecaster" ALTER COLUMN "forecaster_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "forecast"."forecaster_forecaster_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: prediction_score; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."prediction_score" (
    "prediction_id" bigint NOT NULL,
    "forecaster_id" bigint NOT NULL,
    "event_id" bigint NOT NULL,
    "outcome" "text" NOT NULL,
    "points" numeric NOT NULL,
    "rarity_share" numeric NOT NULL,
    "staked" numeric(12,2) NOT NULL,
    "units" numeric,
    "probability" numeric,
    "brier" double precision,
    "log_loss" double precision,
    "result_version" integer NOT NULL,
    "scored_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "prediction_score_outcome_known" CHECK (("outcome" = ANY (ARRAY['win'::"text", 'loss'::"text", 'void'::"text"]))),
    CONSTRAINT "prediction_score_rarity_share_range" CHECK ((("rarity_share" > (0)::numeric) AND ("rarity_share" <= (1)::numeric))),
    CONSTRAINT "prediction_score_staked_non_negative" CHECK (("staked" >= (0)::numeric))
);

--
-- Name: TABLE "prediction_score"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."prediction_score" IS 'One row per scored prediction, written only by forecast.score_event: outcome (win, loss, void), points, rarity share, units won or lost, Brier score and log loss. The statistics views aggregate from here.';

--
-- Name: COLUMN "prediction_score"."forecaster_id"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."forecaster_id" IS 'Copied from the prediction so statistics need no join; kept right by forecast.score_event and checked by forecast.dq_orphaned_rows() (no foreign key: the row is deleted with its prediction).';

--
-- Name: COLUMN "prediction_score"."event_id"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."event_id" IS 'The event of the prediction''s market, copied so statistics and re-scoring touch only their event; checked by forecast.dq_orphaned_rows() (no foreign key: the row is deleted with its prediction).';

--
-- Name: COLUMN "prediction_score"."rarity_share"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."rarity_share" IS 'Forecasters on this market who chose this selection / forecasters on this market (0..1]: the smaller, the more points.';

--
-- Name: COLUMN "prediction_score"."staked"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."staked" IS 'Units at risk: the stake when the prediction won or lost and odds were taken, else 0 (ROI = units / staked).';

--
-- Name: COLUMN "prediction_score"."units"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."units" IS 'Units won or lost at the odds taken: win stake * (odds - 1) (dead heats: stake * (f * odds - 1)), loss -stake, void 0; null when no odds were taken.';

--
-- Name: COLUMN "prediction_score"."probability"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."probability" IS 'The prediction''s probability, copied for the calibration view.';

--
-- Name: COLUMN "prediction_score"."brier"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."brier" IS '(probability - outcome)^2 where outcome is 1 for a win and 0 for a loss; null for void or without probability.';

--
-- Name: COLUMN "prediction_score"."log_loss"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."log_loss" IS '-ln(p) for a win, -ln(1 - p) for a loss, p clipped by the rule''s epsilon; null for void or without probability.';

--
-- Name: COLUMN "prediction_score"."result_version"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_score"."result_version" IS 'The core.event.result_version the score was computed from.';

--
-- Name: market; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."market" (
    "market_id" bigint NOT NULL,
    "event_id" bigint NOT NULL,
    "market_type" "text" NOT NULL,
    "status" "text" DEFAULT 'open'::"text" NOT NULL,
    "allows_multiple_picks" boolean NOT NULL,
    "places" smallint,
    "settled_at" timestamp with time zone,
    "settled_result_version" integer,
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "market_place_has_places" CHECK ((("market_type" <> 'race_place'::"text") OR ("places" IS NOT NULL))),
    CONSTRAINT "market_places_positive" CHECK (("places" > 0)),
    CONSTRAINT "market_settled_has_time" CHECK ((("status" <> ALL (ARRAY['settled'::"text", 'void'::"text"])) OR ("settled_at" IS NOT NULL))),
    CONSTRAINT "market_status_known" CHECK (("status" = ANY (ARRAY['open'::"text", 'suspended'::"text", 'settled'::"text", 'void'::"text"])))
);

--
-- Name: TABLE "market"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."market" IS 'A market on an event: status open -> settled or void (settlement sets it; a re-settlement after a correction may settle again).';

--
-- Name: COLUMN "market"."allows_multiple_picks"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market"."allows_multiple_picks" IS 'Whether one forecaster may pick several of its selections (race_place); set from market_type on insert when not given.';

--
-- Name: COLUMN "market"."places"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market"."places" IS 'For race_place: how many places are paid.';

--
-- Name: COLUMN "market"."settled_result_version"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market"."settled_result_version" IS 'The core.event.result_version this settlement was computed from.';

--
-- Name: selection; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."selection" (
    "selection_id" bigint NOT NULL,
    "market_id" bigint NOT NULL,
    "code" "text" NOT NULL,
    "label" "text" NOT NULL,
    "team_id" integer,
    "player_id" bigint,
    "runner_id" bigint,
    "result" "text",
    CONSTRAINT "selection_one_subject" CHECK (("num_nonnulls"("team_id", "player_id", "runner_id") <= 1)),
    CONSTRAINT "selection_result_known" CHECK (("result" = ANY (ARRAY['won'::"text", 'lost'::"text", 'void'::"text"])))
);

--
-- Name: TABLE "selection"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."selection" IS 'One outcome of a market: home/draw/away, a score, a player, a runner, yes/no. result is set by settlement.';

--
-- Name: COLUMN "selection"."code"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."selection"."code" IS 'Stable key within the market: home, draw, away; 2-1; a player''s external id or none; a runner number; yes, no.';

--
-- Name: COLUMN "selection"."result"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."selection"."result" IS 'won, lost or void once the market is settled; null while open.';

--
-- Name: pick; Type: VIEW; Schema: forecast; Owner: -
--

CREATE VIEW "forecast"."pick" WITH ("security_invoker"='true') AS
 SELECT "p"."prediction_id",
    "p"."forecaster_id",
    "f"."kind" AS "forecaster_kind",
    "f"."handle",
    "e"."event_id",
    "e"."external_id" AS "event_external_id",
    "e"."season_id",
    "e"."week_number",
    "m"."market_id",
    "m"."market_type",
    "p"."selection_id",
    "s"."code" AS "selection_code",
    "s"."label" AS "selection_label",
    "s"."player_id",
    COALESCE("pos"."position",
        CASE
            WHEN ("s"."player_id" IS NOT NULL) THEN 'UNK'::"text"
            ELSE NULL::"text"
        END) AS "position",
    "p"."odds",
    "p"."stake",
    "p"."probability",
    "p"."predicted_at",
    "s"."result",
    "ps"."outcome",
    "ps"."points",
    "ps"."units"
   FROM (((((("forecast"."prediction" "p"
     JOIN "forecast"."forecaster" "f" ON (("f"."forecaster_id" = "p"."forecaster_id")))
     JOIN "market"."market" "m" ON (("m"."market_id" = "p"."market_id")))
     JOIN "core"."event" "e" ON (("e"."event_id" = "m"."event_id")))
     JOIN "market"."selection" "s" ON (("s"."selection_id" = "p"."selection_id")))
     LEFT JOIN "forecast"."prediction_score" "ps" ON (("ps"."prediction_id" = "p"."prediction_id")))
     LEFT JOIN LATERAL ( SELECT "r"."position"
           FROM "core"."roster" "r"
          WHERE (("r"."player_id" = "s"."player_id") AND ("r"."season_id" = "e"."season_id"))
          ORDER BY ("r"."team_id" = ANY (ARRAY["e"."home_team_id", "e"."away_team_id"])) DESC, "r"."roster_id" DESC
         LIMIT 1) "pos" ON (true));

--
-- Name: VIEW "pick"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON VIEW "forecast"."pick" IS 'Every prediction with its event, week, market, selection, the picked player''s position (from core.roster for that season; UNK without a roster row) and its score once scored: "picks by forecaster and week" read here.';

--
-- Name: prediction_market_price; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."prediction_market_price" (
    "prediction_id" bigint NOT NULL,
    "external_market_id" bigint NOT NULL,
    "price" numeric(7,6) NOT NULL,
    "observed_at" timestamp with time zone NOT NULL,
    CONSTRAINT "prediction_market_price_range" CHECK ((("price" >= (0)::numeric) AND ("price" <= (1)::numeric)))
);

--
-- Name: TABLE "prediction_market_price"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."prediction_market_price" IS 'A pick linked to the prediction-market (Polymarket, Kalshi) price of its selection at pick time; the external market must be linked to the same selection.';

--
-- Name: COLUMN "prediction_market_price"."price"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."prediction_market_price"."price" IS 'The contract''s price (implied probability, 0..1) when the pick was made.';

--
-- Name: prediction_prediction_id_seq; Type: SEQUENCE; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."prediction" ALTER COLUMN "prediction_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "forecast"."prediction_prediction_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: race_prediction_id_seq; Type: SEQUENCE; Schema: forecast; Owner: -
--

CREATE SEQUENCE "forecast"."race_prediction_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE "race_prediction_id_seq"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON SEQUENCE "forecast"."race_prediction_id_seq" IS 'Ids of forecast.race_prediction (a sequence: identity on partitioned tables is PostgreSQL 17+ only).';

--
-- Name: race_prediction; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."race_prediction" (
    "race_prediction_id" bigint DEFAULT "nextval"('"forecast"."race_prediction_id_seq"'::"regclass") NOT NULL,
    "predicted_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "forecaster_id" bigint NOT NULL,
    "runner_id" bigint NOT NULL,
    "event_id" bigint NOT NULL,
    "predicted_outcome" "text" NOT NULL,
    "confidence" numeric(5,4) NOT NULL,
    "features" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "race_prediction_confidence_range" CHECK ((("confidence" > (0)::numeric) AND ("confidence" <= (1)::numeric))),
    CONSTRAINT "race_prediction_features_is_object" CHECK (("jsonb_typeof"("features") = 'object'::"text")),
    CONSTRAINT "race_prediction_outcome_known" CHECK (("predicted_outcome" = ANY (ARRAY['win'::"text", 'place'::"text", 'lose'::"text"])))
)
PARTITION BY RANGE ("predicted_at");

--
-- Name: TABLE "race_prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."race_prediction" IS 'A race model''s prediction for one runner: win, place or lose, with a confidence in (0, 1] and the features it used. Partitioned by day on predicted_at; partitions older than a year are dropped by maint.run_partition_maintenance().';

--
-- Name: COLUMN "race_prediction"."event_id"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."race_prediction"."event_id" IS 'The runner''s race, copied from core.runner on insert (for "a race''s predictions" without a join).';

--
-- Name: COLUMN "race_prediction"."confidence"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."race_prediction"."confidence" IS 'The model''s probability for predicted_outcome, in (0, 1].';

--
-- Name: COLUMN "race_prediction"."features"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."race_prediction"."features" IS 'The feature values the model used (a JSON object).';

--
-- Name: scoring_rule; Type: TABLE; Schema: forecast; Owner: -
--

CREATE TABLE "forecast"."scoring_rule" (
    "market_type" "text" NOT NULL,
    "points_min" numeric DEFAULT 2 NOT NULL,
    "points_max" numeric DEFAULT 6 NOT NULL,
    "curve_exponent" numeric DEFAULT 1 NOT NULL,
    "points_step" numeric DEFAULT 1 NOT NULL,
    "loss_points" numeric DEFAULT 0 NOT NULL,
    "log_loss_epsilon" double precision DEFAULT 0.000000000000001 NOT NULL,
    "description" "text" NOT NULL,
    CONSTRAINT "scoring_rule_curve_exponent_positive" CHECK (("curve_exponent" > (0)::numeric)),
    CONSTRAINT "scoring_rule_log_loss_epsilon_range" CHECK ((("log_loss_epsilon" > (0)::double precision) AND ("log_loss_epsilon" < (0.5)::double precision))),
    CONSTRAINT "scoring_rule_points_ordered" CHECK ((("points_min" >= (0)::numeric) AND ("points_max" >= "points_min"))),
    CONSTRAINT "scoring_rule_points_step_positive" CHECK (("points_step" > (0)::numeric))
);

--
-- Name: TABLE "scoring_rule"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON TABLE "forecast"."scoring_rule" IS 'How predictions on a market type are scored (docs/scoring.md): a correct prediction earns points_min + round((points_max - points_min) * (1 - share) ^ curve_exponent / points_step) * points_step, where share is the fraction of the market''s forecasters who chose that selection; a wrong one loss_points; a void one 0.';

--
-- Name: COLUMN "scoring_rule"."curve_exponent"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."scoring_rule"."curve_exponent" IS 'Shape of the rarity curve: 1 is linear in the share; above 1 keeps the bonus for the rarest picks.';

--
-- Name: COLUMN "scoring_rule"."points_step"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."scoring_rule"."points_step" IS 'Points are rounded to a multiple of this (1 = whole points).';

--
-- Name: COLUMN "scoring_rule"."log_loss_epsilon"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON COLUMN "forecast"."scoring_rule"."log_loss_epsilon" IS 'Probabilities are clipped to [epsilon, 1 - epsilon] for log loss, so a certain wrong prediction costs a finite amount.';

--
-- Name: _private_job_queues; Type: TABLE; Schema: graphile_worker; Owner: -
--

CREATE TABLE "graphile_worker"."_private_job_queues" (
    "id" integer NOT NULL,
    "queue_name" "text" NOT NULL,
    "locked_at" timestamp with time zone,
    "locked_by" "text",
    "is_available" boolean GENERATED ALWAYS AS (("locked_at" IS NULL)) STORED NOT NULL,
    CONSTRAINT "job_queues_queue_name_check" CHECK (("length"("queue_name") <= 128))
);

--
-- Name: _private_known_crontabs; Type: TABLE; Schema: graphile_worker; Owner: -
--

CREATE TABLE "graphile_worker"."_private_known_crontabs" (
    "identifier" "text" NOT NULL,
    "known_since" timestamp with time zone NOT NULL,
    "last_execution" timestamp with time zone
);

--
-- Name: _private_tasks; Type: TABLE; Schema: graphile_worker; Owner: -
--

CREATE TABLE "graphile_worker"."_private_tasks" (
    "id" integer NOT NULL,
    "identifier" "text" NOT NULL,
    CONSTRAINT "tasks_identifier_check" CHECK (("length"("identifier") <= 128))
);

--
-- Name: job_queues_id_seq; Type: SEQUENCE; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_job_queues" ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "graphile_worker"."job_queues_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: jobs; Type: VIEW; Schema: graphile_worker; Owner: -
--

CREATE VIEW "graphile_worker"."jobs" AS
 SELECT "jobs"."id",
    "job_queues"."queue_name",
    "tasks"."identifier" AS "task_identifier",
    "jobs"."priority",
    "jobs"."run_at",
    "jobs"."attempts",
    "jobs"."max_attempts",
    "jobs"."last_error",
    "jobs"."created_at",
    "jobs"."updated_at",
    "jobs"."key",
    "jobs"."locked_at",
    "jobs"."locked_by",
    "jobs"."revision",
    "jobs"."flags"
   FROM (("graphile_worker"."_private_jobs" "jobs"
     JOIN "graphile_worker"."_private_tasks" "tasks" ON (("tasks"."id" = "jobs"."task_id")))
     LEFT JOIN "graphile_worker"."_private_job_queues" "job_queues" ON (("job_queues"."id" = "jobs"."job_queue_id")));

--
-- Name: jobs_id_seq1; Type: SEQUENCE; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_jobs" ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "graphile_worker"."jobs_id_seq1"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: migrations; Type: TABLE; Schema: graphile_worker; Owner: -
--

CREATE TABLE "graphile_worker"."migrations" (
    "id" integer NOT NULL,
    "ts" timestamp with time zone DEFAULT "now"() NOT NULL,
    "breaking" boolean DEFAULT false NOT NULL
);

--
-- Name: tasks_id_seq; Type: SEQUENCE; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_tasks" ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "graphile_worker"."tasks_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: batch_batch_id_seq; Type: SEQUENCE; Schema: ingest; Owner: -
--

ALTER TABLE "ingest"."batch" ALTER COLUMN "batch_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "ingest"."batch_batch_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: feed; Type: TABLE; Schema: ingest; Owner: -
--

CREATE TABLE "ingest"."feed" (
    "code" "text" NOT NULL,
    "description" "text" NOT NULL,
    "staging_table" "regclass" NOT NULL,
    "merge_function" "text" NOT NULL,
    CONSTRAINT "feed_code_format" CHECK (("code" ~ '^[a-z][a-z0-9_]*$'::"text"))
);

--
-- Name: TABLE "feed"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."feed" IS 'The feeds `scoreline ingest <feed> <file>` understands: the format, its staging table and its merge function.';

--
-- Name: COLUMN "feed"."staging_table"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."feed"."staging_table" IS 'The UNLOGGED table the feed''s valid rows are COPY''d into, keyed by batch_id; emptied by the merge.';

--
-- Name: COLUMN "feed"."merge_function"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."feed"."merge_function" IS 'The function (in sql/07N_ingest_<feed>.sql) that merges one batch of the staging table into the domain tables: ingest.merge_<feed>(batch_id).';

--
-- Name: rejected_row; Type: TABLE; Schema: ingest; Owner: -
--

CREATE TABLE "ingest"."rejected_row" (
    "rejected_row_id" bigint NOT NULL,
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "stage" "text" NOT NULL,
    "raw" "text" NOT NULL,
    "reason" "text" NOT NULL,
    CONSTRAINT "rejected_row_line_number_positive" CHECK (("line_number" > 0)),
    CONSTRAINT "rejected_row_reason_given" CHECK (("length"("btrim"("reason")) > 0)),
    CONSTRAINT "rejected_row_stage_known" CHECK (("stage" = ANY (ARRAY['parse'::"text", 'validate'::"text", 'merge'::"text"])))
);

--
-- Name: TABLE "rejected_row"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."rejected_row" IS 'A row a batch did not load, kept with its line number, its raw text and the reason, so nothing is silently dropped.';

--
-- Name: COLUMN "rejected_row"."line_number"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."rejected_row"."line_number" IS 'The physical line of the file the record starts on (the header is line 1).';

--
-- Name: COLUMN "rejected_row"."stage"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."rejected_row"."stage" IS 'parse: not a well-formed CSV record; validate: the zod schema refused it (the reason is the zod issue); merge: the merge function refused it (unknown team, duplicate id, impossible status change).';

--
-- Name: COLUMN "rejected_row"."raw"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."rejected_row"."raw" IS 'The record exactly as read (lines of a multi-line record joined by a newline).';

--
-- Name: rejected_row_rejected_row_id_seq; Type: SEQUENCE; Schema: ingest; Owner: -
--

ALTER TABLE "ingest"."rejected_row" ALTER COLUMN "rejected_row_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "ingest"."rejected_row_rejected_row_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: source; Type: TABLE; Schema: ingest; Owner: -
--

CREATE TABLE "ingest"."source" (
    "source_id" integer NOT NULL,
    "feed" "text" NOT NULL,
    "location" "text" NOT NULL,
    "enabled" boolean DEFAULT true NOT NULL,
    "load_order" smallint DEFAULT 100 NOT NULL,
    "description" "text",
    "last_batch_id" bigint,
    CONSTRAINT "source_location_given" CHECK (("length"("btrim"("location")) > 0))
);

--
-- Name: TABLE "source"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."source" IS 'A file or http(s) URL loaded by the nightly sync with its feed; disabled sources are skipped. Loaded in load_order (teams before rosters: nfl_games before nfl_players).';

--
-- Name: COLUMN "source"."load_order"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."source"."load_order" IS 'Lower loads first; ties in source_id order. A roster source must come after the schedule that creates its teams.';

--
-- Name: COLUMN "source"."last_batch_id"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."source"."last_batch_id" IS 'The batch of the most recent sync of this source (completed or failed).';

--
-- Name: source_source_id_seq; Type: SEQUENCE; Schema: ingest; Owner: -
--

ALTER TABLE "ingest"."source" ALTER COLUMN "source_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "ingest"."source_source_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: stage_football_data; Type: TABLE; Schema: ingest; Owner: -
--

CREATE UNLOGGED TABLE "ingest"."stage_football_data" (
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "raw" "text" NOT NULL,
    "division" "text" NOT NULL,
    "match_date" "date" NOT NULL,
    "kickoff" time without time zone,
    "home_team" "text" NOT NULL,
    "away_team" "text" NOT NULL,
    "home_goals" smallint,
    "away_goals" smallint,
    "half_time_home_goals" smallint,
    "half_time_away_goals" smallint,
    "referee" "text",
    "odds" "jsonb" NOT NULL,
    "statistics" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL
);

--
-- Name: TABLE "stage_football_data"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."stage_football_data" IS 'Staging for the football_data feed (football-data.co.uk results with odds): valid rows of running batches.';

--
-- Name: COLUMN "stage_football_data"."odds"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_football_data"."odds" IS 'Decimal prices by source: {"bet365": {"home": 2.1, "draw": 3.4, "away": 3.5}, "pinnacle_closing": {...}}.';

--
-- Name: COLUMN "stage_football_data"."statistics"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_football_data"."statistics" IS 'Match statistics of the row, where the file has them: {"attendance": 20329, "home": {"shots": 11, "shots_on_target": 5, ...}, "away": {...}}.';

--
-- Name: stage_hkjc_results; Type: TABLE; Schema: ingest; Owner: -
--

CREATE UNLOGGED TABLE "ingest"."stage_hkjc_results" (
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "raw" "text" NOT NULL,
    "race_date" "date" NOT NULL,
    "venue" "text" NOT NULL,
    "race_no" smallint NOT NULL,
    "race_meeting_no" integer,
    "race_name" "text",
    "race_class" "text",
    "distance_m" smallint,
    "rating_range" "text",
    "going" "text",
    "course" "text",
    "prize_hkd" bigint,
    "race_finish_time" "text",
    "sectional_times" "text",
    "runner_status" "text" NOT NULL,
    "place" smallint,
    "dead_heat" boolean NOT NULL,
    "horse_no" smallint,
    "horse_name" "text" NOT NULL,
    "horse_code" "text",
    "jockey" "text",
    "trainer" "text",
    "actual_wt_lbs" smallint,
    "declared_wt_lbs" smallint,
    "draw" smallint,
    "lbw" "text",
    "running_position" "text",
    "finish_time" interval,
    "win_odds" numeric
);

--
-- Name: TABLE "stage_hkjc_results"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."stage_hkjc_results" IS 'Staging for the hkjc_results feed (HKJC race results, one row per runner): valid rows of running batches.';

--
-- Name: COLUMN "stage_hkjc_results"."venue"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_hkjc_results"."venue" IS 'ST (Sha Tin, 沙田) or HV (Happy Valley, 跑馬地).';

--
-- Name: COLUMN "stage_hkjc_results"."runner_status"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_hkjc_results"."runner_status" IS 'core.runner status from the place column: a number is finished, PU/FE/UR/DNF did_not_finish, DISQ disqualified, WV/WX/TNP non_runner.';

--
-- Name: COLUMN "stage_hkjc_results"."dead_heat"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_hkjc_results"."dead_heat" IS 'The place was shared (平頭馬 or DH after the number).';

--
-- Name: COLUMN "stage_hkjc_results"."horse_no"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_hkjc_results"."horse_no" IS 'The saddle-cloth number; empty for a horse withdrawn before numbers were given (a non_runner, keyed by its brand code).';

--
-- Name: stage_kalshi_markets; Type: TABLE; Schema: ingest; Owner: -
--

CREATE UNLOGGED TABLE "ingest"."stage_kalshi_markets" (
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "raw" "text" NOT NULL,
    "ticker" "text" NOT NULL,
    "event_ticker" "text",
    "title" "text" NOT NULL,
    "status" "text" NOT NULL,
    "open_time" timestamp with time zone,
    "close_time" timestamp with time zone,
    "result" "text",
    "yes_bid" numeric,
    "yes_ask" numeric,
    "last_price" numeric
);

--
-- Name: TABLE "stage_kalshi_markets"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."stage_kalshi_markets" IS 'Staging for the kalshi_markets feed (Kalshi trade API markets): valid markets of running batches.';

--
-- Name: COLUMN "stage_kalshi_markets"."result"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_kalshi_markets"."result" IS 'yes or no once the market is determined; null before.';

--
-- Name: stage_nfl_games; Type: TABLE; Schema: ingest; Owner: -
--

CREATE UNLOGGED TABLE "ingest"."stage_nfl_games" (
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "raw" "text" NOT NULL,
    "game_id" "text" NOT NULL,
    "season" "text" NOT NULL,
    "game_type" "text" NOT NULL,
    "week" smallint NOT NULL,
    "gameday" "date" NOT NULL,
    "gametime" time without time zone,
    "away_team" "text" NOT NULL,
    "away_score" smallint,
    "home_team" "text" NOT NULL,
    "home_score" smallint,
    "away_moneyline" integer,
    "home_moneyline" integer,
    "spread_line" numeric,
    "total_line" numeric,
    "overtime" boolean,
    "location" "text",
    "stadium" "text",
    "roof" "text",
    "surface" "text"
);

--
-- Name: TABLE "stage_nfl_games"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."stage_nfl_games" IS 'Staging for the nfl_games feed (nflverse games.csv): valid rows of running batches.';

--
-- Name: stage_nfl_players; Type: TABLE; Schema: ingest; Owner: -
--

CREATE UNLOGGED TABLE "ingest"."stage_nfl_players" (
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "raw" "text" NOT NULL,
    "player_id" "text" NOT NULL,
    "display_name" "text" NOT NULL,
    "position" "text" NOT NULL,
    "position_group" "text",
    "season" "text" NOT NULL,
    "season_type" "text" NOT NULL,
    "recent_team" "text" NOT NULL,
    "games" smallint
);

--
-- Name: TABLE "stage_nfl_players"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."stage_nfl_players" IS 'Staging for the nfl_players feed (nflverse player stats): valid rows of running batches.';

--
-- Name: stage_polymarket_markets; Type: TABLE; Schema: ingest; Owner: -
--

CREATE UNLOGGED TABLE "ingest"."stage_polymarket_markets" (
    "batch_id" bigint NOT NULL,
    "line_number" integer NOT NULL,
    "raw" "text" NOT NULL,
    "market_id" "text" NOT NULL,
    "condition_id" "text" NOT NULL,
    "question" "text" NOT NULL,
    "slug" "text",
    "end_date" timestamp with time zone,
    "active" boolean NOT NULL,
    "closed" boolean NOT NULL,
    "outcomes" "jsonb" NOT NULL,
    "prices" "jsonb" NOT NULL
);

--
-- Name: TABLE "stage_polymarket_markets"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON TABLE "ingest"."stage_polymarket_markets" IS 'Staging for the polymarket_markets feed (Polymarket Gamma API markets): valid markets of running batches.';

--
-- Name: COLUMN "stage_polymarket_markets"."outcomes"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_polymarket_markets"."outcomes" IS 'The outcome names, a JSON array (["Yes", "No"]), decoded from the API''s JSON-encoded string.';

--
-- Name: COLUMN "stage_polymarket_markets"."prices"; Type: COMMENT; Schema: ingest; Owner: -
--

COMMENT ON COLUMN "ingest"."stage_polymarket_markets"."prices" IS 'The outcome prices 0..1 in the same order, a JSON array of numbers.';

--
-- Name: maintenance_log; Type: TABLE; Schema: maint; Owner: -
--

CREATE TABLE "maint"."maintenance_log" (
    "log_id" bigint NOT NULL,
    "run_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "parent" "text" NOT NULL,
    "action" "text" NOT NULL,
    "partition_name" "text",
    "range_from" timestamp with time zone,
    "range_to" timestamp with time zone,
    "rows" bigint,
    CONSTRAINT "maintenance_log_action_known" CHECK (("action" = ANY (ARRAY['create'::"text", 'drop'::"text", 'downsample'::"text"])))
);

--
-- Name: TABLE "maintenance_log"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON TABLE "maint"."maintenance_log" IS 'One row per action of maint.run_partition_maintenance(): partitions created ahead (one row per table and run, rows = how many), partitions dropped at retention (detach + drop), partitions downsampled (rows = bars written) before being dropped.';

--
-- Name: COLUMN "maintenance_log"."parent"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."maintenance_log"."parent" IS 'The partitioned table, as text (a dropped partition can no longer be named by regclass).';

--
-- Name: COLUMN "maintenance_log"."partition_name"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."maintenance_log"."partition_name" IS 'The partition acted on (schema-qualified); null for a create row.';

--
-- Name: COLUMN "maintenance_log"."rows"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."maintenance_log"."rows" IS 'create: partitions created; downsample: bars written; drop: null.';

--
-- Name: maintenance_log_log_id_seq; Type: SEQUENCE; Schema: maint; Owner: -
--

ALTER TABLE "maint"."maintenance_log" ALTER COLUMN "log_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "maint"."maintenance_log_log_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: partition_policy; Type: TABLE; Schema: maint; Owner: -
--

CREATE TABLE "maint"."partition_policy" (
    "parent" "regclass" NOT NULL,
    "granularity" interval NOT NULL,
    "premake" interval DEFAULT '7 days'::interval NOT NULL,
    "retention" interval,
    "downsample_after" interval,
    "downsample_into" "regclass",
    "enabled" boolean DEFAULT true NOT NULL,
    "note" "text",
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "partition_policy_downsample_after_positive" CHECK (("downsample_after" > '00:00:00'::interval)),
    CONSTRAINT "partition_policy_downsample_before_retention" CHECK ((("retention" IS NULL) OR ("downsample_after" IS NULL) OR ("downsample_after" < "retention"))),
    CONSTRAINT "partition_policy_downsample_complete" CHECK ((("downsample_after" IS NULL) = ("downsample_into" IS NULL))),
    CONSTRAINT "partition_policy_granularity_known" CHECK (("granularity" = ANY (ARRAY['01:00:00'::interval, '1 day'::interval, '1 mon'::interval]))),
    CONSTRAINT "partition_policy_premake_non_negative" CHECK (("premake" >= '00:00:00'::interval)),
    CONSTRAINT "partition_policy_retention_positive" CHECK (("retention" > '00:00:00'::interval))
);

--
-- Name: TABLE "partition_policy"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON TABLE "maint"."partition_policy" IS 'One row per time-partitioned table: partition size, how far ahead partitions are created, retention (null = kept forever) and, for raw odds, when partitions are downsampled into bars. Read and edited by a DBA; applied by call maint.run_partition_maintenance().';

--
-- Name: COLUMN "partition_policy"."parent"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."parent" IS 'The partitioned table (range-partitioned on one timestamptz column).';

--
-- Name: COLUMN "partition_policy"."granularity"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."granularity" IS 'Size of one partition: 1 hour, 1 day or 1 month, aligned on UTC boundaries.';

--
-- Name: COLUMN "partition_policy"."premake"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."premake" IS 'How far past now partitions are created ahead of the data.';

--
-- Name: COLUMN "partition_policy"."retention"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."retention" IS 'Partitions whose whole range is older than now() - retention are detached and dropped (never DELETE). Null keeps them forever.';

--
-- Name: COLUMN "partition_policy"."downsample_after"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."downsample_after" IS 'Partitions whose whole range is older than now() - downsample_after are aggregated into downsample_into, then detached and dropped.';

--
-- Name: COLUMN "partition_policy"."downsample_into"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."downsample_into" IS 'The table receiving the aggregate of a downsampled partition (market.odds_bar_1m for market.odds_snapshot).';

--
-- Name: COLUMN "partition_policy"."enabled"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON COLUMN "maint"."partition_policy"."enabled" IS 'False: maintenance leaves this table alone (maint.ensure_partitions still works).';

--
-- Name: partition_bounds; Type: VIEW; Schema: maint; Owner: -
--

CREATE VIEW "maint"."partition_bounds" AS
 SELECT "pol"."parent",
    ("c"."oid")::"regclass" AS "partition",
    ("e"."expr" = 'DEFAULT'::"text") AS "is_default",
    (("regexp_match"("e"."expr", 'FROM \(''([^'']*)''\) TO'::"text"))[1])::timestamp with time zone AS "range_from",
    (("regexp_match"("e"."expr", 'TO \(''([^'']*)''\)'::"text"))[1])::timestamp with time zone AS "range_to"
   FROM ((("maint"."partition_policy" "pol"
     JOIN "pg_inherits" "i" ON (("i"."inhparent" = ("pol"."parent")::"oid")))
     JOIN "pg_class" "c" ON (("c"."oid" = "i"."inhrelid")))
     CROSS JOIN LATERAL ( SELECT "pg_get_expr"("c"."relpartbound", "c"."oid") AS "expr") "e");

--
-- Name: VIEW "partition_bounds"; Type: COMMENT; Schema: maint; Owner: -
--

COMMENT ON VIEW "maint"."partition_bounds" IS 'Every partition of every table in maint.partition_policy with its range [range_from, range_to); the default partition has is_default and null bounds.';

--
-- Name: external_market; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."external_market" (
    "external_market_id" bigint NOT NULL,
    "source_id" smallint NOT NULL,
    "external_id" "text" NOT NULL,
    "outcome" "text" NOT NULL,
    "selection_id" bigint,
    "question" "text",
    "status" "text",
    "resolution" "text",
    "resolved_at" timestamp with time zone,
    "metadata" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL
);

--
-- Name: TABLE "external_market"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."external_market" IS 'A prediction-market contract (Polymarket condition, Kalshi ticker) and outcome, linked to one of our selections, with its resolution.';

--
-- Name: COLUMN "external_market"."outcome"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."external_market"."outcome" IS 'The outcome within the external market: Yes or No, or a named outcome.';

--
-- Name: external_market_external_market_id_seq; Type: SEQUENCE; Schema: market; Owner: -
--

ALTER TABLE "market"."external_market" ALTER COLUMN "external_market_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "market"."external_market_external_market_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: market_correction_correction_id_seq; Type: SEQUENCE; Schema: market; Owner: -
--

ALTER TABLE "market"."market_correction" ALTER COLUMN "correction_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "market"."market_correction_correction_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: market_market_id_seq; Type: SEQUENCE; Schema: market; Owner: -
--

ALTER TABLE "market"."market" ALTER COLUMN "market_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "market"."market_market_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: market_type; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."market_type" (
    "code" "text" NOT NULL,
    "description" "text" NOT NULL,
    "allows_multiple_picks" boolean DEFAULT false NOT NULL,
    "event_kinds" "text"[] NOT NULL,
    CONSTRAINT "market_type_code_format" CHECK (("code" ~ '^[a-z][a-z0-9_]*$'::"text")),
    CONSTRAINT "market_type_event_kinds_known" CHECK ((("event_kinds" <@ ARRAY['match'::"text", 'game'::"text", 'race'::"text"]) AND ("cardinality"("event_kinds") > 0)))
);

--
-- Name: TABLE "market_type"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."market_type" IS 'The kinds of market scoreline settles, as data: match_result, correct_score, first_td_scorer, race_win, race_place, binary.';

--
-- Name: COLUMN "market_type"."allows_multiple_picks"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market_type"."allows_multiple_picks" IS 'Default for market.market.allows_multiple_picks: whether one forecaster may pick several selections of one market.';

--
-- Name: COLUMN "market_type"."event_kinds"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."market_type"."event_kinds" IS 'The event kinds this market type can be opened on.';

--
-- Name: odds_history; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."odds_history" (
    "observed_at" timestamp with time zone NOT NULL,
    "selection_id" bigint NOT NULL,
    "source_id" smallint NOT NULL,
    "price" numeric(10,4) NOT NULL,
    "batch_id" bigint NOT NULL,
    CONSTRAINT "odds_history_price_above_one" CHECK (("price" > (1)::numeric))
)
PARTITION BY RANGE ("observed_at");

--
-- Name: TABLE "odds_history"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."odds_history" IS 'Prices loaded from files (historical opening and closing prices, final win odds): one decimal price of a selection at a source at a time, with the ingest batch that loaded it (or last changed it). Partitioned by month on observed_at; kept forever by default (maint.partition_policy.retention null, which a DBA may change). No per-row foreign keys: rows are written set-based by the feeds'' merges from selections and sources that exist in the same transaction; deleting a selection deletes its prices, deleting a source with prices is refused (triggers on market.selection and market.source), and maint.dq_orphaned_odds() counts orphans.';

--
-- Name: COLUMN "odds_history"."observed_at"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_history"."observed_at" IS 'When the price held, as the file gives it (football-data: opening at kick-off - 48 h, closing at kick-off - 5 min; HKJC: final win odds at the estimated start - 10 min); the partition key.';

--
-- Name: COLUMN "odds_history"."selection_id"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_history"."selection_id" IS 'The selection priced (market.selection).';

--
-- Name: COLUMN "odds_history"."source_id"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_history"."source_id" IS 'The bookmaker, exchange or aggregate quoting the price (market.source).';

--
-- Name: COLUMN "odds_history"."price"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_history"."price" IS 'Decimal odds (> 1).';

--
-- Name: COLUMN "odds_history"."batch_id"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_history"."batch_id" IS 'The ingest.batch that loaded the price, or that last changed it (a corrected file re-loaded).';

--
-- Name: CONSTRAINT "odds_history_price_above_one" ON "odds_history"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "odds_history_price_above_one" ON "market"."odds_history" IS 'A historical price is decimal odds, above 1: a 1 (or 0) in a file is no price and is skipped by market.write_odds_history before it gets here.';

--
-- Name: odds_snapshot; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."odds_snapshot" (
    "observed_at" timestamp with time zone NOT NULL,
    "selection_id" bigint NOT NULL,
    "source_id" smallint NOT NULL,
    "back_price" numeric(10,4),
    "back_size" numeric(14,2),
    "lay_price" numeric(10,4),
    "lay_size" numeric(14,2),
    "last_traded_price" numeric(10,4),
    "volume" numeric(16,2),
    CONSTRAINT "odds_snapshot_back_price_above_one" CHECK (("back_price" > (1)::numeric)),
    CONSTRAINT "odds_snapshot_back_size_non_negative" CHECK (("back_size" >= (0)::numeric)),
    CONSTRAINT "odds_snapshot_has_a_price" CHECK (("num_nonnulls"("back_price", "lay_price", "last_traded_price") > 0)),
    CONSTRAINT "odds_snapshot_last_traded_price_above_one" CHECK (("last_traded_price" > (1)::numeric)),
    CONSTRAINT "odds_snapshot_lay_price_above_one" CHECK (("lay_price" > (1)::numeric)),
    CONSTRAINT "odds_snapshot_lay_size_non_negative" CHECK (("lay_size" >= (0)::numeric)),
    CONSTRAINT "odds_snapshot_volume_non_negative" CHECK (("volume" >= (0)::numeric))
)
PARTITION BY RANGE ("observed_at");

--
-- Name: TABLE "odds_snapshot"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."odds_snapshot" IS 'Prices of a selection at a source over time (decimal odds), partitioned by day on observed_at (UTC days). Partitions are created ahead by maint.run_partition_maintenance (or maint.ensure_partitions before a historic load); rows outside every partition land in market.odds_snapshot_default, which maint.default_partition_rows() reports. Raw partitions older than 7 days are downsampled into market.odds_bar_1m and dropped. A race''s prices over a time range: join market.market (event_id) -> market.selection -> this table; the primary key (selection_id leading) serves it within the daily partitions the time range prunes to.';

--
-- Name: COLUMN "odds_snapshot"."observed_at"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."observed_at" IS 'When the price was seen at the source; the partition key.';

--
-- Name: COLUMN "odds_snapshot"."back_price"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."back_price" IS 'Best price available to back (decimal odds, > 1).';

--
-- Name: COLUMN "odds_snapshot"."back_size"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."back_size" IS 'Money available to back at back_price.';

--
-- Name: COLUMN "odds_snapshot"."lay_price"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."lay_price" IS 'Best price available to lay (decimal odds, > 1).';

--
-- Name: COLUMN "odds_snapshot"."lay_size"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."lay_size" IS 'Money available to lay at lay_price.';

--
-- Name: COLUMN "odds_snapshot"."last_traded_price"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."last_traded_price" IS 'Price of the last matched trade; for a bookmaker or pari-mutuel source, its quoted odds.';

--
-- Name: COLUMN "odds_snapshot"."volume"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_snapshot"."volume" IS 'Cumulative money traded on the selection at the source up to observed_at (monotone, like Betfair totalMatched).';

--
-- Name: odds_all; Type: VIEW; Schema: market; Owner: -
--

CREATE VIEW "market"."odds_all" AS
 SELECT 'live'::"text" AS "origin",
    "o"."observed_at",
    "o"."selection_id",
    "o"."source_id",
    "o"."back_price",
    "o"."back_size",
    "o"."lay_price",
    "o"."lay_size",
    "o"."last_traded_price",
    "o"."volume",
    NULL::bigint AS "batch_id"
   FROM "market"."odds_snapshot" "o"
UNION ALL
 SELECT 'history'::"text" AS "origin",
    "h"."observed_at",
    "h"."selection_id",
    "h"."source_id",
    "h"."price" AS "back_price",
    NULL::numeric(14,2) AS "back_size",
    NULL::numeric(10,4) AS "lay_price",
    NULL::numeric(14,2) AS "lay_size",
    "h"."price" AS "last_traded_price",
    NULL::numeric(16,2) AS "volume",
    "h"."batch_id"
   FROM "market"."odds_history" "h";

--
-- Name: VIEW "odds_all"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON VIEW "market"."odds_all" IS 'Every price side by side: live-captured snapshots (origin live, market.odds_snapshot, daily partitions, downsampled after 7 days) and prices loaded from files (origin history, market.odds_history, monthly partitions, kept forever by default; their price is both back_price and last_traded_price, batch_id the load). A selection''s prices over a time range: filter on selection_id and observed_at, which both tables'' primary keys serve.';

--
-- Name: COLUMN "odds_all"."origin"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_all"."origin" IS 'live: captured as it happened (market.odds_snapshot); history: loaded from a file (market.odds_history).';

--
-- Name: COLUMN "odds_all"."batch_id"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_all"."batch_id" IS 'For history rows, the ingest.batch that loaded (or last changed) the price; null for live snapshots.';

--
-- Name: odds_bar_1m; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."odds_bar_1m" (
    "bucket" timestamp with time zone NOT NULL,
    "selection_id" bigint NOT NULL,
    "source_id" smallint NOT NULL,
    "back_open" numeric(10,4),
    "back_high" numeric(10,4),
    "back_low" numeric(10,4),
    "back_close" numeric(10,4),
    "lay_open" numeric(10,4),
    "lay_high" numeric(10,4),
    "lay_low" numeric(10,4),
    "lay_close" numeric(10,4),
    "last_traded_price" numeric(10,4),
    "volume" numeric(16,2),
    "snapshots" integer NOT NULL,
    "first_observed_at" timestamp with time zone NOT NULL,
    "last_observed_at" timestamp with time zone NOT NULL,
    CONSTRAINT "odds_bar_1m_back_ordered" CHECK ((("back_low" <= "back_high") AND (("back_open" >= "back_low") AND ("back_open" <= "back_high")) AND (("back_close" >= "back_low") AND ("back_close" <= "back_high")))),
    CONSTRAINT "odds_bar_1m_bucket_is_minute" CHECK (("bucket" = "date_trunc"('minute'::"text", "bucket"))),
    CONSTRAINT "odds_bar_1m_lay_ordered" CHECK ((("lay_low" <= "lay_high") AND (("lay_open" >= "lay_low") AND ("lay_open" <= "lay_high")) AND (("lay_close" >= "lay_low") AND ("lay_close" <= "lay_high")))),
    CONSTRAINT "odds_bar_1m_observed_within_bucket" CHECK ((("first_observed_at" >= "bucket") AND ("last_observed_at" < ("bucket" + '00:01:00'::interval)) AND ("first_observed_at" <= "last_observed_at"))),
    CONSTRAINT "odds_bar_1m_snapshots_positive" CHECK (("snapshots" > 0))
)
PARTITION BY RANGE ("bucket");

--
-- Name: TABLE "odds_bar_1m"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."odds_bar_1m" IS 'One-minute bars of market.odds_snapshot, written by maint.run_partition_maintenance when it downsamples a raw daily partition (the replacement for TimescaleDB compression). Partitioned by day on bucket.';

--
-- Name: COLUMN "odds_bar_1m"."bucket"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."bucket" IS 'Start of the minute (UTC), the partition key.';

--
-- Name: COLUMN "odds_bar_1m"."back_open"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."back_open" IS 'First non-null back price in the minute (by observed_at); back_close the last; back_high/back_low the extremes.';

--
-- Name: COLUMN "odds_bar_1m"."lay_open"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."lay_open" IS 'First non-null lay price in the minute (by observed_at); lay_close the last; lay_high/lay_low the extremes.';

--
-- Name: COLUMN "odds_bar_1m"."last_traded_price"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."last_traded_price" IS 'Close of the last traded price: the last non-null value in the minute.';

--
-- Name: COLUMN "odds_bar_1m"."volume"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."volume" IS 'The largest cumulative traded volume seen in the minute (cumulative volume only grows, so this is its close, and robust to out-of-order snapshots). Money traded during a minute is the difference from the previous bar.';

--
-- Name: COLUMN "odds_bar_1m"."snapshots"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."snapshots" IS 'How many raw snapshots the bar summarises.';

--
-- Name: COLUMN "odds_bar_1m"."first_observed_at"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."first_observed_at" IS 'observed_at of the first raw snapshot in the bar (lets late raw rows merge into the bar exactly).';

--
-- Name: COLUMN "odds_bar_1m"."last_observed_at"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."odds_bar_1m"."last_observed_at" IS 'observed_at of the last raw snapshot in the bar.';

--
-- Name: selection_selection_id_seq; Type: SEQUENCE; Schema: market; Owner: -
--

ALTER TABLE "market"."selection" ALTER COLUMN "selection_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "market"."selection_selection_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: source; Type: TABLE; Schema: market; Owner: -
--

CREATE TABLE "market"."source" (
    "source_id" smallint NOT NULL,
    "code" "text" NOT NULL,
    "name" "text" NOT NULL,
    "kind" "text" NOT NULL,
    "commission_rate" numeric(5,4) DEFAULT 0 NOT NULL,
    CONSTRAINT "source_code_format" CHECK (("code" ~ '^[a-z][a-z0-9_]*$'::"text")),
    CONSTRAINT "source_commission_rate_range" CHECK ((("commission_rate" >= (0)::numeric) AND ("commission_rate" < (1)::numeric))),
    CONSTRAINT "source_kind_known" CHECK (("kind" = ANY (ARRAY['exchange'::"text", 'bookmaker'::"text", 'prediction_market'::"text", 'aggregate'::"text"])))
);

--
-- Name: TABLE "source"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON TABLE "market"."source" IS 'Where prices come from: an exchange (Betfair), a bookmaker (Bet365, Pinnacle), a prediction market (Polymarket, Kalshi) or an aggregate (market average).';

--
-- Name: COLUMN "source"."commission_rate"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON COLUMN "market"."source"."commission_rate" IS 'Commission charged on net winnings (exchanges), as a fraction: 0.05 is 5%.';

--
-- Name: source_source_id_seq; Type: SEQUENCE; Schema: market; Owner: -
--

ALTER TABLE "market"."source" ALTER COLUMN "source_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "market"."source_source_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE "public"."schema_migrations" (
    "version" character varying(128) NOT NULL
);

--
-- Name: scoreline_sql_file; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE "public"."scoreline_sql_file" (
    "name" "text" NOT NULL,
    "sha256" "text" NOT NULL,
    "applied_at" timestamp with time zone DEFAULT "now"() NOT NULL
);

--
-- Name: TABLE "scoreline_sql_file"; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE "public"."scoreline_sql_file" IS 'Which version (sha256) of each file in sql/ was last applied by `scoreline migrate`; when nothing changed, migrate applies nothing.';

--
-- Name: check; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."check" (
    "check_id" integer NOT NULL,
    "name" "text" NOT NULL,
    "object" "regclass",
    "query" "text" NOT NULL,
    "expected" numeric,
    "min_value" numeric,
    "max_value" numeric,
    "severity" "text" DEFAULT 'error'::"text" NOT NULL,
    "enabled" boolean DEFAULT true NOT NULL,
    "description" "text",
    "timeout" interval DEFAULT '00:01:00'::interval NOT NULL,
    CONSTRAINT "check_has_threshold" CHECK ((("expected" IS NOT NULL) OR ("min_value" IS NOT NULL) OR ("max_value" IS NOT NULL))),
    CONSTRAINT "check_range_ordered" CHECK ((("min_value" IS NULL) OR ("max_value" IS NULL) OR ("min_value" <= "max_value"))),
    CONSTRAINT "check_severity_known" CHECK (("severity" = ANY (ARRAY['warn'::"text", 'error'::"text"]))),
    CONSTRAINT "check_timeout_range" CHECK ((("timeout" > '00:00:00'::interval) AND ("timeout" <= '01:00:00'::interval)))
);

--
-- Name: TABLE "check"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."check" IS 'Data-quality checks as data: a query returning one number, compared with expected / min_value / max_value. Run read-only after each refresh of their object and by refresh.run_checks() (nightly). A failing error-severity check blocks the object''s hard dependents.';

--
-- Name: COLUMN "check"."object"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."check"."object" IS 'The registered object it guards; null: a global check, run only by refresh.run_checks().';

--
-- Name: COLUMN "check"."query"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."check"."query" IS 'SQL returning one number in its first column, written by the owner role (only it defines or changes checks). Run by refresh.evaluate_check as the checker role: read-only, in a subtransaction rolled back afterwards, under the check''s timeout.';

--
-- Name: COLUMN "check"."severity"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."check"."severity" IS 'warn: recorded; error: recorded and blocks the hard dependents of its object.';

--
-- Name: COLUMN "check"."timeout"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."check"."timeout" IS 'How long the check''s query may wait for a lock, and run when it runs as its own statement (the nightly report); a check that takes longer fails with 55P03 or 57014. At most an hour.';

--
-- Name: CONSTRAINT "check_timeout_range" ON "check"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON CONSTRAINT "check_timeout_range" ON "refresh"."check" IS 'A data-quality check runs for more than 0 and at most an hour before it is cancelled.';

--
-- Name: check_check_id_seq; Type: SEQUENCE; Schema: refresh; Owner: -
--

ALTER TABLE "refresh"."check" ALTER COLUMN "check_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "refresh"."check_check_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: check_result; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."check_result" (
    "check_result_id" bigint NOT NULL,
    "check_id" integer NOT NULL,
    "run_id" bigint,
    "checked_at" timestamp with time zone DEFAULT "clock_timestamp"() NOT NULL,
    "value" numeric,
    "passed" boolean NOT NULL,
    "error_sqlstate" "text",
    "error_message" "text"
);

--
-- Name: TABLE "check_result"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."check_result" IS 'Every evaluation of a data-quality check: the value, whether it passed, and the error when its query failed (a failing query is a failed check).';

--
-- Name: COLUMN "check_result"."run_id"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."check_result"."run_id" IS 'The refresh.run after which it ran; null when run by refresh.run_checks() alone.';

--
-- Name: check_result_check_result_id_seq; Type: SEQUENCE; Schema: refresh; Owner: -
--

ALTER TABLE "refresh"."check_result" ALTER COLUMN "check_result_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "refresh"."check_result_check_result_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: checkpoint_checkpoint_id_seq; Type: SEQUENCE; Schema: refresh; Owner: -
--

ALTER TABLE "refresh"."checkpoint" ALTER COLUMN "checkpoint_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "refresh"."checkpoint_checkpoint_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: dependency; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."dependency" (
    "dependent" "regclass" NOT NULL,
    "parent" "regclass" NOT NULL,
    "strength" "text" DEFAULT 'hard'::"text" NOT NULL,
    "origin" "text" DEFAULT 'declared'::"text" NOT NULL,
    "note" "text",
    CONSTRAINT "dependency_not_self" CHECK ((("dependent")::"oid" <> ("parent")::"oid")),
    CONSTRAINT "dependency_origin_known" CHECK (("origin" = ANY (ARRAY['catalog'::"text", 'declared'::"text"]))),
    CONSTRAINT "dependency_strength_known" CHECK (("strength" = ANY (ARRAY['hard'::"text", 'soft'::"text"])))
);

--
-- Name: TABLE "dependency"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."dependency" IS 'What a registered object reads: discovered from the catalog (pg_depend through pg_rewrite, recursively through plain views down to tables and materialized views) or declared by hand (tables read inside functions). A failed parent or a failing error-severity check on it blocks hard dependents only.';

--
-- Name: COLUMN "dependency"."parent"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."dependency"."parent" IS 'A table, materialized view or plain view the dependent reads; when it is itself registered, it is refreshed first.';

--
-- Name: COLUMN "dependency"."strength"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."dependency"."strength" IS 'hard: the dependent is skipped while the parent failed or fails an error check; soft: refreshed anyway.';

--
-- Name: COLUMN "dependency"."origin"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."dependency"."origin" IS 'catalog: rediscovered on every DDL (rows that disappear from the catalog go); declared: kept until deleted.';

--
-- Name: object; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."object" (
    "object" "regclass" NOT NULL,
    "kind" "text" NOT NULL,
    "enabled" boolean DEFAULT true NOT NULL,
    "method" "text" NOT NULL,
    "refresh_function" "text",
    "parameters" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "priority" integer DEFAULT 100 NOT NULL,
    "frequency" interval,
    "sla" interval,
    "stale_since" timestamp with time zone,
    "next_refresh_at" timestamp with time zone,
    "last_refresh_at" timestamp with time zone,
    "last_duration" interval,
    "last_status" "text",
    "last_error" "text",
    "registered_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "registered_by" "text" DEFAULT 'manual'::"text" NOT NULL,
    CONSTRAINT "object_frequency_positive" CHECK (("frequency" > '00:00:00'::interval)),
    CONSTRAINT "object_function_named_iff_function_method" CHECK ((("method" = 'function'::"text") = ("refresh_function" IS NOT NULL))),
    CONSTRAINT "object_kind_known" CHECK (("kind" = ANY (ARRAY['materialized_view'::"text", 'table'::"text"]))),
    CONSTRAINT "object_last_status_known" CHECK (("last_status" = ANY (ARRAY['success'::"text", 'failed'::"text", 'warning'::"text"]))),
    CONSTRAINT "object_method_known" CHECK (("method" = ANY (ARRAY['concurrent'::"text", 'full'::"text", 'function'::"text", 'maintained'::"text"]))),
    CONSTRAINT "object_parameters_is_object" CHECK (("jsonb_typeof"("parameters") = 'object'::"text")),
    CONSTRAINT "object_registered_by_known" CHECK (("registered_by" = ANY (ARRAY['event_trigger'::"text", 'sync'::"text", 'manual'::"text"]))),
    CONSTRAINT "object_sla_positive" CHECK (("sla" > '00:00:00'::interval))
);

--
-- Name: TABLE "object"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."object" IS 'One row per derived object scoreline keeps fresh. Materialized views and tables created in schema stats are registered by an event trigger and unregistered when dropped; others may be inserted by hand.';

--
-- Name: COLUMN "object"."object"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."object" IS 'The materialized view or table. A regclass: names are always quoted by the catalog, never spliced.';

--
-- Name: COLUMN "object"."kind"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."kind" IS 'materialized_view or table; set from the catalog.';

--
-- Name: COLUMN "object"."method"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."method" IS 'concurrent: REFRESH MATERIALIZED VIEW CONCURRENTLY when populated and a usable unique index exists, plain otherwise; full: always plain REFRESH; function: call refresh_function(object regclass, parameters jsonb); maintained: kept current by triggers, a refresh is a no-op audited as skipped.';

--
-- Name: COLUMN "object"."refresh_function"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."refresh_function" IS 'For method function: schema-qualified name of a function taking (regclass, jsonb), e.g. stats.rebuild_player_stats. Resolved through to_regprocedure, never spliced.';

--
-- Name: COLUMN "object"."parameters"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."parameters" IS 'Options: lock_timeout and statement_timeout (PostgreSQL duration strings such as 5s or 500ms), count_rows (boolean, default true), args (any json passed to refresh_function).';

--
-- Name: COLUMN "object"."priority"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."priority" IS 'Within one level of the dependency graph, higher priority refreshes first.';

--
-- Name: COLUMN "object"."frequency"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."frequency" IS 'Refresh at least this often even when nothing marked the object stale; null: only when stale.';

--
-- Name: COLUMN "object"."sla"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."sla" IS 'The longest the object may stay stale; refresh.status.sla_breached says when it has been stale longer.';

--
-- Name: COLUMN "object"."stale_since"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."stale_since" IS 'When a change to something it depends on first made it stale since its last refresh; null when fresh.';

--
-- Name: COLUMN "object"."next_refresh_at"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."next_refresh_at" IS 'When frequency makes it due next.';

--
-- Name: COLUMN "object"."last_refresh_at"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."last_refresh_at" IS 'When its last successful refresh finished.';

--
-- Name: COLUMN "object"."last_status"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."object"."last_status" IS 'Outcome of its last refresh that was not skipped: success, warning (a data-quality check failed) or failed.';

--
-- Name: dag_edge; Type: VIEW; Schema: refresh; Owner: -
--

CREATE VIEW "refresh"."dag_edge" AS
 SELECT "d"."parent",
        CASE
            WHEN ("p"."object" IS NOT NULL) THEN 'registered'::"text"
            ELSE
            CASE "c"."relkind"
                WHEN 'r'::"char" THEN 'table'::"text"
                WHEN 'p'::"char" THEN 'table'::"text"
                WHEN 'f'::"char" THEN 'foreign table'::"text"
                WHEN 'v'::"char" THEN 'view'::"text"
                WHEN 'm'::"char" THEN 'materialized view'::"text"
                ELSE 'relation'::"text"
            END
        END AS "parent_kind",
    "d"."dependent",
    "d"."strength",
    "d"."origin"
   FROM (("refresh"."dependency" "d"
     LEFT JOIN "refresh"."object" "p" ON ((("p"."object")::"oid" = ("d"."parent")::"oid")))
     LEFT JOIN "pg_class" "c" ON (("c"."oid" = ("d"."parent")::"oid")));

--
-- Name: VIEW "dag_edge"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON VIEW "refresh"."dag_edge" IS 'The dependency graph''s edges: parent → dependent, whether the parent is itself registered, hard or soft, discovered or declared. `scoreline dag` prints it.';

--
-- Name: failing_check; Type: VIEW; Schema: refresh; Owner: -
--

CREATE VIEW "refresh"."failing_check" AS
 SELECT "c"."check_id",
    "c"."name",
    "c"."object",
    "c"."severity",
    "r"."value",
    "r"."checked_at",
    "r"."error_sqlstate",
    "r"."error_message",
        CASE
            WHEN ("r"."error_sqlstate" IS NOT NULL) THEN "format"('its query failed: %s (SQLSTATE %s)'::"text", "refresh"."sqlstate_reason"("r"."error_sqlstate"), "r"."error_sqlstate")
            WHEN ("r"."value" IS NULL) THEN 'its query returned no value'::"text"
            ELSE "format"('value %s, expected %s'::"text", "r"."value", "refresh"."check_expectation"("c"."expected", "c"."min_value", "c"."max_value"))
        END AS "detail"
   FROM ("refresh"."check" "c"
     CROSS JOIN LATERAL ( SELECT "x"."check_result_id",
            "x"."check_id",
            "x"."run_id",
            "x"."checked_at",
            "x"."value",
            "x"."passed",
            "x"."error_sqlstate",
            "x"."error_message"
           FROM "refresh"."check_result" "x"
          WHERE ("x"."check_id" = "c"."check_id")
          ORDER BY "x"."checked_at" DESC, "x"."check_result_id" DESC
         LIMIT 1) "r")
  WHERE ("c"."enabled" AND (NOT "r"."passed"));

--
-- Name: VIEW "failing_check"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON VIEW "refresh"."failing_check" IS 'Enabled checks whose latest result failed, with what went wrong. An error-severity one blocks its object''s hard dependents. detail (shown to readers by refresh.status) gives a failed query''s SQLSTATE and a generic reason; error_message (owner and worker only) what the server said.';

--
-- Name: run; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."run" (
    "run_id" bigint NOT NULL,
    "started_at" timestamp with time zone DEFAULT "clock_timestamp"() NOT NULL,
    "run_group" bigint,
    "object" "regclass",
    "object_name" "text" NOT NULL,
    "trigger_source" "text" NOT NULL,
    "status" "text" NOT NULL,
    "method" "text",
    "reason" "text",
    "rows_before" bigint,
    "rows_after" bigint,
    "finished_at" timestamp with time zone,
    "duration" interval,
    "error_sqlstate" "text",
    "error_message" "text",
    "error_detail" "text",
    "error_context" "text",
    "parameters" "jsonb",
    "stale_since" timestamp with time zone,
    "backend_pid" integer DEFAULT "pg_backend_pid"() NOT NULL,
    "backend_start" timestamp with time zone,
    CONSTRAINT "run_finished_after_start" CHECK ((("finished_at" IS NULL) OR ("finished_at" >= "started_at"))),
    CONSTRAINT "run_status_known" CHECK (("status" = ANY (ARRAY['running'::"text", 'success'::"text", 'failed'::"text", 'warning'::"text", 'skipped'::"text"]))),
    CONSTRAINT "run_trigger_source_known" CHECK (("trigger_source" = ANY (ARRAY['cron'::"text", 'manual'::"text", 'event'::"text", 'http'::"text"])))
)
PARTITION BY RANGE ("started_at");

--
-- Name: TABLE "run"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."run" IS 'The audit log: one row per refresh attempt, partitioned by month (refresh.maintain_run_partitions creates months ahead and drops those past retention).';

--
-- Name: COLUMN "run"."run_group"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."run_group" IS 'The refresh pass this attempt belonged to (refresh.run_group_seq).';

--
-- Name: COLUMN "run"."object_name"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."object_name" IS 'The object''s name when it ran, kept readable after the object is dropped.';

--
-- Name: COLUMN "run"."trigger_source"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."trigger_source" IS 'What asked for it: cron, manual, event (a completion) or http.';

--
-- Name: COLUMN "run"."status"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."status" IS 'running, success, warning (refreshed, a data-quality check failed), failed, or skipped (reason says why).';

--
-- Name: COLUMN "run"."method"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."method" IS 'How it was refreshed: concurrent, full, function, maintained.';

--
-- Name: COLUMN "run"."reason"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."reason" IS 'Why it ran (stale since, due, forced, requested, depends on …) or why it was skipped.';

--
-- Name: COLUMN "run"."stale_since"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."stale_since" IS 'The staleness this run cleared; given back to the object when the run fails.';

--
-- Name: COLUMN "run"."backend_pid"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."run"."backend_pid" IS 'The backend running it; refresh.reap() marks running rows whose backend is gone failed.';

--
-- Name: run_group_seq; Type: SEQUENCE; Schema: refresh; Owner: -
--

CREATE SEQUENCE "refresh"."run_group_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE "run_group_seq"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON SEQUENCE "refresh"."run_group_seq" IS 'Numbers one refresh pass (one refresh.run_due call, or one CLI run): the runs it audits share it.';

--
-- Name: run_run_id_seq; Type: SEQUENCE; Schema: refresh; Owner: -
--

ALTER TABLE "refresh"."run" ALTER COLUMN "run_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "refresh"."run_run_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: source; Type: TABLE; Schema: refresh; Owner: -
--

CREATE TABLE "refresh"."source" (
    "source" "regclass" NOT NULL,
    "object" "regclass" NOT NULL
);

--
-- Name: TABLE "source"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON TABLE "refresh"."source" IS 'Derived by refresh.sync(): for each base table (and each of its partitions), the registered objects a write to it makes stale, directly or through other registered objects. The staleness triggers read this by its primary key.';

--
-- Name: status; Type: VIEW; Schema: refresh; Owner: -
--

CREATE VIEW "refresh"."status" AS
 SELECT "o"."object",
    "o"."kind",
    "o"."method",
    "o"."enabled",
    "s"."state",
    "o"."stale_since",
    "o"."last_refresh_at" AS "last_success",
    "o"."last_duration",
    COALESCE((("o"."sla" IS NOT NULL) AND ("s"."behind_since" IS NOT NULL) AND (("now"() - "s"."behind_since") > "o"."sla")), false) AS "sla_breached",
    "s"."reason",
    "o"."next_refresh_at",
    "o"."sla",
    "o"."priority"
   FROM ((("refresh"."object" "o"
     JOIN "pg_class" "c" ON (("c"."oid" = ("o"."object")::"oid")))
     CROSS JOIN LATERAL ( SELECT ( SELECT "format"('data-quality check %s failed: %s'::"text", "quote_literal"("f"."name"), "f"."detail") AS "format"
                   FROM "refresh"."failing_check" "f"
                  WHERE ((("f"."object")::"oid" = ("o"."object")::"oid") AND ("f"."severity" = 'error'::"text"))
                  ORDER BY "f"."name"
                 LIMIT 1) AS "own_check",
            "refresh"."blocked_reason"("o"."object") AS "blocked",
            (("o"."kind" = 'materialized_view'::"text") AND (NOT "c"."relispopulated")) AS "unpopulated",
            ("o"."next_refresh_at" <= "now"()) AS "due") "x")
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN ("o"."last_status" = 'failed'::"text") THEN 'failed'::"text"
                    WHEN ("x"."own_check" IS NOT NULL) THEN 'failed'::"text"
                    WHEN ("x"."blocked" IS NOT NULL) THEN 'blocked'::"text"
                    WHEN (("o"."stale_since" IS NOT NULL) OR "x"."due" OR "x"."unpopulated") THEN 'stale'::"text"
                    ELSE 'fresh'::"text"
                END AS "state",
                CASE
                    WHEN ("o"."last_status" = 'failed'::"text") THEN ('the last refresh failed: '::"text" || "o"."last_error")
                    WHEN ("x"."own_check" IS NOT NULL) THEN "x"."own_check"
                    WHEN ("x"."blocked" IS NOT NULL) THEN ('blocked: '::"text" || "x"."blocked")
                    WHEN "x"."unpopulated" THEN 'never populated'::"text"
                    WHEN ("o"."stale_since" IS NOT NULL) THEN ('a source changed at '::"text" || "o"."stale_since")
                    WHEN "x"."due" THEN ('due since '::"text" || "o"."next_refresh_at")
                    ELSE NULL::"text"
                END AS "reason",
            COALESCE("o"."stale_since",
                CASE
                    WHEN "x"."due" THEN "o"."next_refresh_at"
                    ELSE NULL::timestamp with time zone
                END,
                CASE
                    WHEN "x"."unpopulated" THEN "o"."registered_at"
                    ELSE NULL::timestamp with time zone
                END) AS "behind_since") "s");

--
-- Name: VIEW "status"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON VIEW "refresh"."status" IS 'One row per registered object: fresh, stale, failed or blocked, since when, its last success and duration, whether it is stale for longer than its SLA, and why.';

--
-- Name: view_edge; Type: VIEW; Schema: refresh; Owner: -
--

CREATE VIEW "refresh"."view_edge" AS
 SELECT DISTINCT ("d"."refobjid")::"regclass" AS "parent",
        CASE
            WHEN ("p"."object" IS NOT NULL) THEN 'registered'::"text"
            ELSE
            CASE "c"."relkind"
                WHEN 'r'::"char" THEN 'table'::"text"
                WHEN 'p'::"char" THEN 'table'::"text"
                WHEN 'f'::"char" THEN 'foreign table'::"text"
                WHEN 'v'::"char" THEN 'view'::"text"
                WHEN 'm'::"char" THEN 'materialized view'::"text"
                ELSE 'relation'::"text"
            END
        END AS "parent_kind",
    ("v"."oid")::"regclass" AS "dependent"
   FROM ((((("pg_class" "v"
     JOIN "pg_namespace" "n" ON ((("n"."oid" = "v"."relnamespace") AND ("n"."nspname" = 'stats'::"name"))))
     JOIN "pg_rewrite" "r" ON (("r"."ev_class" = "v"."oid")))
     JOIN "pg_depend" "d" ON ((("d"."classid" = ('"pg_rewrite"'::"regclass")::"oid") AND ("d"."objid" = "r"."oid") AND ("d"."refclassid" = ('"pg_class"'::"regclass")::"oid") AND ("d"."refobjid" <> "v"."oid") AND ("d"."deptype" = 'n'::"char"))))
     JOIN "pg_class" "c" ON (("c"."oid" = "d"."refobjid")))
     LEFT JOIN "refresh"."object" "p" ON ((("p"."object")::"oid" = "d"."refobjid")))
  WHERE ("v"."relkind" = 'v'::"char");

--
-- Name: VIEW "view_edge"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON VIEW "refresh"."view_edge" IS 'The plain views of stats (not registered: current at commit) and the relations each reads: parent → dependent, whether the parent is registered. `scoreline dag` draws them after what they read.';

--
-- Name: COLUMN "view_edge"."parent"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."view_edge"."parent" IS 'A relation the plain view reads (pg_depend through the view''s rewrite rule).';

--
-- Name: COLUMN "view_edge"."parent_kind"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."view_edge"."parent_kind" IS 'registered (in refresh.object: refreshed by scoreline refresh), or what else the parent is: table, foreign table, view, materialized view, relation.';

--
-- Name: COLUMN "view_edge"."dependent"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON COLUMN "refresh"."view_edge"."dependent" IS 'The plain view of stats that reads the parent: current at commit, never refreshed itself.';

--
-- Name: model_calibration; Type: MATERIALIZED VIEW; Schema: stats; Owner: -
--

CREATE MATERIALIZED VIEW "stats"."model_calibration" AS
 SELECT "ps"."forecaster_id" AS "model_id",
    "b"."bucket",
    ((("b"."bucket" - 1))::numeric / 10.0) AS "probability_low",
    (("b"."bucket")::numeric / 10.0) AS "probability_high",
    ("count"(*))::integer AS "predictions",
    "avg"("ps"."probability") AS "mean_probability",
    "avg"(
        CASE
            WHEN ("ps"."outcome" = 'win'::"text") THEN 1.0
            ELSE 0.0
        END) AS "observed_rate",
    "avg"("ps"."brier") AS "brier",
    "avg"("ps"."log_loss") AS "log_loss"
   FROM (("forecast"."prediction_score" "ps"
     JOIN "forecast"."forecaster" "f" ON ((("f"."forecaster_id" = "ps"."forecaster_id") AND ("f"."kind" = 'model'::"text"))))
     CROSS JOIN LATERAL ( SELECT LEAST("width_bucket"("ps"."probability", (0)::numeric, (1)::numeric, 10), 10) AS "bucket") "b")
  WHERE (("ps"."outcome" <> 'void'::"text") AND ("ps"."probability" IS NOT NULL))
  GROUP BY "ps"."forecaster_id", "b"."bucket"
  WITH NO DATA;

--
-- Name: MATERIALIZED VIEW "model_calibration"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON MATERIALIZED VIEW "stats"."model_calibration" IS 'Model calibration by probability bucket (tenths): predictions, mean stated probability, observed win rate, mean Brier score and log loss. Void predictions and those without probability are left out. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';

--
-- Name: COLUMN "model_calibration"."bucket"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."model_calibration"."bucket" IS '1..10: probability in [(bucket-1)/10, bucket/10); 1.0 falls in bucket 10.';

--
-- Name: model_event_agg; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."model_event_agg" (
    "model_id" bigint NOT NULL,
    "event_id" bigint NOT NULL,
    "competition_id" integer NOT NULL,
    "season_id" integer NOT NULL,
    "home_team_id" integer,
    "away_team_id" integer,
    "predictions" integer NOT NULL,
    "points" numeric NOT NULL,
    "win_count" integer NOT NULL,
    "draw_count" integer NOT NULL,
    "loss_count" integer NOT NULL,
    "total_units" numeric NOT NULL,
    "units_count" integer NOT NULL,
    CONSTRAINT "model_event_agg_predictions_positive" CHECK (("predictions" > 0))
);

--
-- Name: TABLE "model_event_agg"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."model_event_agg" IS 'One row per (model, event) with at least one scored prediction: that event''s contribution to the model statistics, and the keys (competition, season, clubs) it was added under, so it can be taken back exactly. Maintained by stats.apply_model_stats; no foreign key to core.event so that a deleted event''s contribution can still be subtracted.';

--
-- Name: COLUMN "model_event_agg"."units_count"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."model_event_agg"."units_count" IS 'How many of the predictions had units (odds taken): total_units is shown as null when none had.';

--
-- Name: model_stats_club_agg; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."model_stats_club_agg" (
    "model_id" bigint NOT NULL,
    "club_id" integer NOT NULL,
    "season_id" integer NOT NULL,
    "is_home" boolean NOT NULL,
    "total_matches" integer NOT NULL,
    "total_points" numeric NOT NULL,
    "win_count" integer NOT NULL,
    "draw_count" integer NOT NULL,
    "loss_count" integer NOT NULL,
    "total_units" numeric NOT NULL,
    "units_count" integer NOT NULL,
    CONSTRAINT "model_stats_club_agg_draw_count_non_negative" CHECK (("draw_count" >= 0)),
    CONSTRAINT "model_stats_club_agg_loss_count_non_negative" CHECK (("loss_count" >= 0)),
    CONSTRAINT "model_stats_club_agg_matches_positive" CHECK (("total_matches" > 0)),
    CONSTRAINT "model_stats_club_agg_units_count_non_negative" CHECK (("units_count" >= 0)),
    CONSTRAINT "model_stats_club_agg_win_count_non_negative" CHECK (("win_count" >= 0))
);

--
-- Name: TABLE "model_stats_club_agg"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."model_stats_club_agg" IS 'Model statistics per club, season and home/away as sums, folded from stats.model_stats_club_delta by stats.fold_model_stats. Read through stats.mv_model_stats_club.';

--
-- Name: model_stats_club_delta; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."model_stats_club_delta" (
    "delta_id" bigint NOT NULL,
    "model_id" bigint NOT NULL,
    "club_id" integer NOT NULL,
    "season_id" integer NOT NULL,
    "is_home" boolean NOT NULL,
    "total_matches" integer NOT NULL,
    "total_points" numeric NOT NULL,
    "win_count" integer NOT NULL,
    "draw_count" integer NOT NULL,
    "loss_count" integer NOT NULL,
    "total_units" numeric NOT NULL,
    "units_count" integer NOT NULL
);

--
-- Name: TABLE "model_stats_club_delta"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."model_stats_club_delta" IS 'Signed changes to stats.model_stats_club_agg appended by scoring and not yet folded into it (stats.fold_model_stats).';

--
-- Name: model_stats_club_current; Type: VIEW; Schema: stats; Owner: -
--

CREATE VIEW "stats"."model_stats_club_current" AS
 SELECT "t"."model_id",
    "t"."club_id",
    "t"."season_id",
    "t"."is_home",
    ("sum"("t"."total_matches"))::integer AS "total_matches",
    "sum"("t"."total_points") AS "total_points",
    ("sum"("t"."win_count"))::integer AS "win_count",
    ("sum"("t"."draw_count"))::integer AS "draw_count",
    ("sum"("t"."loss_count"))::integer AS "loss_count",
    "sum"("t"."total_units") AS "total_units",
    ("sum"("t"."units_count"))::integer AS "units_count"
   FROM ( SELECT "model_stats_club_agg"."model_id",
            "model_stats_club_agg"."club_id",
            "model_stats_club_agg"."season_id",
            "model_stats_club_agg"."is_home",
            "model_stats_club_agg"."total_matches",
            "model_stats_club_agg"."total_points",
            "model_stats_club_agg"."win_count",
            "model_stats_club_agg"."draw_count",
            "model_stats_club_agg"."loss_count",
            "model_stats_club_agg"."total_units",
            "model_stats_club_agg"."units_count"
           FROM "stats"."model_stats_club_agg"
        UNION ALL
         SELECT "model_stats_club_delta"."model_id",
            "model_stats_club_delta"."club_id",
            "model_stats_club_delta"."season_id",
            "model_stats_club_delta"."is_home",
            "model_stats_club_delta"."total_matches",
            "model_stats_club_delta"."total_points",
            "model_stats_club_delta"."win_count",
            "model_stats_club_delta"."draw_count",
            "model_stats_club_delta"."loss_count",
            "model_stats_club_delta"."total_units",
            "model_stats_club_delta"."units_count"
           FROM "stats"."model_stats_club_delta") "t"
  GROUP BY "t"."model_id", "t"."club_id", "t"."season_id", "t"."is_home"
 HAVING ("sum"("t"."total_matches") > 0);

--
-- Name: VIEW "model_stats_club_current"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON VIEW "stats"."model_stats_club_current" IS 'The model statistics sums per club, season and home/away as of now: the folded sums plus the deltas not yet folded.';

--
-- Name: model_stats_club_delta_delta_id_seq; Type: SEQUENCE; Schema: stats; Owner: -
--

ALTER TABLE "stats"."model_stats_club_delta" ALTER COLUMN "delta_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "stats"."model_stats_club_delta_delta_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: model_stats_competition_agg; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."model_stats_competition_agg" (
    "model_id" bigint NOT NULL,
    "competition_id" integer NOT NULL,
    "season_id" integer NOT NULL,
    "total_matches" integer NOT NULL,
    "total_points" numeric NOT NULL,
    "win_count" integer NOT NULL,
    "draw_count" integer NOT NULL,
    "loss_count" integer NOT NULL,
    "total_units" numeric NOT NULL,
    "units_count" integer NOT NULL,
    CONSTRAINT "model_stats_competition_agg_draw_count_non_negative" CHECK (("draw_count" >= 0)),
    CONSTRAINT "model_stats_competition_agg_loss_count_non_negative" CHECK (("loss_count" >= 0)),
    CONSTRAINT "model_stats_competition_agg_matches_positive" CHECK (("total_matches" > 0)),
    CONSTRAINT "model_stats_competition_agg_units_count_non_negative" CHECK (("units_count" >= 0)),
    CONSTRAINT "model_stats_competition_agg_win_count_non_negative" CHECK (("win_count" >= 0))
);

--
-- Name: TABLE "model_stats_competition_agg"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."model_stats_competition_agg" IS 'Model statistics per competition and season as sums, folded from stats.model_stats_competition_delta by stats.fold_model_stats (the refresh orchestrator''s incremental method). Read through stats.mv_model_stats_competition and stats.mv_model_stats_overall.';

--
-- Name: model_stats_competition_delta; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."model_stats_competition_delta" (
    "delta_id" bigint NOT NULL,
    "model_id" bigint NOT NULL,
    "competition_id" integer NOT NULL,
    "season_id" integer NOT NULL,
    "total_matches" integer NOT NULL,
    "total_points" numeric NOT NULL,
    "win_count" integer NOT NULL,
    "draw_count" integer NOT NULL,
    "loss_count" integer NOT NULL,
    "total_units" numeric NOT NULL,
    "units_count" integer NOT NULL
);

--
-- Name: TABLE "model_stats_competition_delta"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."model_stats_competition_delta" IS 'Signed changes to stats.model_stats_competition_agg appended by scoring (stats.apply_model_stats) and not yet folded into it (stats.fold_model_stats). Append-only between folds, so concurrent scorings never wait on each other; no foreign keys, for the same reason (the fold and stats.dq_model_stats_incremental_vs_full check them).';

--
-- Name: model_stats_competition_current; Type: VIEW; Schema: stats; Owner: -
--

CREATE VIEW "stats"."model_stats_competition_current" AS
 SELECT "t"."model_id",
    "t"."competition_id",
    "t"."season_id",
    ("sum"("t"."total_matches"))::integer AS "total_matches",
    "sum"("t"."total_points") AS "total_points",
    ("sum"("t"."win_count"))::integer AS "win_count",
    ("sum"("t"."draw_count"))::integer AS "draw_count",
    ("sum"("t"."loss_count"))::integer AS "loss_count",
    "sum"("t"."total_units") AS "total_units",
    ("sum"("t"."units_count"))::integer AS "units_count"
   FROM ( SELECT "model_stats_competition_agg"."model_id",
            "model_stats_competition_agg"."competition_id",
            "model_stats_competition_agg"."season_id",
            "model_stats_competition_agg"."total_matches",
            "model_stats_competition_agg"."total_points",
            "model_stats_competition_agg"."win_count",
            "model_stats_competition_agg"."draw_count",
            "model_stats_competition_agg"."loss_count",
            "model_stats_competition_agg"."total_units",
            "model_stats_competition_agg"."units_count"
           FROM "stats"."model_stats_competition_agg"
        UNION ALL
         SELECT "model_stats_competition_delta"."model_id",
            "model_stats_competition_delta"."competition_id",
            "model_stats_competition_delta"."season_id",
            "model_stats_competition_delta"."total_matches",
            "model_stats_competition_delta"."total_points",
            "model_stats_competition_delta"."win_count",
            "model_stats_competition_delta"."draw_count",
            "model_stats_competition_delta"."loss_count",
            "model_stats_competition_delta"."total_units",
            "model_stats_competition_delta"."units_count"
           FROM "stats"."model_stats_competition_delta") "t"
  GROUP BY "t"."model_id", "t"."competition_id", "t"."season_id"
 HAVING ("sum"("t"."total_matches") > 0);

--
-- Name: VIEW "model_stats_competition_current"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON VIEW "stats"."model_stats_competition_current" IS 'The model statistics sums per competition and season as of now: the folded sums plus the deltas not yet folded.';

--
-- Name: model_stats_competition_delta_delta_id_seq; Type: SEQUENCE; Schema: stats; Owner: -
--

ALTER TABLE "stats"."model_stats_competition_delta" ALTER COLUMN "delta_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "stats"."model_stats_competition_delta_delta_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: mv_model_stats_club; Type: VIEW; Schema: stats; Owner: -
--

CREATE VIEW "stats"."mv_model_stats_club" AS
 SELECT "a"."model_id",
    "a"."club_id",
    "a"."season_id",
    "s"."label" AS "season",
    "a"."is_home",
    "a"."total_matches",
    "a"."total_points",
    "round"(("a"."total_points" / ("a"."total_matches")::numeric), 4) AS "avg_points",
    "round"((("a"."win_count")::numeric / (NULLIF(("a"."win_count" + "a"."loss_count"), 0))::numeric), 4) AS "win_rate",
    "a"."win_count",
    "a"."draw_count",
    "a"."loss_count",
        CASE
            WHEN ("a"."units_count" > 0) THEN "a"."total_units"
            ELSE NULL::numeric
        END AS "total_units",
    "f"."name" AS "model_name",
    "f"."version" AS "model_version",
    "t"."name" AS "club_name",
    ("a"."total_points" / ("a"."total_matches")::numeric) AS "avg_points_exact",
    (("a"."win_count")::numeric / (NULLIF(("a"."win_count" + "a"."loss_count"), 0))::numeric) AS "win_rate_exact"
   FROM ((("stats"."model_stats_club_current" "a"
     JOIN "core"."season" "s" ON (("s"."season_id" = "a"."season_id")))
     JOIN "core"."team" "t" ON (("t"."team_id" = "a"."club_id")))
     JOIN "forecast"."forecaster" "f" ON (("f"."forecaster_id" = "a"."model_id")));

--
-- Name: VIEW "mv_model_stats_club"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON VIEW "stats"."mv_model_stats_club" IS 'Model performance per club, season and home/away: every prediction on a match counts for its home club (is_home) and its away club. Refresh policy: none needed — a plain view over sums maintained by scoring in its own transaction (stats.model_stats_club_current); not materialized, despite the mv_ prefix of its name. Ratios people read are rounded to 4 decimals (avg_points, win_rate); avg_points_exact and win_rate_exact keep full precision. model_name and model_version name the model_id, club_name the club.';

--
-- Name: mv_model_stats_competition; Type: VIEW; Schema: stats; Owner: -
--

CREATE VIEW "stats"."mv_model_stats_competition" AS
 SELECT "a"."model_id",
    "a"."competition_id",
    "a"."season_id",
    "s"."label" AS "season",
    "a"."total_matches",
    "a"."total_points",
    "round"(("a"."total_points" / ("a"."total_matches")::numeric), 4) AS "avg_points",
    "round"((("a"."win_count")::numeric / (NULLIF(("a"."win_count" + "a"."loss_count"), 0))::numeric), 4) AS "win_rate",
    "a"."win_count",
    "a"."draw_count",
    "a"."loss_count",
        CASE
            WHEN ("a"."units_count" > 0) THEN "a"."total_units"
            ELSE NULL::numeric
        END AS "total_units",
    "f"."name" AS "model_name",
    "f"."version" AS "model_version",
    "c"."code" AS "competition",
    ("a"."total_points" / ("a"."total_matches")::numeric) AS "avg_points_exact",
    (("a"."win_count")::numeric / (NULLIF(("a"."win_count" + "a"."loss_count"), 0))::numeric) AS "win_rate_exact"
   FROM ((("stats"."model_stats_competition_current" "a"
     JOIN "core"."season" "s" ON (("s"."season_id" = "a"."season_id")))
     JOIN "core"."competition" "c" ON (("c"."competition_id" = "a"."competition_id")))
     JOIN "forecast"."forecaster" "f" ON (("f"."forecaster_id" = "a"."model_id")));

--
-- Name: VIEW "mv_model_stats_competition"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON VIEW "stats"."mv_model_stats_competition" IS 'Model performance per competition and season: matches (events) predicted, points, average points per match, win rate = wins / (wins + losses), win/draw/loss counts (win = correct, loss = wrong, draw = void), units. Refresh policy: none needed — a plain view over sums that scoring maintains in its own transaction (stats.model_stats_competition_current); not materialized, despite the mv_ prefix of its name. Ratios people read are rounded to 4 decimals (avg_points, win_rate); avg_points_exact and win_rate_exact keep full precision. model_name and model_version name the model_id, competition its code.';

--
-- Name: mv_model_stats_overall; Type: VIEW; Schema: stats; Owner: -
--

CREATE VIEW "stats"."mv_model_stats_overall" AS
SELECT
    NULL::bigint AS "model_id",
    NULL::integer AS "total_matches",
    NULL::numeric AS "total_points",
    NULL::numeric AS "avg_points",
    NULL::numeric AS "win_rate",
    NULL::integer AS "win_count",
    NULL::integer AS "draw_count",
    NULL::integer AS "loss_count",
    NULL::numeric AS "total_units",
    NULL::"text" AS "model_name",
    NULL::"text" AS "model_version",
    NULL::numeric AS "avg_points_exact",
    NULL::numeric AS "win_rate_exact";

--
-- Name: VIEW "mv_model_stats_overall"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON VIEW "stats"."mv_model_stats_overall" IS 'Model performance over current seasons only (core.season.is_current), same measures as stats.mv_model_stats_competition. Refresh policy: none needed — a plain view summing the few current-season sums of each model, current when scoring commits; not materialized, despite the mv_ prefix of its name. Ratios people read are rounded to 4 decimals (avg_points, win_rate); avg_points_exact and win_rate_exact keep full precision. model_name and model_version name the model_id.';

--
-- Name: player_stats; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."player_stats" (
    "season_id" integer NOT NULL,
    "team_id" integer,
    "player_id" bigint NOT NULL,
    "position" "text" DEFAULT 'UNK'::"text" NOT NULL,
    "first_td_count" integer DEFAULT 0 NOT NULL,
    "picks_made" integer DEFAULT 0 NOT NULL,
    "picks_correct" integer DEFAULT 0 NOT NULL,
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "player_stats_first_td_count_non_negative" CHECK (("first_td_count" >= 0)),
    CONSTRAINT "player_stats_picks_correct_range" CHECK ((("picks_correct" >= 0) AND ("picks_correct" <= "picks_made"))),
    CONSTRAINT "player_stats_picks_made_non_negative" CHECK (("picks_made" >= 0))
);

--
-- Name: TABLE "player_stats"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."player_stats" IS 'Pick''em player statistics per season, team and player, maintained by triggers (sql/045_player_stats.sql) whenever a first touchdown, an event''s status, a settlement or a pick changes; a corrected or withdrawn result decrements. Rows whose counts are all zero are removed.';

--
-- Name: COLUMN "player_stats"."team_id"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."player_stats"."team_id" IS 'The player''s team in those games (the feed''s, else his roster team); null when unknown.';

--
-- Name: COLUMN "player_stats"."position"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."player_stats"."position" IS 'From core.roster for the season (and team); UNK when the player has no roster row (counted by stats.dq_unknown_position_share()).';

--
-- Name: COLUMN "player_stats"."first_td_count"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."player_stats"."first_td_count" IS 'Completed games in which the player scored the first touchdown, counted once per game however many picked him.';

--
-- Name: COLUMN "player_stats"."picks_made"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."player_stats"."picks_made" IS 'First-touchdown predictions (any forecaster) on this player.';

--
-- Name: COLUMN "player_stats"."picks_correct"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."player_stats"."picks_correct" IS 'Those of picks_made whose selection settled won.';

--
-- Name: strategy_performance_daily; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."strategy_performance_daily" (
    "day" "date" NOT NULL,
    "strategy_id" integer NOT NULL,
    "market_type" "text" NOT NULL,
    "bets" integer NOT NULL,
    "matched" integer NOT NULL,
    "settled" integer NOT NULL,
    "won" integer NOT NULL,
    "lost" integer NOT NULL,
    "void" integer NOT NULL,
    "cancelled" integer NOT NULL,
    "stake" numeric NOT NULL,
    "settled_stake" numeric NOT NULL,
    "gross_win" numeric NOT NULL,
    "gross_loss" numeric NOT NULL,
    "pnl" numeric NOT NULL,
    "commission" numeric NOT NULL,
    "roi" numeric GENERATED ALWAYS AS (
CASE
    WHEN ("settled_stake" > (0)::numeric) THEN "round"(("pnl" / "settled_stake"), 6)
    ELSE NULL::numeric
END) STORED,
    "win_rate" numeric GENERATED ALWAYS AS (
CASE
    WHEN (("won" + "lost") > 0) THEN "round"((("won")::numeric / (("won" + "lost"))::numeric), 6)
    ELSE NULL::numeric
END) STORED,
    "profit_factor" numeric GENERATED ALWAYS AS (
CASE
    WHEN ("gross_loss" > (0)::numeric) THEN "round"(("gross_win" / "gross_loss"), 6)
    ELSE NULL::numeric
END) STORED,
    "expectancy" numeric GENERATED ALWAYS AS (
CASE
    WHEN (("won" + "lost") > 0) THEN "round"(("pnl" / (("won" + "lost"))::numeric), 6)
    ELSE NULL::numeric
END) STORED,
    "refreshed_at" timestamp with time zone DEFAULT "now"() NOT NULL
);

--
-- Name: TABLE "strategy_performance_daily"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."strategy_performance_daily" IS 'Daily rollup (UTC days) of stats.strategy_performance_hourly: sums of the hours and ratios recomputed from those sums (never an average of hourly ratios). Refreshed by trade.refresh_strategy_performance() (orchestrator: trade.refresh_strategy_performance(regclass, jsonb)), which re-aggregates only the days containing invalidated hours.';

--
-- Name: COLUMN "strategy_performance_daily"."day"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_daily"."day" IS 'The UTC day of placed_at.';

--
-- Name: COLUMN "strategy_performance_daily"."roi"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_daily"."roi" IS 'pnl / settled_stake of the day.';

--
-- Name: COLUMN "strategy_performance_daily"."win_rate"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_daily"."win_rate" IS 'won / (won + lost) of the day.';

--
-- Name: COLUMN "strategy_performance_daily"."profit_factor"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_daily"."profit_factor" IS 'gross_win / gross_loss of the day.';

--
-- Name: COLUMN "strategy_performance_daily"."expectancy"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_daily"."expectancy" IS 'pnl / (won + lost) of the day.';

--
-- Name: strategy_performance_hourly; Type: TABLE; Schema: stats; Owner: -
--

CREATE TABLE "stats"."strategy_performance_hourly" (
    "bucket" timestamp with time zone NOT NULL,
    "strategy_id" integer NOT NULL,
    "market_type" "text" NOT NULL,
    "bets" integer NOT NULL,
    "matched" integer NOT NULL,
    "settled" integer NOT NULL,
    "won" integer NOT NULL,
    "lost" integer NOT NULL,
    "void" integer NOT NULL,
    "cancelled" integer NOT NULL,
    "stake" numeric NOT NULL,
    "settled_stake" numeric NOT NULL,
    "gross_win" numeric NOT NULL,
    "gross_loss" numeric NOT NULL,
    "pnl" numeric NOT NULL,
    "commission" numeric NOT NULL,
    "roi" numeric GENERATED ALWAYS AS (
CASE
    WHEN ("settled_stake" > (0)::numeric) THEN "round"(("pnl" / "settled_stake"), 6)
    ELSE NULL::numeric
END) STORED,
    "win_rate" numeric GENERATED ALWAYS AS (
CASE
    WHEN (("won" + "lost") > 0) THEN "round"((("won")::numeric / (("won" + "lost"))::numeric), 6)
    ELSE NULL::numeric
END) STORED,
    "profit_factor" numeric GENERATED ALWAYS AS (
CASE
    WHEN ("gross_loss" > (0)::numeric) THEN "round"(("gross_win" / "gross_loss"), 6)
    ELSE NULL::numeric
END) STORED,
    "expectancy" numeric GENERATED ALWAYS AS (
CASE
    WHEN (("won" + "lost") > 0) THEN "round"(("pnl" / (("won" + "lost"))::numeric), 6)
    ELSE NULL::numeric
END) STORED,
    "refreshed_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "strategy_performance_hourly_bucket_is_hour" CHECK (((EXTRACT(epoch FROM "bucket") % (3600)::numeric) = (0)::numeric))
)
PARTITION BY RANGE ("bucket");

--
-- Name: TABLE "strategy_performance_hourly"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON TABLE "stats"."strategy_performance_hourly" IS 'Strategy performance per hour of placed_at (UTC), strategy and market type: counts and sums of bets; ROI, win rate, profit factor and expectancy computed from the sums. Refreshed by trade.refresh_strategy_performance() (orchestrator: trade.refresh_strategy_performance(regclass, jsonb); watermark in trade.performance_watermark + invalidation log trade.performance_invalidation: late or corrected bets re-aggregate their hour). Partitioned by month: a few dozen rows per strategy per day do not justify smaller partitions.';

--
-- Name: COLUMN "strategy_performance_hourly"."bucket"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."bucket" IS 'The hour of placed_at (UTC).';

--
-- Name: COLUMN "strategy_performance_hourly"."bets"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."bets" IS 'Bets placed in the hour (every status).';

--
-- Name: COLUMN "strategy_performance_hourly"."matched"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."matched" IS 'Bets that were matched (status matched, settled or void after matching).';

--
-- Name: COLUMN "strategy_performance_hourly"."settled"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."settled" IS 'Bets settled won or lost (status settled).';

--
-- Name: COLUMN "strategy_performance_hourly"."void"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."void" IS 'Bets settled void (stake returned).';

--
-- Name: COLUMN "strategy_performance_hourly"."stake"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."stake" IS 'Total stake of the bets placed.';

--
-- Name: COLUMN "strategy_performance_hourly"."settled_stake"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."settled_stake" IS 'Stake of the bets settled won or lost: the denominator of ROI.';

--
-- Name: COLUMN "strategy_performance_hourly"."gross_win"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."gross_win" IS 'Sum of the positive P&L of settled bets.';

--
-- Name: COLUMN "strategy_performance_hourly"."gross_loss"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."gross_loss" IS 'Sum of the losses of settled bets, as a positive number.';

--
-- Name: COLUMN "strategy_performance_hourly"."pnl"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."pnl" IS 'Net P&L after commission of the settled bets.';

--
-- Name: COLUMN "strategy_performance_hourly"."roi"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."roi" IS 'pnl / settled_stake.';

--
-- Name: COLUMN "strategy_performance_hourly"."win_rate"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."win_rate" IS 'won / (won + lost).';

--
-- Name: COLUMN "strategy_performance_hourly"."profit_factor"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."profit_factor" IS 'gross_win / gross_loss (null without losses).';

--
-- Name: COLUMN "strategy_performance_hourly"."expectancy"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."strategy_performance_hourly"."expectancy" IS 'P&L per settled bet: pnl / (won + lost).';

--
-- Name: user_leaderboard; Type: MATERIALIZED VIEW; Schema: stats; Owner: -
--

CREATE MATERIALIZED VIEW "stats"."user_leaderboard" AS
 SELECT "e"."season_id",
    "ps"."forecaster_id",
    "f"."handle",
    ("count"(*))::integer AS "predictions",
    ("count"(*) FILTER (WHERE ("ps"."outcome" = 'win'::"text")))::integer AS "win_count",
    ("count"(*) FILTER (WHERE ("ps"."outcome" = 'loss'::"text")))::integer AS "loss_count",
    ("count"(*) FILTER (WHERE ("ps"."outcome" = 'void'::"text")))::integer AS "void_count",
    "sum"("ps"."points") AS "points",
    COALESCE("sum"("ps"."units"), (0)::numeric) AS "units",
    "sum"("ps"."staked") AS "staked",
    "round"(("sum"("ps"."units") / NULLIF("sum"("ps"."staked") FILTER (WHERE ("ps"."units" IS NOT NULL)), (0)::numeric)), 4) AS "roi",
    ("rank"() OVER (PARTITION BY "e"."season_id" ORDER BY ("sum"("ps"."points")) DESC))::integer AS "rank",
    ("sum"("ps"."units") / NULLIF("sum"("ps"."staked") FILTER (WHERE ("ps"."units" IS NOT NULL)), (0)::numeric)) AS "roi_exact"
   FROM (("forecast"."prediction_score" "ps"
     JOIN "forecast"."forecaster" "f" ON ((("f"."forecaster_id" = "ps"."forecaster_id") AND ("f"."kind" = 'user'::"text"))))
     JOIN "core"."event" "e" ON (("e"."event_id" = "ps"."event_id")))
  GROUP BY "e"."season_id", "ps"."forecaster_id", "f"."handle"
  WITH NO DATA;

--
-- Name: MATERIALIZED VIEW "user_leaderboard"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON MATERIALIZED VIEW "stats"."user_leaderboard" IS 'Users ranked by points per season, with units won or lost and ROI = units / units staked. The ROI people read is rounded to 4 decimals (roi); roi_exact keeps full precision. Refresh policy: refreshed by the refresh orchestrator after scoring, REFRESH ... CONCURRENTLY after the first refresh.';

--
-- Name: COLUMN "user_leaderboard"."roi"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."user_leaderboard"."roi" IS 'units / staked over predictions that won or lost at odds, rounded to 4 decimals; null when nothing was staked. roi_exact keeps full precision.';

--
-- Name: COLUMN "user_leaderboard"."rank"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."user_leaderboard"."rank" IS 'rank() by points within the season: ties share a rank.';

--
-- Name: COLUMN "user_leaderboard"."roi_exact"; Type: COMMENT; Schema: stats; Owner: -
--

COMMENT ON COLUMN "stats"."user_leaderboard"."roi_exact" IS 'roi at full precision: units / staked over predictions that won or lost at odds; null when nothing was staked.';

--
-- Name: performance_invalidation; Type: TABLE; Schema: trade; Owner: -
--

CREATE TABLE "trade"."performance_invalidation" (
    "invalidation_id" bigint NOT NULL,
    "bucket" timestamp with time zone NOT NULL,
    "logged_at" timestamp with time zone DEFAULT "now"() NOT NULL
);

--
-- Name: TABLE "performance_invalidation"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON TABLE "trade"."performance_invalidation" IS 'The invalidation log of strategy performance: the hours (of placed_at) touched by bets inserted, changed or deleted since the last trade.refresh_strategy_performance(), which re-aggregates exactly these hours and the days containing them. Written by statement triggers on trade.bet.';

--
-- Name: COLUMN "performance_invalidation"."bucket"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."performance_invalidation"."bucket" IS 'The start of the touched hour (UTC).';

--
-- Name: performance_invalidation_invalidation_id_seq; Type: SEQUENCE; Schema: trade; Owner: -
--

ALTER TABLE "trade"."performance_invalidation" ALTER COLUMN "invalidation_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "trade"."performance_invalidation_invalidation_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: performance_watermark; Type: TABLE; Schema: trade; Owner: -
--

CREATE TABLE "trade"."performance_watermark" (
    "singleton" boolean DEFAULT true NOT NULL,
    "watermark" timestamp with time zone,
    "refreshed_at" timestamp with time zone,
    CONSTRAINT "performance_watermark_one_row" CHECK ("singleton")
);

--
-- Name: TABLE "performance_watermark"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON TABLE "trade"."performance_watermark" IS 'The watermark of the strategy performance aggregate: stats.strategy_performance_hourly and _daily are materialised for every change to bets placed before it, except the hours still in trade.performance_invalidation.';

--
-- Name: COLUMN "performance_watermark"."watermark"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."performance_watermark"."watermark" IS 'The p_until of the last refresh: invalidated hours before it were re-aggregated.';

--
-- Name: strategy; Type: TABLE; Schema: trade; Owner: -
--

CREATE TABLE "trade"."strategy" (
    "strategy_id" integer NOT NULL,
    "name" "text" NOT NULL,
    "version" "text" NOT NULL,
    "description" "text",
    "parameters" "jsonb" DEFAULT '{}'::"jsonb" NOT NULL,
    "active" boolean DEFAULT true NOT NULL,
    "commission_rate" numeric(5,4),
    "created_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "strategy_commission_rate_range" CHECK ((("commission_rate" >= (0)::numeric) AND ("commission_rate" < (1)::numeric))),
    CONSTRAINT "strategy_name_given" CHECK (("length"("btrim"("name")) > 0)),
    CONSTRAINT "strategy_parameters_is_object" CHECK (("jsonb_typeof"("parameters") = 'object'::"text")),
    CONSTRAINT "strategy_version_given" CHECK (("length"("btrim"("version")) > 0))
);

--
-- Name: TABLE "strategy"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON TABLE "trade"."strategy" IS 'A trading strategy: name + version unique, its parameters (JSON object), whether it is active, and optionally the commission rate its bets pay.';

--
-- Name: COLUMN "strategy"."parameters"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."strategy"."parameters" IS 'The strategy''s parameters (thresholds, staking), a JSON object.';

--
-- Name: COLUMN "strategy"."commission_rate"; Type: COMMENT; Schema: trade; Owner: -
--

COMMENT ON COLUMN "trade"."strategy"."commission_rate" IS 'Commission on net winnings for this strategy''s bets, as a fraction; null: the rate of the bet''s source (market.source.commission_rate).';

--
-- Name: strategy_strategy_id_seq; Type: SEQUENCE; Schema: trade; Owner: -
--

ALTER TABLE "trade"."strategy" ALTER COLUMN "strategy_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "trade"."strategy_strategy_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: job; Type: VIEW; Schema: worker; Owner: -
--

CREATE VIEW "worker"."job" AS
 SELECT "j"."id" AS "job_id",
    "t"."identifier" AS "task",
    "j"."key" AS "job_key",
    "j"."payload",
    "j"."priority",
    "j"."run_at",
    "j"."attempts",
    "j"."max_attempts",
        CASE
            WHEN ("j"."locked_at" IS NOT NULL) THEN 'running'::"text"
            WHEN ("j"."attempts" >= "j"."max_attempts") THEN 'failed'::"text"
            WHEN ("j"."run_at" > "now"()) THEN 'scheduled'::"text"
            ELSE 'queued'::"text"
        END AS "state",
    "j"."last_error",
    "j"."locked_by",
    "j"."locked_at",
    "j"."created_at",
    "j"."updated_at"
   FROM ("graphile_worker"."_private_jobs" "j"
     JOIN "graphile_worker"."_private_tasks" "t" ON (("t"."id" = "j"."task_id")));

--
-- Name: VIEW "job"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON VIEW "worker"."job" IS 'Every job in the queue with its task and state: queued, scheduled (run_at in the future, e.g. a retry backing off or a debounced refresh), running, or failed (attempts exhausted).';

--
-- Name: failed_job; Type: VIEW; Schema: worker; Owner: -
--

CREATE VIEW "worker"."failed_job" AS
 SELECT "job"."job_id",
    "job"."task",
    "job"."job_key",
    "job"."payload",
    "job"."attempts",
    "job"."max_attempts",
    "job"."last_error",
    "job"."created_at",
    "job"."updated_at" AS "failed_at"
   FROM "worker"."job"
  WHERE ("job"."state" = 'failed'::"text");

--
-- Name: VIEW "failed_job"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON VIEW "worker"."failed_job" IS 'Jobs that failed for good (all attempts used), with their last error. Re-run one with graphile_worker.reschedule_jobs(array[job_id], attempts => 0).';

--
-- Name: heartbeat; Type: TABLE; Schema: worker; Owner: -
--

CREATE TABLE "worker"."heartbeat" (
    "process_id" "text" NOT NULL,
    "worker_ids" "text"[] DEFAULT '{}'::"text"[] NOT NULL,
    "hostname" "text" NOT NULL,
    "pid" integer NOT NULL,
    "concurrency" integer NOT NULL,
    "started_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "last_seen_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "stopped_at" timestamp with time zone,
    "worker_id" "text" NOT NULL,
    CONSTRAINT "heartbeat_concurrency_positive" CHECK (("concurrency" > 0))
);

--
-- Name: TABLE "heartbeat"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON TABLE "worker"."heartbeat" IS 'One row per worker process, refreshed every few seconds. Jobs locked by workers whose heartbeat is older than the threshold are unlocked by worker.recover_stale_workers.';

--
-- Name: COLUMN "heartbeat"."process_id"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."heartbeat"."process_id" IS 'The process: its WORKER_ID and a random part (one process runs several graphile-worker workers).';

--
-- Name: COLUMN "heartbeat"."worker_ids"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."heartbeat"."worker_ids" IS 'The graphile-worker worker ids of this process: the values of graphile_worker jobs'' locked_by.';

--
-- Name: COLUMN "heartbeat"."stopped_at"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."heartbeat"."stopped_at" IS 'Set on a graceful stop; a crashed process never sets it.';

--
-- Name: COLUMN "heartbeat"."worker_id"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."heartbeat"."worker_id" IS 'The name the worker gives itself (WORKER_ID; hostname:pid when unset). A restarted worker keeps it; process_id tells its processes apart.';

--
-- Name: fleet; Type: VIEW; Schema: worker; Owner: -
--

CREATE VIEW "worker"."fleet" AS
 WITH "p" AS (
         SELECT "h"."process_id",
            "h"."worker_ids",
            "h"."hostname",
            "h"."pid",
            "h"."concurrency",
            "h"."started_at",
            "h"."last_seen_at",
            "h"."stopped_at",
            "h"."worker_id",
            ( SELECT "count"(*) AS "count"
                   FROM "graphile_worker"."_private_jobs" "j"
                  WHERE ("j"."locked_by" = ANY ("h"."worker_ids"))) AS "jobs_locked"
           FROM "worker"."heartbeat" "h"
        )
 SELECT "p"."worker_id",
    "count"(*) FILTER (WHERE ("p"."stopped_at" IS NULL)) AS "processes_alive",
    "count"(*) AS "processes",
    (COALESCE("sum"("p"."concurrency") FILTER (WHERE ("p"."stopped_at" IS NULL)), (0)::bigint))::integer AS "concurrency_alive",
    "max"("p"."last_seen_at") AS "last_seen_at",
    ("sum"("p"."jobs_locked"))::bigint AS "jobs_locked",
    "array_agg"("p"."process_id" ORDER BY "p"."started_at", "p"."process_id") AS "process_ids"
   FROM "p"
  GROUP BY "p"."worker_id";

--
-- Name: VIEW "fleet"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON VIEW "worker"."fleet" IS 'One row per worker name (WORKER_ID): its processes (alive: not stopped; a crashed one stays alive until its heartbeat is older than STALE_WORKER_SECONDS and another worker recovers it), their concurrency, when one last beat, and the jobs its processes hold locked.';

--
-- Name: COLUMN "fleet"."worker_id"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."worker_id" IS 'The name the worker gives itself (WORKER_ID; hostname:pid when unset): one row per name, however many processes ran under it.';

--
-- Name: COLUMN "fleet"."processes_alive"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."processes_alive" IS 'Its processes not stopped (worker.heartbeat.stopped_at null); a crashed one counts until another worker recovers it.';

--
-- Name: COLUMN "fleet"."processes"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."processes" IS 'Every process recorded under the name, stopped ones included (until worker.prune_history removes their heartbeats).';

--
-- Name: COLUMN "fleet"."concurrency_alive"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."concurrency_alive" IS 'The jobs its live processes may run at once: the sum of their concurrency (0 when none is alive).';

--
-- Name: COLUMN "fleet"."last_seen_at"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."last_seen_at" IS 'The latest heartbeat of any of its processes.';

--
-- Name: COLUMN "fleet"."jobs_locked"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."jobs_locked" IS 'graphile-worker jobs its processes hold locked now (running, or left locked by a crashed process until recovery).';

--
-- Name: COLUMN "fleet"."process_ids"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."fleet"."process_ids" IS 'Its processes (worker.heartbeat.process_id: WORKER_ID and a random part), oldest first.';

--
-- Name: recovery; Type: TABLE; Schema: worker; Owner: -
--

CREATE TABLE "worker"."recovery" (
    "recovery_id" bigint NOT NULL,
    "recovered_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    "recovered_by" "text" NOT NULL,
    "worker_ids" "text"[] NOT NULL,
    "jobs_unlocked" integer NOT NULL,
    "jobs_superseded" integer DEFAULT 0 NOT NULL,
    CONSTRAINT "recovery_jobs_superseded_not_negative" CHECK (("jobs_superseded" >= 0))
);

--
-- Name: TABLE "recovery"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON TABLE "worker"."recovery" IS 'Each time stale workers'' jobs were unlocked: by which process, which worker ids, how many jobs.';

--
-- Name: COLUMN "recovery"."jobs_superseded"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON COLUMN "worker"."recovery"."jobs_superseded" IS 'Jobs of the dead workers that had been superseded by a newer job with the same key (score_event:<id>, refresh) while they ran: deleted, not run again. jobs_unlocked counts the others.';

--
-- Name: recovery_recovery_id_seq; Type: SEQUENCE; Schema: worker; Owner: -
--

ALTER TABLE "worker"."recovery" ALTER COLUMN "recovery_id" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "worker"."recovery_recovery_id_seq"
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: setting; Type: TABLE; Schema: worker; Owner: -
--

CREATE TABLE "worker"."setting" (
    "only_row" boolean DEFAULT true NOT NULL,
    "job_max_attempts" integer DEFAULT 10 NOT NULL,
    "refresh_delay_seconds" integer DEFAULT 60 NOT NULL,
    "updated_at" timestamp with time zone DEFAULT "now"() NOT NULL,
    CONSTRAINT "setting_job_max_attempts_range" CHECK ((("job_max_attempts" >= 1) AND ("job_max_attempts" <= 100))),
    CONSTRAINT "setting_refresh_delay_range" CHECK ((("refresh_delay_seconds" >= 0) AND ("refresh_delay_seconds" <= 86400))),
    CONSTRAINT "setting_single_row" CHECK ("only_row")
);

--
-- Name: TABLE "setting"; Type: COMMENT; Schema: worker; Owner: -
--

COMMENT ON TABLE "worker"."setting" IS 'The job settings SQL triggers need (one row). The worker process writes its configuration (JOB_MAX_ATTEMPTS, REFRESH_DEBOUNCE_SECONDS) here at start.';

--
-- Name: competition competition_code_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."competition"
    ADD CONSTRAINT "competition_code_key" UNIQUE ("code");

--
-- Name: competition competition_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."competition"
    ADD CONSTRAINT "competition_pkey" PRIMARY KEY ("competition_id");

--
-- Name: db_role db_role_name_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."db_role"
    ADD CONSTRAINT "db_role_name_key" UNIQUE ("role_name");

--
-- Name: db_role db_role_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."db_role"
    ADD CONSTRAINT "db_role_pkey" PRIMARY KEY ("kind");

--
-- Name: event_correction event_correction_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event_correction"
    ADD CONSTRAINT "event_correction_pkey" PRIMARY KEY ("correction_id");

--
-- Name: event event_external_id_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event"
    ADD CONSTRAINT "event_external_id_key" UNIQUE ("external_id");

--
-- Name: event event_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event"
    ADD CONSTRAINT "event_pkey" PRIMARY KEY ("event_id");

--
-- Name: event_status_transition event_status_transition_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event_status_transition"
    ADD CONSTRAINT "event_status_transition_pkey" PRIMARY KEY ("from_status", "to_status");

--
-- Name: player player_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."player"
    ADD CONSTRAINT "player_pkey" PRIMARY KEY ("player_id");

--
-- Name: player player_sport_external_id_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."player"
    ADD CONSTRAINT "player_sport_external_id_key" UNIQUE ("sport_id", "external_id");

--
-- Name: roster roster_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."roster"
    ADD CONSTRAINT "roster_pkey" PRIMARY KEY ("roster_id");

--
-- Name: roster roster_season_team_player_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."roster"
    ADD CONSTRAINT "roster_season_team_player_key" UNIQUE ("season_id", "team_id", "player_id");

--
-- Name: runner runner_event_number_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."runner"
    ADD CONSTRAINT "runner_event_number_key" UNIQUE ("event_id", "number");

--
-- Name: runner runner_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."runner"
    ADD CONSTRAINT "runner_pkey" PRIMARY KEY ("runner_id");

--
-- Name: season season_competition_label_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."season"
    ADD CONSTRAINT "season_competition_label_key" UNIQUE ("competition_id", "label");

--
-- Name: season season_id_competition_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."season"
    ADD CONSTRAINT "season_id_competition_key" UNIQUE ("season_id", "competition_id");

--
-- Name: CONSTRAINT "season_id_competition_key" ON "season"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "season_id_competition_key" ON "core"."season" IS 'Lets core.event reference (season, competition) so an event''s season belongs to its competition.';

--
-- Name: season season_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."season"
    ADD CONSTRAINT "season_pkey" PRIMARY KEY ("season_id");

--
-- Name: sport sport_code_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."sport"
    ADD CONSTRAINT "sport_code_key" UNIQUE ("code");

--
-- Name: sport sport_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."sport"
    ADD CONSTRAINT "sport_pkey" PRIMARY KEY ("sport_id");

--
-- Name: team_alias team_alias_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."team_alias"
    ADD CONSTRAINT "team_alias_pkey" PRIMARY KEY ("team_id", "code", "valid_to_season");

--
-- Name: CONSTRAINT "team_alias_pkey" ON "team_alias"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "team_alias_pkey" ON "core"."team_alias" IS 'One alias of a code per team and last season: the same code may name a team again in other seasons.';

--
-- Name: team team_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."team"
    ADD CONSTRAINT "team_pkey" PRIMARY KEY ("team_id");

--
-- Name: team team_sport_code_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."team"
    ADD CONSTRAINT "team_sport_code_key" UNIQUE ("sport_id", "code");

--
-- Name: week week_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."week"
    ADD CONSTRAINT "week_pkey" PRIMARY KEY ("season_id", "week_number");

--
-- Name: event_scoring event_scoring_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."event_scoring"
    ADD CONSTRAINT "event_scoring_pkey" PRIMARY KEY ("event_id");

--
-- Name: first_touchdown first_touchdown_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."first_touchdown"
    ADD CONSTRAINT "first_touchdown_pkey" PRIMARY KEY ("event_id");

--
-- Name: forecaster forecaster_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."forecaster"
    ADD CONSTRAINT "forecaster_pkey" PRIMARY KEY ("forecaster_id");

--
-- Name: prediction_market_price prediction_market_price_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction_market_price"
    ADD CONSTRAINT "prediction_market_price_pkey" PRIMARY KEY ("prediction_id", "external_market_id");

--
-- Name: prediction prediction_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction"
    ADD CONSTRAINT "prediction_pkey" PRIMARY KEY ("prediction_id");

--
-- Name: prediction_score prediction_score_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction_score"
    ADD CONSTRAINT "prediction_score_pkey" PRIMARY KEY ("prediction_id");

--
-- Name: prediction prediction_selection_once; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction"
    ADD CONSTRAINT "prediction_selection_once" UNIQUE ("forecaster_id", "selection_id");

--
-- Name: race_prediction race_prediction_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."race_prediction"
    ADD CONSTRAINT "race_prediction_pkey" PRIMARY KEY ("race_prediction_id", "predicted_at");

--
-- Name: scoring_rule scoring_rule_pkey; Type: CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."scoring_rule"
    ADD CONSTRAINT "scoring_rule_pkey" PRIMARY KEY ("market_type");

--
-- Name: _private_job_queues job_queues_pkey1; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_job_queues"
    ADD CONSTRAINT "job_queues_pkey1" PRIMARY KEY ("id");

--
-- Name: _private_job_queues job_queues_queue_name_key; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_job_queues"
    ADD CONSTRAINT "job_queues_queue_name_key" UNIQUE ("queue_name");

--
-- Name: _private_jobs jobs_key_key1; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_jobs"
    ADD CONSTRAINT "jobs_key_key1" UNIQUE ("key");

--
-- Name: _private_jobs jobs_pkey1; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_jobs"
    ADD CONSTRAINT "jobs_pkey1" PRIMARY KEY ("id");

--
-- Name: _private_known_crontabs known_crontabs_pkey; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_known_crontabs"
    ADD CONSTRAINT "known_crontabs_pkey" PRIMARY KEY ("identifier");

--
-- Name: migrations migrations_pkey; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."migrations"
    ADD CONSTRAINT "migrations_pkey" PRIMARY KEY ("id");

--
-- Name: _private_tasks tasks_identifier_key; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_tasks"
    ADD CONSTRAINT "tasks_identifier_key" UNIQUE ("identifier");

--
-- Name: _private_tasks tasks_pkey; Type: CONSTRAINT; Schema: graphile_worker; Owner: -
--

ALTER TABLE ONLY "graphile_worker"."_private_tasks"
    ADD CONSTRAINT "tasks_pkey" PRIMARY KEY ("id");

--
-- Name: batch batch_pkey; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."batch"
    ADD CONSTRAINT "batch_pkey" PRIMARY KEY ("batch_id");

--
-- Name: competition_code competition_code_pkey; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."competition_code"
    ADD CONSTRAINT "competition_code_pkey" PRIMARY KEY ("feed", "code");

--
-- Name: feed feed_pkey; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."feed"
    ADD CONSTRAINT "feed_pkey" PRIMARY KEY ("code");

--
-- Name: rejected_row rejected_row_one_per_line; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."rejected_row"
    ADD CONSTRAINT "rejected_row_one_per_line" UNIQUE ("batch_id", "line_number");

--
-- Name: rejected_row rejected_row_pkey; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."rejected_row"
    ADD CONSTRAINT "rejected_row_pkey" PRIMARY KEY ("rejected_row_id");

--
-- Name: source source_feed_location_key; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."source"
    ADD CONSTRAINT "source_feed_location_key" UNIQUE ("feed", "location");

--
-- Name: source source_pkey; Type: CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."source"
    ADD CONSTRAINT "source_pkey" PRIMARY KEY ("source_id");

--
-- Name: maintenance_log maintenance_log_pkey; Type: CONSTRAINT; Schema: maint; Owner: -
--

ALTER TABLE ONLY "maint"."maintenance_log"
    ADD CONSTRAINT "maintenance_log_pkey" PRIMARY KEY ("log_id");

--
-- Name: partition_policy partition_policy_pkey; Type: CONSTRAINT; Schema: maint; Owner: -
--

ALTER TABLE ONLY "maint"."partition_policy"
    ADD CONSTRAINT "partition_policy_pkey" PRIMARY KEY ("parent");

--
-- Name: external_market external_market_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."external_market"
    ADD CONSTRAINT "external_market_pkey" PRIMARY KEY ("external_market_id");

--
-- Name: external_market external_market_source_id_outcome_key; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."external_market"
    ADD CONSTRAINT "external_market_source_id_outcome_key" UNIQUE ("source_id", "external_id", "outcome");

--
-- Name: market_correction market_correction_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market_correction"
    ADD CONSTRAINT "market_correction_pkey" PRIMARY KEY ("correction_id");

--
-- Name: market market_event_type_key; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market"
    ADD CONSTRAINT "market_event_type_key" UNIQUE ("event_id", "market_type");

--
-- Name: market market_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market"
    ADD CONSTRAINT "market_pkey" PRIMARY KEY ("market_id");

--
-- Name: market_type market_type_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market_type"
    ADD CONSTRAINT "market_type_pkey" PRIMARY KEY ("code");

--
-- Name: odds_bar_1m odds_bar_1m_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."odds_bar_1m"
    ADD CONSTRAINT "odds_bar_1m_pkey" PRIMARY KEY ("selection_id", "source_id", "bucket");

--
-- Name: odds_history odds_history_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."odds_history"
    ADD CONSTRAINT "odds_history_pkey" PRIMARY KEY ("selection_id", "source_id", "observed_at");

--
-- Name: CONSTRAINT "odds_history_pkey" ON "odds_history"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "odds_history_pkey" ON "market"."odds_history" IS 'One price per selection, source and instant; serves a selection''s price history and the re-load''s upsert.';

--
-- Name: odds_snapshot odds_snapshot_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."odds_snapshot"
    ADD CONSTRAINT "odds_snapshot_pkey" PRIMARY KEY ("selection_id", "source_id", "observed_at");

--
-- Name: CONSTRAINT "odds_snapshot_pkey" ON "odds_snapshot"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "odds_snapshot_pkey" ON "market"."odds_snapshot" IS 'B-tree key: one price per selection, source and instant; serves "latest price of a selection" (backward scan) and a selection''s prices over a time range.';

--
-- Name: selection selection_market_code_key; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."selection"
    ADD CONSTRAINT "selection_market_code_key" UNIQUE ("market_id", "code");

--
-- Name: selection selection_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."selection"
    ADD CONSTRAINT "selection_pkey" PRIMARY KEY ("selection_id");

--
-- Name: source source_code_key; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."source"
    ADD CONSTRAINT "source_code_key" UNIQUE ("code");

--
-- Name: source source_pkey; Type: CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."source"
    ADD CONSTRAINT "source_pkey" PRIMARY KEY ("source_id");

--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY "public"."schema_migrations"
    ADD CONSTRAINT "schema_migrations_pkey" PRIMARY KEY ("version");

--
-- Name: scoreline_sql_file scoreline_sql_file_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY "public"."scoreline_sql_file"
    ADD CONSTRAINT "scoreline_sql_file_pkey" PRIMARY KEY ("name");

--
-- Name: check check_name_key; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."check"
    ADD CONSTRAINT "check_name_key" UNIQUE ("name");

--
-- Name: check check_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."check"
    ADD CONSTRAINT "check_pkey" PRIMARY KEY ("check_id");

--
-- Name: check_result check_result_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."check_result"
    ADD CONSTRAINT "check_result_pkey" PRIMARY KEY ("check_result_id");

--
-- Name: checkpoint checkpoint_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."checkpoint"
    ADD CONSTRAINT "checkpoint_pkey" PRIMARY KEY ("checkpoint_id");

--
-- Name: dependency dependency_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."dependency"
    ADD CONSTRAINT "dependency_pkey" PRIMARY KEY ("dependent", "parent");

--
-- Name: object object_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."object"
    ADD CONSTRAINT "object_pkey" PRIMARY KEY ("object");

--
-- Name: run run_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."run"
    ADD CONSTRAINT "run_pkey" PRIMARY KEY ("run_id", "started_at");

--
-- Name: source source_pkey; Type: CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."source"
    ADD CONSTRAINT "source_pkey" PRIMARY KEY ("source", "object");

--
-- Name: model_event_agg model_event_agg_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_event_agg"
    ADD CONSTRAINT "model_event_agg_pkey" PRIMARY KEY ("model_id", "event_id");

--
-- Name: model_stats_club_agg model_stats_club_agg_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_club_agg"
    ADD CONSTRAINT "model_stats_club_agg_pkey" PRIMARY KEY ("model_id", "club_id", "season_id", "is_home");

--
-- Name: model_stats_club_delta model_stats_club_delta_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_club_delta"
    ADD CONSTRAINT "model_stats_club_delta_pkey" PRIMARY KEY ("delta_id");

--
-- Name: model_stats_competition_agg model_stats_competition_agg_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_competition_agg"
    ADD CONSTRAINT "model_stats_competition_agg_pkey" PRIMARY KEY ("model_id", "competition_id", "season_id");

--
-- Name: model_stats_competition_delta model_stats_competition_delta_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_competition_delta"
    ADD CONSTRAINT "model_stats_competition_delta_pkey" PRIMARY KEY ("delta_id");

--
-- Name: player_stats player_stats_season_team_player_key; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."player_stats"
    ADD CONSTRAINT "player_stats_season_team_player_key" UNIQUE NULLS NOT DISTINCT ("season_id", "team_id", "player_id");

--
-- Name: strategy_performance_daily strategy_performance_daily_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."strategy_performance_daily"
    ADD CONSTRAINT "strategy_performance_daily_pkey" PRIMARY KEY ("strategy_id", "market_type", "day");

--
-- Name: strategy_performance_hourly strategy_performance_hourly_pkey; Type: CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."strategy_performance_hourly"
    ADD CONSTRAINT "strategy_performance_hourly_pkey" PRIMARY KEY ("strategy_id", "market_type", "bucket");

--
-- Name: bet bet_pkey; Type: CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE ONLY "trade"."bet"
    ADD CONSTRAINT "bet_pkey" PRIMARY KEY ("bet_id", "placed_at");

--
-- Name: performance_invalidation performance_invalidation_pkey; Type: CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE ONLY "trade"."performance_invalidation"
    ADD CONSTRAINT "performance_invalidation_pkey" PRIMARY KEY ("invalidation_id");

--
-- Name: performance_watermark performance_watermark_pkey; Type: CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE ONLY "trade"."performance_watermark"
    ADD CONSTRAINT "performance_watermark_pkey" PRIMARY KEY ("singleton");

--
-- Name: strategy strategy_name_version_key; Type: CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE ONLY "trade"."strategy"
    ADD CONSTRAINT "strategy_name_version_key" UNIQUE ("name", "version");

--
-- Name: strategy strategy_pkey; Type: CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE ONLY "trade"."strategy"
    ADD CONSTRAINT "strategy_pkey" PRIMARY KEY ("strategy_id");

--
-- Name: heartbeat heartbeat_pkey; Type: CONSTRAINT; Schema: worker; Owner: -
--

ALTER TABLE ONLY "worker"."heartbeat"
    ADD CONSTRAINT "heartbeat_pkey" PRIMARY KEY ("process_id");

--
-- Name: recovery recovery_pkey; Type: CONSTRAINT; Schema: worker; Owner: -
--

ALTER TABLE ONLY "worker"."recovery"
    ADD CONSTRAINT "recovery_pkey" PRIMARY KEY ("recovery_id");

--
-- Name: setting setting_pkey; Type: CONSTRAINT; Schema: worker; Owner: -
--

ALTER TABLE ONLY "worker"."setting"
    ADD CONSTRAINT "setting_pkey" PRIMARY KEY ("only_row");

--
-- Name: competition_sport_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "competition_sport_idx" ON "core"."competition" USING "btree" ("sport_id");

--
-- Name: event_away_team_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "event_away_team_idx" ON "core"."event" USING "btree" ("away_team_id", "season_id");

--
-- Name: event_competition_season_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "event_competition_season_idx" ON "core"."event" USING "btree" ("competition_id", "season_id");

--
-- Name: event_correction_event_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "event_correction_event_idx" ON "core"."event_correction" USING "btree" ("event_id", "corrected_at");

--
-- Name: event_home_team_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "event_home_team_idx" ON "core"."event" USING "btree" ("home_team_id", "season_id");

--
-- Name: event_season_week_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "event_season_week_idx" ON "core"."event" USING "btree" ("season_id", "week_number");

--
-- Name: event_status_scheduled_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "event_status_scheduled_idx" ON "core"."event" USING "btree" ("status", "scheduled_start");

--
-- Name: player_full_name_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "player_full_name_idx" ON "core"."player" USING "btree" ("full_name");

--
-- Name: roster_player_season_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "roster_player_season_idx" ON "core"."roster" USING "btree" ("player_id", "season_id");

--
-- Name: roster_team_position_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "roster_team_position_idx" ON "core"."roster" USING "btree" ("team_id", "position");

--
-- Name: runner_event_numberless_external_id_key; Type: INDEX; Schema: core; Owner: -
--

CREATE UNIQUE INDEX "runner_event_numberless_external_id_key" ON "core"."runner" USING "btree" ("event_id", "external_id") WHERE ("number" IS NULL);

--
-- Name: INDEX "runner_event_numberless_external_id_key"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON INDEX "core"."runner_event_numberless_external_id_key" IS 'A runner without a number is unique within its race by its external id.';

--
-- Name: runner_event_position_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "runner_event_position_idx" ON "core"."runner" USING "btree" ("event_id", "finish_position");

--
-- Name: season_one_current_per_competition; Type: INDEX; Schema: core; Owner: -
--

CREATE UNIQUE INDEX "season_one_current_per_competition" ON "core"."season" USING "btree" ("competition_id") WHERE "is_current";

--
-- Name: INDEX "season_one_current_per_competition"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON INDEX "core"."season_one_current_per_competition" IS 'One current season per competition.';

--
-- Name: team_alias_code_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX "team_alias_code_idx" ON "core"."team_alias" USING "btree" ("code");

--
-- Name: event_scoring_owed_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "event_scoring_owed_idx" ON "forecast"."event_scoring" USING "btree" ("owed_since") WHERE ("owed_since" IS NOT NULL);

--
-- Name: first_touchdown_player_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "first_touchdown_player_idx" ON "forecast"."first_touchdown" USING "btree" ("player_id") WHERE ("player_id" IS NOT NULL);

--
-- Name: forecaster_kind_active_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "forecaster_kind_active_idx" ON "forecast"."forecaster" USING "btree" ("kind", "active");

--
-- Name: forecaster_model_name_version_key; Type: INDEX; Schema: forecast; Owner: -
--

CREATE UNIQUE INDEX "forecaster_model_name_version_key" ON "forecast"."forecaster" USING "btree" ("name", "version") WHERE ("kind" = 'model'::"text");

--
-- Name: INDEX "forecaster_model_name_version_key"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON INDEX "forecast"."forecaster_model_name_version_key" IS 'A model is identified by name + version.';

--
-- Name: forecaster_user_handle_key; Type: INDEX; Schema: forecast; Owner: -
--

CREATE UNIQUE INDEX "forecaster_user_handle_key" ON "forecast"."forecaster" USING "btree" ("lower"("handle")) WHERE ("kind" = 'user'::"text");

--
-- Name: INDEX "forecaster_user_handle_key"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON INDEX "forecast"."forecaster_user_handle_key" IS 'A user handle is unique, case-insensitively.';

--
-- Name: prediction_forecaster_market_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "prediction_forecaster_market_idx" ON "forecast"."prediction" USING "btree" ("forecaster_id", "market_id");

--
-- Name: prediction_market_price_external_market_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "prediction_market_price_external_market_idx" ON "forecast"."prediction_market_price" USING "btree" ("external_market_id");

--
-- Name: prediction_market_selection_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "prediction_market_selection_idx" ON "forecast"."prediction" USING "btree" ("market_id", "selection_id");

--
-- Name: prediction_one_per_market; Type: INDEX; Schema: forecast; Owner: -
--

CREATE UNIQUE INDEX "prediction_one_per_market" ON "forecast"."prediction" USING "btree" ("forecaster_id", "market_id") WHERE "one_per_market";

--
-- Name: INDEX "prediction_one_per_market"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON INDEX "forecast"."prediction_one_per_market" IS 'One prediction per forecaster per market, unless the market allows several picks.';

--
-- Name: prediction_score_event_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "prediction_score_event_idx" ON "forecast"."prediction_score" USING "btree" ("event_id");

--
-- Name: prediction_score_forecaster_event_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "prediction_score_forecaster_event_idx" ON "forecast"."prediction_score" USING "btree" ("forecaster_id", "event_id");

--
-- Name: prediction_selection_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "prediction_selection_idx" ON "forecast"."prediction" USING "btree" ("selection_id");

--
-- Name: race_prediction_event_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "race_prediction_event_idx" ON ONLY "forecast"."race_prediction" USING "btree" ("event_id", "predicted_at");

--
-- Name: race_prediction_forecaster_idx; Type: INDEX; Schema: forecast; Owner: -
--

CREATE INDEX "race_prediction_forecaster_idx" ON ONLY "forecast"."race_prediction" USING "btree" ("forecaster_id", "predicted_at");

--
-- Name: jobs_main_index; Type: INDEX; Schema: graphile_worker; Owner: -
--

CREATE INDEX "jobs_main_index" ON "graphile_worker"."_private_jobs" USING "btree" ("priority", "run_at") INCLUDE ("id", "task_id", "job_queue_id") WHERE ("is_available" = true);

--
-- Name: jobs_no_queue_index; Type: INDEX; Schema: graphile_worker; Owner: -
--

CREATE INDEX "jobs_no_queue_index" ON "graphile_worker"."_private_jobs" USING "btree" ("priority", "run_at") INCLUDE ("id", "task_id") WHERE (("is_available" = true) AND ("job_queue_id" IS NULL));

--
-- Name: batch_feed_started_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "batch_feed_started_idx" ON "ingest"."batch" USING "btree" ("feed", "started_at" DESC);

--
-- Name: stage_football_data_batch_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "stage_football_data_batch_idx" ON "ingest"."stage_football_data" USING "btree" ("batch_id");

--
-- Name: stage_hkjc_results_batch_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "stage_hkjc_results_batch_idx" ON "ingest"."stage_hkjc_results" USING "btree" ("batch_id");

--
-- Name: stage_kalshi_markets_batch_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "stage_kalshi_markets_batch_idx" ON "ingest"."stage_kalshi_markets" USING "btree" ("batch_id");

--
-- Name: stage_nfl_games_batch_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "stage_nfl_games_batch_idx" ON "ingest"."stage_nfl_games" USING "btree" ("batch_id");

--
-- Name: stage_nfl_players_batch_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "stage_nfl_players_batch_idx" ON "ingest"."stage_nfl_players" USING "btree" ("batch_id");

--
-- Name: stage_polymarket_markets_batch_idx; Type: INDEX; Schema: ingest; Owner: -
--

CREATE INDEX "stage_polymarket_markets_batch_idx" ON "ingest"."stage_polymarket_markets" USING "btree" ("batch_id");

--
-- Name: maintenance_log_run_at_idx; Type: INDEX; Schema: maint; Owner: -
--

CREATE INDEX "maintenance_log_run_at_idx" ON "maint"."maintenance_log" USING "btree" ("run_at");

--
-- Name: external_market_selection_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "external_market_selection_idx" ON "market"."external_market" USING "btree" ("selection_id") WHERE ("selection_id" IS NOT NULL);

--
-- Name: market_correction_market_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "market_correction_market_idx" ON "market"."market_correction" USING "btree" ("market_id", "corrected_at");

--
-- Name: market_status_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "market_status_idx" ON "market"."market" USING "btree" ("status") WHERE ("status" = 'open'::"text");

--
-- Name: odds_bar_1m_bucket_brin; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "odds_bar_1m_bucket_brin" ON ONLY "market"."odds_bar_1m" USING "brin" ("bucket") WITH ("pages_per_range"='32');

--
-- Name: INDEX "odds_bar_1m_bucket_brin"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON INDEX "market"."odds_bar_1m_bucket_brin" IS 'BRIN on time for time-range scans across selections.';

--
-- Name: odds_history_batch_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "odds_history_batch_idx" ON ONLY "market"."odds_history" USING "btree" ("batch_id");

--
-- Name: INDEX "odds_history_batch_idx"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON INDEX "market"."odds_history_batch_idx" IS 'The prices a batch loaded (what a load reported as kept).';

--
-- Name: odds_snapshot_observed_at_brin; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "odds_snapshot_observed_at_brin" ON ONLY "market"."odds_snapshot" USING "brin" ("observed_at") WITH ("pages_per_range"='32');

--
-- Name: INDEX "odds_snapshot_observed_at_brin"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON INDEX "market"."odds_snapshot_observed_at_brin" IS 'BRIN on time: tiny, and rows arrive in time order, so time-range scans across selections skip most blocks.';

--
-- Name: selection_id_market_key; Type: INDEX; Schema: market; Owner: -
--

CREATE UNIQUE INDEX "selection_id_market_key" ON "market"."selection" USING "btree" ("selection_id", "market_id");

--
-- Name: INDEX "selection_id_market_key"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON INDEX "market"."selection_id_market_key" IS 'Lets forecast.prediction reference (selection, market) together.';

--
-- Name: selection_player_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "selection_player_idx" ON "market"."selection" USING "btree" ("player_id") WHERE ("player_id" IS NOT NULL);

--
-- Name: selection_runner_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "selection_runner_idx" ON "market"."selection" USING "btree" ("runner_id") WHERE ("runner_id" IS NOT NULL);

--
-- Name: selection_team_idx; Type: INDEX; Schema: market; Owner: -
--

CREATE INDEX "selection_team_idx" ON "market"."selection" USING "btree" ("team_id") WHERE ("team_id" IS NOT NULL);

--
-- Name: check_result_check_checked_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "check_result_check_checked_idx" ON "refresh"."check_result" USING "btree" ("check_id", "checked_at" DESC);

--
-- Name: checkpoint_active_expiry_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "checkpoint_active_expiry_idx" ON "refresh"."checkpoint" USING "btree" ("expires_at") WHERE ("status" = 'active'::"text");

--
-- Name: checkpoint_one_active; Type: INDEX; Schema: refresh; Owner: -
--

CREATE UNIQUE INDEX "checkpoint_one_active" ON "refresh"."checkpoint" USING "btree" ("function_name", "target") WHERE ("status" = 'active'::"text");

--
-- Name: INDEX "checkpoint_one_active"; Type: COMMENT; Schema: refresh; Owner: -
--

COMMENT ON INDEX "refresh"."checkpoint_one_active" IS 'One active checkpoint per function and target (a partial unique index).';

--
-- Name: dependency_parent_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "dependency_parent_idx" ON "refresh"."dependency" USING "btree" ("parent");

--
-- Name: object_next_refresh_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "object_next_refresh_idx" ON "refresh"."object" USING "btree" ("next_refresh_at") WHERE "enabled";

--
-- Name: run_group_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "run_group_idx" ON ONLY "refresh"."run" USING "btree" ("run_group");

--
-- Name: run_object_started_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "run_object_started_idx" ON ONLY "refresh"."run" USING "btree" ("object", "started_at" DESC);

--
-- Name: run_status_started_idx; Type: INDEX; Schema: refresh; Owner: -
--

CREATE INDEX "run_status_started_idx" ON ONLY "refresh"."run" USING "btree" ("status", "started_at" DESC);

--
-- Name: model_calibration_model_bucket_key; Type: INDEX; Schema: stats; Owner: -
--

CREATE UNIQUE INDEX "model_calibration_model_bucket_key" ON "stats"."model_calibration" USING "btree" ("model_id", "bucket");

--
-- Name: model_event_agg_event_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "model_event_agg_event_idx" ON "stats"."model_event_agg" USING "btree" ("event_id");

--
-- Name: model_stats_club_agg_club_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "model_stats_club_agg_club_idx" ON "stats"."model_stats_club_agg" USING "btree" ("club_id", "season_id");

--
-- Name: model_stats_club_delta_club_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "model_stats_club_delta_club_idx" ON "stats"."model_stats_club_delta" USING "btree" ("club_id", "season_id");

--
-- Name: model_stats_club_delta_key_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "model_stats_club_delta_key_idx" ON "stats"."model_stats_club_delta" USING "btree" ("model_id", "club_id", "season_id", "is_home");

--
-- Name: model_stats_competition_delta_key_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "model_stats_competition_delta_key_idx" ON "stats"."model_stats_competition_delta" USING "btree" ("model_id", "competition_id", "season_id");

--
-- Name: player_stats_player_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "player_stats_player_idx" ON "stats"."player_stats" USING "btree" ("player_id", "season_id");

--
-- Name: player_stats_position_team_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "player_stats_position_team_idx" ON "stats"."player_stats" USING "btree" ("position", "team_id", "season_id");

--
-- Name: strategy_performance_daily_day_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "strategy_performance_daily_day_idx" ON "stats"."strategy_performance_daily" USING "btree" ("day");

--
-- Name: user_leaderboard_season_forecaster_key; Type: INDEX; Schema: stats; Owner: -
--

CREATE UNIQUE INDEX "user_leaderboard_season_forecaster_key" ON "stats"."user_leaderboard" USING "btree" ("season_id", "forecaster_id");

--
-- Name: user_leaderboard_season_rank_idx; Type: INDEX; Schema: stats; Owner: -
--

CREATE INDEX "user_leaderboard_season_rank_idx" ON "stats"."user_leaderboard" USING "btree" ("season_id", "rank");

--
-- Name: bet_selection_idx; Type: INDEX; Schema: trade; Owner: -
--

CREATE INDEX "bet_selection_idx" ON ONLY "trade"."bet" USING "btree" ("selection_id");

--
-- Name: bet_strategy_placed_idx; Type: INDEX; Schema: trade; Owner: -
--

CREATE INDEX "bet_strategy_placed_idx" ON ONLY "trade"."bet" USING "btree" ("strategy_id", "placed_at");

--
-- Name: performance_invalidation_bucket_idx; Type: INDEX; Schema: trade; Owner: -
--

CREATE INDEX "performance_invalidation_bucket_idx" ON "trade"."performance_invalidation" USING "btree" ("bucket");

--
-- Name: mv_model_stats_overall _RETURN; Type: RULE; Schema: stats; Owner: -
--

CREATE OR REPLACE VIEW "stats"."mv_model_stats_overall" AS
 SELECT "a"."model_id",
    ("sum"("a"."total_matches"))::integer AS "total_matches",
    "sum"("a"."total_points") AS "total_points",
    "round"(("sum"("a"."total_points") / ("sum"("a"."total_matches"))::numeric), 4) AS "avg_points",
    "round"((("sum"("a"."win_count"))::numeric / (NULLIF(("sum"("a"."win_count") + "sum"("a"."loss_count")), 0))::numeric), 4) AS "win_rate",
    ("sum"("a"."win_count"))::integer AS "win_count",
    ("sum"("a"."draw_count"))::integer AS "draw_count",
    ("sum"("a"."loss_count"))::integer AS "loss_count",
        CASE
            WHEN ("sum"("a"."units_count") > 0) THEN "sum"("a"."total_units")
            ELSE NULL::numeric
        END AS "total_units",
    "f"."name" AS "model_name",
    "f"."version" AS "model_version",
    ("sum"("a"."total_points") / ("sum"("a"."total_matches"))::numeric) AS "avg_points_exact",
    (("sum"("a"."win_count"))::numeric / (NULLIF(("sum"("a"."win_count") + "sum"("a"."loss_count")), 0))::numeric) AS "win_rate_exact"
   FROM (("stats"."model_stats_competition_current" "a"
     JOIN "core"."season" "s" ON ((("s"."season_id" = "a"."season_id") AND "s"."is_current")))
     JOIN "forecast"."forecaster" "f" ON (("f"."forecaster_id" = "a"."model_id")))
  GROUP BY "a"."model_id", "f"."forecaster_id";

--
-- Name: team_alias _100_check; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_100_check" BEFORE INSERT OR UPDATE ON "core"."team_alias" FOR EACH ROW EXECUTE FUNCTION "core"."tg_team_alias__check"();

--
-- Name: event _100_guard_delete; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_100_guard_delete" BEFORE DELETE ON "core"."event" FOR EACH ROW EXECUTE FUNCTION "core"."tg_event__guard_delete"();

--
-- Name: runner _100_guard_delete; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_100_guard_delete" BEFORE DELETE ON "core"."runner" FOR EACH ROW EXECUTE FUNCTION "core"."tg_runner__guard_delete"();

--
-- Name: runner _100_guard_result; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_100_guard_result" BEFORE UPDATE ON "core"."runner" FOR EACH ROW EXECUTE FUNCTION "core"."tg_runner__guard_result"();

--
-- Name: event _100_guard_status; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_100_guard_status" BEFORE UPDATE ON "core"."event" FOR EACH ROW EXECUTE FUNCTION "core"."tg_event__guard_status"();

--
-- Name: event _100_stamp_insert; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_100_stamp_insert" BEFORE INSERT ON "core"."event" FOR EACH ROW EXECUTE FUNCTION "core"."tg_event__stamp_insert"();

--
-- Name: event _150_owe_scoring; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_150_owe_scoring" AFTER UPDATE OF "status", "result_version" ON "core"."event" FOR EACH ROW WHEN (((("new"."status" = 'completed'::"text") AND ("old"."status" IS DISTINCT FROM 'completed'::"text")) OR (("new"."status" = ANY (ARRAY['abandoned'::"text", 'cancelled'::"text"])) AND ("old"."status" IS DISTINCT FROM "new"."status")) OR ("new"."result_version" <> "old"."result_version"))) EXECUTE FUNCTION "forecast"."tg_event__owe_scoring"();

--
-- Name: event _200_enqueue_scoring; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_200_enqueue_scoring" AFTER UPDATE OF "status", "result_version" ON "core"."event" FOR EACH ROW EXECUTE FUNCTION "worker"."tg_event__enqueue_scoring"();

--
-- Name: event _300_model_stats_keys; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_300_model_stats_keys" AFTER UPDATE ON "core"."event" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_event__model_stats_keys"();

--
-- Name: event _300_player_stats; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_300_player_stats" AFTER UPDATE ON "core"."event" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_event__player_stats"();

--
-- Name: event _990_refresh_stale_delete; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_delete" AFTER DELETE ON "core"."event" REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: event _990_refresh_stale_insert; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_insert" AFTER INSERT ON "core"."event" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: event _990_refresh_stale_truncate; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_truncate" AFTER TRUNCATE ON "core"."event" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: event _990_refresh_stale_update; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_update" AFTER UPDATE ON "core"."event" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: prediction_score _050_guard; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_050_guard" BEFORE INSERT OR DELETE OR UPDATE ON "forecast"."prediction_score" FOR EACH STATEMENT EXECUTE FUNCTION "forecast"."tg_prediction_score__guard"();

--
-- Name: first_touchdown _090_guard_settled; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_090_guard_settled" BEFORE DELETE OR UPDATE ON "forecast"."first_touchdown" FOR EACH ROW EXECUTE FUNCTION "forecast"."tg_first_touchdown__guard_settled"();

--
-- Name: race_prediction _100_fill; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_fill" BEFORE INSERT OR UPDATE OF "runner_id", "forecaster_id" ON "forecast"."race_prediction" FOR EACH ROW EXECUTE FUNCTION "forecast"."tg_race_prediction__fill"();

--
-- Name: first_touchdown _100_game_only; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_game_only" BEFORE INSERT OR UPDATE ON "forecast"."first_touchdown" FOR EACH ROW EXECUTE FUNCTION "forecast"."tg_first_touchdown__game_only"();

--
-- Name: prediction _100_guard; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_guard" BEFORE INSERT OR DELETE OR UPDATE ON "forecast"."prediction" FOR EACH ROW EXECUTE FUNCTION "forecast"."tg_prediction__guard"();

--
-- Name: forecaster _100_guard_kind; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_guard_kind" BEFORE INSERT OR UPDATE OF "kind" ON "forecast"."forecaster" FOR EACH ROW EXECUTE FUNCTION "forecast"."tg_forecaster__guard_kind"();

--
-- Name: prediction_score _100_model_stats_delete; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_model_stats_delete" AFTER DELETE ON "forecast"."prediction_score" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_prediction_score__apply"();

--
-- Name: prediction_score _100_model_stats_insert; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_model_stats_insert" AFTER INSERT ON "forecast"."prediction_score" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_prediction_score__apply"();

--
-- Name: prediction_score _100_model_stats_update; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_model_stats_update" AFTER UPDATE ON "forecast"."prediction_score" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_prediction_score__apply"();

--
-- Name: prediction_market_price _100_same_selection; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_100_same_selection" BEFORE INSERT OR UPDATE ON "forecast"."prediction_market_price" FOR EACH ROW EXECUTE FUNCTION "forecast"."tg_prediction_market_price__same_selection"();

--
-- Name: prediction _150_owe_rescoring; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_150_owe_rescoring" AFTER DELETE ON "forecast"."prediction" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "forecast"."tg_prediction__owe_rescoring"();

--
-- Name: first_touchdown _300_player_stats_delete; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_300_player_stats_delete" AFTER DELETE ON "forecast"."first_touchdown" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_first_touchdown__player_stats"();

--
-- Name: prediction _300_player_stats_delete; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_300_player_stats_delete" AFTER DELETE ON "forecast"."prediction" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_prediction__player_stats"();

--
-- Name: first_touchdown _300_player_stats_insert; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_300_player_stats_insert" AFTER INSERT ON "forecast"."first_touchdown" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_first_touchdown__player_stats"();

--
-- Name: prediction _300_player_stats_insert; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_300_player_stats_insert" AFTER INSERT ON "forecast"."prediction" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_prediction__player_stats"();

--
-- Name: first_touchdown _300_player_stats_update; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_300_player_stats_update" AFTER UPDATE ON "forecast"."first_touchdown" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_first_touchdown__player_stats"();

--
-- Name: prediction _300_player_stats_update; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_300_player_stats_update" AFTER UPDATE ON "forecast"."prediction" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_prediction__player_stats"();

--
-- Name: forecaster _990_refresh_stale_delete; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_delete" AFTER DELETE ON "forecast"."forecaster" REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: prediction_score _990_refresh_stale_delete; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_delete" AFTER DELETE ON "forecast"."prediction_score" REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: forecaster _990_refresh_stale_insert; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_insert" AFTER INSERT ON "forecast"."forecaster" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: prediction_score _990_refresh_stale_insert; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_insert" AFTER INSERT ON "forecast"."prediction_score" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: forecaster _990_refresh_stale_truncate; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_truncate" AFTER TRUNCATE ON "forecast"."forecaster" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: prediction_score _990_refresh_stale_truncate; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_truncate" AFTER TRUNCATE ON "forecast"."prediction_score" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: forecaster _990_refresh_stale_update; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_update" AFTER UPDATE ON "forecast"."forecaster" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: prediction_score _990_refresh_stale_update; Type: TRIGGER; Schema: forecast; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_update" AFTER UPDATE ON "forecast"."prediction_score" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: partition_policy _100_check; Type: TRIGGER; Schema: maint; Owner: -
--

CREATE TRIGGER "_100_check" BEFORE INSERT OR UPDATE ON "maint"."partition_policy" FOR EACH ROW EXECUTE FUNCTION "maint"."tg_partition_policy__check"();

--
-- Name: selection _080_guard_settled_terms; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_080_guard_settled_terms" BEFORE INSERT OR UPDATE ON "market"."selection" FOR EACH ROW EXECUTE FUNCTION "market"."tg_selection__guard_settled_terms"();

--
-- Name: selection _090_guard_result; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_090_guard_result" BEFORE INSERT OR UPDATE ON "market"."selection" FOR EACH ROW EXECUTE FUNCTION "market"."tg_selection__guard_result"();

--
-- Name: market _090_guard_settlement; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_090_guard_settlement" BEFORE INSERT OR UPDATE ON "market"."market" FOR EACH ROW EXECUTE FUNCTION "market"."tg_market__guard_settlement"();

--
-- Name: market _100_defaults; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_100_defaults" BEFORE INSERT OR UPDATE OF "event_id", "market_type" ON "market"."market" FOR EACH ROW EXECUTE FUNCTION "market"."tg_market__defaults"();

--
-- Name: market _100_guard_delete; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_100_guard_delete" BEFORE DELETE ON "market"."market" FOR EACH ROW EXECUTE FUNCTION "market"."tg_market__guard_delete"();

--
-- Name: selection _100_guard_delete; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_100_guard_delete" BEFORE DELETE ON "market"."selection" FOR EACH ROW EXECUTE FUNCTION "market"."tg_selection__guard_delete"();

--
-- Name: selection _300_player_stats; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_300_player_stats" AFTER UPDATE ON "market"."selection" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "stats"."tg_selection__player_stats"();

--
-- Name: selection _500_odds_snapshot_cascade; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_500_odds_snapshot_cascade" AFTER DELETE ON "market"."selection" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "market"."tg_selection__delete_odds"();

--
-- Name: source _500_odds_snapshot_restrict; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_500_odds_snapshot_restrict" BEFORE DELETE ON "market"."source" FOR EACH ROW EXECUTE FUNCTION "market"."tg__keep_odds_key"();

--
-- Name: selection _510_odds_snapshot_key_change; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_510_odds_snapshot_key_change" BEFORE UPDATE OF "selection_id" ON "market"."selection" FOR EACH ROW WHEN (("old"."selection_id" IS DISTINCT FROM "new"."selection_id")) EXECUTE FUNCTION "market"."tg__keep_odds_key"();

--
-- Name: source _510_odds_snapshot_key_change; Type: TRIGGER; Schema: market; Owner: -
--

CREATE TRIGGER "_510_odds_snapshot_key_change" BEFORE UPDATE OF "source_id" ON "market"."source" FOR EACH ROW WHEN (("old"."source_id" IS DISTINCT FROM "new"."source_id")) EXECUTE FUNCTION "market"."tg__keep_odds_key"();

--
-- Name: run _100_final; Type: TRIGGER; Schema: refresh; Owner: -
--

CREATE TRIGGER "_100_final" BEFORE UPDATE ON "refresh"."run" FOR EACH ROW EXECUTE FUNCTION "refresh"."tg_run__final"();

--
-- Name: dependency _100_no_cycle; Type: TRIGGER; Schema: refresh; Owner: -
--

CREATE TRIGGER "_100_no_cycle" BEFORE INSERT OR UPDATE OF "dependent", "parent" ON "refresh"."dependency" FOR EACH ROW EXECUTE FUNCTION "refresh"."tg_dependency__no_cycle"();

--
-- Name: object _100_validate; Type: TRIGGER; Schema: refresh; Owner: -
--

CREATE TRIGGER "_100_validate" BEFORE INSERT OR UPDATE OF "object", "method", "refresh_function", "parameters", "frequency" ON "refresh"."object" FOR EACH ROW EXECUTE FUNCTION "refresh"."tg_object__validate"();

--
-- Name: dependency _900_sync_sources; Type: TRIGGER; Schema: refresh; Owner: -
--

CREATE TRIGGER "_900_sync_sources" AFTER INSERT OR DELETE OR UPDATE ON "refresh"."dependency" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__sync_sources"();

--
-- Name: object _900_sync_sources; Type: TRIGGER; Schema: refresh; Owner: -
--

CREATE TRIGGER "_900_sync_sources" AFTER INSERT OR DELETE OR UPDATE OF "method" ON "refresh"."object" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__sync_sources"();

--
-- Name: model_stats_club_delta _990_refresh_stale_delete; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_delete" AFTER DELETE ON "stats"."model_stats_club_delta" REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_competition_delta _990_refresh_stale_delete; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_delete" AFTER DELETE ON "stats"."model_stats_competition_delta" REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_club_delta _990_refresh_stale_insert; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_insert" AFTER INSERT ON "stats"."model_stats_club_delta" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_competition_delta _990_refresh_stale_insert; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_insert" AFTER INSERT ON "stats"."model_stats_competition_delta" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_club_delta _990_refresh_stale_truncate; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_truncate" AFTER TRUNCATE ON "stats"."model_stats_club_delta" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_competition_delta _990_refresh_stale_truncate; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_truncate" AFTER TRUNCATE ON "stats"."model_stats_competition_delta" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_club_delta _990_refresh_stale_update; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_update" AFTER UPDATE ON "stats"."model_stats_club_delta" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: model_stats_competition_delta _990_refresh_stale_update; Type: TRIGGER; Schema: stats; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_update" AFTER UPDATE ON "stats"."model_stats_competition_delta" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: bet _100_guard; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_100_guard" BEFORE INSERT OR UPDATE ON "trade"."bet" FOR EACH ROW EXECUTE FUNCTION "trade"."tg_bet__guard"();

--
-- Name: bet _200_invalidate_deleted; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_200_invalidate_deleted" AFTER DELETE ON "trade"."bet" REFERENCING OLD TABLE AS "old_bets" FOR EACH STATEMENT EXECUTE FUNCTION "trade"."tg_bet__invalidate_deleted"();

--
-- Name: bet _200_invalidate_inserted; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_200_invalidate_inserted" AFTER INSERT ON "trade"."bet" REFERENCING NEW TABLE AS "new_bets" FOR EACH STATEMENT EXECUTE FUNCTION "trade"."tg_bet__invalidate_inserted"();

--
-- Name: bet _200_invalidate_updated; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_200_invalidate_updated" AFTER UPDATE ON "trade"."bet" REFERENCING OLD TABLE AS "old_bets" NEW TABLE AS "new_bets" FOR EACH STATEMENT EXECUTE FUNCTION "trade"."tg_bet__invalidate_updated"();

--
-- Name: performance_invalidation _990_refresh_stale_delete; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_delete" AFTER DELETE ON "trade"."performance_invalidation" REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: performance_invalidation _990_refresh_stale_insert; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_insert" AFTER INSERT ON "trade"."performance_invalidation" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: performance_invalidation _990_refresh_stale_truncate; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_truncate" AFTER TRUNCATE ON "trade"."performance_invalidation" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: performance_invalidation _990_refresh_stale_update; Type: TRIGGER; Schema: trade; Owner: -
--

CREATE TRIGGER "_990_refresh_stale_update" AFTER UPDATE ON "trade"."performance_invalidation" REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "refresh"."tg__mark_stale"();

--
-- Name: competition competition_sport_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."competition"
    ADD CONSTRAINT "competition_sport_fk" FOREIGN KEY ("sport_id") REFERENCES "core"."sport"("sport_id") ON DELETE RESTRICT;

--
-- Name: event event_away_team_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event"
    ADD CONSTRAINT "event_away_team_fk" FOREIGN KEY ("away_team_id") REFERENCES "core"."team"("team_id") ON DELETE RESTRICT;

--
-- Name: event_correction event_correction_event_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event_correction"
    ADD CONSTRAINT "event_correction_event_fk" FOREIGN KEY ("event_id") REFERENCES "core"."event"("event_id") ON DELETE CASCADE;

--
-- Name: event event_home_team_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event"
    ADD CONSTRAINT "event_home_team_fk" FOREIGN KEY ("home_team_id") REFERENCES "core"."team"("team_id") ON DELETE RESTRICT;

--
-- Name: event event_season_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event"
    ADD CONSTRAINT "event_season_fk" FOREIGN KEY ("season_id", "competition_id") REFERENCES "core"."season"("season_id", "competition_id") ON DELETE RESTRICT;

--
-- Name: event event_week_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."event"
    ADD CONSTRAINT "event_week_fk" FOREIGN KEY ("season_id", "week_number") REFERENCES "core"."week"("season_id", "week_number") ON DELETE RESTRICT;

--
-- Name: player player_sport_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."player"
    ADD CONSTRAINT "player_sport_fk" FOREIGN KEY ("sport_id") REFERENCES "core"."sport"("sport_id") ON DELETE RESTRICT;

--
-- Name: roster roster_player_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."roster"
    ADD CONSTRAINT "roster_player_fk" FOREIGN KEY ("player_id") REFERENCES "core"."player"("player_id") ON DELETE CASCADE;

--
-- Name: roster roster_season_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."roster"
    ADD CONSTRAINT "roster_season_fk" FOREIGN KEY ("season_id") REFERENCES "core"."season"("season_id") ON DELETE CASCADE;

--
-- Name: roster roster_team_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."roster"
    ADD CONSTRAINT "roster_team_fk" FOREIGN KEY ("team_id") REFERENCES "core"."team"("team_id") ON DELETE RESTRICT;

--
-- Name: runner runner_event_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."runner"
    ADD CONSTRAINT "runner_event_fk" FOREIGN KEY ("event_id") REFERENCES "core"."event"("event_id") ON DELETE CASCADE;

--
-- Name: season season_competition_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."season"
    ADD CONSTRAINT "season_competition_fk" FOREIGN KEY ("competition_id") REFERENCES "core"."competition"("competition_id") ON DELETE CASCADE;

--
-- Name: team_alias team_alias_team_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."team_alias"
    ADD CONSTRAINT "team_alias_team_fk" FOREIGN KEY ("team_id") REFERENCES "core"."team"("team_id") ON DELETE CASCADE;

--
-- Name: CONSTRAINT "team_alias_team_fk" ON "team_alias"; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON CONSTRAINT "team_alias_team_fk" ON "core"."team_alias" IS 'The team the code names; a deleted team takes its aliases with it.';

--
-- Name: team team_sport_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."team"
    ADD CONSTRAINT "team_sport_fk" FOREIGN KEY ("sport_id") REFERENCES "core"."sport"("sport_id") ON DELETE RESTRICT;

--
-- Name: week week_season_fk; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY "core"."week"
    ADD CONSTRAINT "week_season_fk" FOREIGN KEY ("season_id") REFERENCES "core"."season"("season_id") ON DELETE CASCADE;

--
-- Name: event_scoring event_scoring_event_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."event_scoring"
    ADD CONSTRAINT "event_scoring_event_fk" FOREIGN KEY ("event_id") REFERENCES "core"."event"("event_id") ON DELETE CASCADE;

--
-- Name: CONSTRAINT "event_scoring_event_fk" ON "event_scoring"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON CONSTRAINT "event_scoring_event_fk" ON "forecast"."event_scoring" IS 'The event whose scoring is owed; a deleted event leaves no record behind.';

--
-- Name: first_touchdown first_touchdown_event_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."first_touchdown"
    ADD CONSTRAINT "first_touchdown_event_fk" FOREIGN KEY ("event_id") REFERENCES "core"."event"("event_id") ON DELETE CASCADE;

--
-- Name: first_touchdown first_touchdown_player_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."first_touchdown"
    ADD CONSTRAINT "first_touchdown_player_fk" FOREIGN KEY ("player_id") REFERENCES "core"."player"("player_id") ON DELETE RESTRICT;

--
-- Name: first_touchdown first_touchdown_team_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."first_touchdown"
    ADD CONSTRAINT "first_touchdown_team_fk" FOREIGN KEY ("team_id") REFERENCES "core"."team"("team_id") ON DELETE RESTRICT;

--
-- Name: prediction prediction_forecaster_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction"
    ADD CONSTRAINT "prediction_forecaster_fk" FOREIGN KEY ("forecaster_id") REFERENCES "forecast"."forecaster"("forecaster_id") ON DELETE CASCADE;

--
-- Name: prediction_market_price prediction_market_price_external_market_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction_market_price"
    ADD CONSTRAINT "prediction_market_price_external_market_fk" FOREIGN KEY ("external_market_id") REFERENCES "market"."external_market"("external_market_id") ON DELETE CASCADE;

--
-- Name: prediction_market_price prediction_market_price_prediction_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction_market_price"
    ADD CONSTRAINT "prediction_market_price_prediction_fk" FOREIGN KEY ("prediction_id") REFERENCES "forecast"."prediction"("prediction_id") ON DELETE CASCADE;

--
-- Name: prediction_score prediction_score_prediction_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction_score"
    ADD CONSTRAINT "prediction_score_prediction_fk" FOREIGN KEY ("prediction_id") REFERENCES "forecast"."prediction"("prediction_id") ON DELETE CASCADE;

--
-- Name: prediction prediction_selection_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."prediction"
    ADD CONSTRAINT "prediction_selection_fk" FOREIGN KEY ("selection_id", "market_id") REFERENCES "market"."selection"("selection_id", "market_id") ON DELETE CASCADE;

--
-- Name: race_prediction race_prediction_event_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."race_prediction"
    ADD CONSTRAINT "race_prediction_event_fk" FOREIGN KEY ("event_id") REFERENCES "core"."event"("event_id") ON DELETE CASCADE;

--
-- Name: race_prediction race_prediction_forecaster_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."race_prediction"
    ADD CONSTRAINT "race_prediction_forecaster_fk" FOREIGN KEY ("forecaster_id") REFERENCES "forecast"."forecaster"("forecaster_id") ON DELETE CASCADE;

--
-- Name: race_prediction race_prediction_runner_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."race_prediction"
    ADD CONSTRAINT "race_prediction_runner_fk" FOREIGN KEY ("runner_id") REFERENCES "core"."runner"("runner_id") ON DELETE CASCADE;

--
-- Name: scoring_rule scoring_rule_market_type_fk; Type: FK CONSTRAINT; Schema: forecast; Owner: -
--

ALTER TABLE ONLY "forecast"."scoring_rule"
    ADD CONSTRAINT "scoring_rule_market_type_fk" FOREIGN KEY ("market_type") REFERENCES "market"."market_type"("code") ON DELETE CASCADE;

--
-- Name: batch batch_feed_fk; Type: FK CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."batch"
    ADD CONSTRAINT "batch_feed_fk" FOREIGN KEY ("feed") REFERENCES "ingest"."feed"("code") ON DELETE RESTRICT;

--
-- Name: competition_code competition_code_competition_fk; Type: FK CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."competition_code"
    ADD CONSTRAINT "competition_code_competition_fk" FOREIGN KEY ("competition_id") REFERENCES "core"."competition"("competition_id") ON DELETE CASCADE;

--
-- Name: competition_code competition_code_feed_fk; Type: FK CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."competition_code"
    ADD CONSTRAINT "competition_code_feed_fk" FOREIGN KEY ("feed") REFERENCES "ingest"."feed"("code") ON DELETE CASCADE;

--
-- Name: rejected_row rejected_row_batch_fk; Type: FK CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."rejected_row"
    ADD CONSTRAINT "rejected_row_batch_fk" FOREIGN KEY ("batch_id") REFERENCES "ingest"."batch"("batch_id") ON DELETE CASCADE;

--
-- Name: source source_feed_fk; Type: FK CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."source"
    ADD CONSTRAINT "source_feed_fk" FOREIGN KEY ("feed") REFERENCES "ingest"."feed"("code") ON DELETE RESTRICT;

--
-- Name: source source_last_batch_fk; Type: FK CONSTRAINT; Schema: ingest; Owner: -
--

ALTER TABLE ONLY "ingest"."source"
    ADD CONSTRAINT "source_last_batch_fk" FOREIGN KEY ("last_batch_id") REFERENCES "ingest"."batch"("batch_id") ON DELETE SET NULL;

--
-- Name: external_market external_market_selection_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."external_market"
    ADD CONSTRAINT "external_market_selection_fk" FOREIGN KEY ("selection_id") REFERENCES "market"."selection"("selection_id") ON DELETE SET NULL;

--
-- Name: external_market external_market_source_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."external_market"
    ADD CONSTRAINT "external_market_source_fk" FOREIGN KEY ("source_id") REFERENCES "market"."source"("source_id") ON DELETE RESTRICT;

--
-- Name: market_correction market_correction_market_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market_correction"
    ADD CONSTRAINT "market_correction_market_fk" FOREIGN KEY ("market_id") REFERENCES "market"."market"("market_id") ON DELETE CASCADE;

--
-- Name: CONSTRAINT "market_correction_market_fk" ON "market_correction"; Type: COMMENT; Schema: market; Owner: -
--

COMMENT ON CONSTRAINT "market_correction_market_fk" ON "market"."market_correction" IS 'The market corrected; its trace goes with a deleted market.';

--
-- Name: market market_event_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market"
    ADD CONSTRAINT "market_event_fk" FOREIGN KEY ("event_id") REFERENCES "core"."event"("event_id") ON DELETE CASCADE;

--
-- Name: market market_market_type_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."market"
    ADD CONSTRAINT "market_market_type_fk" FOREIGN KEY ("market_type") REFERENCES "market"."market_type"("code") ON DELETE RESTRICT;

--
-- Name: odds_bar_1m odds_bar_1m_selection_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE "market"."odds_bar_1m"
    ADD CONSTRAINT "odds_bar_1m_selection_fk" FOREIGN KEY ("selection_id") REFERENCES "market"."selection"("selection_id") ON DELETE CASCADE;

--
-- Name: odds_bar_1m odds_bar_1m_source_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE "market"."odds_bar_1m"
    ADD CONSTRAINT "odds_bar_1m_source_fk" FOREIGN KEY ("source_id") REFERENCES "market"."source"("source_id") ON DELETE RESTRICT;

--
-- Name: selection selection_market_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."selection"
    ADD CONSTRAINT "selection_market_fk" FOREIGN KEY ("market_id") REFERENCES "market"."market"("market_id") ON DELETE CASCADE;

--
-- Name: selection selection_player_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."selection"
    ADD CONSTRAINT "selection_player_fk" FOREIGN KEY ("player_id") REFERENCES "core"."player"("player_id") ON DELETE RESTRICT;

--
-- Name: selection selection_runner_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."selection"
    ADD CONSTRAINT "selection_runner_fk" FOREIGN KEY ("runner_id") REFERENCES "core"."runner"("runner_id") ON DELETE CASCADE;

--
-- Name: selection selection_team_fk; Type: FK CONSTRAINT; Schema: market; Owner: -
--

ALTER TABLE ONLY "market"."selection"
    ADD CONSTRAINT "selection_team_fk" FOREIGN KEY ("team_id") REFERENCES "core"."team"("team_id") ON DELETE RESTRICT;

--
-- Name: check check_object_fk; Type: FK CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."check"
    ADD CONSTRAINT "check_object_fk" FOREIGN KEY ("object") REFERENCES "refresh"."object"("object") ON DELETE CASCADE;

--
-- Name: check_result check_result_check_fk; Type: FK CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."check_result"
    ADD CONSTRAINT "check_result_check_fk" FOREIGN KEY ("check_id") REFERENCES "refresh"."check"("check_id") ON DELETE CASCADE;

--
-- Name: dependency dependency_dependent_fk; Type: FK CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."dependency"
    ADD CONSTRAINT "dependency_dependent_fk" FOREIGN KEY ("dependent") REFERENCES "refresh"."object"("object") ON DELETE CASCADE;

--
-- Name: source source_object_fk; Type: FK CONSTRAINT; Schema: refresh; Owner: -
--

ALTER TABLE ONLY "refresh"."source"
    ADD CONSTRAINT "source_object_fk" FOREIGN KEY ("object") REFERENCES "refresh"."object"("object") ON DELETE CASCADE;

--
-- Name: model_event_agg model_event_agg_model_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_event_agg"
    ADD CONSTRAINT "model_event_agg_model_fk" FOREIGN KEY ("model_id") REFERENCES "forecast"."forecaster"("forecaster_id") ON DELETE CASCADE;

--
-- Name: model_stats_club_agg model_stats_club_agg_club_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_club_agg"
    ADD CONSTRAINT "model_stats_club_agg_club_fk" FOREIGN KEY ("club_id") REFERENCES "core"."team"("team_id") ON DELETE CASCADE;

--
-- Name: model_stats_club_agg model_stats_club_agg_model_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_club_agg"
    ADD CONSTRAINT "model_stats_club_agg_model_fk" FOREIGN KEY ("model_id") REFERENCES "forecast"."forecaster"("forecaster_id") ON DELETE CASCADE;

--
-- Name: model_stats_club_agg model_stats_club_agg_season_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_club_agg"
    ADD CONSTRAINT "model_stats_club_agg_season_fk" FOREIGN KEY ("season_id") REFERENCES "core"."season"("season_id") ON DELETE CASCADE;

--
-- Name: model_stats_competition_agg model_stats_competition_agg_competition_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_competition_agg"
    ADD CONSTRAINT "model_stats_competition_agg_competition_fk" FOREIGN KEY ("competition_id") REFERENCES "core"."competition"("competition_id") ON DELETE CASCADE;

--
-- Name: model_stats_competition_agg model_stats_competition_agg_model_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_competition_agg"
    ADD CONSTRAINT "model_stats_competition_agg_model_fk" FOREIGN KEY ("model_id") REFERENCES "forecast"."forecaster"("forecaster_id") ON DELETE CASCADE;

--
-- Name: model_stats_competition_agg model_stats_competition_agg_season_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."model_stats_competition_agg"
    ADD CONSTRAINT "model_stats_competition_agg_season_fk" FOREIGN KEY ("season_id") REFERENCES "core"."season"("season_id") ON DELETE CASCADE;

--
-- Name: player_stats player_stats_player_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."player_stats"
    ADD CONSTRAINT "player_stats_player_fk" FOREIGN KEY ("player_id") REFERENCES "core"."player"("player_id") ON DELETE CASCADE;

--
-- Name: player_stats player_stats_season_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."player_stats"
    ADD CONSTRAINT "player_stats_season_fk" FOREIGN KEY ("season_id") REFERENCES "core"."season"("season_id") ON DELETE CASCADE;

--
-- Name: player_stats player_stats_team_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."player_stats"
    ADD CONSTRAINT "player_stats_team_fk" FOREIGN KEY ("team_id") REFERENCES "core"."team"("team_id") ON DELETE CASCADE;

--
-- Name: strategy_performance_daily strategy_performance_daily_market_type_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."strategy_performance_daily"
    ADD CONSTRAINT "strategy_performance_daily_market_type_fk" FOREIGN KEY ("market_type") REFERENCES "market"."market_type"("code") ON DELETE CASCADE;

--
-- Name: strategy_performance_daily strategy_performance_daily_strategy_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE ONLY "stats"."strategy_performance_daily"
    ADD CONSTRAINT "strategy_performance_daily_strategy_fk" FOREIGN KEY ("strategy_id") REFERENCES "trade"."strategy"("strategy_id") ON DELETE CASCADE;

--
-- Name: strategy_performance_hourly strategy_performance_hourly_market_type_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE "stats"."strategy_performance_hourly"
    ADD CONSTRAINT "strategy_performance_hourly_market_type_fk" FOREIGN KEY ("market_type") REFERENCES "market"."market_type"("code") ON DELETE CASCADE;

--
-- Name: strategy_performance_hourly strategy_performance_hourly_strategy_fk; Type: FK CONSTRAINT; Schema: stats; Owner: -
--

ALTER TABLE "stats"."strategy_performance_hourly"
    ADD CONSTRAINT "strategy_performance_hourly_strategy_fk" FOREIGN KEY ("strategy_id") REFERENCES "trade"."strategy"("strategy_id") ON DELETE CASCADE;

--
-- Name: bet bet_market_type_fk; Type: FK CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE "trade"."bet"
    ADD CONSTRAINT "bet_market_type_fk" FOREIGN KEY ("market_type") REFERENCES "market"."market_type"("code") ON DELETE RESTRICT;

--
-- Name: bet bet_selection_fk; Type: FK CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE "trade"."bet"
    ADD CONSTRAINT "bet_selection_fk" FOREIGN KEY ("selection_id") REFERENCES "market"."selection"("selection_id") ON DELETE RESTRICT;

--
-- Name: bet bet_source_fk; Type: FK CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE "trade"."bet"
    ADD CONSTRAINT "bet_source_fk" FOREIGN KEY ("source_id") REFERENCES "market"."source"("source_id") ON DELETE RESTRICT;

--
-- Name: bet bet_strategy_fk; Type: FK CONSTRAINT; Schema: trade; Owner: -
--

ALTER TABLE "trade"."bet"
    ADD CONSTRAINT "bet_strategy_fk" FOREIGN KEY ("strategy_id") REFERENCES "trade"."strategy"("strategy_id") ON DELETE RESTRICT;

--
-- Name: prediction; Type: ROW SECURITY; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."prediction" ENABLE ROW LEVEL SECURITY;

--
-- Name: prediction prediction_app_user; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_app_user" ON "forecast"."prediction" TO "scoreline_app" USING (("forecaster_id" = ( SELECT "forecast"."acting_user_id"() AS "acting_user_id"))) WITH CHECK (("forecaster_id" = ( SELECT "forecast"."acting_user_id"() AS "acting_user_id")));

--
-- Name: POLICY "prediction_app_user" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_app_user" ON "forecast"."prediction" IS 'An app session sees and changes only the picks of the user it acts for: forecaster_id = scoreline.user_id (forecast.acting_user_id(), once per statement), which must name a user forecaster (SL141 for a model or an unknown id).';

--
-- Name: prediction prediction_checker_read; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_checker_read" ON "forecast"."prediction" FOR SELECT TO "scoreline_checker" USING (true);

--
-- Name: POLICY "prediction_checker_read" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_checker_read" ON "forecast"."prediction" IS 'The checker role (data-quality checks) reads every prediction.';

--
-- Name: prediction_market_price; Type: ROW SECURITY; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."prediction_market_price" ENABLE ROW LEVEL SECURITY;

--
-- Name: prediction_market_price prediction_market_price_app_user; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_market_price_app_user" ON "forecast"."prediction_market_price" TO "scoreline_app" USING ((EXISTS ( SELECT
   FROM "forecast"."prediction" "p"
  WHERE ("p"."prediction_id" = "prediction_market_price"."prediction_id")))) WITH CHECK ((EXISTS ( SELECT
   FROM "forecast"."prediction" "p"
  WHERE ("p"."prediction_id" = "prediction_market_price"."prediction_id"))));

--
-- Name: POLICY "prediction_market_price_app_user" ON "prediction_market_price"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_market_price_app_user" ON "forecast"."prediction_market_price" IS 'An app session reads and links prices of its user''s picks only: the pick must be visible to it under prediction_app_user, i.e. be the pick of the user scoreline.user_id names (SL141 for a model or an unknown id).';

--
-- Name: prediction_market_price prediction_market_price_checker_read; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_market_price_checker_read" ON "forecast"."prediction_market_price" FOR SELECT TO "scoreline_checker" USING (true);

--
-- Name: POLICY "prediction_market_price_checker_read" ON "prediction_market_price"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_market_price_checker_read" ON "forecast"."prediction_market_price" IS 'The checker role (data-quality checks) reads every price link.';

--
-- Name: prediction_market_price prediction_market_price_owner; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_market_price_owner" ON "forecast"."prediction_market_price" TO "scoreline_owner" USING (true) WITH CHECK (true);

--
-- Name: POLICY "prediction_market_price_owner" ON "prediction_market_price"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_market_price_owner" ON "forecast"."prediction_market_price" IS 'The owner role sees and changes everything.';

--
-- Name: prediction_market_price prediction_market_price_worker; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_market_price_worker" ON "forecast"."prediction_market_price" TO "scoreline_worker" USING (true) WITH CHECK (true);

--
-- Name: POLICY "prediction_market_price_worker" ON "prediction_market_price"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_market_price_worker" ON "forecast"."prediction_market_price" IS 'The worker reads and writes every price link.';

--
-- Name: prediction prediction_owner; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_owner" ON "forecast"."prediction" TO "scoreline_owner" USING (true) WITH CHECK (true);

--
-- Name: POLICY "prediction_owner" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_owner" ON "forecast"."prediction" IS 'The owner role sees and changes everything.';

--
-- Name: prediction_score; Type: ROW SECURITY; Schema: forecast; Owner: -
--

ALTER TABLE "forecast"."prediction_score" ENABLE ROW LEVEL SECURITY;

--
-- Name: prediction_score prediction_score_app_user; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_score_app_user" ON "forecast"."prediction_score" FOR SELECT TO "scoreline_app" USING (("forecaster_id" = ( SELECT "forecast"."acting_user_id"() AS "acting_user_id")));

--
-- Name: POLICY "prediction_score_app_user" ON "prediction_score"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_score_app_user" ON "forecast"."prediction_score" IS 'An app session reads the scores of its user''s picks only: forecaster_id = scoreline.user_id (forecast.acting_user_id(), once per statement), which must name a user forecaster (SL141 for a model or an unknown id).';

--
-- Name: prediction_score prediction_score_checker_read; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_score_checker_read" ON "forecast"."prediction_score" FOR SELECT TO "scoreline_checker" USING (true);

--
-- Name: POLICY "prediction_score_checker_read" ON "prediction_score"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_score_checker_read" ON "forecast"."prediction_score" IS 'The checker role (data-quality checks) reads every score.';

--
-- Name: prediction_score prediction_score_owner; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_score_owner" ON "forecast"."prediction_score" TO "scoreline_owner" USING (true) WITH CHECK (true);

--
-- Name: POLICY "prediction_score_owner" ON "prediction_score"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_score_owner" ON "forecast"."prediction_score" IS 'The owner role sees and changes everything.';

--
-- Name: prediction_score prediction_score_worker; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_score_worker" ON "forecast"."prediction_score" TO "scoreline_worker" USING (true) WITH CHECK (true);

--
-- Name: POLICY "prediction_score_worker" ON "prediction_score"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_score_worker" ON "forecast"."prediction_score" IS 'The worker writes every score (scoring).';

--
-- Name: prediction prediction_worker_delete; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_worker_delete" ON "forecast"."prediction" FOR DELETE TO "scoreline_worker" USING ("forecast"."is_forecaster_kind"("forecaster_id", 'model'::"text"));

--
-- Name: POLICY "prediction_worker_delete" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_worker_delete" ON "forecast"."prediction" IS 'The worker deletes models'' predictions only.';

--
-- Name: prediction prediction_worker_insert; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_worker_insert" ON "forecast"."prediction" FOR INSERT TO "scoreline_worker" WITH CHECK ("forecast"."is_forecaster_kind"("forecaster_id", 'model'::"text"));

--
-- Name: POLICY "prediction_worker_insert" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_worker_insert" ON "forecast"."prediction" IS 'The worker writes models'' predictions only, never a user''s pick.';

--
-- Name: prediction prediction_worker_read; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_worker_read" ON "forecast"."prediction" FOR SELECT TO "scoreline_worker" USING (true);

--
-- Name: POLICY "prediction_worker_read" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_worker_read" ON "forecast"."prediction" IS 'The worker reads every prediction (scoring).';

--
-- Name: prediction prediction_worker_update; Type: POLICY; Schema: forecast; Owner: -
--

CREATE POLICY "prediction_worker_update" ON "forecast"."prediction" FOR UPDATE TO "scoreline_worker" USING ("forecast"."is_forecaster_kind"("forecaster_id", 'model'::"text")) WITH CHECK ("forecast"."is_forecaster_kind"("forecaster_id", 'model'::"text"));

--
-- Name: POLICY "prediction_worker_update" ON "prediction"; Type: COMMENT; Schema: forecast; Owner: -
--

COMMENT ON POLICY "prediction_worker_update" ON "forecast"."prediction" IS 'The worker changes models'' predictions only.';

--
-- Name: _private_job_queues; Type: ROW SECURITY; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_job_queues" ENABLE ROW LEVEL SECURITY;

--
-- Name: _private_jobs; Type: ROW SECURITY; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_jobs" ENABLE ROW LEVEL SECURITY;

--
-- Name: _private_known_crontabs; Type: ROW SECURITY; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_known_crontabs" ENABLE ROW LEVEL SECURITY;

--
-- Name: _private_tasks; Type: ROW SECURITY; Schema: graphile_worker; Owner: -
--

ALTER TABLE "graphile_worker"."_private_tasks" ENABLE ROW LEVEL SECURITY;

--
-- Name: _private_job_queues scoreline_worker; Type: POLICY; Schema: graphile_worker; Owner: -
--

CREATE POLICY "scoreline_worker" ON "graphile_worker"."_private_job_queues" TO "scoreline_owner", "scoreline_worker" USING (true) WITH CHECK (true);

--
-- Name: _private_jobs scoreline_worker; Type: POLICY; Schema: graphile_worker; Owner: -
--

CREATE POLICY "scoreline_worker" ON "graphile_worker"."_private_jobs" TO "scoreline_owner", "scoreline_worker" USING (true) WITH CHECK (true);

--
-- Name: _private_known_crontabs scoreline_worker; Type: POLICY; Schema: graphile_worker; Owner: -
--

CREATE POLICY "scoreline_worker" ON "graphile_worker"."_private_known_crontabs" TO "scoreline_owner", "scoreline_worker" USING (true) WITH CHECK (true);

--
-- Name: _private_tasks scoreline_worker; Type: POLICY; Schema: graphile_worker; Owner: -
--

CREATE POLICY "scoreline_worker" ON "graphile_worker"."_private_tasks" TO "scoreline_owner", "scoreline_worker" USING (true) WITH CHECK (true);

--
-- Name: refresh_sync_on_ddl; Type: EVENT TRIGGER; Schema: -; Owner: -
--

CREATE EVENT TRIGGER "refresh_sync_on_ddl" ON "ddl_command_end"
         WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE MATERIALIZED VIEW', 'ALTER TABLE', 'ALTER MATERIALIZED VIEW', 'CREATE VIEW', 'ALTER VIEW', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE')
   EXECUTE FUNCTION "refresh"."tg_ddl__sync"();

--
-- Name: EVENT TRIGGER "refresh_sync_on_ddl"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EVENT TRIGGER "refresh_sync_on_ddl" IS 'Registers new materialized views and tables in stats and rediscovers dependencies (refresh.sync).';

--
-- Name: refresh_sync_on_drop; Type: EVENT TRIGGER; Schema: -; Owner: -
--

CREATE EVENT TRIGGER "refresh_sync_on_drop" ON "sql_drop"
   EXECUTE FUNCTION "refresh"."tg_drop__sync"();

--
-- Name: EVENT TRIGGER "refresh_sync_on_drop"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EVENT TRIGGER "refresh_sync_on_drop" IS 'Unregisters dropped materialized views and tables (refresh.sync); ignores temporary tables.';

--
-- PostgreSQL database dump complete
--
