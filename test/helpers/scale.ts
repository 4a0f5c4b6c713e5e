// Real servers for the scale tests (test/scale/): PostgreSQL 15 clusters from Debian's
// binaries (a primary, and a streaming-replication hot standby made by pg_basebackup) and
// PgBouncer, each in a temporary folder on free ports, run as the `postgres` user when the
// tests run as root (as src/embedded.ts does: PostgreSQL and PgBouncer refuse root), and
// stopped and removed by t.teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../../src/db.ts';

/** What to clean up with: a tap Test (t.teardown), or bench/replica.ts's list of steps. */
export interface Teardown {
  teardown: (fn: () => unknown) => void;
}

export const PG15_BIN = '/usr/lib/postgresql/15/bin';
export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Why the scale tests cannot run here, or undefined when they can (scripts/test.mjs asks too). */
export function scaleToolsMissing(): string | undefined {
  const missing = [
    ...['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].filter((b) => !existsSync(path.join(PG15_BIN, b))).map((b) => `${PG15_BIN}/${b}`),
    ...(existsSync(PGBOUNCER) ? [] : [PGBOUNCER]),
  ];
  return missing.length ? `missing ${missing.join(', ')} (apt-get install postgresql-15 pgbouncer)` : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Ids {
  uid?: number;
  gid?: number;
}

/** The uid and gid to run servers as: ours, or the `postgres` user's when we are root. */
async function serviceIds(): Promise<Ids> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const passwd = await fs.readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === 'postgres' && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('running as root and there is no `postgres` user to run PostgreSQL and PgBouncer as');
}

/** A temporary folder the service user owns, removed at teardown. */
export async function serviceDir(t: Teardown, prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `scoreline-${prefix}-`));
  const ids = await serviceIds();
  if (ids.uid !== undefined) await fs.chown(dir, ids.uid, ids.gid!);
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function chownTree(p: string): Promise<void> {
  const ids = await serviceIds();
  if (ids.uid === undefined) return;
  await fs.chown(p, ids.uid, ids.gid!);
}

/** Run a program as the service user; rejects with its output when it fails. */
export async function runAsService(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const ids = await serviceIds();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...ids,
      cwd: os.tmpdir(),
      env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${code}):\n${out}`)),
    );
  });
}

/** Poll until a connection to `url` answers `select 1`, or fail after `seconds`. */
export async function waitForServer(url: string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    const sql = connect(url, { max: 1 });
    try {
      await sql`select 1`;
      return;
    } catch (err) {
      last = err;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${new URL(url).host} did not answer within ${seconds} s: ${(last as Error)?.message}`);
}

export interface Cluster {
  dir: string;
  port: number;
  password: string;
  /** postgres://postgres:…@127.0.0.1:port/<database> */
  url: (database?: string) => string;
}

const clusterUrl =
  (port: number, password: string) =>
  (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

async function startCluster(t: Teardown, dir: string, port: number, password: string): Promise<Cluster> {
  const log = path.join(dir, '..', `${path.basename(dir)}.log`);
  await fs.writeFile(log, '');
  await chownTree(log);
  await runAsService(path.join(PG15_BIN, 'pg_ctl'), ['start', '-D', dir, '-l', log, '-w', '-t', '120']).catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${(await fs.readFile(log, 'utf8')).split('\n').slice(-20).join('\n')}`);
  });
  t.teardown(() => runAsService(path.join(PG15_BIN, 'pg_ctl'), ['stop', '-D', dir, '-m', 'immediate', '-w', '-t', '60']).catch(() => {}));
  return { dir, port, password, url: clusterUrl(port, password) };
}

/**
 * A PostgreSQL 15 primary in `root`/primary on a free port (scram-sha-256, the initdb default
 * pg_hba.conf, which lets 127.0.0.1 replicate), with `scoreline` created.
 */
export async function startPrimary(t: Teardown, root: string): Promise<Cluster> {
  const dir = path.join(root, 'primary');
  const password = randomBytes(12).toString('base64url');
  const pwfile = path.join(root, 'pw');
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await chownTree(pwfile);
  await runAsService(path.join(PG15_BIN, 'initdb'), [
    `--pgdata=${dir}`,
    '--auth=scram-sha-256',
    '--username=postgres',
    `--pwfile=${pwfile}`,
    '--encoding=UTF8',
    '--no-locale',
  ]);
  await fs.rm(pwfile);
  const port = await freePort();
  await fs.appendFile(
    path.join(dir, 'postgresql.conf'),
    [
      '',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'max_connections = 100',
      "timezone = 'UTC'",
      'wal_level = replica',
      'max_wal_senders = 4',
      'hot_standby = on',
      'hot_standby_feedback = on',
      '',
    ].join('\n'),
  );
  const cluster = await startCluster(t, dir, port, password);
  const sql = connect(cluster.url(), { max: 1 });
  try {
    await sql.unsafe('create database scoreline');
  } finally {
    await sql.end();
  }
  return cluster;
}

/** A hot standby of `primary` by pg_basebackup -R (streaming, primary_conninfo written), started on a free port. */
export async function startStandby(t: Teardown, root: string, primary: Cluster): Promise<Cluster> {
  const dir = path.join(root, 'standby');
  await runAsService(
    path.join(PG15_BIN, 'pg_basebackup'),
    ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dir, '-R', '-X', 'stream', '-c', 'fast'],
    { PGPASSWORD: primary.password },
  );
  const port = await freePort();
  await fs.appendFile(path.join(dir, 'postgresql.conf'), `\nport = ${port}\n`);
  return startCluster(t, dir, port, primary.password);
}

export interface Bouncer {
  port: number;
  /** postgres://…@127.0.0.1:<pgbouncer port>/<alias> */
  url: (alias: string) => string;
  process: ChildProcess;
}

/**
 * PgBouncer on a free port in front of the server of `serverUrl`, one alias per pool:
 * `pools` maps an alias to { database, mode }. Clients log in with scram-sha-256 as the
 * server's user (userlist.txt holds its password), which PgBouncer also uses to log in.
 */
export async function startPgbouncer(
  t: Teardown,
  serverUrl: string,
  pools: Record<string, { database: string; mode: 'transaction' | 'session'; size?: number }>,
): Promise<Bouncer> {
  const dir = await serviceDir(t, 'pgbouncer');
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const port = await freePort();
  const ini = [
    '[databases]',
    ...Object.entries(pools).map(
      ([alias, p]) =>
        `${alias} = host=${server.hostname} port=${server.port} dbname=${p.database} pool_mode=${p.mode} pool_size=${p.size ?? 4}`,
    ),
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    'max_client_conn = 200',
    'server_reset_query = DISCARD ALL',
    '',
  ].join('\n');
  await fs.writeFile(path.join(dir, 'pgbouncer.ini'), ini);
  await fs.writeFile(path.join(dir, 'userlist.txt'), `"${user}" "${password.replace(/"/g, '""')}"\n`, { mode: 0o600 });
  await chownTree(path.join(dir, 'pgbouncer.ini'));
  await chownTree(path.join(dir, 'userlist.txt'));
  const ids = await serviceIds();
  const child = spawn(PGBOUNCER, [path.join(dir, 'pgbouncer.ini')], { ...ids, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const url = (alias: string) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${alias}`;
  const first = Object.keys(pools)[0]!;
  try {
    await waitForServer(url(first), 30);
  } catch (err) {
    const log = await fs.readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
    throw new Error(`${(err as Error).message}\npgbouncer stderr:\n${stderr}\npgbouncer.log:\n${log.split('\n').slice(-20).join('\n')}`);
  }
  return { port, url, process: child };
}
