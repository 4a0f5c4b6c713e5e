// Landed migrations are never edited: scripts/check-migrations.mjs (make lint) against
// db/migrations.sha256, run on a copy of db/migrations that each test edits.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Test } from 'tap';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const script = path.join(root, 'scripts', 'check-migrations.mjs');

function copy(t: Test) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scoreline-migrations-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const dir = path.join(tmp, 'migrations');
  fs.cpSync(path.join(root, 'db', 'migrations'), dir, { recursive: true });
  const manifest = path.join(tmp, 'migrations.sha256');
  fs.copyFileSync(path.join(root, 'db', 'migrations.sha256'), manifest);
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [script, `--dir=${dir}`, `--manifest=${manifest}`, ...args], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout + r.stderr };
  };
  return { dir, manifest, run };
}

const first = '20261101000100_core.sql';

t.test('the checkout: every file of db/migrations is recorded with its hash', async (t) => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', cwd: root });
  t.equal(r.status, 0, r.stdout + r.stderr);
  const recorded = fs
    .readFileSync(path.join(root, 'db', 'migrations.sha256'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('  ')[1]);
  t.same(recorded, fs.readdirSync(path.join(root, 'db', 'migrations')).sort(), 'one line per file, sorted');
});

t.test('an edited landed migration fails, naming the file', async (t) => {
  const { dir, run } = copy(t);
  fs.appendFileSync(path.join(dir, first), '\n-- one more line\n');
  const r = run();
  t.equal(r.code, 1);
  t.match(r.out, `${first} was edited after it landed`);
  t.match(r.out, 'put the change in a new migration file');
});

t.test('a removed landed migration fails', async (t) => {
  const { dir, run } = copy(t);
  fs.rmSync(path.join(dir, first));
  const r = run();
  t.equal(r.code, 1);
  t.match(r.out, `${first} is recorded in`);
  t.match(r.out, 'no longer exists');
});

t.test('a new migration fails until make migrations-manifest records it; it then passes', async (t) => {
  const { dir, manifest, run } = copy(t);
  const before = fs.readFileSync(manifest, 'utf8');
  const added = '29991231000000_next.sql';
  fs.writeFileSync(path.join(dir, added), '-- migrate:up\nselect 1;\n-- migrate:down\n');
  let r = run();
  t.equal(r.code, 1);
  t.match(r.out, `${added} is not recorded`);
  t.match(r.out, 'make migrations-manifest');

  r = run('--add');
  t.equal(r.code, 0, r.out);
  t.match(r.out, `recorded ${added}`);
  const after = fs.readFileSync(manifest, 'utf8');
  t.ok(after.startsWith(before), 'the recorded lines are kept as they were');
  t.match(after, new RegExp(`^[0-9a-f]{64}  ${added}$`, 'm'));
  t.equal(run().code, 0, 'the check passes');
});

t.test('make migrations-manifest never rewrites the hash of an edited landed migration', async (t) => {
  const { dir, manifest, run } = copy(t);
  const before = fs.readFileSync(manifest, 'utf8');
  fs.appendFileSync(path.join(dir, first), '\n-- edited\n');
  const r = run('--add');
  t.equal(r.code, 1);
  t.match(r.out, `${first} was edited after it landed`);
  t.equal(fs.readFileSync(manifest, 'utf8'), before, 'the manifest is unchanged');
  t.equal(run().code, 1, 'and the check still fails');
});
