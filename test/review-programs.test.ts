// Review of the programs of docs/rules.md (levels and team rewards, campaigns, dividends, legacy
// conversion): the defects found, one test each, and the combinations of the two sets of programs
// checked to the cent. Given/when/then, like test/lifecycle.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { complianceReport } from '../src/domain/compliance.ts';
import { parseConfig } from '../src/domain/config.ts';
import { applyEvents, execute } from '../src/domain/engine.ts';
import type { Event } from '../src/domain/messages.ts';
import { snapshotOf, stateFromSnapshot } from '../src/domain/snapshot.ts';
import type { State } from '../src/domain/state.ts';
import { cents, micros } from '../src/domain/units.ts';
import { parseLegacyCsv } from '../src/scenario/legacy-csv.ts';
import { decodeEvent, encodeEvent } from '../src/store/codec.ts';
import { snapshotBytes } from '../src/store/snapshot-codec.ts';
import { acceptedEvents, given, member, members } from './support/given.ts';
import {
  assertCashConserved,
  grantCoins,
  legacyOf,
  orderWithCoins,
  payWithCoins,
  releaseLocked,
  run,
  setShareholder,
  settleDividends,
} from './support/legacy-dividends.ts';
import { injectCash, refund, settle } from './support/lifecycle.ts';

/** 1000.00: commission 200.00, 160.00 into the pool, 112 points at the initial price of 1.00. */
const thousand = 100_000n;
const legacySetup = { members: members('buyer', 'other'), merchants: [{ id: 'm1' }] };
const legacyOn = { legacy: { enabled: true, releaseDays: '3' } };

/**
 * The log of: 1000.00 bought with 400.00 in coins (112 points, 44.8 locked), then 1040.00 injected,
 * which takes the pool to 1200.00 = the cap: the buyer is forced out with its locked points.
 */
function logWithLockedExit(): { state: State; log: Event[] } {
  const state = given(legacySetup, legacyOn);
  const log: Event[] = [];
  for (const command of [
    grantCoins('g1', 'buyer', 40_000n),
    orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n),
    injectCash('i1', 104_000n),
  ]) {
    log.push(...acceptedEvents(execute(state, command)));
  }
  return { state, log };
}

/** Replays a stored log, as a store loading it does: each event encoded, decoded and applied. */
function replay(log: readonly Event[]): State {
  const state = given(legacySetup, legacyOn);
  applyEvents(
    state,
    log.map((event) => decodeEvent(encodeEvent(event))),
  );
  return state;
}

