// The load-and-fault soak: for N seconds, in a database of its own (created, migrated,
// dropped), completions, result corrections (core.correct_event_result), prediction deletes
// and feed re-loads (real football-data files through the ingest code) race a
// `scoreline worker` process that is SIGKILLed at random and restarted. Then the worker
// drains and every data-quality check must be 0: refresh.run_checks (all of them),
// "scores behind results" without its grace, the model statistics against a recomputation
// and incremental = full, and the scores and bet settlements against a re-scoring from
// scratch (every settled event re-scored and re-settled in a transaction rolled back).
// Prints the figures and appends them to bench/RESULTS.md.
//
//   node --import tsx bench/soak.ts [--seconds 60] [--events 300] [--no-write]
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connect, databaseUrl, withDatabase, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { feeds, loadFile } from '../src/ingest/load.ts';
import { cliLogger, silent, type Logger } from '../src/log.ts';
import { migrate } from '../src/migrate.ts';
import { burst, killWorker, machine, spawnWorker, waitFor, workersAlive, type WorkerProcess } from './fleet.ts';

export const FEED_FILES = [
  path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv'),
  path.join(repoRoot, 'test', 'fixtures', 'football-data', 'E1_2016-17.csv'),
];

/** Refusals that are the product working as specified, by SQLSTATE. */
export const SOAK_INTENDED: Record<string, string> = {
  SL005: 'a correction that changes nothing',
};

export const soakOptions = z.object({
  seconds: z.number().int().min(5).max(86_400).default(60),
  events: z.number().int().min(20).max(100_000).default(300),
  models: z.number().int().min(2).max(20).default(5),
  /** A SIGKILL every killMinMs..killMaxMs (uniform), then an immediate restart. */
  killMinMs: z.number().int().min(100).default(1_500),
  killMaxMs: z.number().int().min(100).default(6_000),
  seed: z.number().int().default(20261203),
  /** Server URL (default: DATABASE_URL or the embedded server); a database of its own is created on it. */
  url: z.string().optional(),
  /** A migrated, empty database to soak instead (the test's clone of its template): not created, migrated or dropped here. */
  database: z.string().optional(),
});
export type SoakOptions = z.input<typeof soakOptions>;

export interface SoakCheck {
  check: string;
  value: string;
  ok: boolean;
}

