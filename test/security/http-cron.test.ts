// Red team, the worker's HTTP surface (issue 12, item 10): a burst of bad tokens against
// POST /cron/update-stats over a real socket writes a bounded number of log lines, and
// /metrics counts every one; a CRON_SECRET that no token could match is refused at start.
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import t from 'tap';
import { makeLogger } from '../../src/log.ts';
import { workerConfig } from '../../src/worker/config.ts';
import { createHttpServer, listen } from '../../src/worker/http.ts';
import { WorkerMetrics } from '../../src/worker/metrics.ts';
import { testDb } from '../helpers/db.ts';

const secret = 'a-long-enough-cron-secret';

interface Line {
  level: string;
  msg: string;
  remote?: string;
  rejected?: number;
  addresses?: number;
}

async function unauthorizedTotal(base: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const family = parsePrometheusTextFormat(text).find((f) => f.name === 'scoreline_http_unauthorized_total');
  return family ? Number((family.metrics[0] as { value: string }).value) : undefined;
}

t.test('a burst of bad tokens: every one refused and counted, two log lines in all', async (t) => {
  const db = await testDb(t);
  const lines: Line[] = [];
  const log = makeLogger('info', {}, (l) => lines.push(JSON.parse(l) as Line));
  // an interval longer than any burst here: the summary is the one written when the server closes
  const server = createHttpServer({
    sql: db.sql,
    log,
    cronSecret: secret,
    metrics: new WorkerMetrics(),
    workerRunning: () => true,
    rejectionLogIntervalMs: 3_600_000,
  });
  const { port } = (await listen(server, 0, '127.0.0.1')) as AddressInfo;
  let open = true;
  t.teardown(() => (open ? new Promise<void>((r) => server.close(() => r())) : undefined));
  const base = `http://127.0.0.1:${port}`;
  t.equal(await unauthorizedTotal(base), 0, 'the counter is exposed, at 0, before any refusal');

  const burst = 3006;
  const statuses: number[] = [];
  for (let sent = 0; sent < burst; sent += 100) {
    const batch = Array.from({ length: Math.min(100, burst - sent) }, (_, i) =>
      fetch(`${base}/cron/update-stats`, {
        method: 'POST',
        headers: i % 3 === 0 ? {} : { authorization: `Bearer wrong-${sent + i}` },
      }).then((r) => r.status),
    );
    statuses.push(...(await Promise.all(batch)));
  }
  t.equal(statuses.length, burst);
  t.ok(
    statuses.every((s) => s === 401),
    'every request refused with 401',
  );
  t.equal(await unauthorizedTotal(base), burst, 'scoreline_http_unauthorized_total equals the burst');
  const during = lines.filter((l) => /rejected/.test(l.msg));
  t.ok(during.length <= 2, `at most 2 log lines during the burst (${during.length}), not ${burst}`);
  t.equal(during[0]?.msg, 'rejected /cron/update-stats: missing or wrong bearer token', 'the first refusal is logged at once');
  t.equal(during[0]?.remote, '127.0.0.1', 'with its address');
  t.same(await db.sql`select 1 from worker.job where task = 'refresh'`, [], 'nothing queued');

  await new Promise<void>((r) => server.close(() => r()));
  open = false;
  const all = lines.filter((l) => /rejected/.test(l.msg));
  t.equal(all.length, 2, 'once the server closes: the first line and one summary');
  const summary = all[1]!;
  t.equal(summary.level, 'warn');
  t.equal(summary.rejected, burst - 1, 'the summary counts the refusals not logged one by one');
  t.equal(summary.addresses, 1, 'and from how many addresses');
});

t.test('a summary per interval while refusals go on', async (t) => {
  const db = await testDb(t);
  const lines: Line[] = [];
  const log = makeLogger('info', {}, (l) => lines.push(JSON.parse(l) as Line));
  const server = createHttpServer({
    sql: db.sql,
    log,
    cronSecret: secret,
    metrics: new WorkerMetrics(),
    workerRunning: () => true,
    rejectionLogIntervalMs: 50,
  });
  const { port } = (await listen(server, 0, '127.0.0.1')) as AddressInfo;
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const refuse = () => fetch(`http://127.0.0.1:${port}/cron/update-stats`, { method: 'POST', headers: { authorization: 'Bearer x' } });
  const first = (l: Line) => l.msg === 'rejected /cron/update-stats: missing or wrong bearer token';
  const summaries = () => lines.filter((l) => l.rejected !== undefined);
  await Promise.all(Array.from({ length: 20 }, refuse));
  // the interval ends: its summary line comes without any further request
  const deadline = Date.now() + 30_000;
  while (lines.filter(first).length > summaries().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.ok(summaries().length >= 1, 'a summary line once the interval is over, without a further request');
  t.equal(
    lines.filter(first).length + summaries().reduce((n, l) => n + l.rejected!, 0),
    20,
    'each refusal is either the first of an interval or counted in its summary',
  );
  const before = lines.filter(first).length;
  await refuse();
  t.equal(lines.filter(first).length, before + 1, 'after a quiet period, the next refusal is logged at once again');
});

t.test('a CRON_SECRET no token could match is refused at start, naming the variable', async (t) => {
  for (const [value, re] of [
    [' '.repeat(20), /CRON_SECRET: is blank: leave it empty \(or unset\) to disable/],
    ['\t \t', /CRON_SECRET: is blank/],
    [` ${secret}`, /CRON_SECRET: must be printable ASCII without spaces around it/],
    [`${secret} `, /CRON_SECRET: must be printable ASCII without spaces around it/],
    [`${secret}\u00e9`, /CRON_SECRET: must be printable ASCII/],
  ] as const) {
    t.throws(() => workerConfig({ CRON_SECRET: value }), { name: 'ConfigError', message: re }, JSON.stringify(value));
  }
  t.equal(workerConfig({ CRON_SECRET: '' }).CRON_SECRET, undefined, 'empty still means disabled');
  t.equal(workerConfig({ CRON_SECRET: 'with inner spaces ok!' }).CRON_SECRET, 'with inner spaces ok!', 'spaces inside are fine');
});
