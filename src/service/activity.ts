// Read models beside the state, fed every event the process applies (loaded, followed or
// written, and after a restart the whole log again: projections.ts): recent activity per member
// and per merchant, the price over time, configuration history, forced exits. Bounded everywhere;
// they hold what a console shows, not what the rules need.
import type { Event, Order, OrderSettled, PaidOrderSettled, Pay } from '../domain/messages.ts';
import { printedPrice } from '../domain/report.ts';
import type { State } from '../domain/state.ts';
import { formatCents, formatMicros } from '../domain/units.ts';
import type { Projection } from './projections.ts';

const reviewedStatus = { approve: 'approved', reject: 'rejected', paid: 'paid' } as const;

export const activityPerSubjectMax = 200;
export const priceSamplesMax = 5_000;
/** Configuration changes kept (the newest); each is also in the log. */
export const configHistoryMax = 1_000;
/** Forced exits kept for the admin's list (newest); the state counts all of them. */
export const forcedExitsMax = 10_000;
/** One price sample per this many milliseconds of log time at most. */
const priceSampleIntervalMs = 60_000;

export interface ActivityEntry {
  readonly sequence: number;
  readonly atMs: number;
  readonly kind: string;
  readonly summary: Record<string, string | number | null>;
}

export interface PriceSample {
  readonly atMs: number;
  readonly price: string;
  readonly pool: string;
  readonly supply: string;
}

export interface ForcedExitEntry {
  readonly sequence: number;
  readonly atMs: number;
  readonly member: string;
  readonly points: string;
  readonly gross: string;
  readonly payout: string;
}

/** What the programs add to a settled order's entry, only when they touched it. */
function programFigures(order: Order | Pay, event: OrderSettled | PaidOrderSettled): Record<string, string> {
  const figures: Record<string, string> = {};
  if (order.coins !== undefined && order.coins > 0n) figures.coins = formatCents(order.coins);
  if (event.locked !== undefined) figures.locked = formatMicros(event.locked);
  if (event.type === 'PaidOrderSettled' && event.campaign !== undefined) figures.campaign = event.campaign;
  return figures;
}

/** The newest activityPerSubjectMax entries of an oldest-first list, newest first. */
function newestFirst(list: readonly ActivityEntry[] | undefined): readonly ActivityEntry[] {
  return list === undefined ? [] : list.slice(-activityPerSubjectMax).reverse();
}

export class Activity implements Projection {
  private readonly byMember = new Map<string, ActivityEntry[]>();
  private readonly byMerchant = new Map<string, ActivityEntry[]>();
  readonly prices: PriceSample[] = [];
  readonly configHistory: { sequence: number; atMs: number; actor: string | null; config: unknown }[] = [];
  /** Oldest first; trimmed to the newest forcedExitsMax now and then (forcedExits). */
  private readonly exits: ForcedExitEntry[] = [];

  /** A member's recent activity, newest first (at most activityPerSubjectMax). */
  memberActivity(member: string): readonly ActivityEntry[] {
    return newestFirst(this.byMember.get(member));
  }

  /** A merchant's recent activity, newest first (at most activityPerSubjectMax). */
  merchantActivity(merchant: string): readonly ActivityEntry[] {
    return newestFirst(this.byMerchant.get(merchant));
  }

  /** Forced exits, newest first (at most forcedExitsMax kept), optionally of one member. */
  forcedExits(member: string | null): readonly ForcedExitEntry[] {
    const kept = this.exits.slice(-forcedExitsMax).reverse();
    return member === null ? kept : kept.filter((entry) => entry.member === member);
  }

