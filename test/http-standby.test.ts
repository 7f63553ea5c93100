// Two service processes on one PostgreSQL database (in-process here, each with its own pool and
// leader lock): the first leads; the second is a standby that serves reads from its own replay and
// answers writes with 503 not_leader, saying where the leader is. When the leader stops, the standby
// takes over, and a later standby points at the new leader.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/http/app.ts';
import { ManualClock } from '../src/service/clock.ts';
import { PoolpointService } from '../src/service/service.ts';
import { assertProblem, type Caller, type Json, passwordOf, startMs } from './support/http.ts';
import { postgresTestStore, type TestStore } from './support/stores.ts';

const leaderUrl = 'http://10.0.0.5:3000';
const standbyUrl = 'http://10.0.0.6:3000';
const followMs = 250;
const takeoverMsMax = 15_000;

let store: TestStore;
const clock = new ManualClock(startMs);
const services: PoolpointService[] = [];

async function openService(publicUrl: string): Promise<{ service: PoolpointService; app: FastifyInstance }> {
  const service = await PoolpointService.open({
    database: store.database,
    clock,
    settleEveryMs: 0,
    publicUrl,
  });
  services.push(service);
  const app = buildApp(service);
  await app.ready();
  return { service, app };
}

async function call(app: FastifyInstance, method: 'GET' | 'POST', url: string, as: Caller, body?: unknown) {
  const response = await app.inject({
    method,
    url,
    headers: {
      ...(as.token === undefined ? {} : { authorization: `Bearer ${as.token}` }),
      ...(as.apiKey === undefined ? {} : { 'x-api-key': as.apiKey }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return {
    status: response.statusCode,
    text: response.body,
    json: JSON.parse(response.body) as Json,
    headers: {},
  };
}

async function until(what: string, predicate: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + takeoverMsMax;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, followMs / 5));
  }
}

before(async () => {
  store = await postgresTestStore();
});

after(async () => {
  for (const service of services) await service.close().catch(() => undefined);
  await store.cleanup();
});

test('a standby refuses writes with 503 not_leader naming the leader, serves reads, and takes over', async () => {
  const leader = await openService(leaderUrl);
  assert.equal(leader.service.node.role, 'leader');
  await leader.service.accounts.create(
    { id: 'acc_admin', login: 'admin', role: 'admin', subject: null, createdAtMs: clock.now() },
    passwordOf('admin'),
  );
  const shop: Caller = { apiKey: await leader.service.accounts.createApiKey('shop', clock.now()) };
  const standby = await openService(standbyUrl);
  assert.equal(standby.service.node.role, 'standby');

  // Accounts and sessions are shared: the admin signs in on the standby.
  const login = await call(
    standby.app,
    'POST',
    '/v1/auth/login',
    {},
    { login: 'admin', password: passwordOf('admin') },
  );
  assert.equal(login.status, 200, login.text);
  const admin: Caller = { token: login.json.token };

  const market = (await call(leader.app, 'GET', '/v1/market', {})).json;
  const refused = await call(standby.app, 'POST', '/v1/injections', admin, { id: 'inj_1', amount: '100.00' });
  assertProblem(refused, 503, 'not_leader', /this process is a standby: send writes to the leader/);
  assert.match(
    refused.json.message,
    new RegExp(
      `the leader is ${leaderUrl.replaceAll('.', '\\.')}: process ${process.pid} on \\S+, leading since \\d{4}-`,
    ),
  );
  const order = await call(standby.app, 'POST', '/v1/orders', shop, {
    id: 'ord_1',
    member: 'mem_x',
    merchant: 'mch_x',
    amount: '1.00',
  });
  assertProblem(order, 503, 'not_leader', /10\.0\.0\.5:3000/);
  assert.deepEqual((await call(leader.app, 'GET', '/v1/market', {})).json, market, 'nothing changed');

  // The leader writes; the standby follows and serves the same figures.
  const injected = await call(leader.app, 'POST', '/v1/injections', admin, { id: 'inj_1', amount: '100.00' });
  assert.equal(injected.status, 200, injected.text);
  const moved = (await call(leader.app, 'GET', '/v1/market', {})).json;
  await until('the standby to follow the injection', async () => {
    const seen = (await call(standby.app, 'GET', '/v1/market', {})).json;
    return seen.pool === moved.pool;
  });

  // The leader stops: the standby takes over and writes; a new standby points at it.
  const stopped = services.shift() as PoolpointService;
  await leader.app.close();
  await stopped.close();
  await until('the standby to take over', () => standby.service.node.role === 'leader');
  const retried = await call(standby.app, 'POST', '/v1/injections', admin, { id: 'inj_2', amount: '50.00' });
  assert.equal(retried.status, 200, retried.text);
  const later = await openService('http://10.0.0.7:3000');
  assert.equal(later.service.node.role, 'standby');
  const refusedLater = await call(later.app, 'POST', '/v1/injections', admin, {
    id: 'inj_3',
    amount: '1.00',
  });
  assertProblem(refusedLater, 503, 'not_leader', /the leader is http:\/\/10\.0\.0\.6:3000/);
});
