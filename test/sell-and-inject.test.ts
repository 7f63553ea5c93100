// SPEC.md "Selling q points" and "Injection of amount A".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigInput } from '../src/domain/config.ts';
import { printedPrice } from '../src/domain/report.ts';
import {
  acceptedEvents,
  given,
  givenAccepted,
  inject,
  member,
  members,
  order,
  rejectionOf,
  sell,
  snapshot,
  when,
} from './support/given.ts';

/** u1 holds 112 points backed by a pool of 160.00 (and u2 holds nothing yet). */
function givenOneHolder(config: ConfigInput = {}) {
  const state = given({ members: members('u1', 'u2'), merchants: [{ id: 'm1' }] }, config);
  givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'));
  return state;
}

describe('selling points', () => {
  test('the seller gets the gross value less the fee; the fee stays in the pool and the price rises', () => {
    const state = givenOneHolder();
    const [poolBefore, supplyBefore] = [state.pool, state.supply];

    acceptedEvents(when(state, sell('s1', 'u1', '12')));

    // gross floor(12/112 × 160.00) = 17.14, payout floor(17.14 × 0.8) = 13.71, fee 3.43 stays
    const seller = member(state, 'u1');
    assert.equal(seller.wallet, 1_371n);
    assert.equal(seller.points, 100_000_000n);
    assert.equal(seller.cycleRealised, 1_714n);
    assert.equal(state.pool, 16_000n - 1_371n);
    assert.equal(state.supply, 100_000_000n);
    assert.ok(state.pool * supplyBefore > poolBefore * state.supply, 'the price rose');
    assert.equal(printedPrice(state), '1.462900');
  });

  test('with sellFee 1 the seller gets nothing and the whole value stays in the pool', () => {
    const state = givenOneHolder({ sellFee: '1' });

    acceptedEvents(when(state, sell('s1', 'u1', '12')));

    assert.equal(member(state, 'u1').wallet, 0n);
    assert.equal(state.pool, 16_000n);
    assert.equal(member(state, 'u1').cycleRealised, 1_714n);
  });

  test('selling down to exactly zero supply is allowed', () => {
    const state = givenOneHolder();

    acceptedEvents(when(state, sell('s1', 'u1', '112')));

    assert.equal(state.supply, 0n);
    assert.equal(state.pool, 3_200n);
    assert.equal(member(state, 'u1').wallet, 12_800n);
  });

  test('leaving exactly minSupply is allowed', () => {
    const state = givenOneHolder();

    acceptedEvents(when(state, sell('s1', 'u1', '111')));

    assert.equal(state.supply, 1_000_000n);
  });

  describe('rejections change nothing and say why', () => {
    const cases: {
      name: string;
      config?: ConfigInput;
      event: unknown;
      code: string;
      says: RegExp;
    }[] = [
      { name: 'zero points', event: sell('s1', 'u1', '0'), code: 'invalid_points', says: /above zero/ },
      { name: 'negative points', event: sell('s1', 'u1', '-1'), code: 'invalid_points', says: /above zero/ },
      {
        name: 'more points than held',
        event: sell('s1', 'u1', '112.000001'),
        code: 'insufficient_points',
        says: /u1 holds 112\.000000 points, fewer than 112\.000001/,
      },
      {
        name: 'a member who holds nothing',
        event: sell('s1', 'u2', '1'),
        code: 'insufficient_points',
        says: /u2 holds 0\.000000 points/,
      },
      {
        name: 'lifetime consumption below minConsumptionToSell',
        config: { minConsumptionToSell: '1000.01' },
        event: sell('s1', 'u1', '1'),
        code: 'consumption_below_minimum',
        says: /at least 1000\.01; u1 has 1000\.00/,
      },
      {
        name: 'a supply left above zero but below minSupply',
        event: sell('s1', 'u1', '111.5'),
        code: 'supply_below_minimum',
        says: /supply of 0\.500000, below the minimum 1\.000000/,
      },
      {
        name: 'an unknown seller',
        event: sell('s1', 'ghost', '1'),
        code: 'unknown_member',
        says: /ghost is not a member/,
      },
    ];
    for (const { name, config, event, code, says } of cases) {
      test(name, () => {
        const state = givenOneHolder(config);
        const before = snapshot(state);

        const rejection = rejectionOf(when(state, event));

        assert.equal(rejection.code, code);
        assert.match(rejection.message, says);
        assert.deepEqual(snapshot(state), before);
      });
    }
  });

  test('lifetime consumption equal to minConsumptionToSell is enough', () => {
    const state = givenOneHolder({ minConsumptionToSell: '1000.00' });

    acceptedEvents(when(state, sell('s1', 'u1', '1')));
  });

  test('minSupply "0" allows any sale', () => {
    const state = givenOneHolder({ minSupply: '0' });

    acceptedEvents(when(state, sell('s1', 'u1', '111.999999')));

    assert.equal(state.supply, 1n);
  });
});

describe('injection', () => {
  test('an injection adds to the pool and to injected; the supply stays and the price rises', () => {
    const state = givenOneHolder();

    acceptedEvents(when(state, inject('i1', '100.00')));

    assert.equal(state.pool, 26_000n);
    assert.equal(state.injected, 10_000n);
    assert.equal(state.supply, 112_000_000n);
    assert.equal(printedPrice(state), '2.321428');
  });

  test('an injection of zero or less is rejected', () => {
    const state = givenOneHolder();
    const before = snapshot(state);

    for (const amount of ['0.00', '-5.00']) {
      assert.equal(rejectionOf(when(state, inject(`i${amount}`, amount))).code, 'invalid_amount');
    }
    assert.deepEqual(snapshot(state), before);
  });
});
