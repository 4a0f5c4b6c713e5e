// The schema dictionary: generated from a fresh database, deterministic, complete;
// and the convention it rests on: every table, view, materialized view and function
// of the scoreline schemas has a COMMENT.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { compareSchemaDoc, generateSchemaDoc, missingComments, renderSchemaDoc } from '../src/docs.ts';
import { serverUrl, testDb } from './helpers/db.ts';
import { collect } from './helpers/log.ts';

// Plain file reading, no database: the SQLSTATEs the code raises and the table of docs/errors.md agree.
t.test('docs/errors.md lists every SQLSTATE the SQL raises', async (t) => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  // The .sql and .ts files of a directory and its subdirectories (src/ has some).
  const read = async (dir: string) =>
    Promise.all(
      (await fs.readdir(path.join(root, dir), { recursive: true }))
        .filter((name) => /\.(sql|ts)$/.test(name))
        .sort()
        .map(async (name) => ({ file: path.join(dir, name), text: await fs.readFile(path.join(root, dir, name), 'utf8') })),
    );
  const sqlFiles = [...(await read('sql')), ...(await read('db/migrations'))];
  const sources = [...sqlFiles, ...(await read('src'))];
  const raisedBy = new Map<string, string[]>();
  for (const { file, text } of sqlFiles) {
    for (const m of text.matchAll(/errcode\s*(=|:=)\s*'(SL\d{3})'/g)) {
      raisedBy.set(m[2]!, [...new Set([...(raisedBy.get(m[2]!) ?? []), file])]);
    }
  }
  t.ok(raisedBy.size > 20, `found the codes raised (${raisedBy.size})`);

  const doc = await fs.readFile(path.join(root, 'docs/errors.md'), 'utf8');
  const listed = [...doc.matchAll(/^\| (SL\d{3}) \|/gm)].map((m) => m[1]!);
  t.same([...new Set(listed)], listed, 'each code has one row');
  t.same([...listed].sort(), listed, 'rows in numeric order');

  const missing = [...raisedBy.keys()].filter((code) => !listed.includes(code)).sort();
  t.same(
    missing,
    [],
    missing.length
      ? `add a row to docs/errors.md for: ${missing.map((c) => `${c} (${raisedBy.get(c)!.join(', ')})`).join('; ')}`
      : 'every code raised is listed',
  );
  const unknown = listed.filter((code) => !sources.some(({ text }) => text.includes(code)));
  t.same(
    unknown,
    [],
    unknown.length
      ? `docs/errors.md lists codes nothing in sql/, db/migrations/ or src/ uses: ${unknown.join(', ')}`
      : 'every code listed exists',
  );
});

// Plain file reading, no database: every function in sql/ and db/migrations/ states its
// volatility (scripts/check-volatility.mjs, run by make lint); a function that does not fails it.
t.test('every function states immutable, stable or volatile', async (t) => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const script = path.join(root, 'scripts', 'check-volatility.mjs');
  const checkout = spawnSync(process.execPath, [script], { encoding: 'utf8', cwd: root });
  t.equal(checkout.status, 0, checkout.stdout + checkout.stderr);
  t.match(checkout.stdout, /^\d{3} functions in sql, db\/migrations: each states its volatility/);

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'scoreline-volatility-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.writeFile(
    path.join(dir, '010_x.sql'),
    [
      'create or replace function x.stated(p_a int) returns int language sql immutable return p_a;',
      'create function x.after_body() returns trigger language plpgsql as $$ begin return new; end $$ volatile;',
      '-- create function x.in_a_comment() returns int',
      'create or replace function x.unstated() returns trigger',
      'language plpgsql',
      'as $fn$',
      'begin',
      "  perform 'stable'; -- the body does not count",
      '  return new;',
      'end',
      '$fn$;',
    ].join('\n'),
  );
  const bad = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  t.equal(bad.status, 1, 'fails');
  t.match(bad.stderr, /010_x\.sql:4: x\.unstated states no volatility/);
  t.equal(bad.stderr.match(/states no volatility/g)?.length, 1, 'only the function that states none');
});

