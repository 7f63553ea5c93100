// docs/rules.md "Shareholder dividends" (股东加权分红), one rule per test, given/when/then.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, formatConfig, parseConfig } from '../src/domain/config.ts';
import { execute } from '../src/domain/engine.ts';
import { reportState } from '../src/domain/report.ts';
import { snapshotOf, stateFromSnapshot } from '../src/domain/snapshot.ts';
import { decodeEvent, encodeEvent } from '../src/store/codec.ts';
import { decodeSnapshot, encodeSnapshot } from '../src/store/snapshot-codec.ts';
import { acceptedEvents, given, member, members, rejectionOf } from './support/given.ts';
import {
  assertCashConserved,
  dividendsOf,
  onlyEvent,
  run,
  setShareholder,
  settleDividends,
} from './support/legacy-dividends.ts';
import { defaultHoldMs, orderNow, paidAt, pay, requestWithdrawal, settle } from './support/lifecycle.ts';

/** 1000.00: commission 200.00, 160.00 into the pool; with nobody to reward the platform keeps 40.00. */
const thousand = 100_000n;

/** Buyers without referrers at a shop without owner or recruiter: the platform keeps commission − inflow. */
const plainSetup = { members: members('buyer', 'sh1', 'sh2', 'sh3'), merchants: [{ id: 'm1' }] };

describe('the dividend pool: a share of what the platform keeps on each settled order', () => {
  test('off by default: no dividend part, the platform keeps all of step 8', () => {
    const state = given(plainSetup);

    const settled = onlyEvent(state, orderNow('o1', 'buyer', 'm1', thousand));

    assert.equal(settled.type === 'OrderSettled' && settled.dividend, undefined);
    assert.equal(state.dividends.pool, 0n);
    assert.equal(state.platform, 4_000n);
  });

  test('with dividends.share 0.25, floor(kept × 0.25) goes to the dividend pool, the rest to the platform', () => {
    const state = given(plainSetup, { dividends: { share: '0.25' } });

    const settled = onlyEvent(state, orderNow('o1', 'buyer', 'm1', 100_099n));

    // commission floor(1000.99 × 0.2) = 200.19, inflow 160.15, kept 40.04, dividend floor(10.01) = 10.01
    assert.equal(settled.type === 'OrderSettled' && settled.dividend, 1_001n);
    assert.equal(state.dividends.pool, 1_001n);
    assert.equal(state.platform, 4_004n - 1_001n);
    assertCashConserved(state);
  });

  test('the kept amount is after the rewards paid (SPEC.md step 8)', () => {
    const state = given(
      {
        members: [{ id: 'grand' }, { id: 'parent', referrer: 'grand' }, { id: 'u1', referrer: 'parent' }],
        merchants: [{ id: 'm1', recruiter: 'grand' }],
      },
      { dividends: { share: '0.5' } },
    );

    run(state, orderNow('o1', 'u1', 'm1', thousand));

    // rewards 3.00 + 2.00 + 5.00: kept 40.00 − 10.00 = 30.00, half of it to the dividend pool
    assert.equal(state.dividends.pool, 1_500n);
    assert.equal(state.platform, 1_500n);
    assertCashConserved(state);
  });

  test('a paid order adds its dividend part when it settles, not when it is paid', () => {
    const state = given(plainSetup, { dividends: { share: '0.5' } });
    run(state, pay('p1', 'buyer', 'm1', thousand));
    assert.equal(state.dividends.pool, 0n);

    const settled = onlyEvent(state, settle('p1', paidAt + defaultHoldMs));

    assert.equal(settled.type === 'PaidOrderSettled' && settled.dividend, 2_000n);
    assert.equal(state.dividends.pool, 2_000n);
    assertCashConserved(state);
  });

  test('SPEC.md output is unchanged but for the platform figure', () => {
    const off = given(plainSetup);
    const on = given(plainSetup, { dividends: { share: '0.5' } });
    run(off, orderNow('o1', 'buyer', 'm1', thousand));
    run(on, orderNow('o1', 'buyer', 'm1', thousand));

    assert.deepEqual({ ...reportState(on), platform: '' }, { ...reportState(off), platform: '' });
    assert.equal(reportState(on).platform, '20.00');
  });
});

