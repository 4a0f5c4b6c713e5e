-- refresh: data-quality checks (refresh."check"), their runner and what blocks a refresh.
-- Each area registers its own checks in its file (refresh.define_check).
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.

-- Recorded, not raised: SL070 (data-quality check failed, in refresh.run.error_sqlstate).
-- SL079 is internal (rolls back a check's subtransaction).
--
-- SQLSTATEs raised here (class SL, scoreline):
--   SL142  the migrating role cannot make the checker role own the evaluator (not a member)
--   SL143  the checker role holds more than reading (superuser, BYPASSRLS, LOGIN, a
--          server-file, server-program or all-data role): checks are not run as it
--
-- A check's query is stored text: it is executed in one place only, refresh.evaluate_check,
-- which is owned by the checker role (core.db_role kind checker) and security definer, so
-- the query runs with the checker's rights whoever runs the checks (the worker, or a DBA's
-- `make refresh` as a superuser): it reads the scoreline data and calls the dq_* functions
-- (sql/090_roles.sql grants exactly that), read-only, in a subtransaction that is rolled
-- back, under the check's lock timeout. Only the owner role defines or changes checks.
-- What a failed query said is kept in refresh.check_result (owner and worker read it);
-- refresh.failing_check.detail, which refresh.status shows to readers, gives its SQLSTATE
-- and a generic reason only, since an error message can quote data.

-- ---------------------------------------------------------------------------
-- Data-quality checks
-- ---------------------------------------------------------------------------

create or replace function refresh.check_expectation(p_expected numeric, p_min numeric, p_max numeric) returns text
language sql immutable
as $$ select concat_ws(' and ', '= ' || p_expected, '>= ' || p_min, '<= ' || p_max) $$;
comment on function refresh.check_expectation(numeric, numeric, numeric) is 'A check''s thresholds in words: "= 0", ">= 0 and <= 0.05".';

create or replace function refresh.sqlstate_reason(p_sqlstate text) returns text
language sql immutable strict
set search_path = pg_catalog, pg_temp
as $$
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
comment on function refresh.sqlstate_reason(text) is
  'A generic reason for a SQLSTATE (insufficient privilege, cancelled, a data exception …): what readers are told about a check whose query failed, instead of its message, which may quote data.';

create or replace view refresh.failing_check as
select c.check_id, c.name, c.object, c.severity, r.value, r.checked_at, r.error_sqlstate, r.error_message,
       case when r.error_sqlstate is not null
              then format('its query failed: %s (SQLSTATE %s)', refresh.sqlstate_reason(r.error_sqlstate), r.error_sqlstate)
            when r.value is null then 'its query returned no value'
            else format('value %s, expected %s', r.value, refresh.check_expectation(c.expected, c.min_value, c.max_value))
       end as detail
  from refresh."check" c
  cross join lateral (
    select * from refresh.check_result x where x.check_id = c.check_id order by x.checked_at desc, x.check_result_id desc limit 1
  ) r
 where c.enabled and not r.passed;
comment on view refresh.failing_check is
  'Enabled checks whose latest result failed, with what went wrong. An error-severity one blocks its object''s hard dependents. detail (shown to readers by refresh.status) gives a failed query''s SQLSTATE and a generic reason; error_message (owner and worker only) what the server said.';

create or replace function refresh.evaluate_check(p_query text, p_timeout interval) returns numeric
language plpgsql
volatile
security definer -- owned by the checker role (below): a check's query runs with its rights only
set search_path = pg_catalog, pg_temp
as $$
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
comment on function refresh.evaluate_check(text, interval) is
  'Evaluates a data-quality check''s query and returns its number: owned by the checker role and security definer, so the query runs with that role''s rights only (read scoreline data, call the dq_* functions), read-only, in a subtransaction rolled back afterwards, waiting at most p_timeout for a lock. Refuses (SL143) when the checker role could do more than read. Only refresh.run_check (and the owner role) call it.';

-- The evaluator belongs to the checker role. ALTER OWNER needs the migrating role to be a
-- member of it and (for a non-superuser) the role to have CREATE on the schema, given for
-- the moment of the change only.
do $$
declare
  v_checker name := (select d.role_name from core.db_role d where d.kind = 'checker');
  v_fn regprocedure := 'refresh.evaluate_check(text, interval)'::regprocedure;
  v_bad text;
