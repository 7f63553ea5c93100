// Regional agents (区代 / 市代 / 省代) as a read model: when each was appointed and what it has been
// paid as an agent so far (per position: an agent may hold several, and the event names only the
// member and level, so a payment is placed by the order's merchant region cut to the level).
import { type AgentLevel, agentLevels, regionAt } from '../domain/config.ts';
import type { Event } from '../domain/messages.ts';
import { agentKey, type State } from '../domain/state.ts';
import { type Cents, cents } from '../domain/units.ts';
import type { Projection } from './projections.ts';

export interface AgentRecord {
  readonly sequence: number;
  readonly appointedAtMs: number;
  /** Agent rewards paid to this position so far, and on how many orders. */
  earned: Cents;
  orders: number;
}

const isAgentLevel = (kind: string): kind is AgentLevel => (agentLevels as readonly string[]).includes(kind);

export class AgentEarnings implements Projection {
  /** By `level:region` (region cut to the level), as State.agents. */
  private readonly positions = new Map<string, AgentRecord>();

  /** What the read model knows of the position `level:region`; undefined while a rebuild has not reached it. */
  position(key: string): AgentRecord | undefined {
    return this.positions.get(key);
  }

  record(event: Event, sequence: number, atMs: number, state: State): void {
    switch (event.type) {
      case 'AgentAppointed': {
        const { level, region } = event.command;
        const key = agentKey(level, regionAt(region, level));
        this.positions.set(key, { sequence, appointedAtMs: atMs, earned: cents(0n), orders: 0 });
        break;
      }
      case 'OrderSettled':
      case 'PaidOrderSettled': {
        if (!event.rewards.some((reward) => isAgentLevel(reward.kind))) break;
        // The order's merchant (a command's content never changes) and its region (fixed at registration).
        const order = event.type === 'OrderSettled' ? event.command : state.processed(event.command.order);
        if (order === undefined || (order.type !== 'order' && order.type !== 'pay')) break;
        const region = state.merchants.get(order.merchant)?.region ?? null;
        if (region === null) break;
        for (const reward of event.rewards) {
          if (!isAgentLevel(reward.kind)) continue;
          const position = this.positions.get(agentKey(reward.kind, regionAt(region, reward.kind)));
          if (position === undefined) continue;
          position.earned = cents(position.earned + reward.amount);
          position.orders += 1;
        }
        break;
      }
      default:
        break;
    }
  }
}
