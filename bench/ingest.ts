// Ingest benchmark: rows/s through the project's load paths beside raw COPY of the same
// data in the same run.
//
// - odds: copyOddsSnapshots into the partitioned market.odds_snapshot (partitions, key,
//   BRIN, checks, the set-based selection/source check) vs COPY of the same lines into
//   bench_raw_odds, a plain twin (`like market.odds_snapshot`: no partitions, indexes or
//   constraints);
// - feeds: loadFile (read, validate, stage, merge) per real file in data/ vs COPY of the
//   file's text into a one-column table.
//
// It works in a scratch database (created from `url`, migrated, dropped at the end), so
// the caller's data is untouched. `benchIngest(url, rows)` returns the figures; run alone:
//   node --import tsx bench/ingest.ts [rows]
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { connect, databaseUrl, withDatabase, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { migrate } from '../src/migrate.ts';
import { copyLine, copyOddsSnapshots, type OddsSnapshot } from '../src/ingest/odds-copy.ts';

export interface Figure {
  section: string;
  what: string;
  value: string;
  baseline: string;
  ratio: string;
}

const FEED_FILES = [
  ['nfl_games', 'nfl_games_2024_2025.csv'],
  ['football_data', 'epl_2019_20_results_odds.csv'],
  ['nfl_players', 'nfl_players_2024.csv'],
  ['hkjc_results', 'hkjc_results_2024-01-01.csv'],
] as const;
const REPEATS = 3;
const SELECTIONS = 2_000;

const perSecond = (rows: number, ms: number) => (ms > 0 ? (rows / ms) * 1000 : 0);
const fmt = (v: number) => `${Math.round(v).toLocaleString('en-US')} rows/s`;
const ratioOf = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(0)}%` : 'n/a');
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** One race-like event with SELECTIONS selections spread over 20 markets. */
async function oddsFixture(sql: Sql): Promise<{ selections: string[]; sourceId: number }> {
  await sql`insert into core.sport (code, name) values ('bench_sport', 'Bench') on conflict (code) do nothing`;
  await sql`
    insert into core.competition (sport_id, code, name)
    select sport_id, 'bench_comp', 'Bench' from core.sport where code = 'bench_sport' on conflict (code) do nothing`;
  await sql`
    insert into core.season (competition_id, label)
    select competition_id, '2024' from core.competition where code = 'bench_comp' on conflict (competition_id, label) do nothing`;
  const events = await sql<{ event_id: string }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, scheduled_start, name)
    select 'bench_' || g, 'race', s.competition_id, s.season_id, '2024-01-02T12:00:00Z', 'Bench ' || g
      from core.season s join core.competition c using (competition_id), generate_series(1, 20) g
     where c.code = 'bench_comp' and s.label = '2024'
    returning event_id`;
  const markets = await sql<{ market_id: string }[]>`
    insert into market.market (event_id, market_type)
    select e, 'race_win' from unnest(${events.map((e) => e.event_id)}::bigint[]) e returning market_id`;
  const per = SELECTIONS / markets.length;
  const sels = await sql<{ selection_id: string }[]>`
    insert into market.selection (market_id, code, label)
    select m, g::text, 'Runner ' || g from unnest(${markets.map((m) => m.market_id)}::bigint[]) m, generate_series(1, ${per}::int) g
    returning selection_id`;
  const [src] = await sql<{ source_id: number }[]>`select source_id from market.source where code = 'betfair'`;
  return { selections: sels.map((s) => s.selection_id), sourceId: src!.source_id };
}

/** `rows` snapshots over two UTC days, in time order, every selection priced in turn. */
function oddsRows(rows: number, selections: string[], sourceId: number, day: string): OddsSnapshot[] {
  const start = Date.parse(`${day}T00:00:00Z`);
  const stepMs = Math.max(1, Math.floor((2 * 86_400_000) / Math.ceil(rows / selections.length)));
  const out: OddsSnapshot[] = [];
  for (let i = 0; i < rows; i++) {
    const tick = Math.floor(i / selections.length);
    const p = 2 + ((i * 7919) % 300) / 100;
    out.push({
      observedAt: new Date(start + tick * stepMs),
      selectionId: selections[i % selections.length]!,
      sourceId,
      backPrice: p.toFixed(2),
      backSize: (i % 500) + 2,
      layPrice: (p + 0.02).toFixed(2),
      laySize: (i % 300) + 2,
      lastTradedPrice: p.toFixed(2),
      volume: tick * 10,
    });
  }
  return out;
}

