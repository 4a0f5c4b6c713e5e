// SIGKILL the worker in the middle of a job: a new worker unlocks the dead one's job
// (heartbeat older than the threshold) and finishes it; nothing is scored twice or lost.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { eventually, games, league, models, predict } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

function workerProcess(url: string, env: Record<string, string> = {}): ChildProcess {
  const args = ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'worker', '--no-migrate'];
  if (!env.HTTP_PORT) args.push('--no-http');
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: url,
      HEARTBEAT_SECONDS: '1',
      STALE_WORKER_SECONDS: '3',
      REFRESH_DEBOUNCE_SECONDS: '0',
      POLL_INTERVAL_MS: '200',
      // no cron job: a minute's tick locked by the worker about to be killed would be a second
      // job (and a second recovery) beside the one the test follows
      REFRESH_TICK_CRON: '0 0 1 1 *',
      RECONCILE_SCORES_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8');
  let stderr = '';
  child.stderr?.on('data', (d: string) => (stderr += d));
  (child as ChildProcess & { stderrText: () => string }).stderrText = () => stderr;
  return child;
}

t.test("a killed worker's job is finished by the next worker within a minute", async (t) => {
  const db = await testDb(t, { max: 4 });
  const { sql } = db;
  const lg = await league(sql, { code: 'crash', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [m1, m2] = await models(sql, ['m1', 'm2']);
  await predict(sql, m1!, g!.home);
  await predict(sql, m2!, g!.away);

  // Hold settlement up: market rows cannot be updated while this lock is held.
  const blocker = await sql.reserve();
  await blocker`begin`;
  await blocker`lock table market.market in exclusive mode`;

  const first = workerProcess(db.url);
  t.teardown(() => {
    first.kill('SIGKILL');
  });
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;

  const running = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event' and state = 'running'`;
    return row?.n === 1;
  }, 60);
  t.ok(running, 'the first worker has taken the score job and is in the middle of it');

  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await blocker`rollback`;
  blocker.release();

  const [stuck] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event' and state = 'running'`;
  t.equal(stuck?.n, 1, 'after the kill the job is still locked by the dead worker');

  const second = workerProcess(db.url);
  t.teardown(() => {
    second.kill('SIGKILL');
  });
  const started = Date.now();
  const finished = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score where event_id = ${g!.event_id}`;
    const [jobs] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
    return row?.n === 2 && jobs?.n === 0;
  }, 60);
  t.ok(finished, `the second worker finished the job (after ${Math.round((Date.now() - started) / 1000)} s, limit 60 s)`);
  const [recovery] = await sql<
    { n: number; jobs: number }[]
  >`select count(*)::int as n, coalesce(sum(jobs_unlocked), 0)::int as jobs from worker.recovery`;
  t.equal(recovery?.n, 1, 'one recovery recorded');
  t.equal(recovery?.jobs, 1, 'it unlocked the one job');
  const scores = await sql<{ forecaster_id: number; outcome: string }[]>`
    select forecaster_id::int, outcome from forecast.prediction_score where event_id = ${g!.event_id} order by forecaster_id`;
  t.same(
    scores.map((s) => [s.forecaster_id, s.outcome]),
    [
      [m1, 'win'],
      [m2, 'loss'],
    ],
    'each prediction scored once, correctly',
  );

  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));
});

t.test('SIGTERM: the worker finishes, marks its heartbeat stopped and exits 0', async (t) => {
  const db = await testDb(t, { max: 2 });
  const child = workerProcess(db.url);
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const up = await eventually(async () => {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from worker.heartbeat where stopped_at is null`;
    return row?.n === 1;
  }, 60);
  t.ok(up, 'the worker is up (heartbeat)');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0');
  const [hb] = await db.sql<{ stopped: boolean }[]>`select stopped_at is not null as stopped from worker.heartbeat`;
  t.equal(hb?.stopped, true, 'its heartbeat says it stopped (so no one recovers its jobs as if it had crashed)');
});

t.test('HTTP_PORT in use: the worker exits 2 before it takes a job or registers a heartbeat', async (t) => {
  const db = await testDb(t, { max: 2 });
  const { sql } = db;
  const lg = await league(sql, { code: 'busyport', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [m1] = await models(sql, ['m1']);
  await predict(sql, m1!, g!.home);
  await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = ${g!.event_id}`;
  const [queued] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
  t.equal(queued?.n, 1, 'a score job waits in the queue');

  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => holder.close(() => r())));
  const port = (holder.address() as net.AddressInfo).port;

  const child = workerProcess(db.url, { HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const stderr = (child as ChildProcess & { stderrText: () => string }).stderrText();
  t.equal(code, 2, 'exit code 2 (configuration)');
  t.match(stderr, new RegExp(`HTTP_PORT=${port}: cannot listen \\(EADDRINUSE`), 'the message names the variable and the cause');
  const [job] = await sql<{ attempts: number; locked: boolean }[]>`
    select j.attempts, j.locked_by is not null as locked
      from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
     where k.identifier = 'score_event'`;
  t.same(job, { attempts: 0, locked: false }, 'the job was not taken');
  const [hb] = await sql<{ n: number }[]>`select count(*)::int as n from worker.heartbeat where stopped_at is null`;
  t.equal(hb?.n, 0, 'no heartbeat looks alive');
  const [scored] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score`;
  t.equal(scored?.n, 0, 'nothing was scored by the process that failed to start');
});
