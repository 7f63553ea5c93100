// Given/when/then for the decider tests: a state built from a SPEC.md setup, raw events sent through
// the same parsing and `execute` as `poolpoint replay`, and read-only looks at the result.
import assert from 'node:assert/strict';
import type { ConfigInput } from '../../src/domain/config.ts';
import { execute, type Outcome } from '../../src/domain/engine.ts';
import type { Event, Rejection } from '../../src/domain/messages.ts';
import { reportState, type StateReport } from '../../src/domain/report.ts';
import type { State } from '../../src/domain/state.ts';
import { type MemberView, memberIds, memberView } from '../../src/domain/views.ts';
import { parseEvent, parseScenario, stateFromSetup } from '../../src/scenario/scenario.ts';

export interface MemberSpec {
  id: string;
  referrer?: string;
}
export interface MerchantSpec {
  id: string;
  owner?: string;
  recruiter?: string;
  region?: string;
  commissionRate?: string;
}
export interface AgentSpec {
  member: string;
  level: string;
  region: string;
}
export interface SetupSpec {
  members?: MemberSpec[];
  merchants?: MerchantSpec[];
  agents?: AgentSpec[];
}

/** The state a scenario file with this config and setup starts from. */
export function given(setup: SetupSpec, config: ConfigInput = {}): State {
  const scenario = parseScenario({ config, setup, events: [] });
  return stateFromSetup(scenario.config, scenario.setup);
}

/** Members by id only, for setups where nobody refers anybody. */
export const members = (...ids: string[]): MemberSpec[] => ids.map((id) => ({ id }));

/** Sends one raw event as `poolpoint replay` does: a parse failure is a rejection like any other. */
export function when(state: State, raw: unknown): Outcome {
  const parsed = parseEvent(raw);
  if (!parsed.ok) return { kind: 'rejected', rejection: parsed.rejection };
  return execute(state, parsed.command);
}

/** Sends events that must all be accepted (the history of a test's "given"). */
export function givenAccepted(state: State, ...raws: unknown[]): void {
  for (const raw of raws) acceptedEvents(when(state, raw));
}

export const order = (id: string, member: string, merchant: string, amount: string) => ({
  type: 'order',
  id,
  member,
  merchant,
  amount,
});
export const sell = (id: string, member: string, points: string) => ({ type: 'sell', id, member, points });
export const inject = (id: string, amount: string) => ({ type: 'inject', id, amount });

export function acceptedEvents(outcome: Outcome): readonly Event[] {
  if (outcome.kind === 'accepted') return outcome.events;
  const reason = outcome.kind === 'rejected' ? `${outcome.rejection.code}: ${outcome.rejection.message}` : '';
  return assert.fail(`expected acceptance, got ${outcome.kind} ${reason}`);
}

export function rejectionOf(outcome: Outcome): Rejection {
  if (outcome.kind !== 'rejected') assert.fail(`expected a rejection, got ${outcome.kind}`);
  return outcome.rejection;
}

/** The members forced out by one command, in the order they exited. */
export function forcedOut(outcome: Outcome): string[] {
  return acceptedEvents(outcome).flatMap((event) => (event.type === 'MemberForcedOut' ? [event.member] : []));
}

export function member(state: State, id: string): MemberView {
  const view = memberView(state, id);
  if (view === undefined) assert.fail(`no member ${id}`);
  return view;
}

export interface Snapshot {
  pool: bigint;
  supply: bigint;
  sequence: number;
  report: StateReport;
  views: (MemberView | undefined)[];
}

/** Everything the public API shows about a state, to prove that something changed nothing. */
export function snapshot(state: State): Snapshot {
  const ids = memberIds(state).sort();
  return {
    pool: state.pool,
    supply: state.supply,
    sequence: state.sequence,
    report: reportState(state),
    views: ids.map((id) => memberView(state, id)),
  };
}
