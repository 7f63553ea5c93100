// Random streams for the lifecycle property tests (docs/rules.md): SPEC.md's orders, sales and
// injections mixed with paid orders, refunds, settlements on a moving clock, withdrawals and
// share-link bindings. An intent becomes a command only when it is sent, against the state and the
// clock of that moment, so a stream stays meaningful while fast-check shrinks it.
//
// `LifecycleStream` also keeps a small model of the lifecycle rules (which orders are pending, in
// what order they settle, which withdrawals are open) written from docs/rules.md alone: it predicts
// the outcome of every lifecycle command and the frozen and withdrawn cash, and counts the cash
// received from the accepted commands, independently of the engine's own total.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ConfigInput } from '../../src/domain/config.ts';
import { execute, type Outcome } from '../../src/domain/engine.ts';
import type {
  BindReferrer,
  Command,
  IdentifiedCommand,
  Pay,
  RequestWithdrawal,
  ReviewWithdrawal,
  Settle,
} from '../../src/domain/messages.ts';
import type { WithdrawalStatus } from '../../src/domain/state.ts';
import { cents, formatDecimal, micros } from '../../src/domain/units.ts';
import { memberView } from '../../src/domain/views.ts';
import {
  between,
  CommandStream,
  isIdentified,
  orderCents,
  pickId,
  type RepeatIntent,
  repeatIntentArbitrary,
  type StreamInput,
  streamInputArbitrary,
  worldWith,
} from './command-streams.ts';
import type { World } from './streams.ts';

export type LifecycleIntent =
  | { kind: 'order'; member: number; merchant: number; cents: number }
  /** Paid `earlierPpm` of a hold window before the clock (up to 1.5 windows), give or take a few ms. */
  | { kind: 'pay'; member: number; merchant: number; cents: number; earlierPpm: number; skewMs: number }
  | { kind: 'refund'; pick: number; target: 'pending' | 'paid' | 'unknown' }
  | { kind: 'settle'; pick: number; target: 'next' | 'paid' | 'unknown' }
  /** Moves the clock on by `sharePpm` of a hold window plus `extraMs`. */
  | { kind: 'tick'; sharePpm: number; extraMs: number }
  | { kind: 'sell'; member: number; sharePpm: number }
  | { kind: 'inject'; cents: number }
  /** A share of the wallet (over 100% asks for too much, a tiny share falls below the minimum). */
  | { kind: 'withdraw'; fromWallet: boolean; member: number; sharePpm: number }
  /** `next` takes the usual next step: approve a requested withdrawal, pay an approved one. */
  | { kind: 'review'; pick: number; decision: ReviewWithdrawal['decision'] | 'next'; withNote: boolean }
  | { kind: 'bind'; member: number; referrer: number }
  | RepeatIntent;

export type LifecycleStreamInput = StreamInput<LifecycleIntent>;

const ppmText = (value: number): string => formatDecimal(BigInt(value), 6);
const centsText = (value: number): string => formatDecimal(BigInt(value), 2);

const lifecycleConfig: fc.Arbitrary<ConfigInput> = fc.record({
  holdWindowSeconds: fc.constantFrom('0', '1', '60', '3600'),
  withdrawalMinimum: fc
    .constantFrom('0.01', '1.00')
    .chain((usual) => fc.oneof(fc.constant(usual), between(0, 500).map(centsText))),
  withdrawalFeeRate: fc.oneof(
    fc.constant('0'),
    between(0, 100_000).map(ppmText),
    between(0, 1_000_000).map(ppmText),
  ),
});

export const lifecycleWorldArbitrary: fc.Arbitrary<World> = worldWith(lifecycleConfig);

const person = fc.nat();
const ppmUpTo = (max: number) => between(0, max);

