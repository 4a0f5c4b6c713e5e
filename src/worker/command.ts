// `scoreline worker`: runs the job worker and its HTTP surface until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { baseConfig } from '../config.ts';
import { databaseUrl } from '../db.ts';
import { makeLogger, type Logger } from '../log.ts';
import { migrate } from '../migrate.ts';
import { workerConfig } from './config.ts';
import { startWorker } from './runner.ts';

export function register(program: Command, log: Logger): void {
  program
    .command('worker')
    .description(
      'run the graphile-worker job worker (scoring, refresh, schedules) and its HTTP surface (/cron/update-stats, /healthz, /metrics)',
    )
    .option('--no-http', 'do not serve HTTP')
    .option('--no-migrate', 'do not apply pending migrations at start')
    .action(async (opts: { http: boolean; migrate: boolean }) => {
      const config = workerConfig();
      const logger = makeLogger(baseConfig().LOG_LEVEL, { component: 'worker' });
      const url = await databaseUrl(log);
      if (opts.migrate) await migrate(url, { log: logger });
      const handle = await startWorker({ url, config, log: logger, http: opts.http, handleSignals: true });
      await handle.done;
    });
}
