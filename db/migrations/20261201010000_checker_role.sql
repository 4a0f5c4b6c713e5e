-- migrate:up
-- The checker role (docs/security.md): the NOLOGIN role whose rights the queries of the
-- data-quality checks (refresh."check".query) run with, through the security definer
-- evaluator refresh.evaluate_check that it owns (sql/032_refresh_checks.sql). It reads the
-- scoreline data (sql/090_roles.sql grants it), nothing else: no superuser, no server files.
-- Recorded in core.db_role as kind checker, named with the prefix of the roles this
-- database already uses; created only when missing (the roles are cluster-wide), never
-- dropped by migrate:down. Each check gets its own time limit (refresh."check".timeout).

alter table core.db_role drop constraint db_role_kind_known;
alter table core.db_role add constraint db_role_kind_known check (kind in ('owner', 'worker', 'app', 'reader', 'checker'));
comment on column core.db_role.kind is
  'owner, worker, app, reader (the groups a DBA grants to logins) or checker (the role data-quality checks run as; granted to nobody but the migrating login).';

do $$
declare
  v_owner name := (select d.role_name from core.db_role d where d.kind = 'owner');
  v_checker name;
begin
  if v_owner is null or v_owner !~ '_owner$' then
    raise exception 'core.db_role names no owner role of the form <prefix>_owner (found %)', coalesce(v_owner, 'none')
      using errcode = 'SL140', hint = 'the roles migration (20261108000100_roles.sql) records it';
  end if;
  v_checker := left(v_owner, -length('_owner')) || '_checker';
  insert into core.db_role (kind, role_name) values ('checker', v_checker);
  if not exists (select from pg_catalog.pg_roles where rolname = v_checker) then
    begin
      execute format('create role %I nologin', v_checker);
    exception
      when duplicate_object or unique_violation then
        null; -- created meanwhile by a migration of another database on this server
      when insufficient_privilege then
        raise exception 'role % does not exist and % may not create it', v_checker, current_user
          using errcode = 'SL142',
                hint = format('as a superuser: create role %I nologin; grant %I to %I (docker/initdb/scoreline-bootstrap.sh does)',
                              v_checker, v_checker, current_user);
    end;
  end if;
end;
$$;

alter table refresh."check"
  add column timeout interval not null default interval '1 minute'
    constraint check_timeout_range check (timeout > interval '0' and timeout <= interval '1 hour');
comment on column refresh."check".timeout is
  'How long the check''s query may wait for a lock, and run when it runs as its own statement (the nightly report); a check that takes longer fails with 55P03 or 57014. At most an hour.';
comment on column refresh."check".query is
  'SQL returning one number in its first column, written by the owner role (only it defines or changes checks). Run by refresh.evaluate_check as the checker role: read-only, in a subtransaction rolled back afterwards, under the check''s timeout.';

-- migrate:down
alter table refresh."check" drop column timeout;
comment on column refresh."check".query is 'Trusted SQL written by a DBA, returning one number in its first column; executed in a read-only subtransaction.';
delete from core.db_role where kind = 'checker';
alter table core.db_role drop constraint db_role_kind_known;
alter table core.db_role add constraint db_role_kind_known check (kind in ('owner', 'worker', 'app', 'reader'));
comment on column core.db_role.kind is null;
