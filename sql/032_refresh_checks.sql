-- refresh: data-quality checks (refresh."check"), their runner and what blocks a refresh.
-- Each area registers its own checks in its file (refresh.define_check).
-- Re-applied by `scoreline migrate`; everything here is idempotent. See docs/refresh.md.

-- Recorded, not raised: SL070 (data-quality check failed, in refresh.run.error_sqlstate).
-- SL079 is internal (rolls back a check's subtransaction).

-- ---------------------------------------------------------------------------
-- Data-quality checks
-- ---------------------------------------------------------------------------

create or replace function refresh.check_expectation(p_expected numeric, p_min numeric, p_max numeric) returns text
language sql immutable
as $$ select concat_ws(' and ', '= ' || p_expected, '>= ' || p_min, '<= ' || p_max) $$;
comment on function refresh.check_expectation(numeric, numeric, numeric) is 'A check''s thresholds in words: "= 0", ">= 0 and <= 0.05".';

create or replace view refresh.failing_check as
select c.check_id, c.name, c.object, c.severity, r.value, r.checked_at, r.error_sqlstate, r.error_message,
       case when r.error_message is not null then format('its query failed: %s (SQLSTATE %s)', r.error_message, r.error_sqlstate)
            when r.value is null then 'its query returned no value'
            else format('value %s, expected %s', r.value, refresh.check_expectation(c.expected, c.min_value, c.max_value))
       end as detail
  from refresh."check" c
  cross join lateral (
    select * from refresh.check_result x where x.check_id = c.check_id order by x.checked_at desc, x.check_result_id desc limit 1
  ) r
 where c.enabled and not r.passed;
comment on view refresh.failing_check is 'Enabled checks whose latest result failed, with what went wrong. An error-severity one blocks its object''s hard dependents.';

create or replace function refresh.run_checks(p_object regclass default null, p_run_id bigint default null)
returns table (check_name text, object regclass, severity text, value numeric, passed boolean, detail text)
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_c refresh."check";
  v_value numeric;
  v_state text;
  v_msg text;
  v_ok boolean;
begin
  for v_c in
    select * from refresh."check" k where k.enabled and (p_object is null or k.object = p_object) order by k.name
  loop
    v_value := null;
    v_state := null;
    v_msg := null;
    begin
      -- a check only reads: run it read-only, then roll the subtransaction back
      perform set_config('transaction_read_only', 'on', true);
      execute v_c.query into v_value;
      raise exception using errcode = 'SL079', message = 'check evaluated';
    exception
      when sqlstate 'SL079' then null;
      when others then
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
  end loop;
end;
$$;
comment on function refresh.run_checks(regclass, bigint) is
  'Runs the enabled checks of one object (all checks when null: the nightly report), each read-only in its own subtransaction; a query that errors is a failed check with its error. Stores and returns the results.';

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
