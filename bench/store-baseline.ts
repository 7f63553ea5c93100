// node --import tsx bench/store-baseline.ts — the yardstick for the event store: orders settled the
// way a typical shop back-end does it, against the same PostgreSQL. Each order is one transaction that
// locks the single pool row, mints at the pool's price, updates the pool and the member and inserts an
// event; a few clients run side by side. Only the pool and mint part of SPEC.md is done (no rewards),
// which flatters the baseline. Prints one JSON line; env DATABASE_URL (loopback only) or a fresh
// database, BENCH_ORDERS (default 20,000), bounded by baselineTimeLimitMs as well.
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  applyRate,
  type Cents,
  cents,
  divFloor,
  MICROS_PER_POINT,
  type Micros,
  micros,
  ppm,
} from '../src/domain/units.ts';
import { createTestDatabase } from '../test/support/postgres.ts';

/** SPEC.md defaults: commission 20% of the order, 80% of it into the pool, mint 70% of the inflow. */
const commissionRate = ppm(200_000n);
const poolShare = ppm(800_000n);
const mintRatio = ppm(700_000n);
/** 1.00 yuan per point while the supply is zero. */
const initialPriceCentsPerPoint = 100n;

/** A shop runs a handful of workers against its database, each settling one order at a time. */
export const baselineClients = 8;
export const baselineMembers = 10_000;
export const baselineOrdersMax = 1_000_000;
export const baselineTimeLimitMs = 20_000;

export interface BaselineOptions {
  clients?: number;
  timeLimitMs?: number;
}

export interface BaselineResult {
  ordersPerSecond: number;
  /** Orders settled: fewer than asked when the time limit came first. */
  orders: number;
  elapsedMs: number;
}

/** int8 as bigint on this module's connections only. */
function bigintTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(20, BigInt);
  return types;
}

interface Mint {
  commission: Cents;
  inflow: Cents;
  minted: Micros;
}

/** Steps 2, 3, 5 and 6 of SPEC.md's order settlement, without rewards or a mint cap. */
function mint(amount: Cents, pool: Cents, supply: Micros): Mint {
  const commission = applyRate(amount, commissionRate);
  const inflow = applyRate(commission, poolShare);
  const value = applyRate(inflow, mintRatio);
  const minted =
    supply === 0n
      ? divFloor(value * MICROS_PER_POINT, initialPriceCentsPerPoint)
      : divFloor(value * supply, pool);
  return { commission, inflow, minted: micros(minted) };
}

const schemaSql = `
  DROP TABLE IF EXISTS baseline_events, baseline_members, baseline_pool;
  CREATE TABLE baseline_pool (
    id INTEGER PRIMARY KEY,
    pool_cents BIGINT NOT NULL,
    supply_micros BIGINT NOT NULL
  );
  INSERT INTO baseline_pool (id, pool_cents, supply_micros) VALUES (1, 0, 0);
  CREATE TABLE baseline_members (
    id TEXT PRIMARY KEY,
    points BIGINT NOT NULL DEFAULT 0,
    wallet BIGINT NOT NULL DEFAULT 0,
    consumption BIGINT NOT NULL DEFAULT 0
  );
  CREATE TABLE baseline_events (
    id BIGSERIAL PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    body JSONB NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );`;

async function createSchema(client: pg.Client): Promise<void> {
  await client.query(schemaSql);
  await client.query(
    `INSERT INTO baseline_members (id) SELECT 'mem_' || n FROM generate_series(0, $1::integer - 1) AS n`,
    [baselineMembers],
  );
}

