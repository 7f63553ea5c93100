// Forced exits listed for staff (GET /v1/forced-exits), a member's own withdrawals with their review
// status (GET /v1/members/:member/withdrawals), and the withdrawal minimum and fee on the public
// market, in-process (Fastify inject): happy paths, 400, 401, 403, and nothing changed on refusals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaults, ppmOf, priceText, share, yuan } from './support/expected-figures.ts';
import {
  ApiHarness,
  assertProblem,
  type Caller,
  hourMs,
  type Json,
  minuteMs,
  nobody,
} from './support/http.ts';

let api: ApiHarness;
const [eve, fay] = ['mem_eve', 'mem_fay'];
const store = 'mch_store';
let asEve: Caller = nobody;
let asFay: Caller = nobody;
let asStore: Caller = nobody;
/** When each forced exit happened (the manual clock). */
const exitedAtMs = new Map<string, number>();

async function settledOrder(id: string, member: string): Promise<void> {
  const answer = await api.post('/v1/orders', { id, member, merchant: store, amount: '1000.00' }, api.shop);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(await api.advanceAndSettle(hourMs + minuteMs), 1);
}

async function inject(id: string, amount: string): Promise<void> {
  const answer = await api.post('/v1/injections', { id, amount }, api.admin);
  assert.equal(answer.status, 200, answer.text);
}

const exits = async (query = '', as: Caller = api.admin) => api.get(`/v1/forced-exits${query}`, as);

before(async () => {
  api = await ApiHarness.open();
  await api.setup([
    { type: 'configure', config: { holdWindowSeconds: String(hourMs / 1000) } },
    { type: 'registerMember', member: eve, referrer: null },
    { type: 'registerMember', member: fay, referrer: null },
    {
      type: 'registerMerchant',
      merchant: store,
      owner: null,
      recruiter: null,
      region: '440306',
      commissionRate: null,
    },
  ]);
  [asEve, asFay] = await Promise.all([api.memberCaller(eve), api.memberCaller(fay)]);
  await api.account('store', 'merchant', store);
  asStore = await api.signIn('store');
  // Eve's ¥1000.00 mints 112 points into a pool of 160.00; ¥1100.00 more takes her value to
  // 1260.00 ≥ 1.2 × 1000.00: she is forced out, selling all 112 points (the whole supply).
  await settledOrder('ord_eve', eve);
  api.clock.advance(minuteMs * 5);
  await inject('inj_1', '1100.00');
  exitedAtMs.set(eve, api.clock.now());
  // Fay buys at the last price before the supply emptied, then an injection forces her out too.
  await settledOrder('ord_fay', fay);
  api.clock.advance(minuteMs * 5);
  await inject('inj_2', '900.00');
  exitedAtMs.set(fay, api.clock.now());
  await api.signInStaff();
  [asEve, asFay] = await Promise.all([api.memberCaller(eve), api.memberCaller(fay)]);
  asStore = await api.signIn('store');
});

after(() => api.close());

