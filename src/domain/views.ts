// Read-only views of the state for edges and tests, independent of how the state stores its members.
import { NOBODY, Slot, type State } from './state.ts';
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
  const members = state.members;
  const member = members.indexOf(id);
  if (member === NOBODY) return undefined;
  const referrer = members.referrerOf(member);
  return {
    id,
    referrer: referrer === NOBODY ? null : members.id(referrer),
    points: members.points(member),
    wallet: members.get(member, Slot.Wallet) as Cents,
    rewards: members.get(member, Slot.Rewards) as Cents,
    consumption: members.get(member, Slot.Consumption) as Cents,
    cycleOpen: members.cycleOpen[member] === 1,
    cycleConsumption: members.get(member, Slot.CycleConsumption) as Cents,
    cycleRealised: members.get(member, Slot.CycleRealised) as Cents,
    exits: members.exits[member] as number,
  };
}

export function memberIds(state: State): string[] {
  return [...state.members.ids];
}

export function merchantPayable(state: State, id: string): Cents | undefined {
  const merchant = state.merchants.get(id);
  return merchant === undefined ? undefined : state.payable(merchant);
}
