// Random streams with every program of docs/rules.md "Shareholder dividends" and "Legacy conversion"
// switched on, mixed with SPEC.md's orders, sales and injections and the lifecycle's paid orders,
// refunds, settlements and withdrawals. An intent becomes a command only when it is sent, against
// the state of that moment (a sale takes a share of the free points then), so a stream stays
// meaningful while fast-check shrinks it. The stream counts, from the accepted commands alone, the
// cash received and the coins granted, pending and redeemed, independently of the engine's totals.
import fc from 'fast-check';
import type { ConfigInput } from '../../src/domain/config.ts';
import { formatDay } from '../../src/domain/days.ts';
import { execute, type Outcome } from '../../src/domain/engine.ts';
import type { Command, Pay, ReviewWithdrawal } from '../../src/domain/messages.ts';
import { cents, formatDecimal, micros } from '../../src/domain/units.ts';
import { memberView } from '../../src/domain/views.ts';
import {
  between,
  CommandStream,
  orderCents,
  type RepeatIntent,
  repeatIntentArbitrary,
  type StreamInput,
  streamInputArbitrary,
  streamStartMs,
  worldWith,
} from './command-streams.ts';
import type { World } from './streams.ts';

export type ProgramIntent =
  /** `coinsPpm` of the amount in coins, cut to the buyer's balance when `withinBalance`. */
  | {
      kind: 'order';
      member: number;
      merchant: number;
      cents: number;
      coinsPpm: number;
      withinBalance: boolean;
    }
  | {
      kind: 'pay';
      member: number;
      merchant: number;
      cents: number;
      coinsPpm: number;
      withinBalance: boolean;
      earlierPpm: number;
    }
  | { kind: 'settle' }
  | { kind: 'tick'; sharePpm: number }
  | { kind: 'refund'; pick: number }
  /** A share of the free points; `overFree` asks for more than the free points (locked ones too). */
  | { kind: 'sell'; member: number; sharePpm: number; overFree: boolean }
  | { kind: 'inject'; cents: number }
  | { kind: 'grant'; member: number; cents: number }
  | { kind: 'shareholder'; member: number; weight: number }
  /** 0 days: the same day again (refused once a day was settled). */
  | { kind: 'dividends'; advanceDays: number }
  | { kind: 'release'; advanceDays: number }
  | { kind: 'withdraw'; member: number; sharePpm: number }
  | { kind: 'review'; pick: number }
  | { kind: 'configure'; sharePpm: number; releaseDays: number }
  | RepeatIntent;

export type ProgramStreamInput = StreamInput<ProgramIntent>;

const ppmText = (value: number): string => formatDecimal(BigInt(value), 6);

/** Everything on: a dividend share, legacy conversion with short schedules, a short hold window. */
const programConfig: fc.Arbitrary<ConfigInput> = fc.record({
  holdWindowSeconds: fc.constantFrom('0', '60', '3600'),
  withdrawalMinimum: fc.constant('0.01'),
  withdrawalFeeRate: fc.oneof(fc.constant('0'), between(0, 100_000).map(ppmText)),
  dividends: fc.record({ share: fc.oneof(fc.constant('0.3'), between(1, 1_000_000).map(ppmText)) }),
  legacy: fc.record({ enabled: fc.constant(true), releaseDays: between(1, 5).map(String) }),
});

export const programWorldArbitrary: fc.Arbitrary<World> = worldWith(programConfig);

/** Mostly no coins or all coins; else a share; now and then more than the order (refused). */
const coinsPpm = fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: fc.constant(1_000_000), weight: 2 },
  { arbitrary: between(1, 1_000_000), weight: 4 },
  { arbitrary: between(1_000_001, 1_500_000), weight: 1 },
);
const person = fc.nat();
const withinBalance = fc.oneof(
  { arbitrary: fc.constant(true), weight: 4 },
  { arbitrary: fc.constant(false), weight: 1 },
);

