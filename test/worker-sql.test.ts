// The worker's SQL side: jobs enqueued in the same transaction as the change that
// causes them, their keys and priorities, the errors, recovery and maintenance.
import t from 'tap';
import { connect } from '../src/db.ts';
import { eventually, games, league } from './helpers/fixtures.ts';
import { rejectsWith, testDb } from './helpers/db.ts';

interface JobRow {
  task: string;
  job_key: string | null;
  payload: { event_id?: number; result_version?: number; trigger?: string };
  priority: number;
  state: string;
}

t.test('completing an event enqueues its scoring job in the same transaction', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'wq', teams: 4 });
  const [g1, g2] = await games(sql, lg, 2);

  await sql
    .begin(async (tx) => {
      await tx`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g1!.event_id}`;
      throw new Error('rolled back');
    })
    .catch(() => undefined);
  t.same(await sql`select 1 from worker.job`, [], 'a rolled-back completion leaves no job');

  await sql`update core.event set status = 'in_progress' where event_id = ${g1!.event_id}`;
  t.same(await sql`select 1 from worker.job`, [], 'kick-off enqueues nothing');
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g1!.event_id}`;
  const jobs = await sql<JobRow[]>`select task, job_key, payload, priority, state from worker.job`;
  t.equal(jobs.length, 1, 'completion enqueues one job');
  t.equal(jobs[0]?.task, 'score_event');
  t.equal(jobs[0]?.job_key, `score_event:${g1!.event_id}`, 'keyed by the event');
  t.same(jobs[0]?.payload, { event_id: g1!.event_id, result_version: 0 });
  t.equal(jobs[0]?.state, 'queued');

  await sql`update core.event set status = 'completed' where event_id = ${g1!.event_id}`;
  await sql`update core.event set venue = 'elsewhere' where event_id = ${g1!.event_id}`;
  const [n1] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job`;
  t.equal(n1?.n, 1, 'completing again or touching other columns adds nothing');

  await sql`select core.correct_event_result(${g1!.event_id}, 'completed', 0::smallint, 2::smallint, 'typo')`;
  const after = await sql<JobRow[]>`select task, job_key, payload from worker.job`;
  t.equal(after.length, 1, 'a correction while the job is pending replaces it (same key)');
  t.equal(after[0]?.payload.result_version, 1, 'with the new result version');

  await sql`update core.event set status = 'cancelled' where event_id = ${g2!.event_id}`;
  const [cancel] = await sql<JobRow[]>`select task, job_key from worker.job where job_key = ${`score_event:${g2!.event_id}`}`;
  t.equal(cancel?.task, 'score_event', 'a cancelled event is scored too (its markets become void)');
});

t.test('recent events are scored first', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'prio', teams: 4 });
  const [old, recent] = await games(sql, lg, 2);
  await sql`update core.event set scheduled_start = now() - interval '30 days' where event_id = ${old!.event_id}`;
  await sql`update core.event set scheduled_start = now() - interval '2 hours' where event_id = ${recent!.event_id}`;
  await sql`update core.event set status = 'completed', home_score = 0, away_score = 0 where event_id in (${old!.event_id}, ${recent!.event_id})`;
  const rows = await sql<{ event_id: number; priority: number }[]>`
    select (payload->>'event_id')::int as event_id, priority from worker.job order by priority, job_id`;
  t.same(
    rows.map((r) => r.event_id),
    [recent!.event_id, old!.event_id],
    'graphile-worker runs the lower priority number first: the recent event',
  );
  t.equal(rows[0]?.priority, 2, 'priority is the hours since the scheduled start');
  t.equal(rows[1]?.priority, 720);
});