// Plain file reading, no database: the layout the docs describe is the one on disk.
t.test('README.md and docs/architecture.md name files that exist, and architecture.md names every sql/ file and src/ entry', async (t) => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const exists = (rel: string) =>
    fs.stat(path.join(root, rel)).then(
      () => true,
      () => false,
    );
  const sqlFiles = (await fs.readdir(path.join(root, 'sql'))).filter((n) => /^\d{3}_.+\.sql$/.test(n)).sort();
  const srcEntries = (await fs.readdir(path.join(root, 'src'), { withFileTypes: true }))
    .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
    .sort();
  t.ok(sqlFiles.length > 10 && srcEntries.length > 5, 'found sql/ and src/');

  for (const doc of ['README.md', 'docs/architecture.md']) {
    const text = await fs.readFile(path.join(root, doc), 'utf8');
    // sql/NNN_name.sql, or NNN_name.sql alone (the layout lists them so); every src/… path
    const sqlNamed = [...new Set([...text.matchAll(/(?<![\w/])(?:sql\/)?(\d{3}_[a-z0-9_]+\.sql)\b/g)].map((m) => m[1]!))];
    const srcNamed = [...new Set([...text.matchAll(/(?<![\w/.])src\/[\w./-]*/g)].map((m) => m[0].replace(/\.+$/, '')))];
    const missing = [
      ...sqlNamed.filter((n) => !sqlFiles.includes(n)).map((n) => `sql/${n}`),
      ...(await Promise.all(srcNamed.map(async (p) => ((await exists(p)) ? null : p)))).filter((p): p is string => p !== null),
    ];
    t.same(missing, [], missing.length ? `${doc} names paths that do not exist: ${missing.join(', ')}` : `${doc}: every path named exists`);
  }

  const arch = await fs.readFile(path.join(root, 'docs/architecture.md'), 'utf8');
  const unnamed = sqlFiles.filter((n) => !arch.includes(n));
  t.same(unnamed, [], unnamed.length ? `docs/architecture.md does not name: ${unnamed.join(', ')}` : 'every sql/ file is in the layout');
  // the src/ part of the layout: lines "  a.ts, b.ts   what they do" and "  dir/   …" after "src/"
  const block = arch.slice(arch.indexOf('\nsrc/ '), arch.indexOf('\ntest/ '));
  const listed = new Set(
    [...block.matchAll(/^ {2}([\w.-]+(?:\/|\.ts)(?:, [\w.-]+(?:\/|\.ts))*) {2,}/gm)].flatMap((m) => m[1]!.split(', ')),
  );
  const notListed = srcEntries.filter((e) => !listed.has(e));
  t.same(
    notListed,
    [],
    notListed.length ? `the src/ layout in docs/architecture.md lacks: ${notListed.join(', ')}` : 'every src/ entry is in the layout',
  );
  const gone = [...listed].filter((e) => !srcEntries.includes(e));
  t.same(gone, [], gone.length ? `the src/ layout names entries that do not exist: ${gone.join(', ')}` : 'and nothing else');
});

t.test('generation from a fresh database is deterministic and leaves no database behind', async (t) => {
  const url = await serverUrl();
  const db = await testDb(t);
  const used: string[] = [];
  const logged: string[] = [];
  const first = await generateSchemaDoc(url, collect(logged));
  const second = await generateSchemaDoc(url, collect(logged));
  for (const m of logged) used.push(...(m.match(/scoreline_docs_\w+/) ?? []));
  t.equal(second, first, 'two generations are identical');
  t.equal(used.length, 2, 'each generation used a temporary database of its own');
  const left = await db.sql`select datname from pg_database where datname = any(${used}::text[])`;
  t.same(left, [], 'the temporary databases are dropped');
  t.notMatch(first, /\b20\d\d-\d\d-\d\d[ T]\d\d:\d\d/, 'no timestamp in the output');

  // The migrated template each test clones is such a fresh database: same dictionary.
  t.equal(await renderSchemaDoc(db.sql), first, 'a freshly migrated clone renders the same dictionary');
});

