// Legacy conversion (老会员转化, docs/rules.md "Legacy conversion"): an operator's old member
// liabilities become consumption coins (消费币) that pay for orders and can never be sold,
// transferred or withdrawn; the points an order mints for its coin part are locked and released in
// equal daily batches (分批释放). Locked points are points (they count in the supply and the price,
// and in a cycle's holdings); they cannot be sold. At a forced exit they are sold with the rest, and
// the proceeds of the locked part stay locked, as cash, on the same schedule.
//
// The per-member figures live in columns of their own, allocated on the first grant: with the
// program unused, no member row grows and no order pays for it.
import { ConfigError } from './config-error.ts';
import { formatDay, parseDay, storedDay } from './days.ts';
import { type MemberIndex, NOBODY, Slot } from './members.ts';
import type { CoinsGranted, GrantCoins, LockedReleased, MemberForcedOut, ReleaseLocked } from './messages.ts';
import { type Rejection, rejection } from './messages.ts';
import type { State } from './state.ts';
import {
  AMOUNT_MAX,
  assert,
  type Cents,
  cents,
  checkedInt64,
  formatCents,
  formatMicros,
  type Micros,
  micros,
  parseDecimal,
  ZERO_CENTS,
  ZERO_MICROS,
} from './units.ts';

/** The longest release schedule a configuration may ask for: ten years of daily batches. */
export const releaseDaysMax = 3_660;

export interface LegacyConfig {
  /** Whether coins may be granted (imported). Coins already granted stay spendable when it is off. */
  readonly enabled: boolean;
  /** Points locked by an order are released in this many equal daily batches. */
  readonly releaseDays: number;
}
export interface LegacyConfigInput {
  enabled?: boolean;
  releaseDays?: string;
}

export const defaultLegacyConfig: LegacyConfig = { enabled: false, releaseDays: 30 };

export function parseLegacyConfig(raw: unknown): LegacyConfig {
  if (raw === undefined) return defaultLegacyConfig;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('legacy', 'expected an object');
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'enabled' && key !== 'releaseDays') throw new ConfigError(`legacy.${key}`, 'unknown key');
  }
  const input = raw as LegacyConfigInput;
  const enabled = input.enabled === undefined ? defaultLegacyConfig.enabled : input.enabled;
  if (typeof enabled !== 'boolean') throw new ConfigError('legacy.enabled', 'must be true or false');
  let releaseDays = defaultLegacyConfig.releaseDays;
  if (input.releaseDays !== undefined) {
    const parsed = parseDecimal(input.releaseDays, 0);
    if (!parsed.ok) throw new ConfigError('legacy.releaseDays', parsed.message);
    if (parsed.value < 1n || parsed.value > BigInt(releaseDaysMax)) {
      throw new ConfigError(
        'legacy.releaseDays',
        `must be a whole number of days from 1 to ${releaseDaysMax}`,
      );
    }
    releaseDays = Number(parsed.value);
  }
  return { enabled, releaseDays };
}

/** The plain form, or nothing at the default (so a configuration without it formats as before). */
export function formatLegacyConfig(config: LegacyConfig): { legacy?: LegacyConfigInput } {
  if (
    config.enabled === defaultLegacyConfig.enabled &&
    config.releaseDays === defaultLegacyConfig.releaseDays
  ) {
    return {};
  }
  return { legacy: { enabled: config.enabled, releaseDays: String(config.releaseDays) } };
}

/**
 * A lot: what one member had locked between two release runs, released in `days` equal batches:
 * batch j (1..days) is `floor(amount × j / days) − floor(amount × (j − 1) / days)`, due on day
 * `firstDay + j − 1`. `firstDay` is null until the first release run after the lot was locked.
 */
export interface Lot {
  kind: 'points' | 'cash';
  amount: bigint;
  days: number;
  firstDay: number | null;
  /** Batches released so far. */
  released: number;
}

const Column = { Coins: 0, LockedPoints: 1, LockedCash: 2 } as const;
type Column = (typeof Column)[keyof typeof Column];
const COLUMNS = 3;

