// `poolpoint …` as an operator runs it: a child process in the repository, its exit status, stdout
// and stderr (for the CLI tests that only need the outcome, not a stream).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repositoryRoot, 'bin', 'poolpoint.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function poolpoint(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repositoryRoot }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}
