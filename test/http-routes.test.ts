// Every route of the HTTP API, in-process (Fastify inject): the happy path, bad input (400 and
// nothing changed), no caller (401), the wrong caller (403) and retries of client-chosen ids
// (same body: "duplicate", nothing changed; other body: 409 id_reused).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bulkOrdersMax } from '../src/http/app.ts';
import { clientWriteHash } from '../src/http/client-writes.ts';
import {
  centsOf,
  defaults,
  microsOf,
  pointsText,
  priceText,
  sell,
  share,
  yuan,
} from './support/expected-figures.ts';
import {
  type Answer,
  ApiHarness,
  assertProblem,
  type Caller,
  hourMs,
  type Json,
  minuteMs,
  nobody,
  passwordOf,
  startMs,
} from './support/http.ts';

/** Paid orders settle an hour after payment here, so that a settlement never outlives a session. */
const holdWindowMs = hourMs;
const settleWait = holdWindowMs + minuteMs;

let api: ApiHarness;
let alice = '';
let bob = '';
const carol = 'mem_carol';
let tea = '';
const noodles = 'mch_noodles';
let asAlice: Caller = nobody;
let asBob: Caller = nobody;
let asCarol: Caller = nobody;
let asTea: Caller = nobody;

async function registered(login: string, referrer?: string): Promise<string> {
  const body = { login, password: passwordOf(login), ...(referrer === undefined ? {} : { referrer }) };
  const answer = await api.post('/v1/members', body);
  assert.equal(answer.status, 200, answer.text);
  return answer.json.member as string;
}

async function paid(id: string, member: string, merchant: string, amount: string): Promise<Answer> {
  const answer = await api.post('/v1/orders', { id, member, merchant, amount }, api.shop);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.outcome, 'accepted');
  return answer;
}

const market = async (): Promise<Json> => (await api.get('/v1/market')).json;
const summary = async (member: string): Promise<Json> =>
  (await api.get(`/v1/members/${member}`, api.admin)).json;

before(async () => {
  api = await ApiHarness.open();
  await api.setup([{ type: 'configure', config: { holdWindowSeconds: String(holdWindowMs / 1000) } }]);
  alice = await registered('alice');
  bob = await registered('bob', alice);
  await api.setup([
    { type: 'registerMember', member: carol, referrer: null },
    {
      type: 'registerMerchant',
      merchant: noodles,
      owner: null,
      recruiter: null,
      region: '440106',
      commissionRate: null,
    },
  ]);
  const onboarded = await api.post(
    '/v1/merchants',
    {
      id: 'onb_teahouse',
      recruiter: alice,
      region: '440306',
      login: 'teahouse',
      password: passwordOf('teahouse'),
    },
    api.admin,
  );
  assert.equal(onboarded.status, 200, onboarded.text);
  tea = onboarded.json.merchant;
  await api.account('noodles', 'merchant', noodles);
  [asAlice, asBob, asCarol, asTea] = await Promise.all([
    api.signIn('alice'),
    api.signIn('bob'),
    api.memberCaller(carol),
    api.signIn('teahouse'),
  ]);
  // Carol's ¥1000.00 settles first of all orders: 112 points at the initial price of 1.00.
  await paid('ord_fund_carol', carol, tea, '1000.00');
  assert.equal(await api.advanceAndSettle(settleWait), 1);
});

after(() => api.close());

describe('GET /v1/market and /v1/market/history (public)', () => {
  test('the market shows pool, supply and the price to anyone, signed in or not', async () => {
    const answer = await api.get('/v1/market');
    assert.equal(answer.status, 200);
    // Carol's order: commission 200.00, inflow 160.00, minted 112 points at 1.00.
    assert.deepEqual(answer.json, {
      price: priceText(16_000n, 112_000_000n),
      pool: '160.00',
      supply: '112.000000',
      forcedExits: 0,
      members: 3,
      sellFee: '0.200000',
      capMultiple: '1.200000',
      withdrawalMinimum: '1.00',
      withdrawalFeeRate: '0.000000',
    });
    assert.equal(answer.json.price, '1.428571');
    assert.deepEqual((await api.get('/v1/market', asCarol)).json, answer.json);
  });

  test('the history has a sample of the settlement, stamped with the clock', async () => {
    const answer = await api.get('/v1/market/history');
    assert.equal(answer.status, 200);
    const last = answer.json.samples.at(-1);
    assert.deepEqual(last, {
      atMs: startMs + settleWait,
      price: '1.428571',
      pool: '160.00',
      supply: '112.000000',
    });
  });

  test('a stale session cookie does not lock anyone out of public routes, sign-in or sign-out', {}, async () => {
    const stale: Caller = { cookie: 'pp_session=eyJhY2NvdW50IjoieCJ9.forged' };
    assert.equal((await api.get('/v1/market', stale)).status, 200);
    const login = await api.call('POST', '/v1/auth/login', {
      as: stale,
      body: { login: 'alice', password: passwordOf('alice') },
    });
    assert.equal(login.status, 200);
    assert.equal((await api.call('POST', '/v1/auth/logout', { as: stale })).status, 200);
  });
});

describe('POST /v1/auth/login', () => {
  test('answers a bearer token and sets an HttpOnly, SameSite=Strict session cookie that signs in alone', async () => {
    const answer = await api.post('/v1/auth/login', { login: 'ALICE', password: passwordOf('alice') });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.role, 'member');
    assert.equal(answer.json.subject, alice);
    assert.equal(typeof answer.json.token, 'string');
    const cookie = String(answer.headers['set-cookie']);
    assert.match(cookie, /^pp_session=[^;]+;/);
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Strict/i);
    assert.match(cookie, /;\s*Path=\//);
    const pair = cookie.split(';')[0] as string;
    assert.equal(pair, `pp_session=${answer.json.token}`);
    const me = await api.get('/v1/me', { cookie: pair });
    assert.equal(me.status, 200);
    assert.equal(me.json.subject, alice);
  });

  test('a wrong password or an unknown login is 401 with the same message', async () => {
    const wrong = await api.post('/v1/auth/login', { login: 'bob', password: 'not-the-password' });
    assertProblem(wrong, 401, 'bad_credentials', /wrong login or password/);
    const unknown = await api.post('/v1/auth/login', { login: 'nobody-here', password: 'whatever1' });
    assertProblem(unknown, 401, 'bad_credentials');
    assert.equal(unknown.json.message, wrong.json.message);
  });

  test('bad input is 400: a missing password, an empty login, an unknown field', async () => {
    assertProblem(await api.post('/v1/auth/login', { login: 'bob' }), 400, 'invalid_request', /password/);
    assertProblem(
      await api.post('/v1/auth/login', { login: '', password: 'x' }),
      400,
      'invalid_request',
      /login/,
    );
    assertProblem(
      await api.post('/v1/auth/login', { login: 'bob', password: passwordOf('bob'), remember: true }),
      400,
      'invalid_request',
      /unknown field "\w+"/,
    );
  });

  test('five failures throttle the login (429, even with the right password) for 15 minutes', async () => {
    await api.account('throttled', 'member', carol);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const failed = await api.post('/v1/auth/login', { login: 'throttled', password: `wrong-${attempt}` });
      assertProblem(failed, 401, 'bad_credentials');
    }
    const right = { login: 'throttled', password: passwordOf('throttled') };
    assertProblem(await api.post('/v1/auth/login', right), 429, 'throttled', /too many failed sign-ins/);
    assertProblem(
      await api.post('/v1/auth/login', { login: 'Throttled', password: passwordOf('throttled') }),
      429,
      'throttled',
    );
    // Other logins from the same address are not affected.
    assert.equal(
      (await api.post('/v1/auth/login', { login: 'bob', password: passwordOf('bob') })).status,
      200,
    );
    api.clock.advance(15 * minuteMs);
    assert.equal((await api.post('/v1/auth/login', right)).status, 200);
  });
});

describe('POST /v1/auth/logout and GET /v1/me', () => {
  test('logout clears the session cookie', async () => {
    // A session of its own: signing out ends it, and the shared one must stay usable.
    const answer = await api.call('POST', '/v1/auth/logout', { as: await api.signIn('bob') });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { signedOut: true });
    const cookie = String(answer.headers['set-cookie']);
    assert.match(cookie, /^pp_session=;/);
    assert.match(cookie, /Max-Age=0/);
    assert.match(cookie, /HttpOnly/i);
  });

  test('after logout the session it ended is refused', async () => {
    const session = await api.signIn('bob');
    await api.call('POST', '/v1/auth/logout', { as: session });
    assertProblem(await api.get('/v1/me', session), 401, 'unauthenticated');
  });

  test('/v1/me tells each caller who it is; no caller, a forged token or an unknown key is 401', async () => {
    const member = await api.get('/v1/me', asCarol);
    assert.equal(member.status, 200);
    assert.equal(member.json.role, 'member');
    assert.equal(member.json.subject, carol);
    assert.equal(member.json.account, 'acc_carol');
    const shop = await api.get('/v1/me', api.shop);
    assert.equal(shop.json.role, 'shop');
    assert.equal(shop.json.account, 'key:test-shop');
    assertProblem(await api.get('/v1/me'), 401, 'unauthenticated', /sign in/);
    const [payload] = String(asCarol.token).split('.');
    const forged = Buffer.from(
      JSON.stringify({ account: 'acc_x', role: 'admin', subject: null, expiresAtMs: 9e15 }),
    ).toString('base64url');
    assertProblem(await api.get('/v1/me', { token: `${forged}.${payload}` }), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/me', { apiKey: 'pk_unknown' }), 401, 'unauthenticated', /API key/);
  });
});

describe('POST /v1/members (sign-up, optionally through a share link)', () => {
  test('registers a member under a referrer; the login signs in and is case-insensitive', async () => {
    const answer = await api.post('/v1/members', {
      login: 'Dave',
      password: passwordOf('dave'),
      referrer: bob,
    });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.member, /^mem_/);
    assert.equal(answer.json.login, 'dave');
    const dave = await api.signIn('DAVE', passwordOf('dave'));
    const view = await api.get(`/v1/members/${answer.json.member}`, dave);
    assert.equal(view.status, 200);
    assert.equal(view.json.referrer, bob);
    assert.equal(view.json.points, '0.000000');
  });

  test('bad input is 400 and registers nobody', async () => {
    await api.unchanged([], async () => {
      const short = await api.post('/v1/members', { login: 'emma', password: 'short' });
      assertProblem(short, 400, 'invalid_request', /password/);
      const badLogin = await api.post('/v1/members', { login: 'em ma', password: passwordOf('emma') });
      assertProblem(badLogin, 400, 'invalid_request', /login/);
      const extra = await api.post('/v1/members', {
        login: 'emma',
        password: passwordOf('emma'),
        role: 'admin',
      });
      assertProblem(extra, 400, 'invalid_request', /unknown field "\w+"/);
      const badReferrer = await api.post('/v1/members', {
        login: 'emma',
        password: passwordOf('emma'),
        referrer: 'mem x',
      });
      assertProblem(badReferrer, 400, 'invalid_request', /referrer/);
    });
  });

  test('an unknown referrer is 404 and leaves the login free', async () => {
    await api.unchanged([], async () => {
      const answer = await api.post('/v1/members', {
        login: 'emma',
        password: passwordOf('emma'),
        referrer: 'mem_nobody',
      });
      assertProblem(answer, 404, 'unknown_member', /mem_nobody/);
    });
    assertProblem(
      await api.post('/v1/auth/login', { login: 'emma', password: passwordOf('emma') }),
      401,
      'bad_credentials',
    );
  });

  test('sending the same sign-up again is 409 login_taken and registers nobody', async () => {
    const body = { login: 'fiona', password: passwordOf('fiona') };
    assert.equal((await api.post('/v1/members', body)).status, 200);
    await api.unchanged([], async () => {
      assertProblem(await api.post('/v1/members', body), 409, 'login_taken', /fiona/);
      assertProblem(await api.post('/v1/members', { ...body, login: 'FIONA' }), 409, 'login_taken');
    });
  });
});

