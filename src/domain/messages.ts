// Commands (what someone asks for) and events (what the rules decided happened).
import type { AgentLevel, ConfigInput } from './config.ts';
import type { Cents, Micros, Ppm } from './units.ts';

export interface RegisterMember {
  readonly type: 'registerMember';
  readonly member: string;
  readonly referrer: string | null;
}
export interface RegisterMerchant {
  readonly type: 'registerMerchant';
  readonly merchant: string;
  readonly owner: string | null;
  readonly recruiter: string | null;
  readonly region: string | null;
  readonly commissionRate: Ppm | null;
}
export interface AppointAgent {
  readonly type: 'appointAgent';
  readonly member: string;
  readonly level: AgentLevel;
  /** The region as given; it is cut to the level when the agent is appointed. */
  readonly region: string;
}
export interface Order {
  readonly type: 'order';
  readonly id: string;
  readonly member: string;
  readonly merchant: string;
  readonly amount: Cents;
  /** The part paid in consumption coins (docs/rules.md "Legacy conversion"); absent: none. */
  readonly coins?: Cents;
}
export interface Sell {
  readonly type: 'sell';
  readonly id: string;
  readonly member: string;
  readonly points: Micros;
}
export interface Inject {
  readonly type: 'inject';
  readonly id: string;
  readonly amount: Cents;
  /** Who did it (an admin account), for the audit trail; absent in SPEC.md scenarios. */
  readonly actor?: string;
}

/** An order reported paid: it settles after the hold window (the refund period) unless refunded. */
export interface Pay {
  readonly type: 'pay';
  readonly id: string;
  readonly member: string;
  readonly merchant: string;
  readonly amount: Cents;
  readonly paidAtMs: number;
  /** The product line sold, when the shop names one: a clearance campaign may cover only it. */
  readonly productLine?: string;
  /** The part paid in consumption coins (docs/rules.md "Legacy conversion"); absent: none. */
  readonly coins?: Cents;
}
/** Voids a paid order before it settles. */
export interface Refund {
  readonly type: 'refund';
  readonly id: string;
  readonly order: string;
  readonly refundedAtMs: number;
  readonly actor?: string;
}
/** Settles a paid order whose hold window has passed (sent by the service's scheduler). */
export interface Settle {
  readonly type: 'settle';
  readonly order: string;
  readonly nowMs: number;
}
/** Wallet → withdrawal: the amount is frozen until finance pays or rejects it (提现). */
export interface RequestWithdrawal {
  readonly type: 'requestWithdrawal';
  readonly id: string;
  readonly member: string;
  readonly amount: Cents;
  readonly requestedAtMs: number;
}
export interface ReviewWithdrawal {
  readonly type: 'reviewWithdrawal';
  readonly id: string;
  readonly withdrawal: string;
  readonly decision: 'approve' | 'reject' | 'paid';
  /** The reason of a rejection, or the payment reference of a payout. */
  readonly note: string;
  readonly actor: string;
  readonly atMs: number;
}
/** Binds an unbound member to a referrer (a share link); the first binding wins. */
export interface BindReferrer {
  readonly type: 'bindReferrer';
  readonly member: string;
  readonly referrer: string;
}

/** Sets a member's level by hand (overriding the one earned by consumption), or clears it (null). */
export interface SetMemberLevel {
  readonly type: 'setMemberLevel';
  readonly id: string;
  readonly member: string;
  readonly level: string | null;
  readonly actor?: string;
}

/** Replaces the configuration from the next command on (SPEC.md keys, decimals as strings). */
export interface Configure {
  readonly type: 'configure';
  readonly config: ConfigInput;
  readonly actor?: string;
}

/** Sets a shareholder's weight (docs/rules.md "Shareholder dividends"); 0 removes the shareholder. */
export interface SetShareholder {
  readonly type: 'setShareholder';
  readonly id: string;
  readonly member: string;
  /** A whole number, 0 to shareholderWeightMax. */
  readonly weight: bigint;
  readonly actor?: string;
}
/** Pays the dividend pool out to the shareholders, once per day. */
export interface SettleDividends {
  readonly type: 'settleDividends';
  readonly id: string;
  /** YYYY-MM-DD; each day after the last one settled. */
  readonly day: string;
  readonly actor: string;
}
/** Grants consumption coins (消费币) for an old liability (docs/rules.md "Legacy conversion"). */
export interface GrantCoins {
  readonly type: 'grantCoins';
  readonly id: string;
  readonly member: string;
  readonly coins: Cents;
  readonly reason: string;
  readonly actor: string;
}
/** Releases the batches of locked points and locked cash due by `day` (sent daily by the scheduler). */
export interface ReleaseLocked {
  readonly type: 'releaseLocked';
  readonly id: string;
  /** YYYY-MM-DD; each day after the last release day. */
  readonly day: string;
  readonly actor?: string;
}

