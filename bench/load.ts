// Load test: N concurrent app clients writing picks while events complete (a real worker
// scores them and refreshes the stats), a refresher runs passes, and readers read the
// stats — bounded in time, on loopback, in a database of its own (created, migrated,
// dropped). Measures pick throughput, errors (0 besides the intended rejections: a pick on
// a market already picked, settled or started) and reader latency; checks afterwards that
// every pick on a completed event is scored once and the stats equal a recomputation;
// appends a section to bench/RESULTS.md.
//
//   node --import tsx bench/load.ts [--seconds 30] [--clients 8] [--readers 2] [--no-write]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connect, databaseUrl, withDatabase, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { cliLogger, makeLogger, silent, type Logger } from '../src/log.ts';
import { migrate } from '../src/migrate.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';

export const loadOptions = z.object({
  seconds: z.number().int().min(1).max(3600).default(30),
  clients: z.number().int().min(1).max(256).default(8),
  readers: z.number().int().min(0).max(64).default(2),
  events: z.number().int().min(10).max(100_000).default(600),
  usersPerClient: z.number().int().min(1).max(1000).default(50),
  /** Complete one event every this many milliseconds. */
  completeEveryMs: z.number().int().min(10).max(60_000).default(200),
  /** Server URL (default: DATABASE_URL or the embedded server); a database of its own is created on it. */
  url: z.string().optional(),
});
export type LoadOptions = z.input<typeof loadOptions>;

/** Pick rejections that are the product working as specified, by SQLSTATE. */
export const INTENDED: Record<string, string> = {
  '23505': 'already picked on this market (one pick per market)',
  SL031: 'market no longer open (settled)',
  SL030: 'event already started',
};

export interface LoadResult {
  seconds: number;
  clients: number;
  readers: number;
  picks: number;
  picksPerSecond: number;
  rejected: Record<string, number>;
  errors: Record<string, number>;
  completed: number;
  scored: number;
  refreshPasses: number;
  refreshRuns: { success: number; failed: number; skipped: number };
  reads: number;
  readP50Ms: number;
  readP99Ms: number;
  readMaxMs: number;
  drainSeconds: number;
  statsMismatch: string;
  incrementalVsFull: string;
  unscoredOnCompleted: number;
  postgres: string;
}

/** The p-th percentile (nearest rank) of the values; NaN for none. */
export function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(
  sql: Sql,
  o: z.output<typeof loadOptions>,
): Promise<{ users: number[][]; events: { event_id: number; sel: number[] }[] }> {
  await sql.unsafe(`
    insert into core.sport (code, name) values ('load', 'load sport');
    insert into core.competition (sport_id, code, name) select sport_id, 'load', 'Load league' from core.sport where code = 'load';
    insert into core.season (competition_id, label, is_current) select competition_id, '2026', true from core.competition where code = 'load';
    insert into core.week (season_id, week_number, label)
    select season_id, 1, 'Week 1' from core.season join core.competition using (competition_id) where code = 'load';
    insert into core.team (sport_id, code, name)
    select sport_id, 'LD' || i, 'Load team ' || i from core.sport, generate_series(1, 40) i where code = 'load';
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    select 'load_' || i, 'game', c.competition_id, s.season_id, 1, now() + interval '7 days',
           (select team_id from core.team where code = 'LD' || (1 + (2 * i) % 40)),
           (select team_id from core.team where code = 'LD' || (2 + (2 * i) % 40))
      from generate_series(1, ${o.events}) i, core.competition c join core.season s using (competition_id) where c.code = 'load';
    insert into market.market (event_id, market_type) select event_id, 'match_result' from core.event where external_id like 'load\\_%';
    insert into market.selection (market_id, code, label)
    select m.market_id, x.code, x.code
      from market.market m join core.event e using (event_id) cross join (values ('home'), ('draw'), ('away')) x (code)
     where e.external_id like 'load\\_%';
  `);
  const users: number[][] = [];
  for (let c = 0; c < o.clients; c++) {
    const rows = await sql<{ forecaster_id: number }[]>`
      insert into forecast.forecaster (kind, name, handle)
      select 'user', 'Load user ' || ${c} || '-' || i, 'load_' || ${c} || '_' || i from generate_series(1, ${o.usersPerClient}) i
      returning forecaster_id::int`;
    users.push(rows.map((r) => r.forecaster_id));
  }
  const events = await sql<{ event_id: number; sel: number[] }[]>`
    select e.event_id::int, array_agg(s.selection_id::int order by s.selection_id) as sel
      from core.event e join market.market m using (event_id) join market.selection s using (market_id)
     where e.external_id like 'load\\_%'
     group by e.event_id order by e.event_id`;
  return { users, events };
}

