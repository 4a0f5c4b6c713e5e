// The status page of a real worker, loaded in a real headless browser (Debian's chromium
// through playwright-core; nothing downloads a browser): the lineage graph, the tables and
// the charts are drawn, screenshots at 1280x800 and at a phone's width are written to
// test-output/status/, and the phone view does not scroll sideways. Off this machine the
// page needs the bearer token. `scoreline status --html FILE` writes the same page.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { makeLogger } from '../src/log.ts';
import { runRefresh } from '../src/refresh.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { testDb } from './helpers/db.ts';
import { games, league, models, type Game } from './helpers/fixtures.ts';
import { makeRace, sourceId } from './helpers/timeseries.ts';
import type { Sql } from '../src/db.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = fs.existsSync(CHROMIUM);
const outDir = path.join(repoRoot, 'test-output', 'status');
const quiet = makeLogger('error', {}, () => {});

/** Two models over eight games with stated probabilities, scored; two strategies with settled bets on two days. */
async function world(sql: Sql): Promise<void> {
  const lg = await league(sql, { code: 'status', teams: 8 });
  const gs: Game[] = await games(sql, lg, 8);
  const [bold, shy] = (await models(sql, ['bold_model', 'shy_model'])) as [number, number];
  for (const [i, g] of gs.entries()) {
    await sql`insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability)
              values (${bold}, ${g.home}, 2.0, 1, ${0.55 + (i % 4) * 0.1}), (${shy}, ${g.away}, 3.0, 1, ${0.15 + (i % 3) * 0.1})`;
  }
  for (const [i, g] of gs.entries()) {
    await sql`update core.event set status = 'completed', home_score = ${i % 3 === 0 ? 0 : 2}, away_score = 1 where event_id = ${g.event_id}`;
    await sql`select forecast.score_event(${g.event_id})`;
  }
  await sql`select maint.ensure_partitions('trade.bet', '2024-01-01', '2024-01-04')`;
  const race = await makeRace(sql, { runners: 3 });
  const betfair = await sourceId(sql, 'betfair');
  const [fav, out] = (
    await sql<
      { id: number }[]
    >`insert into trade.strategy (name, version) values ('favourites', '1'), ('outsiders', '1') returning strategy_id as id`
  ).map((r) => r.id) as [number, number];
  const [s1, s2] = race.selections as [string, string];
  const bets: [number, string, string, string, string, string][] = [
    [fav, s1, 'back', '3.0', '10', '2024-01-01T04:10:00Z'],
    [fav, s2, 'back', '2.0', '20', '2024-01-02T05:20:00Z'],
    [out, s2, 'lay', '5.0', '10', '2024-01-01T05:40:00Z'],
    [out, s1, 'back', '3.0', '4', '2024-01-03T10:00:00Z'],
  ];
  for (const [strategy, selection, side, odds, stake, at] of bets) {
    await sql`insert into trade.bet (strategy_id, selection_id, source_id, side, odds, stake, status, placed_at)
              values (${strategy}, ${selection}, ${betfair}, ${side}, ${odds}, ${stake}, 'matched', ${at})`;
  }
  await sql`update market.selection set result = case code when '1' then 'won' else 'lost' end where market_id = ${race.marketId}`;
  await sql`update market.market set status = 'settled', settled_at = now() where market_id = ${race.marketId}`;
  await sql`select trade.settle_bets(${race.eventId})`;
  await sql`select trade.refresh_strategy_performance('2024-01-04T00:00:00Z')`;
  await runRefresh(sql, { force: true });
}

