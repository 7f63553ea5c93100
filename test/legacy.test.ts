// docs/rules.md "Legacy conversion" (老会员转化): consumption coins (消费币) and locked points with
// their release schedule (分批释放), one rule per test, given/when/then.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, formatConfig, parseConfig } from '../src/domain/config.ts';
import { applyEvents, execute } from '../src/domain/engine.ts';
import type { Event } from '../src/domain/messages.ts';
import { snapshotOf, stateFromSnapshot } from '../src/domain/snapshot.ts';
import type { State } from '../src/domain/state.ts';
import { decodeEvent, encodeEvent } from '../src/store/codec.ts';
import { decodeSnapshot, encodeSnapshot } from '../src/store/snapshot-codec.ts';
import { acceptedEvents, forcedOut, given, member, members, rejectionOf } from './support/given.ts';
import {
  assertCashConserved,
  grantCoins,
  legacyOf,
  onlyEvent,
  orderWithCoins,
  payWithCoins,
  releaseLocked,
  run,
} from './support/legacy-dividends.ts';
import {
  defaultHoldMs,
  injectCash,
  orderNow,
  paidAt,
  refund,
  requestWithdrawal,
  sellPoints,
  settle,
} from './support/lifecycle.ts';

/** 1000.00: commission 200.00, 160.00 into the pool, 112 points at the initial price of 1.00. */
const thousand = 100_000n;
const setup = { members: members('buyer', 'other'), merchants: [{ id: 'm1' }] };
const legacyOn = { legacy: { enabled: true, releaseDays: '3' } };

function givenLegacy(config: object = legacyOn): State {
  return given(setup, config);
}

describe('consumption coins: granted by an admin, only ever spent on orders', () => {
  test('off by default: a grant is refused and changes nothing', () => {
    const state = given(setup);

    const refused = rejectionOf(execute(state, grantCoins('g1', 'buyer', 50_000n)));

    assert.equal(refused.code, 'legacy_off');
    assert.equal(legacyOf(state, 'buyer').coins, 0n);
    assert.equal(snapshotOf(state).legacy, undefined);
  });

  test('a grant adds to the member coin balance; it is not cash and not in the wallet', () => {
    const state = givenLegacy();

    run(state, grantCoins('g1', 'buyer', 50_000n), grantCoins('g2', 'buyer', 1_000n));

    assert.equal(legacyOf(state, 'buyer').coins, 51_000n);
    assert.equal(member(state, 'buyer').wallet, 0n);
    assert.equal(state.received, 0n);
    assert.equal(state.legacy.granted, 51_000n);
    assertCashConserved(state);
  });

  test('a grant to an unknown member, of nothing, or without a reason is refused', () => {
    const state = givenLegacy();
    assert.equal(rejectionOf(execute(state, grantCoins('g1', 'ghost', 100n))).code, 'unknown_member');
    assert.equal(rejectionOf(execute(state, grantCoins('g2', 'buyer', 0n))).code, 'invalid_amount');
    assert.equal(rejectionOf(execute(state, grantCoins('g3', 'buyer', -5n))).code, 'invalid_amount');
    assert.equal(rejectionOf(execute(state, grantCoins('g4', 'buyer', 100n, '  '))).code, 'malformed');
    assert.equal(state.legacy.granted, 0n);
  });

  test('the same grant id and content is a duplicate; other coins is id_reused; the reason is not content', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', 100n));
    assert.equal(execute(state, grantCoins('g1', 'buyer', 100n, 'another reason')).kind, 'duplicate');
    assert.equal(rejectionOf(execute(state, grantCoins('g1', 'buyer', 200n))).code, 'id_reused');
    assert.equal(legacyOf(state, 'buyer').coins, 100n);
  });
});

