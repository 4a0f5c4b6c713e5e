// A fleet of worker processes on one database: how many score_event jobs a second 1, 2
// and 4 `scoreline worker` processes drain from one burst of completions, with 1 process
// as the baseline in the same run. Each run gets fresh events in a database of its own
// (created, migrated, dropped); the processes are real (`scoreline worker`, spawned), so
// the figure includes graphile-worker's fetching and locking across processes. Appends a
// section to bench/RESULTS.md.
//
//   node --import tsx bench/fleet.ts [--workers 1,2,4] [--events 600] [--concurrency 1] [--no-write]
//
// Also the helpers the fleet test (test/scale/fleet.test.ts) and the soak (bench/soak.ts)
// share: spawning a worker process, a burst of events to complete, waiting for a state.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connect, databaseUrl, withDatabase, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { cliLogger, silent, type Logger } from '../src/log.ts';
import { migrate } from '../src/migrate.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns true or `seconds` pass; returns whether it did. */
export async function waitFor(check: () => Promise<boolean>, seconds: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

export interface WorkerProcess {
  workerId: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal) when the process has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
  stderr: () => string;
}

/**
 * `scoreline worker --no-migrate --no-http` as a child process named `workerId`, with a fast
 * heartbeat (1 s, stale after 3 s) and poll (200 ms), and the refresh debounced for an hour
 * (the fleet's figure is scoring; a refresh pass would be one job in the middle of it).
 */
export function spawnWorker(url: string, workerId: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), 'worker', '--no-migrate', '--no-http'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: url,
      WORKER_ID: workerId,
      WORKER_CONCURRENCY: '1',
      HEARTBEAT_SECONDS: '1',
      STALE_WORKER_SECONDS: '3',
      POLL_INTERVAL_MS: '200',
      REFRESH_DEBOUNCE_SECONDS: '3600',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { workerId, child, exited, stderr: () => stderr };
}

/** SIGKILL (default) or SIGTERM the process and wait for it to exit. */
export async function killWorker(w: WorkerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(signal);
  await w.exited;
}

/** Whether these workers all have a live heartbeat that lists their graphile-worker ids. */
export async function workersAlive(sql: Sql, workerIds: string[]): Promise<boolean> {
  const [row] = await sql<{ n: number }[]>`
    select count(distinct worker_id)::int as n from worker.heartbeat
     where worker_id = any (${workerIds}::text[]) and stopped_at is null and cardinality(worker_ids) > 0
       and last_seen_at > now() - interval '3 seconds'`;
  return row?.n === workerIds.length;
}

export interface Burst {
  /** The events, scheduled and predicted on, to complete in one statement. */
  events: number[];
  predictions: number;
}

/**
 * `n` games of a competition of their own (tag), each with a match_result market and a
 * prediction by each of `models` models: completing them queues one score_event job each.
 */