export class LegacyBook {
  /** Coins, locked points and locked cash per member, allocated on first use. */
  private columns: BigInt64Array | null = null;
  /** Σ coins granted, Σ coins redeemed by settled orders. */
  granted = ZERO_CENTS;
  redeemed = ZERO_CENTS;
  lockedPointsTotal = ZERO_MICROS;
  lockedCashTotal = ZERO_CENTS;
  /** The day number of the last release run, or null. */
  lastReleaseDay: number | null = null;
  /** Each member's lots not yet fully released, oldest first. */
  readonly lots = new Map<MemberIndex, Lot[]>();

  private get(member: MemberIndex, column: Column): bigint {
    const columns = this.columns;
    const at = member * COLUMNS + column;
    return columns === null || at >= columns.length ? 0n : (columns[at] as bigint);
  }

  private add(member: MemberIndex, column: Column, delta: bigint): void {
    const at = member * COLUMNS + column;
    if (this.columns === null || at >= this.columns.length) this.grow(member);
    const columns = this.columns as BigInt64Array;
    const value = checkedInt64((columns[at] as bigint) + delta, 'a legacy amount');
    assert(value >= 0n, 'coins, locked points and locked cash are never negative');
    columns[at] = value;
  }

  private grow(member: MemberIndex): void {
    const size = Math.max(1_024, (member + 1) * 2) * COLUMNS;
    const columns = new BigInt64Array(size);
    if (this.columns !== null) columns.set(this.columns);
    this.columns = columns;
  }

  coins(member: MemberIndex): Cents {
    return cents(this.get(member, Column.Coins));
  }
  lockedPoints(member: MemberIndex): Micros {
    return this.columns === null ? ZERO_MICROS : micros(this.get(member, Column.LockedPoints));
  }
  lockedCash(member: MemberIndex): Cents {
    return cents(this.get(member, Column.LockedCash));
  }

  addCoins(member: MemberIndex, delta: bigint): void {
    this.add(member, Column.Coins, delta);
  }

  /** Locks points just minted to `member`: they join its lot of points not yet started. */
  lock(member: MemberIndex, points: Micros, days: number): void {
    this.add(member, Column.LockedPoints, points);
    this.lockedPointsTotal = micros(this.lockedPointsTotal + points);
    const lots = this.lotsOf(member);
    const open = lots.find((lot) => lot.kind === 'points' && lot.firstDay === null && lot.days === days);
    if (open === undefined) lots.push({ kind: 'points', amount: points, days, firstDay: null, released: 0 });
    else open.amount += points;
  }

  private lotsOf(member: MemberIndex): Lot[] {
    let lots = this.lots.get(member);
    if (lots === undefined) {
      lots = [];
      this.lots.set(member, lots);
    }
    return lots;
  }

  /** Releases every batch due by `day` (`apply` false: only counts them). */
  release(state: State, day: number, apply: boolean): { points: Micros; cash: Cents } {
    let points = 0n;
    let cash = 0n;
    for (const [member, lots] of this.lots) {
      for (const lot of lots) {
        const due = batchesDue(lot, day);
        const amount = releasedBy(lot, due) - releasedBy(lot, lot.released);
        if (lot.kind === 'points') points += amount;
        else cash += amount;
        if (!apply) continue;
        lot.firstDay ??= day;
        lot.released = due;
        if (amount === 0n) continue;
        if (lot.kind === 'points') {
          this.add(member, Column.LockedPoints, -amount);
        } else {
          this.add(member, Column.LockedCash, -amount);
          state.members.add64(member, Slot.Wallet, amount);
        }
      }
      if (apply) {
        const left = lots.filter((lot) => lot.released < lot.days);
        if (left.length === 0) this.lots.delete(member);
        else this.lots.set(member, left);
      }
    }
    if (apply) {
      this.lockedPointsTotal = micros(this.lockedPointsTotal - points);
      this.lockedCashTotal = cents(this.lockedCashTotal - cash);
      this.lastReleaseDay = day;
    }
    return { points: micros(points), cash: cents(cash) };
  }

