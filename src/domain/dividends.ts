// Shareholder weighted dividends (股东加权分红, docs/rules.md "Shareholder dividends"): a set share
// of what the platform keeps on each settled order (SPEC.md step 8) accrues to a dividend pool; a
// daily settlement pays the pool out to the shareholders in proportion to their weights, and what
// the floors leave stays in the pool for the next day. Off by default (share 0).
import { ConfigError } from './config-error.ts';
import { formatDay, parseDay, storedDay } from './days.ts';
import { type MemberIndex, NOBODY, Slot } from './members.ts';
import type {
  DividendPayment,
  DividendsSettled,
  Rejection,
  Reward,
  SetShareholder,
  SettleDividends,
} from './messages.ts';
import { rejection } from './messages.ts';
import type { State } from './state.ts';
import {
  applyRate,
  assert,
  type Cents,
  cents,
  formatPpm,
  PPM_DECIMALS,
  PPM_ONE,
  type Ppm,
  parseDecimal,
  ppm,
  ZERO_CENTS,
} from './units.ts';

/** At most this many shareholders at once (admin data, paid in one event each day). */
export const shareholdersMax = 10_000;
/** The largest weight a shareholder may have (weights are whole numbers). */
export const shareholderWeightMax = 1_000_000_000n;

export interface DividendConfig {
  /** Of the platform's kept amount per settled order (SPEC.md step 8); 0 is off. */
  readonly share: Ppm;
}
export interface DividendConfigInput {
  share?: string;
}

export const defaultDividendConfig: DividendConfig = { share: ppm(0n) };

export function parseDividendConfig(raw: unknown): DividendConfig {
  if (raw === undefined) return defaultDividendConfig;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('dividends', 'expected an object');
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'share') throw new ConfigError(`dividends.${key}`, 'unknown key');
  }
  const given = (raw as DividendConfigInput).share;
  if (given === undefined) return defaultDividendConfig;
  const parsed = parseDecimal(given, PPM_DECIMALS);
  if (!parsed.ok) throw new ConfigError('dividends.share', parsed.message);
  if (parsed.value < 0n || parsed.value > PPM_ONE) {
    throw new ConfigError('dividends.share', 'must be a rate between 0 and 1');
  }
  return { share: ppm(parsed.value) };
}

/** The plain form, or nothing at the default (so a configuration without it formats as before). */
export function formatDividendConfig(config: DividendConfig): { dividends?: DividendConfigInput } {
  return config.share === 0n ? {} : { dividends: { share: formatPpm(config.share) } };
}

/** The dividend pool, the shareholders and what each was paid. */
export class DividendBook {
  private poolCents = ZERO_CENTS;
  /** The day number of the last settled dividend day, or null. */
  lastDay: number | null = null;
  /** Weights by member; a member with weight 0 is not a shareholder. */
  readonly weights = new Map<MemberIndex, bigint>();
  totalWeight = 0n;
  /** Lifetime dividends received, by member (only members ever paid are here). */
  readonly received = new Map<MemberIndex, Cents>();

  /** Cash accrued for shareholders and not yet paid out. */
  get pool(): Cents {
    return this.poolCents;
  }

  addToPool(delta: bigint): void {
    const pool = this.poolCents + delta;
    assert(pool >= 0n && pool <= (1n << 63n) - 1n, 'the dividend pool within 0 and 2^63 − 1');
    this.poolCents = cents(pool);
  }

  setWeight(member: MemberIndex, weight: bigint): void {
    this.totalWeight += weight - (this.weights.get(member) ?? 0n);
    if (weight === 0n) this.weights.delete(member);
    else this.weights.set(member, weight);
  }

  isEmpty(): boolean {
    return (
      this.poolCents === 0n && this.lastDay === null && this.weights.size === 0 && this.received.size === 0
    );
  }
}

/** What goes to the dividend pool from an order's kept amount `commission − inflow − rewards paid`. */
export function dividendOf(
  state: State,
  commission: Cents,
  inflow: Cents,
  rewards: readonly Reward[],
): Cents {
  const share = state.config.dividends.share;
  if (share === 0n) return ZERO_CENTS;
  let kept = commission - inflow;
  for (const reward of rewards) kept -= reward.amount;
  return applyRate(cents(kept), share);
}

