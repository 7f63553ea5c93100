// evolve(state, event): applies a decided event. It changes the state in place (the state belongs to
// one writer, and copying a million members per event is not an option) and asserts the invariants
// an event can break, so a corrupt log crashes on replay instead of producing wrong balances.
import { regionAt } from './config.ts';
import { triggerKeyOf } from './exit-queue.ts';
import type { Event, MemberForcedOut, OrderSettled, PointsSold, RegisterMerchant } from './messages.ts';
import { fingerprint } from './messages.ts';
import { agentKey, createMember, type Member, type State } from './state.ts';
import { assert, type Cents, cents, type Micros, micros, PPM_ONE, ZERO_CENTS } from './units.ts';

export function evolve(state: State, event: Event): void {
  switch (event.type) {
    case 'MemberRegistered': {
      const { member, referrer } = event.command;
      assert(!state.members.has(member), `member ${member} registered twice`);
      state.members.set(member, createMember(member, referrer === null ? null : memberOf(state, referrer)));
      break;
    }
    case 'MerchantRegistered':
      registerMerchant(state, event.command);
      break;
    case 'AgentAppointed': {
      const { member, level, region } = event.command;
      state.agents.set(agentKey(level, regionAt(region, level)), memberOf(state, member));
      break;
    }
    case 'OrderSettled':
      settleOrder(state, event);
      break;
    case 'PointsSold':
      sellPoints(state, event);
      break;
    case 'PoolInjected':
      state.pool = cents(state.pool + event.command.amount);
      state.injected = cents(state.injected + event.command.amount);
      break;
    case 'MemberForcedOut':
      forceOut(state, event);
      return; // not a command: no sequence number, no id
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
  state.sequence += 1;
  if ('id' in event.command) state.processed.set(event.command.id, fingerprint(event.command));
}

function memberOf(state: State, id: string): Member {
  const member = state.members.get(id);
  assert(member !== undefined, `unknown member ${id} in an accepted event`);
  return member;
}

function registerMerchant(state: State, command: RegisterMerchant): void {
  assert(!state.merchants.has(command.merchant), `merchant ${command.merchant} registered twice`);
  state.merchants.set(command.merchant, {
    id: command.merchant,
    owner: command.owner === null ? null : memberOf(state, command.owner),
    recruiter: command.recruiter === null ? null : memberOf(state, command.recruiter),
    region: command.region,
    commissionRate: command.commissionRate,
    payable: ZERO_CENTS,
  });
}

/** Steps 7–8 of SPEC.md, and the payable of step 2. */
function settleOrder(state: State, event: OrderSettled): void {
  const { command, commission, inflow, minted } = event;
  const buyer = memberOf(state, command.member);
  const merchant = state.merchants.get(command.merchant);
  assert(merchant !== undefined, `unknown merchant ${command.merchant} in an accepted event`);
  assert(commission >= 0n && commission <= command.amount, 'commission within the order amount');
  if (event.bound !== null) {
    assert(buyer.referrer === null, 'only an unbound buyer is bound');
    buyer.referrer = memberOf(state, event.bound);
  }
  merchant.payable = cents(merchant.payable + command.amount - commission);
  let rewardsPaid = 0n;
  for (const reward of event.rewards) {
    const recipient = memberOf(state, reward.member);
    recipient.wallet = cents(recipient.wallet + reward.amount);
    recipient.rewards = cents(recipient.rewards + reward.amount);
    rewardsPaid += reward.amount;
  }
  const platformShare = commission - inflow - rewardsPaid;
  assert(inflow >= 0n && platformShare >= 0n, 'pool inflow and rewards within the commission');
  state.platform = cents(state.platform + platformShare);
  state.pool = cents(state.pool + inflow);
  state.supply = micros(state.supply + minted);
  buyer.points = micros(buyer.points + minted);
  buyer.consumption = cents(buyer.consumption + command.amount);
  if (!buyer.cycleOpen) {
    buyer.cycleOpen = true;
    buyer.cycleOpenedSequence = state.sequence;
  }
  buyer.cycleConsumption = cents(buyer.cycleConsumption + command.amount);
  refreshTrigger(state, buyer);
}

function sellPoints(state: State, event: PointsSold): void {
  const seller = memberOf(state, event.command.member);
  removePoints(state, seller, event.command.points, event.payout);
  seller.cycleRealised = cents(seller.cycleRealised + event.gross);
  refreshTrigger(state, seller);
}

function forceOut(state: State, event: MemberForcedOut): void {
  const member = memberOf(state, event.member);
  assert(member.cycleOpen, `forced exit of ${event.member} without an open cycle`);
  assert(event.points === member.points, 'a forced exit sells all holdings');
  if (event.points > 0n) removePoints(state, member, event.points, event.payout);
  member.cycleOpen = false;
  member.cycleConsumption = ZERO_CENTS;
  member.cycleRealised = ZERO_CENTS;
  member.exits += 1;
  state.forcedExits += 1;
  state.exitQueue.remove(member);
}

/** Points leave the supply; the payout leaves the pool for the wallet; the fee stays behind. */
function removePoints(state: State, member: Member, points: Micros, payout: Cents): void {
  assert(points > 0n && points <= member.points, 'a sale within the seller holdings');
  assert(payout >= 0n && payout <= state.pool, 'a payout within the pool');
  if (points === state.supply) state.lastPriceBeforeEmpty = { pool: state.pool, supply: state.supply };
  member.points = micros(member.points - points);
  member.wallet = cents(member.wallet + payout);
  state.pool = cents(state.pool - payout);
  state.supply = micros(state.supply - points);
  assert(state.supply > 0n || state.pool >= 0n, 'pool never negative');
}

/** Re-keys the member's open cycle in the exit queue (see exit-queue.ts for the arithmetic). */
function refreshTrigger(state: State, member: Member): void {
  const numerator = state.config.capMultiple * member.cycleConsumption - member.cycleRealised * PPM_ONE;
  if (!member.cycleOpen || (member.points === 0n && numerator > 0n)) {
    state.exitQueue.remove(member);
    return;
  }
  member.triggerNumerator = numerator;
  member.triggerKey = triggerKeyOf(numerator, member.points);
  state.exitQueue.upsert(member);
}