  /**
   * A forced exit sold all the member's points: each lot of locked points becomes a lot of locked
   * cash with the batches it had left, on the same days. The cash of lot i is
   * floor(lockedPayout × its points left / locked points); the last lot of points takes what the
   * floors leave, so the lots hold exactly `lockedPayout`.
   */
  convertAtExit(member: MemberIndex, lockedPayout: Cents): void {
    const locked = this.lockedPoints(member);
    const lots = this.lots.get(member) ?? [];
    let lastPoints = -1;
    for (const [index, lot] of lots.entries()) if (lot.kind === 'points') lastPoints = index;
    let pointsLeft = 0n;
    let cashLeft: bigint = lockedPayout;
    const converted: Lot[] = [];
    for (const [index, lot] of lots.entries()) {
      if (lot.kind === 'cash') {
        converted.push(lot);
        continue;
      }
      const remaining = lot.amount - releasedBy(lot, lot.released);
      pointsLeft += remaining;
      const cash = index === lastPoints ? cashLeft : (lockedPayout * remaining) / locked;
      cashLeft -= cash;
      if (cash === 0n) continue;
      converted.push({
        kind: 'cash',
        amount: cash,
        days: lot.days - lot.released,
        firstDay: lot.firstDay === null ? null : lot.firstDay + lot.released,
        released: 0,
      });
    }
    assert(pointsLeft === locked && cashLeft === 0n, 'the lots hold the locked points');
    this.add(member, Column.LockedPoints, -locked);
    this.lockedPointsTotal = micros(this.lockedPointsTotal - locked);
    this.add(member, Column.LockedCash, lockedPayout);
    this.lockedCashTotal = cents(this.lockedCashTotal + lockedPayout);
    if (converted.length === 0) this.lots.delete(member);
    else this.lots.set(member, converted);
  }

  /** Members with any coins, locked points or locked cash, with those figures. */
  *accounts(): Generator<readonly [MemberIndex, Cents, Micros, Cents]> {
    const columns = this.columns;
    if (columns === null) return;
    for (let member = 0; member * COLUMNS < columns.length; member += 1) {
      const coins = this.coins(member);
      const points = this.lockedPoints(member);
      const cash = this.lockedCash(member);
      if (coins !== 0n || points !== 0n || cash !== 0n) yield [member, coins, points, cash];
    }
  }

  isEmpty(): boolean {
    return (
      this.granted === 0n &&
      this.redeemed === 0n &&
      this.lastReleaseDay === null &&
      this.lots.size === 0 &&
      this.accounts().next().done === true
    );
  }

  /** Restores one member's figures (loading a snapshot into an empty book). */
  load(member: MemberIndex, coins: bigint, points: bigint, cash: bigint): void {
    this.add(member, Column.Coins, coins);
    this.add(member, Column.LockedPoints, points);
    this.add(member, Column.LockedCash, cash);
    this.lockedPointsTotal = micros(this.lockedPointsTotal + points);
    this.lockedCashTotal = cents(this.lockedCashTotal + cash);
  }
}

/** How many of a lot's batches are due by `day` (a lot not started starts on it). */
function batchesDue(lot: Lot, day: number): number {
  const first = lot.firstDay ?? day;
  return Math.min(lot.days, day - first + 1);
}

/** What a lot has released after `batches` batches: floor(amount × batches / days). */
const releasedBy = (lot: Lot, batches: number): bigint => (lot.amount * BigInt(batches)) / BigInt(lot.days);

/** The coin part of an order (`order` or `pay`), checked after its amount. */
export function checkCoins(state: State, buyer: MemberIndex, coins: Cents, amount: Cents): Rejection | null {
  if (coins < 0n) return rejection('invalid_amount', 'coins must not be negative');
  if (coins > amount) {
    return rejection(
      'invalid_amount',
      `coins ${formatCents(coins)} cannot exceed the order amount ${formatCents(amount)}`,
    );
  }
  const balance = state.legacy.coins(buyer);
  if (coins > balance) {
    return rejection(
      'insufficient_coins',
      `${state.members.id(buyer)} has ${formatCents(balance)} in consumption coins, less than ${formatCents(coins)}`,
    );
  }
  return null;
}

