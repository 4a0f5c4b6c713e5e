// `make test` / `make test-fast`: runs tap, shows a line per test file, prints every failure with its
// diagnostics, and ends with the line CI reads: "N passed, N failed" (assertions),
// since tap does not print it itself.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { Parser } from 'tap-parser';

// `make test-fast` (--fast): the suite without the slow files, for the edit-test loop; CI
// and `make test` run everything. Slow are the fault-injection and load tests, and the
// files that take 20 s or more alone (measured one at a time: node scripts/test.mjs --jobs=1).
const SLOW = [
  'test/fault-*.test.ts', // workers killed, servers restarted
  'test/load.test.ts', // bench/load.ts for a few seconds
  'test/worker-sql.test.ts', // 28 s
  'test/stats-plans.test.ts', // 27 s
  'test/worker-http.test.ts', // 27 s
  'test/worker-crash.test.ts', // 25 s
  'test/worker-scores-owed.test.ts', // 90 s: three storms of 400 corrections, a minute cron tick
  'test/demo.test.ts', // 75 s: make demo, twice
  'test/scale/replica.test.ts', // 30 s: a PostgreSQL 15 primary and standby, nine CLI runs
  'test/partition-backlog.test.ts', // 20 s: 300 partitions created, then dropped one transaction each
  'test/soak.test.ts', // 38 s: bench/soak.ts for 10 s, a worker SIGKILLed every 1-3 s, then every check
  'test/scale/fleet.test.ts', // 24 s: four worker processes, two SIGKILLed mid-job
  'test/cli-output.test.ts', // 50 s: the CLI in some 25 child processes, on pipes and a pseudo-terminal
  'test/ingest-memory.test.ts', // a 1M-row file and a 300 MB line, loaded in child processes
];
let given = process.argv.slice(2);
if (given.includes('--fast')) given = [...given.filter((a) => a !== '--fast'), ...SLOW.map((p) => `--exclude=${p}`)];

// test/scale/ (read replica, PgBouncer, worker fleet, Citus keys; `make scale-test` runs them
// alone) needs PostgreSQL 15's binaries and PgBouncer: without them the whole suite skips it,
// saying so. SCORELINE_SKIP_SCALE=1 skips it too: CI runs `make scale-test` once, after the suites.
const scaleTools = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']
  .map((b) => `/usr/lib/postgresql/15/bin/${b}`)
  .concat('/usr/sbin/pgbouncer');
const scaleMissing = scaleTools.filter((f) => !existsSync(f));
const namesScale = given.some((a) => /^test\/scale(\/|$)/.test(a));
if (!namesScale && (scaleMissing.length || process.env.SCORELINE_SKIP_SCALE === '1')) {
  given.push('--exclude=test/scale/**');
  console.log(
    scaleMissing.length
      ? `skipping test/scale/ (replica, PgBouncer, fleet, Citus keys): missing ${scaleMissing.join(', ')} (apt-get install postgresql-15 pgbouncer)`
      : 'skipping test/scale/ (SCORELINE_SKIP_SCALE=1): make scale-test runs it',
  );
}
// Test files run in parallel, one per core and at least 4 (.taprc's default, which keeps a
// 2-core CI machine busy while files wait on PostgreSQL); --jobs=N chooses.
const jobs = Math.max(4, os.availableParallelism?.() ?? os.cpus().length);
const args = ['--reporter=tap', ...(given.some((a) => a.startsWith('--jobs')) ? [] : [`--jobs=${jobs}`]), ...given];
const child = spawn('node_modules/.bin/tap', args, { stdio: ['ignore', 'pipe', 'inherit'] });
const verbose = process.env.TEST_VERBOSE === '1';

let raw = '';
const files = new Parser();
files.on('assert', (res) => {
  const time = res.time ? ` (${(res.time / 1000).toFixed(1)} s)` : '';
  console.log(`${res.ok ? 'ok    ' : 'FAILED'} ${res.name}${time}`);
});
child.stdout.on('data', (d) => {
  raw += d;
  if (verbose) process.stdout.write(d);
  files.write(d);
});
child.on('close', (code) => {
  files.end();
  // Every failed assertion, with its YAML diagnostics (indented lines up to "...").
  const lines = raw.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!/^\s*not ok /.test(line)) continue;
    const indent = line.search(/\S/);
    const block = [line];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j];
      if (l.trim() && l.search(/\S/) <= indent) break;
      block.push(l);
      if (l.trim() === '...') break;
    }
    if (block.length > 1 || !/ - test\//.test(line)) console.log(block.join('\n'));
  }
  const summary = [...raw.matchAll(/^# \{ (total: \d+.*) \}$/gm)].pop()?.[1] ?? '';
  const count = (k) => Number(summary.match(new RegExp(`${k}: (\\d+)`))?.[1] ?? 0);
  const passed = count('pass');
  let failed = count('fail');
  const skipped = count('skip') + count('todo');
  if (code !== 0 && failed === 0) failed = 1; // the runner itself failed: before script, crash, bail out
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
