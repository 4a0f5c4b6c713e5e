// A streaming CSV reader (RFC 4180 plus what real feed files do): the input is read
// line by line (readline: UTF-8 split safely across chunks, LF and CRLF), never whole.
// It strips a byte-order mark, understands quoted fields with doubled quotes and line
// breaks inside, and reports what it cannot read as an error record with its line
// number and raw text instead of stopping, so that one broken quote does not swallow
// the rest of the file.
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

/**
 * The records of a CSV stream. The first is the header; every later record comes with
 * the number of the physical line it starts on (the header is line 1) and its raw
 * text. Empty lines are skipped. A record whose field count differs from the header's
 * is an error record.
 */
export async function* readCsv(input: Readable, opts: CsvOptions = {}): AsyncGenerator<CsvRecord, void, undefined> {
  const delimiter = opts.delimiter ?? ',';
  const maxRecordLines = opts.maxRecordLines ?? 20;
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
      if (record.length === 1 && raw === '') {
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
      const text = lineNo === 1 && physical.charCodeAt(0) === 0xfeff ? physical.slice(1) : physical;
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
