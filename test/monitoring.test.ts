// The monitoring that ships beside the worker: deploy/prometheus/alerts.yml passes
// `promtool check rules` and its unit tests (alerts.test.yml), and every metric the alert rules
// and the Grafana dashboard (deploy/grafana/scoreline.json) query is served by a real worker's
// /metrics, scraped after it ran a refresh job through graphile-worker.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { makeLogger } from '../src/log.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { eventually } from './helpers/fixtures.ts';
import { testDb } from './helpers/db.ts';

const rules = path.join(repoRoot, 'deploy/prometheus/alerts.yml');
const rulesTest = path.join(repoRoot, 'deploy/prometheus/alerts.test.yml');
const dashboard = path.join(repoRoot, 'deploy/grafana/scoreline.json');
const promtool = spawnSync('promtool', ['--version']).status === 0;

t.test(
  'promtool: the alert rules are valid and each unit test fires what it should',
  { skip: promtool ? false : 'promtool is not installed (apt-get install prometheus)' },
  async (t) => {
    const check = spawnSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
    t.equal(check.status, 0, `promtool check rules: ${check.stdout}${check.stderr}`);
    t.match(check.stdout, /SUCCESS: \d+ rules found/);
    const test = spawnSync('promtool', ['test', 'rules', path.basename(rulesTest)], { encoding: 'utf8', cwd: path.dirname(rulesTest) });
    t.equal(test.status, 0, `promtool test rules: ${test.stdout}${test.stderr}`);
  },
);

/** Every scoreline_* metric a PromQL expression names, histogram series mapped to their family. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bscoreline_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

t.test('every metric the dashboard and the alert rules use is served by a real worker', async (t) => {
  const db = await testDb(t, { max: 4 });
  const config = workerConfig({ HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', POLL_INTERVAL_MS: '100', REFRESH_TICK_CRON: '0 0 1 1 *' });
  const worker = await startWorker({ url: db.url, config, log: makeLogger('error', {}, () => {}) });
  t.teardown(() => worker.stop('test over'));
  const base = `http://127.0.0.1:${worker.port}`;

  await db.sql`select worker.enqueue_refresh('http', 0)`;
  const ran = await eventually(async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return /^scoreline_jobs_processed_total\{task="refresh",outcome="success"\} 1$/m.test(text);
  }, 60);
  t.ok(ran, 'the worker ran the refresh job');
  const text = await (await fetch(`${base}/metrics`)).text();
  t.match(
    text,
    /^scoreline_refresh_runs_total\{object="[^"]+",status="(success|skipped|warning)"\} [1-9]/m,
    'the refresh task recorded its runs',
  );
  const served = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));

  const dash = JSON.parse(fs.readFileSync(dashboard, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const used = new Map<string, string>();
  for (const p of dash.panels)
    for (const target of p.targets) for (const name of metricNames(target.expr)) used.set(name, `dashboard panel "${p.title}"`);
  const alertExprs = [...fs.readFileSync(rules, 'utf8').matchAll(/^\s+expr: (\|\n(?:\s{10}.*\n)+|.*)$/gm)].map((m) => m[1]!);
  t.ok(alertExprs.length >= 10, `${alertExprs.length} alert expressions read`);
  for (const e of alertExprs) for (const name of metricNames(e)) used.set(name, `alert rule expression ${e.trim().slice(0, 60)}`);
  t.ok(used.size >= 15, `${used.size} metrics used`);
  for (const [name, where] of used) t.ok(served.has(name), `${name} (${where}) is served`);
});
