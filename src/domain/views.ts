// Read-only views of the state for edges and tests, independent of how the state stores its members.
import type { State } from './state.ts';
import type { Cents, Micros } from './units.ts';

export interface MemberView {
  readonly id: string;
  readonly referrer: string | null;
  readonly points: Micros;
  readonly wallet: Cents;
  readonly rewards: Cents;
  readonly consumption: Cents;
  readonly cycleOpen: boolean;
  readonly cycleConsumption: Cents;
  readonly cycleRealised: Cents;
  readonly exits: number;
}

export function memberView(state: State, id: string): MemberView | undefined {
  const member = state.members.get(id);
  if (member === undefined) return undefined;
  return {
    id: member.id,
    referrer: member.referrer?.id ?? null,
    points: member.points,
    wallet: member.wallet,
    rewards: member.rewards,
    consumption: member.consumption,
    cycleOpen: member.cycleOpen,
    cycleConsumption: member.cycleConsumption,
    cycleRealised: member.cycleRealised,
    exits: member.exits,
  };
}

export function memberIds(state: State): string[] {
  return [...state.members.keys()];
}

export function merchantPayable(state: State, id: string): Cents | undefined {
  return state.merchants.get(id)?.payable;
}
