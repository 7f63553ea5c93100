// decide(state, command) → event | rejection. Pure: it reads the state and changes nothing.
import { campaignFor } from './campaigns.ts';
import {
  type AgentLevel,
  agentLevels,
  type Config,
  ConfigError,
  formatConfig,
  parseConfig,
  regionAt,
  regionPattern,
} from './config.ts';
import { checkSetShareholder, decideSettleDividends, dividendOf } from './dividends.ts';
import {
  checkCoins,
  checkSellable,
  decideGrantCoins,
  decideReleaseLocked,
  lockedExitPart,
  lockedOf,
} from './legacy.ts';
import type {
  AppointAgent,
  BindReferrer,
  Command,
  Configure,
  Event,
  IdentifiedCommand,
  MemberForcedOut,
  Order,
  OrderSettled,
  PaidOrderSettled,
  Pay,
  PointsSold,
  Refund,
  RegisterMember,
  RegisterMerchant,
  Rejection,
  RequestWithdrawal,
  ReviewWithdrawal,
  Reward,
  RewardKind,
  Sell,
  Settle,
} from './messages.ts';
import { rejection, sameContent } from './messages.ts';
import {
  agentKey,
  isSelfOrAncestor,
  type MemberIndex,
  type Merchant,
  NOBODY,
  type Resolved,
  Slot,
  type State,
  type WithdrawalStatus,
} from './state.ts';
import { checkSetMemberLevel, payTeamRewards, type RewardBudget } from './team.ts';
import {
  AMOUNT_MAX,
  applyRate,
  assert,
  type Cents,
  cents,
  formatCents,
  formatMicros,
  MICROS_PER_POINT,
  type Micros,
  micros,
  minCents,
  PPM_ONE,
  type Ppm,
  ppm,
  ZERO_CENTS,
} from './units.ts';

export type Decision =
  | { readonly kind: 'event'; readonly event: Event; readonly resolved?: Resolved }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly rejection: Rejection };

const accept = (event: Event): Decision => ({ kind: 'event', event });
const reject = (code: Rejection['code'], message: string): Decision => ({
  kind: 'rejected',
  rejection: rejection(code, message),
});

