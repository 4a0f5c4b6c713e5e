// A streaming CSV reader (RFC 4180 plus what real feed files do): the input is read
// line by line (readline: UTF-8 split safely across chunks, LF and CRLF), never whole.
// It strips a byte-order mark, understands quoted fields with doubled quotes and line
// breaks inside, and reports what it cannot read as an error record with its line
// number and raw text instead of stopping, so that one broken quote does not swallow
// the rest of the file. Options for files of the real world: ragged rows (spreadsheet
// exports with trailing empty fields, lines of only commas, a missing last field) and
// lines that are not UTF-8 (older files in Windows-1252).
//
// Kept instead of csv-parse: on the same 50 MB of a real football-data.co.uk season,
// csv-parse (columns, relax_column_count, info) takes about 5x as long (bench/parsers.ts,
// `make bench-parsers`; figures in bench/RESULTS.md), and it has no Windows-1252 fallback
// per line.
import readline from 'node:readline';
import type { Readable } from 'node:stream';

/** A record of the file: its fields by header name, or why it could not be read. */
export type CsvRecord =
  | { line: number; header: string[] }
  | { line: number; raw: string; values: Record<string, string> }
  | { line: number; raw: string; error: string };

interface Line {
  line: number;
  text: string;
}

export interface CsvOptions {
  /** Field separator; a comma unless the feed says otherwise. */
  delimiter?: string;
  /**
   * A quoted field may run over several lines; a record still open after this many
   * lines is taken for a broken quote: its first line is reported as an error and
   * reading resumes on the next line.
   */
  maxRecordLines?: number;
  /**
   * Ragged rows are read, not refused: a line of only delimiters (and blanks) is skipped
   * like an empty one, empty fields after the header's last column are dropped, and
   * fields missing at the end are empty. Only a row with NON-empty fields beyond the
   * header is still an error record.
   */
  ragged?: boolean;
  /** A line that is not valid UTF-8 is decoded as Windows-1252 (else: U+FFFD for the bad bytes). */
  windows1252Fallback?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');

/** A physical line read as Latin-1 (one char per byte), decoded as UTF-8, or Windows-1252 when it is not UTF-8. */
function decodeLine(latin1: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return cp1252.decode(bytes);
  }
}

type Split = { fields: string[]; open: false } | { fields: string[]; open: true } | { error: string };

/** Split one logical record (physical lines joined by '\n') into fields. */
function split(text: string, delimiter: string): Split {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] !== '"') {
      // An unquoted field runs to the next delimiter and may not contain a quote.
      const end = text.indexOf(delimiter, i);
      const field = end === -1 ? text.slice(i) : text.slice(i, end);
      if (field.includes('"')) return { error: `a quote inside an unquoted field (column ${fields.length + 1})` };
      fields.push(field);
      if (end === -1) return { fields, open: false };
      i = end + delimiter.length;
      continue;
    }
    // A quoted field: up to the next quote that is not doubled.
    let field = '';
    let from = i + 1;
    for (;;) {
      const q = text.indexOf('"', from);
      if (q === -1) {
        fields.push(field + text.slice(from));
        return { fields, open: true };
      }
      field += text.slice(from, q);
      if (text[q + 1] === '"') {
        field += '"';
        from = q + 2;
        continue;
      }
      i = q + 1;
      break;
    }
    fields.push(field);
    if (i === text.length) return { fields, open: false };
    if (!text.startsWith(delimiter, i)) {
      return { error: `unexpected character ${JSON.stringify(text[i])} after a closing quote (column ${fields.length})` };
    }
    i += delimiter.length;
  }
}

/** Whether a line holds nothing but delimiters and blanks (a spreadsheet's empty row). */
function onlyDelimiters(raw: string, delimiter: string): boolean {
  return raw.split(delimiter).every((f) => f.trim() === '');
}

/** A ragged row fits the header when it is shorter, or longer by empty fields only. */
function fitRagged(fields: string[], width: number): boolean {
  return fields.slice(width).every((f) => f.trim() === '');
}

/**
 * The records of a CSV stream. The first is the header; every later record comes with
 * the number of the physical line it starts on (the header is line 1) and its raw
 * text. Empty lines are skipped. A record whose field count differs from the header's
 * is an error record (with `ragged`, only one with non-empty fields beyond the header).
 */
export async function* readCsv(input: Readable, opts: CsvOptions = {}): AsyncGenerator<CsvRecord, void, undefined> {
  const delimiter = opts.delimiter ?? ',';
  const maxRecordLines = opts.maxRecordLines ?? 20;
  const ragged = opts.ragged ?? false;
  if (opts.windows1252Fallback) input.setEncoding('latin1');
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let header: string[] | null = null;
  let lineNo = 0;
  // Physical lines of a record still open (a quoted field running over a line break).
  let pending: Line[] = [];

  // Parse one more physical line. After a stray quote, the lines that followed it are
  // queued to be parsed again on their own.
  function* feed(line: Line): Generator<CsvRecord> {
    const queue = [line];
    const strayQuote = (record: Line[]): CsvRecord => {
      queue.unshift(...record.slice(1));
      return { line: record[0]!.line, raw: record[0]!.text, error: 'a quoted field is never closed' };
    };
    while (queue.length) {
      pending.push(queue.shift()!);
      const record = pending;
      const raw = record.map((p) => p.text).join('\n');
      const first = record[0]!;
      if (record.length === 1 && (raw === '' || (ragged && header && onlyDelimiters(raw, delimiter)))) {
        pending = [];
        continue;
      }
      const result = split(raw, delimiter);
      if (!('error' in result) && result.open && record.length < maxRecordLines) continue;
      pending = [];
      if ('error' in result) {
        yield record.length === 1 ? { line: first.line, raw, error: result.error } : strayQuote(record);
      } else if (result.open) {
        yield strayQuote(record);
      } else if (!header) {
        header = result.fields.map((h) => h.trim());
        yield { line: first.line, header };
      } else if (ragged && result.fields.length !== header.length && fitRagged(result.fields, header.length)) {
        const values: Record<string, string> = {};
        header.forEach((h, k) => (values[h] = result.fields[k] ?? ''));
        yield { line: first.line, raw, values };
      } else if (result.fields.length !== header.length) {
        // A multi-line record that does not fit the header: the quote that opened it was stray.
        yield record.length > 1
          ? strayQuote(record)
          : { line: first.line, raw, error: `${result.fields.length} fields where the header has ${header.length}` };
      } else {
        const values: Record<string, string> = {};
        header.forEach((h, k) => (values[h] = result.fields[k]!));
        yield { line: first.line, raw, values };
      }
    }
  }

  try {
    for await (const physical of rl) {
      lineNo += 1;
      const decoded = opts.windows1252Fallback ? decodeLine(physical) : physical;
      const text = lineNo === 1 && decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
      yield* feed({ line: lineNo, text });
    }
    // End of input with a record still open: its first line had a stray quote.
    while (pending.length) {
      const [first, ...rest] = pending;
      pending = [];
      yield { line: first!.line, raw: first!.text, error: 'a quoted field is never closed' };
      for (const r of rest) yield* feed(r);
    }
  } finally {
    rl.close();
  }
}
