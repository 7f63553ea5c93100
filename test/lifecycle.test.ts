// docs/rules.md, beyond SPEC.md: paid orders and the hold window, refunds, settlement in paid-time
// order, withdrawals, share-link binding, the amount limits and the three new configuration keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigInput } from '../src/domain/config.ts';
import { ConfigError, parseConfig } from '../src/domain/config.ts';
import { execute } from '../src/domain/engine.ts';
import type { Command, Event } from '../src/domain/messages.ts';
import { reportState } from '../src/domain/report.ts';
import type { State } from '../src/domain/state.ts';
import { AMOUNT_MAX } from '../src/domain/units.ts';
import { memberIds, merchantPayable } from '../src/domain/views.ts';
import { acceptedEvents, given, member, members, rejectionOf, snapshot } from './support/given.ts';
import {
  bind,
  defaultHoldMs,
  frozenOf,
  injectCash,
  orderNow,
  paidAt,
  pay,
  refund,
  requestWithdrawal,
  review,
  sellPoints,
  settle,
  totalFrozen,
} from './support/lifecycle.ts';

/** 1000.00 in cents: commission 200.00, 160.00 into the pool, a 20.00 reward budget. */
const thousand = 100_000n;
const dueAt = paidAt + defaultHoldMs;

/** A shop whose orders pay every kind of reward: direct, indirect, recruiter and a city agent. */
const shopSetup = {
  members: [
    { id: 'grand' },
    { id: 'parent', referrer: 'grand' },
    { id: 'u1', referrer: 'parent' },
    { id: 'u2' },
    { id: 'u3' },
    { id: 'owner' },
    { id: 'promoter' },
  ],
  merchants: [{ id: 'm1', owner: 'owner', recruiter: 'promoter', region: '440306' }],
  agents: [{ member: 'grand', level: 'city', region: '440300' }],
};

function run(state: State, ...commands: Command[]): void {
  for (const command of commands) acceptedEvents(execute(state, command));
}

function onlyEvent(state: State, command: Command): Event {
  const events = acceptedEvents(execute(state, command));
  assert.equal(events.length, 1, `one event from ${command.type}`);
  return events[0] as Event;
}

/** Σ over every cash balance: SPEC.md's plus the frozen cash and what withdrawals paid out. */
function cashAccountedFor(state: State): bigint {
  let total = state.pool + state.platform + state.withdrawn + totalFrozen(state);
  for (const id of memberIds(state)) total += member(state, id).wallet;
  for (const id of state.merchants.keys()) total += merchantPayable(state, id) ?? 0n;
  return total;
}

describe('a paid order: nothing exists until it settles', () => {
  test('pay leaves no points, rewards, consumption, payable, pool or platform revenue', () => {
    const state = given(shopSetup);
    const before = reportState(state);

    const paid = onlyEvent(state, pay('p1', 'u2', 'm1', thousand));

    assert.equal(paid.type, 'OrderPaid');
    assert.deepEqual(reportState(state), before);
    assert.equal(member(state, 'u2').points, 0n);
    assert.equal(member(state, 'u2').consumption, 0n);
    assert.equal(member(state, 'u2').referrer, null, 'the owner binding waits for settlement too');
    assert.equal(merchantPayable(state, 'm1'), 0n);
  });

  test('settled, the order pays exactly what SPEC.md says an order of the same amount pays', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));

    const settled = onlyEvent(state, settle('p1', dueAt));

    assert.equal(settled.type, 'PaidOrderSettled');
    assert.deepEqual(
      settled.type === 'PaidOrderSettled' && {
        commission: settled.commission,
        inflow: settled.inflow,
        rewards: settled.rewards.map(({ kind, member, amount }) => [kind, member, amount]),
        minted: settled.minted,
      },
      {
        commission: 20_000n,
        inflow: 16_000n,
        rewards: [
          ['direct', 'parent', 300n],
          ['indirect', 'grand', 200n],
          ['merchantRecruiter', 'promoter', 500n],
          ['city', 'grand', 200n],
        ],
        minted: 112_000_000n,
      },
    );
    assert.deepEqual([state.pool, state.platform, merchantPayable(state, 'm1')], [16_000n, 2_800n, 80_000n]);
    assert.equal(member(state, 'u1').consumption, thousand);
  });

  test('an unbound buyer is bound to the merchant owner when the order settles, not when it is paid', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u2', 'm1', thousand));

    const settled = onlyEvent(state, settle('p1', dueAt));

    assert.equal(settled.type === 'PaidOrderSettled' && settled.bound, 'owner');
    assert.equal(member(state, 'u2').referrer, 'owner');
    assert.equal(member(state, 'owner').rewards, 300n);
  });
});

