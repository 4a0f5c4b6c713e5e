// Loading one file into one feed: a batch row, the file streamed record by record
// (never read whole), each record validated, valid rows COPY'd into the feed's staging
// table, refused ones kept in ingest.rejected_row with their line, raw text and reason,
// then the feed's SQL merge — COPY, rejected rows and merge in ONE transaction, so a
// load that fails merges nothing and leaves its batch marked failed with the reason.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { Sql } from '../db.ts';
import { readCsv } from './csv.ts';
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

export class IngestError extends Error {
  override name = 'IngestError';
}

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

/** An error's message, with its cause's (fetch says "fetch failed" and puts the reason in the cause). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/**
 * The input as a byte stream: a file, or an http(s) URL streamed as it downloads. A
 * download that fails midway errors the stream, which fails the whole load.
 */
async function open(location: string): Promise<Readable> {
  if (/^https?:\/\//i.test(location)) {
    let res: Response;
    try {
      res = await fetch(location);
    } catch (err) {
      throw new IngestError(`${location}: ${describe(err)}`, { cause: err });
    }
    if (!res.ok || !res.body) throw new IngestError(`${location}: HTTP ${res.status} ${res.statusText}`.trimEnd());
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }
  return fs.createReadStream(location);
}

export interface Progress {
  /** Records read so far (valid and rejected). */
  rows: number;
  rejected: number;
  /** Milliseconds since the load started. */
  elapsedMs: number;
  /** read: every `progressEvery` records and when the rows are read (done); merge: every few seconds while the SQL merge runs, and when it ended (done). */
  phase?: 'read' | 'merge';
  done: boolean;
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
  /** Test hook: called after each committed chunk with its last line. */
  afterChunk?: (lastLine: number) => void | Promise<void>;
}

/** One record of the input, checked: a COPY line for the staging table, or a rejected row. */
type Checked = { line: number; copy: string } | { line: number; rejected: Omit<Rejected, 'batch_id'> };

/**
 * The records of `location` after line `skipThrough`, each validated by the feed. Fails
 * (IngestError) when the input cannot be read or is not the feed's format.
 */
async function* checkedRecords(feed: Feed, location: string, batchId: string, skipThrough = 0): AsyncGenerator<Checked> {
  let header = feed.format === 'json';
  try {
    const input = await open(location);
    for await (const record of feed.format === 'json' ? readJsonObjects(input) : readCsv(input, feed.csv)) {
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
    if (err instanceof IngestError) throw err;
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
  const report = (done: boolean, phase: 'read' | 'merge' = 'read') =>
    opts.onProgress?.({ rows, rejected, elapsedMs: Date.now() - started, phase, done });
  return {
    count(item: Checked) {
      rows += 1;
      if ('rejected' in item) rejected += 1;
      if (rows % every === 0) report(false);
    },
    done: () => report(true),
    /** Runs the merge, reporting it every `mergeProgressMs` while it runs and once when it ended. */
    async merging<T>(merge: Promise<T>): Promise<T> {
      report(false, 'merge');
      const timer = setInterval(() => report(false, 'merge'), opts.mergeProgressMs ?? 5000);
      try {
        const out = await merge;
        report(true, 'merge');
        return out;
      } finally {
        clearInterval(timer);
      }
    },
  };
}

/**
 * Statistics of the staged rows before the merge (ingest.analyze_staging), so that the
 * merge's plan fits the batch (hash joins for 100,000 rows, not nested loops for "1"),
 * then the merge, reported while it runs.
 */
async function analyzeAndMerge(tx: Tx, feed: Feed, batchId: string, final: boolean, progress: ReturnType<typeof progressCounter>) {
  await tx`select ingest.analyze_staging(${batchId})`;
  return progress.merging(feed.merge(tx, batchId, final));
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

/** Keep the rejected rows in ingest.rejected_row, in `tx`. */
async function insertRejected(tx: Tx, batchId: string, rejected: Omit<Rejected, 'batch_id'>[], chunk: number): Promise<void> {
  for (let i = 0; i < rejected.length; i += chunk) {
    const rows = rejected.slice(i, i + chunk).map((r) => ({ batch_id: batchId, ...r }));
    await tx`insert into ingest.rejected_row ${tx(rows, 'batch_id', 'line_number', 'stage', 'raw', 'reason')}`;
  }
}

/**
 * Load `location` (a file path or an http(s) URL) with `feed`. Resolves with the finished
 * ingest.batch row (inserted / updated / unchanged / rejected). Without `chunkRows` the
 * load is one transaction: when the input cannot be read or lacks a required column, the
 * batch is marked failed and nothing is merged. With `chunkRows` see loadResumable.
 */
export async function loadFile(sql: Sql, feed: Feed, location: string, opts: LoadOptions = {}): Promise<BatchRow> {
  if (opts.chunkRows) return loadResumable(sql, feed, location, opts.chunkRows, opts);
  const [created] = await sql<{ batch_id: string }[]>`
    insert into ingest.batch (feed, location) values (${feed.code}, ${location}) returning batch_id`;
  const batchId = created!.batch_id;
  try {
    return await sql.begin(async (tx) => {
      const rejected: Omit<Rejected, 'batch_id'>[] = [];
      const progress = progressCounter(opts);
      // COPY text in pieces of about 64 kB, read as COPY consumes them.
      async function* copyText64k(): AsyncGenerator<string> {
        let buffer = '';
        for await (const item of checkedRecords(feed, location, batchId)) {
          progress.count(item);
          if ('rejected' in item) {
            rejected.push(item.rejected);
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
      await copyRows(tx, feed, copyText64k());
      progress.done();
      await insertRejected(tx, batchId, rejected, opts.chunk ?? 1000);
      return analyzeAndMerge(tx, feed, batchId, true, progress);
    });
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
  const progress = progressCounter(opts);
  let lines: string[] = [];
  let rejected: Omit<Rejected, 'batch_id'>[] = [];
  let records = 0;
  let lastLine = resumeAfter;
  const commit = async (final: boolean): Promise<BatchRow> => {
    const batch = await sql.begin(async (tx) => {
      if (lines.length) await copyRows(tx, feed, lines);
      await insertRejected(tx, id, rejected, opts.chunk ?? 1000);
      const merged = await analyzeAndMerge(tx, feed, id, final, progress);
      if (final) await tx`select refresh.checkpoint_complete(${checkpointId})`;
      else await tx`select refresh.checkpoint_advance(${checkpointId}, ${lastLine}, null, interval '7 days')`;
      return merged;
    });
    lines = [];
    rejected = [];
    records = 0;
    if (!final) await opts.afterChunk?.(lastLine);
    return batch;
  };
  try {
    for await (const item of checkedRecords(feed, location, id, resumeAfter)) {
      progress.count(item);
      if ('rejected' in item) rejected.push(item.rejected);
      else lines.push(item.copy);
      lastLine = item.line;
      if (++records >= chunkRows) await commit(false);
    }
    progress.done();
    return await commit(true);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new IngestError(`${why}\n  batch ${id} is resumable: run the same load again to continue after line ${lastLine}`, { cause: err });
  }
}
