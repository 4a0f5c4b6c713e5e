// `scoreline ingest <feed> <file>...`: load files (or directories of them) with one feed, a batch
// each, and print their counts;
// `scoreline ingest-map-code`: map a feed's league code to a competition.
import { Argument, InvalidArgumentError, type Command } from 'commander';
import fs from 'node:fs/promises';
import path from 'node:path';
import { connect, databaseUrl, requirePrimary, type Sql } from '../db.ts';
import type { Logger } from '../log.ts';
import type { BatchRow, Feed } from './feed.ts';
import { output, tableText, type Row } from '../output.ts';
import { classify, HTTP_DEFAULTS, IngestError } from './fetch.ts';
import { feeds, loadFile, type Progress } from './load.ts';
import { syncSources } from './sync.ts';

/** The columns of a load's table, counts right-aligned. */
const COUNTS = ['inserted', 'updated', 'corrections', 'unchanged', 'rejected'] as const;

/** A table with a header line, the count columns (and odds_kept: the prices the load kept) right-aligned. */
function table(header: readonly string[], rows: string[][]): string {
  const objects = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  return tableText(objects, header, [...COUNTS, 'odds_kept']);
}

/** The columns of a batch's result row. */
const BATCH_COLUMNS = ['batch', 'feed', ...COUNTS, 'odds_kept', 'status', 'location'] as const;

/** A batch as a result row: its counts as numbers (in JSON too). */
function batchRow(b: BatchRow): Row {
  return {
    batch: b.batch_id,
    feed: b.feed,
    ...Object.fromEntries(COUNTS.map((c) => [c, b[c] ?? 0])),
    odds_kept: b.odds_kept ?? 0,
    status: b.status,
    location: b.location,
  };
}

/** One line per batch: what a data engineer reads after a load (the table; the demo prints it too). */
export function formatBatches(batches: readonly BatchRow[]): string {
  return table(
    BATCH_COLUMNS,
    batches.map((b) => BATCH_COLUMNS.map((c) => String(batchRow(b)[c]))),
  );
}

/** Batches as the command's result: a table on a terminal, one JSON object per batch otherwise (src/output.ts). */
function printBatches(batches: readonly BatchRow[]): void {
  const out = output();
  if (out.format === 'table') out.raw(formatBatches(batches));
  else out.rows(batches.map(batchRow), { columns: BATCH_COLUMNS });
}

/** How many rejected rows a load may have and still exit 0: a count, or a share of the rows read. */
export type RejectLimit = { count: number } | { percent: number };

/** `--max-rejected N|P%`. */
export function parseMaxRejected(v: string): RejectLimit {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  if (m) {
    const percent = Number(m[1]);
    if (percent > 100) throw new InvalidArgumentError('a share from 0% to 100%');
    return { percent };
  }
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError('a whole number of rows (0 or more), or a share such as 2%');
  return { count: Number(v) };
}

/** The rows a batch read: every count (each row is one of them). */
export const rowsOf = (b: BatchRow) => COUNTS.reduce((n, c) => n + (b[c] ?? 0), 0);

/** Whether a batch's rejected rows exceed the limit. */
export function overLimit(b: BatchRow, limit: RejectLimit): boolean {
  if ('count' in limit) return b.rejected > limit.count;
  const rows = rowsOf(b);
  return rows > 0 && (b.rejected * 100) / rows > limit.percent;
}

/** The exit codes of `scoreline ingest` (docs/ingest.md). */
export const EXIT = { ok: 0, failed: 1, rejected: 3, sigint: 130, sigterm: 143 } as const;

/**
 * Progress of a load, on stderr: a line redrawn in place on a terminal, a structured line
 * every few seconds otherwise (so that logs stay quiet). The last line, once the batch is
 * merged, says so with its batch id; its counts are the command's result on stdout and are
 * not repeated here (src/output.ts: never the same message on both).
 */
