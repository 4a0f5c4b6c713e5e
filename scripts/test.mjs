// `make test` / `make test-fast`: runs tap, shows a line per test file, prints every failure with its
// diagnostics, and ends with the line CI reads: "N passed, N failed" (assertions),
// since tap does not print it itself.
import { spawn } from 'node:child_process';
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
  'test/demo.test.ts', // 20 s: make demo, twice
  'test/ingest-memory.test.ts', // a 1M-row file and a 300 MB line, loaded in child processes
];
let given = process.argv.slice(2);
if (given.includes('--fast')) given = [...given.filter((a) => a !== '--fast'), ...SLOW.map((p) => `--exclude=${p}`)];
const args = ['--reporter=tap', ...given];
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
