// Structured log lines: one JSON object per line on stderr, with the job, task and event ids as fields.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  (level: Level, msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export function makeLogger(
  minLevel: Level = 'info',
  base: Fields = {},
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  const logger = ((level: Level, msg: string, fields: Fields = {}) => {
    if (order[level] < order[minLevel]) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...fields }));
  }) as Logger;
  logger.child = (fields: Fields) => makeLogger(minLevel, { ...base, ...fields }, write);
  return logger;
}
