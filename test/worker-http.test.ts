// The worker's HTTP surface over a real socket against a real database.
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import t, { type Test } from 'tap';
import { makeLogger } from '../src/log.ts';
import { createHttpServer, listen, tokenMatches } from '../src/worker/http.ts';
import { JobMetrics } from '../src/worker/metrics.ts';
import { testDb } from './helpers/db.ts';

const secret = 'a-long-enough-cron-secret';
const quiet = makeLogger('error', {}, () => {});

async function serve(t: Test, cronSecret: string | undefined, workerRunning = true) {
  const db = await testDb(t);
  const metrics = new JobMetrics();
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
  t.match(text, /^scoreline_job_duration_seconds_bucket\{task="score_event",le="0\.05"\} 1$/m, 'one of them under 50 ms');
  t.match(text, /^scoreline_job_duration_seconds_bucket\{task="score_event",le="\+Inf"\} 2$/m, '+Inf bucket holds both');
  t.equal(byName.get('scoreline_worker_up')?.metrics[0]?.value, '1');
  t.ok(byName.has('scoreline_jobs_processed_total'));
});
