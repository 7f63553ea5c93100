// Who takes part: members (some referred by an earlier member), merchants (some owned by a member,
// each brought in by a recruiter) and regional agents. Built as SPEC.md setup commands, in the order a
// scenario file lists them, so that the simulation and `poolpoint replay` of its export start alike.
import { type AgentLevel, regionAt } from '../domain/config.ts';
import type { SimulatedSetup } from './export.ts';
import type { Profile } from './profile.ts';
import type { Random } from './random.ts';

export interface Population {
  /** Member ids in joining order: member i places its first order before member i + 1. */
  readonly memberIds: readonly string[];
  readonly merchantIds: readonly string[];
  readonly setup: readonly SimulatedSetup[];
}

const MEMBERS_PER_MERCHANT = 50;
const MERCHANTS_AUTOMATIC_MAX = 2_000;
/** Early members who own merchants, recruit them and act as agents: the first 1% to join. */
const FOUNDER_SHARE = 0.01;
const CITY_AGENT_SHARE = 0.5;
const PROVINCE_AGENT_SHARE = 0.25;

/** `prefix` + the number padded to the width of `count`, so that ids sort in joining order. */
export function prefixedIds(prefix: string, count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(width, '0')}`);
}

export function merchantCount(profile: Profile, members: number): number {
  const automatic = Math.round(members / MEMBERS_PER_MERCHANT);
  return profile.population.merchants ?? Math.min(MERCHANTS_AUTOMATIC_MAX, Math.max(1, automatic));
}

export function buildPopulation(profile: Profile, members: number, random: Random): Population {
  const memberIds = prefixedIds('mem_', members);
  const merchantIds = prefixedIds('mch_', merchantCount(profile, members));
  const founders = Math.max(1, Math.ceil(members * FOUNDER_SHARE));
  const founder = (): string => memberIds[random.below(founders)] as string;
  const setup: SimulatedSetup[] = [];
  for (const [index, member] of memberIds.entries()) {
    // Referrers joined earlier, so every member is listed after its referrer.
    const referred = index > 0 && random.next() < profile.population.referredShare;
    setup.push({
      type: 'registerMember',
      member,
      referrer: referred ? (memberIds[random.below(index)] as string) : null,
    });
  }
  const regions = profile.population.regions;
  for (const [index, merchant] of merchantIds.entries()) {
    const owned = random.next() < profile.population.ownedShare;
    setup.push({
      type: 'registerMerchant',
      merchant,
      owner: owned ? founder() : null,
      recruiter: founder(),
      region: regions[index % regions.length] as string,
      commissionRate: null,
    });
  }
  setup.push(...appointAgents(regions, founder, random));
  return { memberIds, merchantIds, setup };
}

/** A district agent in every region; a city and a province agent in some, one per seat. */
function appointAgents(regions: readonly string[], founder: () => string, random: Random): SimulatedSetup[] {
  const seats = new Set<string>();
  const appointments: SimulatedSetup[] = [];
  const appoint = (level: AgentLevel, region: string): void => {
    const seat = `${level}:${regionAt(region, level)}`;
    if (seats.has(seat)) return;
    seats.add(seat);
    appointments.push({ type: 'appointAgent', member: founder(), level, region });
  };
  for (const region of regions) {
    appoint('district', region);
    if (random.next() < CITY_AGENT_SHARE) appoint('city', region);
    if (random.next() < PROVINCE_AGENT_SHARE) appoint('province', region);
  }
  return appointments;
}
