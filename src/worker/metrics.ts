// The worker's /metrics, on prom-client: its default process and Node.js runtime metrics
// (prefixed scoreline_), what this process measures itself (job durations and outcomes,
// refresh durations and outcomes of the refreshes it ran, refused tokens, jobs it recovered),
// and what the database says at scrape time (the queue, the age of the oldest runnable job,
// staleness, SLA breaches, failed data-quality checks, ingest rows). Every label set is
// bounded: tasks, registered objects, feeds, a fixed list of states and outcomes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Sql } from '../db.ts';

const JOB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const REFRESH_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
export const TASKS = ['score_event', 'refresh', 'refresh_tick', 'nightly_sync', 'maintain', 'reconcile_scores'];
const JOB_STATES = ['queued', 'scheduled', 'running', 'failed'];
const REFRESH_STATES = ['fresh', 'stale', 'blocked', 'failed'];
const REFRESH_OUTCOMES = ['success', 'warning', 'failed', 'skipped'];
const INGEST_OUTCOMES = ['inserted', 'updated', 'unchanged', 'rejected'] as const;

/** One refresh run as refresh.run records it. */
export interface RefreshRunObservation {
  object: string;
  status: string;
  seconds: number | null;
}

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly jobDuration: Histogram<'task'>;
  private readonly jobsProcessed: Counter<'task' | 'outcome'>;
  private readonly refreshDuration: Histogram<'object'>;
  private readonly refreshRuns: Counter<'object' | 'status'>;
  private readonly unauthorizedTotal: Counter;
  private readonly recoveredJobs: Counter;
  private readonly up: Gauge;
  private readonly jobs: Gauge<'task' | 'state'>;
  private readonly oldestRunnable: Gauge<'task'>;
  private readonly refreshLastDuration: Gauge<'object'>;
  private readonly refreshStaleness: Gauge<'object'>;
  private readonly refreshState: Gauge<'object' | 'state'>;
  private readonly slaBreached: Gauge<'object'>;
  private readonly dqFailed: Gauge<'severity'>;
  private readonly ingestRows: Counter<'feed' | 'outcome'>;
  private readonly owedEvents: Gauge;
  private readonly owedOldest: Gauge;
  private readonly ingestSeen = new Map<string, number>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'scoreline_' });
    this.up = new Gauge({ name: 'scoreline_worker_up', help: "Whether this process's job worker is running (1) or not (0).", registers });
    this.jobDuration = new Histogram({
      name: 'scoreline_job_duration_seconds',
      help: 'Time jobs took in this worker process, by task.',
      labelNames: ['task'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.jobsProcessed = new Counter({
      name: 'scoreline_jobs_processed_total',
      help: 'Jobs this worker process finished, by task and outcome (success, failure).',
      labelNames: ['task', 'outcome'],
      registers,
    });
    this.refreshDuration = new Histogram({
      name: 'scoreline_refresh_duration_seconds',
      help: 'Time the refreshes this worker process ran took, by object (skipped runs excluded).',
      labelNames: ['object'],
      buckets: REFRESH_BUCKETS,
      registers,
    });
    this.refreshRuns = new Counter({
      name: 'scoreline_refresh_runs_total',
      help: 'Refresh runs this worker process ran, by object and status (success, warning, failed, skipped).',
      labelNames: ['object', 'status'],
      registers,
    });
    this.unauthorizedTotal = new Counter({
      name: 'scoreline_http_unauthorized_total',
      help: 'Requests to POST /cron/update-stats refused for a missing or wrong bearer token, since this process started.',
      registers,
    });
    this.recoveredJobs = new Counter({
      name: 'scoreline_worker_recovered_jobs_total',
      help: 'Jobs of stale (crashed or killed) workers this process unlocked or cleared (worker.recover_stale_workers).',
      registers,
    });
    this.jobs = new Gauge({
      name: 'scoreline_jobs',
      help: 'Jobs in the queue by task and state (queued, scheduled, running, failed).',
      labelNames: ['task', 'state'],
      registers,
    });
    this.oldestRunnable = new Gauge({
      name: 'scoreline_job_oldest_runnable_age_seconds',
      help: 'Age of the oldest job that could run now (due, not locked, attempts left), by task; 0 when there is none.',
      labelNames: ['task'],
      registers,
    });
    this.refreshLastDuration = new Gauge({
      name: 'scoreline_refresh_last_duration_seconds',
      help: 'How long the last successful refresh of each derived object took.',
      labelNames: ['object'],
      registers,
    });
    this.refreshStaleness = new Gauge({
      name: 'scoreline_refresh_staleness_seconds',
      help: 'Seconds since each derived object became stale (0 when fresh).',
      labelNames: ['object'],
      registers,
    });
    this.refreshState = new Gauge({
      name: 'scoreline_refresh_state',
      help: "Each derived object's state: 1 for its current state, 0 for the others.",
      labelNames: ['object', 'state'],
      registers,
    });
    this.slaBreached = new Gauge({
      name: 'scoreline_refresh_sla_breached',
      help: 'Whether each derived object has been stale for longer than its SLA (refresh.status.sla_breached).',
      labelNames: ['object'],
      registers,
    });
    this.dqFailed = new Gauge({
      name: 'scoreline_dq_failed_checks',
      help: 'Enabled data-quality checks whose latest result failed, by severity.',
      labelNames: ['severity'],
      registers,
    });
    this.owedEvents = new Gauge({
      name: 'scoreline_scores_owed_events',
      help: 'Events whose scores or bet settlement are behind their result (forecast.event_scoring).',
      registers,
    });
    this.owedOldest = new Gauge({
      name: 'scoreline_scores_owed_oldest_seconds',
      help: 'How long the event longest behind has been behind (0 when none is).',
      registers,
    });
    this.ingestRows = new Counter({
      name: 'scoreline_ingest_rows_total',
      help: 'Feed rows by feed and outcome (inserted, updated, unchanged, rejected), summed over the finished batches in ingest.batch.',
      labelNames: ['feed', 'outcome'],
      registers,
    });
  }

  /** A job this process finished. */
  observe(task: string, seconds: number, outcome: 'success' | 'failure'): void {
    this.jobDuration.observe({ task }, seconds);
    this.jobsProcessed.inc({ task, outcome });
  }

  /** The runs of a refresh pass this process ran. */
  observeRefreshRuns(runs: RefreshRunObservation[]): void {
    for (const r of runs) {
      this.refreshRuns.inc({ object: r.object, status: r.status });
      if (r.status !== 'skipped' && r.seconds !== null) this.refreshDuration.observe({ object: r.object }, r.seconds);
    }
  }

  unauthorized(): void {
    this.unauthorizedTotal.inc();
  }

  recovered(jobs: number): void {
    if (jobs > 0) this.recoveredJobs.inc(jobs);
  }

  /** The whole /metrics page: the database's figures are read now. */
  async render(sql: Sql, workerRunning: boolean): Promise<string> {
    this.up.set(workerRunning ? 1 : 0);
    await this.readDatabase(sql);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async readDatabase(sql: Sql): Promise<void> {
    const states = await sql<{ task: string; state: string; n: number }[]>`
      select task, state, count(*)::int as n from worker.job group by task, state`;
    const oldest = await sql<{ task: string; age: number }[]>`
      select t.identifier as task, extract(epoch from now() - min(j.run_at))::float8 as age
        from graphile_worker._private_jobs j
        join graphile_worker._private_tasks t on t.id = j.task_id
       where j.locked_at is null and j.run_at <= now() and j.attempts < j.max_attempts
       group by t.identifier`;
    const tasks = [...new Set([...TASKS, ...states.map((r) => r.task)])];
    this.jobs.reset();
    this.oldestRunnable.reset();
    for (const task of tasks) {
      for (const state of JOB_STATES) {
        this.jobs.set({ task, state }, states.find((r) => r.task === task && r.state === state)?.n ?? 0);
      }
      this.oldestRunnable.set({ task }, Math.max(0, oldest.find((r) => r.task === task)?.age ?? 0));
    }

    const objects = await sql<
      { object: string; state: string; last_duration_s: number | null; staleness_s: number | null; sla_breached: boolean }[]
    >`
      select object::text as object, state,
             extract(epoch from last_duration)::float8 as last_duration_s,
             extract(epoch from now() - stale_since)::float8 as staleness_s,
             sla_breached
        from refresh.status`;
    this.refreshLastDuration.reset();
    this.refreshStaleness.reset();
    this.refreshState.reset();
    this.slaBreached.reset();
    for (const r of objects) {
      if (r.last_duration_s !== null) this.refreshLastDuration.set({ object: r.object }, r.last_duration_s);
      this.refreshStaleness.set({ object: r.object }, Math.max(0, r.staleness_s ?? 0));
      for (const state of new Set([...REFRESH_STATES, r.state]))
        this.refreshState.set({ object: r.object, state }, state === r.state ? 1 : 0);
      this.slaBreached.set({ object: r.object }, r.sla_breached ? 1 : 0);
      for (const status of REFRESH_OUTCOMES) this.refreshRuns.inc({ object: r.object, status }, 0);
    }

    const dq = await sql<{ severity: string; n: number }[]>`
      select s.severity, count(f.check_id)::int as n
        from (values ('warn'), ('error')) s (severity)
        left join refresh.failing_check f on f.severity = s.severity
       group by s.severity`;
    for (const r of dq) this.dqFailed.set({ severity: r.severity }, r.n);

    // the partial index on owed_since: as cheap as the number of events behind
    const [owed] = await sql<{ n: number; oldest_s: number | null }[]>`
      select count(*)::int as n, extract(epoch from now() - min(owed_since))::float8 as oldest_s
        from forecast.event_scoring where owed_since is not null`;
    this.owedEvents.set(owed?.n ?? 0);
    this.owedOldest.set(Math.max(0, owed?.oldest_s ?? 0));

    // Counters from the database's totals: each scrape adds what the finished batches added
    // since the last one (a counter must not go down; batches are never deleted).
    const ingest = await sql<{ feed: string; inserted: number; updated: number; unchanged: number; rejected: number }[]>`
      select f.code as feed, coalesce(sum(b.inserted), 0)::float8 as inserted, coalesce(sum(b.updated), 0)::float8 as updated,
             coalesce(sum(b.unchanged), 0)::float8 as unchanged, coalesce(sum(b.rejected), 0)::float8 as rejected
        from ingest.feed f left join ingest.batch b on b.feed = f.code and b.status <> 'running'
       group by f.code`;
    for (const r of ingest) {
      for (const outcome of INGEST_OUTCOMES) {
        const key = `${r.feed}\u0000${outcome}`;
        const total = r[outcome];
        const delta = total - (this.ingestSeen.get(key) ?? 0);
        this.ingestSeen.set(key, total);
        this.ingestRows.inc({ feed: r.feed, outcome }, Math.max(0, delta));
      }
    }
  }
}
