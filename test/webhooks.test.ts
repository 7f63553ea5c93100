// Outbound webhooks against a real HTTP server on 127.0.0.1: what the shop receives, verifies and
// answers decides the delivery's fate; retries back off; every bound holds; close() lets the process exit.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  backoffDelayMs,
  deliveryHeader,
  type Schedule,
  signatureHeader,
  signPayload,
  verifySignature,
  WebhookDispatcher,
} from '../src/service/webhooks.ts';

const secret = 'whsec_test';
const toleranceMs = 5 * 60_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers a request: a status code, or 'hang' to hold the request open until the server closes. */
type Answer = number | 'hang';

interface Shop {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

async function startShop(answer: (received: Received, index: number) => Answer): Promise<Shop> {
  const received: Received[] = [];
  const server = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      const decision = answer(entry, received.length - 1);
      if (decision === 'hang') return;
      response.writeHead(decision, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A real timer schedule that also records each delay asked for. */
function recordingSchedule(): { schedule: Schedule; delaysMs: number[] } {
  const delaysMs: number[] = [];
  const schedule: Schedule = (run, delayMs) => {
    delaysMs.push(delayMs);
    const timer = setTimeout(run, delayMs);
    return () => clearTimeout(timer);
  };
  return { schedule, delaysMs };
}

const timeoutCount = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

/** Polls a condition the test cannot await directly (a request reaching the shop), for up to ~2 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let pollsLeft = 1_000; !condition(); pollsLeft -= 1) {
    assert.ok(pollsLeft > 0, 'condition not reached');
    await delay(2);
  }
}

test('signPayload / verifySignature: the shop accepts only untouched, fresh, correctly keyed bodies', () => {
  const body = '{"id":"whd_1"}';
  const nowMs = 1_700_000_000_000;
  const header = signPayload(secret, nowMs, body);
  assert.match(header, /^t=1700000000000,v1=[0-9a-f]{64}$/);
  assert.equal(verifySignature(secret, header, body, nowMs + 1_000, toleranceMs), true);
  assert.equal(verifySignature(secret, header, `${body} `, nowMs, toleranceMs), false, 'tampered body');
  assert.equal(verifySignature('another', header, body, nowMs, toleranceMs), false, 'wrong secret');
  assert.equal(verifySignature(secret, header, body, nowMs + toleranceMs + 1, toleranceMs), false, 'stale');
  assert.equal(verifySignature(secret, header, body, nowMs - toleranceMs - 1, toleranceMs), false, 'future');
  const forgedTime = header.replace('t=1700000000000', 't=1700000001000');
  assert.equal(verifySignature(secret, forgedTime, body, nowMs, toleranceMs), false, 'timestamp is signed');
  for (const malformed of ['', 't=1', 'v1=abc', 't=x,v1=00', 'nonsense', `t=1,v1=${'0'.repeat(2_000)}`]) {
    assert.equal(verifySignature(secret, malformed, body, nowMs, toleranceMs), false, malformed);
  }
  const rotated = `${signPayload('old-secret', nowMs, body)},v1=${header.split('v1=')[1]}`;
  assert.equal(verifySignature(secret, rotated, body, nowMs, toleranceMs), true, 'one v1 of several');
});

test('backoffDelayMs: full jitter under an exponential ceiling, capped', () => {
  const almostOne = () => 0.999_999;
  assert.equal(
    backoffDelayMs(1, 1_000, 600_000, () => 0),
    0,
  );
  assert.equal(backoffDelayMs(1, 1_000, 600_000, almostOne), 999);
  assert.equal(backoffDelayMs(4, 1_000, 600_000, almostOne), 7_999);
  assert.equal(backoffDelayMs(40, 1_000, 600_000, almostOne), 599_999);
  assert.equal(backoffDelayMs(10_000, 1_000, 600_000, almostOne), 599_999);
});

test('a delivery is signed, identified and verifiable by the receiving shop', async () => {
  const clockMs = 1_700_000_000_000;
  // The shop verifies against the same fixed clock the dispatcher signs with.
  const shop = await startShop((received) => {
    const header = String(received.headers[signatureHeader]);
    return verifySignature(secret, header, received.body, clockMs, toleranceMs) ? 204 : 401;
  });
  const dispatcher = new WebhookDispatcher({ url: shop.url, secret, now: () => clockMs });
  try {
    const queued = dispatcher.enqueue('order.settled', { order: 'ord_1' });
    await dispatcher.whenIdle();
    assert.equal(dispatcher.delivery(queued.id)?.status, 'delivered');
    const [received] = shop.received;
    assert.ok(received !== undefined);
    assert.equal(String(received.headers[signatureHeader]), signPayload(secret, clockMs, received.body));
    assert.equal(received.headers['content-type'], 'application/json');
    assert.equal(received.headers[deliveryHeader], queued.id);
    assert.deepEqual(JSON.parse(received.body), {
      id: queued.id,
      type: 'order.settled',
      createdAt: '2023-11-14T22:13:20.000Z',
      data: { order: 'ord_1' },
    });
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('a delivery the shop verifies with its own clock is delivered after one attempt', async () => {
  const shop = await startShop((received) => {
    const header = String(received.headers[signatureHeader]);
    return verifySignature(secret, header, received.body, Date.now(), toleranceMs) ? 200 : 401;
  });
  const dispatcher = new WebhookDispatcher({ url: shop.url, secret });
  try {
    const queued = dispatcher.enqueue('points.minted', { member: 'mem_1' });
    assert.match(queued.id, /^whd_[0-9a-f]{24}$/);
    assert.equal(queued.status, 'pending');
    await dispatcher.whenIdle();
    const delivery = dispatcher.delivery(queued.id);
    assert.equal(delivery?.status, 'delivered');
    assert.equal(delivery?.attempts.length, 1);
    assert.equal(delivery?.attempts[0]?.statusCode, 200);
    assert.equal(delivery?.attempts[0]?.error, null);
    assert.ok((delivery?.attempts[0]?.durationMs ?? -1) >= 0);
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('after 500s the delivery is retried with growing backoff, the same id and body, then delivered', async () => {
  const shop = await startShop((_received, index) => (index < 2 ? 500 : 200));
  const { schedule, delaysMs } = recordingSchedule();
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    schedule,
    random: () => 0.999,
    retryDelayMsBase: 10,
  });
  try {
    const queued = dispatcher.enqueue('withdrawal.status', { withdrawal: 'wdr_1', status: 'paid' });
    await dispatcher.whenIdle();
    const delivery = dispatcher.delivery(queued.id);
    assert.equal(delivery?.status, 'delivered');
    assert.deepEqual(
      delivery?.attempts.map((attempt) => attempt.statusCode),
      [500, 500, 200],
    );
    assert.deepEqual(delaysMs, [9, 19], 'base 10 ms doubled, full jitter at 0.999');
    assert.equal(new Set(shop.received.map((received) => received.headers[deliveryHeader])).size, 1);
    assert.equal(new Set(shop.received.map((received) => received.body)).size, 1);
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('a shop that keeps failing is given up on after retryAttemptsMax attempts', async () => {
  const shop = await startShop(() => 503);
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    retryAttemptsMax: 3,
    retryDelayMsBase: 5,
  });
  try {
    const queued = dispatcher.enqueue('member.forced_out', { member: 'mem_2' });
    await dispatcher.whenIdle();
    const delivery = dispatcher.delivery(queued.id);
    assert.equal(delivery?.status, 'failed');
    assert.equal(delivery?.attempts.length, 3);
    assert.match(delivery?.failureReason ?? '', /gave up after 3 attempts/);
    assert.equal(delivery?.nextAttemptAtMs, null);
    assert.equal(shop.received.length, 3);
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('a shop that does not answer in time counts as a failed attempt', async () => {
  const shop = await startShop((_received, index) => (index === 0 ? 'hang' : 200));
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    deliveryTimeoutMs: 50,
    retryDelayMsBase: 5,
  });
  try {
    const queued = dispatcher.enqueue('order.settled', { order: 'ord_2' });
    await dispatcher.whenIdle();
    const delivery = dispatcher.delivery(queued.id);
    assert.equal(delivery?.status, 'delivered');
    assert.equal(delivery?.attempts[0]?.statusCode, null);
    assert.equal(delivery?.attempts[0]?.error, 'no answer within 50 ms');
    // On a loaded machine a later attempt may time out too; the shop answers all but the first.
    assert.equal(delivery?.attempts.at(-1)?.statusCode, 200);
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('an unreachable shop is a failed attempt with the network error recorded', async () => {
  const shop = await startShop(() => 200);
  await shop.close(); // the port is now closed: connections are refused
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    retryAttemptsMax: 2,
    retryDelayMsBase: 1,
  });
  try {
    const queued = dispatcher.enqueue('order.settled', {});
    await dispatcher.whenIdle();
    const delivery = dispatcher.delivery(queued.id);
    assert.equal(delivery?.status, 'failed');
    assert.match(delivery?.attempts[0]?.error ?? '', /ECONNREFUSED/);
  } finally {
    await dispatcher.close();
  }
});

test('bigint values in data travel as decimal strings', async () => {
  const shop = await startShop(() => 200);
  const dispatcher = new WebhookDispatcher({ url: shop.url, secret });
  try {
    const data = { amount: 12_345_678_901_234_567_890n, postings: [{ cents: -1n }], note: 'x' };
    const queued = dispatcher.enqueue('order.settled', data);
    await dispatcher.whenIdle();
    const [received] = shop.received;
    assert.ok(received !== undefined);
    assert.match(received.body, /"amount":"12345678901234567890"/);
    assert.deepEqual(JSON.parse(received.body).data, {
      amount: '12345678901234567890',
      postings: [{ cents: '-1' }],
      note: 'x',
    });
    assert.equal(dispatcher.delivery(queued.id)?.data, data, 'the log keeps the original data');
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('without a URL deliveries are logged as skipped; the log is bounded and pages newest first', async () => {
  const dispatcher = new WebhookDispatcher({ url: null, secret: '', deliveryLogMax: 3 });
  const ids = [0, 1, 2, 3, 4].map((index) => dispatcher.enqueue('points.minted', { index }).id);
  assert.deepEqual(
    dispatcher.deliveries(10).map((delivery) => delivery.id),
    [ids[4], ids[3], ids[2]],
  );
  assert.deepEqual(
    dispatcher.deliveries(1, 1).map((delivery) => delivery.id),
    [ids[3]],
  );
  assert.deepEqual(dispatcher.deliveries(5, 3), []);
  assert.ok(dispatcher.deliveries(3).every((delivery) => delivery.status === 'skipped'));
  assert.equal(dispatcher.delivery(ids[0] as string), null, 'the oldest left the log');
  assert.deepEqual(dispatcher.stats(), { queued: 0, inFlight: 0, logged: 3 });
  await dispatcher.close();
});

test('past queueLengthMax the oldest pending delivery is dropped, failed with the reason', async () => {
  const shop = await startShop((_received, index) => (index === 0 ? 'hang' : 200));
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    queueLengthMax: 2,
    deliveryConcurrencyMax: 1,
  });
  try {
    const first = dispatcher.enqueue('order.settled', { order: 1 });
    await until(() => shop.received.length === 1); // the first is in flight, held by the shop
    const second = dispatcher.enqueue('order.settled', { order: 2 });
    const third = dispatcher.enqueue('order.settled', { order: 3 });
    const dropped = dispatcher.delivery(first.id);
    assert.equal(dropped?.status, 'failed');
    assert.match(dropped?.failureReason ?? '', /queue was full \(2 pending/);
    await dispatcher.whenIdle();
    assert.equal(dispatcher.delivery(second.id)?.status, 'delivered');
    assert.equal(dispatcher.delivery(third.id)?.status, 'delivered');
    assert.equal(dispatcher.delivery(first.id)?.attempts.length, 0, 'the aborted attempt is not recorded');
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('a failed delivery can be retried by hand, and only a failed one', async () => {
  let shopIsUp = false;
  const shop = await startShop(() => (shopIsUp ? 200 : 500));
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    retryAttemptsMax: 2,
    retryDelayMsBase: 1,
  });
  try {
    const queued = dispatcher.enqueue('withdrawal.status', { withdrawal: 'wdr_2' });
    assert.deepEqual(dispatcher.retry(queued.id), {
      ok: false,
      code: 'not_failed',
      message: `delivery ${queued.id} is pending, not failed`,
    });
    await dispatcher.whenIdle();
    assert.equal(dispatcher.delivery(queued.id)?.status, 'failed');
    assert.equal(dispatcher.retry('whd_nope').ok, false);
    shopIsUp = true;
    const outcome = dispatcher.retry(queued.id);
    assert.equal(outcome.ok, true);
    await dispatcher.whenIdle();
    const delivery = dispatcher.delivery(queued.id);
    assert.equal(delivery?.status, 'delivered');
    assert.equal(delivery?.failureReason, null);
    assert.deepEqual(
      delivery?.attempts.map((attempt) => attempt.statusCode),
      [500, 500, 200],
    );
  } finally {
    await dispatcher.close();
    await shop.close();
  }
});

test('close() cancels retry timers and aborts requests in flight, leaving no open handles', async () => {
  const baselineTimeouts = timeoutCount();
  const shop = await startShop((_received, index) => (index === 0 ? 500 : 'hang'));
  let retryScheduled = false;
  const dispatcher = new WebhookDispatcher({
    url: shop.url,
    secret,
    retryDelayMsBase: 60_000,
    random: () => 0.5,
    schedule: (run, delayMs) => {
      retryScheduled = true;
      const timer = setTimeout(run, delayMs);
      return () => clearTimeout(timer);
    },
  });
  const waiting = dispatcher.enqueue('order.settled', { order: 'waiting' });
  await until(() => retryScheduled);
  assert.equal(timeoutCount(), baselineTimeouts + 1, 'a retry timer is pending');
  const hanging = dispatcher.enqueue('order.settled', { order: 'hanging' });
  await until(() => shop.received.length === 2);
  const idle = dispatcher.whenIdle();
  await dispatcher.close();
  await idle;
  assert.equal(timeoutCount(), baselineTimeouts, 'no timer left');
  assert.equal(dispatcher.stats().inFlight, 0);
  assert.equal(dispatcher.delivery(waiting.id)?.status, 'pending', 'not given up on: the process is leaving');
  assert.equal(dispatcher.delivery(hanging.id)?.attempts.length, 0);
  const late = dispatcher.enqueue('order.settled', { order: 'late' });
  assert.equal(late.status, 'failed');
  assert.equal(dispatcher.retry(waiting.id).ok, false);
  await shop.close();
});
