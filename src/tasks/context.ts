// What every task gets: the worker's configuration and a logger. A task validates its
// payload with zod, calls one stored procedure and logs; a row that is gone is not an error.
import type { JobHelpers } from 'graphile-worker';
import type { z } from 'zod';
import type { Sql } from '../db.ts';
import type { Fields, Logger } from '../log.ts';
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

/**
 * SQLSTATEs of a concurrent change rather than of the job's own work: a deadlock (40P01), a
 * serialization failure (40001), a lock wait over lock_timeout (55P03). Run again at once,
 * the work meets the change committed or gone and goes through.
 */
export const CONCURRENT_CHANGE: ReadonlySet<string> = new Set(['40P01', '40001', '55P03']);

/**
 * `work`, run again (up to `tries` times in all) when it fails with one of `codes`: a job's
 * failure is for what it did, not for the moment it ran at (a cron tick runs once, max=1, and
 * would otherwise be failed for good by a deadlock another job caused).
 */
export async function againOnConcurrentChange<T>(
  helpers: JobHelpers,
  log: Logger,
  work: () => Promise<T>,
  { codes = CONCURRENT_CHANGE, tries = 3, fields = {} }: { codes?: ReadonlySet<string>; tries?: number; fields?: Fields } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= tries || !code || !codes.has(code)) throw err;
      log('warn', 'the job met a concurrent change; running it again', {
        ...jobFields(helpers),
        ...fields,
        attempt,
        sqlstate: code,
        error: (err as Error).message,
      });
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/**
 * Whether a newer job with this job's key replaced it while it ran: graphile-worker's add_job
 * (job_key_mode replace) takes the key off a locked job and uses up its attempts, so its
 * failure would be left failed for good although the newer job does the same work with newer
 * information. A keyed task (score_event, refresh) that fails then ends instead.
 */
export async function supersededWhileRunning(helpers: JobHelpers): Promise<boolean> {
  const { rows } = await helpers.query<{ superseded: boolean }>(
    'select key is null as superseded from graphile_worker._private_jobs where id = $1',
    [helpers.job.id],
  );
  return rows[0]?.superseded ?? false;
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