describe('GET /v1/members/:member', () => {
  test('a member reads its own summary: points, value at the price, progress to the cap, wallet', async () => {
    const answer = await api.get(`/v1/members/${carol}`, asCarol);
    assert.equal(answer.status, 200);
    const cap = defaults.capMultiple * 100_000n;
    assert.deepEqual(answer.json, {
      id: carol,
      referrer: null,
      points: '112.000000',
      valueAtPrice: yuan((112_000_000n * 16_000n) / 112_000_000n),
      price: '1.428571',
      wallet: '0.00',
      frozen: '0.00',
      rewards: '0.00',
      consumption: '1000.00',
      cycle: {
        open: true,
        consumption: '1000.00',
        realised: '0.00',
        capMultiple: '1.200000',
        progress: pointsText((16_000n * 1_000_000n * 1_000_000n) / cap),
      },
      exits: 0,
    });
  });

  test('admin and finance read any member; an unknown member is 404', async () => {
    const own = (await api.get(`/v1/members/${carol}`, asCarol)).json;
    assert.deepEqual((await api.get(`/v1/members/${carol}`, api.admin)).json, own);
    assert.deepEqual((await api.get(`/v1/members/${carol}`, api.finance)).json, own);
    assertProblem(await api.get('/v1/members/mem_nobody', api.admin), 404, 'unknown_member');
  });

  test('another member, a merchant or the shop is 403; no caller is 401', async () => {
    assertProblem(await api.get(`/v1/members/${carol}`, asAlice), 403, 'forbidden', /yourself/);
    assertProblem(await api.get(`/v1/members/${carol}`, asTea), 403, 'forbidden', /merchant/);
    assertProblem(await api.get(`/v1/members/${carol}`, api.shop), 403, 'forbidden');
    assertProblem(await api.get(`/v1/members/${carol}`), 401, 'unauthenticated');
  });
});

describe('GET /v1/members/:member/activity', () => {
  test('the buyer sees its order paid and settled; the recruiter sees its reward', async () => {
    const answer = await api.get(`/v1/members/${carol}/activity`, asCarol);
    assert.equal(answer.status, 200);
    const kinds = answer.json.entries.map((entry: Json) => entry.kind);
    assert.deepEqual(kinds, ['order.settled', 'order.paid']);
    assert.deepEqual(answer.json.entries[0].summary, {
      order: 'ord_fund_carol',
      amount: '1000.00',
      commission: '200.00',
      minted: '112.000000',
    });
    const recruiter = await api.get(`/v1/members/${alice}/activity`, asAlice);
    assert.deepEqual(recruiter.json.entries[0].summary, {
      kind: 'merchantRecruiter',
      amount: yuan(share(100_000n, defaults.merchantRecruiter)),
      order: 'ord_fund_carol',
    });
  });

  test('another member is 403, no caller 401, an unknown member 404', async () => {
    assertProblem(await api.get(`/v1/members/${carol}/activity`, asBob), 403, 'forbidden');
    assertProblem(await api.get(`/v1/members/${carol}/activity`), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/members/mem_nobody/activity', api.finance), 404, 'unknown_member');
  });
});

describe('POST /v1/members/:member/referrer (share link)', () => {
  let george = '';
  let asGeorge: Caller = nobody;
  before(async () => {
    george = await registered('george');
    asGeorge = await api.signIn('george');
  });

  test('binds an unbound member; the same binding again is a duplicate that changes nothing', async () => {
    const answer = await api.post(`/v1/members/${george}/referrer`, { referrer: alice }, asGeorge);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, { outcome: 'accepted', referrer: alice });
    assert.equal((await summary(george)).referrer, alice);
    await api.unchanged([george, alice], async () => {
      const again = await api.post(`/v1/members/${george}/referrer`, { referrer: alice }, asGeorge);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json, { outcome: 'duplicate', referrer: alice });
    });
  });

  test('the first binding wins: another referrer is 422 already_bound, nothing changed', async () => {
    await api.unchanged([george], async () => {
      const answer = await api.post(`/v1/members/${george}/referrer`, { referrer: bob }, asGeorge);
      assertProblem(answer, 422, 'already_bound', /first binding wins/);
    });
  });

  test('binding to oneself or one’s own downline is 422; an unknown referrer 404', async () => {
    await api.unchanged([alice, bob], async () => {
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: alice }, asAlice),
        422,
        'referral_cycle',
      );
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: bob }, asAlice),
        422,
        'referral_cycle',
        /below it in the referral tree/,
      );
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: 'mem_nobody' }, asAlice),
        404,
        'unknown_member',
      );
    });
  });

  test('bad input is 400, nothing changed', async () => {
    await api.unchanged([alice], async () => {
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, {}, asAlice),
        400,
        'invalid_request',
        /referrer/,
      );
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: 'a b' }, asAlice),
        400,
        'invalid_request',
      );
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: bob, at: 'now' }, asAlice),
        400,
        'invalid_request',
      );
    });
  });

  test('binding another member is 403, staff may not bind (403), no caller is 401', async () => {
    await api.unchanged([alice], async () => {
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: carol }, asBob),
        403,
        'forbidden',
      );
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: carol }, api.admin),
        403,
        'forbidden',
      );
      assertProblem(
        await api.post(`/v1/members/${alice}/referrer`, { referrer: carol }),
        401,
        'unauthenticated',
      );
    });
  });
});

describe('POST /v1/members/:member/sell', () => {
  const sale = { id: 'sel_carol_1', points: '10' };
  let first: Json;

  test('sells points at the price into the wallet; the fee stays in the pool', async () => {
    const before = await market();
    const model = { pool: centsOf(before.pool), supply: microsOf(before.supply) };
    const expected = sell(model, 10_000_000n);
    const answer = await api.post(`/v1/members/${carol}/sell`, sale, asCarol);
    assert.equal(answer.status, 200, answer.text);
    first = answer.json;
    assert.equal(answer.json.outcome, 'accepted');
    assert.equal(answer.json.gross, yuan(expected.gross));
    assert.equal(answer.json.payout, yuan(expected.payout));
    assert.equal(answer.json.member.points, '102.000000');
    assert.equal(answer.json.member.wallet, yuan(expected.payout));
    assert.equal(answer.json.member.cycle.realised, yuan(expected.gross));
    const after = await market();
    assert.equal(after.pool, yuan(model.pool));
    assert.equal(after.supply, pointsText(model.supply));
    assert.equal(after.price, priceText(model.pool, model.supply));
    assert.ok(after.price > before.price, 'the fee stays in the pool: the price rises');
  });

  test('the same id and body again is a duplicate and changes nothing', async () => {
    await api.unchanged([carol], async () => {
      const again = await api.post(`/v1/members/${carol}/sell`, sale, asCarol);
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
      assert.deepEqual(again.json.member, first.member);
    });
  });

  test('a duplicate answers the original sale’s figures', {}, async () => {
    const again = await api.post(`/v1/members/${carol}/sell`, sale, asCarol);
    assert.equal(again.json.gross, first.gross);
    assert.equal(again.json.payout, first.payout);
  });

  test('the same id with other points is 409 id_reused, nothing changed', async () => {
    await api.unchanged([carol], async () => {
      const answer = await api.post(`/v1/members/${carol}/sell`, { ...sale, points: '11' }, asCarol);
      assertProblem(answer, 409, 'id_reused', /sel_carol_1/);
    });
  });

  test('bad input is 400, nothing changed: too many decimals, not a decimal, a number, zero, no id', async () => {
    await api.unchanged([carol], async () => {
      const post = (body: unknown) => api.post(`/v1/members/${carol}/sell`, body, asCarol);
      assertProblem(await post({ id: 'sel_bad', points: '1.0000001' }), 400, 'invalid_request', /points/);
      assertProblem(await post({ id: 'sel_bad', points: '1e3' }), 400, 'invalid_request', /points/);
      assertProblem(await post({ id: 'sel_bad', points: '-1' }), 400, 'invalid_request', /points/);
      assertProblem(await post({ id: 'sel_bad', points: 10 }), 400, 'invalid_request', /points/);
      assertProblem(await post({ id: 'sel_bad', points: '0' }), 400, 'invalid_points', /above zero/);
      assertProblem(await post({ points: '1' }), 400, 'invalid_request', /id/);
      assertProblem(await post({ id: 'sel_bad', points: '1', price: '9.99' }), 400, 'invalid_request');
    });
  });

  test('more points than held is 422 insufficient_points, nothing changed; the id stays free', async () => {
    await api.unchanged([carol], async () => {
      const answer = await api.post(
        `/v1/members/${carol}/sell`,
        { id: 'sel_carol_2', points: '500' },
        asCarol,
      );
      assertProblem(answer, 422, 'insufficient_points', /holds 102\.000000 points/);
    });
    const retried = await api.post(`/v1/members/${carol}/sell`, { id: 'sel_carol_2', points: '1' }, asCarol);
    assert.equal(retried.json.outcome, 'accepted', 'a rejected id leaves no trace');
  });

  test('selling for another member is 403 (staff too); no caller is 401', async () => {
    await api.unchanged([carol], async () => {
      const body = { id: 'sel_other', points: '1' };
      assertProblem(await api.post(`/v1/members/${carol}/sell`, body, asAlice), 403, 'forbidden');
      assertProblem(await api.post(`/v1/members/${carol}/sell`, body, api.admin), 403, 'forbidden');
      assertProblem(await api.post(`/v1/members/${carol}/sell`, body), 401, 'unauthenticated');
    });
  });
});

