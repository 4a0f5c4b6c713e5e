// A streaming CSV reader (RFC 4180 plus what real feed files do): the input is read
// line by line (LF and CRLF; a line longer than the cap is rejected, not held), never whole.
// It strips a byte-order mark, understands quoted fields with doubled quotes and line
// breaks inside, and reports what it cannot read as an error record with its line
// number and raw text instead of stopping, so that one broken quote does not swallow
// the rest of the file. Options for files of the real world: ragged rows (spreadsheet
// exports with trailing empty fields, lines of only commas, a missing last field) and
// lines that are not UTF-8 (older files in Windows-1252).
//
// Kept instead of csv-parse: on the same 50 MB of a real football-data.co.uk season,
// csv-parse (columns, relax_column_count, info) takes about 5x as long (bench/parsers.ts,
// `make bench-parsers`; figures in bench/RESULTS.md); on the bench's football_data and
// nfl_players files replicated to 200,000 rows, csv-parse read 6,000 and 4,300 rows/s
// where this reader read 27,300 and 59,000. csv-parse would also need the stray-quote
// recovery, the per-line Windows-1252 fallback and the line and field caps built around it.
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
  /** Characters a line (and a record over several lines) may have; default MAX_LINE_LENGTH. */
  maxLineLength?: number;
  /** Characters a field may have; default MAX_FIELD_LENGTH. */
  maxFieldLength?: number;
}

/** The longest line (or record) a feed file may have: 16 Mi characters. */
export const MAX_LINE_LENGTH = 16 * 1024 * 1024;
/** The longest field: 8 Mi characters. */
export const MAX_FIELD_LENGTH = 8 * 1024 * 1024;
/** How much of an overlong line is kept as its raw text. */
const PREVIEW = 1000;

/** A physical line, or the start and length of one longer than the cap. */
type PhysicalLine = { text: string; length?: undefined } | { text: string; length: number };

/**
 * The lines of a text stream (LF or CRLF), each at most `max` characters: a longer one
 * comes as its first PREVIEW characters and its length, the rest dropped as it is read.
 */
export async function* lines(input: AsyncIterable<string>, max: number): AsyncGenerator<PhysicalLine> {
  let parts: string[] = [];
  let held = 0;
  let overlong = 0; // > 0: the length so far of a line past the cap
  let preview = '';
  const take = (piece: string) => {
    if (overlong) {
      overlong += piece.length;
      return;
    }
    if (held + piece.length > max) {
      preview = (parts.join('') + piece).slice(0, PREVIEW);
      overlong = held + piece.length;
      parts = [];
      held = 0;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  const end = (): PhysicalLine => {
    let line: PhysicalLine;
    if (overlong) line = { text: preview, length: overlong };
    else {
      const text = parts.length === 1 ? parts[0]! : parts.join('');
      line = { text: text.endsWith('\r') ? text.slice(0, -1) : text };
    }
    parts = [];
    held = 0;
    overlong = 0;
    preview = '';
    return line;
  };
  for await (const chunk of input) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      if (nl === -1) {
        if (from < chunk.length) take(from === 0 ? chunk : chunk.slice(from));
        break;
      }
      take(chunk.slice(from, nl));
      yield end();
      from = nl + 1;
    }
  }
  if (held || overlong) yield end();
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
  const maxLine = opts.maxLineLength ?? MAX_LINE_LENGTH;
  const maxField = opts.maxFieldLength ?? MAX_FIELD_LENGTH;
  input.setEncoding(opts.windows1252Fallback ? 'latin1' : 'utf8');
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
      if (record.length > 1 && raw.length > maxLine) {
        // a quoted field still open past the cap: taken for a stray quote
        pending = [];
        yield strayQuote(record);
        continue;
      }
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
      } else if (result.fields.some((f) => f.length > maxField)) {
        const k = result.fields.findIndex((f) => f.length > maxField);
        const reason = `field ${k + 1} is ${result.fields[k]!.length} characters long, more than the ${maxField} a field may have`;
        yield { line: first.line, raw: raw.slice(0, PREVIEW), error: reason };
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
    for await (const physical of lines(input as AsyncIterable<string>, maxLine)) {
      lineNo += 1;
      const decoded = opts.windows1252Fallback ? decodeLine(physical.text) : physical.text;
      const text = lineNo === 1 && decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
      if (physical.length !== undefined) {
        // A record still open is cut by the overlong line: its first line had a stray quote.
        while (pending.length) {
          const [first, ...rest] = pending;
          pending = [];
          yield { line: first!.line, raw: first!.text, error: 'a quoted field is never closed' };
          for (const r of rest) yield* feed(r);
        }
        const reason = `line ${lineNo} is ${physical.length} characters long, more than the ${maxLine} a line may have (skipped to its end)`;
        if (!header) throw new Error(`the header: ${reason}`);
        yield { line: lineNo, raw: text, error: reason };
        continue;
      }
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
    input.destroy();
  }
}
