// What a feed is: the columns it needs, a zod schema that turns one CSV record into one
// staging row, the staging table and the SQL merge function. The zod building blocks
// every feed shares (whole numbers, dates, clock times, odds) live here too.
import { z } from 'zod';
import type postgres from 'postgres';
import type { CsvOptions } from './csv.ts';

/** The transaction a load runs in. */
export type Tx = postgres.TransactionSql<Record<string, never>>;

/** A value of a staging row, as COPY receives it. */
export type CopyValue = string | number | boolean | null | Record<string, unknown> | unknown[];

/** A finished (or failed) ingest.batch row. */
export interface BatchRow {
  batch_id: string;
  feed: string;
  location: string;
  status: 'running' | 'completed' | 'failed';
  inserted: number;
  updated: number;
  /** Settled results this batch changed (a corrected final score); not in updated. */
  corrections: number;
  unchanged: number;
  rejected: number;
  /** Prices the load kept in market.odds_history (new or changed ones). */
  odds_kept: number;
  error: string | null;
}

/** The outcome of validating one record: its staging values in column order, or the reason. */
export type RowResult = { ok: true; values: CopyValue[] } | { ok: false; reason: string };

export interface Feed {
  code: string;
  description: string;
  /** csv: a CSV file with a header; json: a JSON API page, its objects read one by one (src/ingest/json.ts). */
  format: 'csv' | 'json';
  /** Header columns a CSV file must have; a file without them fails before any row. */
  requiredColumns: readonly string[];
  /**
   * The header check itself, when the feed's files name columns differently by era
   * (football-data's HT / AT before HomeTeam / AwayTeam): the reason the header is not
   * the feed's, or null. Without it, requiredColumns are checked.
   */
  checkHeader?: (header: readonly string[]) => string | null;
  /** How the CSV reader reads the feed's files (ragged rows, Windows-1252 lines). */
  csv?: CsvOptions;
  /** Staging table (schema-qualified) and its columns after batch_id, line_number, raw. */
  stagingTable: string;
  columns: readonly string[];
  parse(record: Record<string, unknown>): RowResult;
  /**
   * Whether the merge works chunk by chunk (a resumable load); false when it needs the
   * whole file at once (football_data derives matchdays from every match of the file).
   */
  chunkable: boolean;
  /** Runs ingest.merge_<feed>(batch_id, final) and returns the batch (finished when final). */
  merge(tx: Tx, batchId: string, final: boolean): Promise<BatchRow>;
}

/** The zod issues of a refused record, as one line a person can act on. */
export function describeIssues(error: z.ZodError, record: Record<string, unknown>): string {
  return error.issues
    .map((issue) => {
      const column = issue.path.map(String).join('.');
      if (!column) return issue.message;
      const value = record[column];
      return `${column}: ${issue.message}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ''}`;
    })
    .join('; ');
}

/**
 * A feed from a zod schema whose output keys are the staging columns: parse() validates
 * a record and lays its output out in `columns` order.
 */
export function defineFeed<S extends z.ZodType<Record<string, CopyValue>>>(
  def: Omit<Feed, 'parse' | 'columns'> & { schema: S; columns: readonly (keyof z.output<S> & string)[] },
): Feed {
  const { schema, ...rest } = def;
  return {
    ...rest,
    parse(record) {
      const result = schema.safeParse(record);
      if (!result.success) return { ok: false, reason: describeIssues(result.error, record) };
      const row: Record<string, CopyValue> = result.data;
      return { ok: true, values: def.columns.map((c) => row[c] ?? null) };
    },
  };
}

// ---------------------------------------------------------------------------------
// Building blocks. Every CSV value arrives as a string; an empty string is "no value".

const blankToNull = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? null : v);

/** Required text, trimmed. */
export const text = z.string().trim().min(1, 'is empty');

/** Optional text: empty (or an absent column) is null. */
export const optionalText = z.preprocess(blankToNull, z.string().trim().nullish()).transform((v) => v ?? null);

/** A whole number within [min, max]. */
export function int(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, 'is not a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `is below ${min}`).max(max, `is above ${max}`));
}

/** An optional whole number within [min, max]: empty is null. */
export function optionalInt(min: number, max: number) {
  return z.preprocess(blankToNull, int(min, max).nullish()).transform((v) => v ?? null);
}

/**
 * The range of a decimal price every feed accepts: what market.odds_snapshot's
 * numeric(10, 4) prices (and bet odds) hold with room to spare, and what a bookmaker
 * quotes (1.01 is the shortest price; 1000 the longest any feed of ours has).
 */