export function progressReporter(label: string, tty: boolean = Boolean(process.stderr.isTTY)): (p: Progress) => void {
  let lastLog = 0;
  return (p) => {
    const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
    const b = p.batch;
    // the rows are read (the read phase's last report) or the merge runs; the batch comes when it is merged
    const merging = !b && (p.phase === 'merge' || p.done);
    const finished = Boolean(b);
    if (tty) {
      // the counts of a merged batch are the command's result (stdout), not repeated here
      const counts = b
        ? `, merged (batch ${b.batch_id})`
        : `, ${p.rejected} rejected${merging ? `, merging ${(p.elapsedMs / 1000).toFixed(0)} s` : ''}`;
      process.stderr.write(`\r\x1b[K${label}: ${p.rows.toLocaleString('en')} rows, ${rate.toLocaleString('en')} rows/s${counts}`);
      if (finished) process.stderr.write('\n');
    } else if (finished || merging || p.elapsedMs - lastLog >= 5000) {
      lastLog = p.elapsedMs;
      process.stderr.write(
        JSON.stringify({
          level: 'info',
          msg: finished ? 'loaded' : merging ? 'rows read, merging' : 'reading',
          location: label,
          rows: p.rows,
          rows_per_s: rate,
          // once merged, the batch's counts are the command's result on stdout: only its id here
          ...(b ? { batch: Number(b.batch_id) } : { rejected: p.rejected }),
        }) + '\n',
      );
    }
  };
}

interface IngestOptions {
  showRejected?: boolean;
  chunkRows?: number;
  maxRejected: RejectLimit;
  connectTimeout: number;
  idleTimeout: number;
  retries: number;
}

const positiveSeconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
};

/**
 * SIGINT and SIGTERM while loading: the load is aborted (its batch marked failed with
 * the signal's name), then the command exits 130 / 143. A second signal exits at once.
 */