describe('a settled paid order gives the same balances as an immediate order in the same state', () => {
  const cases: { name: string; config: ConfigInput; history: Command[]; buyer: string; exits: number }[] = [
    {
      name: 'every kind of reward, after orders, a sale and an injection',
      config: {},
      history: [
        orderNow('o1', 'u2', 'm1', 25_000n),
        orderNow('o2', 'u3', 'm1', 133_333n),
        sellPoints('s1', 'u2', 1_500_000n),
        injectCash('i1', 777n),
      ],
      buyer: 'u1',
      exits: 0,
    },
    {
      name: 'the order forces an earlier buyer out (cap 0.2)',
      config: { capMultiple: '0.2' },
      history: [orderNow('o1', 'u2', 'm1', thousand), orderNow('o2', 'u3', 'm1', thousand)],
      buyer: 'u1',
      exits: 1,
    },
    {
      name: 'the supply was emptied by a sale: the mint uses the last price',
      config: { minSupply: '0' },
      history: [orderNow('o1', 'u2', 'm1', thousand), sellPoints('s1', 'u2', 112_000_000n)],
      buyer: 'u3',
      exits: 0,
    },
  ];
  for (const { name, config, history, buyer, exits } of cases) {
    test(name, () => {
      const immediate = given(shopSetup, config);
      const later = given(shopSetup, config);
      run(immediate, ...history);
      run(later, ...history);

      const now = acceptedEvents(execute(immediate, orderNow('o9', buyer, 'm1', thousand)));
      run(later, pay('p9', buyer, 'm1', thousand));
      const settled = acceptedEvents(execute(later, settle('p9', dueAt)));

      assert.deepEqual(reportState(later), reportState(immediate));
      const results = (event: Event | undefined) =>
        event !== undefined && (event.type === 'OrderSettled' || event.type === 'PaidOrderSettled')
          ? [event.bound, event.commission, event.inflow, event.rewards, event.minted]
          : assert.fail(`not a settlement: ${event?.type}`);
      assert.deepEqual(results(settled[0]), results(now[0]));
      assert.deepEqual(settled.slice(1), now.slice(1), 'the same forced exits');
      assert.equal(later.forcedExits, exits);
    });
  }
});

describe('the hold window', () => {
  test('settling before paidAt + holdWindowSeconds is refused as not_due, saying when it settles', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));
    const before = snapshot(state);

    const early = rejectionOf(execute(state, settle('p1', dueAt - 1)));

    assert.equal(early.code, 'not_due');
    assert.match(early.message, /p1 settles at 2025-01-08T00:00:00\.000Z/);
    assert.deepEqual(snapshot(state), before);
  });

  test('at exactly paidAt + holdWindowSeconds × 1000 the order settles', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));

    assert.equal(onlyEvent(state, settle('p1', dueAt)).type, 'PaidOrderSettled');
  });

  test('with holdWindowSeconds "0" an order settles at its paid time, and not a millisecond before', () => {
    const state = given(shopSetup, { holdWindowSeconds: '0' });
    run(state, pay('p1', 'u1', 'm1', thousand));

    assert.equal(rejectionOf(execute(state, settle('p1', paidAt - 1))).code, 'not_due');
    assert.equal(onlyEvent(state, settle('p1', paidAt)).type, 'PaidOrderSettled');
  });

  test('the hold window in force when the settle is decided is the one that counts', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));

    run(state, { type: 'configure', config: { holdWindowSeconds: '60' } });

    assert.equal(rejectionOf(execute(state, settle('p1', paidAt + 59_999))).code, 'not_due');
    assert.equal(onlyEvent(state, settle('p1', paidAt + 60_000)).type, 'PaidOrderSettled');
  });

  test('the commission rate and rewards in force at settlement apply, not those at payment', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));
    run(state, { type: 'configure', config: { commissionRate: '0.10' } });

    const settled = onlyEvent(state, settle('p1', dueAt));

    assert.equal(settled.type === 'PaidOrderSettled' && settled.commission, 10_000n);
  });

  test('paidAtMs must be a whole, non-negative number of milliseconds', () => {
    for (const paidAtMs of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const state = given(shopSetup);
      const refused = rejectionOf(execute(state, pay('p1', 'u1', 'm1', thousand, paidAtMs)));
      assert.equal(refused.code, 'malformed', `paidAtMs ${paidAtMs}`);
      assert.match(refused.message, /paidAtMs/);
    }
  });

  test('a settle whose nowMs is not a time is refused', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));
    const before = snapshot(state);

    assert.equal(execute(state, settle('p1', Number.NaN)).kind, 'rejected');
    assert.deepEqual(snapshot(state), before);
  });
});

