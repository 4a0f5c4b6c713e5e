// Prometheus text exposition: job durations measured in this process, the rest read
// from the database at scrape time (queue by task and state, refresh durations and
// staleness per object, failed data-quality checks).
import type { Sql } from '../db.ts';

const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class JobMetrics {
  private readonly durations = new Map<string, Histogram>();
  private readonly outcomes = new Map<string, number>();

  observe(task: string, seconds: number, outcome: 'success' | 'failure'): void {
    let h = this.durations.get(task);
    if (!h) {
      h = { counts: buckets.map(() => 0), sum: 0, count: 0 };
      this.durations.set(task, h);
    }
    buckets.forEach((le, i) => {
      if (seconds <= le) h.counts[i]! += 1;
    });
    h.sum += seconds;
    h.count += 1;
    const key = `${task}\u0000${outcome}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  render(): string[] {
    const out: string[] = [
      '# HELP scoreline_job_duration_seconds Time jobs took in this worker process, by task.',
      '# TYPE scoreline_job_duration_seconds histogram',
    ];
    for (const [task, h] of [...this.durations].sort(([a], [b]) => a.localeCompare(b))) {
      buckets.forEach((le, i) => out.push(`scoreline_job_duration_seconds_bucket{task="${esc(task)}",le="${le}"} ${h.counts[i]}`));
      out.push(`scoreline_job_duration_seconds_bucket{task="${esc(task)}",le="+Inf"} ${h.count}`);
      out.push(`scoreline_job_duration_seconds_sum{task="${esc(task)}"} ${h.sum}`);
      out.push(`scoreline_job_duration_seconds_count{task="${esc(task)}"} ${h.count}`);
    }
    out.push('# HELP scoreline_jobs_processed_total Jobs this worker process finished, by task and outcome.');
    out.push('# TYPE scoreline_jobs_processed_total counter');
    for (const [key, n] of [...this.outcomes].sort(([a], [b]) => a.localeCompare(b))) {
      const [task, outcome] = key.split('\u0000');
      out.push(`scoreline_jobs_processed_total{task="${esc(task!)}",outcome="${outcome}"} ${n}`);
    }
    return out;
  }
}

/** Counters of the HTTP surface, kept by src/worker/http.ts. */
export class HttpMetrics {
  /** POST /cron/update-stats requests refused for a missing or wrong bearer token. */
  unauthorized = 0;

  render(): string[] {
    return [
      '# HELP scoreline_http_unauthorized_total Requests to POST /cron/update-stats refused for a missing or wrong bearer token, since this process started.',
      '# TYPE scoreline_http_unauthorized_total counter',
      `scoreline_http_unauthorized_total ${this.unauthorized}`,
    ];
  }
}

export function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

async function exists(sql: Sql, relation: string): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`select to_regclass(${relation}) is not null as ok`;
  return row?.ok ?? false;
}

/** The whole /metrics page. */
export async function renderMetrics(sql: Sql, jobs: JobMetrics, workerRunning: boolean, http?: HttpMetrics): Promise<string> {
  const out: string[] = [
    "# HELP scoreline_worker_up Whether this process's job worker is running.",
    '# TYPE scoreline_worker_up gauge',
    `scoreline_worker_up ${workerRunning ? 1 : 0}`,
    '# HELP scoreline_jobs Jobs in the queue by task and state (queued, scheduled, running, failed).',
    '# TYPE scoreline_jobs gauge',
  ];
  const states = await sql<{ task: string; state: string; n: number }[]>`
    select task, state, count(*)::int as n from worker.job group by task, state order by task, state`;
  const seen = new Set(states.map((r) => `${r.task}/${r.state}`));
  const tasks = [
    ...new Set(['score_event', 'refresh', 'refresh_tick', 'nightly_sync', 'maintain', 'reconcile_scores', ...states.map((r) => r.task)]),
  ].sort();
  for (const task of tasks) {
    for (const state of ['queued', 'scheduled', 'running', 'failed']) {
      const n = seen.has(`${task}/${state}`) ? states.find((r) => r.task === task && r.state === state)!.n : 0;
      out.push(`scoreline_jobs{task="${esc(task)}",state="${state}"} ${n}`);
    }
  }
  out.push(...jobs.render());
  if (http) out.push(...http.render());

  if (await exists(sql, 'refresh.status')) {
    const rows = await sql<{ object: string; state: string; last_duration_s: number | null; staleness_s: number | null }[]>`
      select object::text as object, state,
             extract(epoch from last_duration)::float8 as last_duration_s,
             extract(epoch from now() - stale_since)::float8 as staleness_s
        from refresh.status order by 1`;
    out.push('# HELP scoreline_refresh_last_duration_seconds How long the last successful refresh of each derived object took.');
    out.push('# TYPE scoreline_refresh_last_duration_seconds gauge');
    for (const r of rows)
      if (r.last_duration_s !== null) out.push(`scoreline_refresh_last_duration_seconds{object="${esc(r.object)}"} ${r.last_duration_s}`);
    out.push('# HELP scoreline_refresh_staleness_seconds Seconds since each derived object became stale (0 when fresh).');
    out.push('# TYPE scoreline_refresh_staleness_seconds gauge');
    for (const r of rows) out.push(`scoreline_refresh_staleness_seconds{object="${esc(r.object)}"} ${r.staleness_s ?? 0}`);
    out.push("# HELP scoreline_refresh_state Each derived object's state (1 for its current state).");
    out.push('# TYPE scoreline_refresh_state gauge');
    for (const r of rows) out.push(`scoreline_refresh_state{object="${esc(r.object)}",state="${esc(r.state)}"} 1`);
  }
  if (await exists(sql, 'forecast.event_scoring')) {
    // the partial index on owed_since: as cheap as the number of events behind
    const [owed] = await sql<{ n: number; oldest_s: number | null }[]>`
      select count(*)::int as n, extract(epoch from now() - min(owed_since))::float8 as oldest_s
        from forecast.event_scoring where owed_since is not null`;
    out.push('# HELP scoreline_scores_owed_events Events whose scores or bet settlement are behind their result (forecast.event_scoring).');
    out.push('# TYPE scoreline_scores_owed_events gauge');
    out.push(`scoreline_scores_owed_events ${owed?.n ?? 0}`);
    out.push('# HELP scoreline_scores_owed_oldest_seconds How long the event longest behind has been behind (0 when none is).');
    out.push('# TYPE scoreline_scores_owed_oldest_seconds gauge');
    out.push(`scoreline_scores_owed_oldest_seconds ${owed?.oldest_s ?? 0}`);
  }
  if (await exists(sql, 'refresh.failing_check')) {
    const rows = await sql<{ severity: string; n: number }[]>`
      select s.severity, count(f.check_id)::int as n
        from (values ('warn'), ('error')) s (severity)
        left join refresh.failing_check f on f.severity = s.severity
       group by s.severity order by s.severity`;
    out.push('# HELP scoreline_dq_failed_checks Enabled data-quality checks whose latest result failed, by severity.');
    out.push('# TYPE scoreline_dq_failed_checks gauge');
    for (const r of rows) out.push(`scoreline_dq_failed_checks{severity="${r.severity}"} ${r.n}`);
  }
  return `${out.join('\n')}\n`;
}