export function decide(state: State, command: Command): Decision {
  switch (command.type) {
    case 'configure':
      return badActor(command) ?? decideConfigure(state, command);
    case 'registerMember':
      return decideRegisterMember(state, command);
    case 'registerMerchant':
      return decideRegisterMerchant(state, command);
    case 'appointAgent':
      return decideAppointAgent(state, command);
    case 'bindReferrer':
      return decideBindReferrer(state, command);
    case 'settle':
      return decideSettle(state, command);
    case 'order':
    case 'sell':
    case 'inject':
    case 'pay':
    case 'refund':
    case 'requestWithdrawal':
    case 'reviewWithdrawal':
    case 'setMemberLevel':
    case 'setShareholder':
    case 'settleDividends':
    case 'grantCoins':
    case 'releaseLocked':
      return decideIdentified(state, command);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

/** Commands an admin must sign: who did it is part of the record. */
const actorRequired = (type: Command['type']): boolean => type === 'settleDividends' || type === 'grantCoins';

/** `actor`, where given (or required), names who did it: a non-empty string. */
function badActor(command: Command): Decision | null {
  const actor = (command as { actor?: unknown }).actor;
  if (actor === undefined && !actorRequired(command.type)) return null;
  if (typeof actor === 'string' && actor !== '') return null;
  return reject('malformed', `${command.type} needs an actor: who did it, a non-empty string`);
}

function decideIdentified(state: State, command: IdentifiedCommand): Decision {
  if (command.id === '') return reject('missing_id', 'every event needs a non-empty id');
  const refused = badActor(command);
  if (refused !== null) return refused;
  const seen = state.processed(command.id);
  if (seen !== undefined) {
    if (sameContent(seen, command)) return { kind: 'duplicate' };
    return reject('id_reused', `id ${command.id} reused with different content`);
  }
  switch (command.type) {
    case 'order':
      return decideOrder(state, command);
    case 'sell':
      return decideSell(state, command);
    case 'inject':
      if (command.amount <= 0n) return reject('invalid_amount', 'an injection must be above zero');
      if (!receivable(state, command.amount)) return tooLarge();
      return accept({ type: 'PoolInjected', command });
    case 'pay':
      return decidePay(state, command);
    case 'refund':
      return decideRefund(state, command);
    case 'requestWithdrawal':
      return decideRequestWithdrawal(state, command);
    case 'reviewWithdrawal':
      return decideReviewWithdrawal(state, command);
    case 'setMemberLevel': {
      const refused = checkSetMemberLevel(state, command);
      return refused === null
        ? accept({ type: 'MemberLevelSet', command })
        : { kind: 'rejected', rejection: refused };
    }
    case 'setShareholder': {
      const refused = checkSetShareholder(state, command);
      return refused === null
        ? accept({ type: 'ShareholderSet', command })
        : { kind: 'rejected', rejection: refused };
    }
    case 'settleDividends':
      return eventOrRejection(decideSettleDividends(state, command));
    case 'grantCoins':
      return eventOrRejection(decideGrantCoins(state, command));
    case 'releaseLocked':
      return eventOrRejection(decideReleaseLocked(state, command));
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

function decideConfigure(state: State, command: Configure): Decision {
  let config: Config;
  try {
    config = parseConfig(command.config);
  } catch (error) {
    if (error instanceof ConfigError) return reject('invalid_config', error.message);
    throw error;
  }
  const plain = formatConfig(config);
  if (JSON.stringify(plain) === JSON.stringify(formatConfig(state.config))) return { kind: 'duplicate' };
  const actor = command.actor === undefined ? {} : { actor: command.actor };
  return accept({ type: 'ConfigChanged', config: plain, ...actor });
}

/**
 * Every cash balance (pool, wallets, platform, payables, consumption, rewards) is a part of the cash
 * received, so a command that keeps the cash received within 64 bits keeps them all within it.
 * Points are checked where they are minted. Past these limits a command is refused, never half applied.
 */
// Pending paid orders count too: their cash arrives when they settle, and a settlement cannot be refused.
// Coins redeemed count too: an order's consumption, payable and commission are of its whole
// amount, coins included, while only its cash part is received.
const receivable = (state: State, amount: Cents): boolean => {
  const redeemed = state.legacy.redeemed;
  const base = state.received + state.pendingAmount + amount;
  return (redeemed === 0n ? base : base + redeemed) <= AMOUNT_MAX;
};

const eventOrRejection = (outcome: Event | Rejection): Decision =>
  'code' in outcome ? { kind: 'rejected', rejection: outcome } : { kind: 'event', event: outcome };

/** The settlement event with the dividend and locked parts, when there are any (rare: no spread otherwise). */
function withProgramParts<T extends OrderSettled | PaidOrderSettled>(
  event: T,
  dividend: Cents,
  locked: Micros,
): T {
  if (dividend === 0n && locked === 0n) return event;
  return { ...event, ...(dividend === 0n ? {} : { dividend }), ...(locked === 0n ? {} : { locked }) };
}

/** A time inside a command: whole milliseconds since the epoch. */
const isTime = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;
const badTime = (key: string): Decision => reject('malformed', `${key} must be a time in whole milliseconds`);
const tooLarge = (): Decision =>
  reject(
    'amount_too_large',
    `the amount would take a total past the largest amount kept exactly (${formatCents(cents(AMOUNT_MAX))})`,
  );

function decideRegisterMember(state: State, command: RegisterMember): Decision {
  if (command.member === '') return reject('malformed', 'a member needs a non-empty id');
  if (state.members.has(command.member)) {
    return reject('member_exists', `member ${command.member} is already registered`);
  }
  if (command.referrer !== null && !state.members.has(command.referrer)) {
    return reject('unknown_member', `referrer ${command.referrer} is not a member`);
  }
  return accept({ type: 'MemberRegistered', command });
}

function decideRegisterMerchant(state: State, command: RegisterMerchant): Decision {
  if (command.merchant === '') return reject('malformed', 'a merchant needs a non-empty id');
  if (state.merchants.has(command.merchant)) {
    return reject('merchant_exists', `merchant ${command.merchant} is already registered`);
  }
  for (const member of [command.owner, command.recruiter]) {
    if (member !== null && !state.members.has(member)) {
      return reject('unknown_member', `${member} is not a member`);
    }
  }
  if (command.region !== null && !regionPattern.test(command.region)) {
    return reject('invalid_region', `region "${command.region}" is not a 6-digit code`);
  }
  const rate = command.commissionRate;
  if (rate !== null && (rate < 0n || rate > PPM_ONE)) {
    return reject('malformed', 'commissionRate must be between 0 and 1');
  }
  return accept({ type: 'MerchantRegistered', command });
}

function decideAppointAgent(state: State, command: AppointAgent): Decision {
  if (!state.members.has(command.member)) {
    return reject('unknown_member', `agent ${command.member} is not a member`);
  }
  if (!agentLevels.includes(command.level)) {
    return reject('malformed', `agent level must be one of ${agentLevels.join(', ')}`);
  }
  if (!regionPattern.test(command.region)) {
    return reject('invalid_region', `region "${command.region}" is not a 6-digit code`);
  }
  const region = regionAt(command.region, command.level);
  if (state.agents.has(agentKey(command.level, region))) {
    return reject('agent_exists', `region ${region} already has a ${command.level} agent`);
  }
  return accept({ type: 'AgentAppointed', command });
}

/** Who buys where, checked the same way whether the order settles now or after its hold window. */
function checkOrder(
  state: State,
  command: Order | Pay,
): Decision | { buyer: MemberIndex; merchant: Merchant } {
  const buyer = state.members.indexOf(command.member);
  if (buyer === NOBODY) return reject('unknown_member', `${command.member} is not a member`);
  const merchant = state.merchants.get(command.merchant);
  if (merchant === undefined) return reject('unknown_merchant', `${command.merchant} is not a merchant`);
  if (command.amount <= 0n) return reject('invalid_amount', 'an order amount must be above zero');
  if (!receivable(state, command.amount)) return tooLarge();
  if (command.coins !== undefined) {
    const refused = checkCoins(state, buyer, command.coins, command.amount);
    if (refused !== null) return { kind: 'rejected', rejection: refused };
  }
  return { buyer, merchant };
}

function decideOrder(state: State, command: Order): Decision {
  const checked = checkOrder(state, command);
  if ('kind' in checked) return checked;
  // An immediate order carries no time: no clearance campaign applies to it (docs/rules.md).
  const settlement = settlementOf(
    state,
    command.amount,
    checked.buyer,
    checked.merchant,
    state.config.mintRatio,
  );
  if (state.supply + settlement.minted > AMOUNT_MAX) return tooLarge();
  const recipients = settlement.recipients;
  // Fields written out, not spread: this is the hot path of every settlement.
  const event: OrderSettled = {
    type: 'OrderSettled',
    command,
    bound: settlement.bound,
    commission: settlement.commission,
    inflow: settlement.inflow,
    rewards: settlement.rewards,
    minted: settlement.minted,
  };
  const dividend = dividendOf(state, settlement.commission, settlement.inflow, settlement.rewards);
  const locked = lockedOf(settlement.minted, command.coins, command.amount);
  return {
    kind: 'event',
    event: withProgramParts(event, dividend, locked),
    resolved: {
      member: checked.buyer,
      merchant: checked.merchant,
      recipients,
      bound: settlement.boundMember,
    },
  };
}

interface Settlement {
  readonly bound: string | null;
  readonly commission: Cents;
  readonly inflow: Cents;
  readonly rewards: readonly Reward[];
  readonly minted: Micros;
  readonly recipients: readonly MemberIndex[];
  /** The member the buyer is bound to, or NOBODY. */
  readonly boundMember: MemberIndex;
}

/** Steps 1–6 of SPEC.md "Settling an order" (the team rewards of docs/rules.md after step 4). */
function settlementOf(
  state: State,
  amount: Cents,
  buyer: MemberIndex,
  merchant: Merchant,
  mintRatio: Ppm,
): Settlement {
  const { config, members } = state;
  const bound = bindingFor(state, buyer, merchant);
  const referrer = bound !== NOBODY ? bound : members.referrerOf(buyer);
  const commission = applyRate(amount, merchant.commissionRate ?? config.commissionRate);
  const inflow = applyRate(commission, config.poolShare);
  const budget = new Budget(state, applyRate(commission, config.distributionShare), amount);
  const indirect = referrer === NOBODY ? NOBODY : members.referrerOf(referrer);
  budget.pay('direct', referrer, config.rewards.direct);
  budget.pay('indirect', indirect, config.rewards.indirect);
  budget.pay(
    'merchantRecruiter',
    merchant.recruiter,
    config.rewards.merchantRecruiter,
    merchant.recruiterId ?? undefined,
  );
  if (merchant.region !== null) payAgents(state, budget, merchant);
  if (config.teamRewards.enabled) payTeamRewards(state, budget, referrer, amount);
  let value = applyRate(inflow, mintRatio);
  const mintCap = config.maxMintValuePerOrder;
  if (mintCap !== null) value = minCents(value, mintCap);
  return {
    // Key order matters to nobody (events are encoded field by field), but reads as SPEC.md.
    bound: bound === NOBODY ? null : members.id(bound),
    commission,
    inflow,
    rewards: budget.paid,
    minted: mintQuantity(state, value),
    recipients: budget.recipients,
    boundMember: bound,
  };
}

function decidePay(state: State, command: Pay): Decision {
  const checked = checkOrder(state, command);
  if ('kind' in checked) return checked;
  if (!isTime(command.paidAtMs)) return badTime('paidAtMs');
  const productLine = command.productLine;
  if (productLine !== undefined && (typeof productLine !== 'string' || productLine === '')) {
    return reject('malformed', 'productLine must be a non-empty string when given');
  }
  return accept({ type: 'OrderPaid', command });
}

function decideRefund(state: State, command: Refund): Decision {
  if (!isTime(command.refundedAtMs)) return badTime('refundedAtMs');
  if (state.pendingOrders.has(command.order)) return accept({ type: 'OrderRefunded', command });
  if (state.refundedOrders.has(command.order)) {
    return reject('order_refunded', `order ${command.order} was already refunded`);
  }
  if (state.processed(command.order)?.type === 'pay') {
    return reject(
      'order_settled',
      `order ${command.order} has settled: a refund after settlement is refused`,
    );
  }
  return reject('unknown_order', `${command.order} is not a paid order`);
}

/** Settles the earliest paid order once its hold window has passed (orders settle in paid order). */
function decideSettle(state: State, command: Settle): Decision {
  if (!isTime(command.nowMs)) return badTime('nowMs');
  const pending = state.pendingOrders.get(command.order);
  if (pending === undefined) {
    if (state.refundedOrders.has(command.order))
      return reject('order_refunded', `order ${command.order} was refunded`);
    if (state.processed(command.order)?.type === 'pay')
      return reject('order_settled', `order ${command.order} has settled`);
    return reject('unknown_order', `${command.order} is not a paid order`);
  }
  const next = state.nextPendingOrder();
  if (next !== pending) {
    return reject('not_due', `orders settle in the order they were paid: ${next?.command.id} comes first`);
  }
  const dueAtMs = pending.command.paidAtMs + state.config.holdWindowSeconds * 1000;
  if (command.nowMs < dueAtMs) {
    return reject('not_due', `order ${command.order} settles at ${new Date(dueAtMs).toISOString()}`);
  }
  const paid = pending.command;
  const buyer = state.members.indexOf(paid.member);
  const merchant = state.merchants.get(paid.merchant) as Merchant;
  const campaigns = state.config.campaigns;
  const campaign =
    campaigns.length === 0 ? null : campaignFor(campaigns, paid.merchant, paid.productLine, paid.paidAtMs);
  const mintRatio = campaign === null ? state.config.mintRatio : campaign.mintRatio;
  const settlement = settlementOf(state, paid.amount, buyer, merchant, mintRatio);
  if (state.supply + settlement.minted > AMOUNT_MAX) return tooLarge();
  const settled: PaidOrderSettled = {
    type: 'PaidOrderSettled',
    command,
    bound: settlement.bound,
    commission: settlement.commission,
    inflow: settlement.inflow,
    rewards: settlement.rewards,
    minted: settlement.minted,
  };
  // The campaign field only when one applied (no spread, no allocation otherwise).
  const event = campaign === null ? settled : { ...settled, campaign: campaign.id };
  const dividend = dividendOf(state, settlement.commission, settlement.inflow, settlement.rewards);
  const locked = lockedOf(settlement.minted, paid.coins, paid.amount);
  return {
    kind: 'event',
    event: withProgramParts(event, dividend, locked),
    resolved: { member: buyer, merchant, recipients: settlement.recipients, bound: settlement.boundMember },
  };
}

function decideRequestWithdrawal(state: State, command: RequestWithdrawal): Decision {
  if (!isTime(command.requestedAtMs)) return badTime('requestedAtMs');
  const member = state.members.indexOf(command.member);
  if (member === NOBODY) return reject('unknown_member', `${command.member} is not a member`);
  const minimum = state.config.withdrawalMinimum;
  if (command.amount <= 0n || command.amount < minimum) {
    return reject('below_minimum', `the smallest withdrawal is ${formatCents(minimum)}`);
  }
  const wallet = cents(state.members.get(member, Slot.Wallet));
  if (command.amount > wallet) {
    return reject(
      'insufficient_wallet',
      `the wallet holds ${formatCents(wallet)}, less than ${formatCents(command.amount)}`,
    );
  }
  const fee = applyRate(command.amount, state.config.withdrawalFeeRate);
  return { kind: 'event', event: { type: 'WithdrawalRequested', command, fee }, resolved: { member } };
}

/** Which statuses each review step may start from. */
const reviewFrom: Record<ReviewWithdrawal['decision'], readonly WithdrawalStatus[]> = {
  approve: ['requested'],
  reject: ['requested', 'approved'],
  paid: ['approved'],
};

function decideReviewWithdrawal(state: State, command: ReviewWithdrawal): Decision {
  if (!isTime(command.atMs)) return badTime('atMs');
  const withdrawal = state.withdrawals.get(command.withdrawal);
  if (withdrawal === undefined)
    return reject('unknown_withdrawal', `${command.withdrawal} is not a withdrawal`);
  const allowed = reviewFrom[command.decision];
  if (allowed === undefined) return reject('malformed', 'decision must be approve, reject or paid');
  if (!allowed.includes(withdrawal.status)) {
    return reject(
      'withdrawal_state',
      `withdrawal ${withdrawal.id} is ${withdrawal.status}: it cannot be marked ${command.decision}`,
    );
  }
  if (command.decision === 'reject' && command.note.trim() === '') {
    return reject('malformed', 'a rejection needs a reason');
  }
  return accept({ type: 'WithdrawalReviewed', command });
}

function decideBindReferrer(state: State, command: BindReferrer): Decision {
  const members = state.members;
  const member = members.indexOf(command.member);
  const referrer = members.indexOf(command.referrer);
  if (member === NOBODY) return reject('unknown_member', `${command.member} is not a member`);
  if (referrer === NOBODY) return reject('unknown_member', `${command.referrer} is not a member`);
  const current = members.referrerOf(member);
  if (current === referrer) return { kind: 'duplicate' };
  if (current !== NOBODY) {
    return reject(
      'already_bound',
      `${command.member} is already bound to ${members.id(current)}: the first binding wins`,
    );
  }
  if (isSelfOrAncestor(members, member, referrer)) {
    return reject(
      'referral_cycle',
      `${command.referrer} is ${command.member} or below it in the referral tree`,
    );
  }
  return accept({ type: 'ReferrerBound', command });
}

function bindingFor(state: State, buyer: MemberIndex, merchant: Merchant): MemberIndex {
  const owner = merchant.owner;
  const unbound = state.members.referrerOf(buyer) === NOBODY;
  if (!state.config.bindOnFirstOrder || !unbound || owner === NOBODY) return NOBODY;
  // Binding the buyer under one of its own downline (or itself) would close a cycle.
  return isSelfOrAncestor(state.members, buyer, owner) ? NOBODY : owner;
}

/** The distribution budget of one order: each reward is cut to what is left of it. */
class Budget implements RewardBudget {
  readonly paid: Reward[] = [];
  readonly recipients: MemberIndex[] = [];
  constructor(
    private readonly state: State,
    private left: Cents,
    private readonly amount: Cents,
  ) {}

  /** Pays `rate` of the order amount; `id` is the recipient's id where the caller has it at hand. */
  pay(kind: RewardKind, recipient: MemberIndex, rate: Ppm, id?: string): void {
    if (recipient === NOBODY) return;
    this.payAmount(kind, recipient, applyRate(this.amount, rate), id);
  }

  payAmount(kind: RewardKind, recipient: MemberIndex, owed: Cents, id?: string): Cents {
    if (recipient === NOBODY) return ZERO_CENTS;
    const amount = minCents(owed, this.left);
    if (amount === 0n) return ZERO_CENTS;
    this.left = cents(this.left - amount);
    // Stored at the end, not pushed: the compiler did not inline this push (a builtin call per reward).
    const paid = this.paid;
    paid[paid.length] = { kind, member: id ?? this.state.members.id(recipient), amount };
    const recipients = this.recipients;
    recipients[recipients.length] = recipient;
    return amount;
  }
}

/** Agents district → city → province, each paid the differential over the lower levels reached (级差). */
function payAgents(state: State, budget: Budget, merchant: Merchant): void {
  const rates = state.config.rewards.agents;
  const chain = state.agentChainOf(merchant);
  // The three levels written out (agentLevels' order): a rate looked up by a level name held in a
  // variable is a keyed load the compiler cannot resolve, once per level per order.
  let reached = payAgent(budget, 'district', chain[0] as MemberIndex, rates.district, ppm(0n));
  reached = payAgent(budget, 'city', chain[1] as MemberIndex, rates.city, reached);
  payAgent(budget, 'province', chain[2] as MemberIndex, rates.province, reached);
}

/** Pays `agent` the differential of `rate` over the rate reached below it; returns the rate now reached. */
function payAgent(budget: Budget, level: AgentLevel, agent: MemberIndex, rate: Ppm, reached: Ppm): Ppm {
  if (agent === NOBODY || rate <= reached) return reached;
  budget.pay(level, agent, ppm(rate - reached));
  return rate;
}

/** Step 6: points worth `value` at the price before this order's inflow. */
export function mintQuantity(state: State, value: Cents): Micros {
  if (state.supply > 0n) {
    assert(state.pool > 0n, 'pool must be positive while supply is');
    return micros((value * state.supply) / state.pool);
  }
  const last = state.lastPriceBeforeEmpty;
  if (last !== null) return micros((value * last.supply) / last.pool);
  return micros((value * MICROS_PER_POINT) / state.config.initialPrice);
}

function decideSell(state: State, command: Sell): Decision {
  const seller = state.members.indexOf(command.member);
  if (seller === NOBODY) return reject('unknown_member', `${command.member} is not a member`);
  const points = command.points;
  if (points <= 0n) return reject('invalid_points', 'points to sell must be above zero');
  const holdings = state.members.points(seller);
  if (points > holdings) {
    return reject(
      'insufficient_points',
      `${command.member} holds ${formatMicros(holdings)} points, fewer than ${formatMicros(points)}`,
    );
  }
  const locked = checkSellable(state, seller, points, holdings);
  if (locked !== null) return { kind: 'rejected', rejection: locked };
  const minimum = state.config.minConsumptionToSell;
  const consumption = cents(state.members.get(seller, Slot.Consumption));
  if (consumption < minimum) {
    return reject(
      'consumption_below_minimum',
      `selling needs lifetime consumption of at least ${formatCents(minimum)}; ${command.member} has ${formatCents(consumption)}`,
    );
  }
  const supplyAfter = state.supply - points;
  if (supplyAfter > 0n && supplyAfter < state.config.minSupply) {
    return reject(
      'supply_below_minimum',
      `the sale would leave a supply of ${formatMicros(micros(supplyAfter))}, below the minimum ${formatMicros(state.config.minSupply)}`,
    );
  }
  const { gross, payout } = saleValue(state, points);
  if (state.members.get(seller, Slot.CycleRealised) + gross > AMOUNT_MAX) return tooLarge();
  const event: PointsSold = { type: 'PointsSold', command, gross, payout };
  return { kind: 'event', event, resolved: { member: seller } };
}

/** `gross = floor(q × P / S)`, `payout = floor(gross × (1 − fee))`; the fee stays in the pool. */
function saleValue(state: State, points: Micros): { gross: Cents; payout: Cents } {
  assert(points <= state.supply && state.supply > 0n, 'a sale needs points in supply');
  const gross = cents((points * state.pool) / state.supply);
  return { gross, payout: applyRate(gross, ppm(PPM_ONE - state.config.sellFee)) };
}

/** The next forced exit due at the current price (SPEC.md "Forced exit"), or null. */
export function decideForcedExit(state: State): MemberForcedOut | null {
  const member = state.exitQueue.peek();
  if (member === NOBODY) return null;
  const points = state.members.points(member);
  if (points > 0n && !state.exitQueue.topDue(state.pool, state.supply)) return null;
  const { gross, payout } =
    points > 0n ? saleValue(state, points) : { gross: ZERO_CENTS, payout: ZERO_CENTS };
  const exit: MemberForcedOut = {
    type: 'MemberForcedOut',
    member: state.members.id(member),
    points,
    gross,
    payout,
  };
  // Locked points are sold too; the locked part of the payout stays locked (docs/rules.md).
  const lockedPart = points > 0n ? lockedExitPart(state, member, points, payout) : null;
  return lockedPart === null ? exit : { ...exit, ...lockedPart };
}