export const programIntentArbitrary: fc.Arbitrary<ProgramIntent> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      member: person,
      merchant: person,
      cents: orderCents,
      coinsPpm,
      withinBalance,
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      member: person,
      merchant: person,
      cents: orderCents,
      coinsPpm,
      withinBalance,
      earlierPpm: fc.oneof(fc.constant(0), between(0, 1_500_000)),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('settle' as const) }), weight: 4 },
  {
    arbitrary: fc.record({ kind: fc.constant('tick' as const), sharePpm: between(0, 2_000_000) }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('refund' as const), pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('sell' as const),
      member: person,
      sharePpm: fc.oneof(fc.constant(1_000_000), between(1, 1_000_000)),
      overFree: fc.oneof(
        { arbitrary: fc.constant(false), weight: 4 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('inject' as const),
      cents: fc.oneof(
        { arbitrary: between(1, 20_000), weight: 3 },
        { arbitrary: between(20_000, 500_000), weight: 1 },
      ),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('grant' as const), member: person, cents: orderCents }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('shareholder' as const),
      member: person,
      weight: between(0, 5),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('dividends' as const),
      advanceDays: fc.constantFrom(0, 1, 1, 1, 2),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('release' as const),
      advanceDays: fc.constantFrom(0, 1, 1, 1, 2),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      member: person,
      sharePpm: fc.oneof(between(1, 1_000_000), fc.constant(1_000_000), between(1_000_001, 1_200_000)),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('review' as const), pick: fc.nat() }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('configure' as const),
      sharePpm: fc.constantFrom(0, 250_000, 1_000_000),
      releaseDays: between(1, 4),
    }),
    weight: 1,
  },
  { arbitrary: repeatIntentArbitrary, weight: 3 },
);

export const programStreamArbitrary: fc.Arbitrary<ProgramStreamInput> = streamInputArbitrary(
  programWorldArbitrary,
  programIntentArbitrary,
);

/** Days are counted from the stream's first day, 2025-01-01. */
const startDay = streamStartMs / 86_400_000;

interface PendingPay {
  readonly command: Pay;
}

export class ProgramStream extends CommandStream {
  dividendDay = startDay;
  releaseDay = startDay;
  /** Counted here from the accepted commands: cash received, coins granted and redeemed. */
  received = 0n;
  granted = 0n;
  redeemed = 0n;
  /** Paid orders not yet settled or refunded, in paid order (ties: arrival), as the engine settles them. */
  readonly pending: PendingPay[] = [];

  /** Σ coins of the paid orders still pending. */
  coinsPending(): bigint {
    return this.pending.reduce((total, { command }) => total + (command.coins ?? 0n), 0n);
  }

  send(intent: ProgramIntent): { command: Command; outcome: Outcome } {
    const command = this.resolve(intent);
    this.sent.push(command);
    const outcome = execute(this.state, command);
    if (outcome.kind === 'accepted') this.record(command);
    return { command, outcome };
  }

  private record(command: Command): void {
    switch (command.type) {
      case 'order':
        this.received += command.amount - (command.coins ?? 0n);
        this.redeemed += command.coins ?? 0n;
        break;
      case 'inject':
        this.received += command.amount;
        break;
      case 'grantCoins':
        this.granted += command.coins;
        break;
      case 'pay': {
        let index = this.pending.length;
        while (index > 0 && (this.pending[index - 1] as PendingPay).command.paidAtMs > command.paidAtMs)
          index -= 1;
        this.pending.splice(index, 0, { command });
        break;
      }
      case 'refund':
      case 'settle': {
        const index = this.pending.findIndex((pending) => pending.command.id === command.order);
        const [removed] = this.pending.splice(index, 1);
        if (removed === undefined)
          throw new Error(`${command.type} of ${command.order}, which the stream did not know pending`);
        if (command.type === 'settle') {
          this.received += removed.command.amount - (removed.command.coins ?? 0n);
          this.redeemed += removed.command.coins ?? 0n;
        }
        break;
      }
      default:
        break;
    }
  }