export interface SoakResult {
  /** The SECONDS asked for, and the time the load actually ran (the loops finish what they are doing). */
  requested: number;
  seconds: number;
  operations: Record<string, number>;
  rejected: Record<string, number>;
  errors: Record<string, number>;
  kills: number;
  killedMidJob: number;
  restarts: number;
  reconcilerQueued: number;
  drainSeconds: number;
  failedJobs: Record<string, number>;
  rowsPerLoad: Record<string, number[]>;
  checks: SoakCheck[];
  discrepancies: number;
  postgres: string;
  load: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Differences between the scores and bet settlements as they are and a re-scoring of every settled event from scratch (rolled back). */
export async function recomputationDiff(sql: Sql): Promise<{ scores: number; bets: number }> {
  let out = { scores: -1, bets: -1 };
  await sql
    .begin(async (tx) => {
      await tx`create temp table soak_scores on commit drop as
                 select prediction_id, outcome, points, rarity_share, staked, units, brier, log_loss, result_version from forecast.prediction_score`;
      await tx`create temp table soak_bets on commit drop as select bet_id, status, result, pnl, commission from trade.bet`;
      await tx`select forecast.score_event(event_id), trade.settle_bets(event_id)
                 from core.event where status in ('completed', 'abandoned', 'cancelled') or result_version > 0 order by event_id`;
      const [d] = await tx<{ scores: number; bets: number }[]>`
        select (select count(*)::int from (
                  (select * from soak_scores except all
                   select prediction_id, outcome, points, rarity_share, staked, units, brier, log_loss, result_version from forecast.prediction_score)
                  union all
                  (select prediction_id, outcome, points, rarity_share, staked, units, brier, log_loss, result_version from forecast.prediction_score
                   except all select * from soak_scores)) x) as scores,
               (select count(*)::int from (
                  (select * from soak_bets except all select bet_id, status, result, pnl, commission from trade.bet)
                  union all
                  (select bet_id, status, result, pnl, commission from trade.bet except all select * from soak_bets)) y) as bets`;
      out = d!;
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return out;
}

class Rollback extends Error {}

/** Every check after the drain: name, value, whether it is the healthy one. */
export async function finalChecks(sql: Sql): Promise<SoakCheck[]> {
  const checks: SoakCheck[] = [];
  const rows = await sql<{ check_name: string; value: string | null; passed: boolean; detail: string | null }[]>`
    select check_name, value::text, passed, detail from refresh.run_checks(null, null) order by check_name`;
  for (const r of rows) checks.push({ check: r.check_name, value: r.value ?? String(r.detail), ok: r.passed });
  const [d] = await sql<{ behind: string; owed: string; mismatch: string; incremental: string; bets: string }[]>`
    select forecast.dq_scores_behind_results(interval '0 seconds')::text as behind,
           (select count(*) from forecast.event_scoring where owed_since is not null)::text as owed,
           stats.dq_model_stats_mismatch(1000000)::text as mismatch,
           stats.dq_model_stats_incremental_vs_full()::text as incremental,
           trade.dq_bets_disagree_with_selections()::text as bets`;
  checks.push({ check: 'scores behind results, no grace (forecast.dq_scores_behind_results(0))', value: d!.behind, ok: d!.behind === '0' });
  checks.push({ check: 'events owed scoring (forecast.event_scoring.owed_since set)', value: d!.owed, ok: d!.owed === '0' });
  checks.push({
    check: 'model stats vs recomputation, every row (stats.dq_model_stats_mismatch)',
    value: d!.mismatch,
    ok: d!.mismatch === '0',
  });
  checks.push({
    check: 'model stats incremental = full (stats.dq_model_stats_incremental_vs_full)',
    value: d!.incremental,
    ok: d!.incremental === '0',
  });
  checks.push({ check: 'bets agree with selections (trade.dq_bets_disagree_with_selections)', value: d!.bets, ok: d!.bets === '0' });
  const diff = await recomputationDiff(sql);
  checks.push({ check: 'prediction scores = re-scoring from scratch (rows differing)', value: String(diff.scores), ok: diff.scores === 0 });
  checks.push({ check: 'bets settled = re-settlement from scratch (rows differing)', value: String(diff.bets), ok: diff.bets === 0 });
  return checks;
}

export async function runSoak(options: SoakOptions = {}, log: Logger = silent): Promise<SoakResult> {
  const o = soakOptions.parse(options);
  const name = `scoreline_soak_${randomBytes(4).toString('hex')}`;
  const admin = o.database ? undefined : connect(withDatabase(o.url ?? (await databaseUrl(log)), 'postgres'), { max: 1 });
  const url = o.database ?? withDatabase(o.url ?? (await databaseUrl(log)), name);
  let sql: Sql | undefined;
  let worker: WorkerProcess | undefined;
  try {
    if (admin) {
      await admin.unsafe(`create database ${name}`);
      log('info', `migrating ${name}`);
      await migrate(url);
    }
    sql = connect(url, { max: 8, onNotice: () => {} });
    const db = sql;
    const [pg] = await db<{ v: string }[]>`select current_setting('server_version') as v`;

    // The world: events with a match_result market, a prediction per model, a matched back bet on home.
    const b = await burst(db, 'soak', o.events, o.models);
    const [src] = await db<{ id: number }[]>`
      insert into market.source (code, name, kind, commission_rate) values ('soak_exchange', 'Soak exchange', 'exchange', 0.05) returning source_id::int as id`;
    const [strategy] = await db<{ id: number }[]>`
      insert into trade.strategy (name, version) values ('soak', '1') returning strategy_id as id`;
    await db`select trade.match_bet((trade.place_bet(${strategy!.id}, s.selection_id, ${src!.id}, case when m.event_id % 2 = 0 then 'back' else 'lay' end,
                                                     2.2, 10)).bet_id)
               from market.market m join market.selection s on s.market_id = m.market_id and s.code = 'home'
              where m.event_id = any (${b.events}::bigint[])`;

    // mulberry32: the low bits of a plain LCG repeat every few draws (two rand(4) in a row would
    // always give the same pair, and a correction would change nothing).
    let seed = o.seed >>> 0;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let x = seed;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
    };
    const operations: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    const errors: Record<string, number> = {};
    const bump = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);
    const fail = (who: string, err: unknown) => {
      const code = (err as { code?: string }).code ?? '';
      if (code in SOAK_INTENDED) bump(rejected, code);
      else bump(errors, `${who} ${code}: ${(err as Error).message.slice(0, 160)}`);
    };
    let stop = false;

    // The worker, SIGKILLed at random and restarted at once under the same name.
    let kills = 0;
    let killedMidJob = 0;
    let restarts = 0;
    worker = spawnWorker(url, 'soak-worker', { REFRESH_DEBOUNCE_SECONDS: '1', WORKER_CONCURRENCY: '2' });
    if (!(await waitFor(() => workersAlive(db, ['soak-worker']), 120, 200))) throw new Error('the worker did not start within 120 s');
    const killer = async () => {
      while (!stop) {
        await sleep(o.killMinMs + rand(Math.max(1, o.killMaxMs - o.killMinMs)));
        if (stop) break;
        const [busy] = await db<{ n: number }[]>`
          select count(*)::int as n from graphile_worker._private_jobs j join worker.heartbeat h on j.locked_by = any (h.worker_ids)
           where h.worker_id = 'soak-worker' and h.stopped_at is null`;
        await killWorker(worker!);
        kills += 1;
        if (busy!.n > 0) killedMidJob += 1;
        worker = spawnWorker(url, 'soak-worker', { REFRESH_DEBOUNCE_SECONDS: '1', WORKER_CONCURRENCY: '2' });
        restarts += 1;
      }
    };

    const pending = [...b.events];
    const completed: number[] = [];
    const completer = async () => {
      while (!stop && pending.length) {
        const id = pending.splice(rand(pending.length), 1)[0]!;
        try {
          await db`update core.event set status = 'completed', actual_start = now() - interval '2 hours',
                                         home_score = ${rand(4)}, away_score = ${rand(4)} where event_id = ${id}`;
          completed.push(id);
          bump(operations, 'completions');
        } catch (err) {
          fail('complete', err);
        }
        await sleep(Math.max(20, Math.floor((o.seconds * 1000) / o.events / 1.5)));
      }
    };
    const corrector = async () => {
      while (!stop) {
        if (completed.length) {
          const id = completed[rand(completed.length)]!;
          try {
            await db`select core.correct_event_result(${id}, 'completed', ${rand(4)}::smallint, ${rand(4)}::smallint, 'soak correction')`;
            bump(operations, 'corrections');
          } catch (err) {
            fail('correct', err);
          }
        }
        await sleep(40);
      }
    };
    const deleter = async () => {
      while (!stop) {
        if (completed.length) {
          const id = completed[rand(completed.length)]!;
          try {
            const rows = await db`
              delete from forecast.prediction where prediction_id = (
                select p.prediction_id from forecast.prediction p join market.market m on m.market_id = p.market_id
                 where m.event_id = ${id} order by p.prediction_id limit 1)
              returning prediction_id`;
            if (rows.length) bump(operations, 'prediction deletes');
          } catch (err) {
            fail('delete', err);
          }
        }
        await sleep(400);
      }
    };
    const rowsPerLoad: Record<string, number[]> = {};
    const feeder = async () => {
      let k = 0;
      while (!stop) {
        const file = FEED_FILES[k++ % FEED_FILES.length]!;
        try {
          const r = await loadFile(db, feeds.football_data!, file);
          if (r.status !== 'completed') bump(errors, `feed ${path.basename(file)}: batch ${r.status}: ${r.error}`);
          (rowsPerLoad[path.basename(file)] ??= []).push(r.inserted + r.updated + r.unchanged + r.rejected);
          bump(operations, 'feed re-loads');
        } catch (err) {
          fail('feed', err);
        }
      }
    };

    log(
      'info',
      `running ${o.seconds} s: completions, corrections, prediction deletes, feed re-loads, a worker SIGKILLed every ${o.killMinMs}-${o.killMaxMs} ms`,
    );
    const started = performance.now();
    const loops = [killer(), completer(), corrector(), deleter(), feeder()];
    await sleep(o.seconds * 1000);
    stop = true;
    await Promise.all(loops);
    const elapsed = (performance.now() - started) / 1000;

    // Drain: the (last) worker runs on; the reconciler's step queues what a lost job left owed,
    // as the every-minute cron and every refresh pass do.
    log('info', `draining: ${kills} kills so far`);
    const drainStart = performance.now();
    let reconcilerQueued = 0;
    let lastReconcile = 0;
    const drained = await waitFor(
      async () => {
        if (performance.now() - lastReconcile > 5000) {
          lastReconcile = performance.now();
          const [q] = await db<{ n: number }[]>`select worker.enqueue_owed() as n`;
          reconcilerQueued += q!.n;
        }
        const [r] = await db<{ owed: number; jobs: number }[]>`
          select (select count(*)::int from forecast.event_scoring where owed_since is not null) as owed,
                 (select count(*)::int from worker.job where task in ('score_event', 'refresh') and state <> 'failed') as jobs`;
        return r!.owed === 0 && r!.jobs === 0;
      },
      600,
      200,
    );
    const drainSeconds = (performance.now() - drainStart) / 1000;
    if (!drained) bump(errors, 'the worker did not drain within 600 s');
    await killWorker(worker, 'SIGTERM');
    worker = undefined;

    const failed = await db<{ task: string; n: number; last_error: string | null }[]>`
      select task, count(*)::int as n, max(last_error) as last_error from worker.failed_job group by task order by task`;
    const failedJobs = Object.fromEntries(failed.map((f) => [f.task, f.n]));
    const scoreFailed = failed.find((f) => f.task === 'score_event');
    if (scoreFailed) bump(errors, `${scoreFailed.n} score_event job(s) failed for good (${scoreFailed.last_error ?? 'no error recorded'})`);
    for (const [file, counts] of Object.entries(rowsPerLoad)) {
      if (new Set(counts).size > 1)
        bump(errors, `feed ${file}: the loads reported different row counts (${[...new Set(counts)].join(', ')})`);
    }
    const checks = await finalChecks(db);
    const discrepancies = checks.filter((c) => !c.ok).length + Object.keys(errors).length;
    return {
      requested: o.seconds,
      seconds: Math.round(elapsed * 10) / 10,
      operations,
      rejected,
      errors,
      kills,
      killedMidJob,
      restarts,
      reconcilerQueued,
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      failedJobs,
      rowsPerLoad,
      checks,
      discrepancies,
      postgres: pg!.v,
      load: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
    };
  } finally {
    if (worker) await killWorker(worker);
    await sql?.end({ timeout: 5 });
    if (admin) {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
}

export function formatSoak(r: SoakResult, when = new Date()): string {
  const list = (m: Record<string, number>) =>
    Object.keys(m).length
      ? Object.entries(m)
          .map(([k, n]) => `${k} × ${n}`)
          .join('; ')
      : 'none';
  return [
    '',
    `## Soak (bench/soak.ts, make soak SECONDS=${r.requested}), ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}; PostgreSQL ${r.postgres}; load average at the end ${r.load}.`,
    'Completions, result corrections, prediction deletes and football-data feed re-loads race one `scoreline worker`',
    '(WORKER_CONCURRENCY=2) that is SIGKILLed at random and restarted; then it drains and every check runs.',
    '',
    '| figure | value |',
    '|---|---|',
    `| seconds under load | ${r.seconds} |`,
    `| operations | ${list(r.operations)} |`,
    `| intended refusals | ${
      Object.keys(r.rejected).length
        ? Object.entries(r.rejected)
            .map(([k, n]) => `${k} × ${n} (${SOAK_INTENDED[k] ?? ''})`)
            .join('; ')
        : 'none'
    } |`,
    `| kills survived (SIGKILL, restart) | ${r.kills} (${r.killedMidJob} with a job locked), ${r.restarts} restarts |`,
    `| jobs the reconciler queued while draining | ${r.reconcilerQueued} |`,
    `| drain after the load | ${r.drainSeconds} s |`,
    `| jobs failed for good, by task | ${list(r.failedJobs)} |`,
    `| errors | ${Object.keys(r.errors).length ? list(r.errors) : '0'} |`,
    `| checks (${r.checks.length}) failing | ${
      r.checks
        .filter((c) => !c.ok)
        .map((c) => `${c.check} = ${c.value}`)
        .join('; ') || '0'
    } |`,
    `| **discrepancies** | **${r.discrepancies}** |`,
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const arg = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const opts: SoakOptions = {};
  if (arg('--seconds')) opts.seconds = Number(arg('--seconds'));
  if (arg('--events')) opts.events = Number(arg('--events'));
  const result = await runSoak(opts, cliLogger('bench/soak.ts'));
  const section = formatSoak(result);
  console.log(section);
  for (const c of result.checks) console.log(`${c.ok ? 'ok    ' : 'FAILED'} ${c.check}: ${c.value}`);
  if (!args.includes('--no-write')) {
    await fs.appendFile(path.join(repoRoot, 'bench', 'RESULTS.md'), section);
    process.stderr.write('appended to bench/RESULTS.md\n');
  }
  process.exit(result.discrepancies === 0 ? 0 : 1);
}