begin
  if v_checker is null then
    raise exception 'core.db_role records no checker role' using errcode = 'SL142',
      hint = 'db/migrations/20261201010000_checker_role.sql records it: run scoreline migrate';
  end if;
  select string_agg(x, ', ') into v_bad from (
    select 'SUPERUSER' as x from pg_catalog.pg_roles r where r.rolname = v_checker and r.rolsuper
    union all select 'BYPASSRLS' from pg_catalog.pg_roles r where r.rolname = v_checker and r.rolbypassrls
    union all select 'LOGIN' from pg_catalog.pg_roles r where r.rolname = v_checker and r.rolcanlogin
    union all select g from unnest(array['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program',
                                         'pg_read_all_data', 'pg_write_all_data']) g
               where pg_catalog.pg_has_role(v_checker, g, 'MEMBER')) b;
  if v_bad is not null then
    raise exception 'the checker role % holds %: data-quality checks must not run with more than reading', v_checker, v_bad
      using errcode = 'SL143', hint = format('as a superuser: alter role %I nosuperuser nobypassrls nologin, and revoke those roles from it', v_checker);
  end if;
  if (select p.proowner from pg_catalog.pg_proc p where p.oid = v_fn) is distinct from
     (select r.oid from pg_catalog.pg_roles r where r.rolname = v_checker) then
    if not pg_catalog.pg_has_role(current_user, v_checker, 'MEMBER') then
      raise exception '% cannot make the checker role % own refresh.evaluate_check: it is not a member of it', current_user, v_checker
        using errcode = 'SL142', hint = format('as a superuser: grant %I to %I (docker/initdb/scoreline-bootstrap.sh does)', v_checker, current_user);
    end if;
    execute format('grant create on schema refresh to %I', v_checker);
    execute format('alter function %s owner to %I', v_fn, v_checker);
    execute format('revoke create on schema refresh from %I', v_checker);
  end if;
end;
$$;

create or replace function refresh.run_check(p_name text, p_run_id bigint default null)
returns table (check_name text, object regclass, severity text, value numeric, passed boolean, detail text)
language plpgsql volatile
security definer -- records results in refresh.check_result, which the worker role cannot write
set search_path = pg_catalog, pg_temp
as $$
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
comment on function refresh.run_check(text, bigint) is
  'Runs one enabled check by name (refresh.evaluate_check: as the checker role, read-only, under its timeout); a query that errors, or is cancelled, is a failed check with its error. Stores the result and returns it, with the full error text in detail (for the owner and worker; readers see refresh.failing_check''s generic detail). The nightly report calls it once per check, each as its own statement under the check''s statement timeout.';

create or replace function refresh.run_checks(p_object regclass default null, p_run_id bigint default null)
returns table (check_name text, object regclass, severity text, value numeric, passed boolean, detail text)
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
  select r.*
    from (select k.name from refresh."check" k where k.enabled and (p_object is null or k.object = p_object) order by k.name) c
    cross join lateral refresh.run_check(c.name, p_run_id) r
$$;
comment on function refresh.run_checks(regclass, bigint) is
  'Runs the enabled checks of one object (all checks when null: the nightly report), each through refresh.run_check (as the checker role, read-only, in its own subtransaction); a query that errors is a failed check with its error. Stores and returns the results.';

create or replace function refresh.blocked_reason(p_object regclass) returns text
language sql stable
security definer -- refresh.status calls it for readers, who see no refresh tables
set search_path = pg_catalog, pg_temp
set jit = off -- catalog and recursive queries: estimates run high, and compiling costs more than running them
as $$
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
comment on function refresh.blocked_reason(regclass) is
  'Why an object must not be refreshed now: a hard ancestor whose last refresh failed or whose error-severity check fails. Null when nothing blocks it.';

create or replace function refresh.define_check(p_name text, p_target text, p_query text, p_expected numeric,
                                                p_min numeric, p_max numeric, p_severity text, p_description text)
returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  -- The check is attached to its target once the target is registered; the rest of a
  -- check (query, thresholds, severity) is the DBA's to tune and is never overwritten.
  insert into refresh."check" (name, object, query, expected, min_value, max_value, severity, description)
  values (p_name, (select o.object from refresh.object o where o.object = pg_catalog.to_regclass(p_target)),
          p_query, p_expected, p_min, p_max, p_severity, p_description)
  on conflict (name) do update set object = coalesce(refresh."check".object, excluded.object);
$$;
comment on function refresh.define_check(text, text, text, numeric, numeric, numeric, text, text) is
  'Ships a data-quality check (the sql/ file of each area calls it for its own checks): inserts it, or attaches an existing one to its target (p_target, a registered object, or null for a check of no object) when it had none. A DBA''s later changes to a check''s query, thresholds or severity are kept.';