export async function runLoad(options: LoadOptions = {}, log: Logger = silent): Promise<LoadResult> {
  const o = loadOptions.parse(options);
  const server = o.url ?? (await databaseUrl(log));
  const name = `scoreline_load_${randomBytes(4).toString('hex')}`;
  const admin = connect(withDatabase(server, 'postgres'), { max: 1 });
  await admin.unsafe(`create database ${name}`);
  const url = withDatabase(server, name);
  let sql: Sql | undefined;
  try {
    log('info', `migrating ${name}`);
    await migrate(url);
    sql = connect(url, { max: o.clients + o.readers + 4, onNotice: () => {} });
    const { users, events } = await setup(sql, o);
    const [pg] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;

    const config = workerConfig({
      REFRESH_DEBOUNCE_SECONDS: '1',
      POLL_INTERVAL_MS: '100',
      HEARTBEAT_SECONDS: '1',
      STALE_WORKER_SECONDS: '5',
      WORKER_CONCURRENCY: '4',
    });
    const worker = await startWorker({ url, config, log: makeLogger('error', {}, () => {}), http: false });

    let stop = false;
    let picks = 0;
    const rejected: Record<string, number> = {};
    const errors: Record<string, number> = {};
    const latencies: number[] = [];
    let completed = 0;
    let refreshPasses = 0;
    const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

    const client = async (c: number) => {
      const mine = users[c]!;
      let seed = c + 1;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      while (!stop) {
        const ev = events[rand(events.length)]!;
        const user = mine[rand(mine.length)]!;
        const sel = ev.sel[rand(3)]!;
        try {
          await sql!`insert into forecast.prediction (forecaster_id, selection_id, probability, odds, stake)
                     values (${user}, ${sel}, ${0.2 + rand(60) / 100}, ${1.5 + rand(300) / 100}, 1)`;
          picks += 1;
        } catch (err) {
          const code = (err as { code?: string }).code ?? 'client';
          if (code in INTENDED) bump(rejected, code);
          else bump(errors, `${code}: ${(err as Error).message.slice(0, 120)}`);
        }
      }
    };
    const reader = async (r: number) => {
      let i = r;
      while (!stop) {
        const t0 = performance.now();
        try {
          if (i++ % 2 === 0)
            await sql!`select model_id, total_points from stats.mv_model_stats_overall order by total_points desc limit 10`;
          else await sql!`select object, state from refresh.status`;
          latencies.push(performance.now() - t0);
        } catch (err) {
          bump(errors, `reader ${(err as { code?: string }).code ?? ''}: ${(err as Error).message.slice(0, 120)}`);
        }
      }
    };
    const completer = async () => {
      let k = 0;
      while (!stop && k < events.length) {
        const ev = events[k++]!;
        const h = k % 3;
        const a = (k + 1) % 3;
        try {
          await sql!`update core.event set status = 'completed', actual_start = now() - interval '2 hours', home_score = ${h}, away_score = ${a}
                     where event_id = ${ev.event_id}`;
          completed += 1;
        } catch (err) {
          bump(errors, `completer ${(err as { code?: string }).code ?? ''}: ${(err as Error).message.slice(0, 120)}`);
        }
        await sleep(o.completeEveryMs);
      }
    };
    const refresher = async () => {
      while (!stop) {
        try {
          await sql!`call refresh.run_due('manual')`;
          refreshPasses += 1;
        } catch (err) {
          bump(errors, `refresher ${(err as { code?: string }).code ?? ''}: ${(err as Error).message.slice(0, 120)}`);
        }
        await sleep(1000);
      }
    };

    log('info', `running ${o.seconds} s: ${o.clients} writers, ${o.readers} readers, a completer, a refresher, a worker`);
    const started = performance.now();
    const loops = [
      ...Array.from({ length: o.clients }, (_, c) => client(c)),
      ...Array.from({ length: o.readers }, (_, r) => reader(r)),
      completer(),
      refresher(),
    ];
    await sleep(o.seconds * 1000);
    stop = true;
    await Promise.all(loops);
    const elapsed = (performance.now() - started) / 1000;

    log('info', 'draining the worker');
    const drainStart = performance.now();
    for (let i = 0; i < 1200; i++) {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from worker.job where task in ('score_event', 'refresh') and state <> 'failed'`;
      if (row?.n === 0) break;
      await sleep(100);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    await worker.stop('load test over');
    await sql`call refresh.run_due('manual')`;

    const [after] = await sql<{ scored: number; unscored: number; failed: number; mismatch: string; incremental: string }[]>`
      select (select count(*)::int from forecast.prediction_score) as scored,
             (select count(*)::int from forecast.prediction p join market.market m using (market_id) join core.event e using (event_id)
               where e.status = 'completed' and not exists (select from forecast.prediction_score s where s.prediction_id = p.prediction_id)) as unscored,
             (select count(*)::int from worker.failed_job) as failed,
             stats.dq_model_stats_mismatch(1000)::text as mismatch,
             stats.dq_model_stats_incremental_vs_full()::text as incremental`;
    if (after!.failed) bump(errors, `${after!.failed} worker job(s) failed`);
    const runs = await sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from refresh.run group by status`;
    const byStatus = Object.fromEntries(runs.map((r) => [r.status, r.n]));
    return {
      seconds: Math.round(elapsed * 10) / 10,
      clients: o.clients,
      readers: o.readers,
      picks,
      picksPerSecond: Math.round(picks / elapsed),
      rejected,
      errors,
      completed,
      scored: after!.scored,
      refreshPasses,
      refreshRuns: { success: byStatus.success ?? 0, failed: byStatus.failed ?? 0, skipped: byStatus.skipped ?? 0 },
      reads: latencies.length,
      readP50Ms: pct(latencies, 50),
      readP99Ms: pct(latencies, 99),
      readMaxMs: Math.max(0, ...latencies),
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      statsMismatch: after!.mismatch,
      incrementalVsFull: after!.incremental,
      unscoredOnCompleted: after!.unscored,
      postgres: pg!.v,
    };
  } finally {
    await sql?.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** No error besides the intended rejections, every pick on a completed event scored, stats equal a recomputation. */
export function loadClean(r: LoadResult): boolean {
  return Object.keys(r.errors).length === 0 && r.unscoredOnCompleted === 0 && r.statsMismatch === '0' && r.incrementalVsFull === '0';
}

function machine(): string {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    /* not a checkout */
  }
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, commit ${commit}`;
}

const f = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));

export function formatSection(r: LoadResult, when = new Date()): string {
  const list = (m: Record<string, number>) =>
    Object.keys(m).length
      ? Object.entries(m)
          .map(([k, n]) => `${k} × ${n}${INTENDED[k] ? ` (${INTENDED[k]})` : ''}`)
          .join('; ')
      : 'none';
  return [
    '',
    `## Load test (bench/load.ts), ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}; PostgreSQL ${r.postgres}, over loopback.`,
    `${r.clients} app clients writing picks, ${r.readers} readers, one completer (an event every 200 ms), one refresher`,
    `(\`call refresh.run_due()\` every second) and one in-process worker (concurrency 4, debounce 1 s) for ${r.seconds} s.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| picks written | ${r.picks} (${r.picksPerSecond}/s) |`,
    `| intended rejections | ${list(r.rejected)} |`,
    `| errors | ${Object.keys(r.errors).length ? list(r.errors) : '0'} |`,
    `| events completed and scored | ${r.completed} events, ${r.scored} pick scores; unscored picks on completed events: ${r.unscoredOnCompleted} |`,
    `| refresh passes (refresher) / runs audited | ${r.refreshPasses} / ${r.refreshRuns.success} success, ${r.refreshRuns.failed} failed, ${r.refreshRuns.skipped} skipped |`,
    `| reader latency (${r.reads} reads) | p50 ${f(r.readP50Ms)} ms, p99 ${f(r.readP99Ms)} ms, max ${f(r.readMaxMs)} ms |`,
    `| worker drained after the load | ${r.drainSeconds} s |`,
    `| stats vs recomputation (dq_model_stats_mismatch, incremental_vs_full) | ${r.statsMismatch}, ${r.incrementalVsFull} |`,
    '',
  ].join('\n');
}

/** Append (never rewrite) a section to bench/RESULTS.md. */
export async function appendResults(r: LoadResult, file = path.join(repoRoot, 'bench', 'RESULTS.md')): Promise<void> {
  await fs.appendFile(file, formatSection(r));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const num = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const opts: LoadOptions = {};
  if (num('--seconds') !== undefined) opts.seconds = num('--seconds');
  if (num('--clients') !== undefined) opts.clients = num('--clients');
  if (num('--readers') !== undefined) opts.readers = num('--readers');
  const result = await runLoad(opts, cliLogger('bench/load.ts'));
  console.log(JSON.stringify(result, null, 2));
  if (!args.includes('--no-write')) {
    await appendResults(result);
    process.stderr.write('appended to bench/RESULTS.md\n');
  }
  process.exit(loadClean(result) ? 0 : 1);
}