describe('GET /v1/forced-exits', () => {
  test('lists every forced exit, newest first: member, points, gross, payout, when', async () => {
    const answer = await exits();
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.total, 2);
    assert.equal(answer.json.forcedExits, 2);
    assert.equal(answer.json.complete, true);
    const [second, first] = answer.json.items as Json[];
    // Eve sells the whole supply: gross = the pool (160.00 + 1100.00), less the 20% sell fee.
    const eveGross = 16_000n + 110_000n;
    assert.deepEqual(
      { ...first, sequence: undefined },
      {
        sequence: undefined,
        member: eve,
        points: '112.000000',
        gross: yuan(eveGross),
        payout: yuan(share(eveGross, 1_000_000n - defaults.sellFee)),
        atMs: exitedAtMs.get(eve),
        at: new Date(exitedAtMs.get(eve) as number).toISOString(),
      },
    );
    assert.equal(typeof first.sequence, 'number');
    // Fay's points were minted at Eve's last price (12600.00 / 112): value 70% of the inflow 160.00.
    const fayPoints = (11_200n * 112_000_000n) / 126_000n;
    const fayGross = eveGross - share(eveGross, 1_000_000n - defaults.sellFee) + 16_000n + 90_000n;
    assert.equal(second.member, fay);
    assert.equal(
      second.points,
      `${fayPoints / 1_000_000n}.${String(fayPoints % 1_000_000n).padStart(6, '0')}`,
    );
    assert.equal(second.gross, yuan(fayGross));
    assert.equal(second.payout, yuan(share(fayGross, 1_000_000n - defaults.sellFee)));
    assert.equal(second.atMs, exitedAtMs.get(fay));
    assert.ok(second.sequence > first.sequence);
  });

  test('the price chart has the state after the exit (the supply emptied: the last price before it)', async () => {
    const samples = (await api.get('/v1/market/history')).json.samples as Json[];
    assert.deepEqual(samples.at(-1), {
      atMs: exitedAtMs.get(fay),
      price: (await api.get('/v1/market')).json.price,
      pool: (await api.get('/v1/market')).json.pool,
      supply: '0.000000',
    });
    const atEveExit = samples.find((sample) => sample.atMs === exitedAtMs.get(eve));
    assert.deepEqual(atEveExit, {
      atMs: exitedAtMs.get(eve),
      price: priceText(126_000n, 112_000_000n),
      pool: yuan(126_000n - share(126_000n, 1_000_000n - defaults.sellFee)),
      supply: '0.000000',
    });
  });

  test('filters by member and pages; the member’s activity shows its exit', async () => {
    const eveOnly = await exits(`?member=${eve}`);
    assert.deepEqual(
      eveOnly.json.items.map((item: Json) => item.member),
      [eve],
    );
    assert.equal(eveOnly.json.total, 1);
    const page = await exits('?offset=1&limit=1');
    assert.equal(page.json.total, 2);
    assert.deepEqual(
      page.json.items.map((item: Json) => item.member),
      [eve],
    );
    assert.equal((await exits('?member=mem_nobody')).json.total, 0);
    const activity = (await api.get(`/v1/members/${eve}/activity`, asEve)).json;
    assert.equal(activity.complete, true);
    assert.ok(activity.entries.some((entry: Json) => entry.kind === 'forced_exit'));
  });

  test('a bad query is 400; finance reads it; a member, merchant or shop is 403; no caller 401', async () => {
    for (const query of ['?limit=x', '?offset=-1', '?member=', '?kind=exit'])
      assertProblem(await exits(query), 400, 'invalid_request', /querystring/);
    assert.equal((await exits('', api.finance)).status, 200);
    for (const caller of [asEve, asStore, api.shop]) assertProblem(await exits('', caller), 403, 'forbidden');
    assertProblem(await exits('', nobody), 401, 'unauthenticated');
  });
});

