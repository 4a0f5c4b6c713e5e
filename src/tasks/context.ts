// What every task gets: the worker's configuration and a logger. A task validates its
// payload with zod, calls one stored procedure and logs; a row that is gone is not an error.
import type { JobHelpers } from 'graphile-worker';
import type { z } from 'zod';
import type { Sql } from '../db.ts';
import type { Logger } from '../log.ts';
import type { WorkerConfig } from '../worker/config.ts';
import type { WorkerMetrics } from '../worker/metrics.ts';

export interface TaskContext {
  config: WorkerConfig;
  log: Logger;
  /** The worker's own postgres.js pool, for tasks that stream (the nightly ingest). */
  sql: Sql;
  /** The process's metrics (refresh tasks record the runs they ran); absent outside a worker. */
  metrics?: WorkerMetrics;
}

/**
 * `call refresh.run_due(...)` on the job's client, then the runs that call audited (this
 * backend's runs since it began), for the refresh metrics.
 */
export async function runDueAndObserve(
  helpers: JobHelpers,
  ctx: TaskContext,
  trigger: string,
): Promise<{ object: string; status: string; seconds: number | null }[]> {
  return helpers.withPgClient(async (client) => {
    const {
      rows: [mark],
    } = await client.query<{ t: string }>('select clock_timestamp()::text as t');
    await client.query('call refresh.run_due(p_trigger => $1::text)', [trigger]);
    const { rows } = await client.query<{ object: string; status: string; seconds: number | null }>(
      `select object_name as object, status, extract(epoch from duration)::float8 as seconds
         from refresh.run where backend_pid = pg_backend_pid() and started_at >= $1::timestamptz and status <> 'running'`,
      [mark!.t],
    );
    ctx.metrics?.observeRefreshRuns(rows);
    return rows;
  });
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
