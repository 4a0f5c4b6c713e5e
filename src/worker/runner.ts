// The worker process: graphile-worker running the tasks in src/tasks on the same
// PostgreSQL, a heartbeat with crash recovery, cron schedules (UTC), the HTTP
// surface, and a graceful stop on SIGTERM/SIGINT.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import os from 'node:os';
import { Logger as GraphileLogger, run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import pg from 'pg';
import { ConfigError } from '../config.ts';
import { connect, requirePrimary, type Sql } from '../db.ts';
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
import { WorkerMetrics } from './metrics.ts';

export interface WorkerHandle {
  /** WORKER_ID: the name this process gives itself (shared by a restarted worker). */
  workerId: string;
  /** WORKER_ID and a random part: this process's heartbeat, unique across restarts. */
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

/** The application_name of a worker process's connections (PostgreSQL keeps 63 bytes of it). */
export function workerApplicationName(processId: string): string {
  // <WORKER_ID>/<random>: a long WORKER_ID is cut, never the random part that tells a
  // restarted process from its dead predecessor (the recovery ends the dead one's backends by
  // this name; worker.recover_stale_workers computes it the same way).
  const slash = processId.lastIndexOf('/');
  if (slash < 0) return `scoreline worker ${processId}`.slice(0, 63);
  return `scoreline worker ${processId.slice(0, Math.min(slash, 39))}${processId.slice(slash)}`.slice(0, 63);
}

/**
 * The URL graphile-worker connects with: application_name set to the process's (replacing one
 * the URL names: the recovery finds a dead process's backends by it). No other startup
 * parameter: a session-mode PgBouncer refuses unknown ones (such as options).
 */
export function workerConnectionUrl(url: string, applicationName: string): string {
  try {
    const u = new URL(url);
    u.searchParams.set('application_name', applicationName);
    return u.toString();
  } catch {
    return url;
  }
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
  // WORKER_ID names the worker (a restarted one keeps it); the random part tells its
  // processes apart, so that a new process never claims the jobs a dead one locked.
  const workerId = config.WORKER_ID;
  const processId = `${workerId}/${randomBytes(3).toString('hex')}`;
  const plog = log.child({ worker: workerId, process_id: processId });
  // Every connection of the process is named after it: pg_stat_activity shows which worker runs
  // what, and the recovery of a dead process ends its backends (worker.recover_stale_workers).
  const appName = workerApplicationName(processId);
  const sql: Sql = connect(url, { max: 3, applicationName: appName });
  try {
    await requirePrimary(sql);
  } catch (err) {
    await sql.end({ timeout: 5 });
    throw err;
  }

  await sql`update worker.setting
               set job_max_attempts = ${config.JOB_MAX_ATTEMPTS},
                   refresh_delay_seconds = ${config.REFRESH_DEBOUNCE_SECONDS},
                   updated_at = now()`;

  const workerIds = new Set<string>();
  const metrics = new WorkerMetrics();
  let running = false;

  // A beat upserts the heartbeat with stopped_at = null: once stopping has begun, no new beat
  // starts, and the stop waits for the beats in flight before it marks the heartbeat stopped,
  // so a late beat cannot make a stopped process look alive.
  let beating = false;
  let stopped = false;
  const runningBeats = new Set<Promise<void>>();
  const beatOnce = async () => {
    await sql`select worker.beat(${processId}, ${[...workerIds]}::text[], ${os.hostname()}, ${process.pid}, ${config.WORKER_CONCURRENCY}, ${workerId})`;
    const [row] = await sql<
      { n: number }[]
    >`select worker.recover_stale_workers(make_interval(secs => ${config.STALE_WORKER_SECONDS}), ${processId}) as n`;
    if (row?.n) {
      metrics.recovered(row.n);
      plog('warn', 'unlocked jobs of stale workers', { jobs: row.n });
    }
  };
  const beat = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    beating = true;
    const p = beatOnce().finally(() => runningBeats.delete(p));
    runningBeats.add(p);
    return p;
  };
  const markStopped = async () => {
    stopped = true;
    await Promise.allSettled([...runningBeats]);
    if (beating) await sql`update worker.heartbeat set stopped_at = now() where process_id = ${processId}`.catch(() => {});
  };

  // The HTTP port is bound before any job is taken: a port in use fails the start here,
  // before the process has registered a heartbeat or locked a job.
  let server: http.Server | undefined;
  let port: number | undefined;
  if (serveHttp) {
    server = createHttpServer({ sql, log: plog, cronSecret: config.CRON_SECRET, metrics, workerRunning: () => running });
    try {
      port = (await listen(server, config.HTTP_PORT, config.HTTP_HOST)).port;
    } catch (err) {
      await sql.end({ timeout: 5 });
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
        throw new ConfigError(
          `HTTP_HOST=${config.HTTP_HOST} HTTP_PORT=${config.HTTP_PORT}: cannot listen (${e.code}: ${e.message}); ` +
            'choose a free port, or run the worker with --no-http; no job was taken',
        );
      }
      throw err;
    }
    plog('info', 'HTTP listening', {
      host: config.HTTP_HOST,
      port,
      update_stats: config.CRON_SECRET ? 'enabled' : 'disabled (no CRON_SECRET)',
    });
  }
  const closeServer = () => new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()));

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

  // graphile-worker's connections, in a pool of our own: graphile-worker ends a pool it made
  // without waiting and takes its error handlers off first, so a connection closed after a stop
  // (a server restart, a dropped database) would be an unhandled error. This one keeps its
  // handler, and a stop waits for it to end.
  const pool = new pg.Pool({ connectionString: workerConnectionUrl(url, appName), max: Math.max(10, config.WORKER_CONCURRENCY + 2) });
  pool.on('error', (err) => plog('warn', 'an idle job-queue connection failed', { error: err.message }));
  pool.on('connect', (client) => client.on('error', (err) => plog('warn', 'a job-queue connection failed', { error: err.message })));
  const endPool = () => pool.end().catch((err: Error) => plog('warn', 'closing the job-queue connections failed', { error: err.message }));

  let runner: Runner;
  try {
    runner = await run({
      events,
      pgPool: pool,
      concurrency: config.WORKER_CONCURRENCY,
      pollInterval: config.POLL_INTERVAL_MS,
      noHandleSignals: true,
      taskList: taskList({ config, log: plog, sql, metrics }),
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
  } catch (err) {
    // run() failed after workers may have beaten: the heartbeat must not look alive.
    await markStopped();
    await closeServer();
    await endPool();
    await sql.end({ timeout: 5 });
    throw err;
  }
  running = true;

  // Recover at start (a previous process may have died holding locks), then on every beat.
  await beat();
  const heartbeat = setInterval(() => {
    beat().catch((err: Error) => plog('warn', 'heartbeat failed', { error: err.message }));
  }, config.HEARTBEAT_SECONDS * 1000);
  heartbeat.unref();

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
      await closeServer();
      // Marked stopped on every path: after a timeout the abandoned jobs stay locked, and a
      // stopped heartbeat lets the next worker's recovery unlock them once they are older
      // than STALE_WORKER_SECONDS, as after a crash.
      await markStopped();
      // graphile-worker's connections: all released after a graceful stop; after a timeout an
      // abandoned job may still hold one, so the wait for them is bounded.
      await Promise.race([endPool(), new Promise((r) => setTimeout(r, 5000).unref())]);
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

  return { workerId, processId, port, stop, done };
}
