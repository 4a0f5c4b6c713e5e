// Every function states its volatility (CONVENTIONS.md): each `create [or replace] function` in
// sql/ and db/migrations/ says immutable, stable or volatile — in its header or after its body.
// PostgreSQL's default (volatile) is right for most, but stated it is a decision, not an accident.
//   node scripts/check-volatility.mjs [dir ...]   (`make lint`; default: sql db/migrations)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : [path.join(root, 'sql'), path.join(root, 'db', 'migrations')];

/** The text with -- comments and /* *\/ comments blanked (same length, so positions keep their lines). */
function blankComments(text) {
  return text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
}

const missing = [];
let count = 0;
for (const dir of dirs) {
  for (const file of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    const text = blankComments(fs.readFileSync(path.join(dir, file), 'utf8'));
    const re = /\bcreate\s+(?:or\s+replace\s+)?function\s+([\w."]+)/gi;
    let m;
    while ((m = re.exec(text))) {
      // the statement: the header up to the body's opening dollar quote, then what follows its
      // closing quote up to the semicolon (the body itself may say anything)
      const rest = text.slice(m.index);
      const open = /\$([A-Za-z_]\w*)?\$/.exec(rest);
      const semicolon = rest.indexOf(';');
      let attrs;
      if (open && (semicolon < 0 || open.index < semicolon)) {
        const close = rest.indexOf(open[0], open.index + open[0].length);
        const after = close < 0 ? '' : rest.slice(close + open[0].length);
        attrs = `${rest.slice(0, open.index)} ${after.slice(0, after.indexOf(';') < 0 ? undefined : after.indexOf(';'))}`;
        re.lastIndex = m.index + (close < 0 ? rest.length : close + open[0].length);
      } else {
        attrs = rest.slice(0, semicolon < 0 ? undefined : semicolon); // language sql … return …;
      }
      count++;
      if (!/\b(immutable|stable|volatile)\b/i.test(attrs)) {
        const line = text.slice(0, m.index).split('\n').length;
        missing.push(`${path.relative(process.cwd(), path.join(dir, file))}:${line}: ${m[1]} states no volatility`);
      }
    }
  }
}
if (missing.length) {
  for (const l of missing) console.error(l);
  console.error('Every function states immutable, stable or volatile (CONVENTIONS.md); trigger functions are volatile.');
  process.exit(1);
}
console.log(`${count} functions in ${dirs.map((d) => path.relative(process.cwd(), d) || d).join(', ')}: each states its volatility`);