  /** Called after the event has been applied to the state. */
  readonly record = (event: Event, sequence: number, atMs: number, state: State): void => {
    const add = (
      map: Map<string, ActivityEntry[]>,
      key: string,
      kind: string,
      summary: ActivityEntry['summary'],
    ): void => {
      // Oldest first, trimmed in one go past twice the bound: O(1) per event on average (a busy
      // merchant's list would otherwise shift 200 entries on every order).
      const list = map.get(key);
      const entry = { sequence, atMs, kind, summary };
      if (list === undefined) {
        map.set(key, [entry]);
        return;
      }
      list.push(entry);
      if (list.length >= 2 * activityPerSubjectMax) list.splice(0, list.length - activityPerSubjectMax);
    };
    switch (event.type) {
      case 'OrderSettled':
      case 'PaidOrderSettled': {
        // A paid order's own command is among the processed ones (its pay).
        const order = event.type === 'OrderSettled' ? event.command : state.processed(event.command.order);
        if (order === undefined || (order.type !== 'order' && order.type !== 'pay')) break;
        const summary = {
          order: order.id,
          amount: formatCents(order.amount),
          commission: formatCents(event.commission),
          minted: formatMicros(event.minted),
          ...programFigures(order, event),
        };
        add(this.byMember, order.member, 'order.settled', summary);
        // An immediate order spends its coins as it settles (a paid order spent them when paid).
        if (event.type === 'OrderSettled' && order.coins !== undefined && order.coins > 0n)
          add(this.byMember, order.member, 'coins.spent', {
            order: order.id,
            coins: formatCents(order.coins),
          });
        add(this.byMerchant, order.merchant, 'order.settled', { ...summary, member: order.member });
        for (const reward of event.rewards) {
          add(this.byMember, reward.member, 'reward', {
            kind: reward.kind,
            amount: formatCents(reward.amount),
            order: order.id,
          });
        }
        this.samplePrice(state, atMs);
        break;
      }
      case 'OrderPaid': {
        const coins = event.command.coins;
        add(this.byMember, event.command.member, 'order.paid', {
          order: event.command.id,
          amount: formatCents(event.command.amount),
          ...(coins === undefined || coins === 0n ? {} : { coins: formatCents(coins) }),
        });
        if (coins !== undefined && coins > 0n)
          add(this.byMember, event.command.member, 'coins.spent', {
            order: event.command.id,
            coins: formatCents(coins),
          });
        add(this.byMerchant, event.command.merchant, 'order.paid', {
          order: event.command.id,
          amount: formatCents(event.command.amount),
          member: event.command.member,
        });
        break;
      }
      case 'OrderRefunded': {
        // A refunded paid order gives its coins back (its content never changes after the payment).
        const order = state.processed(event.command.order);
        if (order?.type === 'pay' && order.coins !== undefined && order.coins > 0n)
          add(this.byMember, order.member, 'coins.returned', {
            order: order.id,
            coins: formatCents(order.coins),
          });
        break;
      }
      case 'PointsSold':
        add(this.byMember, event.command.member, 'sell', {
          sell: event.command.id,
          points: formatMicros(event.command.points),
          gross: formatCents(event.gross),
          payout: formatCents(event.payout),
        });
        this.samplePrice(state, atMs);
        break;
      case 'MemberForcedOut': {
        const entry = {
          points: formatMicros(event.points),
          gross: formatCents(event.gross),
          payout: formatCents(event.payout),
        };
        // Of the payout, the part of the locked points stays locked as cash (docs/rules.md).
        const locked: Record<string, string> =
          event.lockedPayout === undefined ? {} : { lockedPayout: formatCents(event.lockedPayout) };
        add(this.byMember, event.member, 'forced_exit', { ...entry, ...locked });
        this.exits.push({ sequence, atMs, member: event.member, ...entry });
        // Trimmed in one go past twice the bound, so that an exit costs O(1) on average.
        if (this.exits.length >= 2 * forcedExitsMax) this.exits.splice(0, this.exits.length - forcedExitsMax);
        // A forced exit moves the price (its fee stays in the pool) and may empty the supply.
        this.samplePrice(state, atMs);
        break;
      }
      case 'WithdrawalRequested':
        add(this.byMember, event.command.member, 'withdrawal.requested', {
          withdrawal: event.command.id,
          amount: formatCents(event.command.amount),
        });
        break;
      case 'WithdrawalReviewed': {
        // The withdrawal's member and amount never change after its request.
        const withdrawal = state.withdrawals.get(event.command.withdrawal);
        if (withdrawal === undefined) break;
        const status = reviewedStatus[event.command.decision];
        add(this.byMember, withdrawal.member, `withdrawal.${status}`, {
          withdrawal: withdrawal.id,
          amount: formatCents(withdrawal.amount),
          note: event.command.note,
        });
        break;
      }
      case 'PoolInjected':
        this.samplePrice(state, atMs);
        break;
      case 'MemberLevelSet':
        add(this.byMember, event.command.member, 'level.set', {
          level: event.command.level,
          actor: event.command.actor ?? null,
        });
        break;
      case 'ShareholderSet':
        add(this.byMember, event.command.member, 'shareholder.set', { weight: String(event.command.weight) });
        break;
      case 'DividendsSettled':
        for (const payment of event.payments)
          add(this.byMember, payment.member, 'dividend', {
            day: event.command.day,
            amount: formatCents(payment.amount),
          });
        break;
      case 'CoinsGranted':
        add(this.byMember, event.command.member, 'coins.granted', {
          grant: event.command.id,
          coins: formatCents(event.command.coins),
          reason: event.command.reason,
        });
        break;
      // LockedReleased carries only the run's totals (each member's batches follow from the state
      // before it, which a projection fed live does not have): the member's page shows the
      // schedule instead (programs.ts), and the run is in the programs' history.
      case 'ConfigChanged':
        this.configHistory.push({ sequence, atMs, actor: event.actor ?? null, config: event.config });
        if (this.configHistory.length > configHistoryMax) this.configHistory.shift();
        // While the supply is zero the printed price is the configured initial price.
        this.samplePrice(state, atMs);
        break;
      default:
        break;
    }
  };

  /**
   * Every event that can move the pool, the supply or the printed price samples it, so the sample
   * a batch leaves is the state after its last such event: the same whether the event was fed
   * live (with the state after the whole batch) or replayed (with the state after the event).
   */
  private samplePrice(state: State, atMs: number): void {
    const last = this.prices[this.prices.length - 1];
    const sample = {
      atMs,
      price: printedPrice(state),
      pool: formatCents(state.pool),
      supply: formatMicros(state.supply),
    };
    if (last !== undefined && atMs - last.atMs < priceSampleIntervalMs) {
      this.prices[this.prices.length - 1] = { ...sample, atMs: last.atMs };
      return;
    }
    this.prices.push(sample);
    // Past the bound, keep every other sample: the series thins out evenly instead of losing its start.
    if (this.prices.length > priceSamplesMax) {
      const thinned = this.prices.filter((_, index) => index % 2 === 0);
      this.prices.length = 0;
      this.prices.push(...thinned);
    }
  }
}
