// The worker's HTTP surface over a real socket against a real database.
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import t, { type Test } from 'tap';
import { makeLogger } from '../src/log.ts';
import { createHttpServer, listen, tokenMatches } from '../src/worker/http.ts';
import { WorkerMetrics } from '../src/worker/metrics.ts';
import { testDb } from './helpers/db.ts';

const secret = 'a-long-enough-cron-secret';
const quiet = makeLogger('error', {}, () => {});

async function serve(t: Test, cronSecret: string | undefined, workerRunning = true) {
  const db = await testDb(t);
  const metrics = new WorkerMetrics();
  const server = createHttpServer({ sql: db.sql, log: quiet, cronSecret, metrics, workerRunning: () => workerRunning });
  const address: AddressInfo = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { db, metrics, base: `http://127.0.0.1:${address.port}` };
}

t.test('POST /cron/update-stats', async (t) => {
  const { db, base } = await serve(t, secret);
  const url = `${base}/cron/update-stats`;

  const none = await fetch(url, { method: 'POST' });
  t.equal(none.status, 401, 'no token: 401');
  t.equal(none.headers.get('www-authenticate'), 'Bearer', 'with a Bearer challenge');

  const wrong = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}x` } });
  t.equal(wrong.status, 401, 'wrong token: 401');
  const notBearer = await fetch(url, { method: 'POST', headers: { authorization: `Basic ${secret}` } });
  t.equal(notBearer.status, 401, 'another scheme: 401');
  t.same(await db.sql`select 1 from worker.job where task = 'refresh'`, [], 'nothing queued by the rejected requests');

  const ok = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
  t.equal(ok.status, 200, 'right token: 200');
  const body = (await ok.json()) as { status: string; timestamp: string; jobId: string };
  t.equal(body.status, 'queued');
  t.ok(!Number.isNaN(Date.parse(body.timestamp)), 'timestamp is ISO 8601');
  const jobs = await db.sql<{ job_id: string; run_at: Date; payload: { trigger: string } }[]>`
    select job_id::text, run_at, payload from worker.job where task = 'refresh'`;
  t.equal(jobs.length, 1, 'one refresh job queued');
  t.equal(jobs[0]?.job_id, body.jobId, 'jobId is the queued job');
  t.equal(jobs[0]?.payload.trigger, 'http', 'marked as triggered over HTTP');
  t.ok(jobs[0]!.run_at.getTime() <= Date.now() + 1000, 'to run now');

  const again = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
  t.equal(again.status, 200);
  const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'refresh'`;
  t.equal(count?.n, 1, 'a second request replaces the pending refresh rather than adding one');

  const get = await fetch(url);
  t.equal(get.status, 405, 'GET is not allowed');
});

t.test('POST /cron/update-stats without a configured secret is disabled', async (t) => {
  const { db, base } = await serve(t, undefined);
  const res = await fetch(`${base}/cron/update-stats`, { method: 'POST', headers: { authorization: 'Bearer anything' } });
  t.equal(res.status, 503, 'disabled: 503');
  const body = (await res.json()) as { error: string; message: string };
  t.equal(body.error, 'disabled');
  t.match(body.message, /CRON_SECRET is not configured/, 'says why');
  t.same(await db.sql`select 1 from worker.job`, [], 'nothing queued');
});

t.test('token comparison', async (t) => {
  t.ok(tokenMatches(secret, secret));
  t.notOk(tokenMatches(secret.slice(0, -1), secret), 'a prefix does not match');
  t.notOk(tokenMatches('', secret), 'empty does not match');
});

t.test('GET /healthz', async (t) => {
  const { base } = await serve(t, secret);
  const res = await fetch(`${base}/healthz`);
  t.equal(res.status, 200);
  const body = (await res.json()) as { status: string; database: boolean; worker: boolean; queue: Record<string, number> };
  t.equal(body.status, 'ok');
  t.equal(body.database, true);
  t.equal(body.worker, true);
  t.same(Object.keys(body.queue).sort(), ['failed', 'queued', 'running', 'scheduled'], 'queue depth by state');

  const { base: stopped } = await serve(t, secret, false);
  const down = await fetch(`${stopped}/healthz`);
  t.equal(down.status, 503, 'a stopped worker is unhealthy');
  t.equal(((await down.json()) as { worker: boolean }).worker, false);
});

