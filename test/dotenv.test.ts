// The CLI reads .env from the current directory as docker compose does: a variable of the
// real environment wins over the file. Run as a child process in a folder with a real .env.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { loadDotEnv } from '../src/config.ts';
import { repoRoot } from '../src/embedded.ts';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'bin', 'scoreline');

function folderWith(t: Test, dotenv: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scoreline-dotenv-'));
  fs.writeFileSync(path.join(dir, '.env'), dotenv);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment of this process without the variables the test is about. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'LOG_LEVEL', 'SCORELINE_FORMAT'])
    delete env[k];
  return { ...env, ...extra };
}

t.test('loadDotEnv: the file fills what the environment lacks, never overrides it', async (t) => {
  const dir = folderWith(t, '# settings\nA=from-file\nexport B="two words" # a comment\nC=file\nEMPTY=\n');
  const env: NodeJS.ProcessEnv = { C: 'real' };
  t.same(loadDotEnv(path.join(dir, '.env'), env).sort(), ['A', 'B', 'EMPTY']);
  t.same(env, { A: 'from-file', B: 'two words', C: 'real', EMPTY: '' });
  t.same(loadDotEnv(path.join(dir, 'missing.env'), env), [], 'no file, no change');
  const unreadable = path.join(dir, 'a-folder.env');
  fs.mkdirSync(unreadable);
  t.throws(() => loadDotEnv(unreadable, {}), { name: 'ConfigError', message: /cannot read .*a-folder\.env/ });
});

t.test('the CLI reads .env of the current directory; the real environment wins', async (t) => {
  const dir = folderWith(t, 'DATABASE_URL=postgres://from-dotenv@db.example:5433/scoreline\nLOG_LEVEL=warn\n');
  const fromFile = await run(cli, ['db', 'url'], { cwd: dir, env: cleanEnv() });
  t.equal(fromFile.stdout, 'postgres://from-dotenv@db.example:5433/scoreline\n', 'DATABASE_URL from .env');

  const real = await run(cli, ['db', 'url'], { cwd: dir, env: cleanEnv({ DATABASE_URL: 'postgres://real@db.example/x' }) });
  t.equal(real.stdout, 'postgres://real@db.example/x\n', 'a variable set in the environment wins over .env');

  const pg = folderWith(t, 'PGHOST=db.example\nPGUSER=reader\nPGDATABASE=warehouse\n');
  const libpq = await run(cli, ['db', 'url'], { cwd: pg, env: cleanEnv({ PGPORT: '6543' }) });
  t.equal(
    libpq.stdout,
    'postgres://reader@db.example:6543/warehouse\n',
    'the PG* variables mix: PGPORT from the environment, the rest from .env',
  );

  const bad = folderWith(t, 'LOG_LEVEL=loud\nDATABASE_URL=postgres://x@y/z\n');
  const err = await run(cli, ['db', 'url'], { cwd: bad, env: cleanEnv() }).catch((e: { code: number; stderr: string }) => e);
  t.equal((err as { code: number }).code, 2, 'a bad value in .env is a configuration error');
  t.match((err as { stderr: string }).stderr, /LOG_LEVEL \(from \.env\): /, 'naming the file it came from');
  const overridden = await run(cli, ['db', 'url'], { cwd: bad, env: cleanEnv({ LOG_LEVEL: 'info' }) });
  t.equal(overridden.stdout, 'postgres://x@y/z\n', 'and the environment can override it');
});
