// `make bench SCALE=100k|1m|10m` (node --import=tsx bench/run.ts --scale …): builds a benchmark database with the
// deterministic generator (bench/generate.sql), measures scoreline against its
// baselines in the same run, appends the figures to bench/RESULTS.md and saves the
// plans of the hot queries under bench/plans/<scale>/.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { connect, databaseUrl, withDatabase, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { cliLogger, makeLogger, type Logger } from '../src/log.ts';
import { migrate } from '../src/migrate.ts';
import { workerConfig } from '../src/worker/config.ts';
import { startWorker } from '../src/worker/runner.ts';
import { benchArchive, parseArchiveSpec } from './archive.ts';
import { benchIngest } from './ingest.ts';
import { appendResults as appendLoadResults, loadClean, pct, runLoad } from './load.ts';

const scales = {
  '100k': { events: 2_000, samplesFull: 20 },
  '1m': { events: 20_000, samplesFull: 10 },
  '10m': { events: 200_000, samplesFull: 3 },
} as const;
type Scale = keyof typeof scales;

const MODELS = 50;
const FRESHNESS_SAMPLES = 50;
const BURST = 1_000;

interface Figure {
  section: string;
  what: string;
  value: string;
  baseline: string;
  ratio: string;
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(a / b < 0.1 ? 4 : 2)}x` : 'n/a');

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

async function pendingEvents(sql: Sql, n: number): Promise<number[]> {
  const rows = await sql<{ event_id: number }[]>`
    select e.event_id::int from core.event e
     where e.external_id like 'bench\\_%' and e.external_id not like 'bench\\_big\\_%' and e.status = 'scheduled'
     order by e.event_id limit ${n}`;
  return rows.map((r) => r.event_id);
}

async function completeAndScore(sql: Sql, eventId: number, withRefresh: boolean): Promise<number> {
  const [t] = await timed(async () => {
    await sql.begin(async (tx) => {
      await tx`update core.event set status = 'completed', home_score = (event_id % 3)::smallint, away_score = 1 where event_id = ${eventId}`;
      await tx`select forecast.score_event(${eventId})`;
    });
    if (withRefresh) {
      await sql`refresh materialized view concurrently bench.mv_overall_full`;
      await sql`refresh materialized view concurrently bench.mv_competition_full`;
      await sql`refresh materialized view concurrently bench.mv_club_full`;
    }
  });
  return t;
}

const maintenanceTriggers = ['_100_model_stats_insert', '_100_model_stats_update', '_100_model_stats_delete'];
async function setMaintenance(sql: Sql, on: boolean): Promise<void> {
  for (const tg of maintenanceTriggers) {
    await sql.unsafe(`alter table forecast.prediction_score ${on ? 'enable' : 'disable'} trigger ${tg}`);
  }
}

async function readerLoad(
  url: string,
  seconds: number,
  query: (sql: Sql, model: number) => Promise<unknown>,
  models: number[],
): Promise<number[]> {
  const clients = 4;
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const sql = connect(url, { max: 1, applicationName: 'bench reader' });
      let i = c;
      try {
        while (Date.now() < deadline) {
          const model = models[i++ % models.length]!;
          const [t] = await timed(() => query(sql, model));
          latencies.push(t);
        }
      } finally {
        await sql.end();
      }
    }),
  );
  return latencies;
}

async function machine(sql: Sql): Promise<string> {
  const [v] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL ${v?.v}; load average at the end of the run ${load}`;
}

/** machine() on a connection of its own. */
async function machineOf(url: string): Promise<string> {
  const sql = connect(url, { max: 1 });
  try {
    return await machine(sql);
  } finally {
    await sql.end();
  }
}

