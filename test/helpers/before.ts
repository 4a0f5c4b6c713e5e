// Runs once before the test files: starts the server when it is the embedded one
// and builds the migrated template every test file clones.
import { ensureTemplate } from './db.ts';

const started = Date.now();
const name = await ensureTemplate();
console.log(`# template database ${name} ready in ${Date.now() - started} ms`);
