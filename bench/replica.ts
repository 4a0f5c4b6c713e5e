// `make bench-replica` (node --import=tsx bench/replica.ts [--samples 50] [--load-seconds 40]):
// how fresh a read replica is. Creates a PostgreSQL 15 primary and a streaming hot standby
// (test/helpers/scale.ts: initdb, pg_basebackup -R, free ports, a temporary folder, removed at
// the end), migrates the primary, then measures, in the same run:
//
// - the baseline, the primary's own freshness: an event completed and scored in one
//   transaction, from its start until the commit returns — the views are current at commit;
// - completion on the primary -> the same view current on the standby (polled as fast as the
//   standby answers), idle, then under the load test (bench/load.ts's runLoad in a database
//   of its own on the primary: app clients writing picks, a completer, a refresher, a worker);
// - the replay lag under that load: pg_stat_replication's replay_lag and the bytes of WAL
//   not yet replayed, sampled every 100 ms on the primary.
//
// Appends a section to bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { connect, type Sql } from '../src/db.ts';
import { repoRoot } from '../src/embedded.ts';
import { cliLogger } from '../src/log.ts';
import { migrate } from '../src/migrate.ts';
import { serviceDir, startPrimary, startStandby, type Teardown } from '../test/helpers/scale.ts';
import { pct, runLoad, type LoadResult } from './load.ts';

