// A naive model of SPEC.md, written from the text alone: plain objects, linear scans, no exit queue.
// The property tests run it beside the engine; where they disagree, one of them misreads the rules.
import type { AgentLevel, Config } from '../../src/domain/config.ts';
import type { ScenarioCommand } from '../../src/domain/messages.ts';
import type { StateReport } from '../../src/domain/report.ts';
import { formatDecimal } from '../../src/domain/units.ts';
import type { SetupSpec } from './given.ts';

const million = 1_000_000n;
const levels: readonly AgentLevel[] = ['district', 'city', 'province'];

interface ModelMember {
  id: string;
  referrer: string | null;
  points: bigint;
  wallet: bigint;
  rewards: bigint;
  consumption: bigint;
  cycleOpen: boolean;
  cycleConsumption: bigint;
  cycleRealised: bigint;
  /** Which accepted command opened the cycle (ties between equal trigger prices). */
  cycleOpenedAt: number;
  exits: number;
}

interface ModelMerchant {
  owner: string | null;
  recruiter: string | null;
  region: string | null;
  commissionRate: bigint | null;
  payable: bigint;
}

export type ModelOutcome = 'accepted' | 'duplicate' | 'rejected';

const seatOf = (region: string, level: AgentLevel): string =>
  level === 'district' ? region : level === 'city' ? `${region.slice(0, 4)}00` : `${region.slice(0, 2)}0000`;

const min = (left: bigint, right: bigint): bigint => (left < right ? left : right);

function contentOf(command: ScenarioCommand): string {
  switch (command.type) {
    case 'order':
      return JSON.stringify(['order', command.member, command.merchant, String(command.amount)]);
    case 'sell':
      return JSON.stringify(['sell', command.member, String(command.points)]);
    case 'inject':
      return JSON.stringify(['inject', String(command.amount)]);
  }
}

