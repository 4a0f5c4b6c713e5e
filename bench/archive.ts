// Archive-scale ingest benchmark: an archive generated from the sample files, loaded file
// by file as a user loading every season of every division would, beside a raw COPY of
// the same lines in the same run.
//
// - football_data: data/epl_2019_20_results_odds.csv (380 matches, 8 bookmakers' opening
//   and closing prices) replicated across `seasons` seasons (dates moved back a year per
//   season) and `divisions` divisions (the standard codes E0 E1 … mapped by the
//   migrations), one file per season and division, loaded season by season;
// - nfl_players: data/nfl_players_2024.csv replicated to `players` rows (new player ids).
//
// Figures: rows/s of each feed against a raw COPY of the same lines; the time of the last
// season against the first (does a load slow down as the database grows?); a 10x file
// against a 1x file (football_data: ten divisions' season in one file; nfl_players: 10x rows); the
// peak RSS of the process (VmHWM); the whole archive's time. It works in a scratch
// database (created from `url`, migrated, dropped at the end).
//
//   node --import tsx bench/archive.ts [seasons,divisions,players]     (alone)
//   make bench SCALE=none ARCHIVE=30,5,120000                          (appends to bench/RESULTS.md)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { connect, databaseUrl, withDatabase, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { migrate } from '../src/migrate.ts';
import type { Figure } from './ingest.ts';

export interface ArchiveSpec {
  seasons: number;
  divisions: number;
  players: number;
}

/** The standard football-data divisions, in the order the archive uses them. */
const DIVISIONS = [
  'E0',
  'E1',
  'E2',
  'E3',
  'EC',
  'SC0',
  'SC1',
  'SC2',
  'SC3',
  'D1',
  'D2',
  'I1',
  'I2',
  'SP1',
  'SP2',
  'F1',
  'F2',
  'N1',
  'B1',
  'P1',
  'T1',
  'G1',
];
const TEMPLATE = path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv');
const PLAYERS = path.join(repoRoot, 'data', 'nfl_players_2024.csv');
const GAMES = path.join(repoRoot, 'data', 'nfl_games_2024_2025.csv');

export function parseArchiveSpec(spec: string): ArchiveSpec {
  const [seasons, divisions, players] = spec.split(',').map((x) => Number(x.trim()));
  const ok = (v: number | undefined, lo: number, hi: number) => Number.isInteger(v) && v! >= lo && v! <= hi;
  if (!ok(seasons, 2, 60) || !ok(divisions, 1, DIVISIONS.length) || !ok(players, 1000, 150_000)) {
    throw new Error(`archive ${spec}: seasons (2-60), divisions (1-${DIVISIONS.length}), players (1000-150000), e.g. 30,5,120000`);
  }
  return { seasons: seasons!, divisions: divisions!, players: players! };
}

