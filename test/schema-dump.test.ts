// make schema-check: db/schema.sql against a fresh pg_dump of a database scoreline migrated on
// the machine's PostgreSQL 15 (skipped where there is none; CI has it). The committed file
// itself is checked by `make schema-check` in CI; here, a changed file must fail the check.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import t from 'tap';
import { repoRoot } from '../src/embedded.ts';
import { normalise } from '../scripts/schema-dump.ts';

const run = promisify(execFile);
const server = process.env.SCHEMA_DUMP_URL || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

t.test('the dump loses what changes from run to run', async (t) => {
  const dump = [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '\\restrict a1B2c3',
    '',
    '-- Dumped from database version 15.14 (Debian 15.14-0+deb12u1)',
    '-- Dumped by pg_dump version 15.14 (Debian 15.14-0+deb12u1)',
    '',
    '',
    '',
    'CREATE SCHEMA "core";',
    '\\unrestrict a1B2c3',
    '',
  ].join('\n');
  t.equal(normalise(dump), '--\n-- PostgreSQL database dump\n--\n\nCREATE SCHEMA "core";\n');
});

t.test('make schema-check fails, with the diff, when db/schema.sql is not what pg_dump prints', async (t) => {
  const probe = postgres(server, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  const up = await probe`select 1`.then(
    () => true,
    () => false,
  );
  await probe.end({ timeout: 1 });
  if (!up) {
    t.comment(`skipped: no PostgreSQL at ${new URL(server).host} (SCHEMA_DUMP_URL)`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scoreline-schema-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'schema.sql');
  const committed = fs.readFileSync(path.join(repoRoot, 'db', 'schema.sql'), 'utf8');
  fs.writeFileSync(file, committed.replace('CREATE SCHEMA "core";', 'CREATE SCHEMA "core_renamed";'));
  const r = await run('make', ['-s', 'schema-check'], { cwd: repoRoot, env: { ...process.env, SCHEMA_DUMP_FILE: file } }).then(
    (ok) => ({ code: 0, stderr: ok.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
  t.not(r.code, 0, 'the check fails');
  t.match(r.stderr, /^-CREATE SCHEMA "core_renamed";$/m, 'showing the line that differs');
  t.match(r.stderr, /^\+CREATE SCHEMA "core";$/m);
  t.match(r.stderr, /differs from a fresh dump \(pg_dump \d+, above\): run make schema-dump and commit it/);
  t.notOk(fs.existsSync(`${file}.new`), 'and leaves no file behind');
});
