// Landed migrations are never edited: db/migrations.sha256 records the sha256 of every file in
// db/migrations (the format of `sha256sum`: "<sha256>  <file>" per line, sorted by name).
//   node scripts/check-migrations.mjs        `make lint`: fails when a recorded file was changed or
//                                            removed, or a file is not recorded yet
//   node scripts/check-migrations.mjs --add  `make migrations-manifest`: records the new files; never
//                                            rewrites or removes a recorded hash
// --dir=<migrations dir> and --manifest=<file> point it elsewhere (the tests use a copy).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const opt = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const dir = path.resolve(opt('dir', path.join(root, 'db', 'migrations')));
const manifest = path.resolve(opt('manifest', path.join(root, 'db', 'migrations.sha256')));
const add = process.argv.includes('--add');
const rel = (p) => path.relative(process.cwd(), p) || p;

const recorded = new Map();
if (fs.existsSync(manifest)) {
  const lines = fs.readFileSync(manifest, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (!m) {
      console.error(`${rel(manifest)} line ${i + 1}: expected "<sha256>  <file>", got ${JSON.stringify(line)}`);
      process.exit(1);
    }
    recorded.set(m[2], m[1]);
  });
}

const files = fs
  .readdirSync(dir)
  .filter((n) => n.endsWith('.sql'))
  .sort();
const sha256 = (name) =>
  createHash('sha256')
    .update(fs.readFileSync(path.join(dir, name)))
    .digest('hex');
const actual = new Map(files.map((n) => [n, sha256(n)]));

const changed = [...recorded].filter(([n, h]) => actual.has(n) && actual.get(n) !== h).map(([n]) => n);
const removed = [...recorded.keys()].filter((n) => !actual.has(n));
const unrecorded = files.filter((n) => !recorded.has(n));

const problems = [];
for (const n of changed) {
  problems.push(`${n} was edited after it landed (its sha256 is not the one recorded in ${rel(manifest)})`);
}
for (const n of removed) problems.push(`${n} is recorded in ${rel(manifest)} but no longer exists`);

if (add) {
  if (problems.length) {
    for (const p of problems) console.error(p);
    console.error('make migrations-manifest only records new files: restore the landed ones (git checkout -- db/migrations)');
    process.exit(1);
  }
  if (unrecorded.length) {
    const all = new Map([...recorded, ...unrecorded.map((n) => [n, actual.get(n)])]);
    const text = [...all.keys()]
      .sort()
      .map((n) => `${all.get(n)}  ${n}\n`)
      .join('');
    fs.writeFileSync(manifest, text);
  }
  console.log(unrecorded.length ? `recorded ${unrecorded.join(', ')} in ${rel(manifest)}` : `${rel(manifest)}: nothing new to record`);
  process.exit(0);
}

for (const n of unrecorded) {
  problems.push(`${n} is not recorded in ${rel(manifest)}: run make migrations-manifest (and commit both)`);
}
if (problems.length) {
  for (const p of problems) console.error(p);
  if (changed.length || removed.length) {
    console.error(
      'A landed migration is never edited or removed (databases already ran it): restore it and put the change in a new migration file.',
    );
  }
  process.exit(1);
}
console.log(`db/migrations: the ${files.length} files match ${rel(manifest)}`);
