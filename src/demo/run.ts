// `scoreline demo` (make demo): the main job end to end on real data. Each step is an
// exported async function over one context (./context.ts), and `demoSteps` lists them in
// order, so a later part adds its step to the list without touching the others.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, databaseUrl } from '../db.ts';
import { repoRoot } from '../embedded.ts';
import { feeds, loadFile } from '../ingest/load.ts';
import { cliLogger, type Logger } from '../log.ts';
import { migrate } from '../migrate.ts';
import type { DemoContext, DemoStep } from './context.ts';
import {
  NFL_FILE,
  loadNflHoldingBackResults,
  predict,
  replayResults,
  scoreHistory,
  startDemoWorker,
  stopDemoWorker,
  waitUntilFresh,
} from './pipeline.ts';
import { runRaceMeeting } from './race.ts';
import { leaderboard, printSummary } from './report.ts';

/** The sample files and the feed that reads each, in load order (teams before rosters). */
export const sampleFiles: readonly { feed: string; file: string }[] = [
  { feed: 'nfl_games', file: NFL_FILE },
  { feed: 'football_data', file: 'epl_2019_20_results_odds.csv' },
  { feed: 'nfl_players', file: 'nfl_players_2024.csv' },
  { feed: 'hkjc_results', file: 'hkjc_results_2024-01-01.csv' },
];

/** Step: the database (DATABASE_URL, or the embedded server started on demand). */
export async function startDatabase(log: Logger): Promise<string> {
  return databaseUrl(log);
}

/** Step: migrations and sql/ (applies nothing when the database is current). */
export async function migrateDatabase(url: string, log: Logger): Promise<void> {
  await migrate(url, { log });
}

/** Step: the sample files through the ingestion feeds (the NFL schedule is loaded by its own step). */
export async function loadSampleData(ctx: DemoContext): Promise<void> {
  for (const { feed, file } of sampleFiles.filter((f) => f.file !== NFL_FILE)) {
    const batch = await loadFile(ctx.sql, feeds[feed]!, path.join(ctx.dataDir, file));
    ctx.log(
      'info',
      `loaded ${file}: ${batch.inserted} inserted, ${batch.updated} updated, ${batch.unchanged} unchanged, ${batch.rejected} rejected`,
    );
    ctx.batches.push(batch);
  }
}

/** Step: the race meeting loaded with the sample data: the win prices the feed kept, three strategies betting, settlement, performance. */
export async function raceMeeting(ctx: DemoContext): Promise<void> {
  const r = await runRaceMeeting(ctx.sql);
  const lines = r.performance.map(
    (p) =>
      `  ${p.strategy.padEnd(22)} ${p.day}  bets ${String(p.bets).padStart(3)}  won ${String(p.won).padStart(2)}  ` +
      `stake ${p.stake.padStart(8)}  P&L ${p.pnl.padStart(9)}  ROI ${p.roi ?? '-'}`,
  );
  const now =
    r.bets === r.totalBets && r.settled === r.totalSettled
      ? ''
      : ` (this run: ${r.bets} bets placed, ${r.settled} settled; the rest by an earlier run)`;
  ctx.out(
    `\nRace meeting (Sha Tin): ${r.races} races, ${r.prices} win prices, ${r.totalBets} bets, ${r.totalSettled} settled${now}\n${lines.join('\n')}`,
  );
}

/** The demo's steps after the database is up and migrated, in order. */
export const demoSteps: DemoStep[] = [
  { name: "load the NFL schedule, holding back the current season's results", run: loadNflHoldingBackResults },
  { name: 'load the other sample data', run: loadSampleData },
  { name: 'predict: baseline models and demo users', run: predict },
  { name: 'start the worker', run: startDemoWorker },
  { name: 'score the events loaded finished', run: scoreHistory },
  { name: 'results arrive week by week', run: replayResults },
  { name: 'wait until every view is fresh', run: waitUntilFresh },
  { name: 'race meeting: odds, bets, settlement, performance', run: raceMeeting },
  { name: 'summary', run: printSummary },
  { name: 'leaderboard and refresh status', run: leaderboard },
];

export interface DemoOptions {
  url?: string;
  steps?: readonly DemoStep[];
  log?: Logger;
  out?: (text: string) => void;
  dataDir?: string;
}

/** The whole demo: database, migrations, then every step in order. */
export async function runDemo(opts: DemoOptions = {}): Promise<void> {
  const log = opts.log ?? cliLogger('scoreline demo');
  const url = opts.url ?? (await startDatabase(log));
  await migrateDatabase(url, log);
  const sql = connect(url, { max: 4, applicationName: 'scoreline demo' });
  const ctx: DemoContext = {
    url,
    sql,
    log,
    out: opts.out ?? ((t: string) => console.log(t)),
    dataDir: opts.dataDir ?? path.join(repoRoot, 'data'),
    tmp: await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-demo-')),
    batches: [],
    startedAt: Date.now(),
  };
  try {
    for (const step of opts.steps ?? demoSteps) {
      log('info', `${step.name} ...`);
      await step.run(ctx);
    }
  } finally {
    await stopDemoWorker(ctx);
    await sql.end();
    await fs.rm(ctx.tmp, { recursive: true, force: true });
  }
}
