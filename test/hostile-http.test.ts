// Hostile input at the worker's doors: the HTTP surface over a real socket (hostile
// headers and bodies, huge headers, wrong methods, garbage on the wire) and job payloads
// run by a real graphile-worker (each bad job fails for good with a clear error, the
// worker keeps running and scores the next good job).
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { createHttpServer, listen } from '../src/worker/http.ts';
import { WorkerMetrics } from '../src/worker/metrics.ts';
import { startWorker } from '../src/worker/runner.ts';
import { corpus, victimCounts } from './fixtures/hostile/corpus.ts';
import { eventually, games, league, models, predict } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

const secret = 'a-long-enough-cron-secret';
const quiet = makeLogger('error', {}, () => {});

/** Write raw bytes on a fresh connection and return what the server answers (until it closes or 5 s). */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      socket.destroy();
      resolve(out);
    };
    socket.setTimeout(5000, done);
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => socket.end(bytes));
  });
}

t.test('POST /cron/update-stats and friends under hostile requests', async (t) => {
  const db = await testDb(t);
  const server = createHttpServer({ sql: db.sql, log: quiet, cronSecret: secret, metrics: new WorkerMetrics(), workerRunning: () => true });
  const { port } = (await listen(server, 0, '127.0.0.1')) as AddressInfo;
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${port}/cron/update-stats`;
  const before = await victimCounts(db.sql);

  for (const s of corpus.injection) {
    if (/[^\x00-\xff]/.test(s)) {
      // fetch only sends Latin-1 header values: put the UTF-8 bytes on the wire by hand
      const answer = await raw(
        port,
        Buffer.from(
          `POST /cron/update-stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s}\r\nX-Forwarded-For: ${s}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        ),
      );
      t.match(answer, /^HTTP\/1\.1 401/, `Bearer ${JSON.stringify(s)} as UTF-8 bytes: 401`);
      continue;
    }
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${s}`, 'x-forwarded-for': s }, body: s });
    t.equal(res.status, 401, `Bearer ${JSON.stringify(s)}: 401`);
  }
  const huge = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${'x'.repeat(64 * 1024)}` } });
  t.equal(huge.status, 431, 'a 64 kB header: 431 from the HTTP parser');
  const bigBody = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: 'x'.repeat(10 * 1024 * 1024) });
  t.equal(bigBody.status, 401, 'a 10 MB body with a wrong token: 401, body drained');
  const almost = await fetch(url, { method: 'POST', headers: { authorization: `Bearer  ${secret}` } });
  t.equal(almost.status, 401, 'the secret after two spaces: 401 (a trailing space is trimmed by HTTP itself)');
  const prefix = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret.slice(0, -1)}` } });
  t.equal(prefix.status, 401, 'the secret less its last character: 401');
  const twice = await raw(
    port,
    `POST /cron/update-stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nAuthorization: Bearer ${secret}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  );
  t.match(twice, /^HTTP\/1\.1 401/, 'two Authorization headers (the second right): 401, the first counts');
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${secret}` } });
    t.equal(res.status, 405, `${method} with the right token: 405`);
  }
  const nul = await raw(port, `POST /cron/update-stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\0b\r\nConnection: close\r\n\r\n`);
  t.match(nul, /^HTTP\/1\.1 400/, 'a NUL in a header: 400 from the HTTP parser');
  const utf8 = await raw(
    port,
    Buffer.concat([
      Buffer.from('POST /cron/update-stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
    ]),
  );
  t.match(utf8, /^HTTP\/1\.1 (400|401)/, 'malformed UTF-8 in the token: refused');
  const garbage = await raw(port, 'DROP TABLE core.event;\r\n\r\n');
  t.match(garbage, /^HTTP\/1\.1 400/, 'not HTTP at all: 400');
  const traversal = await fetch(`http://127.0.0.1:${port}/cron/update-stats/..%2f..%2fhealthz?x='; drop table core.event; --`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}` },
  });
  t.equal(traversal.status, 404, 'an encoded path traversal: 404');
  const lying = await raw(
    port,
    `POST /cron/update-stats HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\nshort`,
  );
  t.match(lying, /^HTTP\/1\.1 401/, 'a body shorter than its Content-Length: answered, the socket closed');
  t.same(await db.sql`select 1 from worker.job where task = 'refresh'`, [], 'no refresh queued by any hostile request');

  const ok = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: '{"a": 1, "a": 2}',
  });
  t.equal(ok.status, 200, 'the right token still works after all that (the body is ignored)');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.equal(health.status, 200, 'and the server is healthy');
  const after = await victimCounts(db.sql);
  t.same({ ...after, 'worker.job': before['worker.job'] }, before, 'the victim tables are there, unchanged');
  t.equal(after['worker.job'], before['worker.job']! + 1, 'exactly one job queued: the good request');
});

