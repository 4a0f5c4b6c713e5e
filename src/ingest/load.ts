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
import { footballData } from './football_data.ts';
import { hkjcResults } from './hkjc_results.ts';
import type { BatchRow, CopyValue, Feed } from './feed.ts';
import { nflGames } from './nfl_games.ts';
import { nflPlayers } from './nfl_players.ts';

/** Every feed `scoreline ingest` knows, by code (the same codes as ingest.feed). */
export const feeds: Readonly<Record<string, Feed>> = Object.fromEntries(
  [nflGames, footballData, nflPlayers, hkjcResults].map((f) => [f.code, f]),
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
  done: boolean;
}

export interface LoadOptions {
  /** Rejected rows are written in chunks of this many. */
  chunk?: number;
  /** Called every `progressEvery` records while reading, and once when the rows are read. */
  onProgress?: (progress: Progress) => void;
  progressEvery?: number;
}

/**
 * Load `location` (a file path or an http(s) URL) with `feed`. Resolves with the finished ingest.batch
 * row (inserted / updated / unchanged / rejected); rejects when the file cannot be read
 * or lacks a required column, after marking the batch failed; nothing of a failed load
 * is merged.
 */
export async function loadFile(sql: Sql, feed: Feed, location: string, opts: LoadOptions = {}): Promise<BatchRow> {
  const [created] = await sql<{ batch_id: string }[]>`
    insert into ingest.batch (feed, location) values (${feed.code}, ${location}) returning batch_id`;
  const batchId = created!.batch_id;
  try {
    return await sql.begin(async (tx) => {
      const rejected: Rejected[] = [];
      let header = false;
      let rows = 0;
      const started = Date.now();
      const every = opts.progressEvery ?? 5000;
      const progress = (done: boolean) => opts.onProgress?.({ rows, rejected: rejected.length, elapsedMs: Date.now() - started, done });

      // COPY text, in chunks of about 64 kB: one line per valid record.
      async function* copyLines(): AsyncGenerator<string> {
        try {
          yield* readRecords();
        } catch (err) {
          if (err instanceof IngestError) throw err;
          throw new IngestError(`${location}: reading failed: ${describe(err)}`, { cause: err });
        }
      }

      async function* readRecords(): AsyncGenerator<string> {
        let buffer = '';
        for await (const record of readCsv(await open(location))) {
          if ('header' in record) {
            const missing = feed.requiredColumns.filter((c) => !record.header.includes(c));
            if (missing.length) {
              throw new IngestError(
                `${location}: not a ${feed.code} file: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
              );
            }
            header = true;
            continue;
          }
          rows += 1;
          if (rows % every === 0) progress(false);
          if ('error' in record) {
            rejected.push({ batch_id: batchId, line_number: record.line, stage: 'parse', raw: record.raw, reason: record.error });
            continue;
          }
          const row = feed.parse(record.values);
          if (!row.ok) {
            rejected.push({ batch_id: batchId, line_number: record.line, stage: 'validate', raw: record.raw, reason: row.reason });
            continue;
          }
          buffer += [batchId, record.line, record.raw, ...row.values].map(copyText).join('\t') + '\n';
          if (buffer.length >= 65536) {
            yield buffer;
            buffer = '';
          }
        }
        if (!header) throw new IngestError(`${location}: empty file, no header line`);
        if (buffer) yield buffer;
      }

      const columns = ['batch_id', 'line_number', 'raw', ...feed.columns];
      const copy = await tx`copy ${tx(feed.stagingTable)} (${tx(columns)}) from stdin`.writable();
      await pipeline(Readable.from(copyLines()), copy);
      progress(true);

      const chunk = opts.chunk ?? 1000;
      for (let i = 0; i < rejected.length; i += chunk) {
        await tx`insert into ingest.rejected_row ${tx(rejected.slice(i, i + chunk), 'batch_id', 'line_number', 'stage', 'raw', 'reason')}`;
      }
      return feed.merge(tx, batchId);
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await sql`update ingest.batch set status = 'failed', finished_at = now(), error = ${message} where batch_id = ${batchId}`;
    throw err;
  }
}
