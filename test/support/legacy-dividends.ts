// Commands and looks for the shareholder dividends and legacy conversion tests (docs/rules.md),
// built directly with bigint amounts, like test/support/lifecycle.ts.
import assert from 'node:assert/strict';
import { cashHeld } from '../../src/domain/cash.ts';
import { dividendsReceived } from '../../src/domain/dividends.ts';
import { execute } from '../../src/domain/engine.ts';
import { type LegacyView, legacyView } from '../../src/domain/legacy.ts';
import type {
  Command,
  Event,
  GrantCoins,
  Order,
  Pay,
  ReleaseLocked,
  SetShareholder,
  SettleDividends,
} from '../../src/domain/messages.ts';
import { NOBODY, type State } from '../../src/domain/state.ts';
import { type Cents, cents } from '../../src/domain/units.ts';
import { acceptedEvents } from './given.ts';
import { paidAt } from './lifecycle.ts';

export const setShareholder = (id: string, member: string, weight: bigint): SetShareholder => ({
  type: 'setShareholder',
  id,
  member,
  weight,
  actor: 'admin_1',
});

export const settleDividends = (id: string, day: string): SettleDividends => ({
  type: 'settleDividends',
  id,
  day,
  actor: 'scheduler',
});

export const grantCoins = (
  id: string,
  member: string,
  coins: bigint,
  reason = 'old balance',
): GrantCoins => ({
  type: 'grantCoins',
  id,
  member,
  coins: cents(coins),
  reason,
  actor: 'admin_1',
});

export const releaseLocked = (id: string, day: string): ReleaseLocked => ({ type: 'releaseLocked', id, day });

export const orderWithCoins = (
  id: string,
  member: string,
  merchant: string,
  amount: bigint,
  coins: bigint,
): Order => ({ type: 'order', id, member, merchant, amount: cents(amount), coins: cents(coins) });

export const payWithCoins = (
  id: string,
  member: string,
  merchant: string,
  amount: bigint,
  coins: bigint,
  paidAtMs = paidAt,
): Pay => ({ type: 'pay', id, member, merchant, amount: cents(amount), paidAtMs, coins: cents(coins) });

export function run(state: State, ...commands: Command[]): void {
  for (const command of commands) acceptedEvents(execute(state, command));
}

/** The one event a command produced (no forced exit after it). */
export function onlyEvent(state: State, command: Command): Event {
  const events = acceptedEvents(execute(state, command));
  assert.equal(events.length, 1, `one event from ${command.type}`);
  return events[0] as Event;
}

export function legacyOf(state: State, id: string): LegacyView {
  const view = legacyView(state, id);
  if (view === undefined) assert.fail(`no member ${id}`);
  return view;
}

export function dividendsOf(state: State, id: string): Cents {
  const member = state.members.indexOf(id);
  if (member === NOBODY) assert.fail(`no member ${id}`);
  return dividendsReceived(state, member);
}

/** received = P + dividend pool + Σ (wallet + frozen + locked cash) + platform + Σ payables + withdrawn. */
export function assertCashConserved(state: State): void {
  assert.equal(cashHeld(state), state.received, 'cash held = cash received');
}
