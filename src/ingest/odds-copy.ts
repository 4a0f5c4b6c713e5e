// Bulk load of odds snapshots: the daily partitions the rows need are created first
// (maint.ensure_partitions), then the rows stream into market.odds_snapshot through
// COPY FROM STDIN (postgres.js copy stream, text format), and the distinct selection and
// source ids of the load are checked in one statement (market.lock_odds_keys) in the same
// transaction: market.odds_snapshot has no per-row foreign keys (see docs/timeseries.md).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import type { Sql } from '../db.ts';

type TxSql = postgres.TransactionSql<Record<string, never>>;

export interface OddsSnapshot {
  observedAt: Date;
  selectionId: string | number | bigint;
  sourceId: number;
  backPrice?: number | string | null;
  backSize?: number | string | null;
  layPrice?: number | string | null;
  laySize?: number | string | null;
  lastTradedPrice?: number | string | null;
  volume?: number | string | null;
}

export interface CopyResult {
  rows: number;
  partitionsCreated: number;
}

const ROWS_PER_CHUNK = 2000;
const DAY_MS = 86_400_000;
const NUMBER = /^-?\d+(\.\d+)?$/;

function field(v: number | string | bigint | null | undefined, what: string): string {
  if (v === null || v === undefined) return '\\N';
  const s = String(v);
  if (!NUMBER.test(s)) throw new TypeError(`odds snapshot: ${what} must be a number, got ${JSON.stringify(s)}`);
  return s;
}

/** One snapshot as a line of COPY text format. Only numbers and ISO timestamps: nothing to escape. */
export function copyLine(r: OddsSnapshot): string {
  if (!(r.observedAt instanceof Date) || Number.isNaN(r.observedAt.getTime())) {
    throw new TypeError('odds snapshot: observedAt must be a valid Date');
  }
  return [
    r.observedAt.toISOString(),
    field(r.selectionId, 'selectionId'),
    field(r.sourceId, 'sourceId'),
    field(r.backPrice, 'backPrice'),
    field(r.backSize, 'backSize'),
    field(r.layPrice, 'layPrice'),
    field(r.laySize, 'laySize'),
    field(r.lastTradedPrice, 'lastTradedPrice'),
    field(r.volume, 'volume'),
  ].join('\t');
}

interface Seen {
  n: number;
  selections: Set<string>;
  sources: Set<string>;
}

async function* chunks(rows: Iterable<OddsSnapshot> | AsyncIterable<OddsSnapshot>, seen: Seen): AsyncGenerator<string> {
  let buf: string[] = [];
  for await (const r of rows) {
    buf.push(copyLine(r));
    seen.n++;
    seen.selections.add(String(r.selectionId));
    seen.sources.add(String(r.sourceId));
    if (buf.length >= ROWS_PER_CHUNK) {
      yield buf.join('\n') + '\n';
      buf = [];
    }
  }
  if (buf.length) yield buf.join('\n') + '\n';
}

/** The COPY and the key check, in `tx`. Returns the number of rows copied. */
async function copyAndCheck(tx: TxSql, rows: readonly OddsSnapshot[] | AsyncIterable<OddsSnapshot>): Promise<number> {
  const seen: Seen = { n: 0, selections: new Set(), sources: new Set() };
  const copy = tx`
    copy market.odds_snapshot (observed_at, selection_id, source_id, back_price, back_size, lay_price, lay_size, last_traded_price, volume)
    from stdin`;
  // postgres.js 3.4 never settles the writable when the server rejects the COPY after the
  // last row was sent (porsager/postgres#1173: the error reaches only the query's reject).
  // Listen there too, so a constraint violation fails the load instead of hanging it.
  const failure = new Promise<never>((_, fail) => {
    const query = copy as unknown as { reject: (err: unknown) => void };
    const reject = query.reject;
    query.reject = (err: unknown) => {
      fail(err);
      reject(err);
    };
  });
  failure.catch(() => {}); // raced below; an error before the stream opens rejects writable() itself
  const writable = await copy.writable();
  await Promise.race([
    pipeline(Readable.from(chunks(rows as Iterable<OddsSnapshot> | AsyncIterable<OddsSnapshot>, seen)), writable),
    failure,
  ]);
  if (seen.n > 0) {
    // Set-based stand-in for the foreign keys: SL105 names unknown ids and the whole
    // load rolls back; found rows are locked FOR KEY SHARE until commit.
    await tx`select market.lock_odds_keys(${[...seen.selections]}::bigint[], ${[...seen.sources]}::smallint[])`;
  }
  return seen.n;
}

/**
 * COPY odds snapshots into market.odds_snapshot. The daily partitions for [from, to] are
 * created first; for an array the range is computed from the rows, a stream must state it
 * (rows outside it land in the default partition, which maint.default_partition_rows() reports).
 * The COPY and the check of its selection and source ids (SL105 for unknown ones) are one
 * transaction: all rows or none. Given a transaction (inside sql.begin), it runs in it;
 * given the pool, the partitions are created and committed first (so concurrent loaders
 * do not wait on each other's COPY), then the COPY runs in its own transaction.
 */
export async function copyOddsSnapshots(
  sql: Sql | TxSql,
  rows: readonly OddsSnapshot[] | AsyncIterable<OddsSnapshot>,
  range?: { from: Date; to: Date },
): Promise<CopyResult> {
  // The days to partition: for an array, the runs of consecutive UTC days that hold rows
  // (a season of weekend fixtures does not need a partition for every weekday); a stream
  // states its range.
  let runs: { from: Date; to: Date }[];
  if (range) runs = [range];
  else {
    if (!Array.isArray(rows)) throw new TypeError('copyOddsSnapshots: a stream of snapshots needs its time range');
    const list = rows as readonly OddsSnapshot[];
    if (list.length === 0) return { rows: 0, partitionsCreated: 0 };
    const days = new Set<number>();
    for (const r of list) days.add(Math.floor(r.observedAt.getTime() / DAY_MS));
    runs = [];
    for (const d of [...days].sort((x, y) => x - y)) {
      const last = runs[runs.length - 1];
      if (last && last.to.getTime() === (d - 1) * DAY_MS) last.to = new Date(d * DAY_MS);
      else runs.push({ from: new Date(d * DAY_MS), to: new Date(d * DAY_MS) });
    }
  }
  const [made] = await sql<{ n: number }[]>`
    select coalesce(sum(maint.ensure_partitions('market.odds_snapshot'::regclass, r.f, r.t)), 0)::int as n
      from unnest(${runs.map((r) => r.from.toISOString())}::timestamptz[], ${runs.map((r) => r.to.toISOString())}::timestamptz[]) as r (f, t)`;
  const n =
    'begin' in sql && typeof sql.begin === 'function'
      ? await (sql as Sql).begin((tx) => copyAndCheck(tx, rows))
      : await copyAndCheck(sql as TxSql, rows);
  return { rows: n, partitionsCreated: made?.n ?? 0 };
}