describe('POST /v1/members/:member/withdrawals', () => {
  const request = { id: 'wdr_carol_1', amount: '5.00' };

  test('freezes the amount until finance reviews it', async () => {
    const wallet = centsOf((await summary(carol)).wallet);
    const answer = await api.post(`/v1/members/${carol}/withdrawals`, request, asCarol);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.outcome, 'accepted');
    assert.deepEqual(answer.json.withdrawal, {
      id: 'wdr_carol_1',
      member: carol,
      amount: '5.00',
      fee: '0.00',
      requestedAtMs: api.clock.now(),
      requestedAt: new Date(api.clock.now()).toISOString(),
      status: 'requested',
      note: '',
      reviewer: null,
      payout: '5.00',
      reason: null,
      reviewedAt: null,
    });
    const after = await summary(carol);
    assert.equal(after.wallet, yuan(wallet - 500n));
    assert.equal(after.frozen, '5.00');
  });

  test('the same id and body again is a duplicate, nothing changed; other amount is 409', async () => {
    await api.unchanged([carol], async () => {
      const again = await api.post(`/v1/members/${carol}/withdrawals`, request, asCarol);
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
      assert.equal(again.json.withdrawal.status, 'requested');
      const other = await api.post(
        `/v1/members/${carol}/withdrawals`,
        { ...request, amount: '6.00' },
        asCarol,
      );
      assertProblem(other, 409, 'id_reused');
    });
  });

  test('bad amounts are 400; below the minimum or above the wallet is 422; nothing changed', async () => {
    await api.unchanged([carol], async () => {
      const post = (body: unknown) => api.post(`/v1/members/${carol}/withdrawals`, body, asCarol);
      assertProblem(await post({ id: 'wdr_bad', amount: '5.001' }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ id: 'wdr_bad', amount: '-5' }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ id: 'wdr_bad', amount: 5 }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ id: 'wdr_bad', amount: '5', bank: 'x' }), 400, 'invalid_request');
      assertProblem(await post({ id: 'wdr_bad', amount: '0.50' }), 422, 'below_minimum', /1\.00/);
      assertProblem(
        await post({ id: 'wdr_bad', amount: '9999.00' }),
        422,
        'insufficient_wallet',
        /wallet holds/,
      );
    });
  });

  test('another member, finance or no caller cannot request it (403, 403, 401)', async () => {
    await api.unchanged([carol], async () => {
      const body = { id: 'wdr_other', amount: '1.00' };
      assertProblem(await api.post(`/v1/members/${carol}/withdrawals`, body, asAlice), 403, 'forbidden');
      assertProblem(await api.post(`/v1/members/${carol}/withdrawals`, body, api.finance), 403, 'forbidden');
      assertProblem(await api.post(`/v1/members/${carol}/withdrawals`, body), 401, 'unauthenticated');
    });
  });
});

describe('GET /v1/withdrawals (the finance queue)', () => {
  test('finance lists the queue, filters by status and pages', async () => {
    const answer = await api.get('/v1/withdrawals', api.finance);
    assert.equal(answer.status, 200);
    assert.equal(answer.json.total, 1);
    assert.equal(answer.json.items[0].id, 'wdr_carol_1');
    assert.equal((await api.get('/v1/withdrawals?status=requested', api.finance)).json.total, 1);
    assert.equal((await api.get('/v1/withdrawals?status=paid', api.finance)).json.total, 0);
    const empty = await api.get('/v1/withdrawals?offset=1&limit=5', api.admin);
    assert.deepEqual(empty.json, { total: 1, items: [] });
  });

  test('an unknown status or query field is 400', async () => {
    assertProblem(
      await api.get('/v1/withdrawals?status=frozen', api.finance),
      400,
      'invalid_request',
      /status/,
    );
    assertProblem(await api.get('/v1/withdrawals?member=x', api.finance), 400, 'invalid_request');
    assertProblem(await api.get('/v1/withdrawals?limit=-1', api.finance), 400, 'invalid_request', /limit/);
  });

  test('members, merchants and the shop are 403; no caller is 401', async () => {
    assertProblem(await api.get('/v1/withdrawals', asCarol), 403, 'forbidden');
    assertProblem(await api.get('/v1/withdrawals', asTea), 403, 'forbidden');
    assertProblem(await api.get('/v1/withdrawals', api.shop), 403, 'forbidden');
    assertProblem(await api.get('/v1/withdrawals'), 401, 'unauthenticated');
  });
});

describe('POST /v1/withdrawals/:withdrawal/review', () => {
  const review = (withdrawal: string, body: unknown, as: Caller) =>
    api.post(`/v1/withdrawals/${withdrawal}/review`, body, as);

  test('paying before approval is 422 withdrawal_state, nothing changed', async () => {
    await api.unchanged([carol], async () => {
      const answer = await review('wdr_carol_1', { id: 'rev_early', decision: 'paid' }, api.finance);
      assertProblem(answer, 422, 'withdrawal_state', /requested: it cannot be marked paid/);
    });
  });

  test('finance approves; a retry is a duplicate; the same id with another decision is 409', async () => {
    const answer = await review('wdr_carol_1', { id: 'rev_1', decision: 'approve' }, api.finance);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.outcome, 'accepted');
    assert.equal(answer.json.withdrawal.status, 'approved');
    assert.equal(answer.json.withdrawal.reviewer, 'acc_finance');
    await api.unchanged([carol], async () => {
      const again = await review('wdr_carol_1', { id: 'rev_1', decision: 'approve' }, api.finance);
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
      assertProblem(
        await review('wdr_carol_1', { id: 'rev_1', decision: 'paid' }, api.finance),
        409,
        'id_reused',
      );
    });
  });

  test('bad input is 400 (a rejection needs a reason); an unknown withdrawal 404; nothing changed', async () => {
    await api.unchanged([carol], async () => {
      assertProblem(
        await review('wdr_carol_1', { id: 'rev_x', decision: 'maybe' }, api.finance),
        400,
        'invalid_request',
        /decision/,
      );
      assertProblem(
        await review('wdr_carol_1', { decision: 'reject' }, api.finance),
        400,
        'invalid_request',
        /id/,
      );
      assertProblem(
        await review('wdr_carol_1', { id: 'rev_x', decision: 'reject', amount: '1' }, api.finance),
        400,
        'invalid_request',
      );
      assertProblem(
        await review('wdr_carol_1', { id: 'rev_x', decision: 'reject', note: '  ' }, api.finance),
        400,
        'malformed',
        /needs a reason/,
      );
      assertProblem(
        await review('wdr_nobody', { id: 'rev_x', decision: 'approve' }, api.finance),
        404,
        'unknown_withdrawal',
      );
    });
  });

  test('a merchant or a member cannot review (403); no caller is 401', async () => {
    await api.unchanged([carol], async () => {
      const body = { id: 'rev_x', decision: 'paid', note: 'bank ref' };
      assertProblem(await review('wdr_carol_1', body, asTea), 403, 'forbidden', /merchant/);
      assertProblem(await review('wdr_carol_1', body, asCarol), 403, 'forbidden');
      assertProblem(await review('wdr_carol_1', body, api.shop), 403, 'forbidden');
      assertProblem(await review('wdr_carol_1', body, nobody), 401, 'unauthenticated');
    });
  });

  test('marked paid, the frozen cash leaves; a rejected request returns its cash to the wallet', async () => {
    const paidOut = await review(
      'wdr_carol_1',
      { id: 'rev_2', decision: 'paid', note: 'bank ref 88' },
      api.admin,
    );
    assert.equal(paidOut.status, 200, paidOut.text);
    assert.equal(paidOut.json.withdrawal.status, 'paid');
    assert.equal(paidOut.json.withdrawal.note, 'bank ref 88');
    assert.equal(paidOut.json.withdrawal.reviewer, 'acc_admin');
    const wallet = (await summary(carol)).wallet;
    assert.equal((await summary(carol)).frozen, '0.00');
    const second = await api.post(
      `/v1/members/${carol}/withdrawals`,
      { id: 'wdr_carol_2', amount: '1.00' },
      asCarol,
    );
    assert.equal(second.status, 200);
    assert.equal((await summary(carol)).frozen, '1.00');
    const rejected = await review(
      'wdr_carol_2',
      { id: 'rev_3', decision: 'reject', note: 'name mismatch' },
      api.finance,
    );
    assert.equal(rejected.json.withdrawal.status, 'rejected');
    assert.equal((await summary(carol)).wallet, wallet);
    assert.equal((await summary(carol)).frozen, '0.00');
  });

  test('a retried review adds no second entry to the audit trail', {}, async () => {
    const audit = await api.get('/v1/audit?limit=200', api.admin);
    const approvals = audit.json.items.filter(
      (item: Json) => item.action === 'withdrawal.approve' && item.detail.withdrawal === 'wdr_carol_1',
    );
    assert.equal(approvals.length, 1);
  });
});

describe('POST /v1/orders', () => {
  const order = () => ({ id: 'ord_bob_1', member: bob, merchant: tea, amount: '200.00' });

  test('the shop reports an order paid: pending until the hold window ends', async () => {
    const answer = await api.post('/v1/orders', order(), api.shop);
    assert.equal(answer.status, 200, answer.text);
    const now = api.clock.now();
    assert.deepEqual(answer.json, {
      outcome: 'accepted',
      order: {
        id: 'ord_bob_1',
        member: bob,
        merchant: tea,
        amount: '200.00',
        status: 'pending',
        paidAt: new Date(now).toISOString(),
        settlesAt: new Date(now + holdWindowMs).toISOString(),
      },
    });
    assert.equal((await summary(bob)).points, '0.000000', 'no points before settlement');
    const byAdmin = await api.post(
      '/v1/orders',
      { ...order(), id: 'ord_admin_1', amount: '50.00' },
      api.admin,
    );
    assert.equal(byAdmin.json.order.status, 'pending');
  });

  test('the same id and body again is a duplicate; another amount is 409; nothing changed', async () => {
    await api.unchanged([bob], async () => {
      const again = await api.post('/v1/orders', order(), api.shop);
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
      assert.equal(again.json.order.status, 'pending');
      assertProblem(
        await api.post('/v1/orders', { ...order(), amount: '201.00' }, api.shop),
        409,
        'id_reused',
      );
      assertProblem(await api.post('/v1/orders', { ...order(), member: carol }, api.shop), 409, 'id_reused');
    });
  });

  test('bad input is 400, unknown buyer or merchant 404; nothing changed and the id stays free', async () => {
    await api.unchanged([bob], async () => {
      const post = (fields: Record<string, unknown>) =>
        api.post(
          '/v1/orders',
          { id: 'ord_bad', member: bob, merchant: tea, amount: '10.00', ...fields },
          api.shop,
        );
      assertProblem(await post({ amount: '10.001' }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ amount: '1,000.00' }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ amount: 10 }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ amount: '0.00' }), 400, 'invalid_amount', /above zero/);
      assertProblem(await post({ id: 'ord bad' }), 400, 'invalid_request', /id/);
      assertProblem(await post({ coupon: 'SPRING' }), 400, 'invalid_request', /unknown field "\w+"/);
      assertProblem(await post({ member: 'mem_nobody' }), 404, 'unknown_member', /mem_nobody/);
      assertProblem(await post({ merchant: 'mch_nobody' }), 404, 'unknown_merchant', /mch_nobody/);
      assertProblem(await api.get('/v1/orders/ord_bad', api.shop), 404, 'unknown_order');
    });
  });

  test('no key or an unknown key is 401; a member, finance or a merchant is 403', async () => {
    await api.unchanged([bob], async () => {
      const body = { id: 'ord_denied', member: bob, merchant: tea, amount: '10.00' };
      assertProblem(await api.post('/v1/orders', body), 401, 'unauthenticated');
      assertProblem(await api.post('/v1/orders', body, { apiKey: 'pk_forged' }), 401, 'unauthenticated');
      assertProblem(await api.post('/v1/orders', body, asBob), 403, 'forbidden');
      assertProblem(await api.post('/v1/orders', body, api.finance), 403, 'forbidden');
      assertProblem(await api.post('/v1/orders', body, asTea), 403, 'forbidden');
    });
  });
});