export async function burst(sql: Sql, tag: string, n: number, models = 3): Promise<Burst> {
  const [ids] = await sql<{ sport: number; comp: number; season: number }[]>`
    with s as (insert into core.sport (code, name) values (${`${tag}_sport`}, ${`${tag} sport`}) returning sport_id),
         c as (insert into core.competition (sport_id, code, name) select sport_id, ${tag}, ${`League ${tag}`} from s returning competition_id, sport_id),
         se as (insert into core.season (competition_id, label, is_current) select competition_id, '2026', true from c returning season_id)
    select (select sport_id from s) as sport, (select competition_id from c) as comp, (select season_id from se) as season`;
  await sql`insert into core.week (season_id, week_number, label) values (${ids!.season}, 1, 'Week 1')`;
  await sql`insert into core.team (sport_id, code, name)
            select ${ids!.sport}, ${tag} || '_T' || i, ${tag} || ' team ' || i from generate_series(1, 20) i`;
  const events = await sql<{ event_id: number }[]>`
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    select ${tag} || '_' || i, 'game', ${ids!.comp}, ${ids!.season}, 1, now() + interval '7 days',
           (select team_id from core.team where code = ${tag} || '_T' || (1 + (2 * i) % 20)),
           (select team_id from core.team where code = ${tag} || '_T' || (2 + (2 * i) % 20))
      from generate_series(1, ${n}) i
    returning event_id::int`;
  const eventIds = events.map((e) => e.event_id);
  await sql`insert into market.market (event_id, market_type) select unnest(${eventIds}::bigint[]), 'match_result'`;
  await sql`insert into market.selection (market_id, code, label)
            select m.market_id, x.code, x.code
              from market.market m cross join (values ('home'), ('draw'), ('away')) x (code)
             where m.event_id = any (${eventIds}::bigint[])`;
  const forecasters = await sql<{ id: number }[]>`
    insert into forecast.forecaster (kind, name, version, model_type)
    select 'model', ${tag} || ' model ' || i, '1', 'bench' from generate_series(1, ${models}) i
    returning forecaster_id::int as id`;
  const [p] = await sql<{ n: number }[]>`
    with ins as (
      insert into forecast.prediction (forecaster_id, selection_id, probability, odds, stake)
      select f.id, s.selection_id, 0.3 + (f.ord % 5) / 10.0, 2.5, 1
        from unnest(${forecasters.map((f) => f.id)}::bigint[]) with ordinality f (id, ord)
        join market.market m on m.event_id = any (${eventIds}::bigint[])
        join market.selection s on s.market_id = m.market_id
                               and s.code = (array['home', 'draw', 'away'])[1 + (m.event_id + f.ord) % 3]
      returning 1)
    select count(*)::int as n from ins`;
  return { events: eventIds, predictions: p!.n };
}

/** Complete every event of the burst in one statement (home wins 1-0 on even ids, 0-2 on odd ones). */
export async function completeAll(sql: Sql, events: number[]): Promise<void> {
  await sql`update core.event
               set status = 'completed', actual_start = now() - interval '2 hours',
                   home_score = case when event_id % 2 = 0 then 1 else 0 end,
                   away_score = case when event_id % 2 = 0 then 0 else 2 end
             where event_id = any (${events}::bigint[])`;
}

/** score_event jobs left in the queue (any state). */
export async function scoreJobsLeft(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
     where t.identifier = 'score_event'`;
  return row!.n;
}

// ---- the benchmark ----

export const fleetOptions = z.object({
  workers: z.array(z.number().int().min(1).max(32)).min(1).default([1, 2, 4]),
  events: z.number().int().min(10).max(100_000).default(600),
  concurrency: z.number().int().min(1).max(64).default(1),
  /** Server URL (default: DATABASE_URL or the embedded server); a database of its own is created on it. */
  url: z.string().optional(),
});
export type FleetOptions = z.input<typeof fleetOptions>;

export interface FleetRun {
  processes: number;
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  /** Processes that scored at least one event (from the connections' application_name). */
  processesThatWorked: number;
}

export interface FleetResult {
  runs: FleetRun[];
  concurrency: number;
  events: number;
  predictionsPerEvent: number;
  unscored: number;
  postgres: string;
  load: string;
}

export async function runFleet(options: FleetOptions = {}, log: Logger = silent): Promise<FleetResult> {
  const o = fleetOptions.parse(options);
  const server = o.url ?? (await databaseUrl(log));
  const name = `scoreline_fleet_${randomBytes(4).toString('hex')}`;
  const admin = connect(withDatabase(server, 'postgres'), { max: 1 });
  await admin.unsafe(`create database ${name}`);
  const url = withDatabase(server, name);
  let sql: Sql | undefined;
  const procs: WorkerProcess[] = [];
  try {
    log('info', `migrating ${name}`);
    await migrate(url);
    sql = connect(url, { max: 2, onNotice: () => {} });
    const [pg] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
    // Which process scored each event: the scorer's application_name, recorded as it commits.
    await sql.unsafe(`
      create table public.bench_scored (event_id bigint, app text, at timestamptz default clock_timestamp());
      create function public.bench_log_scored() returns trigger language plpgsql volatile as $f$
      begin
        insert into public.bench_scored (event_id, app) values (new.event_id, current_setting('application_name'));
        return null;
      end $f$;
      create trigger bench_log_scored after update of scored_version on forecast.event_scoring
        for each row when (new.scored_at is distinct from old.scored_at) execute function public.bench_log_scored();`);
    const runs: FleetRun[] = [];
    let unscored = 0;
    let perEvent = 0;
    for (const [i, n] of o.workers.entries()) {
      const tag = `fleet${i}_${n}`;
      const b = await burst(sql, tag, o.events);
      perEvent = b.predictions / b.events.length;
      const ids = Array.from({ length: n }, (_, k) => `bench-${i}-${k + 1}`);
      log('info', `${n} worker process(es), concurrency ${o.concurrency}: starting`);
      for (const id of ids) procs.push(spawnWorker(url, id, { WORKER_CONCURRENCY: String(o.concurrency) }));
      if (!(await waitFor(() => workersAlive(sql!, ids), 120, 200)))
        throw new Error(`the ${n} worker process(es) did not start within 120 s`);
      const t0 = performance.now();
      await completeAll(sql, b.events);
      const drained = await waitFor(async () => (await scoreJobsLeft(sql!)) === 0, 600, 20);
      const seconds = (performance.now() - t0) / 1000;
      if (!drained) throw new Error(`${n} worker process(es) did not drain ${b.events.length} jobs within 600 s`);
      const [r] = await sql<{ behind: number; apps: number }[]>`
        select (select count(*)::int from forecast.event_scoring where event_id = any (${b.events}::bigint[]) and owed_since is not null) as behind,
               (select count(distinct app)::int from public.bench_scored where event_id = any (${b.events}::bigint[])) as apps`;
      unscored += r!.behind;
      runs.push({
        processes: n,
        jobs: b.events.length,
        seconds: Math.round(seconds * 100) / 100,
        jobsPerSecond: Math.round((b.events.length / seconds) * 10) / 10,
        processesThatWorked: r!.apps,
      });
      log('info', `${n} process(es): ${b.events.length} jobs in ${seconds.toFixed(2)} s`);
      await Promise.all(procs.splice(0).map((p) => killWorker(p, 'SIGTERM')));
    }
    return {
      runs,
      concurrency: o.concurrency,
      events: o.events,
      predictionsPerEvent: perEvent,
      unscored,
      postgres: pg!.v,
      load: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
    };
  } finally {
    await Promise.all(procs.map((p) => killWorker(p)));
    await sql?.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

export function machine(): string {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    /* not a checkout */
  }
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, commit ${commit}`;
}