describe('settlement in paid-time order', () => {
  test('an order paid later cannot settle first: refused as not_due, naming the order that comes first', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand, paidAt), pay('p2', 'u2', 'm1', thousand, paidAt + 1_000));

    const refused = rejectionOf(execute(state, settle('p2', dueAt + 10 * defaultHoldMs)));

    assert.equal(refused.code, 'not_due');
    assert.match(refused.message, /p1 comes first/);
  });

  test('orders reported out of time order settle by paid time', () => {
    const state = given(shopSetup);
    run(state, pay('late', 'u1', 'm1', thousand, paidAt + 5_000), pay('early', 'u2', 'm1', 50_000n, paidAt));
    const farFuture = dueAt + defaultHoldMs;

    assert.match(rejectionOf(execute(state, settle('late', farFuture))).message, /early comes first/);
    assert.equal(onlyEvent(state, settle('early', farFuture)).type, 'PaidOrderSettled');
    assert.equal(onlyEvent(state, settle('late', farFuture)).type, 'PaidOrderSettled');
    assert.deepEqual([member(state, 'u2').consumption, member(state, 'u1').consumption], [50_000n, thousand]);
  });

  test('orders paid at the same millisecond settle in the order they arrived', () => {
    const state = given(shopSetup);
    run(state, pay('first', 'u1', 'm1', thousand), pay('second', 'u2', 'm1', thousand));

    assert.match(rejectionOf(execute(state, settle('second', dueAt))).message, /first comes first/);
    run(state, settle('first', dueAt), settle('second', dueAt));
  });

  test('a refunded order no longer holds up the orders paid after it', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand, paidAt), pay('p2', 'u2', 'm1', thousand, paidAt + 1));

    run(state, refund('r1', 'p1'));

    assert.equal(onlyEvent(state, settle('p2', dueAt + 1)).type, 'PaidOrderSettled');
  });

  test('an earlier order not yet due holds up a later one that would be due', () => {
    const state = given(shopSetup, { holdWindowSeconds: '60' });
    run(state, pay('p1', 'u1', 'm1', thousand, paidAt), pay('p2', 'u2', 'm1', thousand, paidAt + 1));

    assert.equal(rejectionOf(execute(state, settle('p1', paidAt + 59_999))).code, 'not_due');
    assert.match(rejectionOf(execute(state, settle('p2', paidAt + 60_001))).message, /p1 comes first/);
  });

  test('settling a settled, a refunded, an unknown or an immediate order is refused with its own code', () => {
    const state = given(shopSetup);
    run(
      state,
      pay('p1', 'u1', 'm1', thousand),
      pay('p2', 'u2', 'm1', thousand),
      orderNow('o1', 'u3', 'm1', thousand),
    );
    run(state, settle('p1', dueAt), refund('r2', 'p2'));
    const before = snapshot(state);

    assert.equal(rejectionOf(execute(state, settle('p1', dueAt))).code, 'order_settled');
    assert.equal(rejectionOf(execute(state, settle('p2', dueAt))).code, 'order_refunded');
    assert.equal(rejectionOf(execute(state, settle('nope', dueAt))).code, 'unknown_order');
    assert.equal(rejectionOf(execute(state, settle('o1', dueAt))).code, 'unknown_order');
    assert.deepEqual(snapshot(state), before);
  });
});

