// One member's whole journey over a real socket (app.listen on 127.0.0.1, the global fetch): sign up,
// bind to a referrer, an order reported paid by the shop, settlement after the hold window, a sale,
// a withdrawal approved and paid by finance. Every figure is computed here from SPEC.md's rules.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  defaults,
  type Market,
  pointsText,
  priceText,
  sell,
  settle,
  share,
  yuan,
} from './support/expected-figures.ts';
import {
  type Answer,
  ApiHarness,
  assertProblem,
  type Caller,
  type CallOptions,
  dayMs,
  fetchJson,
  type Method,
  minuteMs,
  passwordOf,
  startMs,
} from './support/http.ts';

let api: ApiHarness;
let base = '';

const call = (method: Method, path: string, options: CallOptions = {}): Promise<Answer> =>
  fetchJson(base, method, path, options);

async function ok(method: Method, path: string, options: CallOptions = {}): Promise<Answer> {
  const answer = await call(method, path, options);
  assert.equal(answer.status, 200, `${method} ${path}: ${answer.text}`);
  return answer;
}

async function signIn(login: string): Promise<Caller> {
  const answer = await ok('POST', '/v1/auth/login', { body: { login, password: passwordOf(login) } });
  return { token: answer.json.token };
}

before(async () => {
  api = await ApiHarness.open();
  base = await api.listen();
});

after(() => api.close());

