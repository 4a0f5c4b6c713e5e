// The schema stays ready for Citus (docs/scaling.md, "Partition the time series harder, then
// distribute them"), though Citus is not installable here: the document's two tables of
// distribution keys are read and checked against the catalog of a freshly migrated database.
// A distributed table: its key is a column; every primary key and unique index contains it;
// every foreign key from it goes to a reference table, or to a distributed table key to key
// (co-located); no other table references it. A reference table references only reference
// tables. A table listed as not ready yet must still fail one of these rules (else its row
// moves to the first table).
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Sql } from '../../src/db.ts';
import { repoRoot } from '../../src/embedded.ts';
import { testDb } from '../helpers/db.ts';

interface Row {
  patterns: string[];
  key: string | null; // null: reference table
}

/** The rows of the markdown table whose header starts with `header`. */
function tableRows(doc: string, header: RegExp): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const names = (cell: string) => [...cell.matchAll(/`([a-z_]+\.[a-z_*]+)`/g)].map((m) => m[1]!);

function parse(cells: string[]): Row {
  const key = /reference tables/.test(cells[1]!) ? null : (cells[1]!.match(/^`([a-z_]+)`$/)?.[1] ?? '');
  return { patterns: names(cells[0]!), key };
}

interface Rel {
  name: string;
}

async function tablesMatching(sql: Sql, pattern: string): Promise<string[]> {
  const like = pattern.replace(/_/g, '\\_').replace(/\*/g, '%');
  const rows = await sql<Rel[]>`
    select n.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition
       and n.nspname || '.' || c.relname like ${like}
     order by 1`;
  return rows.map((r) => r.name);
}

interface Unique {
  table: string;
  index: string;
  columns: string[];
}
interface Fk {
  name: string;
  from: string;
  to: string;
  from_columns: string[];
  to_columns: string[];
}

t.test('docs/scaling.md: the distribution keys hold in the catalog', async (t) => {
  const doc = await fs.readFile(path.join(repoRoot, 'docs/scaling.md'), 'utf8');
  t.match(doc, /Citus is\s+not installable here/, 'the document says plainly that Citus is not installed here');
  const ready = tableRows(doc, /^\|\s*table\s*\|\s*distribution key\s*\|/).map(parse);
  const pending = tableRows(doc, /^\|\s*table\s*\|\s*would distribute on\s*\|/).map((cells) => ({
    ...parse(cells),
    key: cells[1]!.match(/^`([a-z_]+)`$/)?.[1] ?? '',
  }));
  t.ok(ready.filter((r) => r.key).length >= 2, 'found the distributed tables');
  t.ok(
    ready.some((r) => r.key === null),
    'found the reference tables',
  );
  t.ok(pending.length >= 1, 'found the tables not ready yet');
  for (const r of [...ready, ...pending]) t.not(r.key, '', `a key is one column name in backquotes: ${r.patterns.join(', ')}`);

  const { sql } = await testDb(t);
  const expand = async (rows: Row[]) => {
    const out = new Map<string, string | null>();
    for (const r of rows) {
      for (const p of r.patterns) {
        const found = await tablesMatching(sql, p);
        t.ok(found.length > 0, `${p} names tables that exist`);
        for (const name of found) out.set(name, r.key);
      }
    }
    return out;
  };
  const readyKeys = await expand(ready);
  const pendingKeys = await expand(pending);
  const reference = new Set([...readyKeys].filter(([, k]) => k === null).map(([n]) => n));
  const distributedNow = new Map([...readyKeys].filter((e): e is [string, string] => e[1] !== null));

  const uniques = await sql<Unique[]>`
    select i.indrelid::regclass::text as table, i.indexrelid::regclass::text as index,
           array(select a.attname::text from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k) as columns
      from pg_index i join pg_class c on c.oid = i.indrelid
     where i.indisunique and not c.relispartition`;
  const fks = await sql<Fk[]>`
    select c.conname as name, c.conrelid::regclass::text as from, c.confrelid::regclass::text as to,
           array(select a.attname::text from unnest(c.conkey) k join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k) as from_columns,
           array(select a.attname::text from unnest(c.confkey) k join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k) as to_columns
      from pg_constraint c join pg_class r on r.oid = c.conrelid
     where c.contype = 'f' and not r.relispartition and c.conparentid = 0`;
  const columns = await sql<{ table: string; column: string }[]>`
    select attrelid::regclass::text as table, attname::text as column
      from pg_attribute a join pg_class c on c.oid = a.attrelid
     where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and not c.relispartition`;
  const hasColumn = (table: string, column: string) => columns.some((c) => c.table === table && c.column === column);

  /** What breaks Citus's rules for `table` distributed on `key`, the others as `distributed`. */
  const problemsOf = (table: string, key: string, distributed: Map<string, string>): string[] => {
    const out: string[] = [];
    if (!hasColumn(table, key)) out.push(`${table} has no column ${key}`);
    for (const u of uniques.filter((u) => u.table === table)) {
      if (!u.columns.includes(key)) out.push(`unique index ${u.index} (${u.columns.join(', ')}) lacks ${key}`);
    }
    for (const f of fks.filter((f) => f.from === table)) {
      if (reference.has(f.to)) continue;
      const toKey = distributed.get(f.to);
      const i = f.from_columns.indexOf(key);
      if (toKey === undefined) out.push(`foreign key ${f.name} goes to ${f.to}, neither a reference table nor distributed`);
      else if (i < 0 || f.to_columns[i] !== toKey)
        out.push(`foreign key ${f.name} to ${f.to} is not on the key (${key} → ${toKey}): it crosses shards`);
    }
    for (const f of fks.filter((f) => f.to === table && f.from !== table)) {
      if (!distributed.has(f.from)) out.push(`foreign key ${f.name} of ${f.from}, not distributed, references ${table}`);
    }
    return out;
  };

  for (const [table, key] of distributedNow) {
    const problems = problemsOf(table, key, distributedNow);
    t.same(problems, [], `${table} distributed on ${key}: unique indexes contain it, foreign keys go to reference tables or co-located`);
  }
  for (const table of reference) {
    const out = fks.filter((f) => f.from === table && !reference.has(f.to)).map((f) => `${f.name} → ${f.to}`);
    t.same(out, [], `reference table ${table} references only reference tables`);
  }
  // A table not ready yet, checked as if every table of both lists were distributed: it must
  // still break a rule, or the document is out of date.
  const all = new Map([...distributedNow, ...([...pendingKeys] as [string, string][])]);
  for (const [table, key] of pendingKeys) {
    const problems = problemsOf(table, key!, all);
    t.ok(problems.length > 0, `${table} is still not ready on ${key} (else move its row to the first table)`, { problems });
  }
});