/** The points of an order's mint that are locked: floor(minted × coins / amount). */
export function lockedOf(minted: Micros, coins: Cents | undefined, amount: Cents): Micros {
  if (coins === undefined || coins === 0n) return ZERO_MICROS;
  return micros((minted * coins) / amount);
}

export function decideGrantCoins(state: State, command: GrantCoins): CoinsGranted | Rejection {
  if (!state.config.legacy.enabled) {
    return rejection(
      'legacy_off',
      'legacy conversion is off (config legacy.enabled): no coins can be granted',
    );
  }
  if (!state.members.has(command.member))
    return rejection('unknown_member', `${command.member} is not a member`);
  if (command.coins <= 0n) return rejection('invalid_amount', 'coins granted must be above zero');
  if (typeof command.reason !== 'string' || command.reason.trim() === '') {
    return rejection('malformed', 'a grant of coins needs a reason');
  }
  if (state.legacy.granted + command.coins > AMOUNT_MAX) {
    return rejection(
      'amount_too_large',
      `the coins would take the coins granted past the largest amount kept exactly (${formatCents(cents(AMOUNT_MAX))})`,
    );
  }
  return { type: 'CoinsGranted', command };
}

export function decideReleaseLocked(state: State, command: ReleaseLocked): LockedReleased | Rejection {
  const day = parseDay(command.day);
  if (day === null) {
    return rejection(
      'malformed',
      `day must be a date written YYYY-MM-DD, got ${JSON.stringify(command.day)}`,
    );
  }
  const last = state.legacy.lastReleaseDay;
  if (last !== null && day <= last) {
    return rejection(
      'day_released',
      `locked points are released up to ${formatDay(last)}: ${command.day} cannot be released again`,
    );
  }
  const { points, cash } = state.legacy.release(state, day, false);
  return { type: 'LockedReleased', command, points, cash };
}

/** A voluntary sale may sell only free points (held − locked). */
export function checkSellable(
  state: State,
  seller: MemberIndex,
  points: Micros,
  holdings: Micros,
): Rejection | null {
  const locked = state.legacy.lockedPoints(seller);
  if (locked === 0n || points <= holdings - locked) return null;
  return rejection(
    'points_locked',
    `${state.members.id(seller)} holds ${formatMicros(holdings)} points, of which ${formatMicros(locked)} are locked until released: at most ${formatMicros(micros(holdings - locked))} can be sold`,
  );
}

/**
 * The locked part of a forced exit's payout: payout − floor(payout × free / held). The member's
 * wallet gets only the free part; the floor keeps every crumb of the locked part locked.
 */
export function lockedExitPart(
  state: State,
  member: MemberIndex,
  points: Micros,
  payout: Cents,
): { locked: Micros; lockedPayout: Cents } | null {
  const locked = state.legacy.lockedPoints(member);
  if (locked === 0n) return null;
  const freePayout = (payout * (points - locked)) / points;
  return { locked, lockedPayout: cents(payout - freePayout) };
}

export function applyCoinsGranted(state: State, event: CoinsGranted): void {
  const member = state.members.indexOf(event.command.member);
  assert(member !== NOBODY, `coins granted to ${event.command.member}, who is not a member`);
  state.legacy.addCoins(member, event.command.coins);
  state.legacy.granted = cents(state.legacy.granted + event.command.coins);
}

export function applyLockedReleased(state: State, event: LockedReleased): void {
  const day = parseDay(event.command.day);
  assert(day !== null, 'a release day');
  const released = state.legacy.release(state, day, true);
  assert(
    released.points === event.points && released.cash === event.cash,
    'a release run releases what was decided',
  );
}

/** An order's coin part settles: redeemed, and the locked part of its mint joins the buyer's lots. */
export function settleCoins(
  state: State,
  buyer: MemberIndex,
  coins: Cents,
  locked: Micros | undefined,
): void {
  const legacy = state.legacy;
  legacy.redeemed = cents(legacy.redeemed + coins);
  if (locked !== undefined && locked > 0n) legacy.lock(buyer, locked, state.config.legacy.releaseDays);
}