describe('POST /v1/orders/bulk', () => {
  const batch = () => [
    { id: 'ord_bulk_1', member: bob, merchant: tea, amount: '30.00' },
    { id: 'ord_bulk_2', member: carol, merchant: noodles, amount: '40.00' },
    { id: 'ord_bob_1', member: bob, merchant: tea, amount: '200.00' },
    { id: 'ord_bulk_3', member: 'mem_nobody', merchant: tea, amount: '10.00' },
    { id: 'ord_bulk_1', member: bob, merchant: tea, amount: '31.00' },
  ];

  test('each order gets its own outcome: accepted, duplicate, rejected with a code and a message', async () => {
    const answer = await api.post('/v1/orders/bulk', { orders: batch() }, api.shop);
    assert.equal(answer.status, 200, answer.text);
    const outcomes = answer.json.outcomes;
    assert.deepEqual(
      outcomes.map((item: Json) => [item.id, item.outcome, item.code]),
      [
        ['ord_bulk_1', 'accepted', undefined],
        ['ord_bulk_2', 'accepted', undefined],
        ['ord_bob_1', 'duplicate', undefined],
        ['ord_bulk_3', 'rejected', 'unknown_member'],
        ['ord_bulk_1', 'rejected', 'id_reused'],
      ],
    );
    assert.match(outcomes[3].message, /mem_nobody/);
    assert.equal((await api.get('/v1/orders/ord_bulk_2', api.shop)).json.status, 'pending');
  });

  test('the whole batch again changes nothing: the accepted ones are duplicates', async () => {
    await api.unchanged([bob, carol], async () => {
      const answer = await api.post('/v1/orders/bulk', { orders: batch() }, api.shop);
      assert.deepEqual(
        answer.json.outcomes.map((item: Json) => item.outcome),
        ['duplicate', 'duplicate', 'duplicate', 'rejected', 'rejected'],
      );
    });
  });

  test(`takes up to ${bulkOrdersMax} orders; one more is 400; nothing changed`, async () => {
    assert.equal(bulkOrdersMax, 5_000);
    const orders = (count: number) =>
      Array.from({ length: count }, (_, index) => ({
        id: `ord_many_${index}`,
        member: 'mem_nobody',
        merchant: tea,
        amount: '1.00',
      }));
    await api.unchanged([bob], async () => {
      const full = await api.post('/v1/orders/bulk', { orders: orders(bulkOrdersMax) }, api.shop);
      assert.equal(full.status, 200, full.text.slice(0, 200));
      assert.equal(full.json.outcomes.length, bulkOrdersMax);
      assert.ok(full.json.outcomes.every((item: Json) => item.code === 'unknown_member'));
      const over = await api.post('/v1/orders/bulk', { orders: orders(bulkOrdersMax + 1) }, api.shop);
      assertProblem(over, 400, 'invalid_request', /more than 5000 items/);
    });
  });

  test('one malformed order refuses the whole batch (400), nothing changed', async () => {
    await api.unchanged([bob], async () => {
      const orders = [
        { id: 'ord_bulk_4', member: bob, merchant: tea, amount: '10.00' },
        { id: 'ord_bulk_5', member: bob, merchant: tea, amount: '10.005' },
      ];
      assertProblem(
        await api.post('/v1/orders/bulk', { orders }, api.shop),
        400,
        'invalid_request',
        /amount/,
      );
      const extra = [{ id: 'ord_bulk_4', member: bob, merchant: tea, amount: '10.00', note: 'x' }];
      assertProblem(await api.post('/v1/orders/bulk', { orders: extra }, api.shop), 400, 'invalid_request');
      assertProblem(
        await api.post('/v1/orders/bulk', { orders: [] }, api.shop),
        400,
        'invalid_request',
        /fewer than 1/,
      );
      assertProblem(await api.post('/v1/orders/bulk', {}, api.shop), 400, 'invalid_request', /orders/);
    });
    assertProblem(await api.get('/v1/orders/ord_bulk_4', api.shop), 404, 'unknown_order');
  });

  test('no caller is 401; a member or finance is 403', async () => {
    const orders = [{ id: 'ord_bulk_6', member: bob, merchant: tea, amount: '10.00' }];
    assertProblem(await api.post('/v1/orders/bulk', { orders }), 401, 'unauthenticated');
    assertProblem(await api.post('/v1/orders/bulk', { orders }, asBob), 403, 'forbidden');
    assertProblem(await api.post('/v1/orders/bulk', { orders }, api.finance), 403, 'forbidden');
  });
});

describe('GET /v1/orders/:order', () => {
  test('pending until the hold window has passed, then settled', async () => {
    const pending = await api.get('/v1/orders/ord_bob_1', api.finance);
    assert.equal(pending.status, 200);
    assert.equal(pending.json.status, 'pending');
    assert.equal(
      await api.advanceAndSettle(settleWait),
      4,
      'ord_bob_1, ord_admin_1, ord_bulk_1 and ord_bulk_2',
    );
    const settled = await api.get('/v1/orders/ord_bob_1', api.shop);
    assert.equal(settled.json.status, 'settled');
    assert.equal(settled.json.settlesAt, pending.json.settlesAt);
    assert.equal((await api.get('/v1/orders/ord_bob_1', api.admin)).json.status, 'settled');
  });

  test('an unknown order is 404; a member or a merchant is 403; no caller is 401', async () => {
    assertProblem(await api.get('/v1/orders/ord_nobody', api.shop), 404, 'unknown_order');
    assertProblem(await api.get('/v1/orders/sel_carol_1', api.shop), 404, 'unknown_order', /not an order/);
    assertProblem(await api.get('/v1/orders/ord_bob_1', asBob), 403, 'forbidden');
    assertProblem(await api.get('/v1/orders/ord_bob_1', asTea), 403, 'forbidden');
    assertProblem(await api.get('/v1/orders/ord_bob_1'), 401, 'unauthenticated');
  });
});

describe('POST /v1/orders/:order/refund', () => {
  const gina = 'mem_gina';
  const hank = 'mem_hank';
  before(() =>
    api.setup([
      { type: 'registerMember', member: hank, referrer: null },
      { type: 'registerMember', member: gina, referrer: hank },
    ]),
  );

  test('a refund before settlement voids the order: no points and no rewards once it is due', async () => {
    await paid('ord_gina_1', gina, tea, '500.00');
    const answer = await api.post('/v1/orders/ord_gina_1/refund', { id: 'ref_gina_1' }, api.shop);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.outcome, 'accepted');
    assert.equal(answer.json.order.status, 'refunded');
    await api.unchanged([gina, hank], async () => {
      assert.equal(await api.advanceAndSettle(settleWait), 0);
    });
    const buyer = await summary(gina);
    assert.equal(buyer.points, '0.000000');
    assert.equal(buyer.consumption, '0.00');
    assert.equal(buyer.cycle.open, false);
    const referrer = await summary(hank);
    assert.equal(referrer.rewards, '0.00');
    assert.equal(referrer.wallet, '0.00');
    assert.equal((await api.get('/v1/orders/ord_gina_1', api.shop)).json.status, 'refunded');
  });

  test('a retry is a duplicate; the same id for another order 409; a second refund id 422', async () => {
    await api.unchanged([gina], async () => {
      const again = await api.post('/v1/orders/ord_gina_1/refund', { id: 'ref_gina_1' }, api.shop);
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
      assertProblem(
        await api.post('/v1/orders/ord_bob_1/refund', { id: 'ref_gina_1' }, api.shop),
        409,
        'id_reused',
      );
      assertProblem(
        await api.post('/v1/orders/ord_gina_1/refund', { id: 'ref_gina_2' }, api.admin),
        422,
        'order_refunded',
        /already refunded/,
      );
    });
  });

  test('a refund after settlement is refused with 422 and a clear message, nothing changed', async () => {
    await api.unchanged([bob, alice], async () => {
      const answer = await api.post('/v1/orders/ord_bob_1/refund', { id: 'ref_bob_1' }, api.shop);
      assertProblem(answer, 422, 'order_settled', /has settled: a refund after settlement is refused/);
    });
    assert.equal((await api.get('/v1/orders/ord_bob_1', api.shop)).json.status, 'settled');
  });

  test('an unknown order is 404; bad input 400; nothing changed', async () => {
    await api.unchanged([gina], async () => {
      assertProblem(
        await api.post('/v1/orders/ord_nobody/refund', { id: 'ref_x' }, api.shop),
        404,
        'unknown_order',
      );
      assertProblem(
        await api.post('/v1/orders/ord_gina_1/refund', {}, api.shop),
        400,
        'invalid_request',
        /id/,
      );
      assertProblem(
        await api.post('/v1/orders/ord_gina_1/refund', { id: 'ref_x', reason: 'x' }, api.shop),
        400,
        'invalid_request',
      );
    });
  });

  test('no caller is 401; a member, finance or a merchant is 403', async () => {
    await paid('ord_gina_2', gina, tea, '20.00');
    await api.unchanged([gina], async () => {
      const body = { id: 'ref_gina_3' };
      assertProblem(await api.post('/v1/orders/ord_gina_2/refund', body), 401, 'unauthenticated');
      assertProblem(await api.post('/v1/orders/ord_gina_2/refund', body, asBob), 403, 'forbidden');
      assertProblem(await api.post('/v1/orders/ord_gina_2/refund', body, api.finance), 403, 'forbidden');
      assertProblem(await api.post('/v1/orders/ord_gina_2/refund', body, asTea), 403, 'forbidden');
    });
    assert.equal((await api.get('/v1/orders/ord_gina_2', api.shop)).json.status, 'pending');
  });
});

describe('POST /v1/injections', () => {
  test('the admin puts cash into the pool and the price rises', async () => {
    const before = await market();
    const pool = centsOf(before.pool) + 10_000n;
    const answer = await api.post('/v1/injections', { id: 'inj_1', amount: '100.00' }, api.admin);
    assert.equal(answer.status, 200, answer.text);
    const price = priceText(pool, microsOf(before.supply));
    assert.deepEqual(answer.json, { outcome: 'accepted', price, pool: yuan(pool) });
    assert.deepEqual(await market(), { ...before, pool: yuan(pool), price });
  });

  test('a retry is a duplicate; another amount under the id is 409; nothing changed', async () => {
    await api.unchanged([], async () => {
      const again = await api.post('/v1/injections', { id: 'inj_1', amount: '100.00' }, api.admin);
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
      assertProblem(
        await api.post('/v1/injections', { id: 'inj_1', amount: '200.00' }, api.admin),
        409,
        'id_reused',
      );
    });
  });

  test('bad amounts are 400, nothing changed', async () => {
    await api.unchanged([], async () => {
      assertProblem(
        await api.post('/v1/injections', { id: 'inj_2', amount: '0' }, api.admin),
        400,
        'invalid_amount',
      );
      assertProblem(
        await api.post('/v1/injections', { id: 'inj_2', amount: '1.234' }, api.admin),
        400,
        'invalid_request',
      );
      assertProblem(
        await api.post('/v1/injections', { id: 'inj_2' }, api.admin),
        400,
        'invalid_request',
        /amount/,
      );
    });
  });

  test('finance or a member is 403; no caller is 401', async () => {
    await api.unchanged([], async () => {
      const body = { id: 'inj_3', amount: '1.00' };
      assertProblem(await api.post('/v1/injections', body, api.finance), 403, 'forbidden');
      assertProblem(await api.post('/v1/injections', body, asAlice), 403, 'forbidden');
      assertProblem(await api.post('/v1/injections', body), 401, 'unauthenticated');
    });
  });
});