describe('replaying a log checks the locked parts (a stored event that drops them is an error)', () => {
  test('the intact log replays to the live state: the locked part of the exit payout stays locked', () => {
    const { state, log } = logWithLockedExit();
    const exit = log.at(-1);
    assert.ok(exit?.type === 'MemberForcedOut');
    assert.deepEqual(
      [exit.points, exit.payout, exit.locked, exit.lockedPayout],
      [112_000_000n, 96_000n, 44_800_000n, 38_400n],
    );

    const replayed = replay(log);

    assert.deepEqual(snapshotOf(replayed), snapshotOf(state));
    assert.equal(member(replayed, 'buyer').wallet, 57_600n, 'floor(960.00 × 67.2 / 112)');
    assert.equal(legacyOf(replayed, 'buyer').lockedCash, 38_400n);
  });

  test('a forced exit of a member holding locked points, stored without its locked parts, does not replay', () => {
    const { log } = logWithLockedExit();
    const exit = log.at(-1);
    assert.ok(exit?.type === 'MemberForcedOut');
    const { locked: _locked, lockedPayout: _lockedPayout, ...stripped } = exit;

    // Applied, it would leave 44.8 locked points on a member holding none, and put the locked
    // 384.00 in the withdrawable wallet.
    assert.throws(() => replay([...log.slice(0, -1), stripped]), /invariant violated/);
  });

  test('a forced exit whose locked payout is not the rule’s, or is given without the locked points, does not replay', () => {
    const { log } = logWithLockedExit();
    const exit = log.at(-1);
    assert.ok(exit?.type === 'MemberForcedOut');
    const { locked: _locked, ...withoutLocked } = exit;

    assert.throws(
      () => replay([...log.slice(0, -1), { ...exit, lockedPayout: cents(0n) }]),
      /invariant violated/,
    );
    assert.throws(() => replay([...log.slice(0, -1), withoutLocked]), /invariant violated/);
  });

  test('an order paid with coins, stored without its locked points, does not replay', () => {
    const { log } = logWithLockedExit();
    const settled = log[1];
    assert.ok(settled?.type === 'OrderSettled' && settled.locked === 44_800_000n);
    const { locked: _locked, ...stripped } = settled;

    // Applied, the 44.8 points bought with coins would be free: sold, they would be withdrawable cash.
    assert.throws(() => replay([log[0] as Event, stripped]), /invariant violated/);
    assert.throws(() => replay([log[0] as Event, { ...settled, locked: micros(1n) }]), /invariant violated/);
  });

  test('a dividend settlement stored with a day that is not a date does not replay (it would forget the days settled)', () => {
    const state = given(legacySetup, { dividends: { share: '0.5' } });
    const log = [
      ...acceptedEvents(execute(state, setShareholder('s1', 'other', 1n))),
      ...acceptedEvents(execute(state, settleDividends('d1', '2025-01-05'))),
    ];
    const settled = log[1];
    assert.ok(settled?.type === 'DividendsSettled');
    const corrupt = { ...settled, command: { ...settled.command, day: '2025-02-30' } };

    assert.throws(() => replay([log[0] as Event, corrupt]), /invariant violated/);
  });
});

describe('a snapshot with a day that is not a date is refused, not read as "never"', () => {
  test('given a state that released and settled dividends, a snapshot whose last days are not dates does not load', () => {
    const state = given(legacySetup, { ...legacyOn, dividends: { share: '0.5' } });
    run(
      state,
      grantCoins('g1', 'buyer', 40_000n),
      orderWithCoins('o1', 'buyer', 'm1', thousand, 40_000n),
      releaseLocked('r1', '2025-01-05'),
      settleDividends('d1', '2025-01-05'),
    );
    const snapshot = snapshotOf(state);
    const { legacy, dividends } = snapshot;
    assert.ok(legacy !== undefined && dividends !== undefined);

    // Read as null, the release and dividend days already done could be done again.
    assert.throws(() =>
      stateFromSnapshot({ ...snapshot, legacy: { ...legacy, lastReleaseDay: '2025-02-30' } }),
    );
    assert.throws(() => stateFromSnapshot({ ...snapshot, dividends: { ...dividends, lastDay: '20250105' } }));
    const lots = legacy.lots.map(
      ([member, kind, amount, days, _firstDay, released]) =>
        [member, kind, amount, days, 'soon', released] as const,
    );
    assert.throws(() => stateFromSnapshot({ ...snapshot, legacy: { ...legacy, lots } }));
    assert.deepEqual(snapshotOf(stateFromSnapshot(snapshot)), snapshot, 'the intact snapshot loads');
  });
});

describe('the switches of the programs are true or false, nothing else', () => {
  test('teamRewards.enabled or legacy.enabled of null is an error naming the key, not "off"', () => {
    assert.throws(() => parseConfig({ teamRewards: { enabled: null } }), {
      message: 'config.teamRewards.enabled: must be true or false',
    });
    assert.throws(() => parseConfig({ legacy: { enabled: null } }), {
      message: 'config.legacy.enabled: must be true or false',
    });
  });
});

describe('the compliance report says what is on', () => {
  test('with team rewards off and dividends on, team-based pay is green and does not say dividends are off', () => {
    const report = complianceReport(parseConfig({ dividends: { share: '0.2' } }));

    const teamPay = report.find((finding) => finding.rule === 'team-based pay');
    assert.equal(teamPay?.level, 'green');
    assert.doesNotMatch(teamPay?.reason ?? '', /dividends are off/);
  });
});