/** After a forced exit's sale credited the whole payout: the locked part moves to locked cash. */
export function settleLockedAtExit(state: State, member: MemberIndex, event: MemberForcedOut): void {
  const { locked, lockedPayout } = event;
  assert(locked !== undefined && lockedPayout !== undefined, 'a forced exit with locked points');
  assert(locked === state.legacy.lockedPoints(member), 'a forced exit sells the locked points held');
  state.members.add64(member, Slot.Wallet, -lockedPayout);
  state.legacy.convertAtExit(member, lockedPayout);
}

/** Coins held in pending paid orders (paid, not yet settled or refunded). */
export function coinsPending(state: State): Cents {
  let total = 0n;
  for (const pending of state.pendingOrders.values()) total += pending.command.coins ?? 0n;
  return cents(total);
}

export interface LegacyView {
  readonly coins: Cents;
  readonly lockedPoints: Micros;
  readonly lockedCash: Cents;
  readonly lots: readonly {
    readonly kind: 'points' | 'cash';
    readonly amount: bigint;
    readonly left: bigint;
    readonly days: number;
    readonly firstDay: string | null;
    readonly released: number;
  }[];
}

export function legacyView(state: State, id: string): LegacyView | undefined {
  const member = state.members.indexOf(id);
  if (member === NOBODY) return undefined;
  const legacy = state.legacy;
  return {
    coins: legacy.coins(member),
    lockedPoints: legacy.lockedPoints(member),
    lockedCash: legacy.lockedCash(member),
    lots: (legacy.lots.get(member) ?? []).map((lot) => ({
      kind: lot.kind,
      amount: lot.amount,
      left: lot.amount - releasedBy(lot, lot.released),
      days: lot.days,
      firstDay: lot.firstDay === null ? null : formatDay(lot.firstDay),
      released: lot.released,
    })),
  };
}

/** The legacy book as plain data (integers as strings), or undefined while it is untouched. */
export interface LegacySnapshot {
  readonly granted: string;
  readonly redeemed: string;
  readonly lastReleaseDay: string | null;
  /** [member index, coins, locked points, locked cash] of every member with any. */
  readonly accounts: readonly (readonly [MemberIndex, string, string, string])[];
  /** [member index, kind, amount, days, first day, batches released], in each member's order. */
  readonly lots: readonly (readonly [MemberIndex, Lot['kind'], string, number, string | null, number])[];
}

export function legacySnapshotOf(book: LegacyBook): LegacySnapshot | undefined {
  if (book.isEmpty()) return undefined;
  const lots: [MemberIndex, Lot['kind'], string, number, string | null, number][] = [];
  for (const [member, memberLots] of book.lots) {
    for (const lot of memberLots) {
      const firstDay = lot.firstDay === null ? null : formatDay(lot.firstDay);
      lots.push([member, lot.kind, String(lot.amount), lot.days, firstDay, lot.released]);
    }
  }
  return {
    granted: String(book.granted),
    redeemed: String(book.redeemed),
    lastReleaseDay: book.lastReleaseDay === null ? null : formatDay(book.lastReleaseDay),
    accounts: [...book.accounts()].map(
      ([member, coins, points, cash]) => [member, String(coins), String(points), String(cash)] as const,
    ),
    lots,
  };
}

export function loadLegacy(book: LegacyBook, snapshot: LegacySnapshot | undefined): void {
  if (snapshot === undefined) return;
  book.granted = cents(BigInt(snapshot.granted));
  book.redeemed = cents(BigInt(snapshot.redeemed));
  book.lastReleaseDay =
    snapshot.lastReleaseDay === null ? null : storedDay(snapshot.lastReleaseDay, 'legacy.lastReleaseDay');
  for (const [member, coins, points, cash] of snapshot.accounts) {
    book.load(member, BigInt(coins), BigInt(points), BigInt(cash));
  }
  for (const [member, kind, amount, days, firstDay, released] of snapshot.lots) {
    const lots = book.lots.get(member) ?? [];
    lots.push({
      kind,
      amount: BigInt(amount),
      days,
      firstDay: firstDay === null ? null : storedDay(firstDay, "a lot's firstDay"),
      released,
    });
    book.lots.set(member, lots);
  }
}
