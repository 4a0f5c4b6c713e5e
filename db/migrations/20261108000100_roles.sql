-- migrate:up
-- The database roles of scoreline (docs/security.md): four NOLOGIN group roles a DBA
-- grants to login roles. Roles are cluster-wide: several databases on one server (test
-- clones, staging next to production) share them, so they are created only when
-- missing and never dropped by migrate:down. Their names are <prefix>_owner, _worker,
-- _app and _reader; the prefix comes from the setting scoreline.role_prefix
-- (`scoreline migrate` passes SCORELINE_ROLE_PREFIX through PGOPTIONS), default scoreline.

create table core.db_role (
  kind text primary key constraint db_role_kind_known check (kind in ('owner', 'worker', 'app', 'reader')),
  role_name name not null constraint db_role_name_key unique
);
comment on table core.db_role is
  'The database roles this database grants to, by kind (owner, worker, app, reader): written once by the roles migration from scoreline.role_prefix; sql/090_roles.sql grants to these names.';
comment on column core.db_role.role_name is 'The cluster-wide role: <prefix>_<kind>.';

do $$
declare
  prefix text := coalesce(nullif(current_setting('scoreline.role_prefix', true), ''), 'scoreline');
  k text;
begin
  if prefix !~ '^[a-z_][a-z0-9_]{0,40}$' then
    raise exception 'scoreline.role_prefix %: a role prefix is lower-case letters, digits and _ (at most 41, not starting with a digit)', prefix
      using errcode = 'SL140', hint = 'set SCORELINE_ROLE_PREFIX to e.g. scoreline or acme_scoreline';
  end if;
  foreach k in array array['owner', 'worker', 'app', 'reader'] loop
    insert into core.db_role (kind, role_name) values (k, prefix || '_' || k);
    if not exists (select from pg_catalog.pg_roles where rolname = prefix || '_' || k) then
      begin
        execute format('create role %I nologin', prefix || '_' || k);
      exception when duplicate_object or unique_violation then
        null; -- created meanwhile by a migration of another database on this server
      end;
    end if;
  end loop;
end;
$$;

-- migrate:down
-- The roles stay: other databases on the server may use them. A DBA drops them with
-- `drop owned by <role>` in every database, then `drop role`.
drop table core.db_role;
