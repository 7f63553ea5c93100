// One command through the rules: decide, evolve, then settle the forced exits it made due.
import { type Decision, decide, decideForcedExit } from './decide.ts';
import { evolve } from './evolve.ts';
import type { Command, Event, Rejection } from './messages.ts';
import type { State } from './state.ts';

export type Outcome =
  | { readonly kind: 'accepted'; readonly events: readonly Event[] }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly rejection: Rejection };

/**
 * Decides `command` against `state` and applies what it decided. A rejection or a duplicate
 * changes nothing. The accepted command's events come first, then each forced exit it triggered.
 */
export function execute(state: State, command: Command): Outcome {
  const decision: Decision = decide(state, command);
  if (decision.kind !== 'event') return decision;
  evolve(state, decision.event, decision.resolved);
  const events: Event[] = [decision.event];
  settleForcedExits(state, events);
  return { kind: 'accepted', events };
}

/**
 * Settles the forced exits now due, appending each to `events` (the accepted command's events: no
 * second list is built when there are none, as on nearly every command).
 * Each exit raises the price, so exits cascade. The loop is bounded: every pass closes one open
 * cycle, and there are no more open cycles than members.
 */
export function settleForcedExits(state: State, events: Event[] = []): Event[] {
  const passesMax = state.members.size;
  for (let pass = 0; pass <= passesMax; pass += 1) {
    const exit = decideForcedExit(state);
    if (exit === null) return events;
    evolve(state, exit, { member: state.exitQueue.peek() });
    events.push(exit);
  }
  throw new Error('invariant violated: more forced exits than open cycles');
}

/** Applies events already decided (a stored log); forced exits arrive as events of their own. */
export function applyEvents(state: State, events: Iterable<Event>): void {
  for (const event of events) evolve(state, event);
}
