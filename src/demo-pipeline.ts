// The demo's pipeline: the current NFL season's results are held back at load, the
// baseline models and demo users predict, then the results arrive week by week in
// kick-off order through the nfl_games feed. Each completion enqueues its scoring job
// in the same transaction (a trigger); the real worker scores and refreshes; the demo
// prints the leaderboard, refresh.status, and how long after the last completion the
// views were current.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DemoContext } from './demo.ts';
import { readCsv } from './ingest/csv.ts';
import type { BatchRow } from './ingest/feed.ts';
import { feeds, loadFile } from './ingest/load.ts';
import { runRaceDemo } from './timeseries/race-demo.ts';
import { workerConfig } from './worker/config.ts';
import { startWorker, type WorkerHandle } from './worker/runner.ts';

export const NFL_FILE = 'nfl_games_2024_2025.csv';
export const RACE_FILE = 'hkjc_results_2024-01-01.csv';

interface CsvFile {
  header: string[];
  rows: Record<string, string>[];
}

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

/** The state the pipeline steps share through the demo context. */
interface PipelineState {
  tmp: string;
  csv: CsvFile;
  season: string;
  heldBack: Record<string, string>[];
  worker?: WorkerHandle;
  lastCompletion?: number;
  completions: number;
}
const state = new WeakMap<DemoContext, PipelineState>();
function st(ctx: DemoContext): PipelineState {
  const s = state.get(ctx);
  if (!s) throw new Error('the demo pipeline steps run after "load the sample data"');
  return s;
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
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-demo-'));
  const [known] = await ctx.sql<{ n: number }[]>`select count(*)::int as n from core.event where external_id like ${`${season}\\_%`}`;
  const heldBack = known?.n ? [] : csv.rows.filter((r) => r.season === season && played(r));
  state.set(ctx, { tmp, csv, season, heldBack, completions: 0 });
  const file = path.join(tmp, `schedule_${season}.csv`);
  const held = new Set(heldBack);
  await writeFile(
    file,
    csv,
    csv.rows.map((r) => (held.has(r) ? withoutResult(r) : r)),
  );
  const batch = await load(ctx, file);
  ctx.log(
    'info',
    `loaded ${NFL_FILE}${heldBack.length ? ` with the ${heldBack.length} results of ${season} held back` : ''}: ` +
      `${batch.inserted} inserted, ${batch.updated} updated, ${batch.unchanged} unchanged, ${batch.rejected} rejected`,
  );
}

/** Step: the baseline models predict every open match market; demo users pick first touchdown scorers. */
export async function predict(ctx: DemoContext): Promise<void> {
  const [p] = await ctx.sql<{ n: number }[]>`select forecast.create_baseline_predictions() as n`;
  const [u] = await ctx.sql<{ n: number }[]>`select forecast.create_demo_picks() as n`;
  ctx.log('info', `baseline models made ${p?.n ?? 0} predictions; demo users made ${u?.n ?? 0} first-touchdown picks`);
}