async function rawOddsCopy(sql: Sql, rows: readonly OddsSnapshot[]): Promise<void> {
  async function* text(): AsyncGenerator<string> {
    for (let i = 0; i < rows.length; i += 2000)
      yield (
        rows
          .slice(i, i + 2000)
          .map(copyLine)
          .join('\n') + '\n'
      );
  }
  const copy = await sql`
    copy bench_raw_odds (observed_at, selection_id, source_id, back_price, back_size, lay_price, lay_size, last_traded_price, volume)
    from stdin`.writable();
  await pipeline(Readable.from(text()), copy);
}

async function oddsFigures(sql: Sql, rows: number): Promise<Figure[]> {
  const { selections, sourceId } = await oddsFixture(sql);
  await sql`create table bench_raw_odds (like market.odds_snapshot)`;
  const project: number[] = [];
  const raw: number[] = [];
  // Alternate the two paths; each round loads fresh days (partitions made by the loader
  // itself, as in production) and the twin is truncated between rounds.
  for (let r = 0; r < REPEATS; r++) {
    const day = new Date(Date.UTC(2024, 0, 1 + 3 * r)).toISOString().slice(0, 10);
    const data = oddsRows(rows, selections, sourceId, day);
    raw.push(await timed(() => rawOddsCopy(sql, data)));
    project.push(await timed(() => copyOddsSnapshots(sql, data)));
    await sql`truncate bench_raw_odds`;
  }
  const [count] = await sql<{ n: string }[]>`select count(*) as n from market.odds_snapshot`;
  if (Number(count!.n) !== rows * REPEATS) throw new Error(`odds bench: ${count!.n} rows loaded, expected ${rows * REPEATS}`);
  const p = perSecond(rows, median(project));
  const b = perSecond(rows, median(raw));
  return [
    {
      section: 'ingest',
      what: `odds COPY: copyOddsSnapshots into market.odds_snapshot (${rows.toLocaleString('en-US')} rows, median of ${REPEATS}) vs raw COPY into unindexed twin`,
      value: fmt(p),
      baseline: fmt(b),
      ratio: ratioOf(p, b),
    },
  ];
}

async function rawFileCopy(sql: Sql, file: string): Promise<void> {
  // One column per line: CSV mode with a delimiter and quote that never occur in the files.
  const copy = await sql`copy bench_raw_lines (line) from stdin with (format csv, delimiter e'\x01', quote e'\x02')`.writable();
  await pipeline(fs.createReadStream(file), copy);
}

async function feedFigures(sql: Sql): Promise<Figure[]> {
  await sql`create table bench_raw_lines (line text)`;
  const out: Figure[] = [];
  for (const [code, name] of FEED_FILES) {
    const file = path.join(repoRoot, 'data', name);
    const feed = feeds[code];
    if (!feed) throw new Error(`no feed ${code}`);
    const lines =
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '').length - 1;
    const raw: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      raw.push(await timed(() => rawFileCopy(sql, file)));
      await sql`truncate bench_raw_lines`;
    }
    let inserted = 0;
    const load = await timed(async () => {
      const batch = await loadFile(sql, feed, file);
      inserted = Number(batch.inserted);
    });
    const again = await timed(() => loadFile(sql, feed, file));
    const p = perSecond(lines, load);
    const b = perSecond(lines, median(raw));
    out.push({
      section: 'ingest',
      what: `feed ${code}: loadFile ${name} (${lines} rows, first load, ${inserted} inserted) vs raw COPY of its text`,
      value: fmt(p),
      baseline: fmt(b),
      ratio: ratioOf(p, b),
    });
    out.push({
      section: 'ingest',
      what: `feed ${code}: loadFile re-run (nothing changes) vs raw COPY of its text`,
      value: fmt(perSecond(lines, again)),
      baseline: fmt(b),
      ratio: ratioOf(perSecond(lines, again), b),
    });
  }
  return out;
}

/** The ingest figures, measured in a scratch database made from `url`. */
export async function benchIngest(url: string, rows: number): Promise<Figure[]> {
  const admin = connect(url, { max: 1 });
  const name = `scoreline_bench_ingest_${process.pid}_${Date.now()}`;
  await admin.unsafe(`create database ${name}`);
  const dbUrl = withDatabase(url, name);
  try {
    await migrate(dbUrl);
    const sql = connect(dbUrl, { max: 2 });
    try {
      await sql`set maintenance_work_mem = '256MB'`;
      return [...(await oddsFigures(sql, rows)), ...(await feedFigures(sql))];
    } finally {
      await sql.end();
    }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = Number(process.argv[2] ?? 200_000);
  const url = await databaseUrl();
  const figures = await benchIngest(url, rows);
  for (const f of figures) console.log(`${f.what}\n    ${f.value}  baseline ${f.baseline}  ratio ${f.ratio}`);
}
