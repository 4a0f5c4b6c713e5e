// `scoreline ingest <feed> <file>`: load one file with one feed and print its counts;
// `scoreline ingest-map-code`: map a feed's league code to a competition.
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { connect, databaseUrl, requirePrimary } from '../db.ts';
import type { Logger } from '../log.ts';
import type { BatchRow } from './feed.ts';
import { feeds, loadFile, type Progress } from './load.ts';
import { syncSources } from './sync.ts';

/** One line per batch: what a data engineer reads after a load. */
export function formatBatches(batches: readonly BatchRow[]): string {
  const header = ['batch', 'feed', 'inserted', 'updated', 'unchanged', 'rejected', 'odds_kept', 'location'];
  const rows = batches.map((b) =>
    [b.batch_id, b.feed, b.inserted, b.updated, b.unchanged, b.rejected, b.odds_kept ?? 0, b.location].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Progress of a load: a line redrawn in place on a terminal, a structured line every
 * few seconds otherwise (so that logs stay quiet).
 */
export function progressReporter(feed: string, tty: boolean = Boolean(process.stderr.isTTY)): (p: Progress) => void {
  let lastLog = 0;
  return (p) => {
    const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
    if (p.phase === 'merge') {
      const s = (p.elapsedMs / 1000).toFixed(0);
      if (tty) process.stderr.write(p.done ? `\r${feed}: merged, ${s} s\x1b[K\n` : `\r${feed}: merging, ${s} s\x1b[K`);
      else if (p.done || p.elapsedMs - lastLog >= 5000) {
        lastLog = p.elapsedMs;
        process.stderr.write(
          JSON.stringify({ level: 'info', msg: p.done ? 'merged' : 'merging', feed, rows: p.rows, elapsed_s: Number(s) }) + '\n',
        );
      }
    } else if (tty) {
      process.stderr.write(`\r${feed}: ${p.rows.toLocaleString('en')} rows, ${rate.toLocaleString('en')} rows/s, ${p.rejected} rejected`);
      if (p.done) process.stderr.write('\n');
    } else if (p.done || p.elapsedMs - lastLog >= 5000) {
      lastLog = p.elapsedMs;
      process.stderr.write(
        JSON.stringify({
          level: 'info',
          msg: p.done ? 'rows read' : 'reading',
          feed,
          rows: p.rows,
          rows_per_s: rate,
          rejected: p.rejected,
        }) + '\n',
      );
    }
  };
}

export function register(program: Command, log: Logger): void {
  program
    .command('ingest')
    .description(
      'load a feed file or URL: valid rows merged, bad rows kept in ingest.rejected_row with line and reason; re-running changes nothing',
    )
    .addArgument(new Argument('<feed>', 'the file format').choices(Object.keys(feeds)))
    .argument('<file>', 'the file to load, or an http(s) URL to stream it from')
    .option('--show-rejected', 'print every rejected row with its line and reason')
    .option('--chunk-rows <n>', 'resumable: commit every n rows; run the same command again after an interruption to continue', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of rows, 1 or more');
      return n;
    })
    .action(async (feedCode: string, file: string, opts: { showRejected?: boolean; chunkRows?: number }) => {
      const url = await databaseUrl(log);
      const sql = connect(url, { max: 2, applicationName: `scoreline ingest ${feedCode}` });
      try {
        await requirePrimary(sql);
        const batch = await loadFile(sql, feeds[feedCode]!, file, {
          onProgress: progressReporter(feedCode),
          ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
        });
        console.log(formatBatches([batch]));
        if (batch.rejected) {
          if (opts.showRejected) {
            const rows = await sql<{ line_number: number; stage: string; reason: string }[]>`
              select line_number, stage, reason from ingest.rejected_row where batch_id = ${batch.batch_id} order by line_number`;
            for (const r of rows) console.log(`  line ${r.line_number} (${r.stage}): ${r.reason}`);
          } else {
            log(
              'info',
              `${batch.rejected} rejected row(s): --show-rejected, or select * from ingest.rejected_row where batch_id = ${batch.batch_id}`,
            );
          }
        }
      } finally {
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
        if (batches.length) console.log(formatBatches(batches));
        for (const r of results) if (r.error) console.log(`source ${r.source_id} (${r.feed} ${r.location}) failed: ${r.error}`);
        if (!results.length) log('info', 'no enabled source in ingest.source');
        if (results.some((r) => r.error)) process.exitCode = 1;
      } finally {
        await sql.end();
      }
    });
}