describe('an order paid partly in coins and partly in cash', () => {
  test('consumption, commission and payable are of the whole amount; only the cash part is received; the platform funds the coin part', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', 50_000n));

    const settled = onlyEvent(state, orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n));

    assert.ok(settled.type === 'OrderSettled');
    assert.deepEqual([settled.commission, settled.inflow, settled.minted], [20_000n, 16_000n, 112_000_000n]);
    assert.equal(settled.locked, 44_800_000n, 'floor(112 points × 400 / 1000)');
    assert.equal(state.received, 60_000n, 'cash received: 1000.00 − 400.00');
    assert.equal(state.legacy.redeemed, 40_000n);
    assert.equal(legacyOf(state, 'buyer').coins, 10_000n);
    assert.equal(state.pool, 16_000n);
    assert.equal(state.platform, 4_000n - 40_000n, 'kept 40.00, less the 400.00 of coins it funds');
    assert.equal(member(state, 'buyer').consumption, thousand);
    assert.equal(member(state, 'buyer').cycleConsumption, thousand);
    assert.equal(member(state, 'buyer').points, 112_000_000n, 'locked points are the member points');
    assert.equal(legacyOf(state, 'buyer').lockedPoints, 44_800_000n);
    assert.equal(state.supply, 112_000_000n, 'and part of the supply');
    assertCashConserved(state);
  });

  test('the pool, the supply and the price are the same whether an order is paid in coins or cash', () => {
    const coins = givenLegacy();
    const cash = givenLegacy();
    run(coins, grantCoins('g1', 'buyer', thousand), orderWithCoins('o1', 'buyer', 'm1', thousand, thousand));
    run(cash, orderNow('o1', 'buyer', 'm1', thousand));

    assert.deepEqual([coins.pool, coins.supply], [cash.pool, cash.supply]);
    assert.equal(coins.received, 0n);
    assert.equal(coins.platform, 4_000n - thousand);
    assert.equal(legacyOf(coins, 'buyer').lockedPoints, 112_000_000n, 'all of it locked');
    assertCashConserved(coins);
  });

  test('coins above the balance, above the amount, or negative are refused and change nothing', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', 10_000n));
    const before = snapshotOf(state);

    assert.deepEqual(rejectionOf(execute(state, orderWithCoins('o1', 'buyer', 'm1', thousand, 10_001n))), {
      code: 'insufficient_coins',
      message: 'buyer has 100.00 in consumption coins, less than 100.01',
    });
    assert.equal(
      rejectionOf(execute(state, orderWithCoins('o2', 'buyer', 'm1', 5_000n, 6_000n))).code,
      'invalid_amount',
    );
    assert.equal(
      rejectionOf(execute(state, orderWithCoins('o3', 'buyer', 'm1', 5_000n, -1n))).code,
      'invalid_amount',
    );
    assert.equal(
      rejectionOf(execute(state, orderWithCoins('o4', 'other', 'm1', 5_000n, 1n))).code,
      'insufficient_coins',
    );
    assert.deepEqual(snapshotOf(state), before);
  });

  test('coins are content: the same order with other coins is id_reused; no coins and coins 0 are the same', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', 10_000n), orderNow('o1', 'buyer', 'm1', 5_000n));
    assert.equal(execute(state, orderWithCoins('o1', 'buyer', 'm1', 5_000n, 0n)).kind, 'duplicate');
    assert.equal(
      rejectionOf(execute(state, orderWithCoins('o1', 'buyer', 'm1', 5_000n, 1n))).code,
      'id_reused',
    );
  });

  test('coins granted while the program was on stay spendable when it is switched off', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', 10_000n), { type: 'configure', config: {} });

    assert.equal(rejectionOf(execute(state, grantCoins('g2', 'buyer', 1n))).code, 'legacy_off');
    run(state, orderWithCoins('o1', 'buyer', 'm1', 10_000n, 10_000n));
    assert.equal(legacyOf(state, 'buyer').coins, 0n);
    assert.equal(legacyOf(state, 'buyer').lockedPoints, member(state, 'buyer').points);
  });
});