export async function runBench(scale: Scale, log: Logger): Promise<Figure[]> {
  const { events, samplesFull } = scales[scale];
  const server = await databaseUrl(log);
  const dbName = `scoreline_bench_${scale}`;
  const admin = connect(withDatabase(server, 'postgres'), { max: 1 });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  const url = withDatabase(server, dbName);
  const figures: Figure[] = [];
  const sql = connect(url, { max: 4, applicationName: 'bench' });
  try {
    log('info', `${scale}: migrating ${dbName}`);
    await migrate(url);
    await sql.unsafe(await fs.readFile(path.join(repoRoot, 'bench', 'generate.sql'), 'utf8'));
    const pending = FRESHNESS_SAMPLES + samplesFull + 2 * BURST + 10;
    log('info', `${scale}: generating ${events} events x ${MODELS} models = ${events * MODELS} predictions`);
    const [genMs] = await timed(() => sql`call bench.generate(${events}, ${MODELS}, ${pending})`);
    await sql`vacuum analyze`;
    const [{ n: predictions } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from forecast.prediction`;
    log('info', `${scale}: ${predictions} predictions generated in ${(genMs / 1000).toFixed(1)} s`);
    const [firstRefresh] = await timed(async () => {
      await sql`refresh materialized view bench.mv_overall_full`;
      await sql`refresh materialized view bench.mv_competition_full`;
      await sql`refresh materialized view bench.mv_club_full`;
    });
    const models = (await sql<{ id: number }[]>`select forecaster_id::int as id from forecast.forecaster where kind = 'model'`).map(
      (r) => r.id,
    );

    // a. Freshness: completion -> every model-stats view current.
    const queue = await pendingEvents(sql, pending);
    const take = (n: number) => queue.splice(0, n);
    log('info', `${scale}: freshness, incremental (${FRESHNESS_SAMPLES} events)`);
    const inc: number[] = [];
    for (const id of take(FRESHNESS_SAMPLES)) inc.push(await completeAndScore(sql, id, false));
    log('info', `${scale}: freshness, full REFRESH CONCURRENTLY baseline (${samplesFull} events)`);
    await setMaintenance(sql, false);
    const full: number[] = [];
    for (const id of take(samplesFull)) full.push(await completeAndScore(sql, id, true));
    await setMaintenance(sql, true);
    await sql`select stats.rebuild_model_stats()`;
    figures.push(
      {
        section: 'a. freshness',
        what: 'completion -> views current, p50 (ms)',
        value: ms(pct(inc, 50)),
        baseline: ms(pct(full, 50)),
        ratio: ratio(pct(inc, 50), pct(full, 50)),
      },
      {
        section: 'a. freshness',
        what: 'completion -> views current, p99 (ms)',
        value: ms(pct(inc, 99)),
        baseline: ms(pct(full, 99)),
        ratio: ratio(pct(inc, 99), pct(full, 99)),
      },
      {
        section: 'a. freshness',
        what: 'samples (incremental / full)',
        value: String(inc.length),
        baseline: String(full.length),
        ratio: '',
      },
    );

    // b. Reader latency while scoring and refreshes run.
    log('info', `${scale}: reader latency, idle then under load`);
    const lookup = (s: Sql, m: number) => s`select * from stats.mv_model_stats_overall where model_id = ${m}`;
    const lookupFull = (s: Sql, m: number) => s`select * from bench.mv_overall_full where model_id = ${m}`;
    const idle = await readerLoad(url, 5, lookup, models);
    let loadRunning = true;
    const writer = (async () => {
      const w = connect(url, { max: 1, applicationName: 'bench writer' });
      const ids = take(10);
      try {
        for (const id of ids) {
          if (!loadRunning) break;
          await completeAndScore(w, id, false);
        }
        while (loadRunning) await w`refresh materialized view concurrently bench.mv_overall_full`;
      } finally {
        await w.end();
      }
    })();
    const refresher = (async () => {
      const r = connect(url, { max: 1, applicationName: 'bench refresher' });
      try {
        while (loadRunning) await r`refresh materialized view concurrently bench.mv_club_full`;
      } finally {
        await r.end();
      }
    })();
    const loaded = await readerLoad(url, 10, lookup, models);
    const loadedFull = await readerLoad(url, 5, lookupFull, models);
    loadRunning = false;
    await Promise.all([writer, refresher]);
    for (const p of [50, 99]) {
      figures.push({
        section: 'b. reader latency',
        what: `stats lookup by model under load, p${p} (ms)`,
        value: ms(pct(loaded, p)),
        baseline: ms(pct(idle, p)),
        ratio: ratio(pct(loaded, p), pct(idle, p)),
      });
    }
    figures.push({
      section: 'b. reader latency',
      what: 'stats lookup by model under load, max (ms)',
      value: ms(Math.max(...loaded)),
      baseline: ms(Math.max(...idle)),
      ratio: ratio(Math.max(...loaded), Math.max(...idle)),
    });
    figures.push({
      section: 'b. reader latency',
      what: 'same lookup on the full-refresh mview under load, p99 (ms)',
      value: ms(pct(loadedFull, 99)),
      baseline: ms(pct(idle, 99)),
      ratio: ratio(pct(loadedFull, 99), pct(idle, 99)),
    });
    figures.push({
      section: 'b. reader latency',
      what: 'lookups measured (under load / idle)',
      value: String(loaded.length),
      baseline: String(idle.length),
      ratio: '',
    });

    // c. Scoring time per event by predictions per event (user picks), with and without the maintenance.
    for (const size of [1_000, 10_000, 100_000]) {
      if (size > predictions) continue;
      log('info', `${scale}: scoring one event with ${size} predictions`);
      await sql`call bench.big_event(${`${size}_inc`}, ${size}, true)`;
      await sql`call bench.big_event(${`${size}_base`}, ${size}, true)`;
      await sql`analyze forecast.prediction`;
      const [a] = await sql<{ id: number }[]>`select event_id::int as id from core.event where external_id = ${`bench_big_${size}_inc`}`;
      const [b] = await sql<{ id: number }[]>`select event_id::int as id from core.event where external_id = ${`bench_big_${size}_base`}`;
      const withMaint = await completeAndScore(sql, a!.id, false);
      await setMaintenance(sql, false);
      const without = await completeAndScore(sql, b!.id, false);
      await setMaintenance(sql, true);
      figures.push({
        section: 'c. scoring',
        what: `score one event of ${size} predictions (ms), with maintenance vs without`,
        value: ms(withMaint),
        baseline: ms(without),
        ratio: ratio(withMaint, without),
      });
    }
    await sql`select stats.rebuild_model_stats()`;

    // d. Burst: 1,000 events completed at once, one worker process.
    const burst = async (ids: number[], incremental: boolean): Promise<number> => {
      if (!incremental) await setMaintenance(sql, false);
      const config = workerConfig({ REFRESH_DEBOUNCE_SECONDS: '0', POLL_INTERVAL_MS: '200', WORKER_CONCURRENCY: '4' });
      const t0 = performance.now();
      await sql`update core.event set status = 'completed', home_score = 1, away_score = 0 where event_id = any(${ids}::bigint[])`;
      const worker = await startWorker({ url, config, log: makeLogger('error', {}, () => {}), http: false });
      for (;;) {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from worker.job where task = 'score_event'`;
        if (row?.n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!incremental) {
        await sql`refresh materialized view concurrently bench.mv_overall_full`;
        await sql`refresh materialized view concurrently bench.mv_competition_full`;
        await sql`refresh materialized view concurrently bench.mv_club_full`;
      }
      const t = performance.now() - t0;
      await worker.stop('bench burst done');
      await sql`delete from graphile_worker._private_jobs`;
      if (!incremental) await setMaintenance(sql, true);
      return t;
    };
    log('info', `${scale}: burst of ${BURST} completions, incremental`);
    const burstInc = await burst(take(BURST), true);
    log('info', `${scale}: burst of ${BURST} completions, full-refresh baseline`);
    const burstFull = await burst(take(BURST), false);
    await sql`select stats.rebuild_model_stats()`;
    figures.push({
      section: 'd. burst',
      what: `${BURST} events completed at once -> all scored and views current (s)`,
      value: (burstInc / 1000).toFixed(1),
      baseline: (burstFull / 1000).toFixed(1),
      ratio: ratio(burstInc, burstFull),
    });

    // f. Write overhead: prediction inserts/s through the normal path (guard and
    // stats-maintenance triggers) against the same inserts with the maintenance triggers off.
    log('info', `${scale}: write overhead`);
    const WRITES = 20_000;
    const insertPicks = async (label: string): Promise<number> => {
      await sql`call bench.big_event(${label}, ${WRITES}, false)`;
      const [t] = await timed(
        () => sql`
        insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability)
        select f.forecaster_id, s.selection_id, 2.5, 1, 0.4
          from (select forecaster_id from forecast.forecaster where handle like 'bench\\_u%' order by forecaster_id limit ${WRITES}) f
          join core.event e on e.external_id = ${`bench_big_${label}`}
          join market.market m on m.event_id = e.event_id
          join market.selection s on s.market_id = m.market_id and s.code = 'home'`,
      );
      return WRITES / (t / 1000);
    };
    const statsTriggers = (
      await sql<{ tgname: string }[]>`
      select tgname from pg_trigger where tgrelid = 'forecast.prediction'::regclass and not tgisinternal and tgname like '_300_%'`
    ).map((r) => r.tgname);
    const withMaint = await insertPicks('writes_on');
    for (const tg of statsTriggers) await sql.unsafe(`alter table forecast.prediction disable trigger ${tg}`);
    const withoutMaint = await insertPicks('writes_off');
    for (const tg of statsTriggers) await sql.unsafe(`alter table forecast.prediction enable trigger ${tg}`);
    figures.push({
      section: 'f. write overhead',
      what: `prediction inserts/s (${WRITES} picks, one statement), maintenance on vs off`,
      value: withMaint.toFixed(0),
      baseline: withoutMaint.toFixed(0),
      ratio: ratio(withMaint, withoutMaint),
    });

    // e. Ingest: odds snapshots through the COPY path against raw COPY into an unindexed twin, and each feed.
    log('info', `${scale}: ingest`);
    for (const f of await benchIngest(url, 200_000)) figures.push({ ...f, section: 'e. ingest' });

    figures.push({
      section: 'meta',
      what: 'generation time (s) / first full REFRESH of the three baseline views (s)',
      value: (genMs / 1000).toFixed(1),
      baseline: (firstRefresh / 1000).toFixed(1),
      ratio: '',
    });

    // Plans of the hot queries at this scale.
    const planDir = path.join(repoRoot, 'bench', 'plans', scale);
    await fs.mkdir(planDir, { recursive: true });
    const hot: Record<string, string> = {
      'overall-by-model': `select * from stats.mv_model_stats_overall where model_id = ${models[0]}`,
      'competition-by-model': `select * from stats.mv_model_stats_competition where model_id = ${models[0]}`,
      'club-by-club': `select * from stats.mv_model_stats_club where club_id = (select team_id from core.team where code = 'B1')`,
      'full-mview-by-model': `select * from bench.mv_overall_full where model_id = ${models[0]}`,
    };
    for (const [name, q] of Object.entries(hot)) {
      const rows = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${q}`);
      await fs.writeFile(path.join(planDir, `${name}.txt`), `-- ${q}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
    }

    await appendResults(scale, predictions, await machine(sql), figures);
    return figures;
  } finally {
    await sql.end();
    if (!process.env.BENCH_KEEP) await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

async function appendResults(scale: string, predictions: number, machineLine: string, figures: Figure[]): Promise<void> {
  const file = path.join(repoRoot, 'bench', 'RESULTS.md');
  const lines = [
    '',
    `## ${scale}${predictions ? `: ${predictions.toLocaleString('en-US')} predictions` : ''} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machineLine}.`,
    '',
    '| section | figure | scoreline | baseline | ratio |',
    '|---|---|---:|---:|---:|',
    ...figures.map((f) => `| ${f.section} | ${f.what} | ${f.value} | ${f.baseline} | ${f.ratio} |`),
    '',
  ];
  await fs.appendFile(file, lines.join('\n'));
}

/** `make bench` runs this file directly (node --import=tsx bench/run.ts): the shipped CLI does not carry the benchmarks. */
export function benchCommand(log: Logger): Command {
  return new Command('bench')
    .description('run the benchmarks at a scale (100k, 1m, 10m predictions) and append the figures to bench/RESULTS.md')
    .option('--scale <scale>', 'one of 100k, 1m, 10m, or a comma-separated list', '100k')
    .option('--load-seconds <n>', 'then the load test (bench/load.ts) for this many seconds; 0 skips it', '30')
    .option(
      '--archive <seasons,divisions,players>',
      'also the archive-scale ingest bench (bench/archive.ts), e.g. 30,5,120000 (default: the ARCHIVE environment variable; unset: not run)',
      process.env.ARCHIVE,
    )
    .action(async (opts: { scale: string; loadSeconds: string; archive?: string }) => {
      const loadSeconds = Number(opts.loadSeconds);
      if (!Number.isInteger(loadSeconds) || loadSeconds < 0 || loadSeconds > 3600)
        throw new Error(`--load-seconds ${opts.loadSeconds}: a whole number of seconds from 0 to 3600`);
      const archive = opts.archive ? parseArchiveSpec(opts.archive) : null;
      // --scale none: only the archive (and the load test, unless --load-seconds 0)
      const list = opts.scale.trim().toLowerCase() === 'none' ? [] : opts.scale.split(',').map((x) => x.trim().toLowerCase());
      for (const s of list) if (!(s in scales)) throw new Error(`unknown scale ${s}: use 100k, 1m, 10m or none`);
      if (archive) {
        const url = await databaseUrl();
        const t0 = performance.now();
        const figures = await benchArchive(url, archive, (m) => log('info', m));
        const minutes = ((performance.now() - t0) / 60000).toFixed(1);
        const spec = `${archive.seasons} seasons x ${archive.divisions} divisions, ${archive.players.toLocaleString('en-US')} players`;
        await appendResults(`archive ${spec}`, 0, `${await machineOf(url)}; the archive bench took ${minutes} min`, figures);
        for (const f of figures) console.log(`archive\t${f.section}\t${f.what}\t${f.value}\t${f.baseline}\t${f.ratio}`);
      }
      for (const s of list) {
        const figures = await runBench(s as Scale, log);
        for (const f of figures) console.log(`${s}\t${f.section}\t${f.what}\t${f.value}\t${f.baseline}\t${f.ratio}`);
      }
      if (loadSeconds > 0) {
        const result = await runLoad({ seconds: loadSeconds }, log);
        await appendLoadResults(result);
        log('info', 'load test appended to bench/RESULTS.md');
        if (!loadClean(result)) throw new Error(`the load test found errors: ${JSON.stringify(result.errors)}`);
      }
    });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = cliLogger('scoreline bench');
  await benchCommand(log)
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      const e = err as Error & { code?: string };
      log('error', e.message, { sqlstate: e.code && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined });
      process.exit(1);
    });
}