describe('GET and PUT /v1/config', () => {
  test('admin and finance read the configuration in force and its history', async () => {
    const answer = await api.get('/v1/config', api.finance);
    assert.equal(answer.status, 200);
    assert.equal(answer.json.config.holdWindowSeconds, '3600');
    assert.equal(answer.json.config.withdrawalMinimum, '1.00');
    assert.equal(answer.json.history.length, 1);
    assert.deepEqual((await api.get('/v1/config', api.admin)).json, answer.json);
    assertProblem(await api.get('/v1/config', asAlice), 403, 'forbidden');
    assertProblem(await api.get('/v1/config'), 401, 'unauthenticated');
  });

  test('the admin changes a key; the same change again is a duplicate', async () => {
    const answer = await api.call('PUT', '/v1/config', {
      as: api.admin,
      body: { id: 'cfg_fee_1', config: { withdrawalFeeRate: '0.01' } },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.outcome, 'accepted');
    assert.equal(answer.json.config.withdrawalFeeRate, '0.010000');
    const history = (await api.get('/v1/config', api.admin)).json.history;
    assert.equal(history.length, 2);
    assert.equal(history.at(-1).actor, 'acc_admin');
    // Under another id too: the configuration already is so.
    const again = await api.call('PUT', '/v1/config', {
      as: api.admin,
      body: { id: 'cfg_fee_2', config: { withdrawalFeeRate: '0.01' } },
    });
    assert.equal(again.json.outcome, 'duplicate');
    assert.equal((await api.get('/v1/config', api.admin)).json.history.length, 2);
  });

  test('an unknown key, a malformed or out-of-range value, an unknown field are 400; nothing changed', async () => {
    // One id for every attempt: a refused change leaves it free.
    const put = (body: Json) =>
      api.call('PUT', '/v1/config', { as: api.admin, body: { id: 'cfg_bad', ...body } });
    const before = (await api.get('/v1/config', api.admin)).json;
    await api.unchanged([], async () => {
      assertProblem(
        await put({ config: { bogus: '1' } }),
        400,
        'invalid_config',
        /config\.bogus: unknown key/,
      );
      assertProblem(await put({ config: { sellFee: '0.1234567' } }), 400, 'invalid_config', /sellFee/);
      assertProblem(await put({ config: { sellFee: '1.5' } }), 400, 'invalid_config', /between 0 and 1/);
      assertProblem(
        await put({ config: { rewards: { agents: { town: '0.1' } } } }),
        400,
        'invalid_config',
        /town/,
      );
      assertProblem(await put({ config: {}, reason: 'x' }), 400, 'invalid_request');
      assertProblem(await put({ config: 'sellFee=0' }), 400, 'invalid_request', /config/);
    });
    assert.deepEqual((await api.get('/v1/config', api.admin)).json, before);
    const fixed = await put({ config: { withdrawalMinimum: '1.00' } });
    assert.equal(fixed.status, 200, fixed.text);
  });

  test('changing one nested reward keeps the other rewards as they were', {}, async () => {
    const put = (id: string, config: unknown) =>
      api.call('PUT', '/v1/config', { as: api.admin, body: { id, config } });
    assert.equal((await put('cfg_indirect', { rewards: { indirect: '0.001' } })).status, 200);
    const answer = await put('cfg_direct', { rewards: { direct: '0.004' } });
    assert.equal(answer.json.config.rewards.direct, '0.004000');
    assert.equal(answer.json.config.rewards.indirect, '0.001000');
  });

  test('finance or a merchant may not change it (403); no caller is 401', async () => {
    const body = { id: 'cfg_forbidden', config: { withdrawalMinimum: '0.01' } };
    assertProblem(await api.call('PUT', '/v1/config', { as: api.finance, body }), 403, 'forbidden');
    assertProblem(await api.call('PUT', '/v1/config', { as: asTea, body }), 403, 'forbidden');
    assertProblem(await api.call('PUT', '/v1/config', { body }), 401, 'unauthenticated');
  });
});

describe('POST /v1/merchants', () => {
  test('the admin onboards a merchant with its own rate and a staff login', async () => {
    const answer = await api.post(
      '/v1/merchants',
      {
        id: 'onb_bakery',
        owner: alice,
        recruiter: bob,
        region: '110105',
        commissionRate: '0.15',
        login: 'bakery',
        password: passwordOf('bakery'),
      },
      api.admin,
    );
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.merchant, /^mch_/);
    assert.equal(answer.json.login, 'bakery');
    const bakery = await api.signIn('bakery');
    const view = await api.get(`/v1/merchants/${answer.json.merchant}`, bakery);
    assert.equal(view.status, 200);
    assert.equal(view.json.owner, alice);
    assert.equal(view.json.recruiter, bob);
    assert.equal(view.json.commissionRate, '0.150000');
    assert.equal(view.json.payable, '0.00');
  });

  test('bad input is 400, an unknown owner 404, a taken login 409; nothing onboarded', async () => {
    const fields = { id: 'onb_ghost', region: '440305', login: 'ghost', password: passwordOf('ghost') };
    await api.unchanged([], async () => {
      const post = (extra: Record<string, unknown>) =>
        api.post('/v1/merchants', { ...fields, ...extra }, api.admin);
      assertProblem(await post({ region: '4403' }), 400, 'invalid_request', /region/);
      assertProblem(await post({ commissionRate: '1.5' }), 400, 'invalid_request', /commissionRate/);
      assertProblem(await post({ commissionRate: '0.2000001' }), 400, 'invalid_request', /commissionRate/);
      assertProblem(await post({ password: 'short' }), 400, 'invalid_request', /password/);
      assertProblem(await post({ payable: '0' }), 400, 'invalid_request');
      assertProblem(await post({ owner: 'mem_nobody' }), 404, 'unknown_member', /mem_nobody/);
      assertProblem(await post({ login: 'teahouse' }), 409, 'login_taken');
    });
    assertProblem(
      await api.post('/v1/auth/login', { login: 'ghost', password: passwordOf('ghost') }),
      401,
      'bad_credentials',
    );
  });

  test('finance or a merchant is 403; no caller is 401', async () => {
    const body = { id: 'onb_ghost2', region: '440305', login: 'ghost2', password: passwordOf('ghost2') };
    assertProblem(await api.post('/v1/merchants', body, api.finance), 403, 'forbidden');
    assertProblem(await api.post('/v1/merchants', body, asTea), 403, 'forbidden');
    assertProblem(await api.post('/v1/merchants', body), 401, 'unauthenticated');
  });
});

describe('GET /v1/merchants/:merchant', () => {
  test('the merchant reads its payable (order amounts less commission of settled orders) and activity', async () => {
    const answer = await api.get(`/v1/merchants/${tea}`, asTea);
    assert.equal(answer.status, 200);
    // Settled at the tea house: 1000.00 (Carol), 200.00 (ord_bob_1), 50.00 (ord_admin_1), 30.00 (ord_bulk_1).
    const payable = [100_000n, 20_000n, 5_000n, 3_000n].reduce(
      (sum, amount) => sum + amount - share(amount, defaults.commissionRate),
      0n,
    );
    assert.equal(answer.json.payable, yuan(payable));
    assert.equal(answer.json.region, '440306');
    assert.equal(answer.json.recruiter, alice);
    assert.equal(answer.json.owner, null);
    assert.equal(answer.json.commissionRate, '0.200000');
    assert.ok(answer.json.activity.some((entry: Json) => entry.summary.order === 'ord_bob_1'));
    assert.deepEqual((await api.get(`/v1/merchants/${tea}`, api.finance)).json, answer.json);
  });

  test('another merchant or a member is 403; no caller is 401; an unknown merchant 404', async () => {
    assertProblem(await api.get(`/v1/merchants/${noodles}`, asTea), 403, 'forbidden', /yourself/);
    assertProblem(await api.get(`/v1/merchants/${tea}`, asAlice), 403, 'forbidden');
    assertProblem(await api.get(`/v1/merchants/${tea}`), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/merchants/mch_nobody', api.admin), 404, 'unknown_merchant');
  });
});

describe('POST /v1/accounts (staff)', () => {
  test('the admin creates a finance account that can sign in', async () => {
    const answer = await api.post(
      '/v1/accounts',
      { id: 'acc_new_auditor', login: 'auditor', password: passwordOf('auditor'), role: 'finance' },
      api.admin,
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.role, 'finance');
    assert.match(answer.json.account, /^acc_/);
    const auditor = await api.signIn('auditor');
    assert.equal((await api.get('/v1/withdrawals', auditor)).status, 200);
  });

  test('a member role, a missing password or an unknown field is 400; a taken login is 409', async () => {
    const post = (body: Json) => api.post('/v1/accounts', { id: 'acc_new_mallory', ...body }, api.admin);
    assertProblem(
      await post({ login: 'mallory', password: passwordOf('mallory'), role: 'member' }),
      400,
      'invalid_request',
      /role/,
    );
    assertProblem(await post({ login: 'mallory', role: 'admin' }), 400, 'invalid_request', /password/);
    assertProblem(
      await post({ login: 'mallory', password: passwordOf('mallory'), role: 'admin', subject: carol }),
      400,
      'invalid_request',
    );
    assertProblem(
      await post({ login: 'alice', password: passwordOf('alice'), role: 'admin' }),
      409,
      'login_taken',
    );
    assertProblem(
      await api.post('/v1/auth/login', { login: 'mallory', password: passwordOf('mallory') }),
      401,
      'bad_credentials',
    );
    await api.signIn('alice');
  });

  test('finance or a member is 403; no caller is 401', async () => {
    const body = { id: 'acc_new_mallory', login: 'mallory', password: passwordOf('mallory'), role: 'admin' };
    assertProblem(await api.post('/v1/accounts', body, api.finance), 403, 'forbidden');
    assertProblem(await api.post('/v1/accounts', body, asAlice), 403, 'forbidden');
    assertProblem(await api.post('/v1/accounts', body), 401, 'unauthenticated');
  });
});

describe('POST /v1/api-keys', () => {
  test('the admin creates a key, shown once, that reports orders', async () => {
    const answer = await api.post('/v1/api-keys', { id: 'key_pos', name: 'pos-terminal' }, api.admin);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.name, 'pos-terminal');
    assert.match(answer.json.key, /^pk_[A-Za-z0-9_-]{20,}$/);
    const me = await api.get('/v1/me', { apiKey: answer.json.key });
    assert.equal(me.json.account, 'key:pos-terminal');
  });

  test('an empty name or an unknown field is 400; finance is 403; no caller is 401', async () => {
    assertProblem(
      await api.post('/v1/api-keys', { id: 'key_x', name: '' }, api.admin),
      400,
      'invalid_request',
      /name/,
    );
    assertProblem(
      await api.post('/v1/api-keys', { id: 'key_x', name: 'x', scope: 'all' }, api.admin),
      400,
      'invalid_request',
    );
    assertProblem(await api.post('/v1/api-keys', { name: 'x' }, api.finance), 403, 'forbidden');
    assertProblem(await api.post('/v1/api-keys', { name: 'x' }, api.shop), 403, 'forbidden');
    assertProblem(await api.post('/v1/api-keys', { name: 'x' }), 401, 'unauthenticated');
  });
});

