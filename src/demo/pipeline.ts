// The demo's pipeline: the current NFL season's results are held back at load, the
// baseline models and demo users predict, then the results arrive week by week in
// kick-off order through the nfl_games feed. Each completion enqueues its scoring job
// in the same transaction (a trigger); the real worker scores and refreshes; the demo
// prints the leaderboard, refresh.status, and how long after the last completion the
// views were current.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readCsv } from '../ingest/csv.ts';
import type { BatchRow } from '../ingest/feed.ts';
import { feeds, loadFile } from '../ingest/load.ts';
import { workerConfig } from '../worker/config.ts';
import { startWorker } from '../worker/runner.ts';
import type { CsvFile, DemoContext, HeldBackResults } from './context.ts';

export const NFL_FILE = 'nfl_games_2024_2025.csv';

async function readFile(file: string): Promise<CsvFile> {
  let header: string[] = [];
  const rows: Record<string, string>[] = [];
  for await (const rec of readCsv(createReadStream(file))) {
    if ('header' in rec) header = rec.header;
    else if ('values' in rec) rows.push(rec.values);
  }
  return { header, rows };
}

function field(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

async function writeFile(file: string, csv: CsvFile, rows: Record<string, string>[]): Promise<void> {
  const lines = [csv.header.map(field).join(','), ...rows.map((r) => csv.header.map((h) => field(r[h] ?? '')).join(','))];
  await fs.writeFile(file, `${lines.join('\n')}\n`);
}

const played = (r: Record<string, string>) => r.home_score !== '' && r.away_score !== '';
const withoutResult = (r: Record<string, string>) => ({ ...r, home_score: '', away_score: '', result: '', total: '' });

function heldBack(ctx: DemoContext): HeldBackResults {
  if (!ctx.heldBack) throw new Error('the demo pipeline steps run after "load the NFL schedule"');
  return ctx.heldBack;
}

async function load(ctx: DemoContext, file: string): Promise<BatchRow> {
  const batch = await loadFile(ctx.sql, feeds.nfl_games!, file);
  ctx.batches.push(batch);
  return batch;
}

/**
 * Step (replaces the plain NFL load): load the NFL file with the current season's
 * results held back, so they can arrive later through the normal path. On a database
 * that already has the season's games, the file loads as it is.
 */
export async function loadNflHoldingBackResults(ctx: DemoContext): Promise<void> {
  const csv = await readFile(path.join(ctx.dataDir, NFL_FILE));
  const season = csv.rows.reduce((max, r) => (r.season! > max ? r.season! : max), '');
  const [known] = await ctx.sql<{ n: number }[]>`select count(*)::int as n from core.event where external_id like ${`${season}\\_%`}`;
  const rows = known?.n ? [] : csv.rows.filter((r) => r.season === season && played(r));
  ctx.heldBack = { csv, season, rows, completions: 0 };
  const file = path.join(ctx.tmp, `schedule_${season}.csv`);
  const held = new Set(rows);
  await writeFile(
    file,
    csv,
    csv.rows.map((r) => (held.has(r) ? withoutResult(r) : r)),
  );
  const batch = await load(ctx, file);
  ctx.log(
    'info',
    `loaded ${NFL_FILE}${rows.length ? ` with the ${rows.length} results of ${season} held back` : ''}: ` +
      `${batch.inserted} inserted, ${batch.updated} updated, ${batch.unchanged} unchanged, ${batch.rejected} rejected`,
  );
}

/** Step: the baseline models predict every open match market; demo users pick first touchdown scorers, which demo data settles. */
export async function predict(ctx: DemoContext): Promise<void> {
  const [p] = await ctx.sql<{ n: number }[]>`select forecast.create_baseline_predictions() as n`;
  const [u] = await ctx.sql<{ n: number }[]>`select forecast.create_demo_picks() as n`;
  ctx.log('info', `baseline models made ${p?.n ?? 0} predictions; demo users made ${u?.n ?? 0} first-touchdown picks`);
  // the sample files have no play-by-play: the first touchdowns are drawn, and labelled so
  const [td] = await ctx.sql.begin(async (tx) => {
    await tx`select set_config('scoreline.demo', 'on', true)`; // this transaction is the demo's (SL042 otherwise)
    return tx<{ n: number }[]>`select forecast.record_demo_first_touchdowns() as n`;
  });
  if (td?.n)
    ctx.log(
      'info',
      `first touchdowns recorded for ${td.n} games as demo data (drawn, not the real scorers: the sample files have no play-by-play), so the picks are scored`,
    );
}

/** Step: start the real worker in this process (no HTTP), debounce 1 s unless configured. */
export async function startDemoWorker(ctx: DemoContext): Promise<void> {
  const config = workerConfig({ REFRESH_DEBOUNCE_SECONDS: '1', POLL_INTERVAL_MS: '500', ...process.env });
  ctx.worker = await startWorker({ url: ctx.url, config, log: ctx.log.child({ component: 'worker' }, 'warn'), http: false });
  ctx.log('info', `worker started (concurrency ${config.WORKER_CONCURRENCY}, refresh debounce ${config.REFRESH_DEBOUNCE_SECONDS} s)`);
}

async function drained(ctx: DemoContext, timeoutS = 600): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const [row] = await ctx.sql<{ n: number; failed: number }[]>`
      select count(*) filter (where state <> 'failed')::int as n, count(*) filter (where state = 'failed')::int as failed
        from worker.job where task in ('score_event', 'refresh')`;
    if (row?.failed) throw new Error(`${row.failed} jobs failed for good: see worker.failed_job`);
    if (row?.n === 0) return;
    if (Date.now() > deadline) throw new Error(`the queue did not drain within ${timeoutS} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Step: the finished events loaded already (past seasons, the races) are scored by the worker. */
export async function scoreHistory(ctx: DemoContext): Promise<void> {
  const [q] = await ctx.sql<{ n: number }[]>`select worker.enqueue_unscored() as n`;
  const t0 = Date.now();
  await drained(ctx);
  ctx.log('info', `the worker scored ${q?.n ?? 0} finished events loaded with their results in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Step: the held-back results arrive week by week, in kick-off order, through the feed. */
export async function replayResults(ctx: DemoContext): Promise<void> {
  const s = heldBack(ctx);
  const byWeek = new Map<number, Record<string, string>[]>();
  for (const r of s.rows) {
    const w = Number(r.week);
    byWeek.set(w, [...(byWeek.get(w) ?? []), r]);
  }
  for (const week of [...byWeek.keys()].sort((a, b) => a - b)) {
    const rows = byWeek.get(week)!.sort((a, b) => `${a.gameday} ${a.gametime}`.localeCompare(`${b.gameday} ${b.gametime}`));
    const file = path.join(ctx.tmp, `results_${s.season}_week_${week}.csv`);
    await writeFile(file, s.csv, rows);
    const batch = await load(ctx, file);
    s.lastCompletion = Date.now();
    s.completions += batch.updated;
    ctx.log('info', `${s.season} week ${week}: ${batch.updated} results arrived (${batch.rejected} rejected)`);
  }
  if (!s.completions) ctx.log('info', 'no held-back results to replay: the season was already loaded');
}

/** Step: wait until every completion is scored and every derived object refreshed. */
export async function waitUntilFresh(ctx: DemoContext): Promise<void> {
  const s = heldBack(ctx);
  await drained(ctx);
  const scoredAt = Date.now();
  // the debounced refresh has run once the queue drained; anything still stale is refreshed now
  await ctx.sql`call refresh.run_due('manual')`;
  const freshAt = Date.now();
  if (s.lastCompletion && s.completions) {
    ctx.out(
      `\nFreshness: ${s.completions} results arrived in ${[...new Set(s.rows.map((r) => r.week))].length} weekly files; ` +
        `after the last one, the model-stats views were current in ${((scoredAt - s.lastCompletion) / 1000).toFixed(2)} s ` +
        `(scored by the worker; the views are maintained in the scoring transaction) and every derived object was fresh in ` +
        `${((freshAt - s.lastCompletion) / 1000).toFixed(2)} s.`,
    );
  } else {
    // a run on a database an earlier demo filled: nothing arrived, so there is nothing to time
    ctx.out(
      `\nFreshness: no results arrived in this run (the ${s.season} season was loaded by an earlier one; ` +
        `make reset starts over from an empty database); every derived object was fresh ` +
        `${((freshAt - ctx.startedAt) / 1000).toFixed(2)} s after the run started.`,
    );
  }
  await stopDemoWorker(ctx);
}

/** Stop the demo's worker if a step started it (also when a step failed). */
export async function stopDemoWorker(ctx: DemoContext): Promise<void> {
  const worker = ctx.worker;
  ctx.worker = undefined;
  if (worker) await worker.stop('demo finished');
}