describe('settleDividends: the pool paid by weight, leftovers carried', () => {
  test('each shareholder gets floor(pool × weight / Σ weights); what the floors leave stays for the next day', () => {
    const state = given(plainSetup, { dividends: { share: '0.25' } });
    run(state, setShareholder('s1', 'sh1', 1n), setShareholder('s2', 'sh2', 2n));
    run(state, orderNow('o1', 'buyer', 'm1', thousand)); // 10.00 to the dividend pool

    const settled = onlyEvent(state, settleDividends('d1', '2025-01-01'));

    assert.deepEqual(settled.type === 'DividendsSettled' && [settled.pool, settled.payments], [
      1_000n,
      [
        { member: 'sh1', amount: 333n },
        { member: 'sh2', amount: 666n },
      ],
    ]);
    assert.equal(state.dividends.pool, 1n);
    assert.deepEqual([member(state, 'sh1').wallet, member(state, 'sh2').wallet], [333n, 666n]);
    assert.deepEqual([dividendsOf(state, 'sh1'), dividendsOf(state, 'sh2')], [333n, 666n]);
    assert.equal(member(state, 'sh1').rewards, 0n, 'dividends are not referral rewards');
    assertCashConserved(state);

    run(state, orderNow('o2', 'buyer', 'm1', thousand));
    const next = onlyEvent(state, settleDividends('d2', '2025-01-02'));
    // 0.01 carried + 10.00 = 10.01: 3.33 and 6.67, and 0.01 carries again
    assert.deepEqual(next.type === 'DividendsSettled' && next.payments.map((payment) => payment.amount), [
      333n,
      667n,
    ]);
    assert.equal(state.dividends.pool, 1n);
  });

  test('a day with no shareholders pays nothing: the whole pool carries, and the day counts as settled', () => {
    const state = given(plainSetup, { dividends: { share: '0.25' } });
    run(state, orderNow('o1', 'buyer', 'm1', thousand));

    const settled = onlyEvent(state, settleDividends('d1', '2025-01-01'));

    assert.deepEqual(settled.type === 'DividendsSettled' && [settled.pool, settled.payments], [1_000n, []]);
    assert.equal(state.dividends.pool, 1_000n);
    assert.equal(rejectionOf(execute(state, settleDividends('d1b', '2025-01-01'))).code, 'day_settled');

    run(state, setShareholder('s1', 'sh3', 5n));
    const next = onlyEvent(state, settleDividends('d2', '2025-01-02'));
    assert.deepEqual(next.type === 'DividendsSettled' && next.payments, [{ member: 'sh3', amount: 1_000n }]);
    assert.equal(state.dividends.pool, 0n);
    assertCashConserved(state);
  });

  test('an empty pool settles with no payments', () => {
    const state = given(plainSetup);
    run(state, setShareholder('s1', 'sh1', 1n));

    const settled = onlyEvent(state, settleDividends('d1', '2025-01-01'));

    assert.deepEqual(settled.type === 'DividendsSettled' && settled.payments, []);
  });

  test('a day already settled, or before the last one settled, is refused; the same id again is a duplicate', () => {
    const state = given(plainSetup);
    run(state, settleDividends('d5', '2025-01-05'));

    assert.deepEqual(rejectionOf(execute(state, settleDividends('again', '2025-01-05'))), {
      code: 'day_settled',
      message: 'dividends are settled up to 2025-01-05: 2025-01-05 cannot be settled again',
    });
    assert.equal(rejectionOf(execute(state, settleDividends('late', '2025-01-04'))).code, 'day_settled');
    assert.equal(execute(state, settleDividends('d5', '2025-01-05')).kind, 'duplicate');
    assert.equal(rejectionOf(execute(state, settleDividends('d5', '2025-01-06'))).code, 'id_reused');
    assert.equal(
      execute(state, settleDividends('d7', '2025-01-07')).kind,
      'accepted',
      'a skipped day is fine',
    );
  });

  test('a day that is not a YYYY-MM-DD date is malformed', () => {
    const state = given(plainSetup);
    for (const day of ['2025-02-30', '20250101', '2025-1-01', '', '1969-12-31']) {
      assert.equal(rejectionOf(execute(state, settleDividends(`d_${day}`, day))).code, 'malformed', day);
    }
  });

  test('dividends are cash in the wallet: they can be withdrawn', () => {
    const state = given(plainSetup, { dividends: { share: '1' } });
    run(state, setShareholder('s1', 'sh1', 1n), orderNow('o1', 'buyer', 'm1', thousand));
    run(state, settleDividends('d1', '2025-01-01'));

    const requested = onlyEvent(state, requestWithdrawal('w1', 'sh1', 4_000n));

    assert.equal(requested.type, 'WithdrawalRequested');
    assert.equal(member(state, 'sh1').wallet, 0n);
    assertCashConserved(state);
  });
});