t.test('bad jobs and settings are refused with their SQLSTATE', async (t) => {
  const { sql } = await testDb(t);
  await rejectsWith(t, sql`select worker.add_job('drop_everything', '{}'::json)`, {
    code: 'SL120',
    message: /no worker task named 'drop_everything'/,
  });
  await rejectsWith(t, sql`select worker.add_job(null, '{}'::json)`, { code: 'SL120', message: /no worker task named null/ });
  await rejectsWith(t, sql`select worker.enqueue_refresh('http', -1)`, {
    code: 'SL121',
    message: /refresh delay must be 0 seconds or more/,
  });
  await rejectsWith(t, sql`select worker.score_event(1, -5)`, { code: 'SL121' });
  await rejectsWith(t, sql`update worker.setting set job_max_attempts = 0`, {
    code: '23514',
    constraint: 'setting_job_max_attempts_range',
  });
  await rejectsWith(t, sql`update worker.setting set refresh_delay_seconds = -1`, {
    code: '23514',
    constraint: 'setting_refresh_delay_range',
  });
  await rejectsWith(t, sql`insert into worker.setting (only_row) values (false)`, { code: '23514', constraint: 'setting_single_row' });
  await rejectsWith(t, sql`insert into worker.setting default values`, { code: '23505', constraint: 'setting_pkey' });
  await rejectsWith(t, sql`select worker.beat('p', '{}', 'h', 1, 0)`, { code: '23514', constraint: 'heartbeat_concurrency_positive' });
  await rejectsWith(
    t,
    sql`insert into worker.heartbeat (process_id, worker_id, hostname, pid, concurrency) values ('x', 'h:1', 'h', 1, 1), ('x', 'h:1', 'h', 1, 1)`,
    {
      code: '23505',
      constraint: 'heartbeat_pkey',
    },
  );
  await rejectsWith(
    t,
    sql`insert into worker.recovery (recovery_id, recovered_by, worker_ids, jobs_unlocked) overriding system value values (1, 'a', '{}', 0), (1, 'a', '{}', 0)`,
    {
      code: '23505',
      constraint: 'recovery_pkey',
    },
  );
  await rejectsWith(
    t,
    sql`insert into worker.recovery (recovered_by, worker_ids, jobs_unlocked, jobs_superseded) values ('a', '{}', 0, -1)`,
    {
      code: '23514',
      constraint: 'recovery_jobs_superseded_not_negative',
    },
  );
  const [gone] = await sql<{ r: { status: string } }[]>`select worker.score_event(987654321, 0) as r`;
  t.equal(gone?.r.status, 'gone', 'scoring an event that no longer exists is not an error');
  t.same(await sql`select 1 from worker.job`, [], 'and queues no refresh');
});

t.test('a score job queues one debounced refresh, however many complete', async (t) => {
  const { sql } = await testDb(t);
  const lg = await league(sql, { code: 'deb', teams: 4 });
  const gs = await games(sql, lg, 2);
  for (const g of gs) await sql`update core.event set status = 'completed', home_score = 1, away_score = 1 where event_id = ${g.event_id}`;
  await sql`delete from graphile_worker._private_jobs`;
  const [first] = await sql<{ r: { refresh_at: string } }[]>`select worker.score_event(${gs[0]!.event_id}, 60) as r`;
  await sql`select worker.score_event(${gs[1]!.event_id}, 60)`;
  const refresh = await sql<
    { run_at: Date; payload: { trigger: string } }[]
  >`select run_at, payload from worker.job where task = 'refresh'`;
  t.equal(refresh.length, 1, 'one refresh job for two scorings');
  t.equal(refresh[0]?.payload.trigger, 'event');
  t.equal(refresh[0]?.run_at.getTime(), new Date(first!.r.refresh_at).getTime(), 'the second kept the first run_at (preserve_run_at)');
  await sql`select worker.enqueue_refresh('http', 0)`;
  const [now] = await sql<{ run_at: Date; payload: { trigger: string } }[]>`select run_at, payload from worker.job where task = 'refresh'`;
  t.ok(now!.run_at.getTime() <= Date.now() + 1000, 'an HTTP request pulls the refresh forward to now');
  t.equal(now?.payload.trigger, 'http');
});

