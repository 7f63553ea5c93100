// The state the rules decide against. It is owned by one writer and changed only by `evolve`.
import type { AgentLevel, Config } from './config.ts';
import { ExitQueue } from './exit-queue.ts';
import { type Cents, type Micros, type Ppm, ZERO_CENTS, ZERO_MICROS } from './units.ts';

export interface Member {
  readonly id: string;
  referrer: Member | null;
  points: Micros;
  wallet: Cents;
  /** Lifetime rewards received (direct, indirect, recruiter, agent). */
  rewards: Cents;
  /** Lifetime consumption. */
  consumption: Cents;
  cycleOpen: boolean;
  /** C: consumption of the open cycle. */
  cycleConsumption: Cents;
  /** R: gross value realised by sales in the open cycle. */
  cycleRealised: Cents;
  /** The sequence number of the command that opened the cycle (ties between equal trigger prices). */
  cycleOpenedSequence: number;
  exits: number;
  // Exit-queue bookkeeping (see exit-queue.ts); meaningless while queueIndex = -1.
  queueIndex: number;
  triggerKey: bigint;
  triggerNumerator: bigint;
}

export interface Merchant {
  readonly id: string;
  readonly owner: Member | null;
  readonly recruiter: Member | null;
  readonly region: string | null;
  readonly commissionRate: Ppm | null;
  payable: Cents;
}

export interface State {
  config: Config;
  /** P, in cents. */
  pool: Cents;
  /** S, in micro-points. */
  supply: Micros;
  platform: Cents;
  injected: Cents;
  forcedExits: number;
  /** P and S just before the supply last fell to zero; null while it never has. */
  lastPriceBeforeEmpty: { pool: Cents; supply: Micros } | null;
  /** Accepted commands so far. */
  sequence: number;
  readonly members: Map<string, Member>;
  readonly merchants: Map<string, Merchant>;
  /** Agents by `level:region` (region cut to the level). */
  readonly agents: Map<string, Member>;
  /** Accepted command ids → fingerprint of their content (idempotency). */
  readonly processed: Map<string, string>;
  readonly exitQueue: ExitQueue;
}

export function createState(config: Config): State {
  return {
    config,
    pool: ZERO_CENTS,
    supply: ZERO_MICROS,
    platform: ZERO_CENTS,
    injected: ZERO_CENTS,
    forcedExits: 0,
    lastPriceBeforeEmpty: null,
    sequence: 0,
    members: new Map(),
    merchants: new Map(),
    agents: new Map(),
    processed: new Map(),
    exitQueue: new ExitQueue(),
  };
}

export function createMember(id: string, referrer: Member | null): Member {
  return {
    id,
    referrer,
    points: ZERO_MICROS,
    wallet: ZERO_CENTS,
    rewards: ZERO_CENTS,
    consumption: ZERO_CENTS,
    cycleOpen: false,
    cycleConsumption: ZERO_CENTS,
    cycleRealised: ZERO_CENTS,
    cycleOpenedSequence: 0,
    exits: 0,
    queueIndex: -1,
    triggerKey: 0n,
    triggerNumerator: 0n,
  };
}

export const agentKey = (level: AgentLevel, region: string): string => `${level}:${region}`;

/** True when `candidate` is `member` or stands above it in the referral tree. */
export function isSelfOrAncestor(candidate: Member, member: Member): boolean {
  for (let node: Member | null = member; node !== null; node = node.referrer) {
    if (node === candidate) return true;
  }
  return false;
}
