// The worker's configuration: parsed once from the environment, errors name the variable.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError } from '../src/config.ts';
import { repoRoot } from '../src/embedded.ts';
import { crontab, workerConfig } from '../src/worker/config.ts';

t.test('defaults', async (t) => {
  const c = workerConfig({});
  t.equal(c.WORKER_CONCURRENCY, 4);
  t.equal(c.REFRESH_DEBOUNCE_SECONDS, 60, 'a one-minute debounce by default');
  t.equal(c.JOB_MAX_ATTEMPTS, 10);
  t.equal(c.CRON_SECRET, undefined, 'no secret: /cron/update-stats is disabled');
  t.equal(c.HTTP_HOST, '127.0.0.1');
  t.equal(c.HTTP_PORT, 8080);
  t.same(
    crontab(c).split('\n'),
    [
      '* * * * * refresh_tick ?id=refresh_tick&max=1',
      '0 2 * * * nightly_sync ?id=nightly_sync&max=3',
      '*/15 * * * * maintain ?id=maintain&max=1',
      '* * * * * reconcile_scores ?id=reconcile_scores&max=1',
    ],
    'refresh tick every minute, nightly sync at 02:00 (UTC), maintenance every 15 minutes, the scores-owed reconciler every minute',
  );
});

t.test('WORKER_ID: hostname:pid by default, a host or pod name when given', async (t) => {
  t.equal(workerConfig({}).WORKER_ID, `${os.hostname()}:${process.pid}`, 'unset: hostname:pid');
  t.equal(workerConfig({ WORKER_ID: '' }).WORKER_ID, `${os.hostname()}:${process.pid}`, 'empty is unset');
  for (const id of ['worker-0', 'scoreline-worker-7d9f8b-x2x4q', 'host.example.org:4242', 'w@eu-1', 'A_1']) {
    t.equal(workerConfig({ WORKER_ID: id }).WORKER_ID, id, `${id} is accepted`);
  }
});

t.test('values from the environment', async (t) => {
  const c = workerConfig({
    REFRESH_DEBOUNCE_SECONDS: '0',
    WORKER_CONCURRENCY: '8',
    CRON_SECRET: 'x'.repeat(16),
    HTTP_PORT: '0',
    LOG_LEVEL: '',
  });
  t.equal(c.REFRESH_DEBOUNCE_SECONDS, 0, 'the debounce can be 0');
  t.equal(c.WORKER_CONCURRENCY, 8);
  t.equal(c.HTTP_PORT, 0);
  t.equal(workerConfig({ CRON_SECRET: '' }).CRON_SECRET, undefined, 'an empty variable is the same as unset');
});

t.test('bad values fail fast, naming the variable', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ WORKER_CONCURRENCY: 'many' }, /WORKER_CONCURRENCY/],
    [{ WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY/],
    [{ REFRESH_DEBOUNCE_SECONDS: '-1' }, /REFRESH_DEBOUNCE_SECONDS/],
    [{ JOB_MAX_ATTEMPTS: '1000' }, /JOB_MAX_ATTEMPTS/],
    [{ CRON_SECRET: 'short' }, /CRON_SECRET: must be at least 16 characters/],
    [{ HTTP_PORT: '70000' }, /HTTP_PORT/],
    [{ NIGHTLY_SYNC_CRON: 'x' }, /NIGHTLY_SYNC_CRON/],
    [{ WORKER_ID: 'two words' }, /WORKER_ID: must be 1 to 100 letters, digits/],
    [{ WORKER_ID: '-leading-dash' }, /WORKER_ID/],
    [{ WORKER_ID: 'x'.repeat(101) }, /WORKER_ID/],
    [{ WORKER_ID: 'a/b' }, /WORKER_ID/],
  ];
  for (const [env, re] of cases) {
    t.throws(() => workerConfig(env), { name: 'ConfigError', message: re }, `${Object.keys(env)[0]}=${Object.values(env)[0]}`);
  }
  const both = (() => {
    try {
      workerConfig({ WORKER_CONCURRENCY: 'x', HTTP_PORT: 'y' });
    } catch (err) {
      return err;
    }
  })();
  t.ok(both instanceof ConfigError, 'a ConfigError');
  t.match((both as Error).message, /WORKER_CONCURRENCY[\s\S]*HTTP_PORT/, 'every bad variable is listed at once');
  t.throws(
    () => workerConfig({ HEARTBEAT_SECONDS: '30', STALE_WORKER_SECONDS: '10' }),
    /STALE_WORKER_SECONDS \(10\) must be greater than HEARTBEAT_SECONDS \(30\)/,
  );
  t.throws(
    () => workerConfig({ HEARTBEAT_SECONDS: '30', STALE_WORKER_SECONDS: '10' }),
    { name: 'ConfigError' },
    'the cross-field check is a ConfigError like the others',
  );
});

/** `scoreline worker` with this environment (no database is needed: the configuration is read first). */
function worker(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'worker', '--no-http', '--no-migrate'], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

t.test('a bad configuration ends scoreline worker with exit code 2, naming the variables', async (t) => {
  const cross = await worker({ HEARTBEAT_SECONDS: '30', STALE_WORKER_SECONDS: '10' });
  t.equal(cross.code, 2, 'the cross-field check: exit 2');
  t.match(cross.stderr, /STALE_WORKER_SECONDS \(10\) must be greater than HEARTBEAT_SECONDS \(30\)/, 'both variables named');
  t.notMatch(cross.stderr, /\n\s+at /, 'no stack trace');
  const single = await worker({ WORKER_CONCURRENCY: 'many' });
  t.equal(single.code, 2, 'a single bad variable: exit 2 as well');
  t.match(single.stderr, /WORKER_CONCURRENCY/);
});