describe('client ids of the admin writes without a ledger id (config, merchants, accounts, api keys)', () => {
  const auditOf = async (id: string): Promise<Json[]> =>
    (await api.get('/v1/audit?limit=200', api.admin)).json.items.filter(
      (item: Json) => item.detail.id === id,
    );
  const count = async (kind: string): Promise<number> =>
    (await api.service.store.listRecords(kind, 0, 1_000)).length;
  /** What these writes can change: the configuration, merchants, accounts, API keys, the audit trail. */
  const observe = async (): Promise<Json> => ({
    config: (await api.get('/v1/config', api.admin)).json,
    merchants: (await api.get('/v1/merchants?limit=200', api.admin)).json,
    accounts: await count('account'),
    apiKeys: await count('apikey'),
    audit: (await api.get('/v1/audit?limit=200', api.admin)).json.items.length,
  });
  const unchanged = async (action: () => Promise<void>): Promise<void> => {
    const before = await observe();
    await action();
    assert.deepEqual(await observe(), before, 'the request changed something');
  };
  const routes: readonly { url: string; method: 'PUT' | 'POST'; body: Json; other: Json }[] = [
    {
      method: 'PUT',
      url: '/v1/config',
      body: { config: { withdrawalMinimum: '2.00' } },
      other: { config: { withdrawalMinimum: '3.00' } },
    },
    {
      method: 'POST',
      url: '/v1/merchants',
      body: { region: '310101', login: 'florist', password: passwordOf('florist') },
      other: { region: '310101', login: 'florist', password: passwordOf('other') },
    },
    {
      method: 'POST',
      url: '/v1/accounts',
      body: { login: 'clerk', password: passwordOf('clerk'), role: 'finance' },
      other: { login: 'clerk', password: passwordOf('clerk'), role: 'admin' },
    },
    { method: 'POST', url: '/v1/api-keys', body: { name: 'kiosk' }, other: { name: 'kiosk-2' } },
  ];

  for (const route of routes) {
    test(`${route.method} ${route.url}: a retry answers the first result and changes nothing; other content is 409; no id is 400`, async () => {
      const send = (body: Json) => api.call(route.method, route.url, { as: api.admin, body });
      const id = `cw_${route.url.slice(4).replace('/', '_')}`;
      await unchanged(async () => {
        assertProblem(await send(route.body), 400, 'missing_id', /Idempotency-Key/);
      });
      const first = await send({ id, ...route.body });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.outcome, 'accepted');
      assert.equal((await auditOf(id)).length, 1);
      await unchanged(async () => {
        const again = await send({ id, ...route.body });
        assert.equal(again.status, 200, again.text);
        assert.equal(again.json.outcome, 'duplicate');
        if (route.url === '/v1/api-keys') {
          // Only the key's digest is kept: the key is shown once.
          assert.deepEqual(again.json, {
            outcome: 'duplicate',
            name: 'kiosk',
            key: null,
            note: again.json.note,
          });
          assert.match(again.json.note, /shown once/);
        } else {
          assert.deepEqual({ ...again.json, outcome: 'accepted' }, first.json);
        }
        assertProblem(await send({ id, ...route.other }), 409, 'id_reused', new RegExp(id));
        assertProblem(await send(route.body), 400, 'missing_id');
      });
      assert.equal((await auditOf(id)).length, 1);
    });
  }

  test('the id may come as the Idempotency-Key header; differing from the body’s id is 400', async () => {
    const send = (headers: Record<string, string>, body: Json) =>
      api.call('POST', '/v1/api-keys', { as: api.admin, headers, body });
    const first = await send({ 'idempotency-key': 'key_by_header' }, { name: 'scanner' });
    assert.equal(first.status, 200, first.text);
    assert.match(first.json.key, /^pk_/);
    await unchanged(async () => {
      const again = await send({}, { id: 'key_by_header', name: 'scanner' });
      assert.equal(again.json.outcome, 'duplicate');
      assertProblem(
        await send({ 'idempotency-key': 'key_a' }, { id: 'key_b', name: 'scanner' }),
        400,
        'malformed',
        /differ/,
      );
      assertProblem(await send({ 'idempotency-key': 'bad key!' }, { name: 'scanner' }), 400, 'malformed');
    });
  });

  test('a refused write leaves its id free', async () => {
    const post = (login: string) =>
      api.post(
        '/v1/accounts',
        { id: 'acc_new_retry', login, password: passwordOf(login), role: 'admin' },
        api.admin,
      );
    await unchanged(async () => {
      assertProblem(await post('alice'), 409, 'login_taken');
    });
    const accepted = await post('operator');
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json.login, 'operator');
  });

  test('a retry of a write cut short after its claim finishes the same plan, audited once', async () => {
    // As if the process stopped after claiming the id and creating the login, before registering the merchant.
    const body = { region: '310104', login: 'cut-short', password: passwordOf('cut-short') };
    const plan = { merchant: 'mch_cut_short', account: 'acc_cut_short' };
    const record = {
      route: 'POST /v1/merchants',
      contentHash: clientWriteHash(api.service.secret, 'POST /v1/merchants', body),
      actor: 'acc_admin',
      plan,
      status: 'pending',
    };
    await api.service.store.putRecord('client-write', 'onb_cut', JSON.stringify(record), 0);
    await api.service.accounts.create(
      { id: plan.account, login: body.login, role: 'merchant', subject: plan.merchant, createdAtMs: 0 },
      body.password,
    );
    const retry = await api.post('/v1/merchants', { id: 'onb_cut', ...body }, api.admin);
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(retry.json, { outcome: 'accepted', merchant: plan.merchant, login: body.login });
    const view = await api.get(`/v1/merchants/${plan.merchant}`, await api.signIn('cut-short'));
    assert.equal(view.json.region, '310104');
    await unchanged(async () => {
      assert.equal(
        (await api.post('/v1/merchants', { id: 'onb_cut', ...body }, api.admin)).json.outcome,
        'duplicate',
      );
    });
    assert.equal((await auditOf('onb_cut')).length, 1);
  });

  test('the OpenAPI document shows the id in the body and the Idempotency-Key header', async () => {
    const document = (await api.get('/openapi.json')).json;
    for (const [path, method] of [
      ['/v1/config', 'put'],
      ['/v1/merchants', 'post'],
      ['/v1/accounts', 'post'],
      ['/v1/api-keys', 'post'],
    ] as const) {
      const operation = document.paths[path][method];
      assert.ok(operation.requestBody.content['application/json'].schema.properties.id, `${path} body id`);
      assert.ok(
        operation.parameters.some(
          (parameter: Json) => parameter.name === 'Idempotency-Key' && parameter.in === 'header',
        ),
        `${path} header`,
      );
    }
  });
});

