// The programs' history as a read model (a projection, fed every event in log order like the others
// in service.ts, and rebuilt from the whole log after a restart: projections.ts): each settled
// dividend day, each release run, the coin grants by import batch, the admin's level changes, and
// all-time totals. Every figure comes from the event itself (or, for a refund, the content of the
// order it refunds, which never changes). Bounded: days and runs to about ten
// years, batches and level changes to the newest thousand.
import type { Event } from '../domain/messages.ts';
import type { State } from '../domain/state.ts';
import { type Cents, cents, formatCents, formatMicros, type Micros, micros } from '../domain/units.ts';
import type { Projection } from './projections.ts';

/** Dividend days and release runs kept (newest), about ten years of days. */
export const programDaysMax = 3_660;
/** Grant batches and level changes kept (newest). */
export const programEntriesMax = 1_000;

export interface DividendDay {
  readonly day: string;
  readonly atMs: number;
  /** The dividend pool before the payments, what they paid, to how many, and what stayed. */
  readonly pool: string;
  readonly paid: string;
  readonly payments: number;
  readonly carried: string;
}

export interface ReleaseRun {
  readonly day: string;
  readonly atMs: number;
  readonly points: string;
  readonly cash: string;
}

export interface GrantBatch {
  /** The import's name (a grant's id is BATCH:MEMBER), or null for grants made one at a time. */
  readonly batch: string | null;
  grants: number;
  coins: Cents;
  firstAtMs: number;
  lastAtMs: number;
  actor: string;
}

export interface LevelChange {
  readonly sequence: number;
  readonly atMs: number;
  readonly member: string;
  readonly level: string | null;
  readonly actor: string | null;
}

/** Drops the oldest entries once past twice the bound, so that an entry costs O(1) on average. */
function trimmed<T>(list: T[], max: number): void {
  if (list.length >= 2 * max) list.splice(0, list.length - max);
}

/** The batch of a grant whose id is `BATCH:MEMBER` (an import), or null. */
export function batchOf(id: string, member: string): string | null {
  const suffix = `:${member}`;
  return id.endsWith(suffix) && id.length > suffix.length ? id.slice(0, -suffix.length) : null;
}

export class ProgramHistory implements Projection {
  private readonly dividends: DividendDay[] = [];
  private readonly releases: ReleaseRun[] = [];
  private readonly levels: LevelChange[] = [];
  /** By batch name ('' for single grants), in order of their first grant. */
  private readonly batches = new Map<string, GrantBatch>();
  dividendAccrued: Cents = cents(0n);
  dividendsPaid: Cents = cents(0n);
  coinsGranted: Cents = cents(0n);
  coinsSpent: Cents = cents(0n);
  lockedPointsReleased: Micros = micros(0n);
  lockedCashReleased: Cents = cents(0n);

  /** Settled dividend days, newest first (at most programDaysMax). */
  dividendDays(): readonly DividendDay[] {
    return this.dividends.slice(-programDaysMax).reverse();
  }

  /** Release runs, newest first (at most programDaysMax). */
  releaseRuns(): readonly ReleaseRun[] {
    return this.releases.slice(-programDaysMax).reverse();
  }

  /** Levels set or cleared by an admin, newest first. */
  levelChanges(): readonly LevelChange[] {
    return this.levels.slice(-programEntriesMax).reverse();
  }

  /** Grant batches, newest first, with their totals as decimal strings. */
  grantBatches(): Record<string, unknown>[] {
    return [...this.batches.values()]
      .reverse()
      .map((batch) => ({ ...batch, coins: formatCents(batch.coins) }));
  }

  record(event: Event, sequence: number, atMs: number, state: State): void {
    switch (event.type) {
      case 'OrderSettled':
      case 'PaidOrderSettled':
        if (event.dividend !== undefined) this.dividendAccrued = cents(this.dividendAccrued + event.dividend);
        if (event.type === 'OrderSettled' && event.command.coins !== undefined)
          this.coinsSpent = cents(this.coinsSpent + event.command.coins);
        break;
      case 'OrderPaid':
        // A paid order's coins leave the balance when it is paid (a refund gives them back).
        if (event.command.coins !== undefined) this.coinsSpent = cents(this.coinsSpent + event.command.coins);
        break;
      case 'OrderRefunded': {
        // The refunded order's content never changes after its payment.
        const order = state.processed(event.command.order);
        if (order?.type === 'pay' && order.coins !== undefined)
          this.coinsSpent = cents(this.coinsSpent - order.coins);
        break;
      }
      case 'DividendsSettled': {
        let paid = 0n;
        for (const payment of event.payments) paid += payment.amount;
        this.dividendsPaid = cents(this.dividendsPaid + paid);
        this.dividends.push({
          day: event.command.day,
          atMs,
          pool: formatCents(event.pool),
          paid: formatCents(cents(paid)),
          payments: event.payments.length,
          carried: formatCents(cents(event.pool - paid)),
        });
        trimmed(this.dividends, programDaysMax);
        break;
      }
      case 'LockedReleased':
        this.lockedPointsReleased = micros(this.lockedPointsReleased + event.points);
        this.lockedCashReleased = cents(this.lockedCashReleased + event.cash);
        this.releases.push({
          day: event.command.day,
          atMs,
          points: formatMicros(event.points),
          cash: formatCents(event.cash),
        });
        trimmed(this.releases, programDaysMax);
        break;
      case 'CoinsGranted':
        this.granted(event.command.id, event.command.member, event.command.coins, event.command.actor, atMs);
        break;
      case 'MemberLevelSet':
        this.levels.push({
          sequence,
          atMs,
          member: event.command.member,
          level: event.command.level,
          actor: event.command.actor ?? null,
        });
        trimmed(this.levels, programEntriesMax);
        break;
      default:
        break;
    }
  }

  private granted(id: string, member: string, coins: Cents, actor: string, atMs: number): void {
    this.coinsGranted = cents(this.coinsGranted + coins);
    const batch = batchOf(id, member);
    const key = batch ?? '';
    let entry = this.batches.get(key);
    if (entry === undefined) {
      entry = { batch, grants: 0, coins: cents(0n), firstAtMs: atMs, lastAtMs: atMs, actor };
      this.batches.set(key, entry);
      if (this.batches.size > programEntriesMax)
        this.batches.delete(this.batches.keys().next().value as string);
    }
    entry.grants += 1;
    entry.coins = cents(entry.coins + coins);
    entry.lastAtMs = atMs;
    entry.actor = actor;
  }
}