export type SetupCommand = Configure | RegisterMember | RegisterMerchant | AppointAgent | BindReferrer;
/** Commands that carry a client-chosen id and obey SPEC.md's idempotency rules. */
export type IdentifiedCommand =
  | Order
  | Sell
  | Inject
  | Pay
  | Refund
  | RequestWithdrawal
  | ReviewWithdrawal
  | SetMemberLevel
  | SetShareholder
  | SettleDividends
  | GrantCoins
  | ReleaseLocked;
/** The events of a SPEC.md scenario file. */
export type ScenarioCommand = Order | Sell | Inject;
export type Command = SetupCommand | IdentifiedCommand | Settle;

/** `levelDifferential` and `levelPeer` are the team rewards (级差, 平级) of docs/rules.md. */
export type RewardKind =
  | 'direct'
  | 'indirect'
  | 'merchantRecruiter'
  | AgentLevel
  | 'levelDifferential'
  | 'levelPeer';
export interface Reward {
  readonly kind: RewardKind;
  readonly member: string;
  readonly amount: Cents;
}

export interface ConfigChanged {
  readonly type: 'ConfigChanged';
  /** The whole configuration in its plain form, every key given (formatConfig). */
  readonly config: ConfigInput;
  readonly actor?: string;
}
export interface MemberRegistered {
  readonly type: 'MemberRegistered';
  readonly command: RegisterMember;
}
export interface MerchantRegistered {
  readonly type: 'MerchantRegistered';
  readonly command: RegisterMerchant;
}
export interface AgentAppointed {
  readonly type: 'AgentAppointed';
  readonly command: AppointAgent;
}
export interface OrderSettled {
  readonly type: 'OrderSettled';
  readonly command: Order;
  /** The merchant's owner, when this order bound the buyer to it (收款码锁粉). */
  readonly bound: string | null;
  readonly commission: Cents;
  readonly inflow: Cents;
  readonly rewards: readonly Reward[];
  readonly minted: Micros;
  /** Of the platform's kept amount, to the dividend pool; absent when none. */
  readonly dividend?: Cents;
  /** Of `minted`, the points locked for the coin part; absent when none. */
  readonly locked?: Micros;
}
export interface PointsSold {
  readonly type: 'PointsSold';
  readonly command: Sell;
  readonly gross: Cents;
  readonly payout: Cents;
}
export interface PoolInjected {
  readonly type: 'PoolInjected';
  readonly command: Inject;
}
export interface ReferrerBound {
  readonly type: 'ReferrerBound';
  readonly command: BindReferrer;
}
export interface OrderPaid {
  readonly type: 'OrderPaid';
  readonly command: Pay;
}
export interface OrderRefunded {
  readonly type: 'OrderRefunded';
  readonly command: Refund;
}
/** A paid order settled: the same results as OrderSettled, for the order paid earlier. */
export interface PaidOrderSettled {
  readonly type: 'PaidOrderSettled';
  readonly command: Settle;
  readonly bound: string | null;
  readonly commission: Cents;
  readonly inflow: Cents;
  readonly rewards: readonly Reward[];
  readonly minted: Micros;
  /** As in OrderSettled. */
  readonly dividend?: Cents;
  readonly locked?: Micros;
  /** The clearance campaign whose mint ratio the order used; absent when none. */
  readonly campaign?: string;
}
export interface WithdrawalRequested {
  readonly type: 'WithdrawalRequested';
  readonly command: RequestWithdrawal;
  /** Withheld for the platform when the withdrawal is paid. */
  readonly fee: Cents;
}
export interface WithdrawalReviewed {
  readonly type: 'WithdrawalReviewed';
  readonly command: ReviewWithdrawal;
}
export interface MemberLevelSet {
  readonly type: 'MemberLevelSet';
  readonly command: SetMemberLevel;
}
export interface MemberForcedOut {
  readonly type: 'MemberForcedOut';
  readonly member: string;
  readonly points: Micros;
  readonly gross: Cents;
  readonly payout: Cents;
  /** Of `points`, those locked; of `payout`, the part that stays locked as cash. Absent when none. */
  readonly locked?: Micros;
  readonly lockedPayout?: Cents;
}
export interface ShareholderSet {
  readonly type: 'ShareholderSet';
  readonly command: SetShareholder;
}
export interface DividendPayment {
  readonly member: string;
  readonly amount: Cents;
}
export interface DividendsSettled {
  readonly type: 'DividendsSettled';
  readonly command: SettleDividends;
  /** The dividend pool before the payments. */
  readonly pool: Cents;
  /** In member id order; shareholders whose share floors to 0 are left out. */
  readonly payments: readonly DividendPayment[];
}
export interface CoinsGranted {
  readonly type: 'CoinsGranted';
  readonly command: GrantCoins;
}
export interface LockedReleased {
  readonly type: 'LockedReleased';
  readonly command: ReleaseLocked;
  /** Σ locked points freed and Σ locked cash paid to wallets. */
  readonly points: Micros;
  readonly cash: Cents;
}

