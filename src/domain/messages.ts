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
}

/** Replaces the configuration from the next command on (SPEC.md keys, decimals as strings). */
export interface Configure {
  readonly type: 'configure';
  readonly config: ConfigInput;
}

export type SetupCommand = Configure | RegisterMember | RegisterMerchant | AppointAgent;
/** Commands that carry a client-chosen id and obey SPEC.md's idempotency rules. */
export type IdentifiedCommand = Order | Sell | Inject;
export type Command = SetupCommand | IdentifiedCommand;

export type RewardKind = 'direct' | 'indirect' | 'merchantRecruiter' | AgentLevel;
export interface Reward {
  readonly kind: RewardKind;
  readonly member: string;
  readonly amount: Cents;
}

export interface ConfigChanged {
  readonly type: 'ConfigChanged';
  /** The whole configuration in its plain form, every key given (formatConfig). */
  readonly config: ConfigInput;
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
export interface MemberForcedOut {
  readonly type: 'MemberForcedOut';
  readonly member: string;
  readonly points: Micros;
  readonly gross: Cents;
  readonly payout: Cents;
}

export type Event =
  | ConfigChanged
  | MemberRegistered
  | MerchantRegistered
  | AgentAppointed
  | OrderSettled
  | PointsSold
  | PoolInjected
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
  | 'supply_below_minimum';

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
}

export const rejection = (code: RejectionCode, message: string): Rejection => ({ code, message });

/** Is `command` the same content as the accepted `seen` with its id ("identical content", SPEC.md)? */
export function sameContent(seen: IdentifiedCommand, command: IdentifiedCommand): boolean {
  switch (seen.type) {
    case 'order':
      return (
        command.type === 'order' &&
        command.member === seen.member &&
        command.merchant === seen.merchant &&
        command.amount === seen.amount
      );
    case 'sell':
      return command.type === 'sell' && command.member === seen.member && command.points === seen.points;
    case 'inject':
      return command.type === 'inject' && command.amount === seen.amount;
    default: {
      const unreachable: never = seen;
      return unreachable;
    }
  }
}