describe('refunds', () => {
  test('a refund before settlement leaves nothing at all', () => {
    const state = given(shopSetup);
    const report = reportState(state);

    run(state, pay('p1', 'u2', 'm1', thousand));
    const refunded = onlyEvent(state, refund('r1', 'p1', paidAt + 1_000, 'support_7'));

    assert.equal(refunded.type, 'OrderRefunded');
    assert.deepEqual(reportState(state), report);
    assert.equal(member(state, 'u2').referrer, null);
    assert.equal(state.pendingAmount, 0n);
    assert.equal(state.received, 0n);
  });

  test('a refund is accepted while the order is pending, even once its hold window has passed', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));

    assert.equal(onlyEvent(state, refund('r1', 'p1', dueAt + 1)).type, 'OrderRefunded');
  });

  test('a refund after settlement is refused as order_settled, with a clear reason', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand), settle('p1', dueAt));
    const before = snapshot(state);

    const refused = rejectionOf(execute(state, refund('r1', 'p1', dueAt + 1)));

    assert.equal(refused.code, 'order_settled');
    assert.equal(refused.message, 'order p1 has settled: a refund after settlement is refused');
    assert.deepEqual(snapshot(state), before);
  });

  test('a second refund of the same order (another id) is refused as order_refunded', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand), refund('r1', 'p1'));
    const before = snapshot(state);

    const refused = rejectionOf(execute(state, refund('r2', 'p1')));

    assert.equal(refused.code, 'order_refunded');
    assert.match(refused.message, /p1 was already refunded/);
    assert.deepEqual(snapshot(state), before);
  });

  test('refunding an unknown order or an immediate order is refused as unknown_order', () => {
    const state = given(shopSetup);
    run(state, orderNow('o1', 'u1', 'm1', thousand));

    assert.equal(rejectionOf(execute(state, refund('r1', 'ghost'))).code, 'unknown_order');
    assert.equal(rejectionOf(execute(state, refund('r2', 'o1'))).code, 'unknown_order');
  });

  test('the refund keeps who did it (actor) for the audit trail', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));

    const refunded = onlyEvent(state, refund('r1', 'p1', paidAt, 'support_7'));

    assert.equal(refunded.type === 'OrderRefunded' && refunded.command.actor, 'support_7');
  });
});

describe('idempotent retries of the new commands', () => {
  test('pay sent again with the same content is a duplicate, before and after it settles', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand));
    const pending = snapshot(state);

    assert.deepEqual(execute(state, pay('p1', 'u1', 'm1', thousand)), { kind: 'duplicate' });
    assert.deepEqual(snapshot(state), pending);

    run(state, settle('p1', dueAt));
    const settled = snapshot(state);
    assert.deepEqual(execute(state, pay('p1', 'u1', 'm1', thousand)), { kind: 'duplicate' });
    assert.deepEqual(snapshot(state), settled);
  });

  test('pay with the same id and another member, merchant or amount is id_reused', () => {
    const state = given({ ...shopSetup, merchants: [...shopSetup.merchants, { id: 'm2' }] });
    run(state, pay('p1', 'u1', 'm1', thousand));
    const before = snapshot(state);

    for (const reused of [
      pay('p1', 'u2', 'm1', thousand),
      pay('p1', 'u1', 'm2', thousand),
      pay('p1', 'u1', 'm1', thousand + 1n),
      orderNow('p1', 'u1', 'm1', thousand),
    ]) {
      const refused = rejectionOf(execute(state, reused));
      assert.equal(refused.code, 'id_reused');
      assert.equal(refused.message, 'id p1 reused with different content');
    }
    assert.deepEqual(snapshot(state), before);
  });

  test('the paid time is not part of a pay’s content: a retry with another paidAtMs is a duplicate', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand, paidAt));

    assert.deepEqual(execute(state, pay('p1', 'u1', 'm1', thousand, paidAt + 1)), { kind: 'duplicate' });
  });

  test('refund sent again is a duplicate; the same id for another order is id_reused', () => {
    const state = given(shopSetup);
    run(state, pay('p1', 'u1', 'm1', thousand), pay('p2', 'u2', 'm1', thousand), refund('r1', 'p1'));
    const before = snapshot(state);

    assert.deepEqual(execute(state, refund('r1', 'p1', paidAt + 5)), { kind: 'duplicate' });
    assert.equal(rejectionOf(execute(state, refund('r1', 'p2'))).code, 'id_reused');
    assert.deepEqual(snapshot(state), before);
  });

  test('requestWithdrawal sent again is a duplicate and freezes nothing more; another amount is id_reused', () => {
    const state = givenWallet();
    run(state, requestWithdrawal('w1', 'parent', 1_000n));
    const before = snapshot(state);

    assert.deepEqual(execute(state, requestWithdrawal('w1', 'parent', 1_000n)), { kind: 'duplicate' });
    assert.equal(frozenOf(state, 'parent'), 1_000n);
    assert.equal(rejectionOf(execute(state, requestWithdrawal('w1', 'parent', 999n))).code, 'id_reused');
    assert.deepEqual(snapshot(state), before);
  });

  test('reviewWithdrawal sent again is a duplicate; the same id with another decision is id_reused', () => {
    const state = givenWallet();
    run(state, requestWithdrawal('w1', 'parent', 1_000n), review('v1', 'w1', 'approve'));

    assert.deepEqual(execute(state, review('v1', 'w1', 'approve')), { kind: 'duplicate' });
    assert.equal(rejectionOf(execute(state, review('v1', 'w1', 'paid'))).code, 'id_reused');
    assert.equal(state.withdrawals.get('w1')?.status, 'approved');
  });

  test('an inject retried by another admin (actor) is still a duplicate: the actor is not content', () => {
    const state = given(shopSetup);
    const injected = onlyEvent(state, injectCash('i1', 500n, 'admin_1'));

    assert.equal(injected.type === 'PoolInjected' && injected.command.actor, 'admin_1');
    assert.deepEqual(execute(state, injectCash('i1', 500n, 'admin_2')), { kind: 'duplicate' });
    assert.equal(state.injected, 500n);
  });
});

