// A score_event job replaced while it runs (a correction queues a newer job with the same key:
// graphile-worker takes the key off the running one and uses up its attempts) and then fails is
// not left failed for good: the newer job does the work, and the queue ends empty with nothing in
// worker.failed_job. The first scoring is made to wait on an advisory lock the test holds, so the
// replacement happens while it runs, and then to fail once.
import t from 'tap';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { eventually, games, league, models, predict } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

const GATE = 424242;

t.test('a scoring job replaced while it ran, then failing, is not left failed for good', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const lg = await league(sql, { code: 'sup', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [home] = await models(sql, ['always_home']);
  await predict(sql, home!, g!.home, 2);
  await sql`create sequence public.scoring_attempt`;
  await sql`
    create function public.first_scoring_fails() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(${sql.unsafe(String(GATE))});
      if nextval('public.scoring_attempt') = 1 then
        raise exception 'the first scoring fails (test)';
      end if;
      return null;
    end $$`;
  await sql`
    create trigger first_scoring_fails before insert or update on forecast.prediction_score
      for each statement execute function public.first_scoring_fails()`;

  const gate = await sql.reserve();
  await gate`select pg_advisory_lock(${GATE})`;
  const config = workerConfig({ POLL_INTERVAL_MS: '100', REFRESH_TICK_CRON: '0 0 1 1 *', REFRESH_DEBOUNCE_SECONDS: '0' });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('error', {}, () => {}), http: false });
  t.teardown(() => worker.stop('test over'));

  await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g!.event_id}`;
  const waiting = await eventually(async () => {
    const [w] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${GATE} and not granted`;
    return w?.n === 1;
  }, 60);
  t.ok(waiting, 'the scoring job runs and waits at the gate');

  // what a correction does while the job runs: a newer job with the same key
  await sql`
    select worker.add_job('score_event', json_build_object('event_id', ${g!.event_id}::bigint),
                          'score_event:' || ${g!.event_id}::bigint, null, 0, 'replace')`;
  const [replaced] = await sql<{ n: number }[]>`
    select count(*)::int as n from graphile_worker._private_jobs where key is null and locked_at is not null`;
  t.equal(replaced?.n, 1, 'the running job lost its key to the newer one');
  await gate`select pg_advisory_unlock(${GATE})`;
  gate.release();

  const drained = await eventually(async () => {
    const [q] = await sql<{ jobs: number; scores: number }[]>`
      select (select count(*)::int from worker.job where task = 'score_event') as jobs,
             (select count(*)::int from forecast.prediction_score) as scores`;
    return q?.jobs === 0 && q?.scores === 1;
  }, 60);
  t.ok(drained, 'the newer job scored the prediction and the queue has no score_event job left');
  const failed = await sql`select job_id, last_error from worker.failed_job`;
  t.same(failed, [], 'nothing failed for good');
  const [attempts] = await sql<{ n: number }[]>`select last_value::int as n from public.scoring_attempt`;
  t.ok(attempts!.n >= 2, `the replaced job failed, the newer one went through (${attempts!.n} scoring statements)`);
});

t.test('a scoring that meets a concurrent change (a foreign-key race) runs again in the same job', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const lg = await league(sql, { code: 'fkr', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [home] = await models(sql, ['always_home']);
  await predict(sql, home!, g!.home, 2);
  await sql`create sequence public.scoring_attempt`;
  // the first scoring statement fails as a prediction deleted under it would make it fail
  await sql`
    create function public.first_scoring_races() returns trigger language plpgsql as $$
    begin
      if nextval('public.scoring_attempt') = 1 then
        raise exception 'insert or update on table "prediction_score" violates foreign key constraint (test)' using errcode = '23503';
      end if;
      return null;
    end $$`;
  await sql`
    create trigger first_scoring_races before insert or update on forecast.prediction_score
      for each statement execute function public.first_scoring_races()`;
  // one attempt per job: a failure of the job itself would be final
  const config = workerConfig({
    POLL_INTERVAL_MS: '100',
    REFRESH_TICK_CRON: '0 0 1 1 *',
    REFRESH_DEBOUNCE_SECONDS: '0',
    JOB_MAX_ATTEMPTS: '1',
  });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('error', {}, () => {}), http: false });
  t.teardown(() => worker.stop('test over'));

  await sql`update core.event set status = 'completed', home_score = 2, away_score = 1 where event_id = ${g!.event_id}`;
  const scored = await eventually(async () => {
    const [q] = await sql<{ jobs: number; scores: number }[]>`
      select (select count(*)::int from worker.job where task = 'score_event') as jobs,
             (select count(*)::int from forecast.prediction_score) as scores`;
    return q?.jobs === 0 && q?.scores === 1;
  }, 60);
  t.ok(scored, 'the prediction is scored and no score_event job is left');
  t.same(await sql`select job_id, last_error from worker.failed_job`, [], 'the job did not fail');
});