describe('the two sets of programs together on one order (checked fine, to the cent)', () => {
  test('a team reward, a dividend and coins on one order: dividend of the kept amount before coins, platform negative', () => {
    // U buys 1000.00 with 400.00 in coins; its referrer A (silver, 0.002) is paid direct 3.00 and
    // the differential 2.00. Kept = 200.00 − 160.00 − 5.00 = 35.00; the dividend share 0.5 of it
    // is 17.50; the platform keeps 35.00 − 17.50 − 400.00 = −382.50.
    const state = given(
      { members: [{ id: 'a' }, { id: 'u', referrer: 'a' }], merchants: [{ id: 'm1' }] },
      {
        rewards: { indirect: '0' },
        levels: [{ name: 'silver', threshold: '0.00', rate: '0.002' }],
        teamRewards: { enabled: true, depthMax: '2', peerShare: '0' },
        dividends: { share: '0.5' },
        legacy: { enabled: true, releaseDays: '2' },
      },
    );
    run(state, grantCoins('g1', 'u', 40_000n), setShareholder('s1', 'a', 1n));

    const [settled] = acceptedEvents(execute(state, orderWithCoins('o1', 'u', 'm1', thousand, 40_000n)));

    assert.ok(settled?.type === 'OrderSettled');
    assert.deepEqual(
      settled.rewards.map((reward) => [reward.kind, reward.member, reward.amount]),
      [
        ['direct', 'a', 300n],
        ['levelDifferential', 'a', 200n],
      ],
    );
    assert.deepEqual([settled.dividend, settled.locked], [1_750n, 44_800_000n]);
    assert.equal(state.platform, 3_500n - 1_750n - 40_000n);
    assertCashConserved(state);

    run(state, settleDividends('d1', '2025-01-01'), releaseLocked('r1', '2025-01-01'));
    assert.equal(member(state, 'a').wallet, 500n + 1_750n);
    assert.equal(legacyOf(state, 'u').lockedPoints, 22_400_000n, 'one batch of two released');
    assertCashConserved(state);
  });
});

describe('a paid order with coins across a campaign and a configuration change (checked fine, to the cent)', () => {
  const startMs = Date.UTC(2025, 2, 1);
  const spring = {
    id: 'spring',
    merchant: 'm1',
    startMs: String(startMs),
    endMs: String(startMs + 43_200_000),
    mintRatio: '0.90',
  };

  test('a campaign boosts the mint of an order with coins; the locked share is of the boosted mint', () => {
    const state = given(legacySetup, { ...legacyOn, holdWindowSeconds: '0', campaigns: [spring] });
    run(
      state,
      grantCoins('g1', 'buyer', 40_000n),
      payWithCoins('p1', 'buyer', 'm1', thousand, 40_000n, startMs),
    );

    const [settled] = acceptedEvents(execute(state, settle('p1', startMs)));

    assert.ok(settled?.type === 'PaidOrderSettled');
    assert.equal(settled.campaign, 'spring');
    assert.deepEqual([settled.minted, settled.locked], [144_000_000n, 57_600_000n], '144 points, 40% locked');
    assert.equal(state.platform, 4_000n - 40_000n);
    assertCashConserved(state);
  });

  test('a paid order with coins refunded after the program was switched off returns every coin', () => {
    const state = given(legacySetup, { ...legacyOn, campaigns: [spring] });
    run(
      state,
      grantCoins('g1', 'buyer', 40_000n),
      payWithCoins('p1', 'buyer', 'm1', thousand, 40_000n, startMs),
    );

    run(state, { type: 'configure', config: {} }, refund('r1', 'p1', startMs + 1));

    assert.equal(legacyOf(state, 'buyer').coins, 40_000n);
    assert.deepEqual([state.pendingAmount, state.received, state.legacy.redeemed], [0n, 0n, 0n]);
    assert.equal(state.pendingInOrder().length, 0);
    assertCashConserved(state);
  });
});

