// Subcommands beyond the database basics, one registration per area.
import type { Command } from 'commander';
import type { Logger } from './log.ts';
import { register as registerWorker } from './worker/command.ts';
import { register as registerDocs } from './docs.ts';
import { register as registerRefresh } from './refresh.ts';
import { register as registerIngest } from './ingest/command.ts';
import { register as registerDemo } from './demo/command.ts';
import { register as registerStatus } from './status/command.ts';

export function registerCommands(program: Command, log: Logger): void {
  registerWorker(program, log);
  registerDocs(program, log);
  registerRefresh(program, log);
  registerIngest(program, log);
  registerDemo(program, log);
  registerStatus(program, log);
}