t.test(
  'the status page in headless chromium: graph, tables, charts, screenshots',
  { skip: haveBrowser ? false : `no browser at ${CHROMIUM} (apt-get install chromium)` },
  async (t) => {
    const db = await testDb(t, { max: 4 });
    await world(db.sql);
    const config = workerConfig({ HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', REFRESH_TICK_CRON: '0 0 1 1 *' });
    const worker = await startWorker({ url: db.url, config, log: quiet });
    t.teardown(() => worker.stop('test over'));
    const url = `http://127.0.0.1:${worker.port}/status`;

    const res = await fetch(url);
    t.equal(res.status, 200, 'GET /status from 127.0.0.1 needs no token');
    t.match(res.headers.get('content-type') ?? '', /^text\/html/);
    t.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/, 'no script may run on it');

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    t.teardown(() => browser.close());
    fs.mkdirSync(outDir, { recursive: true });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    t.equal(await page.title(), `scoreline status — ${new URL(db.url).pathname.slice(1)}`, 'the title names the database');
    const [registered] = await db.sql<{ n: number }[]>`select count(*)::int as n from refresh.object`;
    const nodes = await page.locator('#lineage g.node').count();
    t.ok(
      nodes > registered!.n,
      `the lineage draws ${nodes} nodes: the ${registered!.n} registered objects, their sources and the views apps read`,
    );
    t.equal(
      await page.locator('#lineage g.node[data-object="stats.mv_model_stats_overall"].view').count(),
      1,
      "the seed's overall view is drawn as a view",
    );
    t.equal(await page.locator('#lineage g.node[data-object="forecast.prediction_score"].source').count(), 1, 'a source table is drawn');
    const [edges] = await db.sql<{ n: number }[]>`select count(*)::int as n from refresh.dag_edge`;
    t.ok((await page.locator('#lineage path.edge.refresh').count()) >= edges!.n, `the ${edges!.n} refresh dependencies are drawn`);
    t.ok((await page.locator('#lineage path.edge.view').count()) > 0, 'and what the views read');
    t.equal(await page.locator('#leaderboard-table tbody tr').count(), 2, 'the leaderboard lists both models');
    t.match(await page.locator('#leaderboard-table').innerText(), /bold_model/);
    t.equal(await page.locator('svg.calibration-chart').count(), 2, 'a calibration diagram per model');
    t.ok((await page.locator('svg.calibration-chart circle').count()) >= 4, 'with a point per probability bucket');
    t.equal(await page.locator('#pnl g.series').count(), 2, 'a P&L line per strategy');
    t.ok(await page.locator('#queue').isVisible(), 'the queue section');
    t.ok(await page.locator('#failures').isVisible(), 'the failed runs section');
    const wide = path.join(outDir, 'status-1280x800.png');
    await page.screenshot({ path: wide, fullPage: true });
    t.ok(fs.statSync(wide).size > 10_000, `screenshot written: ${path.relative(repoRoot, wide)}`);

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(url);
    // Evaluated in the page (the DOM's types are not in this project's lib).
    const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    t.ok(overflow <= 1, `no sideways scroll at a phone's width (overflow ${overflow} px)`);
    const box = await phone.locator('#lineage-section').boundingBox();
    t.ok(box && box.width <= 390, 'the lineage section fits the screen (the drawing scrolls inside it)');
    const drawing = await phone.locator('#lineage').boundingBox();
    t.ok(drawing && drawing.width >= 800, 'at a readable size, not shrunk to the screen');
    const narrow = path.join(outDir, 'status-phone.png');
    await phone.screenshot({ path: narrow, fullPage: true });
    t.ok(fs.statSync(narrow).size > 10_000, `screenshot written: ${path.relative(repoRoot, narrow)}`);
  },
);

/** An address of this machine that is not loopback, if it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

t.test(
  'off this machine the status page needs the bearer token',
  { skip: externalAddress() ? false : 'no non-loopback address here' },
  async (t) => {
    const db = await testDb(t, { max: 2 });
    const ip = externalAddress()!;
    for (const secret of [undefined, 'a-long-enough-status-secret-0123456789']) {
      const config = workerConfig({
        HTTP_PORT: '0',
        HTTP_HOST: '0.0.0.0',
        REFRESH_TICK_CRON: '0 0 1 1 *',
        ...(secret ? { CRON_SECRET: secret } : {}),
      });
      const worker = await startWorker({ url: db.url, config, log: quiet });
      const url = `http://${ip}:${worker.port}/status`;
      try {
        const anon = await fetch(url);
        if (!secret) {
          t.equal(anon.status, 403, 'without CRON_SECRET the page is not served off loopback');
        } else {
          t.equal(anon.status, 401, 'without the token: 401');
          t.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'a wrong token: 401');
          const ok = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
          t.equal(ok.status, 200, 'with the token: the page');
          t.match(await ok.text(), /<svg id="lineage"/);
        }
        t.equal((await fetch(`http://127.0.0.1:${worker.port}/status`)).status, 200, 'loopback is always served');
      } finally {
        await worker.stop('test over');
      }
    }
  },
);

t.test('`scoreline status` prints the summary and `--html FILE` writes the page', async (t) => {
  const db = await testDb(t, { max: 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scoreline-status-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'status', ...args], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: db.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
  const text = await run(['--format', 'table']);
  t.equal(text.code, 0, text.out);
  t.match(text.out, /registered objects fresh/);
  t.match(text.out, /^queue: /m);
  const json = await run([]);
  t.equal(json.code, 0, json.out);
  const summary = JSON.parse(json.out) as { objects: { object: string; state: string }[]; queue: unknown[] };
  t.ok(
    summary.objects.some((o) => o.object === 'stats.user_leaderboard'),
    'on a pipe, one JSON object: the registered objects',
  );
  t.ok(Array.isArray(summary.queue), 'and the queue');
  const file = path.join(dir, 'status.html');
  const html = await run(['--html', file]);
  t.equal(html.code, 0, html.out);
  const page = fs.readFileSync(file, 'utf8');
  t.match(page, /^<!doctype html>/);
  t.match(page, /<svg id="lineage"/, 'the lineage graph');
  t.match(page, /id="leaderboard"/, 'the leaderboard section');
});