describe('the import file (src/scenario/legacy-csv.ts)', () => {
  test('a thousands separator in unquoted coins is an error, not a grant of the digits before the comma', () => {
    const positional = parseLegacyCsv('u1,1,234.00\n', { batch: 'b1', actor: 'admin_1' });
    const withHeader = parseLegacyCsv('member,coins\nu1,1,234.00\n', { batch: 'b1', actor: 'admin_1' });

    assert.equal(positional.ok, false, 'positional: 1.00 granted, "234.00" taken as the reason');
    assert.equal(withHeader.ok, false, 'with a header: 1.00 granted, the extra column ignored');
  });
});

describe('who did it: an admin command names its actor', () => {
  test('given dividends on, when settleDividends or grantCoins comes without an actor, then it is malformed and nothing changes', () => {
    const state = given(legacySetup, { ...legacyOn, dividends: { share: '0.20' } });
    const before = JSON.stringify(snapshotOf(state), (_key, value) =>
      typeof value === 'bigint' ? `${value}` : value,
    );
    for (const command of [
      { type: 'settleDividends', id: 'd1', day: '2026-01-05' },
      { type: 'grantCoins', id: 'g1', member: 'buyer', coins: cents(100n), reason: 'old card' },
      { type: 'grantCoins', id: 'g2', member: 'buyer', coins: cents(100n), reason: 'old card', actor: '' },
      { type: 'inject', id: 'i1', amount: cents(100n), actor: 7 },
      { type: 'configure', config: {}, actor: null },
    ]) {
      const outcome = execute(state, command as never);
      assert.equal(outcome.kind, 'rejected', command.type);
      assert.equal(outcome.kind === 'rejected' && outcome.rejection.code, 'malformed');
    }
    const after = JSON.stringify(snapshotOf(state), (_key, value) =>
      typeof value === 'bigint' ? `${value}` : value,
    );
    assert.equal(after, before);
  });

  test('given a stored event whose text fields are not strings, when it is decoded, then it is an error naming the field', () => {
    const cases: [string, RegExp][] = [
      [
        '{"type":"DividendsSettled","command":{"type":"settleDividends","id":"d1","day":20260105,"actor":"a"},"pool":"0","payments":[]}',
        /command\.day: expected a string/,
      ],
      [
        '{"type":"DividendsSettled","command":{"type":"settleDividends","id":"d1","day":"2026-01-05"},"pool":"0","payments":[]}',
        /command\.actor: expected a string/,
      ],
      [
        '{"type":"CoinsGranted","command":{"type":"grantCoins","id":"g1","member":"buyer","coins":"100","reason":5,"actor":"a"}}',
        /command\.reason: expected a string/,
      ],
      [
        '{"type":"MemberLevelSet","command":{"type":"setMemberLevel","id":"l1","member":"buyer","level":3}}',
        /command\.level: expected a string/,
      ],
      [
        '{"type":"DividendsSettled","command":{"type":"settleDividends","id":"d1","day":"2026-01-05","actor":"a"},"pool":"0","payments":[{"member":1,"amount":"5"}]}',
        /payment\.member: expected a string/,
      ],
    ];
    for (const [body, message] of cases) assert.throws(() => decodeEvent(body), message);
  });
});

describe('snapshots encode processed commands canonically', () => {
  test('given two states that processed the same pay built with its keys in another order, then their snapshots are the same bytes', () => {
    const keysInCodecOrder = given(legacySetup, legacyOn);
    const keysOtherwise = given(legacySetup, legacyOn);
    execute(keysInCodecOrder, grantCoins('g1', 'buyer', 40_000n));
    execute(keysOtherwise, grantCoins('g1', 'buyer', 40_000n));
    const paidAtMs = Date.UTC(2026, 0, 5);
    execute(keysInCodecOrder, {
      type: 'pay',
      id: 'p1',
      member: 'buyer',
      merchant: 'm1',
      amount: cents(thousand),
      paidAtMs,
      coins: cents(10_000n),
    });
    execute(keysOtherwise, {
      coins: cents(10_000n),
      paidAtMs,
      amount: cents(thousand),
      merchant: 'm1',
      member: 'buyer',
      id: 'p1',
      type: 'pay',
    });
    assert.ok(snapshotBytes(snapshotOf(keysInCodecOrder)).equals(snapshotBytes(snapshotOf(keysOtherwise))));
  });
});
