// The price-never-falls walk of the property tests (SPEC.md: the price P/S never falls): how each
// event moves the pool P and the supply S, and the exact check that P/S stays at or above a
// reference. Prices are compared by cross-multiplying bigints, never as floats.
import assert from 'node:assert/strict';
import type { Event } from '../../src/domain/messages.ts';

/** The pool P (cents) and the supply S (micro-points); while S > 0 the price is the exact fraction P/S. */
export interface Price {
  readonly pool: bigint;
  readonly supply: bigint;
}

/** P and S after one event, or null for an event that moves neither. */
export function priceAfter(price: Price, event: Event): Price | null {
  switch (event.type) {
    case 'OrderSettled':
    case 'PaidOrderSettled':
      return { pool: price.pool + event.inflow, supply: price.supply + event.minted };
    case 'PointsSold':
      return { pool: price.pool - event.payout, supply: price.supply - event.command.points };
    case 'PoolInjected':
      return { pool: price.pool + event.command.amount, supply: price.supply };
    case 'MemberForcedOut':
      return { pool: price.pool - event.payout, supply: price.supply - event.points };
    // Cash waiting on a paid order, wallets, withdrawals, levels, dividends, coins and releases
    // stay outside P and S; so do registrations, bindings and configuration.
    case 'ConfigChanged':
    case 'ReferrerBound':
    case 'OrderPaid':
    case 'OrderRefunded':
    case 'WithdrawalRequested':
    case 'WithdrawalReviewed':
    case 'MemberRegistered':
    case 'MerchantRegistered':
    case 'AgentAppointed':
    case 'MemberLevelSet':
    case 'ShareholderSet':
    case 'DividendsSettled':
    case 'CoinsGranted':
    case 'LockedReleased':
      return null;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** P/S ≥ the reference's P/S, exactly: P × S_ref ≥ P_ref × S, with both supplies above 0. */
export function assertPriceAtLeast(price: Price, reference: Price, message: string): void {
  assert.ok(price.supply > 0n && reference.supply > 0n, `${message}: a price needs S > 0`);
  assert.ok(
    price.pool * reference.supply >= reference.pool * price.supply,
    `${message}: ${price.pool}/${price.supply} < ${reference.pool}/${reference.supply}`,
  );
}

export interface PriceWalk<Reference extends Price | null> {
  /** P and S before the command. */
  readonly before: Price;
  /** The last price with S > 0 before the command (the price the next mint uses); null: none to hold to. */
  readonly reference: Reference;
  /** P and S of the state after the command. */
  readonly after: Price;
  /** Names the command in the messages. */
  readonly where?: string;
}

/**
 * Walks P and S through the events of one command: after every event P ≥ 0 and S ≥ 0, and P/S never
 * falls below the last price with S > 0 (exits inside a cascade included; while S = 0, the price it
 * had just before it emptied); and the events account for the state's P and S. Returns the price the
 * next mint uses: the last P/S with S > 0, or the reference while there was none.
 */
export function assertPriceNeverFalls<Reference extends Price | null>(
  events: readonly Event[],
  { before, reference, after, where }: PriceWalk<Reference>,
): Price | Reference {
  const prefix = where === undefined ? '' : `${where}: `;
  let price: Price = { pool: before.pool, supply: before.supply };
  let last: Price | Reference = reference;
  for (const event of events) {
    if (price.supply > 0n) last = price;
    price = priceAfter(price, event) ?? price;
    assert.ok(
      price.pool >= 0n && price.supply >= 0n,
      `${prefix}pool ${price.pool}, supply ${price.supply} after ${event.type}`,
    );
    if (price.supply > 0n && last !== null) {
      assertPriceAtLeast(price, last, `${prefix}the price fell after ${event.type}`);
    }
  }
  assert.deepEqual(
    [price.pool, price.supply],
    [after.pool, after.supply],
    `${prefix}the events account for pool and supply`,
  );
  return price.supply > 0n ? price : last;
}
