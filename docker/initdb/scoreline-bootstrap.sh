#!/usr/bin/env bash
# The one-time bootstrap of a scoreline server: what only a superuser may do, done once
# when the cluster is created, so that no scoreline service ever logs in as a superuser
# (docs/security.md, "A server without a superuser login").
#
# docker-compose.yml mounts this file into /docker-entrypoint-initdb.d/: the postgres
# image runs it as POSTGRES_USER, against POSTGRES_DB, the first time the data volume
# is initialised. By hand (any PostgreSQL 15 or later), run it once as a superuser with
# the same variables, PGHOST/PGPORT/PGPASSWORD pointing at the server:
#
#   POSTGRES_USER=postgres POSTGRES_DB=scoreline \
#   SCORELINE_MIGRATE_PASSWORD_FILE=secrets/scoreline_migrate_password \
#   SCORELINE_WORKER_PASSWORD_FILE=secrets/scoreline_worker_password \
#     docker/initdb/scoreline-bootstrap.sh
#
# It creates (each only when missing, so a second run changes nothing but the passwords):
#   - the NOLOGIN group roles <prefix>_owner, _worker, _app, _reader, _checker, which the
#     roles migrations would otherwise need CREATEROLE to create;
#   - the migration login (SCORELINE_MIGRATE_USER, default <prefix>_migrator): NOSUPERUSER,
#     NOCREATEROLE, a member of <prefix>_owner and <prefix>_checker, owner of the database;
#   - the worker login (SCORELINE_WORKER_USER, default <prefix>_jobs): a member of
#     <prefix>_worker and nothing else;
#   - the two event triggers of the refresh registry (only a superuser creates event
#     triggers), on dispatchers in schema scoreline_hook that call
#     refresh.on_ddl_command_end / refresh.on_sql_drop once the migrations created them,
#     as the migration login (never as the superuser whose DDL fired them);
#   - execute on the advisory lock functions for the owner and worker groups only.
# Passwords come from SCORELINE_MIGRATE_PASSWORD / SCORELINE_WORKER_PASSWORD or, better,
# from the files named by SCORELINE_MIGRATE_PASSWORD_FILE / SCORELINE_WORKER_PASSWORD_FILE
# (Docker secrets); they reach psql through the environment, never its command line.
set -euo pipefail

die() {
  echo "scoreline-bootstrap: $*" >&2
  exit 1
}

# VAR from $VAR or from the file named by $VAR_FILE (one trailing newline dropped); required.
secret() {
  local var=$1 file_var="${1}_FILE" value
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then die "set $var or $file_var, not both"; fi
  if [[ -n ${!file_var:-} ]]; then
    [[ -r ${!file_var} ]] || die "$file_var: cannot read ${!file_var}"
    value=$(<"${!file_var}")
  else
    value=${!var:-}
  fi
  [[ -n $value ]] || die "$var (or $file_var, a file holding it) must be set"
  export "$var=$value"
}

prefix=${SCORELINE_ROLE_PREFIX:-scoreline}
[[ $prefix =~ ^[a-z_][a-z0-9_]{0,40}$ ]] ||
  die "SCORELINE_ROLE_PREFIX $prefix: lower-case letters, digits and _ (at most 41, not starting with a digit)"
export SCORELINE_BOOTSTRAP_PREFIX=$prefix
export SCORELINE_BOOTSTRAP_MIGRATE_USER=${SCORELINE_MIGRATE_USER:-${prefix}_migrator}
export SCORELINE_BOOTSTRAP_WORKER_USER=${SCORELINE_WORKER_USER:-${prefix}_jobs}
secret SCORELINE_MIGRATE_PASSWORD
secret SCORELINE_WORKER_PASSWORD
superuser=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$superuser}

psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$superuser" --dbname "$database" <<'EOSQL'
\getenv prefix SCORELINE_BOOTSTRAP_PREFIX
\getenv migrate_user SCORELINE_BOOTSTRAP_MIGRATE_USER
\getenv worker_user SCORELINE_BOOTSTRAP_WORKER_USER
\getenv migrate_password SCORELINE_MIGRATE_PASSWORD
\getenv worker_password SCORELINE_WORKER_PASSWORD
\set owner_role :prefix _owner
\set worker_role :prefix _worker
\set app_role :prefix _app
\set reader_role :prefix _reader
\set checker_role :prefix _checker
select current_database() as database \gset

do $$ begin
  if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    raise exception 'the scoreline bootstrap runs as a superuser, not as %', current_user;
  end if;
end $$;

-- the group roles (what the roles migrations create when they may)
select format('create role %I nologin', r)
  from unnest(array[:'owner_role', :'worker_role', :'app_role', :'reader_role', :'checker_role']) r
 where not exists (select from pg_catalog.pg_roles where rolname = r) \gexec

-- the two logins: no superuser, no role creation, only their groups
select format('create role %I login', u)
  from unnest(array[:'migrate_user', :'worker_user']) u
 where not exists (select from pg_catalog.pg_roles where rolname = u) \gexec
alter role :"migrate_user" with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password :'migrate_password';
alter role :"worker_user" with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password :'worker_password';
grant :"owner_role", :"checker_role" to :"migrate_user";
grant :"worker_role" to :"worker_user";

