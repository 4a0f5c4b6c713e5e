// Feeds streamed from http(s) URLs, against a local HTTP server serving the sample
// files: normally, slowly (in small chunks with pauses), failing midway, and missing.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { testDb } from './helpers/db.ts';

const EPL = path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv');

async function server(t: Test): Promise<string> {
  const body = await fs.readFile(EPL);
  const srv = http.createServer((req, res) => {
    if (req.url === '/epl.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(body);
    } else if (req.url === '/slow.csv') {
      // 4 kB every 5 ms: the load reads while the download goes on.
      res.writeHead(200, { 'content-type': 'text/csv' });
      let at = 0;
      const timer = setInterval(() => {
        res.write(body.subarray(at, at + 4096));
        at += 4096;
        if (at >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 5);
    } else if (req.url === '/broken.csv') {
      // Promises the whole file, sends 60% of it, then drops the connection.
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length * 0.6)), () => setTimeout(() => res.socket?.destroy(), 20));
    } else {
      res.writeHead(404, 'Not Found');
      res.end();
    }
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => srv.close(() => resolve())));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

t.test('a feed from a URL, a slow URL, a URL that fails midway and a missing one', async (t) => {
  const base = await server(t);
  const { sql } = await testDb(t);
  const feed = feeds.football_data!;

  const first = await loadFile(sql, feed, `${base}/epl.csv`);
  t.same([first.status, first.inserted, first.rejected], ['completed', 380, 0], 'streamed from a URL: 380 matches');

  const slow = await loadFile(sql, feed, `${base}/slow.csv`);
  t.same(
    [slow.status, slow.inserted, slow.updated, slow.unchanged],
    ['completed', 0, 0, 380],
    'a slow server: the same rows, nothing changed',
  );

  await sql`delete from core.event`;
  await t.rejects(loadFile(sql, feed, `${base}/broken.csv`), /broken\.csv: reading failed: terminated/, 'a clear error');
  const [events] = await sql<{ n: number }[]>`select count(*)::int as n from core.event`;
  t.equal(events?.n, 0, 'nothing half-merged');

  await t.rejects(loadFile(sql, feed, `${base}/missing.csv`), /missing\.csv: HTTP 404 Not Found/);
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await t.rejects(loadFile(sql, feed, `http://127.0.0.1:${port}/none.csv`), /none\.csv: fetch failed: .*ECONNREFUSED/, 'no server');

  const batches = await sql<{ status: string; error: string | null }[]>`select status, error from ingest.batch order by batch_id`;
  t.same(
    batches.map((b) => b.status),
    ['completed', 'completed', 'failed', 'failed', 'failed'],
    'each failed load is a failed batch',
  );
  t.match(batches[2]?.error, /reading failed/, 'with the reason');
  const [staged] = await sql<{ n: number }[]>`select count(*)::int as n from ingest.stage_football_data`;
  t.equal(staged?.n, 0, 'and no staging rows left behind');
});
