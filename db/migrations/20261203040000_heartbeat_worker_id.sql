-- migrate:up
-- Workers name themselves (WORKER_ID, by default hostname:pid): the name is kept in the
-- heartbeat beside the random process id, so that a fleet's heartbeats say which worker is which.

alter table worker.heartbeat add column worker_id text;
update worker.heartbeat set worker_id = hostname || ':' || pid where worker_id is null;
alter table worker.heartbeat alter column worker_id set not null;
comment on column worker.heartbeat.worker_id is
  'The name the worker gives itself (WORKER_ID; hostname:pid when unset). A restarted worker keeps it; process_id tells its processes apart.';
comment on column worker.heartbeat.process_id is
  'The process: its WORKER_ID and a random part (one process runs several graphile-worker workers).';

-- migrate:down
drop view if exists worker.fleet;
alter table worker.heartbeat drop column worker_id;
