// Conservation of cash with every program (docs/rules.md "Conservation"): what came in equals
// what is held, wherever it sits. `verify` and the property tests check it after every event.
import type { Event } from './messages.ts';
import { Slot, type State } from './state.ts';
import { type Cents, cents } from './units.ts';

/**
 * P + dividend pool + Σ (wallet + frozen + locked cash) + platform + Σ payables + withdrawn. The
 * platform figure may be negative (it funds the coin part of orders); the sum never is.
 */
export function cashHeld(state: State): Cents {
  const members = state.members;
  const legacy = state.legacy;
  let total = state.pool + state.dividends.pool + state.platform + state.withdrawn;
  for (let member = 0; member < members.size; member += 1) {
    total += members.get(member, Slot.Wallet) + members.get(member, Slot.Frozen) + legacy.lockedCash(member);
  }
  for (const merchant of state.merchants.values()) total += state.payable(merchant);
  return cents(total);
}

/**
 * The cash an event brings in, from the state before it: an order's amount less its coin part
 * (a paid order's when it settles), an injection. Σ over a log = `state.received`.
 */
export function cashInOf(state: State, event: Event): Cents {
  switch (event.type) {
    case 'OrderSettled':
      return cents(event.command.amount - (event.command.coins ?? 0n));
    case 'PoolInjected':
      return event.command.amount;
    case 'PaidOrderSettled': {
      const paid = state.pendingOrders.get(event.command.order)?.command;
      return cents(paid === undefined ? 0n : paid.amount - (paid.coins ?? 0n));
    }
    default:
      return cents(0n);
  }
}
