#!/usr/bin/env node
// Runs every test/**/*.test.ts through tsx: Node 20's --test does not expand globs for .ts files itself.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDirectory = join(root, 'test');

/** Every `*.test.ts` under `directory`, at any depth. */
function findTestFiles(directory) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTestFiles(path);
    return entry.isFile() && entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = findTestFiles(testDirectory)
  .map((path) => relative(root, path))
  .sort();
if (files.length === 0) {
  process.stderr.write('scripts/test.js: no test/**/*.test.ts files found\n');
  process.exit(1);
}
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...process.argv.slice(2), ...files],
  { cwd: root, stdio: 'inherit' },
);
if (run.error !== undefined) throw run.error;
process.exit(run.status ?? 1);