describe('a paid order with coins', () => {
  test('the coins leave the balance when it is paid, return on a refund, and are redeemed when it settles', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', 50_000n), payWithCoins('p1', 'buyer', 'm1', thousand, 40_000n));
    assert.equal(legacyOf(state, 'buyer').coins, 10_000n);
    assert.equal(
      rejectionOf(execute(state, payWithCoins('p2', 'buyer', 'm1', thousand, 20_000n))).code,
      'insufficient_coins',
      'coins of a pending order cannot be spent twice',
    );

    run(state, refund('r1', 'p1'));
    assert.equal(legacyOf(state, 'buyer').coins, 50_000n);

    run(state, payWithCoins('p3', 'buyer', 'm1', thousand, 40_000n, paidAt + 1));
    const settled = onlyEvent(state, settle('p3', paidAt + 1 + defaultHoldMs));
    assert.equal(settled.type === 'PaidOrderSettled' && settled.locked, 44_800_000n);
    assert.deepEqual(
      [legacyOf(state, 'buyer').coins, state.legacy.redeemed, state.received],
      [10_000n, 40_000n, 60_000n],
    );
    assertCashConserved(state);
  });
});

describe('locked points: part of the holdings, never sold until released', () => {
  test('a sale of more than the free points is refused with points_locked; the free points sell', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', thousand), orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n));

    assert.deepEqual(rejectionOf(execute(state, sellPoints('s1', 'buyer', 67_200_001n))), {
      code: 'points_locked',
      message:
        'buyer holds 112.000000 points, of which 44.800000 are locked until released: at most 67.200000 can be sold',
    });
    const sold = onlyEvent(state, sellPoints('s2', 'buyer', 67_200_000n));
    assert.equal(sold.type, 'PointsSold');
    assert.equal(member(state, 'buyer').points, 44_800_000n);
    assert.equal(rejectionOf(execute(state, sellPoints('s3', 'buyer', 1n))).code, 'points_locked');
  });

  test('they are released in equal daily batches: floor(L × j / days) − floor(L × (j − 1) / days)', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', thousand), orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n));

    const released = ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04'].map((day) => {
      const event = onlyEvent(state, releaseLocked(`r_${day}`, day));
      return event.type === 'LockedReleased' ? [event.points, legacyOf(state, 'buyer').lockedPoints] : null;
    });

    assert.deepEqual(released, [
      [14_933_333n, 29_866_667n],
      [14_933_333n, 14_933_334n],
      [14_933_334n, 0n],
      [0n, 0n],
    ]);
    assert.deepEqual(legacyOf(state, 'buyer').lots, []);
    run(state, sellPoints('s1', 'buyer', 112_000_000n - 1_000_000n));
  });

  test('a missed day is caught up; points locked between two runs start at the next run', () => {
    const state = givenLegacy();
    run(
      state,
      grantCoins('g1', 'buyer', 2n * thousand),
      orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n),
    );
    run(state, releaseLocked('r1', '2025-01-01'));
    run(state, orderWithCoins('o2', 'buyer', 'm1', thousand, thousand)); // 78.4 points, all locked

    const event = onlyEvent(state, releaseLocked('r3', '2025-01-03'));

    // lot 1: batches 2 and 3 (44.8 − 14.933333); lot 2: its first batch, floor(78.4 / 3)
    assert.equal(event.type === 'LockedReleased' && event.points, 29_866_667n + 26_133_333n);
    assert.deepEqual(
      legacyOf(state, 'buyer').lots.map(({ kind, left, firstDay, released }) => [
        kind,
        left,
        firstDay,
        released,
      ]),
      [['points', 78_400_000n - 26_133_333n, '2025-01-03', 1]],
    );
  });

  test('a release day already released, or before the last, is refused; a release with nothing locked is accepted', () => {
    const state = givenLegacy();
    run(state, releaseLocked('r1', '2025-01-02'));
    assert.deepEqual(rejectionOf(execute(state, releaseLocked('r2', '2025-01-02'))), {
      code: 'day_released',
      message: 'locked points are released up to 2025-01-02: 2025-01-02 cannot be released again',
    });
    assert.equal(rejectionOf(execute(state, releaseLocked('r3', '2025-01-01'))).code, 'day_released');
    assert.equal(rejectionOf(execute(state, releaseLocked('r4', 'tomorrow'))).code, 'malformed');
    assert.equal(execute(state, releaseLocked('r1', '2025-01-02')).kind, 'duplicate');
  });

  test('a lot keeps the schedule in force when it was locked', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', thousand), orderWithCoins('o1', 'buyer', 'm1', thousand, thousand));
    run(state, { type: 'configure', config: { legacy: { enabled: true, releaseDays: '10' } } });

    run(state, releaseLocked('r1', '2025-01-01'));

    assert.equal(legacyOf(state, 'buyer').lockedPoints, 112_000_000n - 37_333_333n, 'a third, not a tenth');
  });
});

