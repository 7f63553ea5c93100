// A state as plain data and back: what a snapshot stores. Pure (no I/O); store/snapshot-codec.ts
// turns it into bytes. The exit queue is not stored: it is derived, and rebuilt on load.
import { type ConfigInput, formatConfig, parseConfig } from './config.ts';
import type { MemberColumns } from './members.ts';
import type { IdentifiedCommand } from './messages.ts';
import { type MemberIndex, State } from './state.ts';
import type { Cents, Micros, Ppm } from './units.ts';

export const snapshotVersion = 1;

export interface MerchantSnapshot {
  readonly id: string;
  readonly owner: MemberIndex;
  readonly recruiter: MemberIndex;
  readonly region: string | null;
  readonly commissionRate: Ppm | null;
  readonly payable: Cents;
}

export interface StateSnapshot {
  readonly version: number;
  readonly config: ConfigInput;
  readonly pool: Cents;
  readonly supply: Micros;
  readonly platform: Cents;
  readonly injected: Cents;
  readonly received: Cents;
  readonly forcedExits: number;
  readonly sequence: number;
  readonly lastPriceBeforeEmpty: { readonly pool: Cents; readonly supply: Micros } | null;
  readonly members: MemberColumns;
  /** In registration order. */
  readonly merchants: readonly MerchantSnapshot[];
  /** `level:region` → member, in appointment order. */
  readonly agents: readonly (readonly [string, MemberIndex])[];
  /** Accepted identified commands in order (idempotency). */
  readonly processed: readonly IdentifiedCommand[];
}

export function snapshotOf(state: State): StateSnapshot {
  return {
    version: snapshotVersion,
    config: formatConfig(state.config),
    pool: state.pool,
    supply: state.supply,
    platform: state.platform,
    injected: state.injected,
    received: state.received,
    forcedExits: state.forcedExits,
    sequence: state.sequence,
    lastPriceBeforeEmpty: state.lastPriceBeforeEmpty,
    members: state.members.columns(),
    merchants: [...state.merchants.values()].map((merchant) => ({
      id: merchant.id,
      owner: merchant.owner,
      recruiter: merchant.recruiter,
      region: merchant.region,
      commissionRate: merchant.commissionRate,
      payable: state.payable(merchant),
    })),
    agents: [...state.agents.entries()],
    processed: [...state.processedCommands],
  };
}

export function stateFromSnapshot(snapshot: StateSnapshot): State {
  if (snapshot.version !== snapshotVersion) {
    throw new Error(`snapshot version ${snapshot.version} is not ${snapshotVersion}`);
  }
  const state = new State(parseConfig(snapshot.config));
  state.pool = snapshot.pool;
  state.supply = snapshot.supply;
  state.platform = snapshot.platform;
  state.injected = snapshot.injected;
  state.received = snapshot.received;
  state.forcedExits = snapshot.forcedExits;
  state.sequence = snapshot.sequence;
  state.lastPriceBeforeEmpty = snapshot.lastPriceBeforeEmpty;
  state.members.load(snapshot.members);
  for (const { payable, ...merchant } of snapshot.merchants) {
    state.addPayable(state.addMerchant(merchant), payable);
  }
  for (const [key, member] of snapshot.agents) state.agents.set(key, member);
  for (const command of snapshot.processed) state.recordProcessed(command);
  state.rebuildExitQueue();
  return state;
}