t.test('GET /metrics parses as Prometheus text', async (t) => {
  const { db, base, metrics } = await serve(t, secret);
  metrics.observe('score_event', 0.03, 'success');
  metrics.observe('score_event', 2, 'failure');
  await db.sql`select worker.enqueue_refresh('http', 0)`;
  const res = await fetch(`${base}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text);
  const byName = new Map(families.map((f) => [f.name, f]));
  const jobs = byName.get('scoreline_jobs');
  t.equal(jobs?.type, 'GAUGE');
  const queuedRefresh = jobs?.metrics.find((m) => m.labels?.task === 'refresh' && m.labels?.state === 'queued');
  t.equal(queuedRefresh?.value, '1', 'the queued refresh is counted');
  t.equal(byName.get('scoreline_job_duration_seconds')?.type, 'HISTOGRAM', 'job durations are a histogram');
  // The parser flattens labelled histograms, so their samples are read from the lines.
  t.match(text, /^scoreline_job_duration_seconds_count\{task="score_event"\} 2$/m, 'two score_event durations observed');
  t.match(text, /^scoreline_job_duration_seconds_bucket\{le="0\.05",task="score_event"\} 1$/m, 'one of them under 50 ms');
  t.match(text, /^scoreline_job_duration_seconds_bucket\{le="\+Inf",task="score_event"\} 2$/m, '+Inf bucket holds both');
  t.equal(byName.get('scoreline_worker_up')?.metrics[0]?.value, '1');
  t.ok(byName.has('scoreline_jobs_processed_total'));
});

t.test('GET /metrics: process and runtime metrics, and what operators alert on', async (t) => {
  const { db, base, metrics } = await serve(t, secret);
  const { sql } = db;
  metrics.observeRefreshRuns([
    { object: 'stats.user_leaderboard', status: 'success', seconds: 0.2 },
    { object: 'stats.user_leaderboard', status: 'failed', seconds: 1.5 },
    { object: 'stats.user_leaderboard', status: 'skipped', seconds: null },
  ]);
  metrics.recovered(3);
  // A runnable job due 10 minutes ago, one not yet due, and a finished ingest batch.
  await sql`select graphile_worker.add_job('maintain', '{}'::json, run_at => now() - interval '10 minutes')`;
  await sql`select graphile_worker.add_job('nightly_sync', '{}'::json, run_at => now() + interval '1 hour')`;
  await sql`insert into ingest.batch (feed, location, status, finished_at, inserted, updated, unchanged, rejected)
            values ('football_data', 'test.csv', 'completed', now(), 7, 2, 1, 3)`;
  const [sla] = await sql<{ object: string }[]>`select object::text as object from refresh.object order by object limit 1`;
  await sql`update refresh.object set sla = interval '1 second', stale_since = now() - interval '1 hour' where object = ${sla!.object}::regclass`;

  const text = await (await fetch(`${base}/metrics`)).text();
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  for (const name of [
    'scoreline_process_cpu_user_seconds_total',
    'scoreline_process_resident_memory_bytes',
    'scoreline_nodejs_heap_size_used_bytes',
    'scoreline_nodejs_eventloop_lag_seconds',
  ]) {
    t.ok(families.has(name), `default metric ${name}`);
  }
  const age = families.get('scoreline_job_oldest_runnable_age_seconds')?.metrics ?? [];
  t.ok(Number(age.find((m) => m.labels?.task === 'maintain')?.value) >= 590, 'the oldest runnable maintain job is 10 minutes old');
  t.equal(age.find((m) => m.labels?.task === 'nightly_sync')?.value, '0', 'a job not yet due is not runnable');
  t.match(
    text,
    /^scoreline_refresh_duration_seconds_count\{object="stats.user_leaderboard"\} 2$/m,
    'two refresh durations (the skipped run is not one)',
  );
  t.match(text, /^scoreline_refresh_runs_total\{object="stats.user_leaderboard",status="failed"\} 1$/m, 'refresh failures are counted');
  t.match(text, /^scoreline_refresh_runs_total\{object="stats.user_leaderboard",status="skipped"\} 1$/m, 'and skips');
  t.match(text, /^scoreline_worker_recovered_jobs_total 3$/m, 'recovered jobs');
  const states = (families.get('scoreline_refresh_state')?.metrics ?? []).filter((m) => m.labels?.object === sla!.object);
  t.same(
    states.map((m) => [m.labels?.state, m.value]).sort(),
    [
      ['blocked', '0'],
      ['failed', '0'],
      ['fresh', '0'],
      ['stale', '1'],
    ],
    'every state of an object, 1 for the current one',
  );
  const breached = families.get('scoreline_refresh_sla_breached')?.metrics.find((m) => m.labels?.object === sla!.object);
  t.equal(breached?.value, '1', 'the SLA breach is a metric');
  t.match(text, /^scoreline_ingest_rows_total\{feed="football_data",outcome="inserted"\} 7$/m, 'ingest rows by feed and outcome');
  t.match(text, /^scoreline_ingest_rows_total\{feed="football_data",outcome="rejected"\} 3$/m);
  await sql`insert into ingest.batch (feed, location, status, finished_at, inserted) values ('football_data', 'next.csv', 'completed', now(), 5)`;
  const again = await (await fetch(`${base}/metrics`)).text();
  t.match(again, /^scoreline_ingest_rows_total\{feed="football_data",outcome="inserted"\} 12$/m, 'the counter grows with the next batch');

  const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
  t.equal(head.status, 200, 'HEAD /metrics answers');
  t.equal(await head.text(), '', 'without a body');
  t.equal((await fetch(`${base}/healthz`, { method: 'HEAD' })).status, 200, 'HEAD /healthz too');
});