export class Model {
  pool = 0n;
  supply = 0n;
  platform = 0n;
  injected = 0n;
  forcedExits = 0;
  private lastPrice: { pool: bigint; supply: bigint } | null = null;
  private accepted = 0;
  readonly members = new Map<string, ModelMember>();
  private readonly merchants = new Map<string, ModelMerchant>();
  private readonly agents = new Map<string, string>();
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly config: Config,
    setup: SetupSpec,
  ) {
    for (const { id, referrer } of setup.members ?? []) {
      this.members.set(id, {
        id,
        referrer: referrer ?? null,
        points: 0n,
        wallet: 0n,
        rewards: 0n,
        consumption: 0n,
        cycleOpen: false,
        cycleConsumption: 0n,
        cycleRealised: 0n,
        cycleOpenedAt: 0,
        exits: 0,
      });
    }
    for (const merchant of setup.merchants ?? []) {
      this.merchants.set(merchant.id, {
        owner: merchant.owner ?? null,
        recruiter: merchant.recruiter ?? null,
        region: merchant.region ?? null,
        commissionRate: merchant.commissionRate === undefined ? null : decimal(merchant.commissionRate, 6),
        payable: 0n,
      });
    }
    for (const agent of setup.agents ?? []) {
      const level = agent.level as AgentLevel;
      this.agents.set(`${level}:${seatOf(agent.region, level)}`, agent.member);
    }
  }

  apply(command: ScenarioCommand): ModelOutcome {
    if (command.id === '') return 'rejected';
    const seen = this.seen.get(command.id);
    if (seen !== undefined) return seen === contentOf(command) ? 'duplicate' : 'rejected';
    const accepted =
      command.type === 'order'
        ? this.order(command.member, command.merchant, command.amount)
        : command.type === 'sell'
          ? this.sell(command.member, command.points)
          : this.inject(command.amount);
    if (!accepted) return 'rejected';
    this.accepted += 1;
    this.seen.set(command.id, contentOf(command));
    this.forceExits();
    return 'accepted';
  }

  private order(buyerId: string, merchantId: string, amount: bigint): boolean {
    const buyer = this.members.get(buyerId);
    const merchant = this.merchants.get(merchantId);
    if (buyer === undefined || merchant === undefined || amount <= 0n) return false;
    const { config } = this;
    if (config.bindOnFirstOrder && buyer.referrer === null && merchant.owner !== null) {
      if (merchant.owner !== buyer.id && !this.isAbove(buyer.id, merchant.owner))
        buyer.referrer = merchant.owner;
    }
    const commission = (amount * (merchant.commissionRate ?? config.commissionRate)) / million;
    merchant.payable += amount - commission;
    const inflow = (commission * config.poolShare) / million;
    let budgetLeft = (commission * config.distributionShare) / million;
    let paid = 0n;
    const pay = (recipientId: string | null, rate: bigint): void => {
      if (recipientId === null) return;
      const recipient = this.members.get(recipientId) as ModelMember;
      const reward = min((amount * rate) / million, budgetLeft);
      budgetLeft -= reward;
      paid += reward;
      recipient.wallet += reward;
      recipient.rewards += reward;
    };
    const referrer = buyer.referrer;
    pay(referrer, config.rewards.direct);
    pay(referrer === null ? null : (this.members.get(referrer)?.referrer ?? null), config.rewards.indirect);
    pay(merchant.recruiter, config.rewards.merchantRecruiter);
    if (merchant.region !== null) {
      let reached = 0n;
      for (const level of levels) {
        const agent = this.agents.get(`${level}:${seatOf(merchant.region, level)}`);
        const rate = config.rewards.agents[level];
        if (agent === undefined || rate <= reached) continue;
        pay(agent, rate - reached);
        reached = rate;
      }
    }
    let value = (inflow * config.mintRatio) / million;
    if (config.maxMintValuePerOrder !== null) value = min(value, config.maxMintValuePerOrder);
    const minted =
      this.supply > 0n
        ? (value * this.supply) / this.pool
        : this.lastPrice !== null
          ? (value * this.lastPrice.supply) / this.lastPrice.pool
          : (value * million) / config.initialPrice;
    this.pool += inflow;
    this.supply += minted;
    this.platform += commission - inflow - paid;
    buyer.points += minted;
    buyer.consumption += amount;
    if (!buyer.cycleOpen) {
      buyer.cycleOpen = true;
      buyer.cycleOpenedAt = this.accepted;
    }
    buyer.cycleConsumption += amount;
    return true;
  }

  /** Is `candidate` an ancestor of `memberId` in the referral tree? */
  private isAbove(candidate: string, memberId: string): boolean {
    for (let node = this.members.get(memberId)?.referrer ?? null; node !== null; ) {
      if (node === candidate) return true;
      node = this.members.get(node)?.referrer ?? null;
    }
    return false;
  }

  private sell(sellerId: string, points: bigint): boolean {
    const seller = this.members.get(sellerId);
    if (seller === undefined || points <= 0n || points > seller.points) return false;
    if (seller.consumption < this.config.minConsumptionToSell) return false;
    const left = this.supply - points;
    if (left > 0n && left < this.config.minSupply) return false;
    seller.cycleRealised += this.sellPoints(seller, points);
    return true;
  }

  /** Sells at the price, the fee staying in the pool; returns the gross value. */
  private sellPoints(seller: ModelMember, points: bigint): bigint {
    const gross = (points * this.pool) / this.supply;
    const payout = (gross * (million - this.config.sellFee)) / million;
    if (points === this.supply) this.lastPrice = { pool: this.pool, supply: this.supply };
    this.pool -= payout;
    this.supply -= points;
    seller.points -= points;
    seller.wallet += payout;
    return gross;
  }

  private inject(amount: bigint): boolean {
    if (amount <= 0n) return false;
    this.pool += amount;
    this.injected += amount;
    return true;
  }

  /** SPEC.md "Forced exit": a linear scan for the lowest trigger price among the due cycles, each pass. */
  private forceExits(): void {
    for (;;) {
      let next: ModelMember | null = null;
      for (const member of this.members.values()) {
        if (!this.isDue(member)) continue;
        if (next === null || this.exitsBefore(member, next)) next = member;
      }
      if (next === null) return;
      if (next.points > 0n) this.sellPoints(next, next.points);
      next.cycleOpen = false;
      next.cycleConsumption = 0n;
      next.cycleRealised = 0n;
      next.exits += 1;
      this.forcedExits += 1;
    }
  }

  private triggerNumerator(member: ModelMember): bigint {
    return this.config.capMultiple * member.cycleConsumption - member.cycleRealised * million;
  }

  /** `R + H × P / S ≥ capMultiple × C`, multiplied through by 10^6 × S. */
  isDue(member: ModelMember): boolean {
    if (!member.cycleOpen) return false;
    const numerator = this.triggerNumerator(member);
    if (this.supply === 0n) return numerator <= 0n;
    return numerator * this.supply <= member.points * this.pool * million;
  }

  private exitsBefore(left: ModelMember, right: ModelMember): boolean {
    if (left.points === 0n || right.points === 0n) {
      if (left.points !== right.points) return left.points === 0n;
    } else {
      const leftScaled = this.triggerNumerator(left) * right.points;
      const rightScaled = this.triggerNumerator(right) * left.points;
      if (leftScaled !== rightScaled) return leftScaled < rightScaled;
    }
    return left.cycleOpenedAt < right.cycleOpenedAt;
  }

  report(): StateReport {
    const members: StateReport['members'] = {};
    for (const id of [...this.members.keys()].sort((left, right) =>
      left < right ? -1 : left > right ? 1 : 0,
    )) {
      const member = this.members.get(id) as ModelMember;
      members[id] = {
        points: formatDecimal(member.points, 6),
        wallet: formatDecimal(member.wallet, 2),
        rewards: formatDecimal(member.rewards, 2),
        consumption: formatDecimal(member.consumption, 2),
        cycleConsumption: formatDecimal(member.cycleConsumption, 2),
        exits: member.exits,
        referrer: member.referrer,
      };
    }
    const merchants: StateReport['merchants'] = {};
    for (const id of [...this.merchants.keys()].sort((left, right) =>
      left < right ? -1 : left > right ? 1 : 0,
    )) {
      merchants[id] = { payable: formatDecimal((this.merchants.get(id) as ModelMerchant).payable, 2) };
    }
    return {
      pool: formatDecimal(this.pool, 2),
      supply: formatDecimal(this.supply, 6),
      price: this.printedPrice(),
      platform: formatDecimal(this.platform, 2),
      injected: formatDecimal(this.injected, 2),
      forcedExits: this.forcedExits,
      members,
      merchants,
    };
  }

  private printedPrice(): string {
    const scale = 10_000_000_000n;
    if (this.supply > 0n) return formatDecimal((this.pool * scale) / this.supply, 6);
    if (this.lastPrice !== null)
      return formatDecimal((this.lastPrice.pool * scale) / this.lastPrice.supply, 6);
    return formatDecimal(this.config.initialPrice * 10_000n, 6);
  }
}

/** A decimal string known to be valid (the setup was parsed first) as an integer with `scale` decimals. */
function decimal(text: string, scale: number): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(scale, '0'));
}
