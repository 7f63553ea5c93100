// A state as plain data and back: what a snapshot stores. Pure (no I/O); store/snapshot-codec.ts
// turns it into bytes. The exit queue is not stored: it is derived, and rebuilt on load.
import type { CampaignTotals } from './campaigns.ts';
import { type ConfigInput, formatConfig, parseConfig } from './config.ts';
import { type DividendSnapshot, dividendSnapshotOf, loadDividends } from './dividends.ts';
import { type LegacySnapshot, legacySnapshotOf, loadLegacy } from './legacy.ts';
import type { MemberColumns } from './members.ts';
import type { IdentifiedCommand } from './messages.ts';
import { type MemberIndex, State, type Withdrawal } from './state.ts';
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
  readonly withdrawn: Cents;
  readonly pendingAmount: Cents;
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
  /** Ids of paid orders still pending, in settlement order (their commands are in `processed`). */
  readonly pendingOrders: readonly string[];
  readonly refundedOrders: readonly string[];
  readonly withdrawals: readonly Withdrawal[];
  /**
   * Admin-set member levels (member → level name) and the clearance campaigns' totals, in insertion
   * order. Each is written only when not empty, so a state without them snapshots byte for byte as
   * it did before they existed.
   */
  readonly levelOverrides?: readonly (readonly [MemberIndex, string])[];
  readonly campaignTotals?: readonly CampaignTotals[];
  /** Shareholder dividends and legacy conversion, amounts as integer strings; absent while unused. */
  readonly dividends?: DividendSnapshot;
  readonly legacy?: LegacySnapshot;
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
    withdrawn: state.withdrawn,
    pendingAmount: state.pendingAmount,
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
    pendingOrders: state.pendingInOrder().map((pending) => pending.command.id),
    refundedOrders: [...state.refundedOrders],
    withdrawals: [...state.withdrawals.values()].map((withdrawal) => ({ ...withdrawal })),
    ...(state.levelOverrides.size === 0 ? {} : { levelOverrides: [...state.levelOverrides.entries()] }),
    ...(state.campaignTotals.size === 0
      ? {}
      : { campaignTotals: [...state.campaignTotals.values()].map((totals) => ({ ...totals })) }),
    ...programSnapshots(state),
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
  state.withdrawn = snapshot.withdrawn;
  state.pendingAmount = snapshot.pendingAmount;
  state.forcedExits = snapshot.forcedExits;
  state.sequence = snapshot.sequence;
  state.lastPriceBeforeEmpty = snapshot.lastPriceBeforeEmpty;
  state.members.load(snapshot.members);
  for (const { payable, ...merchant } of snapshot.merchants) {
    state.addPayable(state.addMerchant(merchant), payable);
  }
  for (const [key, member] of snapshot.agents) state.agents.set(key, member);
  for (const command of snapshot.processed) state.recordProcessed(command);
  for (const id of snapshot.pendingOrders) {
    const command = state.processed(id);
    if (command?.type !== 'pay') throw new Error(`snapshot: pending order ${id} is not a paid order`);
    state.addPendingOrder(command);
  }
  for (const id of snapshot.refundedOrders) state.refundedOrders.add(id);
  for (const withdrawal of snapshot.withdrawals) state.withdrawals.set(withdrawal.id, { ...withdrawal });
  for (const [member, level] of snapshot.levelOverrides ?? []) state.levelOverrides.set(member, level);
  for (const totals of snapshot.campaignTotals ?? [])
    state.campaignTotals.set(totals.campaign, { ...totals });
  loadDividends(state.dividends, snapshot.dividends);
  loadLegacy(state.legacy, snapshot.legacy);
  state.rebuildExitQueue();
  return state;
}

function programSnapshots(state: State): { dividends?: DividendSnapshot; legacy?: LegacySnapshot } {
  const dividends = dividendSnapshotOf(state.dividends);
  const legacy = legacySnapshotOf(state.legacy);
  return { ...(dividends === undefined ? {} : { dividends }), ...(legacy === undefined ? {} : { legacy }) };
}
