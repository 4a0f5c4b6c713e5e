// One rule for what a command prints. Results go to stdout: a table for people when stdout is
// a terminal, one JSON object per line otherwise (a pipe, a file, CI, another program), so
// that `scoreline refresh | jq` and `scoreline refresh` both read well. Diagnostics (progress,
// hints, warnings, errors) go to stderr through the logger, and never repeat what stdout
// says. `--format table|json` (or SCORELINE_FORMAT) overrides the terminal test.
import { ConfigError } from './config.ts';

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Cell = string | number | boolean | bigint | readonly string[] | null | undefined;
export type Row = Record<string, Cell>;

/**
 * The format of a command's results: `flag` (--format) when given, else SCORELINE_FORMAT,
 * else a table on a terminal and JSON lines otherwise. An unknown name is a ConfigError.
 */
export function outputFormat(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  isTTY: boolean = Boolean(process.stdout.isTTY),
): OutputFormat {
  const given = flag ?? (env.SCORELINE_FORMAT || undefined);
  if (given === undefined) return isTTY ? 'table' : 'json';
  if ((OUTPUT_FORMATS as readonly string[]).includes(given)) return given as OutputFormat;
  throw new ConfigError(`${flag !== undefined ? '--format' : 'SCORELINE_FORMAT'} ${given}: must be one of ${OUTPUT_FORMATS.join(', ')}`);
}

const text = (v: Cell): string => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));
const numeric = (v: Cell): boolean =>
  typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v));

/**
 * Rows as an aligned table with a header: `columns` in that order (default: the keys of the
 * first row); right-aligned are the columns named in `rightAligned`, or when it is not given
 * each column whose every value is a number.
 */
export function tableText(
  rows: readonly Row[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
  rightAligned?: readonly string[],
): string {
  const cells = rows.map((r) => columns.map((c) => text(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const right = columns.map((c) =>
    rightAligned ? rightAligned.includes(c) : rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || numeric(r[c])),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** Rows as JSON lines: one object per row, `columns` only when given (bigints as strings). */
export function jsonLines(rows: readonly Row[], columns?: readonly string[]): string {
  return rows
    .map((r) => {
      const picked = columns ? Object.fromEntries(columns.map((c) => [c, r[c] ?? null])) : r;
      return JSON.stringify(picked, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    })
    .join('\n');
}

export interface Output {
  readonly format: OutputFormat;
  /**
   * Print result rows. With none: `empty` as a line in a table (a person wants to be told),
   * nothing in JSON (zero lines are zero rows).
   */
  rows(rows: readonly Row[], options?: { columns?: readonly string[]; empty?: string }): void;
  /** Print one line of text as it is (a URL, a diagram): the same in either format. */
  raw(line: string): void;
}

export function makeOutput(format: OutputFormat, write: (s: string) => void = (s) => void process.stdout.write(s)): Output {
  return {
    format,
    rows(rows, options = {}) {
      if (!rows.length) {
        if (format === 'table' && options.empty) write(`${options.empty}\n`);
        return;
      }
      write(`${format === 'table' ? tableText(rows, options.columns) : jsonLines(rows, options.columns)}\n`);
    },
    raw(line) {
      write(`${line}\n`);
    },
  };
}

let current: OutputFormat | undefined;

/** Set by the CLI from --format before a command runs (src/cli.ts). */
export function setOutputFormat(flag: string | undefined): void {
  current = outputFormat(flag);
}

/** The output of the running command: what --format said, else SCORELINE_FORMAT, else the terminal test. */
export function output(): Output {
  return makeOutput(current ?? outputFormat(undefined));
}
