// Red team, the server install (issue 12, item 9): docker-compose.yml is least privilege.
// `docker-compose config` passes and no service logs in as the superuser or publishes a
// port on every interface; then, since no Docker engine runs here, the same steps by hand
// against a real PostgreSQL 15 cluster made for the test: the bootstrap as the superuser,
// `scoreline migrate` as the migration login and `scoreline worker --no-migrate` as the
// worker login, from PG* variables with passwords holding @, / and : (in files, as
// Docker secrets are), and neither login a superuser.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import postgres from 'postgres';
import { parse } from 'yaml';
import { baseConfig, ConfigError, pgEnvUrl } from '../../src/config.ts';
import { repoRoot } from '../../src/embedded.ts';
import { eventually } from '../helpers/fixtures.ts';

const PG15 = '/usr/lib/postgresql/15/bin';

interface Service {
  environment?: Record<string, string>;
  ports?: (string | { host_ip?: string; published?: string | number })[];
  command?: string[];
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

t.test('docker-compose config: no superuser login, no port on every interface, worker --no-migrate', async (t) => {
  if (!existsSync('/usr/bin/docker-compose')) {
    t.comment('docker-compose is not installed: skipped');
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-compose-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.copyFile(path.join(repoRoot, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
  // a clean environment: what the file says by default, not what this shell exports
  const env = { PATH: process.env.PATH, HOME: dir };
  const missing = run('docker-compose', ['config'], { cwd: dir, env });
  t.not(missing.code, 0, 'without .env, docker-compose config fails (compose 1.29 needs the env_file)');
  t.match(missing.out, /Couldn't find env file/, 'saying so: README says cp .env.example .env');
  await fs.copyFile(path.join(repoRoot, '.env.example'), path.join(dir, '.env'));
  const ok = run('docker-compose', ['config'], { cwd: dir, env });
  t.equal(ok.code, 0, 'docker-compose config passes', { out: ok.out });
  const config = parse(ok.out) as { services: Record<string, Service> };
  const services = config.services;
  t.same(Object.keys(services).sort(), ['migrate', 'postgres', 'worker']);
  const superuser = services.postgres!.environment!.POSTGRES_USER!;
  t.equal(superuser, 'postgres', 'the superuser is used by the postgres container alone');
  for (const [name, s] of Object.entries(services)) {
    const e = s.environment ?? {};
    if (name !== 'postgres') {
      t.ok(e.PGUSER && e.PGUSER !== superuser && e.PGUSER !== 'postgres', `${name} logs in as ${e.PGUSER}, not the superuser`);
      t.equal(e.DATABASE_URL ?? '', '', `${name}: no URL with a password spliced in`);
      t.notOk(e.PGPASSWORD, `${name}: no password in its environment`);
      t.match(e.PGPASSWORD_FILE, /^\/run\/secrets\//, `${name}: its password is a Docker secret`);
      t.equal(e.LOG_LEVEL, 'info', `${name}: the settings of .env (env_file, inlined by config)`);
    }
    for (const p of s.ports ?? []) {
      const text = typeof p === 'string' ? p : `${p.host_ip ?? ''}:${p.published}`;
      t.match(text, /^127\.0\.0\.1:/, `${name}: port ${text} on the loopback only`);
    }
  }
  t.same(services.worker!.command, ['worker', '--no-migrate'], 'the worker does not migrate: the migrate service does');
  t.not(services.migrate!.environment!.PGUSER, services.worker!.environment!.PGUSER, 'migrate and worker are different logins');
});

t.test('connection settings: DATABASE_URL, else PG* when PGHOST is set, else the embedded server', async (t) => {
  const files: Record<string, string> = { '/run/secrets/pw': 'p@ss/w:rd%#?\n' };
  const read = (f: string) => {
    if (!(f in files)) throw new Error('ENOENT: no such file');
    return files[f]!;
  };
  const url = (env: Record<string, string>) => pgEnvUrl(baseConfig(env), read, () => 'osuser');
  t.equal(url({}), undefined, 'nothing set: the embedded server');
  t.equal(url({ PGUSER: 'x', PGPASSWORD: 'y' }), undefined, 'PG* without PGHOST: still the embedded server');
  t.equal(url({ DATABASE_URL: 'postgres://a@b/c', PGHOST: 'h' }), undefined, 'DATABASE_URL wins over PGHOST');
  const u = new URL(url({ PGHOST: 'db', PGUSER: 'jobs@x', PGPASSWORD_FILE: '/run/secrets/pw', PGDATABASE: 'sl', PGSSLMODE: 'disable' })!);
  t.equal(decodeURIComponent(u.username), 'jobs@x', 'the user, encoded');
  t.equal(decodeURIComponent(u.password), 'p@ss/w:rd%#?', 'the password from the file, encoded, its trailing newline dropped');
  t.same([u.hostname, u.port, u.pathname, u.searchParams.get('sslmode')], ['db', '5432', '/sl', 'disable']);
  const d = new URL(url({ PGHOST: '10.0.0.5', PGPORT: '6543' })!);
  t.same(
    [d.username, d.password, d.port, d.pathname],
    ['osuser', '', '6543', '/osuser'],
    "libpq's defaults: the OS user, a database named after it",
  );
  t.throws(() => url({ PGHOST: 'db', PGPASSWORD_FILE: '/nope' }), ConfigError, 'an unreadable PGPASSWORD_FILE is a ConfigError');
  t.throws(() => baseConfig({ PGHOST: 'db', PGPASSWORD: 'a', PGPASSWORD_FILE: '/run/secrets/pw' }), /PGPASSWORD_FILE: set PGPASSWORD or/);
  t.throws(() => baseConfig({ PGHOST: '/var/run/postgresql' }), /PGHOST: must be a host name or an IP address/);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | undefined {
  const r = run('id', ['-u', 'postgres']);
  const g = run('id', ['-g', 'postgres']);
  return r.code === 0 ? { uid: Number(r.out.trim()), gid: Number(g.out.trim()) } : undefined;
}

t.test('the compose steps by hand on PostgreSQL 15: bootstrap, migrate and worker without a superuser login', async (t) => {
  if (!existsSync(path.join(PG15, 'initdb'))) {
    t.comment('PostgreSQL 15 binaries are not installed: skipped');
    return;
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const ids = root ? postgresIds() : undefined;
  if (root && !ids) {
    t.comment('running as root without a postgres user to run the cluster as: skipped');
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-pg15-'));
  const pgdata = path.join(dir, 'data');
  const secrets = path.join(dir, 'secrets');
  await fs.mkdir(secrets, { mode: 0o755 });
  const superPassword = `su@/:${randomBytes(4).toString('hex')}`;
  const migratePassword = `mi@g/r:ate ${randomBytes(4).toString('hex')}`;
  const workerPassword = `wo@r/k:er%${randomBytes(4).toString('hex')}`;
  await fs.writeFile(path.join(dir, 'superpw'), superPassword);
  await fs.writeFile(path.join(secrets, 'migrate'), `${migratePassword}\n`);
  await fs.writeFile(path.join(secrets, 'worker'), `${workerPassword}\n`);
  if (ids) await fs.chown(dir, ids.uid, ids.gid);
  if (ids) await fs.chown(path.join(dir, 'superpw'), ids.uid, ids.gid);
  const port = await freePort();
  const asPg = ids ? { uid: ids.uid, gid: ids.gid } : {};
  const init = run(
    path.join(PG15, 'initdb'),
    [
      '-D',
      pgdata,
      '-U',
      'pgsuper',
      `--pwfile=${path.join(dir, 'superpw')}`,
      '--auth-host=scram-sha-256',
      '--auth-local=reject',
      '-E',
      'UTF8',
    ],
    { ...asPg, env: { PATH: process.env.PATH, LANG: 'C' } },
  );
  t.equal(init.code, 0, 'initdb of a PostgreSQL 15 cluster', { out: init.out });
  const start = run(
    path.join(PG15, 'pg_ctl'),
    [
      '-D',
      pgdata,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}`,
      'start',
    ],
    asPg,
  );
  t.equal(start.code, 0, 'started', { out: start.out });
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    run(path.join(PG15, 'pg_ctl'), ['-D', pgdata, '-m', 'immediate', 'stop'], asPg);
    await fs.rm(dir, { recursive: true, force: true });
  });
  const admin = postgres({
    host: '127.0.0.1',
    port,
    user: 'pgsuper',
    password: superPassword,
    database: 'postgres',
    max: 1,
    onnotice: () => {},
  });
  t.teardown(() => admin.end({ timeout: 5 }));
  await admin`create database scoreline`; // what the image does for POSTGRES_DB

  // 1. the bootstrap, as the image runs it: the superuser, POSTGRES_USER and POSTGRES_DB
  const base = { PATH: `${PG15}:${process.env.PATH}`, HOME: dir, LANG: 'C' };
  const boot = run(path.join(repoRoot, 'docker/initdb/scoreline-bootstrap.sh'), [], {
    env: {
      ...base,
      POSTGRES_USER: 'pgsuper',
      POSTGRES_DB: 'scoreline',
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
      PGPASSWORD: superPassword,
      SCORELINE_MIGRATE_PASSWORD_FILE: path.join(secrets, 'migrate'),
      SCORELINE_WORKER_PASSWORD_FILE: path.join(secrets, 'worker'),
    },
  });
  t.equal(boot.code, 0, 'the bootstrap ran', { out: boot.out });
  const logins = await admin<{ rolname: string; rolsuper: boolean; rolcreaterole: boolean; groups: string[] }[]>`
    select r.rolname, r.rolsuper, r.rolcreaterole,
           array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1)::text[] as groups
      from pg_roles r where r.rolname in ('scoreline_migrator', 'scoreline_jobs') order by 1`;
  t.same(
    logins.map((l) => [l.rolname, l.rolsuper, l.rolcreaterole, l.groups]),
    [
      ['scoreline_jobs', false, false, ['scoreline_worker']],
      ['scoreline_migrator', false, false, ['scoreline_checker', 'scoreline_owner']],
    ],
    'two logins, neither a superuser nor a role creator, each in its groups only',
  );
  const again = run(path.join(repoRoot, 'docker/initdb/scoreline-bootstrap.sh'), [], {
    env: {
      ...base,
      POSTGRES_USER: 'pgsuper',
      POSTGRES_DB: 'scoreline',
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
      PGPASSWORD: superPassword,
      SCORELINE_MIGRATE_PASSWORD_FILE: path.join(secrets, 'migrate'),
      SCORELINE_WORKER_PASSWORD_FILE: path.join(secrets, 'worker'),
    },
  });
  t.equal(again.code, 0, 'a second run changes nothing and does not fail', { out: again.out });

  // 2. scoreline migrate as the migration login, from PG* variables (no DATABASE_URL)
  const cli = path.join(repoRoot, 'bin', 'scoreline');
  const pgEnv = (user: string, secret: string) => ({
    ...base,
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: user,
    PGPASSWORD_FILE: path.join(secrets, secret),
    PGDATABASE: 'scoreline',
  });
  const migrated = run(cli, ['migrate'], { env: pgEnv('scoreline_migrator', 'migrate') });
  t.equal(migrated.code, 0, 'scoreline migrate as scoreline_migrator', { out: migrated.out.slice(-3000) });
  t.notMatch(migrated.out, /WARNING.*event triggers/, 'with the event triggers of the bootstrap, no warning about them');
  const db = postgres({
    host: '127.0.0.1',
    port,
    user: 'pgsuper',
    password: superPassword,
    database: 'scoreline',
    max: 2,
    onnotice: () => {},
  });
  t.teardown(() => db.end({ timeout: 5 }));
  const [owner] = await db<{ owner: string; evaluator: string }[]>`
    select (select pg_get_userbyid(c.relowner) from pg_class c where c.oid = 'core.event'::regclass) as owner,
           (select pg_get_userbyid(p.proowner) from pg_proc p where p.oid = 'refresh.evaluate_check(text, interval)'::regprocedure) as evaluator`;
  t.same(
    owner,
    { owner: 'scoreline_migrator', evaluator: 'scoreline_checker' },
    'the schema belongs to the migration login, the evaluator to the checker',
  );
  const triggers = await db<{ evtname: string; fn: string }[]>`
    select evtname, evtfoid::regproc::text as fn from pg_event_trigger order by 1`;
  t.same(
    triggers.map((e) => [e.evtname, e.fn]),
    [
      ['refresh_sync_on_ddl', 'scoreline_hook.ddl_command_end'],
      ['refresh_sync_on_drop', 'scoreline_hook.sql_drop'],
    ],
    "the bootstrap's event triggers are kept",
  );
  const asMigrator = postgres({
    host: '127.0.0.1',
    port,
    user: 'scoreline_migrator',
    password: migratePassword,
    database: 'scoreline',
    max: 1,
    onnotice: () => {},
  });
  t.teardown(() => asMigrator.end({ timeout: 5 }));
  await asMigrator`create materialized view stats.compose_probe as select 1 as one`;
  const [registered] = await db<{ registered_by: string }[]>`
    select registered_by from refresh.object where object = 'stats.compose_probe'::regclass`;
  t.equal(registered?.registered_by, 'event_trigger', 'DDL by the migration login registers at once, through the hook');
  await asMigrator`drop materialized view stats.compose_probe`;
  const [gone] = await db<{ n: number }[]>`select count(*)::int as n from refresh.object where object::text = 'stats.compose_probe'`;
  t.equal(gone?.n, 0, 'and its drop unregisters it');
  const forced = run(cli, ['migrate', '--force-sql'], { env: pgEnv('scoreline_migrator', 'migrate') });
  t.equal(forced.code, 0, 'sql/ re-applied as the migration login (--force-sql)', { out: forced.out.slice(-3000) });

  // SL142: a migration login that is not a member of the checker role cannot hand it the evaluator
  await db`alter function refresh.evaluate_check(text, interval) owner to scoreline_migrator`;
  await db`revoke scoreline_checker from scoreline_migrator`;
  const refused = run(cli, ['migrate', '--force-sql'], { env: pgEnv('scoreline_migrator', 'migrate') });
  t.not(refused.code, 0, 'without membership of the checker role, migrate fails');
  t.match(refused.out, /SQLSTATE SL142/, 'with SL142');
  t.match(refused.out, /grant scoreline_checker to scoreline_migrator/, 'and the hint saying what to grant');
  await db`grant scoreline_checker to scoreline_migrator`;
  const repaired = run(cli, ['migrate', '--force-sql'], { env: pgEnv('scoreline_migrator', 'migrate') });
  t.equal(repaired.code, 0, 'granted again, migrate gives the evaluator back to the checker', { out: repaired.out.slice(-2000) });

  // 3. the worker as the worker login, --no-migrate
  const httpPort = await freePort();
  const secret = `cron-${randomBytes(12).toString('hex')}`;
  const lines: string[] = [];
  const worker = spawn(cli, ['worker', '--no-migrate'], {
    env: {
      ...pgEnv('scoreline_jobs', 'worker'),
      HTTP_PORT: String(httpPort),
      CRON_SECRET: secret,
      POLL_INTERVAL_MS: '100',
      REFRESH_DEBOUNCE_SECONDS: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(worker);
  worker.stdout!.on('data', (d: Buffer) => lines.push(d.toString()));
  worker.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
  const healthy = await eventually(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }, 120);
  t.ok(healthy, 'the worker is healthy', { log: lines.join('').slice(-3000) });
  const sessions = await db<{ usename: string; rolsuper: boolean }[]>`
    select distinct a.usename, r.rolsuper from pg_stat_activity a join pg_roles r on r.rolname = a.usename
     where a.datname = 'scoreline' and a.usename not in ('pgsuper', 'scoreline_migrator')`;
  t.same(
    sessions.map((s) => [s.usename, s.rolsuper]),
    [['scoreline_jobs', false]],
    'its sessions are the worker login, not a superuser',
  );
  const queued = await fetch(`http://127.0.0.1:${httpPort}/cron/update-stats`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}` },
  });
  t.equal(queued.status, 200, 'a refresh requested over HTTP');
  const refreshed = await eventually(async () => {
    const [r] = await db<{ n: number }[]>`select count(*)::int as n from refresh.run where trigger_source = 'http' and status <> 'running'`;
    return (r?.n ?? 0) > 0;
  }, 120);
  t.ok(refreshed, 'is run by the worker');
  const failed = await db<{ e: string }[]>`
    select object_name || ': ' || error_sqlstate || ' ' || error_message as e from refresh.run where status = 'failed'`;
  t.same(failed, [], 'with no refresh failing on a missing privilege');
  const [jobs] = await db<{ n: number }[]>`select count(*)::int as n from worker.job where last_error is not null`;
  t.equal(jobs?.n, 0, 'and no job failing');

  // what the worker login cannot do
  const asWorker = postgres({
    host: '127.0.0.1',
    port,
    user: 'scoreline_jobs',
    password: workerPassword,
    database: 'scoreline',
    max: 1,
    onnotice: () => {},
  });
  t.teardown(() => asWorker.end({ timeout: 5 }));
  for (const [what, attack] of [
    ['run a program', `copy (select 1) to program 'id'`],
    ['read a server file', `select pg_read_file('/etc/hostname')`],
    ['read password hashes', 'select * from pg_authid'],
    ['create a role', 'create role evil login superuser'],
    ['define a check', `insert into refresh."check" (name, query, expected) values ('x', 'select 0', 0)`],
  ] as const) {
    try {
      await asWorker.unsafe(attack);
      t.fail(`${what}: but it succeeded`);
    } catch (err) {
      t.equal((err as { code?: string }).code, '42501', `${what}: 42501`);
    }
  }

  worker.kill('SIGTERM');
  const exited = await eventually(async () => worker.exitCode !== null, 60);
  t.ok(exited, 'the worker stops on SIGTERM');
  t.equal(worker.exitCode, 0, 'cleanly');
});