-- the migration login owns the database (and so its public schema) and creates everything in it
alter database :"database" owner to :"migrate_user";
revoke all on database :"database" from public;
grant connect, temporary on database :"database" to :"owner_role", :"worker_role", :"app_role", :"reader_role";

-- Advisory locks serialise the worker's scoring, refreshes and merges: in this database only
-- the owner and worker groups take them (function privileges are per database; the
-- migration login, not a superuser, cannot change them; sql/090_roles.sql does the same
-- when a superuser migrates).
select format('revoke execute on function %s from public', p.oid::regprocedure),
       format('grant execute on function %s to %I, %I', p.oid::regprocedure, :'owner_role', :'worker_role')
  from pg_catalog.pg_proc p
 where p.pronamespace = 'pg_catalog'::regnamespace and p.proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$' \gexec

-- Event triggers of the refresh registry (sql/031_refresh_discovery.sql describes them; the
-- tags below are the same). Their dispatchers belong to the superuser, in a schema only it
-- may change, and call the registry's code once the migrations created it - as the
-- migration login that owns it, so that replacing it gains that login nothing; a failure is
-- a WARNING, never a failed DDL statement.
create schema if not exists scoreline_hook;
comment on schema scoreline_hook is
  'Created by the scoreline bootstrap (docker/initdb/scoreline-bootstrap.sh), owned by a superuser: the dispatchers of the refresh registry''s event triggers.';
revoke all on schema scoreline_hook from public;

create or replace function scoreline_hook.ddl_command_end() returns event_trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  v_as name;
  v_prev text;
begin
  if pg_catalog.to_regprocedure('refresh.on_ddl_command_end(text)') is null then
    return;
  end if;
  -- The registry's code belongs to the migration login, which may replace it: a superuser's
  -- DDL runs it as that login (SET LOCAL ROLE, undone afterwards), never as the superuser.
  select r.rolname into v_as
    from pg_catalog.pg_namespace n join pg_catalog.pg_roles r on r.oid = n.nspowner
   where n.nspname = 'refresh' and not r.rolsuper;
  if v_as is not null and (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) then
    v_prev := pg_catalog.current_setting('role');
    perform pg_catalog.set_config('role', v_as, true);
    perform refresh.on_ddl_command_end(tg_tag);
    perform pg_catalog.set_config('role', v_prev, true);
  else
    perform refresh.on_ddl_command_end(tg_tag);
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', tg_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$fn$;
comment on function scoreline_hook.ddl_command_end() is
  'Event trigger dispatcher (ddl_command_end): calls refresh.on_ddl_command_end(tag) when it exists, as the owner of schema refresh (the migration login) when a superuser ran the DDL.';

create or replace function scoreline_hook.sql_drop() returns event_trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  v_as name;
  v_prev text;
begin
  if pg_catalog.to_regprocedure('refresh.on_sql_drop(text)') is null then
    return;
  end if;
  -- The registry's code belongs to the migration login, which may replace it: a superuser's
  -- DDL runs it as that login (SET LOCAL ROLE, undone afterwards), never as the superuser.
  select r.rolname into v_as
    from pg_catalog.pg_namespace n join pg_catalog.pg_roles r on r.oid = n.nspowner
   where n.nspname = 'refresh' and not r.rolsuper;
  if v_as is not null and (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) then
    v_prev := pg_catalog.current_setting('role');
    perform pg_catalog.set_config('role', v_as, true);
    perform refresh.on_sql_drop(tg_tag);
    perform pg_catalog.set_config('role', v_prev, true);
  else
    perform refresh.on_sql_drop(tg_tag);
  end if;
exception when others then
  raise warning 'refresh: could not update the registry after %: % (SQLSTATE %)', tg_tag, sqlerrm, sqlstate
    using hint = 'run select refresh.sync() once the cause is fixed';
end;
$fn$;
comment on function scoreline_hook.sql_drop() is
  'Event trigger dispatcher (sql_drop): calls refresh.on_sql_drop(tag) when it exists, as the owner of schema refresh (the migration login) when a superuser ran the DDL.';

drop event trigger if exists refresh_sync_on_ddl;
create event trigger refresh_sync_on_ddl on ddl_command_end
  when tag in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE MATERIALIZED VIEW', 'ALTER TABLE',
               'ALTER MATERIALIZED VIEW', 'CREATE VIEW', 'ALTER VIEW', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE')
  execute function scoreline_hook.ddl_command_end();
comment on event trigger refresh_sync_on_ddl is 'Registers new materialized views and tables in stats and rediscovers dependencies (refresh.sync), through scoreline_hook.';
drop event trigger if exists refresh_sync_on_drop;
create event trigger refresh_sync_on_drop on sql_drop execute function scoreline_hook.sql_drop();
comment on event trigger refresh_sync_on_drop is 'Unregisters dropped materialized views and tables (refresh.sync), through scoreline_hook; ignores temporary tables.';
EOSQL

echo "scoreline-bootstrap: database $database: roles ${prefix}_*, logins $SCORELINE_BOOTSTRAP_MIGRATE_USER (migrations) and $SCORELINE_BOOTSTRAP_WORKER_USER (worker), event triggers installed"
