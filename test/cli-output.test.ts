// What a DBA sees from the CLI: one output rule (a table on a terminal, JSON lines otherwise,
// --format or SCORELINE_FORMAT to choose; stdout and stderr never say the same thing), and
// `refresh --object` answering for every object a DBA may name (plain views included), with
// `dag` showing the views after what they read. The CLI runs as a child process, on a pipe
// and on a pseudo-terminal (util-linux `script`).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { jsonLines, makeOutput, outputFormat, tableText } from '../src/output.ts';
import { testDb } from './helpers/db.ts';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'bin', 'scoreline');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
async function scoreline(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  try {
    const r = await run(cli, args, { env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The CLI on a pseudo-terminal: `script` gives it a tty for stdin, stdout and stderr. */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await run('script', ['-qec', command, '/dev/null'], { env });
  return r.stdout.replace(/\r\n/g, '\n');
}

const jsonRows = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('the output rule: the flag, then SCORELINE_FORMAT, then the terminal test', async (t) => {
  t.equal(outputFormat(undefined, {}, true), 'table', 'a terminal gets a table');
  t.equal(outputFormat(undefined, {}, false), 'json', 'a pipe or a file gets JSON lines');
  t.equal(outputFormat(undefined, { SCORELINE_FORMAT: 'table' }, false), 'table');
  t.equal(outputFormat('json', { SCORELINE_FORMAT: 'table' }, true), 'json', 'the flag wins');
  t.throws(() => outputFormat('xml', {}, true), { name: 'ConfigError', message: /--format xml: must be one of table, json/ });
  t.throws(() => outputFormat(undefined, { SCORELINE_FORMAT: 'csv' }, true), { message: /SCORELINE_FORMAT csv/ });

  const rows = [
    { object: 'stats.a', rows: 12, note: null },
    { object: 'stats.bb', rows: 3, note: 'x' },
  ];
  t.equal(tableText(rows), 'object    rows  note\nstats.a     12\nstats.bb     3  x', 'aligned, numbers to the right');
  t.equal(jsonLines(rows), '{"object":"stats.a","rows":12,"note":null}\n{"object":"stats.bb","rows":3,"note":"x"}');
  let written = '';
  makeOutput('json', (s) => (written += s)).rows([], { empty: 'nothing' });
  t.equal(written, '', 'no rows in JSON: no lines');
  makeOutput('table', (s) => (written += s)).rows([], { empty: 'nothing' });
  t.equal(written, 'nothing\n', 'no rows in a table: the sentence');
});

t.test('refresh prints each run once: a table on a terminal, JSON lines on a pipe, nothing of it on stderr', async (t) => {
  const { url } = await testDb(t);
  const env = { ...process.env, DATABASE_URL: url, SCORELINE_FORMAT: '' };

  const piped = await scoreline(['refresh', '--force'], env);
  t.equal(piped.code, 0);
  const runs = jsonRows(piped.stdout);
  t.ok(runs.length >= 5, 'one JSON object per run');
  t.ok(
    runs.every((r) => typeof r.status === 'string' && typeof r.object === 'string'),
    'each has its status and object',
  );
  t.match(
    runs.find((r) => r.object === 'stats.model_event_agg'),
    { status: 'skipped', detail: /maintained by triggers/ },
  );
  for (const r of runs) t.notOk(piped.stderr.includes(String(r.object)), `stderr does not repeat ${String(r.object)}`);

  const terminal = await onTerminal(['refresh', '--force'], env);
  t.match(terminal, /^status +object +method +rows_before +rows_after +ms +detail\n/, 'a terminal gets the table, with its header');
  t.match(terminal, /\nsuccess +stats\.user_leaderboard +concurrent /);
  t.equal(terminal.match(/stats\.user_leaderboard/g)?.length, 1, 'each object once on the terminal (stdout and stderr together)');

  const flag = await scoreline(['refresh', '--dry-run', '--force', '--format', 'table'], env);
  t.match(flag.stdout, /^step +level +object +method +reason\n +1 +0 +stats\./, '--format table on a pipe');
  const viaEnv = await scoreline(['refresh', '--dry-run', '--force'], { ...env, SCORELINE_FORMAT: 'table' });
  t.equal(viaEnv.stdout, flag.stdout, 'SCORELINE_FORMAT=table does the same');
  const onTty = await onTerminal(['--format=json', 'refresh', '--dry-run', '--force'], env);
  t.ok(
    jsonRows(onTty).every((r) => typeof r.step === 'number'),
    '--format=json on a terminal',
  );
  const bad = await scoreline(['refresh', '--format', 'xml'], env);
  t.equal(bad.code, 2, 'an unknown format is a usage error');
  t.match(bad.stderr, /--format xml: must be one of table, json/);
  t.equal(bad.stdout, '');
});

t.test('refresh --object answers for plain views and maintained tables; an unknown name fails clearly', async (t) => {
  const { url } = await testDb(t);
  const env = { ...process.env, DATABASE_URL: url, SCORELINE_FORMAT: '' };
  for (const view of ['stats.mv_model_stats_overall', 'stats.mv_model_stats_competition', 'stats.mv_model_stats_club']) {
    const r = await scoreline(['refresh', '--object', view], env);
    t.equal(r.code, 0, `${view}: exit 0`);
    t.same(
      jsonRows(r.stdout).map(({ object, kind, answer }) => ({ object, kind, answer })),
      [
        {
          object: view,
          kind: 'view',
          answer: 'a plain view over tables maintained in the scoring transaction: current at commit, nothing to refresh',
        },
      ],
      `${view}: maintained in the scoring transaction, nothing to refresh`,
    );
    t.equal(r.stderr, '', 'and nothing else said');
  }
  const [overall] = jsonRows((await scoreline(['refresh', '--object', 'stats.mv_model_stats_overall'], env)).stdout);
  t.same(
    overall?.reads,
    [
      'core.season',
      'forecast.forecaster',
      'stats.model_stats_competition_agg',
      'stats.model_stats_competition_current',
      'stats.model_stats_competition_delta',
    ],
    'with what it reads, directly and through stats.model_stats_competition_current',
  );
  const table = await scoreline(['refresh', '--object', 'stats.mv_model_stats_overall', '--format', 'table'], env);
  t.match(table.stdout, /^object +kind +answer +reads\nstats\.mv_model_stats_overall +view +a plain view over tables maintained/);

  const maintained = await scoreline(['refresh', '--object', 'stats.model_event_agg'], env);
  t.equal(maintained.code, 0, 'a maintained table: exit 0');
  t.match(jsonRows(maintained.stdout), [{ status: 'skipped', object: 'stats.model_event_agg', detail: /nothing to refresh/ }]);

  const unknown = await scoreline(['refresh', '--object', 'stats.mv_model_stats_nowhere'], env);
  t.equal(unknown.code, 1, 'an unknown name fails');
  t.match(unknown.stderr, /no relation is named stats\.mv_model_stats_nowhere\n {2}SQLSTATE SL075\n {2}hint: name it as schema\.name/);
  t.equal(unknown.stdout, '');
  const source = await scoreline(['refresh', '--object', 'core.event'], env);
  t.equal(source.code, 1, 'a source table is not refreshed either');
  t.match(source.stderr, /core\.event is not registered in refresh\.object\n {2}SQLSTATE SL060/);
});

t.test('dag shows the plain views after what they read', async (t) => {
  const { sql, url } = await testDb(t);
  const env = { ...process.env, DATABASE_URL: url, SCORELINE_FORMAT: '' };
  const nodes = jsonRows((await scoreline(['dag'], env)).stdout);
  const byName = new Map(nodes.map((n) => [n.object, n]));
  const overall = byName.get('stats.mv_model_stats_overall');
  const current = byName.get('stats.model_stats_competition_current');
  const agg = byName.get('stats.model_stats_competition_agg');
  t.match(overall, {
    method: 'view',
    state: 'current',
    reads: ['core.season', 'forecast.forecaster', 'stats.model_stats_competition_current'],
  });
  t.match(current, { method: 'view', reads: ['stats.model_stats_competition_agg', 'stats.model_stats_competition_delta'] });
  t.ok((overall!.level as number) > (current!.level as number), 'a view is a level below the view it reads');
  t.ok((current!.level as number) > (agg!.level as number), 'which is below the registered table it reads');
  const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'stats' and c.relkind = 'v'`;
  t.equal(nodes.filter((x) => x.method === 'view').length, n, 'every plain view of stats');

  const text = await onTerminal(['dag'], env);
  t.match(
    text,
    /\n {2}stats\.mv_model_stats_overall {2}\[view, current\]\n {4}<- core\.season {2}\(table, hard, view\)\n {4}<- forecast\.forecaster {2}\(table, hard, view\)\n {4}<- stats\.model_stats_competition_current {2}\(view, hard, view\)/,
    'a terminal gets the indented graph',
  );
  const mermaid = await scoreline(['dag', '--mermaid'], env);
  t.match(mermaid.stdout, /\["stats\.mv_model_stats_overall"\]/, 'the flowchart draws the view');
});

t.test('make help prints commands as they are typed; make reset refuses a database it does not own', async (t) => {
  const help = await run('make', ['-s', 'help'], { cwd: repoRoot });
  t.match(help.stdout, /^db-url +print a URL for psql: psql "\$\(make -s db-url\)"$/m, 'psql "$(make -s db-url)", as typed');
  t.notMatch(help.stdout, /\$\$/, 'no $$ anywhere');
  t.match(help.stdout, /^ingest +load a feed file or URL: make ingest FEED=/m);
  t.match(help.stdout, /^reset +drop and recreate the embedded database/m);

  const usage = await run('make', ['-s', 'ingest'], { cwd: repoRoot }).catch((e: { code: number; stderr: string }) => e);
  t.equal((usage as { code: number }).code, 2, 'make ingest without FEED and FILE is a usage error');
  t.match((usage as { stderr: string }).stderr, /usage: make ingest FEED=<feed> FILE=<file or URL>/);

  const reset = await scoreline(['db', 'reset', '--yes'], { ...process.env, DATABASE_URL: 'postgres://someone@db.example/prod' });
  t.equal(reset.code, 2, 'db reset with DATABASE_URL set: refused');
  t.match(reset.stderr, /db reset drops only the embedded database, and DATABASE_URL is set/);
});
