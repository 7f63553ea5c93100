// The state the rules decide against. It is owned by one writer and changed only by `evolve`.
import type { CampaignTotals } from './campaigns.ts';
import { ChunkedList } from './chunked-list.ts';
import { type AgentLevel, agentLevels, type Config, regionAt } from './config.ts';
import { DividendBook } from './dividends.ts';
import { ExitQueue } from './exit-queue.ts';
import { LegacyBook } from './legacy.ts';
import { type MemberIndex, MemberTable, NOBODY } from './members.ts';
import type { IdentifiedCommand, Pay } from './messages.ts';
import { StringIndex } from './string-index.ts';
import { type Cents, checkedInt64, type Micros, type Ppm, ZERO_CENTS, ZERO_MICROS } from './units.ts';

export { type MemberIndex, MemberTable, NOBODY, Slot } from './members.ts';

/**
 * What `decide` already looked up for an event, handed to `evolve` in the same call so that it
 * need not look the ids up again (with a million members, each lookup is a few cache misses).
 */
export interface Resolved {
  readonly member: MemberIndex;
  readonly merchant?: Merchant;
  /** The reward recipients, in the order of the event's `rewards`. */
  readonly recipients?: readonly MemberIndex[];
  /** The member an order bound its buyer to, when it did. */
  readonly bound?: MemberIndex;
}

export interface PendingOrder {
  readonly command: Pay;
}

export type WithdrawalStatus = 'requested' | 'approved' | 'paid' | 'rejected';

export interface Withdrawal {
  readonly id: string;
  readonly member: string;
  readonly amount: Cents;
  readonly fee: Cents;
  readonly requestedAtMs: number;
  status: WithdrawalStatus;
  /** The rejection reason or payment reference, and who reviewed it last. */
  note: string;
  reviewer: string | null;
}

export interface Merchant {
  readonly id: string;
  /** Position in `State.payables`. */
  readonly index: number;
  readonly owner: MemberIndex;
  readonly recruiter: MemberIndex;
  /**
   * The recruiter's id, which every order at the merchant names in its reward: kept here, as with a
   * million members the id table is a cache miss away.
   */
  readonly recruiterId: string | null;
  readonly region: string | null;
  readonly commissionRate: Ppm | null;
}

export class State {
  // The totals are plain fields, each checked to 64 bits as it is set. Not a BigInt64Array: reading
  // a typed array's element allocates a new bigint every time, and the pool and supply are read
  // several times per order.
  private poolTotal = ZERO_CENTS;
  private supplyTotal = ZERO_MICROS;
  private platformTotal = ZERO_CENTS;
  private injectedTotal = ZERO_CENTS;
  private receivedTotal = ZERO_CENTS;
  private withdrawnTotal = ZERO_CENTS;
  private pendingAmountTotal = ZERO_CENTS;
  forcedExits = 0;
  /** P and S just before the supply last fell to zero; null while it never has. */
  lastPriceBeforeEmpty: { pool: Cents; supply: Micros } | null = null;
  /** Accepted commands so far. */
  sequence = 0;
  readonly members = new MemberTable();
  readonly merchants = new Map<string, Merchant>();
  /** Merchant payables by `Merchant.index`, unboxed like the member rows. */
  private payables = new BigInt64Array(64);
  /** Agents by `level:region` (region cut to the level). */
  readonly agents = new Map<string, MemberIndex>();
  /**
   * The agents of each merchant's region district → city → province (NOBODY where none), by
   * `Merchant.index` (an array read per order, not a map lookup); derived from `agents`.
   */
  private merchantAgentChains: (readonly MemberIndex[] | undefined)[] = [];
  /** Accepted command ids, numbered; `processedCommands.at(n)` is the command with id number n. */
  readonly processedIds = new StringIndex();
  readonly processedCommands = new ChunkedList<IdentifiedCommand>();
  /** Paid orders not yet settled or refunded, by id. */
  readonly pendingOrders = new Map<string, PendingOrder>();
  /**
   * The same, in settlement order (paid time, then arrival), from `settlementHead` on; settled and
   * refunded ones are skipped lazily.
   */
  settlementQueue: PendingOrder[] = [];
  private settlementHead = 0;
  /** Refunded order ids (a refund is final; a second one is refused with a reason). */
  readonly refundedOrders = new Set<string>();
  readonly withdrawals = new Map<string, Withdrawal>();
  /** Levels set by an admin (setMemberLevel), by level name; they override the earned level. */
  readonly levelOverrides = new Map<MemberIndex, string>();
  /** What each clearance campaign has settled, by campaign id, in order of its first order. */
  readonly campaignTotals = new Map<string, CampaignTotals>();
  /** Shareholder dividends: the dividend pool, the weights, what was paid (dividends.ts). */
  readonly dividends = new DividendBook();
  /** Consumption coins, locked points and locked cash with their release lots (legacy.ts). */
  readonly legacy = new LegacyBook();
  readonly exitQueue = new ExitQueue(this.members, () => this.config.capMultiple);

