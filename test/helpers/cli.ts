// `scoreline` as a user runs it: src/cli.ts in a child process of its own against DATABASE_URL,
// its exit code and what it printed on stdout and stderr.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/embedded.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(url: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A command's stdout when it is not a terminal (src/output.ts): one JSON object per line.
 * Throws, naming the line, when a line is anything else.
 */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${l}`);
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`stdout line ${i + 1} is not a JSON object: ${l}`);
      return v as Record<string, unknown>;
    });
}

/** The batch row `scoreline ingest` printed last (after any --show-rejected rows), as JSON. */
export function ingestResult(stdout: string): Record<string, unknown> | undefined {
  return jsonLines(stdout).at(-1);
}