  resolve(intent: ProgramIntent): Command {
    const id = `cmd_${this.sent.length}`;
    switch (intent.kind) {
      case 'order':
      case 'pay': {
        // Paying in coins: mostly a member who has some.
        const holders = this.memberIds.filter((member) => this.coinsOf(member) > 0n);
        const member =
          intent.coinsPpm > 0 && holders.length > 0 && intent.member % 8 !== 0
            ? (holders[intent.member % holders.length] as string)
            : this.memberAt(intent.member);
        const amount = BigInt(intent.cents);
        let share = (amount * BigInt(intent.coinsPpm)) / 1_000_000n;
        if (intent.withinBalance && share > this.coinsOf(member)) share = this.coinsOf(member);
        const coins = intent.coinsPpm === 0 ? undefined : cents(share);
        const base = { id, member, merchant: this.merchantAt(intent.merchant), amount: cents(amount) };
        const withCoins = coins === undefined ? base : { ...base, coins };
        if (intent.kind === 'order') return { type: 'order', ...withCoins };
        const earlierMs = Math.floor((this.holdMs * intent.earlierPpm) / 1_000_000);
        return { type: 'pay', ...withCoins, paidAtMs: Math.max(0, this.clockMs - earlierMs) };
      }
      case 'settle':
        return { type: 'settle', order: this.pending[0]?.command.id ?? 'ord_none', nowMs: this.clockMs };
      case 'tick':
        this.clockMs += Math.floor((this.holdMs * intent.sharePpm) / 1_000_000) + 1;
        return { type: 'settle', order: this.pending[0]?.command.id ?? 'ord_none', nowMs: this.clockMs };
      case 'refund': {
        const target = this.pending[intent.pick % Math.max(1, this.pending.length)]?.command.id ?? 'ord_none';
        return { type: 'refund', id, order: target, refundedAtMs: this.clockMs };
      }
      case 'sell':
        return this.sellFor(intent, id);
      case 'inject':
        return { type: 'inject', id, amount: cents(BigInt(intent.cents)) };
      case 'grant':
        return {
          type: 'grantCoins',
          id,
          member: this.memberAt(intent.member),
          coins: cents(BigInt(intent.cents)),
          reason: 'old balance',
          actor: 'admin_1',
        };
      case 'shareholder':
        return {
          type: 'setShareholder',
          id,
          member: this.memberAt(intent.member),
          weight: BigInt(intent.weight),
        };
      case 'dividends':
        this.dividendDay += intent.advanceDays;
        return { type: 'settleDividends', id, day: formatDay(this.dividendDay), actor: 'scheduler' };
      case 'release':
        this.releaseDay += intent.advanceDays;
        return { type: 'releaseLocked', id, day: formatDay(this.releaseDay) };
      case 'withdraw': {
        const funded = this.memberIds.filter((member) => (memberView(this.state, member)?.wallet ?? 0n) > 0n);
        const member =
          funded.length > 0
            ? (funded[intent.member % funded.length] as string)
            : this.memberAt(intent.member);
        const wallet = memberView(this.state, member)?.wallet ?? 0n;
        const amount = cents((wallet * BigInt(intent.sharePpm)) / 1_000_000n);
        return { type: 'requestWithdrawal', id, member, amount, requestedAtMs: this.clockMs };
      }
      case 'review':
        return this.reviewFor(intent.pick, id);
      case 'configure':
        return {
          type: 'configure',
          config: {
            ...this.world.config,
            dividends: { share: ppmText(intent.sharePpm) },
            legacy: { enabled: true, releaseDays: String(intent.releaseDays) },
          },
        };
      case 'repeat':
        return this.repeated(intent.pick, id);
      case 'reuse':
        return {
          type: 'grantCoins',
          id: this.reusedId(intent.pick, id),
          member: this.memberAt(intent.pick),
          coins: cents(BigInt(intent.cents)),
          reason: 'reuse',
          actor: 'admin_1',
        };
      default: {
        const unreachable: never = intent;
        return unreachable;
      }
    }
  }

  private coinsOf(member: string): bigint {
    const index = this.state.members.indexOf(member);
    return index === -1 ? 0n : this.state.legacy.coins(index);
  }

  /** Free and locked points of a member (0 for an unknown one). */
  private holdingsOf(member: string): { free: bigint; locked: bigint } {
    const index = this.state.members.indexOf(member);
    if (index === -1) return { free: 0n, locked: 0n };
    const locked = this.state.legacy.lockedPoints(index);
    return { free: this.state.members.points(index) - locked, locked };
  }

  /** From a member with free points, or (asking for more than the free points) one with locked points. */
  private sellFor(intent: ProgramIntent & { kind: 'sell' }, id: string): Command {
    const holders = this.memberIds.filter((member) => {
      const { free, locked } = this.holdingsOf(member);
      return intent.overFree ? locked > 0n : free > 0n;
    });
    const member =
      holders.length > 0 ? (holders[intent.member % holders.length] as string) : this.memberAt(intent.member);
    const { free, locked } = this.holdingsOf(member);
    const share = (free * BigInt(intent.sharePpm)) / 1_000_000n;
    const asked =
      intent.overFree && locked > 0n ? free + 1n + (locked * BigInt(intent.sharePpm)) / 2_000_000n : share;
    return { type: 'sell', id, member, points: micros(asked) };
  }

  private reviewFor(pick: number, id: string): ReviewWithdrawal {
    const open = [...this.state.withdrawals.values()].filter(
      (withdrawal) => withdrawal.status === 'requested' || withdrawal.status === 'approved',
    );
    const picked = open[pick % Math.max(1, open.length)];
    const decision = picked?.status === 'approved' ? (pick % 5 === 0 ? 'reject' : 'paid') : 'approve';
    return {
      type: 'reviewWithdrawal',
      id,
      withdrawal: picked?.id ?? 'wdr_ghost',
      decision,
      note: 'checked',
      actor: 'finance_1',
      atMs: this.clockMs,
    };
  }

  /** Always a listed merchant (the lifecycle stream now and then names an unknown one). */
  private merchantAt(pick: number): string {
    return this.merchantIds[pick % this.merchantIds.length] as string;
  }
}