export type Event =
  | ConfigChanged
  | ReferrerBound
  | OrderPaid
  | OrderRefunded
  | PaidOrderSettled
  | WithdrawalRequested
  | WithdrawalReviewed
  | MemberRegistered
  | MerchantRegistered
  | AgentAppointed
  | OrderSettled
  | PointsSold
  | PoolInjected
  | MemberLevelSet
  | ShareholderSet
  | DividendsSettled
  | CoinsGranted
  | LockedReleased
  | MemberForcedOut;

export type RejectionCode =
  | 'invalid_config'
  | 'missing_id'
  | 'id_reused'
  | 'malformed'
  | 'unknown_type'
  | 'unknown_member'
  | 'unknown_merchant'
  | 'member_exists'
  | 'merchant_exists'
  | 'agent_exists'
  | 'referral_cycle'
  | 'invalid_amount'
  | 'amount_too_large'
  | 'invalid_points'
  | 'invalid_region'
  | 'insufficient_points'
  | 'consumption_below_minimum'
  | 'supply_below_minimum'
  | 'already_bound'
  | 'unknown_order'
  | 'order_settled'
  | 'order_refunded'
  | 'not_due'
  | 'below_minimum'
  | 'insufficient_wallet'
  | 'unknown_withdrawal'
  | 'withdrawal_state'
  | 'unknown_level'
  | 'invalid_weight'
  | 'too_many_shareholders'
  | 'day_settled'
  | 'legacy_off'
  | 'insufficient_coins'
  | 'points_locked'
  | 'day_released';

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
}

export const rejection = (code: RejectionCode, message: string): Rejection => ({ code, message });

/** Is `command` the same content as the accepted `seen` with its id ("identical content", SPEC.md)? */
export function sameContent(seen: IdentifiedCommand, command: IdentifiedCommand): boolean {
  if (seen.type !== command.type) return false;
  switch (seen.type) {
    case 'order': {
      const other = command as Order;
      return (
        other.member === seen.member &&
        other.merchant === seen.merchant &&
        other.amount === seen.amount &&
        (other.coins ?? 0n) === (seen.coins ?? 0n)
      );
    }
    case 'pay': {
      const other = command as Pay;
      return (
        other.member === seen.member &&
        other.merchant === seen.merchant &&
        other.amount === seen.amount &&
        other.productLine === seen.productLine &&
        (other.coins ?? 0n) === (seen.coins ?? 0n)
      );
    }
    case 'sell': {
      const other = command as Sell;
      return other.member === seen.member && other.points === seen.points;
    }
    case 'inject':
      return (command as Inject).amount === seen.amount;
    case 'refund':
      return (command as Refund).order === seen.order;
    case 'requestWithdrawal': {
      const other = command as RequestWithdrawal;
      return other.member === seen.member && other.amount === seen.amount;
    }
    case 'reviewWithdrawal': {
      const other = command as ReviewWithdrawal;
      return other.withdrawal === seen.withdrawal && other.decision === seen.decision;
    }
    case 'setMemberLevel': {
      const other = command as SetMemberLevel;
      return other.member === seen.member && other.level === seen.level;
    }
    case 'setShareholder': {
      const other = command as SetShareholder;
      return other.member === seen.member && other.weight === seen.weight;
    }
    case 'settleDividends':
      return (command as SettleDividends).day === seen.day;
    case 'grantCoins': {
      const other = command as GrantCoins;
      return other.member === seen.member && other.coins === seen.coins;
    }
    case 'releaseLocked':
      return (command as ReleaseLocked).day === seen.day;
    default: {
      const unreachable: never = seen;
      return unreachable;
    }
  }
}