export const lifecycleIntentArbitrary: fc.Arbitrary<LifecycleIntent> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      member: person,
      merchant: person,
      cents: orderCents,
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      member: person,
      merchant: person,
      cents: orderCents,
      earlierPpm: fc.oneof(fc.constant(0), ppmUpTo(1_500_000)),
      skewMs: between(-3, 3),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      pick: fc.nat(),
      target: fc.constantFrom('pending' as const, 'pending' as const, 'paid' as const, 'unknown' as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      pick: fc.nat(),
      target: fc.constantFrom(
        'next' as const,
        'next' as const,
        'next' as const,
        'paid' as const,
        'unknown' as const,
      ),
    }),
    weight: 7,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      sharePpm: ppmUpTo(2_000_000),
      extraMs: between(0, 1_500),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('sell' as const),
      member: person,
      sharePpm: fc.oneof(fc.constant(1_000_000), ppmUpTo(1_000_000)),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('inject' as const), cents: between(1, 50_000) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      fromWallet: fc.oneof(
        { arbitrary: fc.constant(true), weight: 5 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      member: person,
      sharePpm: fc.oneof(ppmUpTo(1_000_000), fc.constant(1_000_000), ppmUpTo(1_200_000), ppmUpTo(5_000)),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('review' as const),
      pick: fc.nat(),
      decision: fc.constantFrom(
        'approve' as const,
        'reject' as const,
        'paid' as const,
        'next' as const,
        'next' as const,
      ),
      withNote: fc.oneof(
        { arbitrary: fc.constant(true), weight: 3 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('bind' as const), member: person, referrer: person }),
    weight: 2,
  },
  { arbitrary: repeatIntentArbitrary, weight: 3 },
);

export const lifecycleStreamArbitrary: fc.Arbitrary<LifecycleStreamInput> = streamInputArbitrary(
  lifecycleWorldArbitrary,
  lifecycleIntentArbitrary,
);

type PayStatus = 'pending' | 'settled' | 'refunded';
interface ModelPay {
  readonly command: Pay;
  /** The order in which pays were accepted: ties on the paid time settle by arrival. */
  readonly arrival: number;
  status: PayStatus;
}
interface ModelWithdrawal {
  readonly member: string;
  readonly amount: bigint;
  fee: bigint;
  status: WithdrawalStatus;
}

export type Expected = { kind: 'accepted' } | { kind: 'duplicate' } | { kind: 'rejected'; code: string };

const accepted: Expected = { kind: 'accepted' };
const duplicate: Expected = { kind: 'duplicate' };
const refused = (code: string): Expected => ({ kind: 'rejected', code });

