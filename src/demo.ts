// `scoreline demo` (make demo): the main job end to end on real data. Each step is an
// exported async function over one context, and `demoSteps` lists them in order, so a
// later part (predictions, the worker's pipeline, the leaderboard) adds its step to the
// list without touching the others.
import path from 'node:path';
import type { Command } from 'commander';
import { connect, databaseUrl, type Sql } from './db.ts';
import { repoRoot } from './embedded.ts';
import { formatBatches } from './ingest/command.ts';
import type { BatchRow } from './ingest/feed.ts';
import { feeds, loadFile } from './ingest/load.ts';
import { cliLogger, type Logger } from './log.ts';
import { migrate } from './migrate.ts';
import {
  NFL_FILE,
  leaderboard,
  loadNflHoldingBackResults,
  predict,
  raceMeeting,
  replayResults,
  scoreHistory,
  startDemoWorker,
  stopDemoWorker,
  waitUntilFresh,
} from './demo-pipeline.ts';

export interface DemoContext {
  url: string;
  sql: Sql;
  /** Progress lines (stderr). */
  log: Logger;
  /** What the demo shows (stdout). */
  out: (text: string) => void;
  /** Where the sample files are: data/ of the checkout. */
  dataDir: string;
  /** The batches the load step ran, for later steps to report on. */
  batches: BatchRow[];
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}

/** The sample files and the feed that reads each, in load order (teams before rosters). */
export const sampleFiles: readonly { feed: string; file: string }[] = [
  { feed: 'nfl_games', file: 'nfl_games_2024_2025.csv' },
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

function table(header: string[], rows: (string | number)[][], numeric: number[] = []): string {
  const cells = rows.map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    '  ' +
    r
      .map((c, i) => (numeric.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

/** The summary the demo prints: competitions, seasons, events, teams, players. */
export async function summary(sql: Sql): Promise<string> {
  const competitions = await sql<{ code: string; name: string; sport: string }[]>`
    select c.code, c.name, s.code as sport from core.competition c join core.sport s using (sport_id) order by c.code`;
  const seasons = await sql<{ competition: string; label: string; is_current: boolean; weeks: number; events: number }[]>`
    select c.code as competition, se.label, se.is_current,
           (select count(*)::int from core.week w where w.season_id = se.season_id) as weeks,
           (select count(*)::int from core.event e where e.season_id = se.season_id) as events
      from core.season se join core.competition c using (competition_id)
     order by c.code, se.label`;
  const events = await sql<{ competition: string; season: string; stage: string; status: string; events: number }[]>`
    select c.code as competition, se.label as season, e.stage, e.status, count(*)::int as events
      from core.event e
      join core.competition c on c.competition_id = e.competition_id
      join core.season se on se.season_id = e.season_id
     group by 1, 2, 3, 4
     order by 1, 2, 3 desc, 4`;
  const teams = await sql<{ sport: string; teams: number }[]>`
    select s.code as sport, count(t.team_id)::int as teams
      from core.sport s join core.team t using (sport_id) group by 1 order by 1`;
  const [people] = await sql<{ players: number; rosters: number; runners: number }[]>`
    select (select count(*)::int from core.player) as players, (select count(*)::int from core.roster) as rosters,
           (select count(*)::int from core.runner) as runners`;
  return [
    'Competitions',
    table(
      ['code', 'name', 'sport'],
      competitions.map((c) => [c.code, c.name, c.sport]),
    ),
    '',
    'Seasons (* = current)',
    table(
      ['competition', 'season', 'current', 'weeks', 'events'],
      seasons.map((s) => [s.competition, s.label, s.is_current ? '*' : '', s.weeks, s.events]),
      [3, 4],
    ),
    '',
    'Events by competition, season, stage and status',
    table(
      ['competition', 'season', 'stage', 'status', 'events'],
      events.map((e) => [e.competition, e.season, e.stage, e.status, e.events]),
      [4],
    ),
    '',
    'Teams',
    table(
      ['sport', 'teams'],
      teams.map((t) => [t.sport, t.teams]),
      [1],
    ),
    '',
    `Players: ${people!.players}, roster rows: ${people!.rosters}, race runners: ${people!.runners}`,
  ].join('\n');
}

/** Step: print the loads and the summary. */
export async function printSummary(ctx: DemoContext): Promise<void> {
  if (ctx.batches.length) ctx.out(`Loads\n${formatBatches(ctx.batches).replace(/^/gm, '  ')}\n`);
  ctx.out(await summary(ctx.sql));
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
    batches: [],
  };
  try {
    for (const step of opts.steps ?? demoSteps) {
      log('info', `${step.name} ...`);
      await step.run(ctx);
    }
  } finally {
    await stopDemoWorker(ctx);
    await sql.end();
  }
}

export function register(program: Command, log: Logger): void {
  program
    .command('demo')
    .description(
      'the main job end to end: start the database, migrate, load the sample data in data/, predict, let the worker score and refresh as results arrive, print the leaderboard and refresh status',
    )
    .action(async () => {
      await runDemo({ log });
    });
}
