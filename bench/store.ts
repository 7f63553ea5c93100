// npm run bench:store — durable settlements per second through the single writer (group commit)
// into SQLite and into PostgreSQL, and the per-order-transaction baseline on the same PostgreSQL.
// Prints one JSON line per case. Setup (members, merchants) is written first and not timed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentifiedCommand, SetupCommand } from '../src/domain/messages.ts';
import { cents } from '../src/domain/units.ts';
import { openLedger, openStore } from '../src/store/ledger.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { runBaseline } from './store-baseline.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 300_000);
const members = 10_000;
const merchants = 100;
const chunkCommands = 8_192;
const chunksInFlightMax = 8;

function setupCommands(): SetupCommand[] {
  const commands: SetupCommand[] = [];
  for (let index = 0; index < members; index += 1) {
    const referrer = index > 0 ? `mem_${(index * 7919) % index}` : null;
    commands.push({ type: 'registerMember', member: `mem_${index}`, referrer });
  }
  for (let index = 0; index < merchants; index += 1) {
    commands.push({
      type: 'registerMerchant',
      merchant: `mch_${index}`,
      owner: `mem_${index}`,
      recruiter: `mem_${index + 1}`,
      region: '440306',
      commissionRate: null,
    });
  }
  return commands;
}

function orderCommands(): IdentifiedCommand[] {
  return Array.from({ length: orders }, (_, index) => ({
    type: 'order' as const,
    id: `ord_${index}`,
    member: `mem_${(index * 31) % members}`,
    merchant: `mch_${index % merchants}`,
    amount: cents(BigInt(1_000 + ((index * 7) % 99_000))),
  }));
}

async function durableSettlements(database: string, label: string): Promise<void> {
  // The writer's own batching (defaultSequencerOptions), as `poolpoint serve` runs it.
  const ledger = await openLedger(await openStore(database), { snapshotEveryEvents: 0 });
  try {
    await ledger.sequencer.submitMany(setupCommands());
    const commands = orderCommands();
    const started = process.hrtime.bigint();
    // A busy shop keeps a few chunks in flight, well inside the writer's queue bound.
    const inFlight: Promise<unknown>[] = [];
    for (let start = 0; start < commands.length; start += chunkCommands) {
      if (inFlight.length >= chunksInFlightMax) await inFlight.shift();
      inFlight.push(ledger.sequencer.submitMany(commands.slice(start, start + chunkCommands)));
    }
    await Promise.all(inFlight);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const line = {
      bench: 'store',
      database: label,
      mode: 'group commit',
      orders,
      events: ledger.sequencer.head.sequence,
      seconds: Number(seconds.toFixed(3)),
      settlementsPerSecond: Math.round(orders / seconds),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await ledger.close();
  }
}

/** BENCH_DATABASES=sqlite (or postgres) runs one store only. */
const databases = (process.env.BENCH_DATABASES ?? 'sqlite,postgres').split(',');
if (databases.includes('sqlite')) {
  const folder = mkdtempSync(join(tmpdir(), 'poolpoint-bench-'));
  try {
    await durableSettlements(`sqlite:${join(folder, 'bench.db')}`, 'sqlite');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
if (databases.includes('postgres')) {
  const postgres = await createTestDatabase();
  try {
    await durableSettlements(postgres.url, 'postgres');
  } finally {
    await postgres.drop();
  }
}
if (databases.includes('postgres') && process.env.BENCH_SKIP_BASELINE !== '1') {
  const baselineDatabase = await createTestDatabase();
  try {
    const baseline = await runBaseline(
      baselineDatabase.url,
      Number(process.env.BENCH_BASELINE_ORDERS ?? 20_000),
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'store', database: 'postgres', mode: 'one transaction per order (baseline)', ...baseline })}\n`,
    );
  } finally {
    await baselineDatabase.drop();
  }
}