describe('GET /v1/audit', () => {
  test('lists admin and finance actions with who and when, newest first', async () => {
    const answer = await api.get('/v1/audit?limit=200', api.admin);
    assert.equal(answer.status, 200);
    const items: Json[] = answer.json.items;
    const find = (action: string, actor: string) =>
      items.find((item) => item.action === action && item.actor === actor);
    for (const [action, actor] of [
      ['login', 'acc_admin'],
      ['login', 'acc_finance'],
      ['login.failed', 'throttled'],
      ['merchant.onboard', 'acc_admin'],
      ['withdrawal.approve', 'acc_finance'],
      ['withdrawal.paid', 'acc_admin'],
      ['withdrawal.reject', 'acc_finance'],
      ['inject', 'acc_admin'],
      ['configure', 'acc_admin'],
      ['account.create', 'acc_admin'],
      ['apikey.create', 'acc_admin'],
    ] as const) {
      const item = find(action, actor);
      assert.ok(item !== undefined, `no ${action} by ${actor} in the audit trail`);
      assert.equal(item.at, new Date(item.atMs).toISOString());
    }
    assert.deepEqual(find('withdrawal.reject', 'acc_finance').detail, {
      withdrawal: 'wdr_carol_2',
      note: 'name mismatch',
    });
    assert.deepEqual(find('inject', 'acc_admin').detail, { id: 'inj_1', amount: '100.00' });
    assert.ok(items.every((item) => item.atMs >= startMs && item.atMs <= api.clock.now()));
    const positions = items.map((item) => item.position);
    assert.deepEqual(
      positions,
      [...positions].sort((left, right) => right - left),
      'newest first',
    );
    const page = await api.get('/v1/audit?offset=1&limit=2', api.admin);
    assert.deepEqual(page.json.items, items.slice(1, 3));
  });

  test('an admin’s refund is in the audit trail', {}, async () => {
    await paid('ord_audit_1', bob, tea, '12.00');
    const refund = await api.post('/v1/orders/ord_audit_1/refund', { id: 'ref_audit_1' }, api.admin);
    assert.equal(refund.status, 200, refund.text);
    const items: Json[] = (await api.get('/v1/audit', api.admin)).json.items;
    assert.ok(
      items.some((item) => item.actor === 'acc_admin' && JSON.stringify(item.detail).includes('ord_audit_1')),
      'no audit entry for the refund',
    );
  });

  test('finance, a member or the shop is 403; no caller is 401; a bad page is 400', async () => {
    assertProblem(await api.get('/v1/audit', api.finance), 403, 'forbidden');
    assertProblem(await api.get('/v1/audit', asCarol), 403, 'forbidden');
    assertProblem(await api.get('/v1/audit', api.shop), 403, 'forbidden');
    assertProblem(await api.get('/v1/audit'), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/audit?limit=ten', api.admin), 400, 'invalid_request', /limit/);
    assertProblem(await api.get('/v1/audit?actor=acc_admin', api.admin), 400, 'invalid_request');
  });
});

describe('GET /v1/members and GET /v1/merchants (staff listings)', () => {
  test('staff list members with their balances, search by id and page', async () => {
    const all = await api.get('/v1/members', api.finance);
    assert.equal(all.status, 200);
    assert.equal(all.json.total, (await market()).members);
    const found = await api.get('/v1/members?search=CAROL', api.admin);
    assert.equal(found.json.total, 1);
    assert.deepEqual(found.json.items[0], await summary(carol));
    const page = await api.get('/v1/members?offset=1&limit=2', api.admin);
    assert.deepEqual(
      page.json.items.map((item: Json) => item.id),
      all.json.items.slice(1, 3).map((item: Json) => item.id),
    );
  });

  test('staff list merchants with their payables', async () => {
    const answer = await api.get('/v1/merchants', api.admin);
    assert.equal(answer.status, 200);
    const teaHouse = answer.json.items.find((item: Json) => item.id === tea);
    assert.deepEqual(teaHouse, {
      id: tea,
      owner: null,
      region: '440306',
      payable: (await api.get(`/v1/merchants/${tea}`, api.admin)).json.payable,
    });
    assert.equal(answer.json.total, answer.json.items.length);
  });

  test('a bad query is 400; members, merchants and the shop are 403; no caller is 401', async () => {
    assertProblem(
      await api.get(`/v1/members?search=${'x'.repeat(65)}`, api.admin),
      400,
      'invalid_request',
      /search/,
    );
    assertProblem(await api.get('/v1/members?referrer=x', api.admin), 400, 'invalid_request');
    assertProblem(await api.get('/v1/merchants?limit=x', api.admin), 400, 'invalid_request', /limit/);
    for (const url of ['/v1/members', '/v1/merchants']) {
      assertProblem(await api.get(url, asCarol), 403, 'forbidden');
      assertProblem(await api.get(url, asTea), 403, 'forbidden');
      assertProblem(await api.get(url, api.shop), 403, 'forbidden');
      assertProblem(await api.get(url), 401, 'unauthenticated');
    }
  });
});

describe('GET /v1/compliance', () => {
  test('staff read the findings of the configuration in force', async () => {
    const answer = await api.get('/v1/compliance', api.finance);
    assert.equal(answer.status, 200);
    assert.ok(answer.json.findings.length > 0);
    for (const finding of answer.json.findings) {
      assert.ok(['green', 'amber', 'red'].includes(finding.level), finding.rule);
      assert.equal(typeof finding.reason, 'string');
    }
    assert.deepEqual((await api.get('/v1/compliance', api.admin)).json, answer.json);
  });

  test('a member or a merchant is 403; no caller is 401', async () => {
    assertProblem(await api.get('/v1/compliance', asAlice), 403, 'forbidden');
    assertProblem(await api.get('/v1/compliance', asTea), 403, 'forbidden');
    assertProblem(await api.get('/v1/compliance'), 401, 'unauthenticated');
  });
});

describe('merchant applications', () => {
  const application = (login: string) => ({
    name: 'Corner Shop',
    region: '440305',
    login,
    password: passwordOf(login),
  });

  test('a member applies; the admin lists and decides; a decided application stays decided', async () => {
    const applied = await api.post('/v1/merchant-applications', application('corner-one'), asBob);
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.json.status, 'pending');
    assert.equal(applied.json.applicant, bob);
    assert.equal(applied.json.passwordHash, undefined, 'the hash never leaves the server');
    const listed = await api.get('/v1/merchant-applications', api.admin);
    assert.equal(listed.json.items[0].id, applied.json.id);
    const url = `/v1/merchant-applications/${applied.json.id}/decision`;
    const rejected = await api.post(url, { decision: 'reject', reason: 'no licence' }, api.admin);
    assert.equal(rejected.json.status, 'rejected');
    assertProblem(await api.post(url, { decision: 'approve' }, api.admin), 422, 'application_decided');
  });

  test('bad input is 400, an unknown recruiter or application 404', async () => {
    const post = (body: unknown) => api.post('/v1/merchant-applications', body, asBob);
    assertProblem(
      await post({ ...application('corner-two'), region: 'SZ' }),
      400,
      'invalid_request',
      /region/,
    );
    assertProblem(await post({ ...application('corner-two'), owner: alice }), 400, 'invalid_request');
    assertProblem(
      await post({ ...application('corner-two'), recruiter: 'mem_nobody' }),
      404,
      'unknown_member',
    );
    assertProblem(await post({ ...application('alice') }), 409, 'login_taken');
    const decide = (body: unknown) =>
      api.post('/v1/merchant-applications/app_nobody/decision', body, api.admin);
    assertProblem(await decide({ decision: 'approve' }), 404, 'unknown_application');
    assertProblem(await decide({ decision: 'maybe' }), 400, 'invalid_request', /decision/);
  });

  test('only members apply and only the admin lists or decides (403); no caller is 401', async () => {
    assertProblem(
      await api.post('/v1/merchant-applications', application('corner-three'), api.admin),
      403,
      'forbidden',
    );
    assertProblem(
      await api.post('/v1/merchant-applications', application('corner-three'), asTea),
      403,
      'forbidden',
    );
    assertProblem(
      await api.post('/v1/merchant-applications', application('corner-three')),
      401,
      'unauthenticated',
    );
    assertProblem(await api.get('/v1/merchant-applications', api.finance), 403, 'forbidden');
    assertProblem(await api.get('/v1/merchant-applications'), 401, 'unauthenticated');
    const decide = '/v1/merchant-applications/app_nobody/decision';
    assertProblem(await api.post(decide, { decision: 'approve' }, api.finance), 403, 'forbidden');
    assertProblem(await api.post(decide, { decision: 'approve' }, asBob), 403, 'forbidden');
    assertProblem(await api.post(decide, { decision: 'approve' }), 401, 'unauthenticated');
  });

  test('approving an application whose login was taken meanwhile is refused, not an overwrite', {}, async () => {
    const first = await api.post('/v1/merchant-applications', application('corner-four'), asBob);
    const second = await api.post('/v1/merchant-applications', application('corner-four'), asAlice);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const approve = (id: string) =>
      api.post(`/v1/merchant-applications/${id}/decision`, { decision: 'approve' }, api.admin);
    assert.equal((await approve(first.json.id)).status, 200);
    assertProblem(await approve(second.json.id), 409, 'login_taken');
  });
});

describe('store QR codes, share links and payments (O2O)', () => {
  const corner = 'mch_corner';
  const ivan = 'mem_ivan';
  let asIvan: Caller = nobody;
  let qr = '';
  before(async () => {
    await api.setup([
      { type: 'registerMember', member: ivan, referrer: null },
      {
        type: 'registerMerchant',
        merchant: corner,
        owner: carol,
        recruiter: null,
        region: '440305',
        commissionRate: null,
      },
    ]);
    asIvan = await api.memberCaller(ivan);
  });

  test('GET /v1/merchants/:merchant/qr: the store (or the admin) gets a signed pay-page URL', async () => {
    const answer = await api.get(`/v1/merchants/${tea}/qr`, asTea);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.merchant, tea);
    assert.match(answer.json.payload, new RegExp(`/pay/${tea}\\?sig=[0-9a-f]+$`));
    qr = (await api.get(`/v1/merchants/${corner}/qr`, api.admin)).json.payload;
    assertProblem(await api.get(`/v1/merchants/${noodles}/qr`, asTea), 403, 'forbidden');
    assertProblem(await api.get(`/v1/merchants/${tea}/qr`, api.finance), 403, 'forbidden');
    assertProblem(await api.get(`/v1/merchants/${tea}/qr`, asAlice), 403, 'forbidden');
    assertProblem(await api.get(`/v1/merchants/${tea}/qr`), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/merchants/mch_nobody/qr', api.admin), 404, 'unknown_merchant');
  });

  test('GET /v1/members/:member/referral-link: a member gets its own signed share link', async () => {
    const answer = await api.get(`/v1/members/${alice}/referral-link`, asAlice);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.link, new RegExp(`/join\\?ref=${alice}&sig=[0-9a-f]+$`));
    assert.deepEqual((await api.get(`/v1/members/${alice}/referral-link`, api.admin)).json, answer.json);
    assertProblem(await api.get(`/v1/members/${alice}/referral-link`, asBob), 403, 'forbidden');
    assertProblem(await api.get(`/v1/members/${alice}/referral-link`, api.finance), 403, 'forbidden');
    assertProblem(await api.get(`/v1/members/${alice}/referral-link`), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/members/mem_nobody/referral-link', api.admin), 404, 'unknown_member');
  });

  test('POST /v1/payments: a member starts a sandbox payment from a store’s QR code; a retry answers the same', async () => {
    const body = { id: 'pay_ivan_1', qr, amount: '88.00' };
    const answer = await api.post('/v1/payments', body, asIvan);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {
      payment: 'pay_ivan_1',
      status: 'pending',
      payUrl: '/pay/pay_ivan_1',
      merchant: corner,
      amount: '88.00',
    });
    await api.unchanged([ivan], async () => {
      assert.deepEqual((await api.post('/v1/payments', body, asIvan)).json, answer.json);
      const other = await api.post('/v1/payments', { ...body, amount: '89.00' }, asIvan);
      assert.ok(other.status === 409 || other.status === 422, other.text);
      assert.equal((await summary(ivan)).referrer, null, 'no binding before the payment is confirmed');
    });
  });

  test('POST /v1/payments: the same id with another amount is 409 like every other client-chosen id', {}, async () => {
    const answer = await api.post('/v1/payments', { id: 'pay_ivan_1', qr, amount: '89.00' }, asIvan);
    assertProblem(answer, 409, 'id_reused');
  });

  test('POST /v1/payments: a forged QR code or a bad amount is 400; staff are 403; no caller 401', async () => {
    await api.unchanged([ivan], async () => {
      const post = (fields: Record<string, unknown>, as: Caller = asIvan) =>
        api.post('/v1/payments', { id: 'pay_ivan_x', qr, amount: '10.00', ...fields }, as);
      assertProblem(await post({ qr: qr.replace(/sig=.*/, 'sig=0000000000000000') }), 400, 'invalid_qr');
      assertProblem(await post({ qr: qr.replace(corner, tea) }), 400, 'invalid_qr');
      assertProblem(await post({ qr: 'not a url' }), 400, 'invalid_qr');
      assertProblem(await post({ amount: '0.00' }), 400, 'invalid_amount');
      assertProblem(await post({ amount: '10.001' }), 400, 'invalid_request', /amount/);
      assertProblem(await post({ tip: '1.00' }), 400, 'invalid_request');
      assertProblem(await post({}, api.admin), 403, 'forbidden');
      assertProblem(await post({}, api.shop), 403, 'forbidden');
      assertProblem(await post({}, nobody), 401, 'unauthenticated');
    });
  });

  test('POST /v1/payments: a payment id longer than the provider takes is 400', {}, async () => {
    const answer = await api.post('/v1/payments', { id: 'p'.repeat(100), qr, amount: '10.00' }, asIvan);
    assertProblem(answer, 400, 'invalid_request');
  });

  test('POST /v1/payments/:payment/confirm: the order is reported paid; the buyer is bound to the store’s owner at settlement', async () => {
    const answer = await api.call('POST', '/v1/payments/pay_ivan_1/confirm', { as: asIvan });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.outcome, 'accepted');
    assert.deepEqual(answer.json.order, {
      id: 'pay_ivan_1',
      member: ivan,
      merchant: corner,
      amount: '88.00',
      status: 'pending',
      paidAt: new Date(api.clock.now()).toISOString(),
      settlesAt: new Date(api.clock.now() + holdWindowMs).toISOString(),
    });
    assert.equal(answer.json.member.referrer, null, 'SPEC.md step 1 binds at settlement, not at payment');
    assert.equal(answer.json.member.points, '0.000000', 'points come at settlement');
    await api.unchanged([ivan, carol], async () => {
      const again = await api.call('POST', '/v1/payments/pay_ivan_1/confirm', { as: asIvan });
      assert.equal(again.status, 200);
      assert.equal(again.json.outcome, 'duplicate');
    });
  });

  test('POST /v1/payments/:payment/confirm: another member’s or an unknown payment is 404; staff 403; no caller 401', async () => {
    await api.unchanged([ivan], async () => {
      assertProblem(
        await api.call('POST', '/v1/payments/pay_ivan_1/confirm', { as: asAlice }),
        404,
        'unknown_payment',
      );
      assertProblem(
        await api.call('POST', '/v1/payments/pay_nobody/confirm', { as: asIvan }),
        404,
        'unknown_payment',
      );
      assertProblem(
        await api.call('POST', '/v1/payments/pay_ivan_1/confirm', { as: api.admin }),
        403,
        'forbidden',
      );
      assertProblem(await api.call('POST', '/v1/payments/pay_ivan_1/confirm', {}), 401, 'unauthenticated');
    });
  });

  test('a payment id already used by another order is refused before any money moves', {}, async () => {
    const answer = await api.post('/v1/payments', { id: 'ord_bob_1', qr, amount: '10.00' }, asIvan);
    assertProblem(answer, 409, 'id_reused');
  });

  test('with bindOnFirstOrder off, paying by a store’s QR code binds nobody', {}, async () => {
    const put = (value: boolean) =>
      api.call('PUT', '/v1/config', {
        as: api.admin,
        body: { id: `cfg_bind_${value}`, config: { bindOnFirstOrder: value } },
      });
    await api.setup([{ type: 'registerMember', member: 'mem_jade', referrer: null }]);
    const asJade = await api.memberCaller('mem_jade');
    assert.equal((await put(false)).status, 200);
    try {
      await api.post('/v1/payments', { id: 'pay_jade_1', qr, amount: '10.00' }, asJade);
      const answer = await api.call('POST', '/v1/payments/pay_jade_1/confirm', { as: asJade });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.member.referrer, null);
    } finally {
      assert.equal((await put(true)).status, 200);
    }
  });
});

