// `--export-events FILE`: the generated history as a SPEC.md scenario file, so that `poolpoint replay`
// of it rebuilds the simulation's final state exactly. Written as it is generated, in chunks, so that
// a history of millions of events never sits in memory as one string.
import { closeSync, openSync, writeSync } from 'node:fs';
import { type Config, formatConfig } from '../domain/config.ts';
import type {
  AppointAgent,
  Inject,
  Order,
  RegisterMember,
  RegisterMerchant,
  Sell,
} from '../domain/messages.ts';
import { formatCents, formatMicros, formatPpm } from '../domain/units.ts';

/** The setup commands a simulated population is made of: what a scenario file's `setup` can say. */
export type SimulatedSetup = RegisterMember | RegisterMerchant | AppointAgent;
/** The commands a simulated history is made of: the events of a scenario file. */
export type SimulatedCommand = Order | Sell | Inject;

/** Receives every event command of a history, in the order it was executed (rejected ones too). */
export interface CommandSink {
  command(command: SimulatedCommand): void;
}

const chunkCharactersMax = 1 << 20;

export class ScenarioWriter implements CommandSink {
  private readonly descriptor: number;
  private chunk: string[] = [];
  private chunkCharacters = 0;
  private first = true;

  constructor(path: string, config: Config, setup: readonly SimulatedSetup[]) {
    this.descriptor = openSync(path, 'w');
    const head = JSON.stringify({ config: formatConfig(config), setup: setupJson(setup) }, null, 1);
    // The head without its closing brace; the events follow as its last key.
    this.write(`${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n "events": [\n`);
  }

  command(command: SimulatedCommand): void {
    this.write(`${this.first ? '' : ',\n'}  ${JSON.stringify(eventJson(command))}`);
    this.first = false;
  }

  close(): void {
    this.write('\n ]\n}\n');
    this.flush();
    closeSync(this.descriptor);
  }

  private write(text: string): void {
    this.chunk.push(text);
    this.chunkCharacters += text.length;
    if (this.chunkCharacters >= chunkCharactersMax) this.flush();
  }

  private flush(): void {
    writeSync(this.descriptor, this.chunk.join(''));
    this.chunk = [];
    this.chunkCharacters = 0;
  }
}

/** The SPEC.md `setup` section: members with referrers, merchants, agents. */
export function setupJson(setup: readonly SimulatedSetup[]): Record<string, unknown[]> {
  const members: unknown[] = [];
  const merchants: unknown[] = [];
  const agents: unknown[] = [];
  for (const command of setup) {
    switch (command.type) {
      case 'registerMember':
        members.push(
          command.referrer === null
            ? { id: command.member }
            : { id: command.member, referrer: command.referrer },
        );
        break;
      case 'registerMerchant':
        merchants.push(
          withoutNulls({
            id: command.merchant,
            owner: command.owner,
            recruiter: command.recruiter,
            region: command.region,
            commissionRate: command.commissionRate === null ? null : formatPpm(command.commissionRate),
          }),
        );
        break;
      case 'appointAgent':
        agents.push({ member: command.member, level: command.level, region: command.region });
        break;
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  }
  return { members, merchants, agents };
}

const withoutNulls = (entry: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== null));

/** One event in SPEC.md form: amounts and points as decimal strings. */
export function eventJson(command: SimulatedCommand): Record<string, string> {
  switch (command.type) {
    case 'order':
      return {
        type: 'order',
        id: command.id,
        member: command.member,
        merchant: command.merchant,
        amount: formatCents(command.amount),
      };
    case 'sell':
      return { type: 'sell', id: command.id, member: command.member, points: formatMicros(command.points) };
    case 'inject':
      return { type: 'inject', id: command.id, amount: formatCents(command.amount) };
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}