describe('a release schedule across a forced exit', () => {
  /** Holds 112 points, 44.8 locked; the first batch (14.933333) released on 2025-01-01. */
  function beforeTheExit(): State {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', thousand), orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n));
    run(state, releaseLocked('r1', '2025-01-01'));
    return state;
  }

  test('all the points are sold (locked ones too); the locked share of the payout stays locked as cash', () => {
    const state = beforeTheExit();

    // P 160.00 + 1040.00 = 1200.00 = 1.2 × 1000.00: the buyer's cycle reaches its cap
    const outcome = execute(state, injectCash('i1', 104_000n));

    assert.deepEqual(forcedOut(outcome), ['buyer']);
    const exit = acceptedEvents(outcome)[1];
    assert.ok(exit?.type === 'MemberForcedOut');
    assert.deepEqual(
      [exit.points, exit.gross, exit.payout, exit.locked, exit.lockedPayout],
      // payout 960.00; free share floor(960.00 × 82.133333 / 112) = 703.99; the rest stays locked
      [112_000_000n, 120_000n, 96_000n, 29_866_667n, 25_601n],
    );
    assert.equal(member(state, 'buyer').wallet, 70_399n);
    assert.equal(member(state, 'buyer').points, 0n);
    assert.equal(member(state, 'buyer').cycleOpen, false);
    assert.deepEqual(
      [legacyOf(state, 'buyer').lockedPoints, legacyOf(state, 'buyer').lockedCash],
      [0n, 25_601n],
    );
    assert.deepEqual(
      legacyOf(state, 'buyer').lots.map(({ kind, amount, days, firstDay, released }) => [
        kind,
        amount,
        days,
        firstDay,
        released,
      ]),
      [['cash', 25_601n, 2, '2025-01-02', 0]],
      'the two batches it had left, on the days they were due',
    );
    assertCashConserved(state);
  });

  test('locked cash cannot be withdrawn; it reaches the wallet batch by batch, a missed day caught up', () => {
    const state = beforeTheExit();
    run(state, injectCash('i1', 104_000n));

    assert.equal(
      rejectionOf(execute(state, requestWithdrawal('w1', 'buyer', 70_400n))).code,
      'insufficient_wallet',
    );

    const second = onlyEvent(state, releaseLocked('r2', '2025-01-02'));
    assert.deepEqual(second.type === 'LockedReleased' && [second.points, second.cash], [0n, 12_800n]);
    assert.equal(member(state, 'buyer').wallet, 70_399n + 12_800n);

    const last = onlyEvent(state, releaseLocked('r4', '2025-01-04'));
    assert.deepEqual(last.type === 'LockedReleased' && [last.points, last.cash], [0n, 12_801n]);
    assert.equal(member(state, 'buyer').wallet, 96_000n, 'the whole payout, in the end');
    assert.deepEqual([legacyOf(state, 'buyer').lockedCash, legacyOf(state, 'buyer').lots], [0n, []]);
    run(state, requestWithdrawal('w2', 'buyer', 96_000n));
    assertCashConserved(state);
  });

  test('lots not yet started stay not started as cash', () => {
    const state = givenLegacy();
    run(state, grantCoins('g1', 'buyer', thousand), orderWithCoins('o1', 'buyer', 'm1', thousand, thousand));

    run(state, injectCash('i1', 104_000n));

    assert.deepEqual(
      legacyOf(state, 'buyer').lots.map(({ kind, amount, days, firstDay }) => [kind, amount, days, firstDay]),
      [['cash', 96_000n, 3, null]],
    );
    assert.equal(member(state, 'buyer').wallet, 0n, 'every point was locked: nothing reaches the wallet');
    run(state, releaseLocked('r1', '2025-02-01'));
    assert.equal(member(state, 'buyer').wallet, 32_000n);
  });

  test('a member forced out re-enters with a new order: its new locked points start a new lot', () => {
    const state = beforeTheExit();
    run(state, injectCash('i1', 104_000n));
    // Someone else buys first, so that the cash the exit left in the pool is not all the buyer's at once.
    run(state, orderNow('o2', 'other', 'm1', thousand));

    run(state, orderWithCoins('o3', 'buyer', 'm1', 10_000n, 10_000n));

    const lots = legacyOf(state, 'buyer').lots;
    assert.deepEqual(
      lots.map(({ kind, firstDay }) => [kind, firstDay]),
      [
        ['cash', '2025-01-02'],
        ['points', null],
      ],
    );
    assert.equal(legacyOf(state, 'buyer').lockedPoints, member(state, 'buyer').points);
  });
});