t.test('a job superseded while its worker died is deleted, not left failed: the newer job does the work', async (t) => {
  const { sql } = await testDb(t);
  const [old] = await sql<{ id: string }[]>`select worker.enqueue_refresh('test', 0)::text as id`;
  await sql`update graphile_worker._private_jobs set attempts = 1, locked_by = 'ghost', locked_at = now() - interval '1 minute' where id = ${old!.id}`;
  // new information while it runs: graphile-worker takes the key off the running job and uses up its attempts
  const [next] = await sql<{ id: string }[]>`select worker.enqueue_refresh('test', 0)::text as id`;
  t.not(next!.id, old!.id, 'a second refresh job was created beside the running one');
  const [was] = await sql<{ job_key: string | null; state: string }[]>`select job_key, state from worker.job where job_id = ${old!.id}`;
  t.same(was, { job_key: null, state: 'running' }, 'the running one lost its key');
  const [n] = await sql<{ n: number }[]>`select worker.recover_stale_workers('30 seconds', 'test') as n`;
  t.equal(n?.n, 1, 'one job released');
  t.same(await sql`select 1 from worker.job where job_id = ${old!.id}`, [], 'the superseded job is gone');
  t.same(await sql`select 1 from worker.failed_job`, [], 'nothing is left failed for good');
  const [left] = await sql<{ state: string; job_key: string }[]>`select state, job_key from worker.job where job_id = ${next!.id}`;
  t.same(left, { state: 'queued', job_key: 'refresh' }, 'the newer refresh job is still queued');
  const [rec] = await sql<{ jobs_unlocked: number; jobs_superseded: number }[]>`select jobs_unlocked, jobs_superseded from worker.recovery`;
  t.same(rec, { jobs_unlocked: 0, jobs_superseded: 1 }, 'recorded apart from the unlocked ones');
});

t.test('stale workers are recovered, maintenance cleans up', async (t) => {
  const { sql } = await testDb(t);
  const [job] = await sql<{ id: string }[]>`select worker.add_job('maintain', '{}'::json)::text as id`;
  // a worker that locked the job and then vanished (no heartbeat for a minute)
  await sql`update graphile_worker._private_jobs set locked_by = 'ghost', locked_at = now() - interval '1 minute' where id = ${job!.id}`;
  await sql`select worker.beat('alive', array['live-1'], 'h', 1, 1)`;
  const [none] = await sql<{ n: number }[]>`select worker.recover_stale_workers('5 minutes', 'test') as n`;
  t.equal(none?.n, 0, 'within the threshold nothing is unlocked');
  const [one] = await sql<{ n: number }[]>`select worker.recover_stale_workers('30 seconds', 'test') as n`;
  t.equal(one?.n, 1, "past it, the ghost worker's job is unlocked");
  const [state] = await sql<{ state: string }[]>`select state from worker.job where job_id = ${job!.id}`;
  t.equal(state?.state, 'queued', 'and can run again');
  const [why] = await sql<{ last_error: string }[]>`select last_error from worker.job where job_id = ${job!.id}`;
  t.match(
    why?.last_error,
    /^interrupted: worker ghost stopped \(no heartbeat for 00:00:30\) while running this job/,
    'with the reason on the job',
  );
  const [rec] = await sql<{ worker_ids: string[]; jobs_unlocked: number }[]>`select worker_ids, jobs_unlocked from worker.recovery`;
  t.same(rec, { worker_ids: ['ghost'], jobs_unlocked: 1 }, 'recorded');

  // a live worker's lock is left alone, even an old one
  await sql`update graphile_worker._private_jobs set locked_by = 'live-1', locked_at = now() - interval '1 hour' where id = ${job!.id}`;
  const [kept] = await sql<{ n: number }[]>`select worker.recover_stale_workers('30 seconds', 'test') as n`;
  t.equal(kept?.n, 0, 'a worker with a fresh heartbeat keeps its jobs');

  // maintenance: jobs failed for good long ago, stopped heartbeats, old recovery rows
  await sql`update graphile_worker._private_jobs set locked_by = null, locked_at = null, attempts = max_attempts,
              last_error = 'boom', updated_at = now() - interval '20 days' where id = ${job!.id}`;
  const failed = await sql<{ task: string; last_error: string }[]>`select task, last_error from worker.failed_job`;
  t.same(failed, [{ task: 'maintain', last_error: 'boom' }], 'a job that failed for good shows in worker.failed_job with its error');
  await sql`update worker.heartbeat set stopped_at = now() - interval '2 days'`;
  await sql`update worker.recovery set recovered_at = now() - interval '100 days'`;
  await sql`call worker.maintain()`;
  t.same(await sql`select 1 from worker.failed_job`, [], 'maintenance deleted the old failed job');
  t.same(await sql`select 1 from worker.heartbeat`, [], 'and the stopped heartbeat');
  t.same(await sql`select 1 from worker.recovery`, [], 'and the old recovery record');
});