/** `parent` has 40.00 in its wallet: the direct reward (4%) of one 1000.00 order by `u1`. */
function givenWallet(config: ConfigInput = {}): State {
  const state = given(
    {
      members: [{ id: 'parent' }, { id: 'u1', referrer: 'parent' }, { id: 'u2' }],
      merchants: [{ id: 'm1' }],
    },
    { distributionShare: '0.20', rewards: { direct: '0.04' }, ...config },
  );
  run(state, orderNow('o1', 'u1', 'm1', thousand));
  assert.equal(member(state, 'parent').wallet, 4_000n);
  return state;
}

describe('withdrawals (提现)', () => {
  test('a request moves the amount from the wallet to frozen cash; the fee is fixed then', () => {
    const state = givenWallet({ withdrawalFeeRate: '0.006' });

    const requested = onlyEvent(state, requestWithdrawal('w1', 'parent', 1_999n));

    // fee = floor(19.99 × 0.006) = floor(0.11994 yuan) = 0.11
    assert.equal(requested.type === 'WithdrawalRequested' && requested.fee, 11n);
    assert.deepEqual([member(state, 'parent').wallet, frozenOf(state, 'parent')], [2_001n, 1_999n]);
    assert.equal(cashAccountedFor(state), state.received);
  });

  test('the fee rounds down: 1.99 at 0.6% is 0.01, 1.00 at 0.6% is 0.00', () => {
    const state = givenWallet({ withdrawalFeeRate: '0.006' });

    const small = onlyEvent(state, requestWithdrawal('w1', 'parent', 199n));
    const smallest = onlyEvent(state, requestWithdrawal('w2', 'parent', 100n));

    assert.equal(small.type === 'WithdrawalRequested' && small.fee, 1n);
    assert.equal(smallest.type === 'WithdrawalRequested' && smallest.fee, 0n);
  });

  test('approve then paid: the frozen cash leaves, the member gets amount − fee, the platform the fee', () => {
    const state = givenWallet({ withdrawalFeeRate: '0.006' });
    const platform = state.platform;
    run(state, requestWithdrawal('w1', 'parent', 1_999n));

    run(state, review('v1', 'w1', 'approve'));
    assert.deepEqual([frozenOf(state, 'parent'), state.withdrawn], [1_999n, 0n], 'approve moves no cash');
    run(state, review('v2', 'w1', 'paid', 'bank ref 20250101-0001'));

    assert.deepEqual(
      [member(state, 'parent').wallet, frozenOf(state, 'parent'), state.withdrawn, state.platform - platform],
      [2_001n, 0n, 1_988n, 11n],
    );
    assert.deepEqual(state.withdrawals.get('w1'), {
      id: 'w1',
      member: 'parent',
      amount: 1_999n,
      fee: 11n,
      requestedAtMs: paidAt,
      status: 'paid',
      note: 'bank ref 20250101-0001',
      reviewer: 'finance_1',
    });
    assert.equal(cashAccountedFor(state), state.received);
  });

  test('a fee rate changed after the request does not change that request’s fee', () => {
    const state = givenWallet({ withdrawalFeeRate: '0.01' });
    run(state, requestWithdrawal('w1', 'parent', 1_000n));
    run(state, {
      type: 'configure',
      config: { distributionShare: '0.20', rewards: { direct: '0.04' }, withdrawalFeeRate: '0.5' },
    });

    run(state, review('v1', 'w1', 'approve'), review('v2', 'w1', 'paid'));

    assert.equal(state.withdrawn, 990n, 'the fee of 1% fixed at the request, not 50%');
  });

  for (const from of ['requested', 'approved'] as const) {
    test(`a rejection from ${from} returns the frozen cash to the wallet`, () => {
      const state = givenWallet({ withdrawalFeeRate: '0.5' });
      const platform = state.platform;
      run(state, requestWithdrawal('w1', 'parent', 3_000n));
      if (from === 'approved') run(state, review('v0', 'w1', 'approve'));

      run(state, review('v1', 'w1', 'reject', 'name mismatch'));

      assert.deepEqual([member(state, 'parent').wallet, frozenOf(state, 'parent')], [4_000n, 0n]);
      assert.deepEqual([state.withdrawn, state.platform], [0n, platform], 'no fee on a rejection');
      assert.equal(state.withdrawals.get('w1')?.status, 'rejected');
      assert.equal(state.withdrawals.get('w1')?.note, 'name mismatch');
    });
  }

  test('a rejection needs a reason', () => {
    const state = givenWallet();
    run(state, requestWithdrawal('w1', 'parent', 1_000n));

    for (const note of ['', '   ']) {
      const refused = rejectionOf(execute(state, review('v1', 'w1', 'reject', note)));
      assert.deepEqual(refused, { code: 'malformed', message: 'a rejection needs a reason' });
    }
    assert.equal(frozenOf(state, 'parent'), 1_000n);
  });

  test('paid without approve is refused (withdrawal_state)', () => {
    const state = givenWallet();
    run(state, requestWithdrawal('w1', 'parent', 1_000n));

    const refused = rejectionOf(execute(state, review('v1', 'w1', 'paid')));

    assert.equal(refused.code, 'withdrawal_state');
    assert.equal(refused.message, 'withdrawal w1 is requested: it cannot be marked paid');
  });

  test('a review from a state it cannot start from is refused: a second approve, anything after paid or rejected', () => {
    const cases: { history: ('approve' | 'reject' | 'paid')[]; next: 'approve' | 'reject' | 'paid' }[] = [
      { history: ['approve'], next: 'approve' },
      { history: ['approve', 'paid'], next: 'paid' },
      { history: ['approve', 'paid'], next: 'reject' },
      { history: ['approve', 'paid'], next: 'approve' },
      { history: ['reject'], next: 'reject' },
      { history: ['reject'], next: 'approve' },
      { history: ['approve', 'reject'], next: 'paid' },
    ];
    for (const { history, next } of cases) {
      const state = givenWallet();
      run(state, requestWithdrawal('w1', 'parent', 1_000n));
      for (const [index, decision] of history.entries()) run(state, review(`v${index}`, 'w1', decision));
      const before = snapshot(state);

      const refused = rejectionOf(execute(state, review('again', 'w1', next)));

      assert.equal(refused.code, 'withdrawal_state', `${history.join(' → ')} → ${next}`);
      assert.deepEqual(snapshot(state), before);
    }
  });

  test('below the minimum, zero or negative is refused as below_minimum, naming the minimum', () => {
    const state = givenWallet({ withdrawalMinimum: '5.00' });

    for (const amount of [499n, 0n, -100n]) {
      const refused = rejectionOf(execute(state, requestWithdrawal(`w${amount}`, 'parent', amount)));
      assert.deepEqual(refused, { code: 'below_minimum', message: 'the smallest withdrawal is 5.00' });
    }
    assert.equal(onlyEvent(state, requestWithdrawal('w1', 'parent', 500n)).type, 'WithdrawalRequested');
  });

  test('more than the wallet is refused as insufficient_wallet; frozen cash cannot be requested twice', () => {
    const state = givenWallet();

    const tooMuch = rejectionOf(execute(state, requestWithdrawal('w1', 'parent', 4_001n)));
    assert.equal(tooMuch.code, 'insufficient_wallet');
    assert.equal(tooMuch.message, 'the wallet holds 40.00, less than 40.01');

    run(state, requestWithdrawal('w2', 'parent', 3_000n));
    assert.equal(
      rejectionOf(execute(state, requestWithdrawal('w3', 'parent', 1_001n))).code,
      'insufficient_wallet',
    );
    assert.equal(onlyEvent(state, requestWithdrawal('w4', 'parent', 1_000n)).type, 'WithdrawalRequested');
    assert.deepEqual([member(state, 'parent').wallet, frozenOf(state, 'parent')], [0n, 4_000n]);
  });

  test('an unknown member or withdrawal is refused', () => {
    const state = givenWallet();

    assert.equal(rejectionOf(execute(state, requestWithdrawal('w1', 'ghost', 100n))).code, 'unknown_member');
    assert.equal(rejectionOf(execute(state, review('v1', 'w404', 'approve'))).code, 'unknown_withdrawal');
  });

  test('later orders and sales leave frozen cash where it is, and all cash stays accounted for', () => {
    const state = givenWallet();
    run(state, requestWithdrawal('w1', 'parent', 4_000n));

    run(state, sellPoints('s1', 'u1', 10_000_000n), orderNow('o2', 'u1', 'm1', thousand));

    assert.deepEqual([member(state, 'parent').wallet, frozenOf(state, 'parent')], [4_000n, 4_000n]);
    assert.equal(cashAccountedFor(state), state.received);
  });
});