// The debounced refresh has one key: every scoring of a burst queues it again, so a running
// refresh is replaced over and over, and any failure of it would be left failed for good.
t.test('a refresh job replaced while it ran, then failing, is not left failed for good', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  await sql`create sequence public.refresh_attempt`;
  await sql`
    create function public.first_refresh_fails() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(${sql.unsafe(String(GATE))});
      if nextval('public.refresh_attempt') = 1 then
        raise exception 'the first refresh pass fails (test)';
      end if;
      return null;
    end $$`;
  await sql`
    create trigger first_refresh_fails before insert on refresh.run
      for each statement execute function public.first_refresh_fails()`;
  await sql`update refresh.object set stale_since = now()`; // every object planned: each pass audits a run

  const gate = await sql.reserve();
  await gate`select pg_advisory_lock(${GATE})`;
  const config = workerConfig({ POLL_INTERVAL_MS: '100', REFRESH_TICK_CRON: '0 0 1 1 *', RECONCILE_SCORES_CRON: '0 0 1 1 *' });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('error', {}, () => {}), http: false });
  t.teardown(() => worker.stop('test over'));

  await sql`select worker.enqueue_refresh('manual')`;
  const waiting = await eventually(async () => {
    const [w] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${GATE} and not granted`;
    return w?.n === 1;
  }, 60);
  t.ok(waiting, 'the refresh job runs and waits at the gate');
  await sql`select worker.enqueue_refresh('manual')`; // what the next scoring of a burst does
  const [replaced] = await sql<{ n: number }[]>`
    select count(*)::int as n from graphile_worker._private_jobs where key is null and locked_at is not null`;
  t.equal(replaced?.n, 1, 'the running refresh lost its key to the newer one');
  await gate`select pg_advisory_unlock(${GATE})`;
  gate.release();

  const drained = await eventually(async () => {
    const [q] = await sql<{ jobs: number; passes: number }[]>`
      select (select count(*)::int from worker.job where task = 'refresh') as jobs,
             (select last_value::int from public.refresh_attempt) as passes`;
    return q?.jobs === 0 && q.passes >= 2;
  }, 60);
  t.ok(drained, 'the newer refresh ran and no refresh job is left');
  t.same(await sql`select job_id, task, last_error from worker.failed_job`, [], 'nothing failed for good');
});

t.test('a refresh pass that meets a deadlock runs again in the same job', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  await sql`create sequence public.refresh_attempt`;
  await sql`
    create function public.first_refresh_deadlocks() returns trigger language plpgsql as $$
    begin
      if nextval('public.refresh_attempt') = 1 then
        raise exception 'deadlock detected (test)' using errcode = '40P01';
      end if;
      return null;
    end $$`;
  await sql`
    create trigger first_refresh_deadlocks before insert on refresh.run
      for each statement execute function public.first_refresh_deadlocks()`;
  await sql`update refresh.object set stale_since = now()`;
  // one attempt per job, as a cron tick has: a failure of the job itself would be final
  const config = workerConfig({
    POLL_INTERVAL_MS: '100',
    REFRESH_TICK_CRON: '0 0 1 1 *',
    RECONCILE_SCORES_CRON: '0 0 1 1 *',
    JOB_MAX_ATTEMPTS: '1',
  });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('error', {}, () => {}), http: false });
  t.teardown(() => worker.stop('test over'));

  await sql`select worker.enqueue_refresh('manual')`;
  const done = await eventually(async () => {
    const [q] = await sql<{ jobs: number; passes: number }[]>`
      select (select count(*)::int from worker.job where task = 'refresh') as jobs,
             (select last_value::int from public.refresh_attempt) as passes`;
    return q?.jobs === 0 && q.passes >= 2;
  }, 60);
  t.ok(done, 'the refresh ran again and no refresh job is left');
  t.same(await sql`select job_id, task, last_error from worker.failed_job`, [], 'the job did not fail');
});