describe('withdrawal minimum and fee on the market; a member’s own withdrawals', () => {
  const mine = (query = '', as: Caller = asEve, member = eve) =>
    api.get(`/v1/members/${member}/withdrawals${query}`, as);
  const request = async (id: string, amount: string) => {
    const answer = await api.post(`/v1/members/${eve}/withdrawals`, { id, amount }, asEve);
    assert.equal(answer.status, 200, answer.text);
  };
  const review = async (withdrawal: string, id: string, decision: string, note?: string) => {
    const body = { id, decision, ...(note === undefined ? {} : { note }) };
    const answer = await api.post(`/v1/withdrawals/${withdrawal}/review`, body, api.finance);
    assert.equal(answer.status, 200, answer.text);
  };

  test('the market shows the minimum and the fee rate, and they are the ones applied', async () => {
    const change = await api.call('PUT', '/v1/config', {
      as: api.admin,
      body: { id: 'cfg_market', config: { withdrawalMinimum: '10.00', withdrawalFeeRate: '0.01' } },
    });
    assert.equal(change.status, 200, change.text);
    const market = (await api.get('/v1/market')).json;
    assert.equal(market.withdrawalMinimum, '10.00');
    assert.equal(market.withdrawalFeeRate, '0.010000');
    assertProblem(
      await api.post(`/v1/members/${eve}/withdrawals`, { id: 'wdr_small', amount: '9.99' }, asEve),
      422,
      'below_minimum',
      /10\.00/,
    );
  });

  test('a member sees each withdrawal, newest first, with its status, reason, fee and payout', async () => {
    await request('wdr_1', '100.00');
    await request('wdr_2', '50.00');
    await request('wdr_3', '20.00');
    api.clock.advance(minuteMs);
    const reviewedAtMs = api.clock.now();
    await review('wdr_1', 'rev_1a', 'approve');
    await review('wdr_1', 'rev_1p', 'paid', 'bank ref 123');
    await review('wdr_2', 'rev_2r', 'reject', 'the account is closed');
    const answer = await mine();
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.total, 3);
    const fee = (amount: bigint) => share(amount, ppmOf('0.01'));
    const shown = (answer.json.items as Json[]).map((item) => ({
      id: item.id,
      status: item.status,
      amount: item.amount,
      fee: item.fee,
      payout: item.payout,
      reason: item.reason,
      note: item.note,
      reviewedAt: item.reviewedAt,
    }));
    const reviewedAt = new Date(reviewedAtMs).toISOString();
    assert.deepEqual(shown, [
      {
        id: 'wdr_3',
        status: 'requested',
        amount: '20.00',
        fee: yuan(fee(2_000n)),
        payout: yuan(2_000n - fee(2_000n)),
        reason: null,
        note: '',
        reviewedAt: null,
      },
      {
        id: 'wdr_2',
        status: 'rejected',
        amount: '50.00',
        fee: yuan(fee(5_000n)),
        payout: yuan(5_000n - fee(5_000n)),
        reason: 'the account is closed',
        note: 'the account is closed',
        reviewedAt,
      },
      {
        id: 'wdr_1',
        status: 'paid',
        amount: '100.00',
        fee: '1.00',
        payout: '99.00',
        reason: null,
        note: 'bank ref 123',
        reviewedAt,
      },
    ]);
    const entries = (await api.get(`/v1/members/${eve}/activity`, asEve)).json.entries as Json[];
    assert.deepEqual(
      entries
        .filter((entry) => entry.kind.startsWith('withdrawal.'))
        .map((entry) => `${entry.kind} ${entry.summary.withdrawal}`),
      [
        'withdrawal.rejected wdr_2',
        'withdrawal.paid wdr_1',
        'withdrawal.approved wdr_1',
        'withdrawal.requested wdr_3',
        'withdrawal.requested wdr_2',
        'withdrawal.requested wdr_1',
      ],
    );
  });

  test('filters by status and pages; staff read any member; another member has its own (empty) list', async () => {
    assert.deepEqual(
      (await mine('?status=paid')).json.items.map((item: Json) => item.id),
      ['wdr_1'],
    );
    const page = (await mine('?offset=1&limit=1')).json;
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.items.map((item: Json) => item.id),
      ['wdr_2'],
    );
    assert.equal((await mine('', api.finance)).json.total, 3);
    assert.equal((await mine('', api.admin)).json.total, 3);
    assert.deepEqual((await mine('', asFay, fay)).json, { total: 0, items: [] });
  });

  test('another member, a merchant or the shop is 403; no caller 401; a bad query 400; unknown member 404', async () => {
    for (const caller of [asFay, asStore, api.shop]) assertProblem(await mine('', caller), 403, 'forbidden');
    assertProblem(await mine('', nobody), 401, 'unauthenticated');
    for (const query of ['?status=done', '?limit=x', '?wallet=1'])
      assertProblem(await mine(query), 400, 'invalid_request', /querystring/);
    assertProblem(await mine('', api.admin, 'mem_nobody'), 404, 'unknown_member', /mem_nobody/);
  });
});