t.test('the dictionary shows tables, columns, constraints, indexes, triggers and functions with their comments', async (t) => {
  const db = await testDb(t);
  const doc = await renderSchemaDoc(db.sql);
  const [row] = await db.sql<{ comment: string }[]>`select obj_description('core.event'::regclass, 'pg_class') as comment`;
  const section = doc.split('\n### ').find((s) => s.startsWith('core.event\n'));
  t.ok(section, 'core.event has a section');
  t.ok(row?.comment && section?.includes(row.comment), 'with its table comment');
  t.match(
    section,
    /\| external_id \| text \| not null \|  \| The natural id, unique: 2024_01_BAL_KC/,
    'a column with its type and comment',
  );
  t.match(section, /\| event_id \| bigint \| not null \| generated always as identity \|/, 'an identity column');
  t.match(section, /\*\*event_external_id_key\*\* `UNIQUE \(external_id\)`/, 'a constraint with its definition');
  t.match(
    section,
    /\*\*event_season_fk\*\* `FOREIGN KEY \(season_id, competition_id\) REFERENCES core\.season/,
    'a foreign key, schema-qualified',
  );
  t.match(section, /\*\*event_status_scheduled_idx\*\* `CREATE INDEX event_status_scheduled_idx ON core\.event USING btree/, 'an index');
  t.match(section, /\*\*_100_guard_status\*\* `CREATE TRIGGER _100_guard_status BEFORE UPDATE ON core\.event/, 'a trigger');
  t.match(
    doc,
    /#### core\.correct_event_result\n\n`core\.correct_event_result\(p_event_id bigint,[^`]*\) returns core\.event_correction`/,
    'a function signature',
  );
  t.match(
    doc,
    /function · plpgsql · volatile · \*\*security definer\*\* · `set search_path=pg_catalog, pg_temp`\n\nCorrects a settled result/,
    'its traits and comment',
  );
  t.match(doc, /### public\.scoreline_sql_file\n/, 'public.scoreline_sql_file is listed');
  t.notMatch(doc, /schema_migrations\n/, "dbmate's table is not");
  t.notMatch(doc, /### graphile_worker\./, "graphile-worker's objects are not");
  const order = ['## Schema core', '## Schema market', '## Schema public'].map((h) => doc.indexOf(h));
  t.ok(
    order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)),
    'schemas in their stated order, public last',
  );

  // Data changes nothing: the dictionary is about the schema.
  await db.sql`insert into core.sport (code, name) values ('curling', 'Curling')`;
  t.equal(await renderSchemaDoc(db.sql), doc, 'rows in the tables do not change the output');
});

t.test('partitions are skipped: only their parent is listed', async (t) => {
  const db = await testDb(t);
  await db.sql.unsafe(`
    create table core.docs_probe (at date not null, n int) partition by range (at);
    comment on table core.docs_probe is 'A partitioned probe.';
    create table core.docs_probe_20260101 partition of core.docs_probe for values from ('2026-01-01') to ('2026-01-02');
    create table core.docs_probe_20260102 partition of core.docs_probe for values from ('2026-01-02') to ('2026-01-03');`);
  const doc = await renderSchemaDoc(db.sql);
  t.match(
    doc,
    /### core\.docs_probe\n\n_partitioned table_, partitioned by `RANGE \(at\)`\n\nA partitioned probe\./,
    'the parent, with its key',
  );
  t.notMatch(doc, /docs_probe_2026/, 'no partition');
  t.same(await missingComments(db.sql), [], 'partitions need no comment of their own');
});

t.test('--check: a matching file passes, a stale or missing one is named with what to do', async (t) => {
  const fresh = '# Schema dictionary\n\nline two\nline three\n';
  t.equal(compareSchemaDoc(fresh, fresh), undefined, 'identical: no problem');
  const stale = compareSchemaDoc('# Schema dictionary\n\nline two\nline 3\n', fresh);
  t.match(stale, /docs\/schema\.md is out of date: it differs from a fresh generation from line 4/, 'names the first differing line');
  t.match(stale, /committed: "line 3"\n {2}fresh: {5}"line three"/, 'shows both versions of it');
  t.match(stale, /run `make docs` and commit docs\/schema\.md/, 'says what to do');
  t.match(compareSchemaDoc(fresh.slice(0, 20), fresh), /from line 3/, 'a truncated file');
  t.match(compareSchemaDoc(undefined, fresh), /does not exist: run `make docs`/, 'a missing file');
});

t.test('every table, view, materialized view and function of the scoreline schemas has a COMMENT', async (t) => {
  const db = await testDb(t);
  const missing = await missingComments(db.sql);
  t.same(
    missing.map((m) => `${m.kind} ${m.name}`),
    [],
    missing.length
      ? `objects without a COMMENT (add "comment on … is" next to their definition): ${missing.map((m) => m.name).join(', ')}`
      : 'all commented',
  );
});

t.test('the comment check finds what lacks a comment', async (t) => {
  const db = await testDb(t);
  await db.sql.unsafe(`
    create table core.docs_uncommented (id int);
    create view market.docs_uncommented_v as select 1 as one;
    create materialized view core.docs_uncommented_mv as select 1 as one with no data;
    create function core.docs_uncommented_f(a int, b text) returns int language sql immutable as 'select a';
    create table core.docs_blank (id int);
    comment on table core.docs_blank is '  ';
    create table core.docs_commented (id int);
    comment on table core.docs_commented is 'Has one.';`);
  t.same(await missingComments(db.sql), [
    { kind: 'table', name: 'core.docs_blank' },
    { kind: 'table', name: 'core.docs_uncommented' },
    { kind: 'function', name: 'core.docs_uncommented_f(a integer, b text)' },
    { kind: 'materialized view', name: 'core.docs_uncommented_mv' },
    { kind: 'view', name: 'market.docs_uncommented_v' },
  ]);
});
