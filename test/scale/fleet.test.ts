// A fleet of worker processes on one database: three `scoreline worker` processes with
// their own WORKER_IDs take a burst of completions; the two that are in the middle of a job
// are SIGKILLed and restarted under the same names, and a fourth joins mid-burst. Every job
// runs once (one scoring committed per event, counted by a trigger as it commits), the dead
// processes' locked jobs are released by the recovery path (worker.recover_stale_workers →
// graphile_worker.force_unlock_workers), and the heartbeats show the distinct names.
import t from 'tap';
import {
  burst,
  completeAll,
  killWorker,
  scoreJobsLeft,
  spawnWorker,
  waitFor,
  workersAlive,
  type WorkerProcess,
} from '../../bench/fleet.ts';
import { testDb } from '../helpers/db.ts';

t.test('four named worker processes, two SIGKILLed mid-job and restarted, one added mid-burst: every job once', async (t) => {
  const { sql, url } = await testDb(t, { max: 6 });
  const procs: WorkerProcess[] = [];
  t.teardown(() => Promise.all(procs.map((p) => killWorker(p))));
  // One event per job (SCORE_BATCH_SIZE=1): the test kills the processes that are in the middle
  // of the two held events, which must be two processes; a batching process would claim both.
  // A batch's claimed jobs after a crash: test/worker-batch.test.ts.
  const start = (id: string) => {
    const w = spawnWorker(url, id, { SCORE_BATCH_SIZE: '1' });
    procs.push(w);
    return w;
  };

  const b = await burst(sql, 'fleet', 120);
  t.equal(b.predictions, 360, '120 events with 3 predictions each');
  // The per-job log: one row per scoring that commits, with the scorer's application_name.
  await sql.unsafe(`
    create table public.scored_log (event_id bigint, app text, at timestamptz default clock_timestamp());
    create function public.log_scored() returns trigger language plpgsql volatile as $f$
    begin
      insert into public.scored_log (event_id, app) values (new.event_id, current_setting('application_name'));
      return null;
    end $f$;
    create trigger log_scored after update of scored_version on forecast.event_scoring
      for each row when (new.scored_at is distinct from old.scored_at) execute function public.log_scored();`);

  const first = ['fleet-a', 'fleet-b', 'fleet-c'].map(start);
  t.ok(
    await waitFor(() => workersAlive(sql, ['fleet-a', 'fleet-b', 'fleet-c']), 90, 200),
    'three worker processes beat under their own names',
  );

  // Two events are held at their market rows: the processes that take their jobs stay in the
  // middle of them. The last 40 are held too, until the new processes are up: the burst is
  // still running when they join, whatever the speed of the machine.
  const held = b.events.slice(0, 2);
  const later = b.events.slice(-40);
  const hold = async (events: number[]) => {
    const c = await sql.reserve();
    await c`begin`;
    await c`select 1 from market.market where event_id = any (${events}::bigint[]) for update`;
    return c;
  };
  const blocker = await hold(held);
  const laterBlocker = await hold(later);

  await completeAll(sql, b.events);
  const lockedBy = async (): Promise<{ event_id: number; locked_by: string; worker_id: string }[]> =>
    sql`select (j.payload->>'event_id')::int as event_id, j.locked_by, h.worker_id
          from graphile_worker._private_jobs j
          join worker.heartbeat h on j.locked_by = any (h.worker_ids)
         where j.key = any (${held.map((e) => `score_event:${e}`)}::text[]) and j.locked_by is not null`;
  t.ok(await waitFor(async () => (await lockedBy()).length === 2, 60), 'two processes are in the middle of the held events');
  const stuck = await lockedBy();
  t.equal(new Set(stuck.map((s) => s.worker_id)).size, 2, `held by two processes: ${stuck.map((s) => s.worker_id).join(', ')}`);
  // SIGKILL both, mid-job. Their backends are still waiting inside the job's statement: the
  // rows stay held until the recovery has run, as for a long statement, so that the test
  // shows the statement is ended rather than committed after the job runs again.
  const victims = first.filter((w) => stuck.some((s) => s.worker_id === w.workerId));
  const deadProcesses = (
    await sql<{ process_id: string }[]>`
      select process_id from worker.heartbeat where worker_ids && ${stuck.map((s) => s.locked_by)}::text[]`
  ).map((r) => r.process_id);
  t.equal(deadProcesses.length, 2, 'the two processes about to die');
  await Promise.all(victims.map((w) => killWorker(w)));
  t.ok(
    await waitFor(async () => {
      const [r] = await sql<{ n: number }[]>`
        select count(*)::int as n from unnest(${stuck.map((s) => s.locked_by)}::text[]) l
         where exists (select from worker.recovery r where l = any (r.worker_ids))`;
      return r!.n === 2;
    }, 60),
    'a live process recovered the dead ones within a minute',
  );
  const [orphans] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
     where application_name = any (array(select left('scoreline worker ' || p, 63) from unnest(${deadProcesses}::text[]) p))`;
  t.equal(orphans!.n, 0, "the dead processes' backends were ended by the recovery");
  await blocker`rollback`;
  blocker.release();

  // Restarted under the same names, and a fourth process joins while the burst runs.
  for (const w of victims) start(w.workerId);
  start('fleet-d');
  t.ok(await waitFor(() => workersAlive(sql, ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d']), 90, 200), 'four names beat again');
  const [done] = await sql<{ n: number }[]>`select count(distinct event_id)::int as n from public.scored_log`;
  t.ok(done!.n <= b.events.length - later.length, `the burst is still running (${done!.n} of ${b.events.length} scored)`);
  await laterBlocker`rollback`;
  laterBlocker.release();

  t.ok(
    await waitFor(
      async () => {
        const [r] = await sql<{ behind: number }[]>`
          select count(*)::int as behind from forecast.event_scoring where event_id = any (${b.events}::bigint[]) and owed_since is not null`;
        return r!.behind === 0 && (await scoreJobsLeft(sql)) === 0;
      },
      120,
      200,
    ),
    'every event scored and the queue empty',
  );

  const [counts] = await sql<{ logged: number; events: number; twice: number; scores: number; dupes: number }[]>`
    select (select count(*)::int from public.scored_log) as logged,
           (select count(distinct event_id)::int from public.scored_log) as events,
           (select count(*)::int from (select event_id from public.scored_log group by event_id having count(*) > 1) x) as twice,
           (select count(*)::int from forecast.prediction_score where event_id = any (${b.events}::bigint[])) as scores,
           (select count(*)::int from (select prediction_id from forecast.prediction_score group by prediction_id having count(*) > 1) x) as dupes`;
  t.equal(counts!.events, b.events.length, 'every event was scored');
  t.equal(counts!.logged, b.events.length, 'each exactly once: one committed scoring per job');
  t.equal(counts!.twice, 0, 'no event scored twice');
  t.equal(counts!.scores, b.predictions, 'every prediction has its score');
  t.equal(counts!.dupes, 0, 'and one only');

  const recovered = await sql<{ worker_ids: string[]; recovered_by: string; jobs: number }[]>`
    select worker_ids, recovered_by, jobs_unlocked + jobs_superseded as jobs from worker.recovery`;
  const released = new Set(recovered.flatMap((r) => r.worker_ids));
  for (const s of stuck) t.ok(released.has(s.locked_by), `recovery released ${s.locked_by}, the dead ${s.worker_id}`);
  const dead = stuck.map((s) => s.locked_by.replace(/\/w$/, ''));
  t.ok(
    recovered.length > 0 && recovered.every((r) => !dead.includes(r.recovered_by)),
    `recovered by live processes (${recovered.map((r) => r.recovered_by).join(', ')})`,
  );
  t.ok(recovered.reduce((n, r) => n + r.jobs, 0) >= 2, 'the two held jobs were released');
  const heldLog = await sql<{ event_id: number; app: string }[]>`
    select event_id::int, app from public.scored_log where event_id = any (${held}::bigint[]) order by event_id`;
  t.equal(heldLog.length, 2, 'the held events were scored once each, after the recovery');

  const fleet = await sql<{ worker_id: string; processes: number; processes_alive: number }[]>`
    select worker_id, processes::int, processes_alive::int from worker.fleet order by worker_id`;
  t.same(
    fleet.map((f) => f.worker_id),
    ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'],
    'the heartbeats show the four names',
  );
  for (const f of fleet) {
    const restarted = victims.some((v) => v.workerId === f.worker_id);
    t.same(
      { processes: f.processes, alive: f.processes_alive },
      { processes: restarted ? 2 : 1, alive: 1 },
      `${f.worker_id}: ${restarted ? 'the killed process (marked stopped by the recovery) and its restart' : 'one process'}`,
    );
  }
  const apps = await sql<{ app: string }[]>`select distinct app from public.scored_log order by app`;
  t.ok(apps.length >= 3, `the jobs were spread over the processes (application_name: ${apps.map((a) => a.app).join(', ')})`);
  t.ok(
    apps.every((a) => /^scoreline worker fleet-[abcd]\/[0-9a-f]{6}$/.test(a.app)),
    'each scoring ran on a connection named after its worker process (scoreline worker <WORKER_ID>/<random>)',
  );
});
