// npm run bench:http — drives a running `poolpoint serve` (a child process, SQLite in a temporary
// folder) with a load generator on 127.0.0.1: single order reports, then bulk reports, each for a
// bounded time. Prints one JSON line per case: orders/s and p50/p99 latency.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoolpointService } from '../src/service/service.ts';

const durationMs = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
/** BENCH_CASES=bulk (or single) runs one case only. */
const cases = (process.env.BENCH_CASES ?? 'single,bulk').split(',');
const bulkSize = 1_000;
const bulkConcurrency = 4;
const members = 1_000;
const port = 3_900 + Math.floor(Math.random() * 90);
const root = new URL('..', import.meta.url).pathname;

async function prepare(dataFolder: string): Promise<string> {
  const service = await PoolpointService.open({
    database: `sqlite:${join(dataFolder, 'poolpoint.db')}`,
    settleEveryMs: 0,
  });
  const setup = Array.from({ length: members }, (_, index) => ({
    type: 'registerMember' as const,
    member: `mem_${index}`,
    referrer: index > 0 ? `mem_${index >> 1}` : null,
  }));
  await service.submitMany(setup);
  await service.submit({
    type: 'registerMerchant',
    merchant: 'mch_0',
    owner: 'mem_0',
    recruiter: 'mem_1',
    region: '440306',
    commissionRate: null,
  });
  const key = await service.accounts.createApiKey('bench', Date.now());
  await service.close();
  return key;
}

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(path: string, key: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const call = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-api-key': key },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

const percentile = (sorted: number[], share: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;

async function drive(
  label: string,
  workers: number,
  next: () => { path: string; body: string; orders: number },
  key: string,
): Promise<void> {
  const latencies: number[] = [];
  let orders = 0;
  const deadline = Date.now() + durationMs;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < deadline) {
        const call = next();
        latencies.push(await post(call.path, key, call.body));
        orders += call.orders;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((left, right) => left - right);
  const line = {
    bench: 'http',
    case: label,
    database: 'sqlite',
    concurrency: workers,
    requests: latencies.length,
    orders,
    ordersPerSecond: Math.round(orders / seconds),
    p50Ms: Number(percentile(latencies, 0.5).toFixed(2)),
    p99Ms: Number(percentile(latencies, 0.99).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function waitForServer(): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/market`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not start');
}

const dataFolder = mkdtempSync(join(tmpdir(), 'poolpoint-bench-http-'));
const key = await prepare(dataFolder);
const server = spawn(
  process.execPath,
  // As `npm start` runs it: a larger young generation, so that the per-order garbage of a busy
  // server is collected in fewer scavenges.
  ['--max-semi-space-size=64', join(root, 'bin/poolpoint.js'), 'serve', '--port', String(port), '--no-demo'],
  {
    env: { ...process.env, POOLPOINT_DATA: dataFolder },
    stdio: 'ignore',
  },
);
try {
  await waitForServer();
  let sequence = 0;
  const order = () => {
    sequence += 1;
    return {
      id: `ord_${sequence}`,
      member: `mem_${sequence % members}`,
      merchant: 'mch_0',
      amount: `${10 + (sequence % 500)}.00`,
    };
  };
  if (cases.includes('single')) {
    await drive(
      'single',
      concurrency,
      () => ({ path: '/v1/orders', body: JSON.stringify(order()), orders: 1 }),
      key,
    );
  }
  if (cases.includes('bulk')) {
    await drive(
      'bulk',
      bulkConcurrency,
      () => ({
        path: '/v1/orders/bulk',
        body: JSON.stringify({ orders: Array.from({ length: bulkSize }, order) }),
        orders: bulkSize,
      }),
      key,
    );
  }
} finally {
  server.kill('SIGTERM');
  agent.destroy();
  await new Promise((resolve) => server.on('exit', resolve));
  rmSync(dataFolder, { recursive: true, force: true });
}
