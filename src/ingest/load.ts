// Loading one file into one feed: a batch row, the file streamed record by record
// (never read whole), each record validated, valid rows COPY'd into the feed's staging
// table, refused ones kept in ingest.rejected_row with their line, raw text and reason,
// then the feed's SQL merge — COPY, rejected rows and merge in ONE transaction, so a
// load that fails merges nothing and leaves its batch marked failed with the reason.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from '../db.ts';
import { readCsv } from './csv.ts';
import { classify, describe, IngestError, openLocation, type HttpOptions } from './fetch.ts';
import { readJsonObjects } from './json.ts';
import { footballData } from './football_data.ts';
import { hkjcResults } from './hkjc_results.ts';
import type { BatchRow, CopyValue, Feed, Tx } from './feed.ts';
import { nflGames } from './nfl_games.ts';
import { nflPlayers } from './nfl_players.ts';
import { kalshiMarkets, polymarketMarkets } from './prediction_markets.ts';

/** Every feed `scoreline ingest` knows, by code (the same codes as ingest.feed). */
export const feeds: Readonly<Record<string, Feed>> = Object.fromEntries(
  [nflGames, footballData, nflPlayers, hkjcResults, polymarketMarkets, kalshiMarkets].map((f) => [f.code, f]),
);

export { IngestError };

interface Rejected {
  batch_id: string;
  line_number: number;
  stage: 'parse' | 'validate';
  raw: string;
  reason: string;
}