describe('setShareholder: weights are admin data', () => {
  test('weight 0 removes a shareholder; setting again replaces the weight', () => {
    const state = given(plainSetup, { dividends: { share: '1' } });
    run(state, setShareholder('s1', 'sh1', 3n), setShareholder('s2', 'sh2', 1n));
    run(state, setShareholder('s3', 'sh1', 1n), setShareholder('s4', 'sh2', 0n));

    assert.deepEqual([...state.dividends.weights.values()], [1n]);
    assert.equal(state.dividends.totalWeight, 1n);
    run(state, orderNow('o1', 'buyer', 'm1', thousand), settleDividends('d1', '2025-01-01'));
    assert.equal(dividendsOf(state, 'sh1'), 4_000n);
    assert.equal(dividendsOf(state, 'sh2'), 0n);
  });

  test('an unknown member, a negative weight or one past the maximum is refused', () => {
    const state = given(plainSetup);
    assert.equal(rejectionOf(execute(state, setShareholder('s1', 'ghost', 1n))).code, 'unknown_member');
    assert.equal(rejectionOf(execute(state, setShareholder('s2', 'sh1', -1n))).code, 'invalid_weight');
    assert.equal(
      rejectionOf(execute(state, setShareholder('s3', 'sh1', 1_000_000_001n))).code,
      'invalid_weight',
    );
    assert.equal(state.dividends.weights.size, 0);
  });

  test('the same id and weight is a duplicate; another weight is id_reused', () => {
    const state = given(plainSetup);
    run(state, setShareholder('s1', 'sh1', 2n));
    assert.equal(execute(state, setShareholder('s1', 'sh1', 2n)).kind, 'duplicate');
    assert.equal(rejectionOf(execute(state, setShareholder('s1', 'sh1', 3n))).code, 'id_reused');
  });
});

describe('configuration, stored events and snapshots', () => {
  test('dividends.share is a rate from 0 to 1; the key is printed only when set', () => {
    assert.throws(() => parseConfig({ dividends: { share: '1.5' } }), ConfigError);
    assert.throws(() => parseConfig({ dividends: { share: 0.5 } }), /config\.dividends\.share/);
    assert.throws(() => parseConfig({ dividends: { rate: '0.5' } }), /config\.dividends\.rate: unknown key/);
    assert.equal(formatConfig(parseConfig({})).dividends, undefined);
    assert.deepEqual(formatConfig(parseConfig({ dividends: { share: '0.3' } })).dividends, {
      share: '0.300000',
    });
  });

  test('every dividend event survives encode → decode → encode, and a snapshot restores the book', () => {
    const state = given(plainSetup, { dividends: { share: '0.25' } });
    const events = [
      ...acceptedEvents(execute(state, setShareholder('s1', 'sh1', 1n))),
      ...acceptedEvents(execute(state, setShareholder('s2', 'sh2', 2n))),
      ...acceptedEvents(execute(state, orderNow('o1', 'buyer', 'm1', thousand))),
      ...acceptedEvents(execute(state, settleDividends('d1', '2025-01-01'))),
    ];
    for (const event of events) {
      const text = encodeEvent(event);
      assert.deepEqual(decodeEvent(text), event);
      assert.equal(encodeEvent(decodeEvent(text)), text);
    }
    const restored = stateFromSnapshot(decodeSnapshot(encodeSnapshot(snapshotOf(state))));
    assert.deepEqual(snapshotOf(restored), snapshotOf(state));
    run(restored, orderNow('o2', 'buyer', 'm1', thousand), settleDividends('d2', '2025-01-02'));
    run(state, orderNow('o2', 'buyer', 'm1', thousand), settleDividends('d2', '2025-01-02'));
    assert.deepEqual(snapshotOf(restored), snapshotOf(state));
    assert.equal(rejectionOf(execute(restored, settleDividends('d3', '2025-01-02'))).code, 'day_settled');
  });

  test('a state that never used dividends snapshots without a dividends part', () => {
    const state = given(plainSetup);
    run(state, orderNow('o1', 'buyer', 'm1', thousand));
    assert.equal(snapshotOf(state).dividends, undefined);
  });
});