/** What docs/rules.md calls the content of an identified command (ids compared on a retry). */
function contentOf(command: IdentifiedCommand): string {
  switch (command.type) {
    case 'order':
    case 'pay':
      return `${command.type}|${command.member}|${command.merchant}|${command.amount}`;
    case 'sell':
      return `sell|${command.member}|${command.points}`;
    case 'inject':
      return `inject|${command.amount}`;
    case 'refund':
      return `refund|${command.order}`;
    case 'requestWithdrawal':
      return `requestWithdrawal|${command.member}|${command.amount}`;
    case 'reviewWithdrawal':
      return `reviewWithdrawal|${command.withdrawal}|${command.decision}`;
    case 'setMemberLevel':
      return `setMemberLevel|${command.member}|${command.level}`;
    case 'setShareholder':
      return `setShareholder|${command.member}|${command.weight}`;
    case 'settleDividends':
    case 'releaseLocked':
      return `${command.type}|${command.day}`;
    case 'grantCoins':
      return `grantCoins|${command.member}|${command.coins}`;
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

export class LifecycleStream extends CommandStream {
  /** Σ accepted order amounts + injections + the amounts of accepted settlements, counted here. */
  received = 0n;
  /** Σ (amount − fee) of withdrawals marked paid, counted here. */
  withdrawn = 0n;
  readonly acceptedIds = new Map<string, IdentifiedCommand>();
  readonly pays = new Map<string, ModelPay>();
  private arrivals = 0;
  readonly withdrawals = new Map<string, ModelWithdrawal>();

  /** Resolves one intent against the state and clock of now, predicts its outcome, sends it, checks the prediction. */
  send(intent: LifecycleIntent): { command: Command; outcome: Outcome; expected: Expected | null } {
    const command = this.resolve(intent);
    const expected = this.expect(command);
    this.sent.push(command);
    const outcome = execute(this.state, command);
    if (expected !== null) {
      const got = outcome.kind === 'rejected' ? refused(outcome.rejection.code) : { kind: outcome.kind };
      assert.deepEqual(got, expected, `outcome of ${describeCommand(command)}`);
    }
    if (outcome.kind === 'accepted') this.record(command, outcome);
    return { command, outcome, expected };
  }

  /** The frozen cash each member should have: Σ of its requested and approved withdrawals. */
  expectedFrozen(): Map<string, bigint> {
    const frozen = new Map<string, bigint>();
    for (const withdrawal of this.withdrawals.values()) {
      if (withdrawal.status !== 'requested' && withdrawal.status !== 'approved') continue;
      frozen.set(withdrawal.member, (frozen.get(withdrawal.member) ?? 0n) + withdrawal.amount);
    }
    return frozen;
  }

  private record(command: Command, outcome: Outcome & { kind: 'accepted' }): void {
    if (isIdentified(command)) this.acceptedIds.set(command.id, command);
    switch (command.type) {
      case 'order':
      case 'inject':
        this.received += command.amount;
        break;
      case 'pay':
        this.pays.set(command.id, { command, arrival: this.arrivals, status: 'pending' });
        this.arrivals += 1;
        break;
      case 'refund':
        this.payOf(command.order).status = 'refunded';
        break;
      case 'settle': {
        const paid = this.payOf(command.order);
        paid.status = 'settled';
        this.received += paid.command.amount;
        break;
      }
      case 'requestWithdrawal': {
        const [event] = outcome.events;
        assert.ok(event?.type === 'WithdrawalRequested');
        const fee = (command.amount * this.state.config.withdrawalFeeRate) / 1_000_000n;
        assert.equal(event.fee, fee, 'fee = floor(amount × withdrawalFeeRate)');
        this.withdrawals.set(command.id, {
          member: command.member,
          amount: command.amount,
          fee,
          status: 'requested',
        });
        break;
      }
      case 'reviewWithdrawal': {
        const withdrawal = this.withdrawals.get(command.withdrawal);
        assert.ok(withdrawal !== undefined);
        const statuses = { approve: 'approved', reject: 'rejected', paid: 'paid' } as const;
        withdrawal.status = statuses[command.decision];
        if (command.decision === 'paid') this.withdrawn += withdrawal.amount - withdrawal.fee;
        break;
      }
      default:
        break;
    }
  }

  private payOf(id: string): ModelPay {
    const paid = this.pays.get(id);
    assert.ok(paid !== undefined, `${id} accepted, but the model knows no such paid order`);
    return paid;
  }

  /** The pending order that settles next: the earliest paid time, then the earliest arrival. */
  nextPending(): ModelPay | undefined {
    let next: ModelPay | undefined;
    for (const paid of this.pays.values()) {
      if (paid.status !== 'pending') continue;
      const earlier =
        next === undefined ||
        paid.command.paidAtMs < next.command.paidAtMs ||
        (paid.command.paidAtMs === next.command.paidAtMs && paid.arrival < next.arrival);
      if (earlier) next = paid;
    }
    return next;
  }

  /** The outcome docs/rules.md predicts, or null where the model does not say (SPEC.md's own rules). */
  private expect(command: Command): Expected | null {
    if (isIdentified(command)) {
      const seen = this.acceptedIds.get(command.id);
      if (seen !== undefined)
        return contentOf(seen) === contentOf(command) ? duplicate : refused('id_reused');
    }
    switch (command.type) {
      case 'pay':
        if (!this.memberIds.includes(command.member)) return refused('unknown_member');
        if (!this.merchantIds.includes(command.merchant)) return refused('unknown_merchant');
        return accepted;
      case 'refund':
        return this.expectRefund(command.order);
      case 'settle':
        return this.expectSettle(command);
      case 'requestWithdrawal':
        return this.expectWithdrawal(command);
      case 'reviewWithdrawal':
        return this.expectReview(command);
      case 'bindReferrer':
        return this.expectBinding(command);
      case 'inject':
        return accepted;
      default:
        return null;
    }
  }

  private expectRefund(order: string): Expected {
    const status = this.pays.get(order)?.status;
    if (status === 'pending') return accepted;
    if (status === 'refunded') return refused('order_refunded');
    if (status === 'settled') return refused('order_settled');
    return refused('unknown_order');
  }

  private expectSettle(command: Settle): Expected {
    const paid = this.pays.get(command.order);
    if (paid === undefined) return refused('unknown_order');
    if (paid.status !== 'pending')
      return refused(paid.status === 'settled' ? 'order_settled' : 'order_refunded');
    if (this.nextPending() !== paid) return refused('not_due');
    return paid.command.paidAtMs + this.holdMs <= command.nowMs ? accepted : refused('not_due');
  }

  private expectWithdrawal(command: RequestWithdrawal): Expected {
    const view = memberView(this.state, command.member);
    if (view === undefined) return refused('unknown_member');
    if (command.amount <= 0n || command.amount < this.state.config.withdrawalMinimum)
      return refused('below_minimum');
    return command.amount <= view.wallet ? accepted : refused('insufficient_wallet');
  }

  private expectReview(command: ReviewWithdrawal): Expected {
    const withdrawal = this.withdrawals.get(command.withdrawal);
    if (withdrawal === undefined) return refused('unknown_withdrawal');
    const from = { approve: ['requested'], reject: ['requested', 'approved'], paid: ['approved'] }[
      command.decision
    ];
    if (!from.includes(withdrawal.status)) return refused('withdrawal_state');
    if (command.decision === 'reject' && command.note.trim() === '') return refused('malformed');
    return accepted;
  }

  private expectBinding(command: BindReferrer): Expected {
    const view = memberView(this.state, command.member);
    if (view === undefined || memberView(this.state, command.referrer) === undefined) {
      return refused('unknown_member');
    }
    if (view.referrer === command.referrer) return duplicate;
    if (view.referrer !== null) return refused('already_bound');
    // The referrer may not be the member or anyone below it: walk up from the referrer.
    for (
      let node: string | null = command.referrer;
      node !== null;
      node = memberView(this.state, node)?.referrer ?? null
    ) {
      if (node === command.member) return refused('referral_cycle');
    }
    return accepted;
  }

  /** The command an intent stands for, sent as the stream's next command. */
  resolve(intent: LifecycleIntent): Command {
    const id = `cmd_${this.sent.length}`;
    switch (intent.kind) {
      case 'order':
        return {
          type: 'order',
          id,
          member: this.memberAt(intent.member),
          merchant: this.merchantAt(intent.merchant),
          amount: cents(BigInt(intent.cents)),
        };
      case 'pay': {
        const earlierMs = Math.floor((this.holdMs * intent.earlierPpm) / 1_000_000);
        return {
          type: 'pay',
          id,
          member: this.memberAt(intent.member),
          merchant: this.merchantAt(intent.merchant),
          amount: cents(BigInt(intent.cents)),
          paidAtMs: this.clockMs - earlierMs + intent.skewMs,
        };
      }
      case 'refund':
        return {
          type: 'refund',
          id,
          order: this.orderFor(intent.target, intent.pick),
          refundedAtMs: this.clockMs,
          actor: 'support_1',
        };
      case 'settle': {
        const target =
          intent.target === 'next'
            ? (this.nextPending()?.command.id ?? this.orderFor('paid', intent.pick))
            : this.orderFor(intent.target, intent.pick);
        return { type: 'settle', order: target, nowMs: this.clockMs };
      }
      case 'tick':
        this.clockMs += Math.floor((this.holdMs * intent.sharePpm) / 1_000_000) + intent.extraMs;
        return { type: 'settle', order: this.nextPending()?.command.id ?? 'ord_none', nowMs: this.clockMs };
      case 'sell': {
        const holders = this.memberIds.filter(
          (member) => (memberView(this.state, member)?.points ?? 0n) > 0n,
        );
        const member =
          holders.length > 0
            ? (holders[intent.member % holders.length] as string)
            : this.memberAt(intent.member);
        const points =
          ((memberView(this.state, member)?.points ?? 0n) * BigInt(intent.sharePpm)) / 1_000_000n;
        return { type: 'sell', id, member, points: micros(points) };
      }
      case 'inject':
        return { type: 'inject', id, amount: cents(BigInt(intent.cents)), actor: 'admin_1' };
      case 'withdraw': {
        const funded = this.memberIds.filter((member) => (memberView(this.state, member)?.wallet ?? 0n) > 0n);
        const member =
          intent.fromWallet && funded.length > 0
            ? (funded[intent.member % funded.length] as string)
            : this.memberAt(intent.member);
        const wallet = memberView(this.state, member)?.wallet ?? 0n;
        const amount = (wallet * BigInt(intent.sharePpm)) / 1_000_000n;
        return { type: 'requestWithdrawal', id, member, amount: cents(amount), requestedAtMs: this.clockMs };
      }
      case 'review':
        return this.reviewFor(intent, id);
      case 'bind':
        return {
          type: 'bindReferrer',
          member: this.memberAt(intent.member),
          referrer: this.memberAt(intent.referrer),
        };
      case 'repeat':
        return this.repeated(intent.pick, id);
      case 'reuse':
        return { type: 'inject', id: this.reusedId(intent.pick, id), amount: cents(BigInt(intent.cents)) };
      default: {
        const unreachable: never = intent;
        return unreachable;
      }
    }
  }

  private reviewFor(intent: LifecycleIntent & { kind: 'review' }, id: string): ReviewWithdrawal {
    const all = [...this.withdrawals.entries()];
    const open = all.filter(
      ([, withdrawal]) => withdrawal.status === 'requested' || withdrawal.status === 'approved',
    );
    const candidates = intent.decision === 'next' && open.length > 0 ? open : all;
    const picked =
      candidates.length === 0 || intent.pick % 10 === 0
        ? undefined
        : candidates[intent.pick % candidates.length];
    const decision =
      intent.decision !== 'next' ? intent.decision : picked?.[1].status === 'approved' ? 'paid' : 'approve';
    return {
      type: 'reviewWithdrawal',
      id,
      withdrawal: picked?.[0] ?? 'wdr_ghost',
      decision,
      note: intent.withNote ? 'checked by finance' : '',
      actor: 'finance_1',
      atMs: this.clockMs,
    };
  }

  /** Mostly a listed merchant, now and then one that is not. */
  private merchantAt(pick: number): string {
    return pickId(this.merchantIds, pick, 'mch_ghost');
  }

  /** A pending order, any paid order, or an id that is not a paid order (unknown, or an immediate order). */
  private orderFor(target: 'pending' | 'paid' | 'unknown', pick: number): string {
    const paid = [...this.pays.values()];
    const pool =
      target === 'pending'
        ? paid.filter((entry) => entry.status === 'pending')
        : target === 'paid'
          ? paid
          : [];
    if (pool.length > 0) return (pool[pick % pool.length] as ModelPay).command.id;
    const orders = this.sent.filter((command) => command.type === 'order');
    return pick % 2 === 0 || orders.length === 0
      ? 'ord_ghost'
      : (orders[pick % orders.length] as IdentifiedCommand).id;
  }
}

export const describeCommand = (command: Command): string =>
  JSON.stringify(command, (_key, value) => (typeof value === 'bigint' ? `${value}n` : value));