export function formatFleet(r: FleetResult, when = new Date()): string {
  const base = r.runs.find((x) => x.processes === 1) ?? r.runs[0]!;
  return [
    '',
    `## Worker fleet (bench/fleet.ts), ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}; PostgreSQL ${r.postgres}, over loopback; load average at the end ${r.load}.`,
    `Each run: ${r.events} events (a match_result market, ${r.predictionsPerEvent} model predictions each) completed in one`,
    `statement, i.e. ${r.events} score_event jobs queued at once; \`scoreline worker\` processes (WORKER_CONCURRENCY=${r.concurrency},`,
    'POLL_INTERVAL_MS=200, the refresh debounced out of the run) drain them; the time is from the commit to an empty queue.',
    '',
    '| worker processes | jobs | seconds | jobs/s | vs 1 process | processes that scored |',
    '|---:|---:|---:|---:|---:|---:|',
    ...r.runs.map(
      (x) =>
        `| ${x.processes} | ${x.jobs} | ${x.seconds} | ${x.jobsPerSecond} | ${(x.jobsPerSecond / base.jobsPerSecond).toFixed(2)}x | ${x.processesThatWorked} |`,
    ),
    '',
    `Events left behind their result after the runs: ${r.unscored}.`,
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const arg = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const opts: FleetOptions = {};
  if (arg('--workers')) opts.workers = arg('--workers')!.split(',').map(Number);
  if (arg('--events')) opts.events = Number(arg('--events'));
  if (arg('--concurrency')) opts.concurrency = Number(arg('--concurrency'));
  const result = await runFleet(opts, cliLogger('bench/fleet.ts'));
  console.log(formatFleet(result));
  if (!args.includes('--no-write')) {
    await fs.appendFile(path.join(repoRoot, 'bench', 'RESULTS.md'), formatFleet(result));
    process.stderr.write('appended to bench/RESULTS.md\n');
  }
  process.exit(result.unscored === 0 ? 0 : 1);
}
