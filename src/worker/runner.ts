// The worker process: graphile-worker running the tasks in src/tasks on the same
// PostgreSQL, a heartbeat with crash recovery, cron schedules (UTC), the HTTP
// surface, and a graceful stop on SIGTERM/SIGINT.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import os from 'node:os';
import { Logger as GraphileLogger, run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import { connect, type Sql } from '../db.ts';
import type { Logger } from '../log.ts';
import maintain from '../tasks/maintain.ts';
import nightlySync from '../tasks/nightly_sync.ts';
import reconcileScores from '../tasks/reconcile_scores.ts';
import refresh from '../tasks/refresh.ts';
import refreshTick from '../tasks/refresh_tick.ts';
import scoreEvent from '../tasks/score_event.ts';
import type { TaskContext } from '../tasks/context.ts';
import { crontab, type WorkerConfig } from './config.ts';
import { createHttpServer, listen } from './http.ts';
import { JobMetrics } from './metrics.ts';

export interface WorkerHandle {
  processId: string;
  port: number | undefined;
  /** Stop taking jobs, let running ones finish up to the timeout, then stop. */
  stop: (reason?: string) => Promise<void>;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
}

export function taskList(ctx: TaskContext): TaskList {
  return {
    score_event: scoreEvent(ctx),
    refresh: refresh(ctx),
    refresh_tick: refreshTick(ctx),
    nightly_sync: nightlySync(ctx),
    maintain: maintain(ctx),
    reconcile_scores: reconcileScores(ctx),
  };
}

export interface StartOptions {
  url: string;
  config: WorkerConfig;
  log: Logger;
  /** Serve HTTP (default true). */
  http?: boolean;
  /** Install SIGTERM/SIGINT handlers (default false: the CLI turns them on). */
  handleSignals?: boolean;
}

export async function startWorker({
  url,
  config,
  log,
  http: serveHttp = true,
  handleSignals = false,
}: StartOptions): Promise<WorkerHandle> {
  // A signal that arrives while the worker is still starting is kept and honoured once it can stop.
  let earlySignal: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals) => {
    earlySignal ??= signal;
  };
  if (handleSignals) {
    process.on('SIGTERM', onEarlySignal);
    process.on('SIGINT', onEarlySignal);
  }
  const processId = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const plog = log.child({ process_id: processId });
  const sql: Sql = connect(url, { max: 3, applicationName: 'scoreline worker' });

  await sql`update worker.setting
               set job_max_attempts = ${config.JOB_MAX_ATTEMPTS},
                   refresh_delay_seconds = ${config.REFRESH_DEBOUNCE_SECONDS},
                   updated_at = now()`;

  const workerIds = new Set<string>();
  const metrics = new JobMetrics();
  let running = false;

  const beat = async () => {
    await sql`select worker.beat(${processId}, ${[...workerIds]}::text[], ${os.hostname()}, ${process.pid}, ${config.WORKER_CONCURRENCY})`;
    const [row] = await sql<
      { n: number }[]
    >`select worker.recover_stale_workers(make_interval(secs => ${config.STALE_WORKER_SECONDS}), ${processId}) as n`;
    if (row?.n) plog('warn', 'unlocked jobs of stale workers', { jobs: row.n });
  };

  // Listeners go on before run(): the workers are created while it starts.
  const events = new EventEmitter() as WorkerEvents;
  events.on('worker:create', ({ worker }) => {
    workerIds.add(worker.workerId);
    void beat().catch(() => {});
  });
  events.on('pool:create', ({ workerPool }) => workerIds.add(workerPool.id));
  const started = new Map<string, number>();
  events.on('job:start', ({ job }) => started.set(String(job.id), Date.now()));
  const finish = (id: string, task: string, outcome: 'success' | 'failure') => {
    const t0 = started.get(id);
    started.delete(id);
    if (t0 !== undefined) metrics.observe(task, (Date.now() - t0) / 1000, outcome);
  };
  events.on('job:success', ({ job }) => finish(String(job.id), job.task_identifier, 'success'));
  events.on('job:error', ({ job, error }) => {
    finish(String(job.id), job.task_identifier, 'failure');
    plog('warn', 'job failed; it will be retried with backoff while attempts remain', {
      job_id: String(job.id),
      task: job.task_identifier,
      attempt: job.attempts,
      max_attempts: job.max_attempts,
      error: (error as Error)?.message ?? String(error),
    });
  });
  events.on('job:failed', ({ job }) =>
    plog('error', 'job failed for good', { job_id: String(job.id), task: job.task_identifier, attempts: job.attempts }),
  );

  const runner: Runner = await run({
    events,
    connectionString: url,
    concurrency: config.WORKER_CONCURRENCY,
    pollInterval: config.POLL_INTERVAL_MS,
    noHandleSignals: true,
    taskList: taskList({ config, log: plog, sql }),
    crontab: crontab(config),
    logger: new GraphileLogger((scope) => (level, message, meta) => {
      const lvl = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
      plog(lvl, message, {
        worker_id: scope.workerId ?? null,
        task: scope.taskIdentifier ?? null,
        job_id: scope.jobId ? String(scope.jobId) : null,
        meta: meta ? JSON.stringify(meta) : null,
      });
    }),
  });
  running = true;

  // Recover at start (a previous process may have died holding locks), then on every beat.
  await beat();
  const heartbeat = setInterval(() => {
    beat().catch((err: Error) => plog('warn', 'heartbeat failed', { error: err.message }));
  }, config.HEARTBEAT_SECONDS * 1000);
  heartbeat.unref();

  let server: http.Server | undefined;
  let port: number | undefined;
  if (serveHttp) {
    server = createHttpServer({ sql, log: plog, cronSecret: config.CRON_SECRET, metrics, workerRunning: () => running });
    port = (await listen(server, config.HTTP_PORT, config.HTTP_HOST)).port;
    plog('info', 'HTTP listening', {
      host: config.HTTP_HOST,
      port,
      update_stats: config.CRON_SECRET ? 'enabled' : 'disabled (no CRON_SECRET)',
    });
  }
  plog('info', 'worker started', { concurrency: config.WORKER_CONCURRENCY, refresh_debounce_s: config.REFRESH_DEBOUNCE_SECONDS });

  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));

  const stop = (reason = 'requested') => {
    stopping ??= (async () => {
      plog('info', 'stopping: finishing running jobs', { reason, timeout_s: config.SHUTDOWN_TIMEOUT_SECONDS });
      clearInterval(heartbeat);
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), config.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref());
      const graceful = runner.stop().then(() => 'stopped' as const);
      const outcome = await Promise.race([graceful, timeout]);
      if (outcome === 'timeout') {
        plog('warn', 'shutdown timeout reached; running jobs are abandoned and will be unlocked by the next worker');
      }
      running = false;
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      if (outcome === 'stopped') {
        await sql`update worker.heartbeat set stopped_at = now() where process_id = ${processId}`.catch(() => {});
      }
      await sql.end({ timeout: 5 });
      plog('info', 'worker stopped', { outcome });
      resolveDone();
    })();
    return stopping;
  };

  runner.promise.catch((err: Error) => {
    plog('error', 'worker crashed', { error: err.message });
    void stop('crash');
  });

  if (handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        plog('warn', 'second signal: exiting now', { signal });
        process.exit(130);
      }
      void stop(signal);
    };
    process.off('SIGTERM', onEarlySignal);
    process.off('SIGINT', onEarlySignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (earlySignal) onSignal(earlySignal);
  }

  return { processId, port, stop, done };
}