t.test('hostile job payloads fail with a clear error; the worker keeps running and does the next good job', async (t) => {
  const db = await testDb(t, { max: 6 });
  const { sql } = db;
  const lg = await league(sql, { code: 'hjob', teams: 2 });
  const [g] = await games(sql, lg, 1);
  const [m] = await models(sql, ['m']);
  await predict(sql, m!, g!.home);
  const before = await victimCounts(sql);

  const payloads: [string, string][] = [
    ['an injection as the event id', JSON.stringify({ event_id: corpus.injection[0] })],
    ['a quoted injection', JSON.stringify({ event_id: corpus.injection[1] })],
    ['1e309', '{"event_id": 1e309}'],
    ['a negative id', '{"event_id": -1}'],
    ['a fraction', '{"event_id": 1.5}'],
    ['past 2^53', '{"event_id": 9007199254740993}'],
    ['duplicate keys, the last one bad', `{"event_id": ${g!.event_id}, "event_id": "x"}`],
    ['deeply nested', '{"event_id": ' + '['.repeat(1000) + ']'.repeat(1000) + '}'],
    ['10 MB', JSON.stringify({ event_id: 'x'.repeat(10 * 1024 * 1024) })],
    ['an array', '[1, 2, 3]'],
    ['a NUL escape', '{"event_id": "\\u0000"}'],
  ];
  const ids: Record<string, string> = {};
  for (const [what, payload] of payloads) {
    const [row] = await sql<
      { id: string }[]
    >`select worker.add_job('score_event', ${payload}::text::json, p_job_key => ${'hostile:' + what})::text as id`;
    ids[what] = row!.id;
  }
  const [bad] = await sql<
    { id: string }[]
  >`select worker.add_job('refresh', ${JSON.stringify({ trigger: corpus.injection[0] })}::text::json)::text as id`;

  const config = workerConfig({
    JOB_MAX_ATTEMPTS: '1',
    POLL_INTERVAL_MS: '100',
    HEARTBEAT_SECONDS: '1',
    STALE_WORKER_SECONDS: '3',
    REFRESH_DEBOUNCE_SECONDS: '0',
  });
  const worker = await startWorker({ url: db.url, config, log: quiet, http: false });
  t.teardown(() => worker.stop('test over'));
  // JOB_MAX_ATTEMPTS applies to jobs added from now on: the hostile ones were added with the default; fail them on the first try
  await sql`update graphile_worker._private_jobs set max_attempts = 1`;

  const failed = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from worker.failed_job`;
    return row?.n === payloads.length + 1;
  }, 45);
  t.ok(failed, 'every hostile job failed for good');
  const errors = await sql<{ job_id: string; last_error: string }[]>`select job_id::text, last_error from worker.failed_job`;
  const byId = Object.fromEntries(errors.map((e) => [e.job_id, e.last_error]));
  for (const [what] of payloads) {
    t.match(byId[ids[what]!], /invalid score_event payload: /, `${what}: "invalid score_event payload: …"`);
  }
  t.match(byId[ids['an injection as the event id']!], /event_id: /, 'naming the field');
  t.match(byId[bad!.id], /invalid refresh payload: trigger: /, 'a refresh with an injection as its trigger: refused by name');

  // the next good job: completing the event enqueues one and the same worker scores it
  await sql`update core.event set status = 'completed', home_score = 2, away_score = 0 where event_id = ${g!.event_id}`;
  const scored = await eventually(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction_score where event_id = ${g!.event_id}`;
    return row?.n === 1;
  }, 45);
  t.ok(scored, 'the worker kept running and scored the next good job');
  const after = await victimCounts(sql);
  t.equal(after['core.event'], before['core.event'], 'core.event there, same rows');
  t.equal(after['forecast.prediction'], before['forecast.prediction'], 'predictions there, same rows');
});
