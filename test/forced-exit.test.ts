// SPEC.md "Forced exit (出局)": the cap, the cascade, the order of exits, re-entry (复投).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { printedPrice } from '../src/domain/report.ts';
import {
  acceptedEvents,
  forcedOut,
  given,
  givenAccepted,
  inject,
  member,
  members,
  order,
  sell,
  snapshot,
  when,
} from './support/given.ts';

const shop = { id: 'm1' };

describe('forced exit at the cap', () => {
  test('a cycle is forced out when its value reaches exactly capMultiple × consumption, not a cent before', () => {
    // u1 consumed 1000.00 and holds all 112 points: the cap 1200.00 is reached when the pool is 1200.00
    const state = given({ members: members('u1'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'));

    assert.deepEqual(forcedOut(when(state, inject('i1', '1039.99'))), []);
    assert.equal(member(state, 'u1').cycleOpen, true);

    assert.deepEqual(forcedOut(when(state, inject('i2', '0.01'))), ['u1']);

    // all 112 points sold: gross 1200.00, payout 960.00, the fee 240.00 stays in the pool
    const exited = member(state, 'u1');
    assert.deepEqual(
      [
        exited.points,
        exited.wallet,
        exited.cycleOpen,
        exited.cycleConsumption,
        exited.cycleRealised,
        exited.exits,
      ],
      [0n, 96_000n, false, 0n, 0n, 1],
    );
    assert.equal(exited.consumption, 100_000n);
    assert.deepEqual([state.pool, state.supply, state.forcedExits], [24_000n, 0n, 1]);
    assert.equal(printedPrice(state), '10.714285');
  });

  test('realised value from earlier sales counts toward the cap', () => {
    const state = given({ members: members('u1'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'));
    // half the points: gross 80.00 realised, payout 64.00; the pool keeps 96.00 for 56 points
    givenAccepted(state, sell('s1', 'u1', '56'));
    assert.deepEqual([member(state, 'u1').cycleRealised, state.pool], [8_000n, 9_600n]);

    // due when 80.00 + (56/56) × P ≥ 1200.00, i.e. at a pool of 1120.00
    assert.deepEqual(forcedOut(when(state, inject('i1', '1023.99'))), []);
    assert.deepEqual(forcedOut(when(state, inject('i2', '0.01'))), ['u1']);
  });

  test('the exit sells without the sale checks: minimum consumption and minimum supply do not apply', () => {
    const state = given(
      { members: members('u1', 'u2'), merchants: [shop] },
      { minConsumptionToSell: '99999.00', minSupply: '1000' },
    );
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'), order('o2', 'u2', 'm1', '1000.00'));

    // 112 of 190.4 points reach 1200.00 at a pool of 2040.00
    assert.deepEqual(forcedOut(when(state, inject('i1', '1720.00'))), ['u1']);

    assert.equal(state.supply, 78_400_000n);
    assert.equal(member(state, 'u1').wallet, 96_000n);
  });

  test('a cycle whose points were all sold voluntarily stays open, and the next order adds to it', () => {
    const state = given({ members: members('u1'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'));

    assert.deepEqual(forcedOut(when(state, sell('s1', 'u1', '112'))), []);
    const seller = member(state, 'u1');
    assert.deepEqual(
      [seller.cycleOpen, seller.cycleConsumption, seller.cycleRealised, seller.exits],
      [true, 100_000n, 16_000n, 0],
    );

    givenAccepted(state, order('o2', 'u1', 'm1', '100.00'));
    assert.equal(member(state, 'u1').cycleConsumption, 110_000n);
    assert.equal(member(state, 'u1').exits, 0);
  });

  test('an open cycle holding nothing is forced out when its realised value already reaches the cap', () => {
    // capMultiple 0: an order that mints no points opens a cycle that is at its cap at once
    const state = given({ members: members('u1'), merchants: [shop] }, { capMultiple: '0' });

    assert.deepEqual(forcedOut(when(state, order('o1', 'u1', 'm1', '0.01'))), ['u1']);

    assert.deepEqual(
      [member(state, 'u1').exits, member(state, 'u1').cycleOpen, state.forcedExits],
      [1, false, 1],
    );
  });

  test('an open cycle holding nothing and below the cap is not forced out', () => {
    const state = given({ members: members('u1'), merchants: [shop] });

    assert.deepEqual(forcedOut(when(state, order('o1', 'u1', 'm1', '0.01'))), []);

    assert.equal(member(state, 'u1').cycleOpen, true);
  });
});

describe('the order of exits', () => {
  test('one exit raises the price and forces the next (cascade), in one command', () => {
    // sellFee 0.5: u1's exit leaves half its gross in the pool, which lifts u2 over its cap
    const state = given({ members: members('u1', 'u2'), merchants: [shop] }, { sellFee: '0.5' });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'), order('o2', 'u2', 'm1', '1000.00'));

    const outcome = when(state, inject('i1', '1720.00'));

    assert.deepEqual(
      acceptedEvents(outcome).map((event) => event.type),
      ['PoolInjected', 'MemberForcedOut', 'MemberForcedOut'],
    );
    assert.deepEqual(forcedOut(outcome), ['u1', 'u2']);
    // u1: gross 1200.00 → 600.00; then u2 holds the whole pool of 1440.00 → 720.00
    assert.deepEqual([member(state, 'u1').wallet, member(state, 'u2').wallet], [60_000n, 72_000n]);
    assert.deepEqual([state.pool, state.supply, state.forcedExits], [72_000n, 0n, 2]);
  });

  test('the same injection without the cascade: at the default fee u2 stays below its cap', () => {
    const state = given({ members: members('u1', 'u2'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'), order('o2', 'u2', 'm1', '1000.00'));

    assert.deepEqual(forcedOut(when(state, inject('i1', '1720.00'))), ['u1']);

    assert.equal(state.pool, 108_000n);
    assert.equal(member(state, 'u2').cycleOpen, true);
  });

  test('the lowest trigger price goes first, even when its cycle opened later', () => {
    // u2 buys at a 100% commission shop: five times the points per yuan, so a far lower trigger price
    const state = given({
      members: members('u1', 'u2'),
      merchants: [shop, { id: 'dear', commissionRate: '1' }],
    });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'), order('o2', 'u2', 'dear', '1000.00'));

    assert.deepEqual(forcedOut(when(state, inject('i1', '5040.00'))), ['u2', 'u1']);

    // u2: 392 of 504 points at 6000.00 → gross 4666.66, payout 3733.32
    assert.equal(member(state, 'u2').wallet, 373_332n);
  });

  test('equal trigger prices: the cycle opened by the earlier event exits first', () => {
    // mintRatio 1 keeps the price at initialPrice, so equal orders make equal trigger prices.
    // amy is listed first and sorts first; zed opened the earlier cycle.
    const state = given({ members: members('amy', 'zed'), merchants: [shop] }, { mintRatio: '1' });
    givenAccepted(state, order('o1', 'zed', 'm1', '1000.00'), order('o2', 'amy', 'm1', '1000.00'));
    assert.equal(member(state, 'zed').points, member(state, 'amy').points);

    assert.deepEqual(forcedOut(when(state, inject('i1', '2080.00'))), ['zed', 'amy']);

    // zed: 160 of 320 points at 2400.00 → 960.00; amy then holds the whole 1440.00 → 1152.00
    assert.deepEqual([member(state, 'zed').wallet, member(state, 'amy').wallet], [96_000n, 115_200n]);
  });
  test('every due cycle exits, also after a sold-out cycle left the ranking of the others', () => {
    // mintRatio 1 and no fee keep the price at 1.00 while buying and exiting; 1000.00 bought at a 100%
    // commission shop exits at a price of 1.50, at a 90% shop at 1.666666.
    const state = given(
      {
        members: members('fair1', 'dear1', 'dear2', 'seller', 'fair2', 'fair3', 'dear3'),
        merchants: [
          { id: 'dear', commissionRate: '1' },
          { id: 'fair', commissionRate: '0.9' },
        ],
      },
      { mintRatio: '1', sellFee: '0', minSupply: '0', bindOnFirstOrder: false },
    );
    givenAccepted(
      state,
      order('o1', 'fair1', 'fair', '1000.00'),
      order('o2', 'dear1', 'dear', '1000.00'),
      order('o3', 'dear2', 'dear', '1000.00'),
      order('o4', 'seller', 'fair', '1000.00'),
      order('o5', 'fair2', 'fair', '1000.00'),
      order('o6', 'fair3', 'fair', '1000.00'),
      order('o7', 'dear3', 'dear', '1000.00'),
      sell('s1', 'seller', '720'),
    );

    // 4560 points backed by 4560.00 + 2280.00: a price of exactly 1.50
    assert.deepEqual(forcedOut(when(state, inject('i1', '2280.00'))), ['dear1', 'dear2', 'dear3']);

    assert.equal(printedPrice(state), '1.500000');
    assert.deepEqual(
      ['fair1', 'fair2', 'fair3', 'seller'].map((id) => member(state, id).cycleOpen),
      [true, true, true, true],
    );
  });
});

describe('re-entry (复投)', () => {
  test('the next order after an exit opens a new cycle measured from its own consumption', () => {
    const state = given({ members: members('u1', 'u2'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'), order('o2', 'u2', 'm1', '1000.00'));
    assert.deepEqual(forcedOut(when(state, inject('i1', '1720.00'))), ['u1']);
    const beforeReentry = snapshot(state);

    assert.deepEqual(forcedOut(when(state, order('o3', 'u1', 'm1', '100.00'))), []);

    const back = member(state, 'u1');
    assert.deepEqual(
      [back.cycleOpen, back.cycleConsumption, back.cycleRealised, back.consumption, back.exits],
      [true, 10_000n, 0n, 110_000n, 1],
    );
    // 11.20 of value at 1080.00 / 78.4 points
    assert.equal(back.points, 813_037n);
    assert.notDeepEqual(snapshot(state), beforeReentry);
  });

  test('a new cycle is forced out again on its own cap, counting a second exit', () => {
    const state = given({ members: members('u1'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'), inject('i1', '1040.00'));
    assert.equal(member(state, 'u1').exits, 1);

    // the pool left behind (240.00) goes to the only new holder: worth far more than 1.2 × 100.00
    assert.deepEqual(forcedOut(when(state, order('o2', 'u1', 'm1', '100.00'))), ['u1']);

    assert.deepEqual([member(state, 'u1').exits, state.forcedExits, state.supply], [2, 2, 0n]);
  });
});