export function checkSetShareholder(state: State, command: SetShareholder): Rejection | null {
  const member = state.members.indexOf(command.member);
  if (member === NOBODY) return rejection('unknown_member', `${command.member} is not a member`);
  const weight = command.weight;
  if (typeof weight !== 'bigint' || weight < 0n || weight > shareholderWeightMax) {
    return rejection(
      'invalid_weight',
      `a shareholder weight is a whole number from 0 to ${shareholderWeightMax} (0 removes the shareholder)`,
    );
  }
  const book = state.dividends;
  if (weight > 0n && !book.weights.has(member) && book.weights.size >= shareholdersMax) {
    return rejection('too_many_shareholders', `there are already ${shareholdersMax} shareholders`);
  }
  return null;
}

/** Pays floor(pool × weight / Σ weights) to each shareholder, in member id order. */
export function decideSettleDividends(state: State, command: SettleDividends): DividendsSettled | Rejection {
  const day = parseDay(command.day);
  if (day === null)
    return rejection(
      'malformed',
      `day must be a date written YYYY-MM-DD, got ${JSON.stringify(command.day)}`,
    );
  const book = state.dividends;
  if (book.lastDay !== null && day <= book.lastDay) {
    return rejection(
      'day_settled',
      `dividends are settled up to ${formatDay(book.lastDay)}: ${command.day} cannot be settled again`,
    );
  }
  const pool = book.pool;
  const payments: DividendPayment[] = [];
  if (book.totalWeight > 0n) {
    const members = state.members;
    const holders = [...book.weights.keys()].sort((left, right) => byId(members.id(left), members.id(right)));
    for (const holder of holders) {
      const amount = cents((pool * (book.weights.get(holder) as bigint)) / book.totalWeight);
      if (amount > 0n) payments.push({ member: members.id(holder), amount });
    }
  }
  return { type: 'DividendsSettled', command, pool, payments };
}

const byId = (left: string, right: string): number => (left < right ? -1 : left > right ? 1 : 0);

export function applyShareholderSet(state: State, command: SetShareholder): void {
  const member = state.members.indexOf(command.member);
  assert(member !== NOBODY, `unknown shareholder ${command.member} in an accepted event`);
  state.dividends.setWeight(member, command.weight);
}

/** The payments go to the shareholders' wallets (cash: withdrawable); the leftover stays. */
export function applyDividendsSettled(state: State, event: DividendsSettled): void {
  const book = state.dividends;
  assert(event.pool === book.pool, 'a dividend settlement pays out the pool it saw');
  let paid = 0n;
  for (const payment of event.payments) {
    const member = state.members.indexOf(payment.member);
    assert(member !== NOBODY && payment.amount > 0n, 'a dividend to a member');
    state.members.add64(member, Slot.Wallet, payment.amount);
    book.received.set(member, cents((book.received.get(member) ?? 0n) + payment.amount));
    paid += payment.amount;
  }
  assert(paid <= event.pool, 'dividends within the pool');
  book.addToPool(-paid);
  const day = parseDay(event.command.day);
  assert(day !== null, 'a dividend day');
  book.lastDay = day;
}

export function dividendsReceived(state: State, member: MemberIndex): Cents {
  return state.dividends.received.get(member) ?? ZERO_CENTS;
}

/** The dividend book as plain data (integers as strings), or undefined while it is untouched. */
export interface DividendSnapshot {
  readonly pool: string;
  readonly lastDay: string | null;
  /** [member index, weight], in the order they were set. */
  readonly weights: readonly (readonly [MemberIndex, string])[];
  readonly received: readonly (readonly [MemberIndex, string])[];
}

export function dividendSnapshotOf(book: DividendBook): DividendSnapshot | undefined {
  if (book.isEmpty()) return undefined;
  return {
    pool: String(book.pool),
    lastDay: book.lastDay === null ? null : formatDay(book.lastDay),
    weights: [...book.weights].map(([member, weight]) => [member, String(weight)] as const),
    received: [...book.received].map(([member, amount]) => [member, String(amount)] as const),
  };
}

export function loadDividends(book: DividendBook, snapshot: DividendSnapshot | undefined): void {
  if (snapshot === undefined) return;
  book.addToPool(BigInt(snapshot.pool));
  book.lastDay = snapshot.lastDay === null ? null : storedDay(snapshot.lastDay, 'dividends.lastDay');
  for (const [member, weight] of snapshot.weights) book.setWeight(member, BigInt(weight));
  for (const [member, amount] of snapshot.received) book.received.set(member, cents(BigInt(amount)));
}
