// Simultaneous requests over a real socket, on SQLite and on PostgreSQL: requests that each spend a
// whole wallet (or all of a member's points) race, and exactly one wins; no cash is spent twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaults, share, yuan } from './support/expected-figures.ts';
import {
  type Answer,
  ApiHarness,
  assertProblem,
  type Caller,
  dayMs,
  fetchJson,
  minuteMs,
  nobody,
  passwordOf,
} from './support/http.ts';
import { postgresTestStore, sqliteTestStore, type TestStore } from './support/stores.ts';

const racers = 8;

/** Counts answers by status (and code for errors): { "200": 1, "422 insufficient_wallet": 7 }. */
function tally(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = answer.status === 200 ? '200' : `${answer.status} ${answer.json?.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const stores: [string, () => Promise<TestStore>][] = [
  ['SQLite', sqliteTestStore],
  ['PostgreSQL', postgresTestStore],
];

for (const [name, openStore] of stores) {
  describe(`${racers} simultaneous requests on ${name}`, () => {
    let api: ApiHarness;
    let base = '';
    let asWendy: Caller = nobody;
    let asBen: Caller = nobody;
    const wendy = 'mem_wendy';
    const ben = 'mem_ben';
    // The direct reward on ¥33,333.34 is floor(3,333,334 × 0.003) = 10,000 cents: exactly ¥100.00.
    const orderCents = 3_333_334n;

    before(async () => {
      api = await ApiHarness.open(await openStore());
      base = await api.listen();
      await api.setup([
        { type: 'registerMember', member: wendy, referrer: null },
        { type: 'registerMember', member: ben, referrer: wendy },
        {
          type: 'registerMerchant',
          merchant: 'mch_mall',
          owner: null,
          recruiter: null,
          region: null,
          commissionRate: null,
        },
      ]);
      const order = { id: 'ord_race_1', member: ben, merchant: 'mch_mall', amount: yuan(orderCents) };
      const paid = await fetchJson(base, 'POST', '/v1/orders', { as: api.shop, body: order });
      assert.equal(paid.status, 200, paid.text);
      assert.equal(await api.advanceAndSettle(7 * dayMs + minuteMs), 1);
      await api.signInStaff();
      [asWendy, asBen] = await Promise.all([api.memberCaller(wendy), api.memberCaller(ben)]);
    });

    after(() => api.close());

    test('withdrawals of the whole ¥100.00 wallet under different ids: exactly one is accepted', async () => {
      assert.equal(share(orderCents, defaults.direct), 10_000n);
      const before = (await fetchJson(base, 'GET', `/v1/members/${wendy}`, { as: asWendy })).json;
      assert.equal(before.wallet, '100.00');
      const answers = await Promise.all(
        Array.from({ length: racers }, (_, index) =>
          fetchJson(base, 'POST', `/v1/members/${wendy}/withdrawals`, {
            as: asWendy,
            body: { id: `wdr_race_${index}`, amount: '100.00' },
          }),
        ),
      );
      assert.deepEqual(tally(answers), { '200': 1, '422 insufficient_wallet': racers - 1 });
      for (const answer of answers.filter((item) => item.status !== 200)) {
        assertProblem(answer, 422, 'insufficient_wallet', /wallet holds 0\.00, less than 100\.00/);
      }
      const winner = answers.find((answer) => answer.status === 200)?.json.withdrawal.id;
      const after = (await fetchJson(base, 'GET', `/v1/members/${wendy}`, { as: asWendy })).json;
      assert.equal(after.wallet, '0.00');
      assert.equal(after.frozen, '100.00');
      const queue = await fetchJson(base, 'GET', '/v1/withdrawals', { as: api.finance });
      assert.equal(queue.json.total, 1);
      assert.equal(queue.json.items[0].id, winner);
    });

    test('the same review sent simultaneously is applied once; different "paid" reviews pay once', async () => {
      const queue = await fetchJson(base, 'GET', '/v1/withdrawals', { as: api.finance });
      const withdrawal = queue.json.items[0].id as string;
      const review = (id: string, decision: string) =>
        fetchJson(base, 'POST', `/v1/withdrawals/${withdrawal}/review`, {
          as: api.finance,
          body: { id, decision, note: 'batch 7' },
        });
      const approvals = await Promise.all(
        Array.from({ length: racers }, () => review('rev_race_approve', 'approve')),
      );
      assert.deepEqual(tally(approvals), { '200': racers });
      assert.deepEqual(approvals.map((answer) => answer.json.outcome).sort(), [
        'accepted',
        ...Array(racers - 1).fill('duplicate'),
      ]);
      const payouts = await Promise.all(
        Array.from({ length: racers }, (_, index) => review(`rev_race_paid_${index}`, 'paid')),
      );
      assert.deepEqual(tally(payouts), { '200': 1, '422 withdrawal_state': racers - 1 });
      const after = (await fetchJson(base, 'GET', `/v1/members/${wendy}`, { as: asWendy })).json;
      assert.equal(after.wallet, '0.00');
      assert.equal(after.frozen, '0.00');
    });

    test('sales of all of a member’s points under different ids: exactly one is accepted', async () => {
      const points = (await fetchJson(base, 'GET', `/v1/members/${ben}`, { as: asBen })).json
        .points as string;
      assert.notEqual(points, '0.000000');
      const answers = await Promise.all(
        Array.from({ length: racers }, (_, index) =>
          fetchJson(base, 'POST', `/v1/members/${ben}/sell`, {
            as: asBen,
            body: { id: `sel_race_${index}`, points },
          }),
        ),
      );
      assert.deepEqual(tally(answers), { '200': 1, '422 insufficient_points': racers - 1 });
      const after = (await fetchJson(base, 'GET', `/v1/members/${ben}`, { as: asBen })).json;
      assert.equal(after.points, '0.000000');
      const winner = answers.find((answer) => answer.status === 200)?.json;
      assert.equal(after.wallet, winner.payout);
    });

    test('sign-ups racing for one login: exactly one gets it', {}, async () => {
      const membersBefore = (await fetchJson(base, 'GET', '/v1/market')).json.members as number;
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          fetchJson(base, 'POST', '/v1/members', { body: { login: 'sam', password: passwordOf('sam') } }),
        ),
      );
      assert.deepEqual(tally(answers), { '200': 1, '409 login_taken': 3 });
      assert.equal((await fetchJson(base, 'GET', '/v1/market')).json.members, membersBefore + 1);
    });
  });
}