/** One order, one transaction, as a shop back-end writes it. */
async function settle(client: pg.Client, index: number): Promise<void> {
  const amount = cents(10_000n + BigInt((index * 7_919) % 90_000)); // 100.00 to 999.99
  const member = `mem_${(index * 31) % baselineMembers}`;
  await client.query('BEGIN');
  try {
    const locked = await client.query<{ pool_cents: bigint; supply_micros: bigint }>(
      'SELECT pool_cents, supply_micros FROM baseline_pool WHERE id = 1 FOR UPDATE',
    );
    const row = locked.rows[0];
    if (row === undefined) throw new Error('baseline_pool has no row 1');
    const { commission, inflow, minted } = mint(amount, cents(row.pool_cents), micros(row.supply_micros));
    await client.query('UPDATE baseline_pool SET pool_cents = $1, supply_micros = $2 WHERE id = 1', [
      row.pool_cents + inflow,
      row.supply_micros + minted,
    ]);
    const body = {
      type: 'OrderSettled',
      member,
      amount: `${amount}`,
      commission: `${commission}`,
      inflow: `${inflow}`,
      minted: `${minted}`,
    };
    await client.query('INSERT INTO baseline_events (order_id, body) VALUES ($1, $2)', [
      `ord_${index}`,
      body,
    ]);
    await client.query(
      'UPDATE baseline_members SET points = points + $1, consumption = consumption + $2 WHERE id = $3',
      [minted, amount, member],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The figure is only worth printing if the books balance: supply = Σ points, one event per order. */
async function checkBooks(client: pg.Client, orders: number): Promise<void> {
  const result = await client.query<{ supply: bigint; points: bigint; events: bigint }>(
    `SELECT (SELECT supply_micros FROM baseline_pool WHERE id = 1) AS supply,
            (SELECT sum(points)::bigint FROM baseline_members) AS points,
            (SELECT count(*) FROM baseline_events) AS events`,
  );
  const row = result.rows[0];
  if (row === undefined || row.supply !== row.points || row.events !== BigInt(orders)) {
    throw new Error(`baseline books do not balance: ${JSON.stringify(row, (_, v) => `${v}`)}`);
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: bigintTypes() });
  await client.connect();
  return client;
}

export async function runBaseline(
  url: string,
  orders: number,
  options: BaselineOptions = {},
): Promise<BaselineResult> {
  const ordersTotal = Math.min(Math.max(0, Math.trunc(orders)), baselineOrdersMax);
  const timeLimitMs = options.timeLimitMs ?? baselineTimeLimitMs;
  const admin = await connect(url);
  const workers: pg.Client[] = [];
  try {
    await createSchema(admin);
    for (let index = 0; index < (options.clients ?? baselineClients); index += 1) {
      workers.push(await connect(url));
    }
    let next = 0;
    const startMs = performance.now();
    const deadlineMs = startMs + timeLimitMs;
    const work = async (client: pg.Client): Promise<void> => {
      while (next < ordersTotal && performance.now() < deadlineMs) {
        const index = next;
        next += 1;
        await settle(client, index);
      }
    };
    await Promise.all(workers.map(work));
    const elapsedMs = performance.now() - startMs;
    await checkBooks(admin, next);
    return {
      ordersPerSecond: Math.round((next * 1_000) / elapsedMs),
      orders: next,
      elapsedMs: Math.round(elapsedMs),
    };
  } finally {
    await Promise.all(workers.map((client) => client.end()));
    await admin
      .query('DROP TABLE IF EXISTS baseline_events, baseline_members, baseline_pool')
      .catch(() => undefined);
    await admin.end();
  }
}

/** The benchmark talks to a database on this machine only. */
function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`store-baseline: refusing to run against ${host}; use a database on 127.0.0.1`);
  }
}

async function main(): Promise<void> {
  const orders = Number(process.env.BENCH_ORDERS ?? 20_000);
  const database = process.env.DATABASE_URL === undefined ? await createTestDatabase() : null;
  const url = database?.url ?? (process.env.DATABASE_URL as string);
  try {
    assertLoopback(url);
    const result = await runBaseline(url, orders);
    console.log(
      JSON.stringify({
        bench: 'store-baseline',
        database: 'postgres',
        orders: result.orders,
        ordersPerSecond: result.ordersPerSecond,
        elapsedMs: result.elapsedMs,
        clients: baselineClients,
      }),
    );
  } finally {
    await database?.drop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
