// A read replica: PostgreSQL 15 (Debian's binaries) primary and a streaming-replication hot
// standby made by pg_basebackup, both created by the test in a temporary folder on free ports.
// scoreline is migrated on the primary; a completion scored there is visible on the standby
// after replay, with no refresh (the model statistics are plain views over tables maintained
// in the scoring transaction). Readers work on the standby: the reader role, the stats
// lookups, refresh.status, the status page, `scoreline status`, `dag`, `refresh --dry-run`.
// Every command that writes, pointed at the standby, fails at once with SL130 and exit code 2.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { connect, requirePrimary, StandbyError } from '../../src/db.ts';
import { repoRoot } from '../../src/embedded.ts';
import { migrate } from '../../src/migrate.ts';
import { loadStatus } from '../../src/status/data.ts';
import { renderStatusPage } from '../../src/status/html.ts';
import { eventually, games, league, models, predict } from '../helpers/fixtures.ts';
import { asRole } from '../helpers/roles.ts';
import { scaleToolsMissing, serviceDir, startPrimary, startStandby } from '../helpers/scale.ts';

// without PostgreSQL 15's binaries or PgBouncer the tests are skipped, saying what is missing
const skip = scaleToolsMissing() ?? false;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], url: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'bin', 'scoreline'), args, {
      env: { ...process.env, DATABASE_URL: url, HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('a hot standby serves the readers, current after replay; write commands refuse it with SL130', { skip }, async (t) => {
  const root = await serviceDir(t, 'replica');
  const primary = await startPrimary(t, root);
  await migrate(primary.url('scoreline'));
  const standby = await startStandby(t, root, primary);

  const p = connect(primary.url('scoreline'), { max: 2 });
  const s = connect(standby.url('scoreline'), { max: 2 });
  t.teardown(async () => {
    await p.end({ timeout: 5 });
    await s.end({ timeout: 5 });
  });

  const [rec] = await s<{ standby: boolean }[]>`select pg_is_in_recovery() as standby`;
  t.equal(rec!.standby, true, 'the standby is in recovery');
  const streaming = await eventually(async () => {
    const [r] = await p<{ n: number }[]>`select count(*)::int as n from pg_stat_replication where state = 'streaming'`;
    return r!.n === 1;
  }, 60);
  t.ok(streaming, 'the primary streams to it (pg_stat_replication)');
  await requirePrimary(p);
  t.pass('requirePrimary accepts the primary');
  await t.rejects(requirePrimary(s), StandbyError, 'requirePrimary refuses the standby');

  // an event loaded and completed on the primary, scored there
  const lg = await league(p, { code: 'rep', teams: 4 });
  const [g] = await games(p, lg, 1);
  const [home, away] = await models(p, ['rep_home', 'rep_away']);
  await predict(p, home!, g!.home, 2, 1);
  await predict(p, away!, g!.away, 3, 2);
  await p`update core.event set status = 'completed', home_score = 2, away_score = 0 where event_id = ${g!.event_id}`;
  await p`select forecast.score_event(${g!.event_id})`;

  const overall = (sql: typeof s) =>
    sql<{ model_id: number; total_matches: number; win_count: number; total_units: number }[]>`
      select model_id::int, total_matches, win_count, total_units::float8 as total_units
        from stats.mv_model_stats_overall where model_id = any(${[home!, away!]}::bigint[]) order by model_id`;
  const onPrimary = await overall(p);
  t.equal(onPrimary.length, 2, 'the primary shows both models scored');
  const replayed = await eventually(async () => JSON.stringify(await overall(s)) === JSON.stringify(onPrimary), 60, 50);
  t.ok(replayed, 'the standby shows the same scores after replay, with no refresh of its own');
  t.same(
    (await overall(s)).map((r) => [r.model_id, r.total_matches, r.win_count, r.total_units]),
    [
      [home, 1, 1, 1],
      [away, 1, 0, -2],
    ],
    'home won 1 unit at 2.0, away lost its stake of 2',
  );

  // the reader role and the stats lookups, on the standby
  const asReader = await asRole(
    s,
    'reader',
    (tx) => tx<{ model_id: number; matches: number }[]>`
      select model_id::int, total_matches as matches from stats.mv_model_stats_competition
       where model_id = ${home!} and competition_id = ${lg.competitionId}`,
  );
  t.same(asReader, [{ model_id: home, matches: 1 }], 'the reader role looks a model up by competition on the standby');
  const club = await asRole(
    s,
    'reader',
    (tx) => tx<{ n: number }[]>`select count(*)::int as n from stats.mv_model_stats_club where model_id = ${home!}`,
  );
  t.ok(club[0]!.n >= 1, 'and by club');
  const current = await s<{ n: number }[]>`
    select count(*)::int as n from stats.model_stats_competition_current where model_id = any(${[home!, away!]}::bigint[])`;
  t.equal(current[0]!.n, 2, 'the current-season view too');
  const scores = await s<{ n: number }[]>`
    select count(*)::int as n from forecast.prediction_score s join forecast.prediction p using (prediction_id)
     where p.selection_id in (${g!.home}, ${g!.away})`;
  t.equal(scores[0]!.n, 2, 'the prediction scores are on the standby');

  // refresh.status and the status page's queries
  const status = await s<{ n: number }[]>`select count(*)::int as n from refresh.status`;
  t.ok(status[0]!.n > 0, 'refresh.status reads on the standby');
  const data = await loadStatus(s);
  t.ok(data.objects.length > 0, 'the status page’s queries run on the standby');
  t.match(renderStatusPage(data), /rep_home/, 'and its page shows the model scored on the primary');
  const [ro] = await s<{ ro: string }[]>`select current_setting('transaction_read_only') as ro`;
  t.equal(ro!.ro, 'on', 'in read-only transactions');

  // the commands, pointed at the standby
  const surl = standby.url('scoreline');
  const readers = await Promise.all([cli(['status'], surl), cli(['dag'], surl), cli(['refresh', '--dry-run'], surl)]);
  for (const [i, name] of ['status', 'dag', 'refresh --dry-run'].entries()) {
    t.equal(readers[i]!.code, 0, `scoreline ${name} works on the standby`, { stderr: readers[i]!.stderr });
  }
  const writers: string[][] = [
    ['migrate'],
    ['worker', '--no-http'],
    ['worker', '--no-http', '--no-migrate'],
    ['ingest', 'football_data', path.join(repoRoot, 'data', 'epl_2019_20_results_odds.csv')],
    ['ingest-map-code', 'football_data', 'D1', 'bundesliga'],
    ['ingest-sync'],
    ['refresh'],
    ['docs', '--check'],
    ['demo'],
  ];
  const refused = await Promise.all(writers.map((args) => cli(args, surl)));
  for (const [i, args] of writers.entries()) {
    const r = refused[i]!;
    const name = args.map((a) => (a.startsWith('/') ? path.basename(a) : a)).join(' ');
    t.equal(r.code, 2, `scoreline ${name} exits 2 on the standby`, { stderr: r.stderr });
    t.match(
      r.stderr,
      /^scoreline: SL130 this server is a standby: point DATABASE_URL at the primary/m,
      `scoreline ${name} says: SL130 this server is a standby: point DATABASE_URL at the primary`,
    );
  }
  const [beats] = await p<{ n: number }[]>`select count(*)::int as n from worker.heartbeat`;
  t.equal(beats!.n, 0, 'no worker started anywhere');
});
