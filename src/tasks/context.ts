// What every task gets: the worker's configuration and a logger. A task validates its
// payload with zod, calls one stored procedure and logs; a row that is gone is not an error.
import type { JobHelpers } from 'graphile-worker';
import type { z } from 'zod';
import type { Sql } from '../db.ts';
import type { Logger } from '../log.ts';
import type { WorkerConfig } from '../worker/config.ts';

export interface TaskContext {
  config: WorkerConfig;
  log: Logger;
  /** The worker's own postgres.js pool, for tasks that stream (the nightly ingest). */
  sql: Sql;
}

/** Parse a payload or throw an error that says which task and what is wrong (the job then retries and, if it never parses, fails for good). */
export function parsePayload<S extends z.ZodType>(task: string, schema: S, payload: unknown): z.output<S> {
  const result = schema.safeParse(payload ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
  throw new Error(`invalid ${task} payload: ${problems}`);
}

export function jobFields(helpers: JobHelpers): { job_id: string; task: string; attempt: number } {
  return { job_id: String(helpers.job.id), task: helpers.job.task_identifier, attempt: helpers.job.attempts };
}