  constructor(public config: Config) {}

  addMerchant(merchant: Omit<Merchant, 'index' | 'recruiterId'>): Merchant {
    const index = this.merchants.size;
    if (index === this.payables.length) {
      const payables = new BigInt64Array(index * 2);
      payables.set(this.payables);
      this.payables = payables;
    }
    // Written out, not spread: every merchant then shares one shape, and the settlement path's
    // property loads stay monomorphic (a spread gave each merchant its own, and made them megamorphic).
    const added: Merchant = {
      id: merchant.id,
      index,
      owner: merchant.owner,
      recruiter: merchant.recruiter,
      recruiterId: merchant.recruiter === NOBODY ? null : this.members.id(merchant.recruiter),
      region: merchant.region,
      commissionRate: merchant.commissionRate,
    };
    this.merchants.set(merchant.id, added);
    return added;
  }

  appointAgent(level: AgentLevel, region: string, member: MemberIndex): void {
    this.agents.set(agentKey(level, regionAt(region, level)), member);
    this.merchantAgentChains = [];
  }

  /** The agents paid on orders at `merchant` (its region's chain; none without a region), lowest level first. */
  agentChainOf(merchant: Merchant): readonly MemberIndex[] {
    let chain = this.merchantAgentChains[merchant.index];
    if (chain === undefined) {
      const region = merchant.region;
      chain =
        region === null
          ? noAgents
          : agentLevels.map((level) => this.agents.get(agentKey(level, regionAt(region, level))) ?? NOBODY);
      this.merchantAgentChains[merchant.index] = chain;
    }
    return chain;
  }

  /** Reads the merchant's agent chain where it is known, without working it out (prefetch.ts). */
  touchAgentChain(merchant: Merchant): number {
    const chain = this.merchantAgentChains[merchant.index];
    return chain === undefined ? 0 : (chain[0] as number);
  }

  /** Queues a paid order for settlement, keeping the queue in (paid time, arrival) order. */
  addPendingOrder(command: Pay): void {
    const pending: PendingOrder = { command };
    this.pendingOrders.set(command.id, pending);
    const queue = this.settlementQueue;
    let index = queue.length;
    // Reports usually arrive in time order: the common case is a push at the end.
    while (
      index > this.settlementHead &&
      (queue[index - 1] as PendingOrder).command.paidAtMs > command.paidAtMs
    ) {
      index -= 1;
    }
    if (index === queue.length) queue.push(pending);
    else queue.splice(index, 0, pending);
  }

  /** The pending orders in settlement order, lazily (a scheduler stops at the first not yet due). */
  *pendingOrdersInOrder(): Generator<PendingOrder> {
    for (let index = this.settlementHead; index < this.settlementQueue.length; index += 1) {
      const pending = this.settlementQueue[index] as PendingOrder;
      if (this.pendingOrders.get(pending.command.id) === pending) yield pending;
    }
  }

  /** The pending orders in settlement order (for snapshots and listings). */
  pendingInOrder(): PendingOrder[] {
    return [...this.pendingOrdersInOrder()];
  }

