// evolve(state, event): applies a decided event. It changes the state in place (the state belongs to
// one writer, and copying a million members per event is not an option) and asserts the invariants
// an event can break, so a corrupt log crashes on replay instead of producing wrong balances.
import { recordCampaignOrder } from './campaigns.ts';
import { type Config, parseConfig } from './config.ts';
import { applyDividendsSettled, applyShareholderSet } from './dividends.ts';
import {
  applyCoinsGranted,
  applyLockedReleased,
  lockedExitPart,
  lockedOf,
  settleCoins,
  settleLockedAtExit,
} from './legacy.ts';
import type {
  Event,
  IdentifiedCommand,
  MemberForcedOut,
  Order,
  OrderSettled,
  PaidOrderSettled,
  Pay,
  PointsSold,
  RegisterMerchant,
  Reward,
  WithdrawalRequested,
  WithdrawalReviewed,
} from './messages.ts';
import { type MemberIndex, NOBODY, type Resolved, Slot, type State } from './state.ts';
import { setMemberLevel } from './team.ts';
import { assert, type Cents, cents, fail, type Micros, micros } from './units.ts';

/** `resolved`, when given, must be what `decide` looked up for this very event. */
export function evolve(state: State, event: Event, resolved?: Resolved): void {
  switch (event.type) {
    case 'ConfigChanged':
      changeConfig(state, parseConfig(event.config));
      break;
    case 'MemberRegistered': {
      const { member, referrer } = event.command;
      assert(!state.members.has(member), `member ${member} registered twice`);
      state.members.add(member, referrer === null ? NOBODY : memberOf(state, referrer));
      state.exitQueue.reserve();
      break;
    }
    case 'MerchantRegistered':
      registerMerchant(state, event.command);
      break;
    case 'AgentAppointed': {
      const { member, level, region } = event.command;
      state.appointAgent(level, region, memberOf(state, member));
      break;
    }
    case 'OrderSettled':
      applySettlement(state, event.command, event, resolved);
      break;
    case 'PointsSold':
      sellPoints(state, event, resolved?.member ?? memberOf(state, event.command.member));
      break;
    case 'PoolInjected':
      state.pool = cents(state.pool + event.command.amount);
      state.injected = cents(state.injected + event.command.amount);
      state.received = cents(state.received + event.command.amount);
      break;
    case 'ReferrerBound': {
      const member = memberOf(state, event.command.member);
      state.members.setReferrer(member, memberOf(state, event.command.referrer));
      break;
    }
    case 'OrderPaid': {
      state.addPendingOrder(event.command);
      state.pendingAmount = cents(state.pendingAmount + event.command.amount);
      // The coin part is paid with the order: it leaves the balance now and returns on a refund.
      const coins = event.command.coins;
      if (coins !== undefined && coins > 0n)
        state.legacy.addCoins(memberOf(state, event.command.member), -coins);
      break;
    }
    case 'OrderRefunded': {
      const pending = state.pendingOrders.get(event.command.order);
      assert(pending !== undefined, `refund of ${event.command.order}, which is not pending`);
      state.pendingOrders.delete(event.command.order);
      state.refundedOrders.add(event.command.order);
      state.pendingAmount = cents(state.pendingAmount - pending.command.amount);
      const coins = pending.command.coins;
      if (coins !== undefined && coins > 0n)
        state.legacy.addCoins(memberOf(state, pending.command.member), coins);
      break;
    }
    case 'PaidOrderSettled': {
      const pending = state.pendingOrders.get(event.command.order);
      if (pending === undefined) fail(`settlement of ${event.command.order}, which is not pending`);
      state.pendingOrders.delete(event.command.order);
      state.pendingAmount = cents(state.pendingAmount - pending.command.amount);
      applySettlement(state, pending.command, event, resolved);
      if (event.campaign !== undefined) {
        recordCampaignOrder(state, event.campaign, pending.command.amount, event.inflow, event.minted);
      }
      break;
    }
    case 'WithdrawalRequested':
      requestWithdrawal(state, event, resolved?.member ?? memberOf(state, event.command.member));
      break;
    case 'WithdrawalReviewed':
      reviewWithdrawal(state, event);
      break;
    case 'MemberLevelSet':
      setMemberLevel(state, event.command);
      break;
    case 'ShareholderSet':
      applyShareholderSet(state, event.command);
      break;
    case 'DividendsSettled':
      applyDividendsSettled(state, event);
      break;
    case 'CoinsGranted':
      applyCoinsGranted(state, event);
      break;
    case 'LockedReleased':
      applyLockedReleased(state, event);
      break;
    case 'MemberForcedOut':
      forceOut(state, event, resolved?.member ?? memberOf(state, event.member));
      return; // not a command: no sequence number, no id
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
  state.sequence += 1;
  // A command with an id is recorded (idempotency). Read as a property, not tested with `in`: with
  // this many event and command shapes `in` is a megamorphic lookup, about a fifth of an order's time.
  const command = (event as { readonly command?: { readonly id?: string } }).command;
  if (command?.id !== undefined) state.recordProcessed(command as IdentifiedCommand);
}

function memberOf(state: State, id: string): MemberIndex {
  const member = state.members.indexOf(id);
  if (member === NOBODY) fail(`unknown member ${id} in an accepted event`);
  return member;
}

const optionalMemberOf = (state: State, id: string | null): MemberIndex =>
  id === null ? NOBODY : memberOf(state, id);

function registerMerchant(state: State, command: RegisterMerchant): void {
  assert(!state.merchants.has(command.merchant), `merchant ${command.merchant} registered twice`);
  state.addMerchant({
    id: command.merchant,
    owner: optionalMemberOf(state, command.owner),
    recruiter: optionalMemberOf(state, command.recruiter),
    region: command.region,
    commissionRate: command.commissionRate,
  });
}

/** Steps 7–8 of SPEC.md, and the payable of step 2, for an order settled now or after its hold. */
function applySettlement(
  state: State,
  order: Order | Pay,
  event: OrderSettled | PaidOrderSettled,
  resolved: Resolved | undefined,
): void {
  const { commission, inflow, minted } = event;
  const members = state.members;
  const buyer = resolved?.member ?? memberOf(state, order.member);
  const merchant = resolved?.merchant ?? state.merchants.get(order.merchant);
  if (merchant === undefined) fail(`unknown merchant ${order.merchant} in an accepted event`);
  assert(commission >= 0n && commission <= order.amount, 'commission within the order amount');
  if (event.bound !== null) {
    members.setReferrer(buyer, resolved?.bound ?? memberOf(state, event.bound));
  }
  // Only the cash part is received; the coin part is funded by the platform (docs/rules.md).
  const coins = order.coins;
  state.received = cents(state.received + (coins === undefined ? order.amount : order.amount - coins));
  state.addPayable(merchant, cents(order.amount - commission));
  let rewardsPaid = 0n;
  const recipients = resolved?.recipients;
  for (let index = 0; index < event.rewards.length; index += 1) {
    const reward = event.rewards[index] as Reward;
    const recipient = recipients?.[index] ?? memberOf(state, reward.member);
    members.add64(recipient, Slot.Wallet, reward.amount);
    members.add64(recipient, Slot.Rewards, reward.amount);
    rewardsPaid += reward.amount;
  }
  const platformShare = commission - inflow - rewardsPaid;
  assert(inflow >= 0n && platformShare >= 0n, 'pool inflow and rewards within the commission');
  // The locked points are the rule's (a stored event that dropped them would free coin-bought points).
  assert(
    (event.locked ?? 0n) === lockedOf(minted, coins, order.amount),
    'the locked part of the points minted',
  );
  let platformNet = platformShare;
  const dividend = event.dividend;
  if (dividend !== undefined) {
    assert(dividend >= 0n && dividend <= platformShare, 'the dividend part within what the platform keeps');
    state.dividends.addToPool(dividend);
    platformNet -= dividend;
  }
  if (coins !== undefined && coins > 0n) {
    // An immediate order pays its coins now; a paid order paid them when it was accepted.
    if (event.type === 'OrderSettled') state.legacy.addCoins(buyer, -coins);
    settleCoins(state, buyer, coins, event.locked);
    platformNet -= coins;
  }
  state.platform = cents(state.platform + platformNet);
  state.pool = cents(state.pool + inflow);
  state.supply = micros(state.supply + minted);
  members.add64(buyer, Slot.Points, minted);
  members.add64(buyer, Slot.Consumption, order.amount);
  members.add64(buyer, Slot.CycleConsumption, order.amount);
  if (members.cycleOpen[buyer] === 0) {
    members.cycleOpen[buyer] = 1;
    members.cycleOpenedSequence[buyer] = state.sequence;
  }
  state.exitQueue.refresh(buyer);
}

function requestWithdrawal(state: State, event: WithdrawalRequested, member: MemberIndex): void {
  const { id, amount, requestedAtMs } = event.command;
  assert(amount <= state.members.get(member, Slot.Wallet), 'a withdrawal within the wallet');
  state.members.add64(member, Slot.Wallet, -amount);
  state.members.add64(member, Slot.Frozen, amount);
  state.withdrawals.set(id, {
    id,
    member: event.command.member,
    amount,
    fee: event.fee,
    requestedAtMs,
    status: 'requested',
    note: '',
    reviewer: null,
  });
}

/** Approve only changes the status; reject returns the frozen cash; paid sends it out, less the fee. */
function reviewWithdrawal(state: State, event: WithdrawalReviewed): void {
  const { withdrawal: id, decision, note, actor } = event.command;
  const withdrawal = state.withdrawals.get(id);
  assert(withdrawal !== undefined, `review of ${id}, which is not a withdrawal`);
  const member = memberOf(state, withdrawal.member);
  if (decision === 'reject') {
    state.members.add64(member, Slot.Frozen, -withdrawal.amount);
    state.members.add64(member, Slot.Wallet, withdrawal.amount);
    withdrawal.status = 'rejected';
  } else if (decision === 'paid') {
    state.members.add64(member, Slot.Frozen, -withdrawal.amount);
    state.withdrawn = cents(state.withdrawn + withdrawal.amount - withdrawal.fee);
    state.platform = cents(state.platform + withdrawal.fee);
    withdrawal.status = 'paid';
  } else {
    withdrawal.status = 'approved';
  }
  assert(state.members.get(member, Slot.Frozen) >= 0n, 'frozen cash never negative');
  withdrawal.note = note;
  withdrawal.reviewer = actor;
}

function sellPoints(state: State, event: PointsSold, seller: MemberIndex): void {
  const locked = state.legacy.lockedPoints(seller);
  assert(
    locked === 0n || event.command.points <= state.members.points(seller) - locked,
    'a sale of free points',
  );
  removePoints(state, seller, event.command.points, event.payout);
  state.members.add64(seller, Slot.CycleRealised, event.gross);
  state.exitQueue.refresh(seller);
}

function forceOut(state: State, event: MemberForcedOut, member: MemberIndex): void {
  const members = state.members;
  if (members.cycleOpen[member] !== 1) fail(`forced exit of ${event.member} without an open cycle`);
  assert(event.points === members.points(member), 'a forced exit sells all holdings');
  // The locked parts are there exactly when locked points are held, as the rule splits the payout:
  // a stored exit that dropped them would leave locked points on nothing and free the locked cash.
  const lockedPart = event.points > 0n ? lockedExitPart(state, member, event.points, event.payout) : null;
  assert(
    event.locked === lockedPart?.locked && event.lockedPayout === lockedPart?.lockedPayout,
    'a forced exit carries the locked parts of its payout',
  );
  if (event.points > 0n) removePoints(state, member, event.points, event.payout);
  if (event.locked !== undefined) settleLockedAtExit(state, member, event);
  members.cycleOpen[member] = 0;
  members.set(member, Slot.CycleConsumption, 0n);
  members.set(member, Slot.CycleRealised, 0n);
  members.exits[member] = (members.exits[member] as number) + 1;
  state.forcedExits += 1;
  state.exitQueue.remove(member);
}

/** Points leave the supply; the payout leaves the pool for the wallet; the fee stays behind. */
function removePoints(state: State, member: MemberIndex, points: Micros, payout: Cents): void {
  const members = state.members;
  assert(points > 0n && points <= members.points(member), 'a sale within the seller holdings');
  assert(payout >= 0n && payout <= state.pool, 'a payout within the pool');
  if (points === state.supply) state.lastPriceBeforeEmpty = { pool: state.pool, supply: state.supply };
  members.add64(member, Slot.Points, -points);
  members.add64(member, Slot.Wallet, payout);
  state.pool = cents(state.pool - payout);
  state.supply = micros(state.supply - points);
}

function changeConfig(state: State, config: Config): void {
  const capChanged = config.capMultiple !== state.config.capMultiple;
  state.config = config;
  // Trigger keys depend on the cap: re-key every open cycle (rare, O(n log n)).
  if (capChanged) state.rebuildExitQueue();
}
