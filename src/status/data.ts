// What the status page shows, read in one go: what is stale and why, SLA breaches, the
// refresh lineage (sources -> registered objects -> the plain views apps read), the queue,
// recent failed refresh runs and jobs, the model leaderboard, calibration per model and
// strategy P&L by day. Read-only; every query reads views and tables the worker and the
// owner may read.
import type { Sql } from '../db.ts';

export interface StatusObject {
  object: string;
  kind: string;
  method: string;
  state: string;
  reason: string | null;
  sla_breached: boolean;
  last_success: string | null;
  stale_since: string | null;
  level: number;
}
export interface LineageEdge {
  parent: string;
  dependent: string;
  parent_kind: string;
}
export interface QueueRow {
  task: string;
  state: string;
  n: number;
}
export interface FailedRun {
  run_id: string;
  object_name: string;
  finished_at: string | null;
  error_sqlstate: string | null;
  error_message: string | null;
}
export interface FailedJob {
  job_id: string;
  task: string;
  attempts: number;
  last_error: string | null;
}
export interface LeaderRow {
  model: string;
  total_matches: number;
  total_points: number;
  avg_points: number | null;
  win_rate: number | null;
  total_units: number | null;
}
export interface CalibrationPoint {
  model: string;
  bucket: number;
  predictions: number;
  mean_probability: number;
  observed_rate: number;
}
export interface PnlPoint {
  strategy: string;
  day: string;
  pnl: number;
  cumulative: number;
}
export interface StatusData {
  generatedAt: string;
  database: string;
  objects: StatusObject[];
  views: { view: string; reads: string[] }[];
  edges: LineageEdge[];
  queue: QueueRow[];
  failedRuns: FailedRun[];
  failedJobs: FailedJob[];
  leaderboard: LeaderRow[];
  calibration: CalibrationPoint[];
  pnl: PnlPoint[];
}

export async function loadStatus(sql: Sql): Promise<StatusData> {
  const [meta] = await sql<{ now: string; db: string }[]>`select now()::text as now, current_database() as db`;
  const objects = await sql<StatusObject[]>`
    select s.object::text as object, s.kind, s.method, s.state, s.reason, s.sla_breached,
           s.last_success::text as last_success, s.stale_since::text as stale_since, l.level
      from refresh.status s join refresh.levels() l on l.object = s.object
     order by l.level, s.object::text`;
  const edges = await sql<LineageEdge[]>`
    select parent::text as parent, dependent::text as dependent, parent_kind from refresh.dag_edge order by 2, 1`;
  // The plain views of stats (the seed's mv_model_stats_* among them): current at commit,
  // not registered; drawn after what they read.
  const views = await sql<{ view: string; reads: string[] }[]>`
    select v.oid::regclass::text as view,
           coalesce(array_agg(distinct d.refobjid::regclass::text order by d.refobjid::regclass::text)
                      filter (where d.refobjid is not null), '{}') as reads
      from pg_class v
      join pg_namespace n on n.oid = v.relnamespace and n.nspname = 'stats'
      left join pg_rewrite r on r.ev_class = v.oid
      left join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass
                           and d.refclassid = 'pg_class'::regclass and d.refobjid <> v.oid
                           and d.deptype = 'n'
     where v.relkind = 'v'
     group by v.oid
     order by 1`;
  const queue = await sql<QueueRow[]>`
    select task, state, count(*)::int as n from worker.job group by task, state order by task, state`;
  const failedRuns = await sql<FailedRun[]>`
    select run_id::text, object_name, finished_at::text as finished_at, error_sqlstate, error_message
      from refresh.run where status = 'failed' order by run_id desc limit 20`;
  const failedJobs = await sql<FailedJob[]>`
    select job_id::text, task, attempts, last_error from worker.failed_job order by job_id desc limit 20`;
  const leaderboard = await sql<LeaderRow[]>`
    select f.name || coalesce(' ' || f.version, '') as model, o.total_matches, o.total_points::float8 as total_points,
           o.avg_points::float8 as avg_points, o.win_rate::float8 as win_rate, o.total_units::float8 as total_units
      from stats.mv_model_stats_overall o join forecast.forecaster f on f.forecaster_id = o.model_id
     order by o.total_points desc nulls last, model limit 25`;
  // A materialized view never refreshed cannot be read: the page says so instead.
  const [cal] = await sql<{ populated: boolean }[]>`
    select coalesce((select relispopulated from pg_class where oid = to_regclass('stats.model_calibration')), false) as populated`;
  const calibration = !cal?.populated
    ? []
    : await sql<CalibrationPoint[]>`
    select f.name || coalesce(' ' || f.version, '') as model, c.bucket, c.predictions,
           c.mean_probability::float8 as mean_probability, c.observed_rate::float8 as observed_rate
      from stats.model_calibration c join forecast.forecaster f on f.forecaster_id = c.model_id
     where c.predictions > 0
     order by model, c.bucket`;
  const pnl = await sql<PnlPoint[]>`
    select strategy, day, pnl, sum(pnl) over (partition by strategy order by day)::float8 as cumulative
      from (select s.name || ' ' || s.version as strategy, d.day::text as day, sum(d.pnl)::float8 as pnl
              from stats.strategy_performance_daily d join trade.strategy s on s.strategy_id = d.strategy_id
             group by 1, 2) x
     order by strategy, day`;
  return {
    generatedAt: meta!.now,
    database: meta!.db,
    objects: [...objects],
    views: [...views],
    edges: [...edges],
    queue: [...queue],
    failedRuns: [...failedRuns],
    failedJobs: [...failedJobs],
    leaderboard: [...leaderboard],
    calibration: [...calibration],
    pnl: [...pnl],
  };
}
