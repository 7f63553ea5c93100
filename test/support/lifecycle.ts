// Commands beyond SPEC.md (docs/rules.md), built directly with bigint amounts, and looks at the cash
// a withdrawal freezes. The raw-event helpers of given.ts only know SPEC.md's three event types.
import assert from 'node:assert/strict';
import type {
  BindReferrer,
  Inject,
  Order,
  Pay,
  Refund,
  RequestWithdrawal,
  ReviewWithdrawal,
  Sell,
  Settle,
} from '../../src/domain/messages.ts';
import { NOBODY, Slot, type State } from '../../src/domain/state.ts';
import { type Cents, cents, micros } from '../../src/domain/units.ts';

/** A paid time used throughout: 2025-01-01T00:00:00.000Z. */
export const paidAt = Date.UTC(2025, 0, 1);
/** The default hold window (604800 s = 7 days), in milliseconds. */
export const defaultHoldMs = 604_800_000;

export const orderNow = (id: string, member: string, merchant: string, amount: bigint): Order => ({
  type: 'order',
  id,
  member,
  merchant,
  amount: cents(amount),
});

export const pay = (
  id: string,
  member: string,
  merchant: string,
  amount: bigint,
  paidAtMs = paidAt,
): Pay => ({
  type: 'pay',
  id,
  member,
  merchant,
  amount: cents(amount),
  paidAtMs,
});

export const refund = (id: string, order: string, refundedAtMs = paidAt, actor?: string): Refund =>
  actor === undefined
    ? { type: 'refund', id, order, refundedAtMs }
    : { type: 'refund', id, order, refundedAtMs, actor };

export const settle = (order: string, nowMs: number): Settle => ({ type: 'settle', order, nowMs });

export const injectCash = (id: string, amount: bigint, actor?: string): Inject =>
  actor === undefined
    ? { type: 'inject', id, amount: cents(amount) }
    : { type: 'inject', id, amount: cents(amount), actor };

export const sellPoints = (id: string, member: string, points: bigint): Sell => ({
  type: 'sell',
  id,
  member,
  points: micros(points),
});

export const requestWithdrawal = (
  id: string,
  member: string,
  amount: bigint,
  requestedAtMs = paidAt,
): RequestWithdrawal => ({ type: 'requestWithdrawal', id, member, amount: cents(amount), requestedAtMs });

export const review = (
  id: string,
  withdrawal: string,
  decision: ReviewWithdrawal['decision'],
  note = decision === 'reject' ? 'bank account name does not match' : '',
  actor = 'finance_1',
): ReviewWithdrawal => ({ type: 'reviewWithdrawal', id, withdrawal, decision, note, actor, atMs: paidAt });

export const bind = (member: string, referrer: string): BindReferrer => ({
  type: 'bindReferrer',
  member,
  referrer,
});

/** Cash a member has in withdrawals under review: out of the wallet, not yet paid or returned. */
export function frozenOf(state: State, id: string): Cents {
  const member = state.members.indexOf(id);
  if (member === NOBODY) assert.fail(`no member ${id}`);
  return state.members.get(member, Slot.Frozen) as Cents;
}

/** Σ frozen over all members. */
export function totalFrozen(state: State): Cents {
  let total = 0n;
  for (let member = 0; member < state.members.size; member += 1) {
    total += state.members.get(member, Slot.Frozen);
  }
  return cents(total);
}