describe('share-link binding (bindReferrer)', () => {
  const people = { members: members('a', 'b', 'c', 'owner'), merchants: [{ id: 'm1', owner: 'owner' }] };

  test('an unbound member is bound, and its next order pays the new referrer', () => {
    const state = given(people);

    assert.equal(onlyEvent(state, bind('b', 'a')).type, 'ReferrerBound');
    run(state, orderNow('o1', 'b', 'm1', thousand));

    assert.equal(member(state, 'b').referrer, 'a');
    assert.equal(member(state, 'a').rewards, 300n);
    assert.equal(member(state, 'owner').rewards, 0n, 'the share link came first');
  });

  test('the first binding wins: another referrer is already_bound; the same binding again is a duplicate', () => {
    const state = given(people);
    run(state, bind('b', 'a'));
    const before = snapshot(state);

    const refused = rejectionOf(execute(state, bind('b', 'c')));
    assert.equal(refused.code, 'already_bound');
    assert.equal(refused.message, 'b is already bound to a: the first binding wins');
    assert.deepEqual(execute(state, bind('b', 'a')), { kind: 'duplicate' });
    assert.deepEqual(snapshot(state), before);
  });

  test('a member bound by its first order to the merchant owner is already bound', () => {
    const state = given(people);
    run(state, orderNow('o1', 'b', 'm1', thousand));

    assert.equal(rejectionOf(execute(state, bind('b', 'a'))).code, 'already_bound');
    assert.deepEqual(execute(state, bind('b', 'owner')), { kind: 'duplicate' });
  });

  test('binding to oneself or to one’s own downline is refused as referral_cycle', () => {
    const state = given(people);
    run(state, bind('b', 'a'), bind('c', 'b'));
    const before = snapshot(state);

    for (const [member, referrer] of [
      ['a', 'a'],
      ['a', 'b'],
      ['a', 'c'],
    ] as const) {
      assert.equal(
        rejectionOf(execute(state, bind(member, referrer))).code,
        'referral_cycle',
        `${member} → ${referrer}`,
      );
    }
    assert.deepEqual(snapshot(state), before);
  });

  test('an unknown member or referrer is refused as unknown_member', () => {
    const state = given(people);

    assert.deepEqual(rejectionOf(execute(state, bind('ghost', 'a'))), {
      code: 'unknown_member',
      message: 'ghost is not a member',
    });
    assert.equal(rejectionOf(execute(state, bind('a', 'ghost'))).code, 'unknown_member');
  });

  test('a binding made while an order is pending decides who is paid when it settles', () => {
    const state = given(people);
    run(state, pay('p1', 'b', 'm1', thousand), bind('b', 'a'), settle('p1', dueAt));

    assert.deepEqual([member(state, 'a').rewards, member(state, 'owner').rewards], [300n, 0n]);
  });
});

