// The state in the printed form of SPEC.md "Conformance" (decimal strings, members sorted by id).
import type { State } from './state.ts';
import { formatCents, formatDecimal, formatMicros, formatPrice } from './units.ts';
import { memberView } from './views.ts';

export interface MemberReport {
  points: string;
  wallet: string;
  rewards: string;
  consumption: string;
  cycleConsumption: string;
  exits: number;
  referrer: string | null;
}

export interface StateReport {
  pool: string;
  supply: string;
  price: string;
  platform: string;
  injected: string;
  forcedExits: number;
  members: Record<string, MemberReport>;
  merchants: Record<string, { payable: string }>;
}

/** The price the next mint would use, printed: `pool / supply`, or the last such price while S = 0. */
export function printedPrice(state: State): string {
  if (state.supply > 0n) return formatPrice(state.pool, state.supply);
  const last = state.lastPriceBeforeEmpty;
  if (last !== null) return formatPrice(last.pool, last.supply);
  return formatDecimal(state.config.initialPrice * 10_000n, 6); // cents per point → 6 decimals of yuan
}

const byId = (left: string, right: string): number => (left < right ? -1 : left > right ? 1 : 0);

export function reportState(state: State): StateReport {
  const members: Record<string, MemberReport> = {};
  for (const id of [...state.members.ids].sort(byId)) {
    const member = memberView(state, id);
    if (member === undefined) continue;
    members[id] = {
      points: formatMicros(member.points),
      wallet: formatCents(member.wallet),
      rewards: formatCents(member.rewards),
      consumption: formatCents(member.consumption),
      cycleConsumption: formatCents(member.cycleConsumption),
      exits: member.exits,
      referrer: member.referrer,
    };
  }
  const merchants: Record<string, { payable: string }> = {};
  for (const [id, merchant] of [...state.merchants].sort(([left], [right]) => byId(left, right))) {
    merchants[id] = { payable: formatCents(state.payable(merchant)) };
  }
  return {
    pool: formatCents(state.pool),
    supply: formatMicros(state.supply),
    price: printedPrice(state),
    platform: formatCents(state.platform),
    injected: formatCents(state.injected),
    forcedExits: state.forcedExits,
    members,
    merchants,
  };
}