/** One value in COPY text format. */
export function copyText(value: CopyValue): string {
  if (value === null) return '\\N';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export interface Progress {
  /** Records read so far (valid and rejected). */
  rows: number;
  /** Rows rejected so far; when done, the batch's count (parse, validate and merge: what the table says). */
  rejected: number;
  /** Milliseconds since the load started. */
  elapsedMs: number;
  /** read: every `progressEvery` records and when the rows are read (done); merge: every few seconds while the SQL merge runs, and when the batch is merged (done, with the batch). */
  phase?: 'read' | 'merge';
  done: boolean;
  /** When done: the finished batch. */
  batch?: BatchRow;
}

export interface LoadOptions {
  /** Rejected rows are written in chunks of this many. */
  chunk?: number;
  /** Called every `progressEvery` records while reading, once when the rows are read, every `mergeProgressMs` while the merge runs and once when it ended. */
  onProgress?: (progress: Progress) => void;
  progressEvery?: number;
  /** How often progress is reported while the merge runs (default 5000 ms). */
  mergeProgressMs?: number;
  /**
   * Resumable: commit every this many records (COPY, rejected rows, merge and the
   * checkpoint in one transaction per chunk). An interrupted load run again continues
   * after the last committed chunk, in the same batch. Without it, the whole file is
   * one transaction.
   */
  chunkRows?: number;
  /** Timeouts and retries of an http(s) download (src/ingest/fetch.ts). */
  http?: HttpOptions;
  /**
   * Aborting it stops the load: the download and the reading stop, the transaction is
   * rolled back (a merge that is running finishes first, then is not committed) and the
   * batch is marked failed with the signal's reason.
   */
  signal?: AbortSignal;
  /** Called with the batch id as soon as the batch row exists. */
  onBatch?: (batchId: string) => void;
  /** Test hook: called after each committed chunk with its last line. */
  afterChunk?: (lastLine: number) => void | Promise<void>;
}

/** One record of the input, checked: a COPY line for the staging table, or a rejected row. */
type Checked = { line: number; copy: string } | { line: number; rejected: Omit<Rejected, 'batch_id'> };

/**
 * The records of `location` after line `skipThrough`, each validated by the feed. Fails
 * (IngestError) when the input cannot be read or is not the feed's format.
 */
async function* checkedRecords(
  feed: Feed,
  location: string,
  batchId: string,
  skipThrough: number,
  opts: LoadOptions,
): AsyncGenerator<Checked> {
  let header = feed.format === 'json';
  const signal = opts.signal;
  try {
    const input = await openLocation(location, opts.http, signal);
    for await (const record of feed.format === 'json' ? readJsonObjects(input) : readCsv(input, feed.csv)) {
      signal?.throwIfAborted();
      if ('header' in record) {
        const missing = feed.requiredColumns.filter((c) => !record.header.includes(c));
        const wrong = feed.checkHeader
          ? feed.checkHeader(record.header)
          : missing.length
            ? `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`
            : null;
        if (wrong) throw new IngestError(`${location}: not a ${feed.code} file: ${wrong}`);
        header = true;
        continue;
      }
      if (record.line <= skipThrough) continue;
      // PostgreSQL text cannot hold a NUL: the raw text is kept with U+FFFD in its place
      const raw = record.raw.includes('\u0000') ? record.raw.replaceAll('\u0000', '\ufffd') : record.raw;
      if ('error' in record) {
        yield { line: record.line, rejected: { line_number: record.line, stage: 'parse', raw, reason: record.error } };
        continue;
      }
      const row = feed.parse('values' in record ? record.values : record.value);
      if (!row.ok) {
        yield { line: record.line, rejected: { line_number: record.line, stage: 'validate', raw, reason: row.reason } };
        continue;
      }
      const line = [batchId, record.line, record.raw, ...row.values].map(copyText).join('\t') + '\n';
      if (line.includes('\u0000')) {
        const reason = 'contains a NUL byte (\\0), which PostgreSQL text cannot hold';
        yield { line: record.line, rejected: { line_number: record.line, stage: 'validate', raw, reason } };
        continue;
      }
      yield { line: record.line, copy: line };
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (err instanceof IngestError)
      throw err.message.startsWith(location) ? err : new IngestError(`${location}: ${err.message}`, { cause: err });
    throw new IngestError(`${location}: reading failed: ${describe(err)}`, { cause: err });
  }
  if (!header) throw new IngestError(`${location}: empty file, no header line`);
}

/** Counts records for the progress callback, and reports the merge while it runs. */
function progressCounter(opts: LoadOptions) {
  let rows = 0;
  let rejected = 0;
  const started = Date.now();
  const every = opts.progressEvery ?? 5000;
  const elapsedMs = () => Date.now() - started;
  const report = (done: boolean, phase: 'read' | 'merge' = 'read') =>
    opts.onProgress?.({ rows, rejected, elapsedMs: elapsedMs(), phase, done });
  return {
    count(item: Checked) {
      rows += 1;
      if ('rejected' in item) rejected += 1;
      if (rows % every === 0) report(false);
    },
    /** Every record is read: the (last) merge runs next. */
    read: () => report(true),
    /** Runs the merge, reporting it when it starts and every `mergeProgressMs` while it runs. */
    async merging<T>(merge: Promise<T>): Promise<T> {
      report(false, 'merge');
      const timer = setInterval(() => report(false, 'merge'), opts.mergeProgressMs ?? 5000);
      try {
        return await merge;
      } finally {
        clearInterval(timer);
      }
    },
    /** The batch is merged: its counts are the final ones (reading and merge). */
    done: (batch: BatchRow) =>
      opts.onProgress?.({ rows, rejected: batch.rejected, elapsedMs: elapsedMs(), phase: 'merge', done: true, batch }),
  };
}

/**
 * Statistics of the staged rows before the merge (ingest.analyze_staging), so that the
 * merge's plan fits the batch (hash joins for 100,000 rows, not nested loops for "1"),
 * then the merge, reported while it runs.
 */
async function analyzeAndMerge(tx: Tx, feed: Feed, batchId: string, final: boolean, progress: ReturnType<typeof progressCounter>) {
  await tx`select ingest.analyze_staging(${batchId})`;
  return progress.merging(mergeRejectingBadRows(tx, feed, batchId, final));
}

/** COPY these lines (COPY text) into the feed's staging table, in `tx`. */
async function copyRows(tx: Tx, feed: Feed, lines: AsyncIterable<string> | string[]): Promise<void> {
  const columns = ['batch_id', 'line_number', 'raw', ...feed.columns];
  const query = tx`copy ${tx(feed.stagingTable)} (${tx(columns)}) from stdin`;
  // postgres.js 3.4 never settles the writable when the server rejects the COPY after the
  // last row was sent (porsager/postgres#1173): listen on the query's reject too, so a
  // refused COPY fails the load instead of hanging it (as in src/ingest/odds-copy.ts).
  const failure = new Promise<never>((_, fail) => {
    const q = query as unknown as { reject: (err: unknown) => void };
    const reject = q.reject;
    q.reject = (err: unknown) => {
      fail(err);
      reject(err);
    };
  });
  failure.catch(() => {});
  const copy = await query.writable();
  await Promise.race([pipeline(Readable.from(lines), copy), failure]);
}

/** Rejected rows are written once their raw text adds up to this many characters (or `chunk` rows). */
const REJECTED_CHARS = 16 * 1024 * 1024;

/** Keep the rejected rows in ingest.rejected_row, in `tx`. */
async function insertRejected(tx: Tx, batchId: string, rejected: Omit<Rejected, 'batch_id'>[], chunk: number): Promise<void> {
  for (let i = 0; i < rejected.length; i += chunk) {
    const rows = rejected.slice(i, i + chunk).map((r) => ({ batch_id: batchId, ...r }));
    await tx`insert into ingest.rejected_row ${tx(rows, 'batch_id', 'line_number', 'stage', 'raw', 'reason')}`;
  }
}

/**
 * Whether a merge error may be one row's doing: a data exception (class 22, e.g. numeric
 * field overflow), an integrity violation (class 23, a check or unique constraint), or a
 * refusal the domain raises from a trigger (P0001, SL…) — but not the merge's own checks
 * of its batch (SL101–SL104), nor a lost connection, a cancel or a lack of resources.
 */
function mayBeOneRow(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (/^SL10[1-4]$/.test(code)) return false;
  return /^2[23]/.test(code) || code === 'P0001' || code.startsWith('SL');
}

/** Thrown inside a savepoint to roll back a trial merge that succeeded. */
class TrialDone extends Error {}

/**
 * A trial merge of only these staged lines, rolled back whatever happens: the error it
 * fails with, or null when it would succeed.
 */
async function trialMerge(tx: Tx, feed: Feed, batchId: string, final: boolean, lines: number[]): Promise<unknown> {
  try {
    await tx.savepoint(async (sp) => {
      await sp`delete from ${sp(feed.stagingTable)} where batch_id = ${batchId} and line_number <> all(${lines}::integer[])`;
      await feed.merge(sp, batchId, final);
      throw new TrialDone();
    });
  } catch (err) {
    return err instanceof TrialDone ? null : err;
  }
  return null;
}

/** The staged lines whose merge fails on its own (bisection: a few trial merges per bad row). */
async function failingLines(
  tx: Tx,
  feed: Feed,
  batchId: string,
  final: boolean,
  lines: number[],
  err: Error & { code: string },
): Promise<{ line: number; err: Error & { code: string } }[]> {
  if (lines.length === 1) return [{ line: lines[0]!, err }];
  const mid = Math.ceil(lines.length / 2);
  const found = [];
  for (const half of [lines.slice(0, mid), lines.slice(mid)]) {
    const e = await trialMerge(tx, feed, batchId, final, half);
    if (e && mayBeOneRow(e)) found.push(...(await failingLines(tx, feed, batchId, final, half, e)));
  }
  return found;
}

/**
 * The feed's merge, in a savepoint. When it fails with an error a row may cause (a value
 * the database refuses, a constraint), the rows that fail on their own are found by
 * bisection, rejected (stage merge, with the database's message and SQLSTATE) and taken
 * out of the staging table, and the rest is merged: one bad row never fails the batch.
 * An error no single row causes fails the load as before.
 */
export async function mergeRejectingBadRows(tx: Tx, feed: Feed, batchId: string, final: boolean): Promise<BatchRow> {
  for (;;) {
    let failure: unknown;
    try {
      return await tx.savepoint((sp) => feed.merge(sp, batchId, final));
    } catch (err) {
      failure = err;
    }
    if (!mayBeOneRow(failure)) throw failure;
    const staged = await tx<{ line_number: number }[]>`
      select line_number from ${tx(feed.stagingTable)} where batch_id = ${batchId} order by line_number`;
    const bad = await failingLines(
      tx,
      feed,
      batchId,
      final,
      staged.map((r) => r.line_number),
      failure,
    );
    if (!bad.length) throw failure;
    for (const { line, err } of bad) {
      const reason = `the database refused this row: ${err.message} (SQLSTATE ${err.code})`;
      await tx`
        with gone as (
          delete from ${tx(feed.stagingTable)} where batch_id = ${batchId} and line_number = ${line} returning line_number, raw
        )
        insert into ingest.rejected_row (batch_id, line_number, stage, raw, reason)
        select ${batchId}, line_number, 'merge', raw, ${reason} from gone`;
    }
  }
}

/**
 * Load `location` (a file path or an http(s) URL) with `feed`. Resolves with the finished
 * ingest.batch row (inserted / updated / unchanged / rejected). Without `chunkRows` the
 * load is one transaction: when the input cannot be read or lacks a required column, the
 * batch is marked failed and nothing is merged. With `chunkRows` see loadResumable.
 */
export async function loadFile(sql: Sql, feed: Feed, location: string, opts: LoadOptions = {}): Promise<BatchRow> {
  classify(location); // an unsupported scheme is refused before anything is done
  if (opts.chunkRows) return loadResumable(sql, feed, location, opts.chunkRows, opts);
  const [created] = await sql<{ batch_id: string }[]>`
    insert into ingest.batch (feed, location) values (${feed.code}, ${location}) returning batch_id`;
  const batchId = created!.batch_id;
  opts.onBatch?.(batchId);
  const progress = progressCounter(opts);
  try {
    const batch = await sql.begin(async (tx) => {
      // Rejected rows go to the database as they come, a chunk at a time (a COPY is ended to
      // write them and a new one started), so that a file of bad rows is never held.
      const chunk = opts.chunk ?? 1000;
      const records = checkedRecords(feed, location, batchId, 0, opts)[Symbol.asyncIterator]();
      let rejected: Omit<Rejected, 'batch_id'>[] = [];
      let rejectedChars = 0;
      let finished = false;
      // COPY text in pieces of about 64 kB, read as COPY consumes them, until the input
      // ends or a chunk of rejected rows is waiting.
      async function* copySegment(): AsyncGenerator<string> {
        let buffer = '';
        for (;;) {
          const next = await records.next();
          if (next.done) {
            finished = true;
            break;
          }
          const item = next.value;
          progress.count(item);
          if ('rejected' in item) {
            rejected.push(item.rejected);
            rejectedChars += item.rejected.raw.length;
            if (rejected.length >= chunk || rejectedChars >= REJECTED_CHARS) break;
            continue;
          }
          buffer += item.copy;
          if (buffer.length >= 65536) {
            yield buffer;
            buffer = '';
          }
        }
        if (buffer) yield buffer;
      }
      while (!finished) {
        await copyRows(tx, feed, copySegment());
        if (rejected.length) await insertRejected(tx, batchId, rejected, chunk);
        rejected = [];
        rejectedChars = 0;
      }
      progress.read();
      const merged = await analyzeAndMerge(tx, feed, batchId, true, progress);
      opts.signal?.throwIfAborted();
      return merged;
    });
    progress.done(batch);
    return batch;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await sql`update ingest.batch set status = 'failed', finished_at = now(), error = ${message} where batch_id = ${batchId}`;
    throw err;
  }
}

/**
 * A resumable load: every `chunkRows` records are staged, merged and checkpointed
 * (refresh.checkpoint 'ingest.<feed>' on the location) in one transaction. Run again
 * after an interruption, it continues after the last committed line, in the same batch,
 * whose counts add up. An error leaves the batch running and the checkpoint active, so
 * that the next run resumes; a checkpoint not resumed within 7 days expires, and the
 * next load marks its batch failed and starts over.
 */
export async function loadResumable(sql: Sql, feed: Feed, location: string, chunkRows: number, opts: LoadOptions = {}): Promise<BatchRow> {
  classify(location);
  if (!feed.chunkable) {
    throw new IngestError(`feed ${feed.code} needs the whole file in one merge and cannot be loaded in chunks`);
  }
  const job = `ingest.${feed.code}`;
  const [cp] = await sql<{ checkpoint_id: string; position: string; state: { batch_id?: string } }[]>`
    select checkpoint_id, position, state from refresh.checkpoint_start(${job}, ${location}, null, interval '7 days')`;
  const checkpointId = cp!.checkpoint_id;
  let batchId = cp!.state.batch_id;
  const resumeAfter = Number(cp!.position);
  if (!batchId) {
    const [created] = await sql<{ batch_id: string }[]>`
      insert into ingest.batch (feed, location) values (${feed.code}, ${location}) returning batch_id`;
    batchId = created!.batch_id;
    await sql`
      update ingest.batch set status = 'failed', finished_at = now(), error = 'interrupted, and not resumed before its checkpoint expired'
       where feed = ${feed.code} and location = ${location} and status = 'running' and batch_id < ${batchId}
         and not exists (select from refresh.checkpoint k where k.function_name = ${job} and k.target = ${location}
                            and k.status = 'active' and k.state ->> 'batch_id' = ingest.batch.batch_id::text)`;
    await sql`select refresh.checkpoint_advance(${checkpointId}, 0, ${sql.json({ batch_id: batchId })}, interval '7 days')`;
  }
  const id = batchId;
  opts.onBatch?.(id);
  const progress = progressCounter(opts);
  let lines: string[] = [];
  let rejected: Omit<Rejected, 'batch_id'>[] = [];
  let rejectedChars = 0;
  let records = 0;
  let lastLine = resumeAfter;
  const commit = async (final: boolean): Promise<BatchRow> => {
    const batch = await sql.begin(async (tx) => {
      if (lines.length) await copyRows(tx, feed, lines);
      await insertRejected(tx, id, rejected, opts.chunk ?? 1000);
      const merged = await analyzeAndMerge(tx, feed, id, final, progress);
      opts.signal?.throwIfAborted();
      if (final) await tx`select refresh.checkpoint_complete(${checkpointId})`;
      else await tx`select refresh.checkpoint_advance(${checkpointId}, ${lastLine}, null, interval '7 days')`;
      return merged;
    });
    lines = [];
    rejected = [];
    rejectedChars = 0;
    records = 0;
    if (!final) await opts.afterChunk?.(lastLine);
    return batch;
  };
  try {
    for await (const item of checkedRecords(feed, location, id, resumeAfter, opts)) {
      progress.count(item);
      if ('rejected' in item) {
        rejected.push(item.rejected);
        rejectedChars += item.rejected.raw.length;
      } else lines.push(item.copy);
      lastLine = item.line;
      if (++records >= chunkRows || rejectedChars >= REJECTED_CHARS) await commit(false);
    }
    progress.read();
    const batch = await commit(true);
    progress.done(batch);
    return batch;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new IngestError(`${why}\n  batch ${id} is resumable: run the same load again to continue after line ${lastLine}`, { cause: err });
  }
}