function interruptible(log: Logger): { signal: AbortSignal; interrupted: () => NodeJS.Signals | null; dispose: () => void } {
  const controller = new AbortController();
  let got: NodeJS.Signals | null = null;
  const on = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    if (got) process.exit(code);
    got = sig;
    log('warn', `${sig}: stopping the load (its batch is marked failed); a second ${sig} exits at once`);
    controller.abort(new IngestError(`interrupted by ${sig}`));
    // Whatever the load is waiting for, the command ends: a merge statement is not interrupted
    // (it is rolled back when it returns), but the process does not wait for ever.
    setTimeout(() => process.exit(code), 30_000).unref();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal: controller.signal,
    interrupted: () => got,
    dispose: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

/** What one file of `scoreline ingest` came to. */
interface Outcome {
  file: string;
  batch?: BatchRow;
  batchId?: string | undefined;
  exit: number;
  error?: string;
}

/** How bad an exit code is: a failed or interrupted load is worse than rejected rows. */
const SEVERITY: Record<number, number> = { [EXIT.ok]: 0, [EXIT.rejected]: 1, [EXIT.failed]: 2, [EXIT.sigterm]: 3, [EXIT.sigint]: 3 };

/** The exit code of several loads: the worst of theirs. */
export function worstExit(codes: readonly number[]): number {
  return codes.reduce((worst, c) => ((SEVERITY[c] ?? 2) > (SEVERITY[worst] ?? 2) ? c : worst), EXIT.ok as number);
}

const SUMMARY_COLUMNS = ['file', 'batch', ...COUNTS, 'odds_kept', 'status'] as const;

/**
 * The result after several files: one row per file, whatever became of it, and a row of
 * totals (file "N files"). A table on a terminal ("-" where a failed file has no count),
 * one JSON object per row otherwise (null there).
 */
function printSummary(outcomes: readonly Outcome[]): void {
  const rows: Row[] = outcomes.map((o) => {
    const b = o.batch;
    const status = b ? (o.exit === EXIT.rejected ? `${b.status}, rejected over limit` : b.status) : `failed: ${o.error ?? ''}`;
    return {
      file: o.file,
      batch: b?.batch_id ?? o.batchId ?? null,
      ...Object.fromEntries(COUNTS.map((c) => [c, b ? (b[c] ?? 0) : null])),
      odds_kept: b ? (b.odds_kept ?? 0) : null,
      status,
    };
  });
  const total = (c: (typeof COUNTS)[number] | 'odds_kept') => outcomes.reduce((n, o) => n + (o.batch?.[c] ?? 0), 0);
  const failed = outcomes.filter((o) => !o.batch).length;
  rows.push({
    file: `${outcomes.length} files`,
    batch: null,
    ...Object.fromEntries(COUNTS.map((c) => [c, total(c)])),
    odds_kept: total('odds_kept'),
    status: failed ? `${failed} failed` : 'all completed',
  });
  const out = output();
  if (out.format === 'json') out.rows(rows, { columns: SUMMARY_COLUMNS });
  else
    out.raw(
      table(
        SUMMARY_COLUMNS,
        rows.map((r, i) =>
          SUMMARY_COLUMNS.map((c) => (r[c] === null ? (c === 'batch' && i === rows.length - 1 ? '' : '-') : String(r[c]))),
        ),
      ),
    );
}

/** File extensions a directory's files need to be loaded by a feed of this format. */
const EXTENSIONS: Record<Feed['format'], readonly string[]> = { csv: ['.csv'], json: ['.json'] };

/** The locations given, each directory replaced by its feed files in name order. */
async function expandLocations(given: readonly string[], feed: Feed, log: Logger): Promise<string[]> {
  const out: string[] = [];
  for (const location of given) {
    const where = classify(location);
    const stat = where.kind === 'file' ? await fs.stat(where.path).catch(() => null) : null;
    if (!stat?.isDirectory()) {
      out.push(location);
      continue;
    }
    const names = (await fs.readdir(location, { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    const wanted = names.filter((n) => EXTENSIONS[feed.format].includes(path.extname(n).toLowerCase()));
    if (names.length > wanted.length) {
      log('info', `${location}: ${names.length - wanted.length} file(s) without ${EXTENSIONS[feed.format].join(' or ')} skipped`);
    }
    if (!wanted.length) throw new IngestError(`${location}: no ${EXTENSIONS[feed.format].join(' or ')} file in this directory`);
    out.push(...wanted.map((n) => path.join(location, n)));
  }
  return out;
}

/** Rejected rows of a batch: listed with --show-rejected, else where to find them. */
async function reportRejected(sql: Sql, log: Logger, batch: BatchRow, opts: IngestOptions): Promise<void> {
  if (!batch.rejected) return;
  if (opts.showRejected) {
    const rows = await sql<{ line_number: number; stage: string; reason: string }[]>`
      select line_number, stage, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
    // results too: a table on a terminal, one JSON object per rejected row otherwise
    output().rows(
      rows.map((r) => ({ location: batch.location, line: r.line_number, stage: r.stage, reason: r.reason })),
      { columns: ['location', 'line', 'stage', 'reason'] },
    );
  } else {
    log(
      'info',
      `${batch.location}: ${batch.rejected} rejected row(s): --show-rejected, or select * from ingest.rejected_row where batch_id = ${batch.batch_id}`,
    );
  }
}

export function register(program: Command, log: Logger): void {
  program
    .command('ingest')
    .description(
      'load a feed file or URL: valid rows merged, bad rows kept in ingest.rejected_row with line and reason; re-running changes nothing. Exit code 0, 1 when the load failed, 3 when it rejected more rows than --max-rejected allows (docs/ingest.md)',
    )
    .addArgument(new Argument('<feed>', 'the file format').choices(Object.keys(feeds)))
    .argument(
      '<files...>',
      'the files to load (one batch each, in the order given), directories (their .csv or .json files, in name order), or http(s) URLs to stream',
    )
    .option('--show-rejected', 'print every rejected row with its line and reason')
    .option('--chunk-rows <n>', 'resumable: commit every n rows; run the same command again after an interruption to continue', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of rows, 1 or more');
      return n;
    })
    .option(
      '--max-rejected <n|p%>',
      'exit 0 with up to n rejected rows (or p% of the rows read); more make the exit code 3. Default 0: any rejected row',
      parseMaxRejected,
      { count: 0 } as RejectLimit,
    )
    .option(
      '--connect-timeout <s>',
      'a URL: seconds until the response headers, each attempt',
      positiveSeconds,
      HTTP_DEFAULTS.connectTimeoutMs / 1000,
    )
    .option(
      '--idle-timeout <s>',
      'a URL: seconds without data before the download is given up',
      positiveSeconds,
      HTTP_DEFAULTS.idleTimeoutMs / 1000,
    )
    .option(
      '--retries <n>',
      'a URL: attempts after the first when it cannot be reached (back-off 0.5 s, doubled each time)',
      (v) => {
        if (!/^\d+$/.test(v) || Number(v) > 10) throw new InvalidArgumentError('a whole number from 0 to 10');
        return Number(v);
      },
      HTTP_DEFAULTS.retries,
    )
    .action(async (feedCode: string, given: string[], opts: IngestOptions) => {
      const feed = feeds[feedCode]!;
      given.forEach(classify); // an unsupported scheme is refused before anything, even the database
      const files = await expandLocations(given, feed, log);
      const url = await databaseUrl(log);
      const sql = connect(url, { max: 2, applicationName: `scoreline ingest ${feedCode}` });
      const interrupt = interruptible(log);
      const outcomes: Outcome[] = [];
      try {
        await requirePrimary(sql);
        for (const file of files) {
          let batchId: string | undefined;
          try {
            const batch = await loadFile(sql, feed, file, {
              onProgress: progressReporter(file),
              ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
              http: {
                connectTimeoutMs: opts.connectTimeout * 1000,
                idleTimeoutMs: opts.idleTimeout * 1000,
                retries: opts.retries,
                onRetry: (n, reason, delay) => log('warn', `${file}: ${reason}; attempt ${n + 1} in ${delay / 1000} s`),
              },
              signal: interrupt.signal,
              onBatch: (id) => (batchId = id),
            });
            const over = overLimit(batch, opts.maxRejected);
            outcomes.push({ file, batch, exit: over ? EXIT.rejected : EXIT.ok });
            await reportRejected(sql, log, batch, opts);
            if (over) {
              const limit = 'count' in opts.maxRejected ? `${opts.maxRejected.count}` : `${opts.maxRejected.percent}%`;
              log('error', `${file}: ${batch.rejected} of ${rowsOf(batch)} rows rejected, more than --max-rejected ${limit} allows`);
            }
          } catch (err) {
            const sig = interrupt.interrupted();
            if (sig) {
              log('error', `interrupted by ${sig}${batchId ? `: batch ${batchId} marked failed` : ''}`);
              outcomes.push({ file, batchId, exit: sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm, error: `interrupted by ${sig}` });
              break;
            }
            if (files.length === 1) throw err;
            const message = err instanceof Error ? err.message : String(err);
            log('error', `${file}: ${message}`);
            outcomes.push({ file, batchId, exit: EXIT.failed, error: message });
          }
        }
        if (files.length === 1 && outcomes[0]?.batch) printBatches([outcomes[0].batch]);
        else printSummary(outcomes);
        if (outcomes.length < files.length) log('warn', `${files.length - outcomes.length} of ${files.length} files not loaded`);
        process.exitCode = worstExit(outcomes.map((o) => o.exit));
      } finally {
        interrupt.dispose();
        await sql.end();
      }
    });

  program
    .command('ingest-map-code')
    .description(
      "map a feed's league code to a competition (football_data D1 -> bundesliga), creating the competition when --name and --sport are given",
    )
    .argument('<feed>', 'the feed whose code it is (football_data)')
    .argument('<code>', "the feed's code (a football-data Div such as D1)")
    .argument('<competition>', 'the competition code (core.competition.code, lower case: bundesliga)')
    .option('--name <name>', 'create the competition: its name (Bundesliga)')
    .option('--sport <sport>', 'create the competition: its sport (core.sport.code: football)')
    .option('--country <country>', 'create the competition: its country (ISO 3166: DE, GB-ENG)')
    .action(async (feed: string, code: string, competition: string, opts: { name?: string; sport?: string; country?: string }) => {
      const url = await databaseUrl(log);
      const sql = connect(url, { max: 1, applicationName: 'scoreline ingest-map-code' });
      try {
        await requirePrimary(sql);
        const [mapped] = await sql<{ competition_id: number }[]>`
          select competition_id
            from ingest.map_competition_code(${feed}, ${code}, ${competition}, ${opts.name ?? null}, ${opts.country ?? null}, ${opts.sport ?? null})`;
        // (a statement of its own: the one that called the function does not see the competition it created)
        const [c] = await sql<{ code: string; name: string; country: string | null }[]>`
          select code, name, country from core.competition where competition_id = ${mapped!.competition_id}`;
        console.log(`${feed} ${code} -> ${c!.code} (${c!.name}${c!.country ? `, ${c!.country}` : ''})`);
      } finally {
        await sql.end();
      }
    });

  program
    .command('ingest-sync')
    .description('load every enabled source in ingest.source (what the nightly sync runs); a failing source does not stop the others')
    .action(async () => {
      const url = await databaseUrl(log);
      const sql = connect(url, { max: 2, applicationName: 'scoreline ingest-sync' });
      try {
        await requirePrimary(sql);
        const results = await syncSources(sql, log);
        const batches = results.flatMap((r) => (r.batch ? [r.batch] : []));
        if (batches.length) printBatches(batches);
        for (const r of results) if (r.error) log('error', `source ${r.source_id} (${r.feed} ${r.location}) failed: ${r.error}`);
        if (!results.length) log('info', 'no enabled source in ingest.source');
        if (results.some((r) => r.error)) process.exitCode = 1;
      } finally {
        await sql.end();
      }
    });
}
