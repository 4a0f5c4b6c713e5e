// One logger for every part of scoreline (the CLI, the demo, migrate, the worker and its
// tasks): a record has a level, a message and fields (job, task, event ids ...). Where it
// goes and how it looks is the logger's business: the worker writes one JSON object per
// line on stderr, the CLI and the demo a readable "scoreline: message" line.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface LogRecord {
  ts: string;
  level: Level;
  msg: string;
  fields: Fields;
}

/** Turns a record into the line written. */
export type Format = (record: LogRecord) => string;

export interface Logger {
  (level: Level, msg: string, fields?: Fields): void;
  /** The same logger with more fields on every record (and, optionally, a higher minimum level). */
  child(fields: Fields, minLevel?: Level): Logger;
}

/** One JSON object per line: {"ts", "level", "msg", ...fields}. */
export const jsonFormat: Format = (r) => JSON.stringify({ ts: r.ts, level: r.level, msg: r.msg, ...r.fields });

/**
 * A line for people: "<prefix>: message", "<prefix>: warning: message" above info, and
 * the fields that have a value after it as key=value.
 */
export function textFormat(prefix: string): Format {
  return (r) => {
    const fields = Object.entries(r.fields)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"]/.test(v) ? JSON.stringify(v) : String(v)}`);
    const level = r.level === 'warn' ? 'warning: ' : r.level === 'error' ? 'error: ' : '';
    return `${prefix}: ${level}${r.msg}${fields.length ? ` (${fields.join(', ')})` : ''}`;
  };
}

/** The message alone: for callers that collect the messages (tests). */
export const messageFormat: Format = (r) => r.msg;

const stderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

export function makeLogger(
  minLevel: Level = 'info',
  base: Fields = {},
  write: (line: string) => void = stderr,
  format: Format = jsonFormat,
): Logger {
  const logger = ((level: Level, msg: string, fields: Fields = {}) => {
    if (order[level] < order[minLevel]) return;
    write(format({ ts: new Date().toISOString(), level, msg, fields: { ...base, ...fields } }));
  }) as Logger;
  logger.child = (fields: Fields, level: Level = minLevel) =>
    makeLogger(order[level] > order[minLevel] ? level : minLevel, { ...base, ...fields }, write, format);
  return logger;
}

/** A logger for a command run by a person: readable lines on stderr, "<prefix>: message". */
export function cliLogger(prefix = 'scoreline', minLevel: Level = 'info'): Logger {
  return makeLogger(minLevel, {}, stderr, textFormat(prefix));
}

/** Logs nothing: the default of library functions called without a logger. */
export const silent: Logger = makeLogger('error', {}, () => {});
