// The operator's reports as a read model (a projection, fed every event in log order like the
// others in service.ts): per-day figures in the operator's time zone (orders and volume, the
// distribution budget against the rewards paid, refunds, forced exits), all-time totals, rewards by
// kind, merchants' sales and the top referrers. Memory grows with days, merchants and a bounded set
// of referrers, never with orders: exports read the log itself (http/reports.ts), and each day
// remembers the span of log positions of its events so that an export reads only that span.
import { parseConfig } from '../domain/config.ts';
import type { Event, IdentifiedCommand, Order, Pay } from '../domain/messages.ts';
import type { State } from '../domain/state.ts';
import { applyRate, type Cents, cents, formatCents, type Ppm } from '../domain/units.ts';
import type { Projection } from './projections.ts';

export const dayMs = 24 * 3600 * 1000;
/** Days kept (about ten years); past it the oldest day is dropped and exports of it scan the whole log. */
export const daysKeptMax = 3_660;
/** Referrers tracked for the top list; past it the lower half is dropped and the list is marked approximate. */
export const referrersTrackedMax = 10_000;
/** The operator's offset from UTC when POOLPOINT_UTC_OFFSET is not set: China Standard Time. */
export const defaultUtcOffset = '+08:00';
const utcOffsetMinutesMax = 14 * 60;

/** "+08:00" → 480; throws on anything else, naming the setting. */
export function parseUtcOffset(text: string): number {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  const minutes = match === null ? Number.NaN : Number(match[2]) * 60 + Number(match[3]);
  if (match === null || Number(match[3]) >= 60 || minutes > utcOffsetMinutesMax) {
    throw new Error(`POOLPOINT_UTC_OFFSET: "${text}" is not an offset like +08:00 (at most ±14:00)`);
  }
  return match[1] === '-' ? -minutes : minutes;
}