test('a member’s journey over HTTP: every figure follows the rules', async () => {
  // The agent and the merchant's recruiter are set up directly; everyone else comes through the API.
  await api.setup([
    { type: 'registerMember', member: 'mem_kai', referrer: null },
    { type: 'registerMember', member: 'mem_dan', referrer: null },
    { type: 'appointAgent', member: 'mem_dan', level: 'district', region: '440306' },
  ]);

  // Admin signs in: the session cookie is HttpOnly and works on its own.
  const login = await ok('POST', '/v1/auth/login', {
    body: { login: 'admin', password: passwordOf('admin') },
  });
  const cookie = (login.headers['set-cookie'] as string[])[0] as string;
  assert.match(cookie, /HttpOnly/i);
  const admin: Caller = { cookie: cookie.split(';')[0] as string };
  assert.equal((await ok('GET', '/v1/me', { as: admin })).json.role, 'admin');

  const merchant = await ok('POST', '/v1/merchants', {
    as: admin,
    body: {
      id: 'onboard_noodle_bar',
      recruiter: 'mem_kai',
      region: '440306',
      login: 'noodle-bar',
      password: passwordOf('noodle-bar'),
    },
  });
  const noodleBar = merchant.json.merchant as string;
  const fee = await ok('PUT', '/v1/config', {
    as: admin,
    headers: { 'idempotency-key': 'cfg_fee' },
    body: { config: { withdrawalFeeRate: '0.01' } },
  });
  assert.equal(fee.json.config.withdrawalFeeRate, '0.010000');

  // Grace shares a link; Rita joins through it; Umar joins alone and binds to Rita afterwards.
  const grace = (await ok('POST', '/v1/members', { body: { login: 'grace', password: passwordOf('grace') } }))
    .json.member as string;
  const rita = (
    await ok('POST', '/v1/members', {
      body: { login: 'rita', password: passwordOf('rita'), referrer: grace },
    })
  ).json.member as string;
  const umar = (await ok('POST', '/v1/members', { body: { login: 'umar', password: passwordOf('umar') } }))
    .json.member as string;
  let asUmar = await signIn('umar');
  const bound = await ok('POST', `/v1/members/${umar}/referrer`, { as: asUmar, body: { referrer: rita } });
  assert.deepEqual(bound.json, { outcome: 'accepted', referrer: rita });

  // The shop reports ¥1000.00 paid; it is pending for the 7-day hold window.
  const amount = 100_000n;
  const order = { id: 'ord_e2e_1', member: umar, merchant: noodleBar, amount: yuan(amount) };
  const reported = await ok('POST', '/v1/orders', { as: api.shop, body: order });
  assert.equal(reported.json.order.status, 'pending');
  assert.equal(reported.json.order.paidAt, new Date(startMs).toISOString());
  assert.equal(reported.json.order.settlesAt, new Date(startMs + 7 * dayMs).toISOString());
  assert.equal(await api.service.settleDue(), 0, 'nothing is due before the hold window ends');
  assert.equal((await ok('GET', `/v1/members/${umar}`, { as: asUmar })).json.points, '0.000000');

  // Past the hold window the order settles (SPEC.md "Settling an order", steps 2 to 7).
  assert.equal(await api.advanceAndSettle(7 * dayMs + minuteMs), 1);
  const market: Market = { pool: 0n, supply: 0n };
  const settled = settle(market, amount);
  assert.equal(settled.commission, 20_000n);
  assert.equal(settled.inflow, 16_000n);
  assert.equal(settled.value, 11_200n, 'points worth 70% of the inflow');
  assert.equal(settled.minted, 112_000_000n, 'the first mint is at the initial price of 1.00');
  let budgetLeft = settled.budget;
  const reward = (rate: bigint): bigint => {
    // Each reward is cut to what is left of the budget (bigint: no Math.min).
    let paid = share(amount, rate);
    if (paid > budgetLeft) paid = budgetLeft;
    budgetLeft -= paid;
    return paid;
  };
  const direct = reward(defaults.direct);
  const indirect = reward(defaults.indirect);
  const recruiter = reward(defaults.merchantRecruiter);
  const district = reward(defaults.district);
  assert.deepEqual([direct, indirect, recruiter, district], [300n, 200n, 500n, 100n]);

  // Sessions last 12 hours: a week later everyone signs in again.
  asUmar = await signIn('umar');
  const [asRita, asGrace, asNoodleBar, finance] = await Promise.all([
    signIn('rita'),
    signIn('grace'),
    signIn('noodle-bar'),
    signIn('finance'),
  ]);
  assert.equal((await ok('GET', '/v1/orders/ord_e2e_1', { as: api.shop })).json.status, 'settled');
  assertProblem(
    await call('POST', '/v1/orders/ord_e2e_1/refund', { as: api.shop, body: { id: 'ref_e2e_1' } }),
    422,
    'order_settled',
    /refund after settlement is refused/,
  );

  const cap = defaults.capMultiple * amount;
  const valueNow = (settled.minted * market.pool) / market.supply;
  const member = await ok('GET', `/v1/members/${umar}`, { as: asUmar });
  assert.deepEqual(member.json, {
    id: umar,
    referrer: rita,
    points: pointsText(settled.minted),
    valueAtPrice: yuan(valueNow),
    price: priceText(market.pool, market.supply),
    wallet: '0.00',
    frozen: '0.00',
    rewards: '0.00',
    consumption: yuan(amount),
    cycle: {
      open: true,
      consumption: yuan(amount),
      realised: '0.00',
      capMultiple: '1.200000',
      progress: pointsText((valueNow * 1_000_000n * 1_000_000n) / cap),
    },
    exits: 0,
  });
  assert.equal(member.json.price, '1.428571');
  const ritaView = (await ok('GET', `/v1/members/${rita}`, { as: asRita })).json;
  assert.equal(ritaView.rewards, yuan(direct));
  assert.equal(ritaView.wallet, yuan(direct));
  assert.equal(ritaView.referrer, grace);
  assert.equal((await ok('GET', `/v1/members/${grace}`, { as: asGrace })).json.wallet, yuan(indirect));
  assert.equal((await ok('GET', '/v1/members/mem_kai', { as: finance })).json.rewards, yuan(recruiter));
  assert.equal((await ok('GET', '/v1/members/mem_dan', { as: finance })).json.rewards, yuan(district));
  const shopView = (await ok('GET', `/v1/merchants/${noodleBar}`, { as: asNoodleBar })).json;
  assert.equal(shopView.payable, yuan(settled.payable));
  assert.deepEqual((await ok('GET', '/v1/market')).json, {
    price: priceText(market.pool, market.supply),
    pool: yuan(market.pool),
    supply: pointsText(market.supply),
    forcedExits: 0,
    members: 5,
    sellFee: '0.200000',
    capMultiple: '1.200000',
    // What the member is told before asking for a withdrawal (the fee set above).
    withdrawalMinimum: '1.00',
    withdrawalFeeRate: '0.010000',
  });

  // Umar sells 50 points: gross at the price, payout less the 20% fee, which stays in the pool.
  const sold = sell(market, 50_000_000n);
  const sale = await ok('POST', `/v1/members/${umar}/sell`, {
    as: asUmar,
    body: { id: 'sel_e2e_1', points: '50' },
  });
  assert.equal(sale.json.outcome, 'accepted');
  assert.equal(sale.json.gross, yuan(sold.gross));
  assert.equal(sale.json.payout, yuan(sold.payout));
  assert.deepEqual([sold.gross, sold.payout], [7_142n, 5_713n]);
  assert.equal(sale.json.member.points, pointsText(settled.minted - 50_000_000n));
  assert.equal(sale.json.member.wallet, yuan(sold.payout));
  assert.equal(sale.json.member.cycle.realised, yuan(sold.gross));
  const afterSale = (await ok('GET', '/v1/market')).json;
  assert.equal(afterSale.pool, yuan(market.pool));
  assert.equal(afterSale.supply, pointsText(market.supply));
  assert.equal(afterSale.price, priceText(market.pool, market.supply));
  assert.equal(afterSale.price, '1.659193');

  // Umar withdraws ¥50.00: frozen at once, approved, then paid by finance less the 1% fee.
  const withdrawal = 5_000n;
  const feeCents = share(withdrawal, 10_000n);
  const requested = await ok('POST', `/v1/members/${umar}/withdrawals`, {
    as: asUmar,
    body: { id: 'wdr_e2e_1', amount: yuan(withdrawal) },
  });
  assert.equal(requested.json.withdrawal.status, 'requested');
  assert.equal(requested.json.withdrawal.fee, yuan(feeCents));
  assert.equal(requested.json.withdrawal.fee, '0.50');
  const frozen = (await ok('GET', `/v1/members/${umar}`, { as: asUmar })).json;
  assert.equal(frozen.wallet, yuan(sold.payout - withdrawal));
  assert.equal(frozen.frozen, yuan(withdrawal));
  const queue = await ok('GET', '/v1/withdrawals?status=requested', { as: finance });
  assert.deepEqual(
    queue.json.items.map((item: { id: string }) => item.id),
    ['wdr_e2e_1'],
  );
  const approved = await ok('POST', '/v1/withdrawals/wdr_e2e_1/review', {
    as: finance,
    body: { id: 'rev_e2e_1', decision: 'approve' },
  });
  assert.equal(approved.json.withdrawal.status, 'approved');
  const paidOut = await ok('POST', '/v1/withdrawals/wdr_e2e_1/review', {
    as: finance,
    body: { id: 'rev_e2e_2', decision: 'paid', note: 'bank transfer 20250310-0042' },
  });
  assert.equal(paidOut.json.withdrawal.status, 'paid');
  assert.equal(paidOut.json.withdrawal.reviewer, 'acc_finance');
  const final = (await ok('GET', `/v1/members/${umar}`, { as: asUmar })).json;
  assert.equal(final.wallet, yuan(sold.payout - withdrawal));
  assert.equal(final.frozen, '0.00');
  assert.deepEqual(
    (await ok('GET', '/v1/market')).json.pool,
    yuan(market.pool),
    'a withdrawal pays from the wallet, never from the pool',
  );

  // Rita buys ¥300.00 a week later: now q = floor(value × S / P) at the price the sale left, and
  // her referrer Grace earns the direct reward (Grace has no referrer: no indirect reward).
  const second = 30_000n;
  await ok('POST', '/v1/orders', {
    as: api.shop,
    body: { id: 'ord_e2e_2', member: rita, merchant: noodleBar, amount: yuan(second) },
  });
  const supplyBefore = market.supply;
  const poolBefore = market.pool;
  const secondSettled = settle(market, second);
  assert.equal(secondSettled.minted, (secondSettled.value * supplyBefore) / poolBefore);
  assert.equal(await api.advanceAndSettle(7 * dayMs + minuteMs), 1);
  const [ritaAgain, graceAgain] = await Promise.all([signIn('rita'), signIn('grace')]);
  const ritaAfter = (await ok('GET', `/v1/members/${rita}`, { as: ritaAgain })).json;
  assert.equal(ritaAfter.points, pointsText(secondSettled.minted));
  assert.equal(ritaAfter.wallet, yuan(direct), 'her own order pays her nothing');
  const graceAfter = (await ok('GET', `/v1/members/${grace}`, { as: graceAgain })).json;
  assert.equal(graceAfter.rewards, yuan(indirect + share(second, defaults.direct)));
  const marketAfter = (await ok('GET', '/v1/market')).json;
  assert.equal(marketAfter.pool, yuan(market.pool));
  assert.equal(marketAfter.supply, pointsText(market.supply));
  assert.equal(marketAfter.price, priceText(market.pool, market.supply));
  const shopAfter = (await ok('GET', `/v1/merchants/${noodleBar}`, { as: await signIn('noodle-bar') })).json;
  assert.equal(shopAfter.payable, yuan(settled.payable + secondSettled.payable));

  // The audit trail says who did what, and when (the manual clock).
  const asAdmin = await signIn('admin');
  const audit = (await ok('GET', '/v1/audit', { as: asAdmin })).json.items as {
    actor: string;
    action: string;
    at: string;
  }[];
  const settledAt = new Date(startMs + 7 * dayMs + minuteMs).toISOString();
  const actions = audit.map((item) => `${item.action} ${item.actor} ${item.at}`);
  for (const expected of [
    `merchant.onboard acc_admin ${new Date(startMs).toISOString()}`,
    `configure acc_admin ${new Date(startMs).toISOString()}`,
    `withdrawal.approve acc_finance ${settledAt}`,
    `withdrawal.paid acc_finance ${settledAt}`,
  ]) {
    assert.ok(actions.includes(expected), `the audit trail lacks "${expected}"`);
  }
});

test('over the socket, bad input and missing callers are refused the same way', async () => {
  assertProblem(await call('GET', '/v1/withdrawals'), 401, 'unauthenticated');
  const malformed = await call('POST', '/v1/orders', { as: api.shop, raw: '{"id": ' });
  assert.equal(malformed.status, 400);
  const large = await call('POST', '/v1/orders/bulk', {
    as: api.shop,
    raw: JSON.stringify({ orders: [], padding: 'x'.repeat(1024 * 1024) }),
  });
  assert.equal(large.status, 413);
  const html = await fetch(`${base}/docs`);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await html.text(), /poolpoint API/);
});
