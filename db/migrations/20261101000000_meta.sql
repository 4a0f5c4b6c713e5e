-- migrate:up
create table public.scoreline_sql_file (
  name text primary key,
  sha256 text not null,
  applied_at timestamptz not null default now()
);
comment on table public.scoreline_sql_file is
  'Which version (sha256) of each file in sql/ was last applied by `scoreline migrate`; when nothing changed, migrate applies nothing.';

-- migrate:down
drop table public.scoreline_sql_file;
