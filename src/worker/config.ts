// The worker's configuration, from the environment through zod; an error names the variable.
import os from 'node:os';
import { z } from 'zod';
import { ConfigError, optional, parseEnv } from '../config.ts';

const seconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A worker's name in its heartbeat, its log lines and its connections' application_name: a host name, host:pid, a pod or container name. */
export const WORKER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;

export const workerSchema = z.object({
  // Unset: the host name and the process id. Two processes may share one (a restarted worker
  // keeps its name): each process's heartbeat (process_id) adds a random part of its own.
  WORKER_ID: optional(
    z
      .string()
      .regex(
        WORKER_ID_PATTERN,
        'must be 1 to 100 letters, digits and . _ : @ - starting with a letter or digit (a host or pod name; unset: hostname:pid)',
      ),
  ).default(() => `${os.hostname()}:${process.pid}`),
  WORKER_CONCURRENCY: optional(seconds(1, 64)).default(4),
  JOB_MAX_ATTEMPTS: optional(seconds(1, 100)).default(10),
  REFRESH_DEBOUNCE_SECONDS: optional(seconds(0, 86_400)).default(60),
  // Events one score_event job scores together in a burst (its own and other ready jobs it claims); 1: one job, one event.
  SCORE_BATCH_SIZE: optional(seconds(1, 10_000)).default(500),
  // A secret only of spaces, or with spaces around it, could never be presented: HTTP trims
  // header values, so no token would match and the endpoint would look enabled. Refused.
  CRON_SECRET: optional(
    z
      .string()
      .refine((v) => v.trim() !== '', 'is blank: leave it empty (or unset) to disable POST /cron/update-stats')
      .refine(
        (v) => v.trim() === '' || /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v),
        'must be printable ASCII without spaces around it (HTTP trims the Authorization header, so no token could match)',
      )
      .refine((v) => v.trim() === '' || v.length >= 16, 'must be at least 16 characters'),
  ),
  HTTP_HOST: optional(z.string().min(1)).default('127.0.0.1'),
  HTTP_PORT: optional(seconds(0, 65_535)).default(8080),
  HEARTBEAT_SECONDS: optional(seconds(1, 300)).default(5),
  STALE_WORKER_SECONDS: optional(seconds(2, 3_600)).default(30),
  SHUTDOWN_TIMEOUT_SECONDS: optional(seconds(0, 3_600)).default(30),
  POLL_INTERVAL_MS: optional(seconds(50, 60_000)).default(2_000),
  REFRESH_TICK_CRON: optional(z.string().min(9)).default('* * * * *'),
  NIGHTLY_SYNC_CRON: optional(z.string().min(9)).default('0 2 * * *'),
  MAINTAIN_CRON: optional(z.string().min(9)).default('*/15 * * * *'),
  RECONCILE_SCORES_CRON: optional(z.string().min(9)).default('* * * * *'),
});

export type WorkerConfig = z.output<typeof workerSchema>;

export function workerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const config = parseEnv(workerSchema, env);
  if (config.STALE_WORKER_SECONDS <= config.HEARTBEAT_SECONDS) {
    throw new ConfigError(
      `invalid configuration in the environment:\n  STALE_WORKER_SECONDS (${config.STALE_WORKER_SECONDS}) must be greater than HEARTBEAT_SECONDS (${config.HEARTBEAT_SECONDS})`,
    );
  }
  return config;
}

/** graphile-worker's crontab (UTC): what is due every minute, the nightly sync, the maintenance, the scores-owed reconciler. */
export function crontab(config: WorkerConfig): string {
  return [
    `${config.REFRESH_TICK_CRON} refresh_tick ?id=refresh_tick&max=1`,
    `${config.NIGHTLY_SYNC_CRON} nightly_sync ?id=nightly_sync&max=3`,
    `${config.MAINTAIN_CRON} maintain ?id=maintain&max=1`,
    `${config.RECONCILE_SCORES_CRON} reconcile_scores ?id=reconcile_scores&max=1`,
  ].join('\n');
}
