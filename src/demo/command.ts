// `scoreline demo`: the command; the demo itself is ./run.ts.
import type { Command } from 'commander';
import type { Logger } from '../log.ts';
import { runDemo } from './run.ts';

export function register(program: Command, log: Logger): void {
  program
    .command('demo')
    .description(
      'the main job end to end: start the database, migrate, load the sample data in data/, predict, let the worker score and refresh as results arrive, print the leaderboard and refresh status',
    )
    .action(async () => {
      await runDemo({ log });
    });
}