describe('webhook deliveries', () => {
  test('GET /v1/webhooks/deliveries: the admin reads the log of settlements, mints and withdrawal changes', {}, async () => {
    const answer = await api.get('/v1/webhooks/deliveries?limit=200', api.admin);
    assert.equal(answer.status, 200, answer.text);
    const types = new Set(answer.json.items.map((item: Json) => item.type));
    for (const type of ['order.settled', 'points.minted', 'withdrawal.status'])
      assert.ok(types.has(type), type);
    assert.ok(
      answer.json.items.every((item: Json) => item.status === 'skipped'),
      'no webhook URL: logged only',
    );
  });

  test('retrying a delivery that did not fail is 422, an unknown one 404; bad page 400', async () => {
    const [skipped] = api.service.webhooks.deliveries(1);
    assert.equal(skipped?.status, 'skipped');
    const retried = await api.post(`/v1/webhooks/deliveries/${skipped?.id}/retry`, undefined, api.admin);
    assertProblem(retried, 422, 'not_failed', /not failed/);
    assertProblem(
      await api.post('/v1/webhooks/deliveries/whd_nobody/retry', undefined, api.admin),
      404,
      'unknown_delivery',
    );
    assertProblem(
      await api.get('/v1/webhooks/deliveries?limit=x', api.admin),
      400,
      'invalid_request',
      /limit/,
    );
  });

  test('finance, a merchant or the shop is 403; no caller is 401', async () => {
    for (const as of [api.finance, asTea, api.shop]) {
      assertProblem(await api.get('/v1/webhooks/deliveries', as), 403, 'forbidden');
      assertProblem(await api.post('/v1/webhooks/deliveries/whd_x/retry', undefined, as), 403, 'forbidden');
    }
    assertProblem(await api.get('/v1/webhooks/deliveries'), 401, 'unauthenticated');
    assertProblem(await api.post('/v1/webhooks/deliveries/whd_x/retry', undefined), 401, 'unauthenticated');
  });
});

/** Every route the API serves, as OpenAPI paths. */
const routes = [
  'get /v1/market',
  'get /v1/market/history',
  'post /v1/auth/login',
  'post /v1/auth/logout',
  'get /v1/me',
  'post /v1/members',
  'get /v1/members/{member}',
  'get /v1/members/{member}/activity',
  'post /v1/members/{member}/referrer',
  'post /v1/members/{member}/sell',
  'post /v1/members/{member}/withdrawals',
  'get /v1/withdrawals',
  'post /v1/withdrawals/{withdrawal}/review',
  'post /v1/orders',
  'post /v1/orders/bulk',
  'get /v1/orders/{order}',
  'post /v1/orders/{order}/refund',
  'post /v1/injections',
  'get /v1/config',
  'put /v1/config',
  'post /v1/merchants',
  'get /v1/merchants/{merchant}',
  'post /v1/accounts',
  'post /v1/api-keys',
  'get /v1/audit',
  'get /v1/members',
  'get /v1/merchants',
  'get /v1/compliance',
  'get /v1/merchants/{merchant}/qr',
  'get /v1/members/{member}/referral-link',
  'post /v1/payments',
  'post /v1/payments/{payment}/confirm',
  'get /v1/webhooks/deliveries',
  'post /v1/webhooks/deliveries/{delivery}/retry',
  'post /v1/merchant-applications',
  'get /v1/merchant-applications',
  'post /v1/merchant-applications/{application}/decision',
  'get /v1/members/{member}/withdrawals',
  'post /v1/agents',
  'get /v1/agents',
  'get /v1/forced-exits',
];

/** The writes that take no body. */
const bodiless = [
  'post /v1/auth/logout',
  'post /v1/payments/{payment}/confirm',
  'post /v1/webhooks/deliveries/{delivery}/retry',
];

describe('GET /openapi.json and /docs', () => {
  test('the OpenAPI 3 document lists every route with its parameters, body schema and answers', async () => {
    const answer = await api.get('/openapi.json');
    assert.equal(answer.status, 200);
    const document = answer.json;
    assert.match(document.openapi, /^3\.\d+\.\d+$/);
    assert.equal(typeof document.info.title, 'string');
    assert.equal(typeof document.info.version, 'string');
    const listed = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(
      ([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`),
    );
    // Every route of this file is listed (other test files check the routes they add, e.g. reports).
    for (const route of routes) assert.ok(listed.includes(route), `${route} is not in the OpenAPI document`);
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries(operations)) {
        assert.equal(typeof operation.summary, 'string', `${method} ${path}: a summary`);
        assert.ok(operation.responses['200'] !== undefined, `${method} ${path}: a 200 answer`);
        const inPath = operation.parameters.filter((parameter: Json) => parameter.in === 'path');
        assert.deepEqual(
          inPath.map((parameter: Json) => parameter.name),
          names,
          `${method} ${path}: path parameters`,
        );
        if (method !== 'get' && !bodiless.includes(`${method} ${path}`)) {
          const schema = operation.requestBody.content['application/json'].schema;
          assert.equal(schema.additionalProperties, false, `${method} ${path}: unknown fields refused`);
        }
      }
    }
    const login = document.paths['/v1/auth/login'].post;
    assert.deepEqual(login.security, [], 'signing in is public');
    assert.ok(document.components.securitySchemes.apiKey !== undefined);
  });

  test('/docs is an HTML page naming every path', async () => {
    const answer = await api.get('/docs');
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^text\/html/);
    assert.match(answer.text, /^<!doctype html>/i);
    for (const route of routes) {
      const [method = '', path = ''] = route.split(' ');
      assert.ok(answer.text.includes(`${method.toUpperCase()} ${path}`), `${route} is not on /docs`);
    }
  });
});

describe('requests refused whatever the route', () => {
  /** A valid body for each route with one, plus the caller who may send it. */
  const bodies = (): [string, string, Record<string, unknown>][] => [
    ['POST', '/v1/auth/login', { login: 'alice', password: passwordOf('alice') }],
    ['POST', '/v1/members', { login: 'unused', password: passwordOf('unused') }],
    ['POST', `/v1/members/${alice}/referrer`, { referrer: carol }],
    ['POST', `/v1/members/${carol}/sell`, { id: 'sel_unused', points: '1' }],
    ['POST', `/v1/members/${carol}/withdrawals`, { id: 'wdr_unused', amount: '1.00' }],
    ['POST', '/v1/withdrawals/wdr_carol_1/review', { id: 'rev_unused', decision: 'approve' }],
    ['POST', '/v1/orders', { id: 'ord_unused', member: bob, merchant: tea, amount: '1.00' }],
    [
      'POST',
      '/v1/orders/bulk',
      { orders: [{ id: 'ord_unused', member: bob, merchant: tea, amount: '1.00' }] },
    ],
    ['POST', '/v1/orders/ord_gina_2/refund', { id: 'ref_unused' }],
    ['POST', '/v1/injections', { id: 'inj_unused', amount: '1.00' }],
    ['PUT', '/v1/config', { config: {} }],
    ['POST', '/v1/merchants', { region: '440305', login: 'unused', password: passwordOf('unused') }],
    ['POST', '/v1/accounts', { login: 'unused', password: passwordOf('unused'), role: 'admin' }],
    ['POST', '/v1/api-keys', { name: 'unused' }],
    ['POST', '/v1/payments', { id: 'pay_unused', qr: 'x', amount: '1.00' }],
    [
      'POST',
      '/v1/merchant-applications',
      { name: 'x', region: '440305', login: 'unused', password: 'unused-pass' },
    ],
    ['POST', '/v1/merchant-applications/app_x/decision', { decision: 'approve' }],
    ['POST', '/v1/agents', { id: 'agt_unused', member: carol, level: 'district', region: '440305' }],
  ];

  test('an unknown field is 400 on every route that takes a body; nothing changed', async () => {
    const withBody = routes.filter((route) => !route.startsWith('get') && !bodiless.includes(route));
    assert.deepEqual(bodies().map(([method, url]) => `${method} ${url}`).length, withBody.length);
    await api.unchanged([alice, bob, carol], async () => {
      for (const [method, url, body] of bodies()) {
        const answer = await api.call(method as 'POST' | 'PUT', url, {
          as: api.admin,
          body: { ...body, unexpected: 1 },
        });
        assertProblem(answer, 400, 'invalid_request', /unknown field "\w+"/);
      }
    });
  });

  test('the 400 for an unknown field names the field', {}, async () => {
    const answer = await api.post(
      '/v1/orders',
      { id: 'ord_unused', member: bob, merchant: tea, amount: '1.00', coupon: 'x' },
      api.shop,
    );
    assert.match(answer.json.message, /coupon/);
  });

  test('a body over 1 MiB is 413, malformed JSON 400, an unknown route a JSON 404; nothing changed', async () => {
    await api.unchanged([bob], async () => {
      const padding = 'x'.repeat(1024 * 1024);
      const large = await api.call('POST', '/v1/orders/bulk', {
        as: api.shop,
        raw: JSON.stringify({
          orders: [{ id: 'ord_big', member: bob, merchant: tea, amount: '1.00' }],
          padding,
        }),
      });
      assert.equal(large.status, 413);
      assert.match(large.json.message, /too large/);
      const malformed = await api.call('POST', '/v1/orders', { as: api.shop, raw: '{"id": "ord_x",' });
      assert.equal(malformed.status, 400);
      assert.match(malformed.json.message, /not valid JSON/);
      assertProblem(await api.get('/v1/nothing-here', api.admin), 404, 'not_found', /GET \/v1\/nothing-here/);
    });
  });
});

describe('sessions', () => {
  test('a session ends after 12 hours; the shop key does not', async () => {
    api.clock.advance(12 * hourMs);
    assertProblem(await api.get('/v1/me', asCarol), 401, 'unauthenticated', /expired/);
    assertProblem(await api.get('/v1/withdrawals', api.finance), 401, 'unauthenticated');
    assert.equal((await api.get('/v1/me', api.shop)).status, 200);
  });
});