const perSecond = (rows: number, ms: number) => (ms > 0 ? (rows / ms) * 1000 : 0);
const fmt = (v: number) => `${Math.round(v).toLocaleString('en-US')} rows/s`;
const pct = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(0)}%` : 'n/a');
const times = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

/** Peak resident set size of this process (kB -> MB), from /proc/self/status. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

/** dd/mm/yyyy moved back `years` years (29 February of a year that has none becomes the 28th). */
function shiftDate(date: string, years: number): string {
  const [d, m, y] = date.split('/');
  const year = Number(y!.length === 2 ? `20${y}` : y) - years;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const day = d === '29' && m === '02' && !leap ? '28' : d!;
  return `${day}/${m}/${year}`;
}

/** The template's matches as division `div`, `back` years earlier: CSV lines without the header. */
function season(template: { header: string[]; rows: string[][] }, div: string, back: number): string[] {
  const iDiv = template.header.indexOf('Div');
  const iDate = template.header.indexOf('Date');
  return template.rows.map((r) => {
    const out = [...r];
    out[iDiv] = div;
    out[iDate] = shiftDate(r[iDate]!, back);
    return out.join(',');
  });
}

function readTemplate(): { header: string[]; rows: string[][] } {
  const lines = fs
    .readFileSync(TEMPLATE, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

function writeFile(dir: string, name: string, header: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, [header, ...lines, ''].join('\n'));
  return file;
}

/** nfl_players rows replicated to `n` rows, each copy with its own GSIS ids (`<base + k>-…` instead of `00-…`). */
function players(n: number, base: number): { header: string; lines: string[] } {
  const all = fs
    .readFileSync(PLAYERS, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const rows = all.slice(1);
  const lines: string[] = [];
  for (let k = 0; lines.length < n; k++) {
    for (const r of rows) {
      if (lines.length >= n) break;
      lines.push(`${String(base + k).padStart(2, '0')}${r.slice(2)}`);
    }
  }
  return { header: all[0]!, lines };
}

async function rawCopy(sql: Sql, files: string[]): Promise<number> {
  await sql`truncate bench_raw_lines`;
  const [ms] = await timed(async () => {
    for (const file of files) {
      const copy = await sql`copy bench_raw_lines (line) from stdin with (format csv, delimiter e'\x01', quote e'\x02')`.writable();
      await pipeline(fs.createReadStream(file), copy);
    }
  });
  await sql`truncate bench_raw_lines`;
  return ms;
}

async function load(sql: Sql, feed: string, file: string): Promise<{ ms: number; rejected: number; oddsKept: number }> {
  const [ms, batch] = await timed(() => loadFile(sql, feeds[feed]!, file));
  return { ms, rejected: Number(batch.rejected), oddsKept: Number(batch.odds_kept) };
}

/** The archive figures, measured in a scratch database made from `url`; `log` reports progress. */
export async function benchArchive(url: string, spec: ArchiveSpec, log: (msg: string) => void = () => {}): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scoreline-archive-'));
  const admin = connect(url, { max: 1 });
  const name = `scoreline_bench_archive_${process.pid}_${Date.now()}`;
  await admin.unsafe(`create database ${name}`);
  const dbUrl = withDatabase(url, name);
  const figures: Figure[] = [];
  const add = (what: string, value: string, baseline: string, ratio: string) =>
    figures.push({ section: 'g. archive', what, value, baseline, ratio });
  try {
    await migrate(dbUrl);
    const sql = connect(dbUrl, { max: 2 });
    try {
      await sql`create table bench_raw_lines (line text)`;
      const template = readTemplate();
      const header = template.header.join(',');
      const divisions = DIVISIONS.slice(0, spec.divisions);

      // football_data: season by season (newest first, as an archive is usually fetched), every division
      const seasonMs: number[] = [];
      const files: string[] = [];
      let matches = 0;
      let rejected = 0;
      let oddsKept = 0;
      const [archiveMs] = await timed(async () => {
        for (let s = 0; s < spec.seasons; s++) {
          let ms = 0;
          for (const div of divisions) {
            const lines = season(template, div, s);
            const file = writeFile(dir, `${div}_${2019 - s}.csv`, header, lines);
            files.push(file);
            const r = await load(sql, 'football_data', file);
            ms += r.ms;
            matches += lines.length;
            rejected += r.rejected;
            oddsKept += r.oddsKept;
          }
          seasonMs.push(ms);
          log(`archive: season ${s + 1}/${spec.seasons} (${divisions.length} divisions) in ${secs(ms)}`);
        }
      });
      const raw = await rawCopy(sql, files);
      add(
        `football_data archive: ${spec.seasons} seasons x ${divisions.length} divisions = ${matches.toLocaleString('en-US')} matches, ${oddsKept.toLocaleString('en-US')} prices kept, ${rejected} rejected; loadFile vs raw COPY of the same lines`,
        fmt(perSecond(matches, archiveMs)),
        fmt(perSecond(matches, raw)),
        pct(raw, archiveMs),
      );
      add(`football_data archive: whole archive loaded (${matches.toLocaleString('en-US')} matches)`, secs(archiveMs), '', '');
      // the first and the last seasons loaded, three of each when there are six or more
      // (one file of 380 matches takes about a second: a single one is noise)
      const k = spec.seasons >= 6 ? 3 : 1;
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const firstMs = mean(seasonMs.slice(0, k));
      const lastMs = mean(seasonMs.slice(-k));
      add(
        `football_data: the last ${k > 1 ? `${k} seasons` : 'season'} loaded (of ${spec.seasons}) vs the first ${k > 1 ? k : ''}, mean time of a season (${divisions.length} division file(s))`,
        secs(lastMs),
        secs(firstMs),
        times(lastMs, firstMs),
      );

      // 10x against 1x: one file holding a season of ten divisions (football-data's own
      // all-divisions files look so), against one division's season; seasons before the archive's
      const oneFile = writeFile(dir, 'one_1x.csv', header, season(template, DIVISIONS[0]!, spec.seasons + 11));
      const tenLines: string[] = [];
      for (const div of DIVISIONS.slice(0, 10)) tenLines.push(...season(template, div, spec.seasons + 10));
      const tenFile = writeFile(dir, 'ten_10x.csv', header, tenLines);
      const one = await load(sql, 'football_data', oneFile);
      const ten = await load(sql, 'football_data', tenFile);
      add(
        `football_data: a 10x file (${tenLines.length} matches, ${ten.oddsKept.toLocaleString('en-US')} prices) vs a 1x file (380 matches)`,
        secs(ten.ms),
        secs(one.ms),
        times(ten.ms, one.ms),
      );
      log(`archive: football_data 10x ${secs(ten.ms)}, 1x ${secs(one.ms)}`);

      // nfl_players: the schedule first (the teams), then 1x and 10x files of new players
      await loadFile(sql, feeds.nfl_games!, GAMES);
      const small = Math.max(1000, Math.round(spec.players / 10));
      const p1 = players(small, 90);
      const p10 = players(small * 10, 10);
      const p1File = writeFile(dir, 'players_1x.csv', p1.header, p1.lines);
      const p10File = writeFile(dir, 'players_10x.csv', p10.header, p10.lines);
      const l1 = await load(sql, 'nfl_players', p1File);
      const l10 = await load(sql, 'nfl_players', p10File);
      const rawPlayers = await rawCopy(sql, [p10File]);
      add(
        `nfl_players: loadFile of ${p10.lines.length.toLocaleString('en-US')} rows (${l10.rejected} rejected) vs raw COPY of the same lines`,
        fmt(perSecond(p10.lines.length, l10.ms)),
        fmt(perSecond(p10.lines.length, rawPlayers)),
        pct(rawPlayers, l10.ms),
      );
      add(
        `nfl_players: a 10x file (${p10.lines.length.toLocaleString('en-US')} rows) vs a 1x file (${p1.lines.length.toLocaleString('en-US')} rows)`,
        secs(l10.ms),
        secs(l1.ms),
        times(l10.ms, l1.ms),
      );
      log(`archive: nfl_players 10x ${secs(l10.ms)}, 1x ${secs(l1.ms)}`);

      const [parts] = await sql<{ n: number }[]>`
        select count(*)::int as n from maint.partition_bounds where parent = 'market.odds_history'::regclass and not is_default`;
      add('partitions of market.odds_history after the archive (monthly)', String(parts?.n ?? 0), '', '');
      add('peak RSS of the loading process (VmHWM, MB; target <= 300)', peakRssMb().toFixed(0), '', '');
    } finally {
      await sql.end();
    }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const spec = parseArchiveSpec(process.argv[2] ?? process.env.ARCHIVE ?? '3,2,12000');
  const figures = await benchArchive(await databaseUrl(), spec, (m) => console.error(m));
  for (const f of figures) console.log(`${f.what}\n    ${f.value}  baseline ${f.baseline}  ratio ${f.ratio}`);
}