/** Step: start the real worker in this process (no HTTP), debounce 1 s unless configured. */
export async function startDemoWorker(ctx: DemoContext): Promise<void> {
  const config = workerConfig({ REFRESH_DEBOUNCE_SECONDS: '1', POLL_INTERVAL_MS: '500', ...process.env });
  const s = st(ctx);
  s.worker = await startWorker({ url: ctx.url, config, log: ctx.log.child({ component: 'worker' }, 'warn'), http: false });
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
  const s = st(ctx);
  const byWeek = new Map<number, Record<string, string>[]>();
  for (const r of s.heldBack) {
    const w = Number(r.week);
    byWeek.set(w, [...(byWeek.get(w) ?? []), r]);
  }
  for (const week of [...byWeek.keys()].sort((a, b) => a - b)) {
    const rows = byWeek.get(week)!.sort((a, b) => `${a.gameday} ${a.gametime}`.localeCompare(`${b.gameday} ${b.gametime}`));
    const file = path.join(s.tmp, `results_${s.season}_week_${week}.csv`);
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
  const s = st(ctx);
  await drained(ctx);
  const scoredAt = Date.now();
  // the debounced refresh has run once the queue drained; anything still stale is refreshed now
  await ctx.sql`call refresh.run_due('manual')`;
  const freshAt = Date.now();
  if (s.lastCompletion) {
    ctx.out(
      `\nFreshness: ${s.completions} results arrived in ${[...new Set(s.heldBack.map((r) => r.week))].length} weekly files; ` +
        `after the last one, the model-stats views were current in ${((scoredAt - s.lastCompletion) / 1000).toFixed(2)} s ` +
        `(scored by the worker; the views are maintained in the scoring transaction) and every derived object was fresh in ` +
        `${((freshAt - s.lastCompletion) / 1000).toFixed(2)} s.`,
    );
  }
  await stopDemoWorker(ctx);
}

/** Stop the demo's worker if a step started it (also when a step failed). */
export async function stopDemoWorker(ctx: DemoContext): Promise<void> {
  const s = state.get(ctx);
  if (s?.worker) await s.worker.stop('demo finished');
  if (s) {
    s.worker = undefined;
    await fs.rm(s.tmp, { recursive: true, force: true });
  }
}

/** Step: the race meeting end to end: win odds as snapshots, three strategies betting, settlement, performance. */
export async function raceMeeting(ctx: DemoContext): Promise<void> {
  const r = await runRaceDemo(ctx.sql, path.join(ctx.dataDir, RACE_FILE));
  const lines = r.performance.map(
    (p) =>
      `  ${p.strategy.padEnd(22)} ${p.day}  bets ${String(p.bets).padStart(3)}  won ${String(p.won).padStart(2)}  ` +
      `stake ${p.stake.padStart(8)}  P&L ${p.pnl.padStart(9)}  ROI ${p.roi ?? '-'}`,
  );
  ctx.out(
    `\nRace meeting (Sha Tin): ${r.races} races, ${r.snapshots} win-odds snapshots, ${r.bets} bets, ${r.settled} settled\n${lines.join('\n')}`,
  );
}

/** Step: the leaderboards and refresh.status. */
export async function leaderboard(ctx: DemoContext): Promise<void> {
  const rows = await ctx.sql<
    {
      name: string;
      total_matches: number;
      total_points: string;
      avg_points: string;
      win_rate: string | null;
      w: number;
      d: number;
      l: number;
      units: string | null;
    }[]
  >`
    select f.name, v.total_matches, v.total_points::text, round(v.avg_points, 2)::text as avg_points,
           round(v.win_rate * 100, 1)::text as win_rate, v.win_count as w, v.draw_count as d, v.loss_count as l,
           round(v.total_units, 1)::text as units
      from stats.mv_model_stats_overall v join forecast.forecaster f on f.forecaster_id = v.model_id
     order by v.total_points desc, f.name`;
  const head = `  ${'model'.padEnd(20)} ${'matches'.padStart(7)} ${'points'.padStart(7)} ${'avg'.padStart(5)} ${'win %'.padStart(6)}   W-D-L        units`;
  ctx.out(
    `\nModel leaderboard, current seasons (stats.mv_model_stats_overall)\n${head}\n` +
      rows
        .map(
          (r) =>
            `  ${r.name.padEnd(20)} ${String(r.total_matches).padStart(7)} ${r.total_points.padStart(7)} ${r.avg_points.padStart(5)} ` +
            `${(r.win_rate ?? '-').padStart(6)}   ${`${r.w}-${r.d}-${r.l}`.padEnd(12)} ${(r.units ?? '-').padStart(6)}`,
        )
        .join('\n'),
  );
  const status = await ctx.sql<{ object: string; method: string; state: string; last_duration: string | null; reason: string | null }[]>`
    select object::text, method, state, round(extract(epoch from last_duration)::numeric * 1000)::text as last_duration, reason
      from refresh.status order by object::text`;
  ctx.out(
    `\nrefresh.status\n  ${'object'.padEnd(42)} ${'method'.padEnd(12)} ${'state'.padEnd(8)} last ms\n` +
      status
        .map(
          (s) =>
            `  ${s.object.padEnd(42)} ${s.method.padEnd(12)} ${s.state.padEnd(8)} ${(s.last_duration ?? '-').padStart(7)}${s.reason ? `  ${s.reason}` : ''}`,
        )
        .join('\n'),
  );
}