const log = cliLogger('bench/replica.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (v: number) => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));

interface Sample {
  primaryMs: number; // transaction start -> commit returned (views current on the primary)
  standbyMs: number; // transaction start -> view current on the standby
}

/** A league of `events` scheduled games, `models` models each predicting every game's home side. */
async function setup(sql: Sql, events: number, models: number): Promise<{ events: number[]; model: number }> {
  await sql.unsafe(`
    insert into core.sport (code, name) values ('rb_sport', 'Replica bench');
    insert into core.competition (sport_id, code, name) select sport_id, 'rb', 'Replica bench league' from core.sport where code = 'rb_sport';
    insert into core.season (competition_id, label, is_current) select competition_id, '2026', true from core.competition where code = 'rb';
    insert into core.week (season_id, week_number, label) select season_id, 1, 'Week 1' from core.season s join core.competition c using (competition_id) where c.code = 'rb';
    insert into core.team (sport_id, code, name) select sport_id, 'RB_T' || n, 'Team ' || n from core.sport, generate_series(1, 20) n where code = 'rb_sport';
  `);
  const evs = await sql<{ event_id: number }[]>`
    with s as (select season_id, competition_id from core.season join core.competition using (competition_id) where code = 'rb'),
         t as (select array_agg(team_id order by team_id) as ids from core.team where code like 'RB\\_T%')
    insert into core.event (external_id, kind, competition_id, season_id, week_number, scheduled_start, home_team_id, away_team_id)
    select 'rb_' || n, 'game', s.competition_id, s.season_id, 1, now() + interval '1 day', t.ids[1 + (2 * n) % 20], t.ids[1 + (2 * n + 1) % 20]
      from s, t, generate_series(1, ${events}) n
    returning event_id::int`;
  await sql`insert into market.market (event_id, market_type) select unnest(${evs.map((e) => e.event_id)}::bigint[]), 'match_result'`;
  await sql`
    insert into market.selection (market_id, code, label, team_id)
    select m.market_id, v.code, v.label, case v.code when 'home' then e.home_team_id when 'away' then e.away_team_id end
      from market.market m join core.event e using (event_id)
     cross join (values ('home', 'Home'), ('draw', 'Draw'), ('away', 'Away')) v(code, label)
     where e.external_id like 'rb\\_%'`;
  const ms = await sql<{ id: number }[]>`
    insert into forecast.forecaster (kind, name, version, model_type)
    select 'model', 'rb_model_' || n, '1', 'bench' from generate_series(1, ${models}) n returning forecaster_id::int as id`;
  await sql`
    insert into forecast.prediction (forecaster_id, selection_id, odds, stake, probability)
    select f.id, s.selection_id, 2.0 + (f.id % 5) / 10.0, 1, 0.45
      from unnest(${ms.map((m) => m.id)}::bigint[]) f(id)
      join market.selection s on s.code = case when f.id % 2 = 0 then 'home' else 'away' end
      join market.market m using (market_id) join core.event e using (event_id)
     where e.external_id like 'rb\\_%'`;
  return { events: evs.map((e) => e.event_id), model: ms[0]!.id };
}

async function matches(sql: Sql, model: number): Promise<number> {
  const [r] = await sql<
    { n: number }[]
  >`select coalesce(max(total_matches), 0)::int as n from stats.mv_model_stats_overall where model_id = ${model}`;
  return r!.n;
}

/** Complete and score one event on the primary; poll the standby until the view counts it. */
async function sample(p: Sql, s: Sql, eventId: number, model: number, expected: number): Promise<Sample> {
  const t0 = performance.now();
  await p.begin(async (tx) => {
    await tx`update core.event set status = 'completed', home_score = (event_id % 3)::smallint, away_score = 1 where event_id = ${eventId}`;
    await tx`select forecast.score_event(${eventId})`;
  });
  const t1 = performance.now();
  const deadline = t1 + 60_000;
  while ((await matches(s, model)) < expected) {
    if (performance.now() > deadline) throw new Error(`the standby did not show event ${eventId} within 60 s`);
  }
  return { primaryMs: t1 - t0, standbyMs: performance.now() - t0 };
}

function machine(): string {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    /* not a checkout */
  }
  const load = os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, commit ${commit}; load average at the end ${load}`;
}

async function main(): Promise<void> {
  const program = new Command('bench/replica.ts')
    .option('--samples <n>', 'completions measured idle', '50')
    .option('--load-seconds <n>', 'how long the load test runs', '40')
    .parse(process.argv);
  const opts = program.opts<{ samples: string; loadSeconds: string }>();
  const idleSamples = Number(opts.samples);
  const loadSeconds = Number(opts.loadSeconds);

  const steps: (() => unknown)[] = [];
  const td: Teardown = { teardown: (fn) => steps.push(fn) };
  try {
    const root = await serviceDir(td, 'bench-replica');
    log('info', 'creating a PostgreSQL 15 primary');
    const primary = await startPrimary(td, root);
    log('info', 'migrating it');
    await migrate(primary.url('scoreline'));
    log('info', 'creating the standby (pg_basebackup)');
    const standby = await startStandby(td, root, primary);
    const p = connect(primary.url('scoreline'), { max: 4 });
    const s = connect(standby.url('scoreline'), { max: 2 });
    td.teardown(() => Promise.all([p.end({ timeout: 5 }), s.end({ timeout: 5 })]));
    const [ver] = await p<{ v: string }[]>`select current_setting('server_version') as v`;

    const total = idleSamples + 400;
    const { events, model } = await setup(p, total, 20);
    let done = 0;
    // wait until the standby has replayed the setup
    while ((await s<{ n: number }[]>`select count(*)::int as n from core.event where external_id like 'rb\\_%'`)[0]!.n < total)
      await sleep(50);

    log('info', `${idleSamples} completions, idle`);
    const idle: Sample[] = [];
    for (let i = 0; i < idleSamples; i++) {
      idle.push(await sample(p, s, events[done]!, model, done + 1));
      done++;
      await sleep(20);
    }

    log('info', `the load test on the primary for ${loadSeconds} s (bench/load.ts, a database of its own)`);
    let load: LoadResult | undefined;
    const loadRun = runLoad({ url: primary.url('postgres'), seconds: loadSeconds }).then((r) => (load = r));
    // it migrates its database first: measure once its worker runs
    for (;;) {
      const [r] = await p<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname like 'scoreline\\_load\\_%' and application_name = 'scoreline worker'`;
      if (r!.n > 0) break;
      if (load) throw new Error('the load test ended before its worker started');
      await sleep(100);
    }
    const loaded: Sample[] = [];
    const lagMs: number[] = [];
    const lagBytes: number[] = [];
    const until = performance.now() + (loadSeconds - 5) * 1000;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [r] = await p<{ ms: number | null; bytes: number | null }[]>`
          select extract(epoch from replay_lag) * 1000 as ms, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 as bytes
            from pg_stat_replication limit 1`;
        if (r?.ms != null) lagMs.push(Number(r.ms));
        if (r?.bytes != null) lagBytes.push(Number(r.bytes));
        await sleep(100);
      }
    })();
    while (performance.now() < until && done < total) {
      loaded.push(await sample(p, s, events[done]!, model, done + 1));
      done++;
      await sleep(100);
    }
    sampling = false;
    await sampler;
    await loadRun;

    const q = (xs: number[], k: number) => pct(xs, k);
    const pr = (xs: Sample[]) => xs.map((x) => x.primaryMs);
    const sb = (xs: Sample[]) => xs.map((x) => x.standbyMs);
    const gap = (xs: Sample[]) => xs.map((x) => x.standbyMs - x.primaryMs);
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
    const row = (what: string, v: number, b: number) => `| ${what} | ${f(v)} | ${f(b)} | ${ratio(v, b)} |`;
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const section = [
      '',
      `## Read replica (bench/replica.ts), ${when} UTC`,
      '',
      `Machine: ${machine()}. PostgreSQL ${ver!.v} primary and streaming hot standby (pg_basebackup -R, asynchronous,`,
      '`hot_standby_feedback = on`) on the same machine, over loopback. One event (20 models predicting it) completed and',
      'scored per transaction on the primary; the standby polled back to back until `stats.mv_model_stats_overall` counts it.',
      `Baseline: the primary's own freshness in the same run (its views are current when the commit returns). Under load:`,
      `bench/load.ts on the primary in a database of its own (${load?.clients} app clients writing picks — ${load?.picksPerSecond}/s —,`,
      `a completer, a refresher, a worker), ${load?.seconds} s.`,
      '',
      '| figure | standby | baseline: primary | ratio |',
      '|---|---:|---:|---:|',
      row('idle: completion -> view current, p50 (ms)', q(sb(idle), 50), q(pr(idle), 50)),
      row('idle: completion -> view current, p99 (ms)', q(sb(idle), 99), q(pr(idle), 99)),
      row('under load: completion -> view current, p50 (ms)', q(sb(loaded), 50), q(pr(loaded), 50)),
      row('under load: completion -> view current, p99 (ms)', q(sb(loaded), 99), q(pr(loaded), 99)),
      row('under load: completion -> view current, max (ms)', Math.max(...sb(loaded)), Math.max(...pr(loaded))),
      `| commit returned -> view current on the standby (replay), p50 / p99 (ms): idle; under load | ${f(q(gap(idle), 50))} / ${f(q(gap(idle), 99))}; ${f(q(gap(loaded), 50))} / ${f(q(gap(loaded), 99))} | | |`,
      `| samples (idle / under load) | ${idle.length} / ${loaded.length} | | |`,
      `| under load: replay_lag (pg_stat_replication), p50 / p99 / max (ms) | ${f(q(lagMs, 50))} / ${f(q(lagMs, 99))} / ${f(Math.max(...lagMs))} | | |`,
      `| under load: WAL not yet replayed, p50 / p99 / max (kB) | ${f(q(lagBytes, 50) / 1024)} / ${f(q(lagBytes, 99) / 1024)} / ${f(Math.max(...lagBytes) / 1024)} | | |`,
      `| lag samples (every 100 ms) | ${lagMs.length} | | |`,
      '',
    ].join('\n');
    await fs.appendFile(path.join(repoRoot, 'bench', 'RESULTS.md'), section);
    console.log(section);
  } finally {
    for (const step of steps.reverse()) await Promise.resolve(step()).catch((err: Error) => log('warn', `cleanup: ${err.message}`));
  }
}

await main();
