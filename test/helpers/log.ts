// A logger that collects the messages it is given, for tests that assert what was logged.
import { makeLogger, messageFormat, type Level, type Logger } from '../../src/log.ts';

export function collect(lines: string[], minLevel: Level = 'debug'): Logger {
  return makeLogger(minLevel, {}, (line) => lines.push(line), messageFormat);
}