export function formatUtcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const size = Math.abs(minutes);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${sign}${pad(Math.floor(size / 60))}:${pad(size % 60)}`;
}

/** The operator's time zone as a fixed offset (China has no daylight saving time). */
export const operatorUtcOffsetMinutes = (): number =>
  parseUtcOffset(process.env.POOLPOINT_UTC_OFFSET ?? defaultUtcOffset);

/**
 * When an event happened for the reports: the time carried in its command where there is one (a
 * paid order's payment, a settlement's run, a refund, a withdrawal's request or review), else when
 * the log recorded it. Reports and exports date every event by this one function.
 */
export function eventTimeMs(event: Event, recordedAtMs: number): number {
  switch (event.type) {
    case 'OrderPaid':
      return event.command.paidAtMs;
    case 'PaidOrderSettled':
      return event.command.nowMs;
    case 'OrderRefunded':
      return event.command.refundedAtMs;
    case 'WithdrawalRequested':
      return event.command.requestedAtMs;
    case 'WithdrawalReviewed':
      return event.command.atMs;
    default:
      return recordedAtMs;
  }
}

/** The order a settlement or refund is about (a paid order's `pay`, or an immediate `order`). */
export function orderOf(state: State, id: string): Order | Pay | undefined {
  const command: IdentifiedCommand | undefined = state.processed(id);
  return command?.type === 'pay' || command?.type === 'order' ? command : undefined;
}

export interface DayTally {
  ordersPaid: number;
  volumePaid: Cents;
  ordersSettled: number;
  volumeSettled: Cents;
  commission: Cents;
  inflow: Cents;
  /** The distribution budget of the orders settled (SPEC.md step 3), and what rewards took of it. */
  budget: Cents;
  rewardsPaid: Cents;
  refunds: number;
  refundedAmount: Cents;
  forcedExits: number;
  /**
   * The programs (docs/rules.md): coins granted; coins redeemed by the orders settled (the platform
   * funds them in cash); the dividend parts of the orders settled; dividends paid out; locked cash
   * released to wallets. All zero while the programs are off.
   */
  coinsGranted: Cents;
  coinsRedeemed: Cents;
  dividendAccrued: Cents;
  dividendsPaid: Cents;
  lockedCashReleased: Cents;
  /** The first and last log positions of events dated this day. */
  firstSequence: number;
  lastSequence: number;
}

/** A day with nothing yet, first seen at log position `sequence`. */
export const emptyTally = (sequence: number): DayTally => ({
  ordersPaid: 0,
  volumePaid: cents(0n),
  ordersSettled: 0,
  volumeSettled: cents(0n),
  commission: cents(0n),
  inflow: cents(0n),
  budget: cents(0n),
  rewardsPaid: cents(0n),
  refunds: 0,
  refundedAmount: cents(0n),
  forcedExits: 0,
  coinsGranted: cents(0n),
  coinsRedeemed: cents(0n),
  dividendAccrued: cents(0n),
  dividendsPaid: cents(0n),
  lockedCashReleased: cents(0n),
  firstSequence: sequence,
  lastSequence: sequence,
});

const tallyFigures = [
  'ordersPaid',
  'volumePaid',
  'ordersSettled',
  'volumeSettled',
  'commission',
  'inflow',
  'budget',
  'rewardsPaid',
  'refunds',
  'refundedAmount',
  'forcedExits',
  'coinsGranted',
  'coinsRedeemed',
  'dividendAccrued',
  'dividendsPaid',
  'lockedCashReleased',
] as const;

/** A tally's figures as the API prints them: counts as numbers, money as decimal strings. */
export function tallyView(tally: DayTally): Record<(typeof tallyFigures)[number], number | string> {
  const view = {} as Record<(typeof tallyFigures)[number], number | string>;
  for (const key of tallyFigures) {
    const value = tally[key];
    view[key] = typeof value === 'number' ? value : formatCents(value);
  }
  return view;
}

/** Adds `part`'s figures into `sum` (positions are not summed). */
export function addTally(sum: DayTally, part: DayTally): void {
  for (const key of tallyFigures) {
    const value = part[key];
    if (typeof value === 'number') (sum[key] as number) += value;
    else (sum[key] as Cents) = cents((sum[key] as Cents) + value);
  }
}

export interface ReferrerTally {
  direct: Cents;
  indirect: Cents;
  /** Members bound to this referrer (at sign-up, by share link, or by a store's QR code). */
  referred: number;
}

export interface MerchantTally {
  ordersSettled: number;
  volumeSettled: Cents;
  commission: Cents;
}

const referralRewards = (tally: ReferrerTally): bigint => tally.direct + tally.indirect;

export class Reports implements Projection {
  /** Day number (days since 1970-01-01 in the operator's zone) → its figures. */
  private readonly days = new Map<number, DayTally>();
  /** Days at or before this one were dropped (daysKeptMax): their log spans are unknown. */
  private droppedThroughDay = Number.NEGATIVE_INFINITY;
  /** The first log position seen; an export cannot trust day spans for positions before it. */
  private firstSequenceSeen: number | null = null;
  readonly totals = emptyTally(0);
  readonly rewardsByKind = new Map<string, Cents>();
  /**
   * The distribution share in force, from the configuration events: fed live, the state may already
   * hold a later configuration of the same batch (projections.ts), so it is not read from there.
   */
  private distributionShare: Ppm = parseConfig({}).distributionShare;
  readonly merchants = new Map<string, MerchantTally>();
  private readonly referrers = new Map<string, ReferrerTally>();
  /** True once referrers were dropped: the top list is then a lower bound, not exact. */
  referrersApproximate = false;

  constructor(readonly utcOffsetMinutes: number = operatorUtcOffsetMinutes()) {}

  get utcOffset(): string {
    return formatUtcOffset(this.utcOffsetMinutes);
  }

  /** The day number of a moment in the operator's zone. */
  dayOf(atMs: number): number {
    return Math.floor((atMs + this.utcOffsetMinutes * 60_000) / dayMs);
  }

  /** The moment a day starts (inclusive), in milliseconds since the epoch. */
  dayStartMs(day: number): number {
    return day * dayMs - this.utcOffsetMinutes * 60_000;
  }

  day(day: number): DayTally | undefined {
    return this.days.get(day);
  }

  /** Referrers by referral rewards (direct + indirect), then by members referred; at most `limit`. */
  topReferrers(limit: number): { member: string; tally: ReferrerTally }[] {
    return [...this.referrers.entries()]
      .sort(([, left], [, right]) => compareReferrers(right, left))
      .slice(0, limit)
      .map(([member, tally]) => ({ member, tally }));
  }

  /**
   * The log positions an export of days `fromDay`..`toDay` must read, or null when no event is dated
   * in them. When some of those days are not known by their spans, from the start of the log.
   */
  exportSpan(fromDay: number, toDay: number): { first: number; last: number } | null {
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const [day, tally] of this.days) {
      if (day < fromDay || day > toDay) continue;
      first = Math.min(first, tally.firstSequence);
      last = Math.max(last, tally.lastSequence);
    }
    const unknownBefore = this.firstSequenceSeen === null ? 1 : this.firstSequenceSeen;
    if (fromDay <= this.droppedThroughDay || unknownBefore > 1) {
      // Dropped days, or events before this process first saw the log: their spans are unknown.
      return { first: 1, last: Number.MAX_SAFE_INTEGER };
    }
    return last === 0 ? null : { first, last };
  }

  /** Called after the event has been applied to the state; reads from it only a command's content. */
  record(event: Event, sequence: number, recordedAtMs: number, state: State): void {
    this.firstSequenceSeen ??= sequence;
    switch (event.type) {
      case 'OrderPaid': {
        const tally = this.tallyAt(eventTimeMs(event, recordedAtMs), sequence);
        this.paid(tally, event.command.amount);
        break;
      }
      case 'OrderSettled':
      case 'PaidOrderSettled':
        this.settled(event, sequence, recordedAtMs, state);
        break;
      case 'OrderRefunded': {
        const order = orderOf(state, event.command.order);
        const tally = this.tallyAt(eventTimeMs(event, recordedAtMs), sequence);
        for (const sum of [tally, this.totals]) {
          sum.refunds += 1;
          sum.refundedAmount = cents(sum.refundedAmount + (order?.amount ?? 0n));
        }
        break;
      }
      case 'MemberForcedOut': {
        const tally = this.tallyAt(recordedAtMs, sequence);
        tally.forcedExits += 1;
        this.totals.forcedExits += 1;
        break;
      }
      case 'WithdrawalRequested':
      case 'WithdrawalReviewed':
        // Dated for the withdrawal export; the wallet totals come from the state.
        this.tallyAt(eventTimeMs(event, recordedAtMs), sequence);
        break;
      case 'CoinsGranted':
        this.addFigure('coinsGranted', event.command.coins, recordedAtMs, sequence);
        break;
      case 'DividendsSettled': {
        let paid = 0n;
        for (const payment of event.payments) paid += payment.amount;
        this.addFigure('dividendsPaid', cents(paid), recordedAtMs, sequence);
        break;
      }
      case 'LockedReleased':
        this.addFigure('lockedCashReleased', event.cash, recordedAtMs, sequence);
        break;
      case 'MemberRegistered':
        if (event.command.referrer !== null) this.referrer(event.command.referrer).referred += 1;
        break;
      case 'ReferrerBound':
        this.referrer(event.command.referrer).referred += 1;
        break;
      case 'ConfigChanged':
        this.distributionShare = parseConfig(event.config).distributionShare;
        break;
      default:
        break;
    }
  }

  /** Adds a program's figure to the day of `atMs` and to the totals. */
  private addFigure(
    figure: 'coinsGranted' | 'dividendsPaid' | 'lockedCashReleased',
    amount: Cents,
    atMs: number,
    sequence: number,
  ): void {
    const tally = this.tallyAt(atMs, sequence);
    for (const sum of [tally, this.totals]) sum[figure] = cents(sum[figure] + amount);
  }

  private paid(tally: DayTally, amount: Cents): void {
    for (const sum of [tally, this.totals]) {
      sum.ordersPaid += 1;
      sum.volumePaid = cents(sum.volumePaid + amount);
    }
  }

  private settled(
    event: Extract<Event, { type: 'OrderSettled' | 'PaidOrderSettled' }>,
    sequence: number,
    recordedAtMs: number,
    state: State,
  ): void {
    const order = event.type === 'OrderSettled' ? event.command : orderOf(state, event.command.order);
    if (order === undefined) return;
    const tally = this.tallyAt(eventTimeMs(event, recordedAtMs), sequence);
    // An immediate order (a SPEC.md scenario's) is paid and settled at once.
    if (event.type === 'OrderSettled') this.paid(tally, order.amount);
    const budget = applyRate(event.commission, this.distributionShare);
    let rewards = 0n;
    for (const reward of event.rewards) {
      rewards += reward.amount;
      this.rewardsByKind.set(reward.kind, cents((this.rewardsByKind.get(reward.kind) ?? 0n) + reward.amount));
      if (reward.kind === 'direct' || reward.kind === 'indirect') {
        const referrer = this.referrer(reward.member);
        referrer[reward.kind] = cents(referrer[reward.kind] + reward.amount);
      }
    }
    for (const sum of [tally, this.totals]) {
      sum.ordersSettled += 1;
      sum.volumeSettled = cents(sum.volumeSettled + order.amount);
      sum.commission = cents(sum.commission + event.commission);
      sum.inflow = cents(sum.inflow + event.inflow);
      sum.budget = cents(sum.budget + budget);
      sum.rewardsPaid = cents(sum.rewardsPaid + rewards);
      sum.coinsRedeemed = cents(sum.coinsRedeemed + (order.coins ?? 0n));
      sum.dividendAccrued = cents(sum.dividendAccrued + (event.dividend ?? 0n));
    }
    const merchant = this.merchants.get(order.merchant) ?? {
      ordersSettled: 0,
      volumeSettled: cents(0n),
      commission: cents(0n),
    };
    merchant.ordersSettled += 1;
    merchant.volumeSettled = cents(merchant.volumeSettled + order.amount);
    merchant.commission = cents(merchant.commission + event.commission);
    this.merchants.set(order.merchant, merchant);
    if (event.bound !== null) this.referrer(event.bound).referred += 1;
  }

  private referrer(member: string): ReferrerTally {
    let tally = this.referrers.get(member);
    if (tally === undefined) {
      if (this.referrers.size >= referrersTrackedMax) this.dropLowerReferrers();
      tally = { direct: cents(0n), indirect: cents(0n), referred: 0 };
      this.referrers.set(member, tally);
    }
    return tally;
  }

  /** Keeps the upper half: one sort per referrersTrackedMax / 2 new referrers. */
  private dropLowerReferrers(): void {
    const kept = this.topReferrers(Math.floor(referrersTrackedMax / 2));
    this.referrers.clear();
    for (const { member, tally } of kept) this.referrers.set(member, tally);
    this.referrersApproximate = true;
  }

  private tallyAt(atMs: number, sequence: number): DayTally {
    const day = this.dayOf(atMs);
    let tally = this.days.get(day);
    if (tally === undefined) {
      tally = emptyTally(sequence);
      this.days.set(day, tally);
      if (this.days.size > daysKeptMax) this.dropOldestDay();
    }
    tally.firstSequence = Math.min(tally.firstSequence, sequence);
    tally.lastSequence = Math.max(tally.lastSequence, sequence);
    return tally;
  }

  private dropOldestDay(): void {
    const oldest = Math.min(...this.days.keys());
    this.days.delete(oldest);
    this.droppedThroughDay = Math.max(this.droppedThroughDay, oldest);
  }
}

function compareReferrers(left: ReferrerTally, right: ReferrerTally): number {
  const difference = referralRewards(left) - referralRewards(right);
  if (difference !== 0n) return difference > 0n ? 1 : -1;
  return left.referred - right.referred;
}