  /** The paid order that settles next (the earliest paid one still pending), or undefined. */
  nextPendingOrder(): PendingOrder | undefined {
    while (this.settlementHead < this.settlementQueue.length) {
      const head = this.settlementQueue[this.settlementHead] as PendingOrder;
      if (this.pendingOrders.get(head.command.id) === head) break;
      this.settlementHead += 1;
    }
    // Everything before the head is settled or refunded: drop it once it is most of the queue.
    if (this.settlementHead * 2 > this.settlementQueue.length) {
      this.settlementQueue = this.settlementQueue.slice(this.settlementHead);
      this.settlementHead = 0;
    }
    return this.settlementQueue[this.settlementHead];
  }

  /** Re-keys every open cycle (after a cap change, or on loading a snapshot). */
  rebuildExitQueue(): void {
    for (let member = 0; member < this.members.size; member += 1) this.exitQueue.refresh(member);
  }

  /** The accepted command with this id, whose content a reused id is compared with. */
  processed(id: string): IdentifiedCommand | undefined {
    const number = this.processedIds.get(id);
    return number === -1 ? undefined : this.processedCommands.at(number);
  }

  recordProcessed(command: IdentifiedCommand): void {
    this.processedIds.add(command.id);
    this.processedCommands.push(command);
  }

  payable(merchant: Merchant): Cents {
    return this.payables[merchant.index] as Cents;
  }

  addPayable(merchant: Merchant, delta: Cents): void {
    const payable = (this.payables[merchant.index] as bigint) + delta;
    this.payables[merchant.index] = checkedInt64(payable, 'a merchant payable');
  }

  /** P, in cents. */
  get pool(): Cents {
    return this.poolTotal;
  }
  set pool(value: Cents) {
    this.poolTotal = checkedInt64(value, 'the pool');
  }
  /** S, in micro-points. */
  get supply(): Micros {
    return this.supplyTotal;
  }
  set supply(value: Micros) {
    this.supplyTotal = checkedInt64(value, 'the supply');
  }
  get platform(): Cents {
    return this.platformTotal;
  }
  set platform(value: Cents) {
    this.platformTotal = checkedInt64(value, 'the platform revenue');
  }
  /**
   * All cash that ever came in (order amounts and injections). Every cash balance is a part of it,
   * so keeping it (with the pending paid orders) within 64 bits keeps them all within it (decide.ts, `receivable`).
   */
  get received(): Cents {
    return this.receivedTotal;
  }
  set received(value: Cents) {
    this.receivedTotal = checkedInt64(value, 'the cash received');
  }
  /** Cash paid out to members by approved withdrawals (net of fees): it has left the platform. */
  get withdrawn(): Cents {
    return this.withdrawnTotal;
  }
  set withdrawn(value: Cents) {
    this.withdrawnTotal = checkedInt64(value, 'the cash withdrawn');
  }
  /** The amounts of paid orders not yet settled or refunded. */
  get pendingAmount(): Cents {
    return this.pendingAmountTotal;
  }
  set pendingAmount(value: Cents) {
    this.pendingAmountTotal = checkedInt64(value, 'the pending order amounts');
  }
  get injected(): Cents {
    return this.injectedTotal;
  }
  set injected(value: Cents) {
    this.injectedTotal = checkedInt64(value, 'the injections');
  }
}

export function createState(config: Config): State {
  return new State(config);
}

const noAgents: readonly MemberIndex[] = agentLevels.map(() => NOBODY);

export const agentKey = (level: AgentLevel, region: string): string => `${level}:${region}`;

/** True when `candidate` is `member` or stands above it in the referral tree. */
export function isSelfOrAncestor(members: MemberTable, candidate: MemberIndex, member: MemberIndex): boolean {
  // Both callers (bindingFor, decideBindReferrer) ask about an unbound candidate, the root of its own
  // tree: it is member or above it exactly when it is the root of member's tree. No upline walk.
  if (members.referrerOf(candidate) === NOBODY) return members.rootOf(member) === candidate;
  // Bounded: referrers only ever point at members registered or bound without a cycle.
  for (let node = member, steps = 0; node !== NOBODY && steps <= members.size; steps += 1) {
    if (node === candidate) return true;
    node = members.referrerOf(node);
  }
  return false;
}