describe('amount limits: 2^63 − 1 cents or micro-points', () => {
  const limitSetup = { members: members('u1'), merchants: [{ id: 'm1' }] };

  test('an injection or order that would take the cash received past the limit is amount_too_large', () => {
    const state = given(limitSetup);
    run(state, injectCash('i1', AMOUNT_MAX - 100n));
    const before = snapshot(state);

    assert.equal(rejectionOf(execute(state, injectCash('i2', 101n))).code, 'amount_too_large');
    assert.equal(rejectionOf(execute(state, orderNow('o1', 'u1', 'm1', 101n))).code, 'amount_too_large');
    assert.deepEqual(snapshot(state), before);
    assert.equal(onlyEvent(state, injectCash('i3', 100n)).type, 'PoolInjected');
  });

  test('a pay counts the orders still pending: received + pending + amount must stay within the limit', () => {
    const state = given(limitSetup);
    run(state, pay('p1', 'u1', 'm1', AMOUNT_MAX - 100n));

    const refused = rejectionOf(execute(state, pay('p2', 'u1', 'm1', 101n)));

    assert.equal(refused.code, 'amount_too_large');
    assert.match(refused.message, /92233720368547758\.07/);
    assert.equal(onlyEvent(state, pay('p3', 'u1', 'm1', 100n)).type, 'OrderPaid');
  });

  test('a settlement that would mint past the limit is refused; the order stays pending and may be refunded', () => {
    const state = given(limitSetup);
    run(state, pay('p1', 'u1', 'm1', AMOUNT_MAX));

    assert.equal(rejectionOf(execute(state, settle('p1', dueAt))).code, 'amount_too_large');
    assert.equal(onlyEvent(state, refund('r1', 'p1')).type, 'OrderRefunded');
  });

  for (const late of [
    { name: 'an injection', command: injectCash('i1', AMOUNT_MAX - 500n) },
    { name: 'an immediate order', command: orderNow('o1', 'u1', 'm1', AMOUNT_MAX - 500n) },
  ]) {
    test(`${late.name} after a pay cannot push the pay’s settlement past the limit`, () => {
      const state = given(limitSetup, { commissionRate: '0' });
      run(state, pay('p1', 'u1', 'm1', 1_000n));

      const outcome = execute(state, late.command);
      if (outcome.kind === 'rejected') {
        assert.equal(outcome.rejection.code, 'amount_too_large');
        return;
      }
      const before = snapshot(state);
      assert.equal(rejectionOf(execute(state, settle('p1', dueAt))).code, 'amount_too_large');
      assert.deepEqual(snapshot(state), before);
    });
  }
});