t.test("recovery ends a dead process's backends before it unlocks their jobs, and a name defaults to hostname:pid", async (t) => {
  const { sql, url } = await testDb(t);
  const [job] = await sql<{ id: string }[]>`select worker.add_job('maintain', '{}'::json)::text as id`;
  await sql`select worker.beat('ghost-host:7/a1b2c3', array['pool-ghost'], 'ghost-host', 7, 1, 'ghost-host:7')`;
  await sql`select worker.beat('nameless/d4e5f6', array['pool-nameless'], 'h', 42, 1)`;
  const [named] = await sql<{ worker_id: string }[]>`select worker_id from worker.heartbeat where process_id = 'nameless/d4e5f6'`;
  t.equal(named?.worker_id, 'h:42', 'a beat without a name records hostname:pid');
  await sql`update worker.heartbeat set last_seen_at = now() - interval '1 minute' where process_id = 'ghost-host:7/a1b2c3'`;
  await sql`update graphile_worker._private_jobs set locked_by = 'pool-ghost', locked_at = now() - interval '1 minute' where id = ${job!.id}`;

  // The dead process's connection, still inside a statement.
  const orphan = connect(url, { max: 1, applicationName: 'scoreline worker ghost-host:7/a1b2c3' });
  t.teardown(() => orphan.end({ timeout: 1 }).catch(() => {}));
  const sleeping = orphan`select pg_sleep(120)`.then(
    () => 'finished',
    (err: { code?: string }) => err.code ?? 'error',
  );
  t.ok(
    await eventually(async () => {
      const [r] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where application_name = 'scoreline worker ghost-host:7/a1b2c3' and state = 'active'`;
      return r!.n === 1;
    }, 30),
    "the dead process's statement is running",
  );
  const [one] = await sql<{ n: number }[]>`select worker.recover_stale_workers('30 seconds', 'test') as n`;
  t.equal(one?.n, 1, 'its job is unlocked');
  t.match(
    await sleeping,
    /^(57P01|CONNECTION_CLOSED)$/,
    'and its statement was ended first (terminated: admin_shutdown, the connection closed), not left to commit later',
  );
  const [left] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity where application_name = 'scoreline worker ghost-host:7/a1b2c3'`;
  t.equal(left?.n, 0, 'no backend of it is left');
  const fleet = await sql<{ worker_id: string; processes_alive: number; jobs_locked: number }[]>`
    select worker_id, processes_alive::int, jobs_locked::int from worker.fleet order by worker_id`;
  t.same(
    fleet,
    [
      { worker_id: 'ghost-host:7', processes_alive: 0, jobs_locked: 0 },
      { worker_id: 'h:42', processes_alive: 1, jobs_locked: 0 },
    ],
    'worker.fleet: the recovered name has no live process and no lock left',
  );
});