describe('configuration, the import file, stored events and snapshots', () => {
  test('legacy.releaseDays is a whole number of days from 1 to 3660; the key is printed only when set', () => {
    for (const releaseDays of ['0', '1.5', '3661', '-1', '']) {
      assert.throws(() => parseConfig({ legacy: { releaseDays } }), ConfigError, releaseDays);
    }
    assert.throws(() => parseConfig({ legacy: { enabled: 'yes' } }), /config\.legacy\.enabled/);
    assert.throws(() => parseConfig({ legacy: { days: '3' } }), /config\.legacy\.days: unknown key/);
    assert.equal(formatConfig(parseConfig({})).legacy, undefined);
    assert.deepEqual(formatConfig(parseConfig(legacyOn)).legacy, { enabled: true, releaseDays: '3' });
  });

  test('every legacy event survives encode → decode → encode, and the decoded log replays to the same state', () => {
    const state = givenLegacy();
    const events: Event[] = [];
    const send = (...commands: Parameters<typeof execute>[1][]) => {
      for (const command of commands) events.push(...acceptedEvents(execute(state, command)));
    };
    send(grantCoins('g1', 'buyer', 2n * thousand, 'card "B" / 会员'));
    send(
      payWithCoins('p1', 'buyer', 'm1', thousand, 30_000n),
      orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n),
    );
    send(releaseLocked('r1', '2025-01-01'), settle('p1', paidAt + defaultHoldMs), injectCash('i1', 210_000n));
    send(releaseLocked('r2', '2025-01-02'));
    const kinds = new Set(events.map((event) => event.type));
    for (const kind of [
      'CoinsGranted',
      'OrderPaid',
      'OrderSettled',
      'LockedReleased',
      'PaidOrderSettled',
      'MemberForcedOut',
    ]) {
      assert.ok(kinds.has(kind as Event['type']), kind);
    }

    const decoded = events.map((event) => {
      const text = encodeEvent(event);
      const back = decodeEvent(text);
      assert.deepEqual(back, event);
      assert.equal(encodeEvent(back), text);
      return back;
    });
    const replayed = givenLegacy();
    applyEvents(replayed, decoded);
    assert.deepEqual(snapshotOf(replayed), snapshotOf(state));
  });

  test('a snapshot taken mid-schedule restores coins, locked points, locked cash and lots', () => {
    const state = givenLegacy();
    run(
      state,
      grantCoins('g1', 'buyer', 2n * thousand),
      orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n),
    );
    run(state, grantCoins('g2', 'other', thousand), orderWithCoins('o2', 'other', 'm1', thousand, 10_000n));
    run(state, releaseLocked('r1', '2025-01-01'), injectCash('i1', 30_000n));

    const restored = stateFromSnapshot(decodeSnapshot(encodeSnapshot(snapshotOf(state))));

    assert.deepEqual(snapshotOf(restored), snapshotOf(state));
    for (const target of [state, restored]) {
      run(target, releaseLocked('r2', '2025-01-03'), orderWithCoins('o3', 'buyer', 'm1', 5_000n, 5_000n));
      run(target, sellPoints('s1', 'other', 1_000_000n), injectCash('i2', 500_000n));
    }
    assert.deepEqual(snapshotOf(restored), snapshotOf(state));
    assert.deepEqual(legacyOf(restored, 'buyer'), legacyOf(state, 'buyer'));
  });
});