describe('configuration: holdWindowSeconds, withdrawalMinimum, withdrawalFeeRate', () => {
  test('the defaults are 7 days, 1.00 and 0', () => {
    const config = parseConfig({});

    assert.deepEqual(
      [config.holdWindowSeconds, config.withdrawalMinimum, config.withdrawalFeeRate],
      [604_800, 100n, 0n],
    );
  });

  test('valid values are read exactly', () => {
    const config = parseConfig({
      holdWindowSeconds: '31622400',
      withdrawalMinimum: '0.01',
      withdrawalFeeRate: '0.000001',
    });

    assert.deepEqual(
      [config.holdWindowSeconds, config.withdrawalMinimum, config.withdrawalFeeRate],
      [31_622_400, 1n, 1n],
    );
  });

  const bad: { key: 'holdWindowSeconds' | 'withdrawalMinimum' | 'withdrawalFeeRate'; value: unknown }[] = [
    { key: 'holdWindowSeconds', value: '1.5' },
    { key: 'holdWindowSeconds', value: '-1' },
    { key: 'holdWindowSeconds', value: '31622401' },
    { key: 'holdWindowSeconds', value: '1e3' },
    { key: 'holdWindowSeconds', value: 604800 },
    { key: 'holdWindowSeconds', value: '' },
    { key: 'withdrawalMinimum', value: '1.001' },
    { key: 'withdrawalMinimum', value: '-1.00' },
    { key: 'withdrawalMinimum', value: 1 },
    { key: 'withdrawalFeeRate', value: '1.000001' },
    { key: 'withdrawalFeeRate', value: '-0.01' },
    { key: 'withdrawalFeeRate', value: '0.0000001' },
    { key: 'withdrawalFeeRate', value: null },
  ];
  for (const { key, value } of bad) {
    test(`${key} ${JSON.stringify(value)} is an error that names the key`, () => {
      assert.throws(
        () => parseConfig({ [key]: value }),
        (error: unknown) =>
          error instanceof ConfigError && error.key === key && error.message.startsWith(`config.${key}: `),
      );
    });
  }

  test('a configure command with a bad value is refused as invalid_config, naming the key, and changes nothing', () => {
    const state = given(shopSetup);
    const before = snapshot(state);

    const refused = rejectionOf(execute(state, { type: 'configure', config: { withdrawalFeeRate: '2' } }));

    assert.equal(refused.code, 'invalid_config');
    assert.match(refused.message, /^config\.withdrawalFeeRate: /);
    assert.deepEqual(snapshot(state), before);
  });

  test('configure keeps who did it (actor) on the event', () => {
    const state = given(shopSetup);

    const changed = onlyEvent(state, {
      type: 'configure',
      config: { holdWindowSeconds: '0' },
      actor: 'admin_1',
    });

    assert.equal(changed.type === 'ConfigChanged' && changed.actor, 'admin_1');
    assert.equal(changed.type === 'ConfigChanged' && changed.config.holdWindowSeconds, '0');
  });
});