export const PRICE_MIN = 1.01;
export const PRICE_MAX = 1000;

/** The range a value must be in, as a reason names it: "(1.01–1000)". */
export const rangeText = (min: number, max: number) => `(${min}–${max})`;

/** Decimal odds (a price above 1, at most PRICE_MAX), optional: empty is null. */
export const optionalDecimalOdds = z
  .preprocess(
    blankToNull,
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, 'is not a decimal price')
      .transform(Number)
      .pipe(
        z
          .number()
          .gt(1, 'is not a decimal price (must be above 1)')
          .max(PRICE_MAX, `is out of range ${rangeText(PRICE_MIN, PRICE_MAX)}`),
      )
      .nullish(),
  )
  .transform((v) => v ?? null);

/** An optional decimal number within [min, max]: empty is null. */
export function optionalDecimalIn(min: number, max: number) {
  return z
    .preprocess(
      blankToNull,
      z
        .string()
        .trim()
        .regex(/^[+-]?(\d+\.?\d*|\.\d+)$/, 'is not a number')
        .transform(Number)
        .pipe(
          z
            .number()
            .min(min, `is out of range ${rangeText(min, max)}`)
            .max(max, `is out of range ${rangeText(min, max)}`),
        )
        .nullish(),
    )
    .transform((v) => v ?? null);
}

/**
 * American odds: +100 or more, -100 or less (the SQL function ingest.american_to_decimal
 * converts), within -10000..+99900: decimal PRICE_MIN..PRICE_MAX.
 */
export const optionalAmericanOdds = z
  .preprocess(
    blankToNull,
    int(-10000, 99900)
      .refine((v) => Math.abs(v) >= 100, 'is not an American price (+100 or more, -100 or less)')
      .nullish(),
  )
  .transform((v) => v ?? null);

function realDate(y: number, m: number, d: number): string | null {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return dt.toISOString().slice(0, 10);
}

/** A date written YYYY-MM-DD, returned the same. */
export const isoDate = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    const date = m ? realDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
    if (!date) {
      ctx.addIssue({ code: 'custom', message: 'is not a date YYYY-MM-DD' });
      return z.NEVER;
    }
    return date;
  });

/** A day-first date, dd/mm/yyyy or dd/mm/yy (football-data; 93 is 1993, 05 is 2005), returned as YYYY-MM-DD. */
export const dayFirstDate = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(v);
    // two-digit years as POSIX strptime %y reads them: 69-99 are 1969-1999, 00-68 are 2000-2068
    const yy = m ? Number(m[3]) : 0;
    const year = m ? (m[3]!.length === 2 ? (yy >= 69 ? 1900 + yy : 2000 + yy) : yy) : 0;
    const date = m ? realDate(year, Number(m[2]), Number(m[1])) : null;
    if (!date) {
      ctx.addIssue({ code: 'custom', message: 'is not a day-first date dd/mm/yyyy' });
      return z.NEVER;
    }
    return date;
  });

/**
 * A date (YYYY-MM-DD) within the years a sport's files can hold: from `earliest` (the
 * sport's first seasons) to next year (fixtures are published ahead, never years ahead).
 * A mistyped year (1019-08-09, 2109-08-09) is rejected with the row: its prices would
 * otherwise make a monthly partition of market.odds_history for every month in between.
 */
export function inPlausibleYears(date: z.ZodType<string, string>, earliest: number, sport: string) {
  return date.superRefine((v, ctx) => {
    const year = Number(v.slice(0, 4));
    const latest = new Date().getUTCFullYear() + 1;
    if (year < earliest || year > latest)
      ctx.addIssue({
        code: 'custom',
        message: `${v} is outside the years ${sport} files can hold (${earliest} to ${latest}, next year): a mistyped year?`,
      });
  });
}

/** An optional clock time HH:MM (or HH:MM:SS): empty is null. */
export const optionalClock = z
  .preprocess(
    blankToNull,
    z
      .string()
      .trim()
      .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'is not a time HH:MM')
      .nullish(),
  )
  .transform((v) => v ?? null);

/** 0/1 or true/false, optional. */
export const optionalFlag = z
  .preprocess(blankToNull, z.enum(['0', '1', 'true', 'false', 'TRUE', 'FALSE']).nullish())
  .transform((v) => (v == null ? null : v === '1' || v.toLowerCase() === 'true'));
