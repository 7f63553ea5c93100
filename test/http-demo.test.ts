// The demo data of a first start: thirty days of orders written as they happened, so that the price
// chart has many points spread over those days (not one), the last week's orders still pending, the
// log in time order and verifiable, agents paid, and the sign-ins printed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/http/app.ts';
import { ManualClock } from '../src/service/clock.ts';
import { type DemoLogins, seedDemo } from '../src/service/demo.ts';
import { PoolpointService } from '../src/service/service.ts';
import { openStore } from '../src/store/ledger.ts';
import { readRowsMax } from '../src/store/store.ts';
import { verifyLog } from '../src/store/verify.ts';
import { dayMs, type Json, startMs } from './support/http.ts';
import { sqliteTestStore, type TestStore } from './support/stores.ts';

let store: TestStore;
let service: PoolpointService;
let app: FastifyInstance;
let demo: DemoLogins;
const clock = new ManualClock(startMs);
const holdWindowMs = 7 * dayMs;

/** "4.995390" → 4995390n: printed prices compared exactly. */
const priceUnits = (text: string): bigint => BigInt(text.replace('.', ''));

before(async () => {
  store = await sqliteTestStore();
  service = await PoolpointService.open({ database: store.database, clock, settleEveryMs: 0 });
  demo = await seedDemo(service);
  app = buildApp(service);
  await app.ready();
});

after(async () => {
  await app.close();
  await service.close();
  await store.cleanup();
});

test('the sign-ins are printed: staff, stores, members and the shop key', () => {
  const logins = demo.lines.map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '));
  for (const login of [
    'admin admin',
    'finance finance',
    'merchant store1',
    'merchant store3',
    'member member1',
    'member member6',
  ])
    assert.ok(logins.includes(login), `${login} is printed`);
  assert.ok(demo.lines.some((line) => /^shop API key \(x-api-key\): pk_[\w-]+$/.test(line)));
});

test('the clock is back to now after seeding', () => {
  assert.equal(service.clock.now(), startMs);
});

test('the price chart has a point per step of the history, spread over the thirty days, never falling', async () => {
  const samples = (await app.inject({ method: 'GET', url: '/v1/market/history' })).json().samples as Json[];
  assert.ok(samples.length >= 60, `${samples.length} points`);
  const days = new Set(samples.map((sample) => Math.floor((startMs - sample.atMs) / dayMs)));
  assert.ok(days.size >= 20, `points on ${days.size} days`);
  assert.ok((samples[0].atMs as number) >= startMs - 31 * dayMs);
  assert.ok((samples.at(-1).atMs as number) <= startMs);
  for (let index = 1; index < samples.length; index += 1) {
    assert.ok(samples[index].atMs > samples[index - 1].atMs, 'in time order');
    assert.ok(
      priceUnits(samples[index].price) >= priceUnits(samples[index - 1].price),
      'the price never falls',
    );
  }
  const market = (await app.inject({ method: 'GET', url: '/v1/market' })).json();
  assert.equal(samples.at(-1).price, market.price);
});

test('orders of the last week are pending, older ones settled; the log is in time order and verifies', async () => {
  const pending = service.state.pendingInOrder();
  assert.ok(pending.length > 0);
  for (const order of pending)
    assert.ok(order.command.paidAtMs + holdWindowMs > startMs, `${order.command.id} is due`);
  const settled = (
    await app.inject({
      method: 'GET',
      url: '/v1/orders/ord_demo_30_0',
      headers: { 'x-api-key': keyOf(demo) },
    })
  ).json();
  assert.equal(settled.status, 'settled');
  const log = await openStore(store.database);
  try {
    let lastMs = 0;
    for (let sequence = 1; ; ) {
      const rows = await log.read(sequence, readRowsMax);
      if (rows.length === 0) break;
      for (const row of rows) {
        assert.ok(row.recordedAtMs >= lastMs, `event ${row.sequence} is recorded in time order`);
        lastMs = row.recordedAtMs;
      }
      sequence = (rows.at(-1)?.sequence ?? sequence) + 1;
    }
    const report = await verifyLog(log);
    assert.equal(report.ok, true, JSON.stringify(report.firstDisagreement));
  } finally {
    await log.close();
  }
});

test('the demo’s agents have been paid on orders in their regions', async () => {
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { login: 'admin', password: passwordOf(demo, 'admin') },
  });
  assert.equal(login.statusCode, 200, login.body);
  const agents = await app.inject({
    method: 'GET',
    url: '/v1/agents',
    headers: { authorization: `Bearer ${login.json().token}` },
  });
  const items = agents.json().items as Json[];
  assert.deepEqual(
    items.map((agent) => `${agent.level}:${agent.region}`),
    ['district:440306', 'city:440300', 'province:440000'],
  );
  for (const agent of items) assert.ok(priceUnits(agent.earnings) > 0n, `${agent.member} earned`);
});

function keyOf(logins: DemoLogins): string {
  const line = logins.lines.find((text) => text.startsWith('shop API key')) as string;
  return line.split(' ').at(-1) as string;
}

function passwordOf(logins: DemoLogins, login: string): string {
  const words = logins.lines.map((line) => line.trim().split(/\s+/)).find((parts) => parts[1] === login);
  return (words as string[])[2] as string;
}
