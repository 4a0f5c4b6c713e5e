// `scoreline ingest` from URLs that misbehave, against a real local HTTP server, in a real
// process: a server that never answers (connect timeout, bounded retries), one that stalls
// mid-body (idle timeout), one that drops the first connection (retried, then loads),
// SIGTERM / SIGINT during a stalled download (batch failed, exit 143 / 130), and schemes
// that are not supported (refused by name before anything).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs/promises';
import os from 'node:os';
import t, { type Test } from 'tap';
import type { Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { ingestResult } from './helpers/cli.ts';
import { testDb } from './helpers/db.ts';

const HEADER = 'Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR';
const ROWS = ['E0,09/08/2019,Liverpool,Norwich,4,1,H', 'E0,10/08/2019,West Ham,Man City,0,5,A', 'E0,10/08/2019,Burnley,Southampton,3,0,H'];
const BODY = [HEADER, ...ROWS].join('\n') + '\n';

interface Server {
  base: string;
  hits: Record<string, number>;
}

async function server(t: Test): Promise<Server> {
  const hits: Record<string, number> = {};
  const srv = http.createServer((req, res) => {
    const url = req.url ?? '';
    hits[url] = (hits[url] ?? 0) + 1;
    if (url === '/silent.csv') return; // never answers
    if (url === '/stall.csv') {
      // the header and one row, then nothing
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write(`${HEADER}\n${ROWS[0]}\n`);
      return;
    }
    if (url === '/flaky.csv' && hits[url] === 1) {
      req.socket.destroy(); // the first connection is dropped before any answer
      return;
    }
    if (url === '/busy.csv' && hits[url]! <= 2) {
      res.writeHead(503, 'Service Unavailable');
      res.end();
      return;
    }
    if (url === '/missing.csv') {
      res.writeHead(404, 'Not Found');
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.end(BODY);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  );
  return { base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits };
}

interface Run {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function start(t: Test, url: string, args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'ingest', 'football_data', ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited };
}

/** Waits (with a deadline) until the load has a running batch. */
async function runningBatch(sql: Sql, location: string, seconds = 120): Promise<string | undefined> {
  for (let i = 0; i < seconds * 20; i++) {
    const [b] = await sql<{ batch_id: string }[]>`
      select batch_id::text from ingest.batch where location = ${location} and status = 'running'`;
    if (b) return b.batch_id;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

const batchOf = async (sql: Sql, location: string) => {
  const [b] = await sql<{ status: string; error: string | null }[]>`
    select status, error from ingest.batch where location = ${location} order by batch_id desc limit 1`;
  return b;
};

t.test('a server that never answers: connect timeout, bounded retries, the batch failed with the reason', async (t) => {
  const srv = await server(t);
  const { sql, url } = await testDb(t);
  const location = `${srv.base}/silent.csv`;
  const run = await start(t, url, [location, '--connect-timeout', '0.5', '--retries', '2']).exited;
  t.equal(run.code, 1, 'exit 1');
  t.match(run.stderr, /no response within 0\.5 s \(connect timeout\) \(gave up after 3 attempts\)/, 'it says why');
  t.match(run.stderr, /attempt 2 in 0\.5 s[\s\S]*attempt 3 in 1 s/, 'with back-off between the attempts');
  t.equal(srv.hits['/silent.csv'], 3, 'three attempts reached the server');
  t.match(await batchOf(sql, location), { status: 'failed', error: /connect timeout/ }, 'the batch is failed with the reason');
});

t.test('a download that stalls midway: idle timeout, the batch failed, nothing merged', async (t) => {
  const srv = await server(t);
  const { sql, url } = await testDb(t);
  const location = `${srv.base}/stall.csv`;
  const run = await start(t, url, [location, '--idle-timeout', '0.5']).exited;
  t.equal(run.code, 1, 'exit 1');
  t.match(run.stderr, /no data for 0\.5 s \(idle timeout\)/, 'it says why');
  t.match(await batchOf(sql, location), { status: 'failed', error: /idle timeout/ }, 'the batch is failed with the reason');
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from core.event`;
  t.equal(n?.n, 0, 'nothing merged');
});

t.test('a dropped connection and HTTP 503 are retried, then the file loads', async (t) => {
  const srv = await server(t);
  const { url } = await testDb(t);
  const flaky = await start(t, url, [`${srv.base}/flaky.csv`]).exited;
  t.equal(flaky.code, 0, `exit 0: ${flaky.stderr}`);
  t.match(flaky.stderr, /attempt 2 in 0\.5 s/, 'after one retry');
  t.match(
    ingestResult(flaky.stdout),
    { feed: 'football_data', inserted: 3, updated: 0, corrections: 0, unchanged: 0, rejected: 0, status: 'completed' },
    '3 matches loaded',
  );
  const busy = await start(t, url, [`${srv.base}/busy.csv`]).exited;
  t.equal(busy.code, 0, 'HTTP 503 twice, then 200: exit 0');
  t.match(busy.stderr, /HTTP 503 Service Unavailable; attempt 3 in 1 s/);
  t.equal(srv.hits['/busy.csv'], 3);
  const missing = await start(t, url, [`${srv.base}/missing.csv`, '--retries', '3']).exited;
  t.equal(missing.code, 1, 'HTTP 404 fails');
  t.match(missing.stderr, /HTTP 404 Not Found/);
  t.equal(srv.hits['/missing.csv'], 1, 'and is not retried');
});

for (const [sig, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  t.test(`${sig} during a stalled download: the batch is failed, exit ${code}`, async (t) => {
    const srv = await server(t);
    const { sql, url } = await testDb(t);
    const location = `${srv.base}/stall.csv`;
    const run = start(t, url, [location]);
    const id = await runningBatch(sql, location);
    t.ok(id, 'the load is running');
    for (let i = 0; i < 200 && !srv.hits['/stall.csv']; i++) await new Promise((r) => setTimeout(r, 50));
    run.child.kill(sig);
    const out = await run.exited;
    t.equal(out.code, code, `exit ${code}`);
    t.match(out.stderr, new RegExp(`interrupted by ${sig}: batch ${id} marked failed`), 'it says so');
    t.match(await batchOf(sql, location), { status: 'failed', error: `interrupted by ${sig}` }, 'the batch is failed');
  });
}

t.test('unsupported schemes are refused by name before anything; a file: URL loads', async (t) => {
  const { sql, url } = await testDb(t);
  for (const location of ['ftp://127.0.0.1/E0.csv', 's3://bucket/E0.csv']) {
    const run = await start(t, url, [location]).exited;
    t.equal(run.code, 1, `${location}: exit 1`);
    t.match(run.stderr, new RegExp(`unsupported URL scheme ${location.split(':')[0]}:`), 'named');
    t.notMatch(run.stderr, /ENOENT/, 'not taken for a file');
  }
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from ingest.batch`;
  t.equal(n?.n, 0, 'no batch was made');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-url-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'E0.csv');
  await fs.writeFile(f, BODY);
  const run = await start(t, url, [pathToFileURL(f).href]).exited;
  t.equal(run.code, 0, `a file: URL loads: ${run.stderr}`);
});
