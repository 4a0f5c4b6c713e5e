// Subcommands beyond the database basics, one registration per area.
import type { Command } from 'commander';
import { register as registerWorker } from './worker/command.ts';
import { register as registerDocs } from './docs.ts';
import { register as registerRefresh } from './refresh.ts';
import { register as registerIngest } from './ingest/command.ts';
import { register as registerDemo } from './demo.ts';
import { register as registerBench } from '../bench/run.ts';

export function registerCommands(program: Command, log: (m: string) => void): void {
  registerWorker(program, log);
  registerDocs(program, log);
  registerRefresh(program, log);
  registerIngest(program, log);
  registerDemo(program, log);
  registerBench(program, log);
}
