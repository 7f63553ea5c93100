// Events as stored text: JSON with every bigint written as a string of its smallest unit (cents,
// micro-points, ppm). The encoding is canonical for events built by the domain (key order is the
// order the decider builds them in), so re-deciding an event and encoding it again must give the
// stored text byte for byte: that is how `verify` compares.
import type { Event, IdentifiedCommand, Reward } from '../domain/messages.ts';

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export function encodeEvent(event: Event): string {
  return JSON.stringify(event, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

export type Json = Record<string, unknown>;

const integerPattern = /^-?\d+$/;

function integer(value: unknown, where: string): bigint {
  if (typeof value !== 'string' || !integerPattern.test(value)) {
    throw new CodecError(`${where}: expected an integer string, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CodecError(`${where}: expected an object`);
  }
  return value as Json;
}

/** Converts the named fields of `target` from integer strings to bigints, in place. */
function integers(target: Json, keys: readonly string[], where: string): void {
  for (const key of keys) target[key] = integer(target[key], `${where}.${key}`);
}

/** Converts an identified command's quantity back to a bigint, in place. */
export function reviveIdentifiedCommand(command: Json): IdentifiedCommand {
  switch (command.type) {
    case 'order':
    case 'inject':
      integers(command, ['amount'], 'command');
      break;
    case 'sell':
      integers(command, ['points'], 'command');
      break;
    default:
      throw new CodecError(`unknown command type ${JSON.stringify(command.type)}`);
  }
  return command as unknown as IdentifiedCommand;
}

export function decodeEvent(text: string): Event {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CodecError(`not JSON: ${(error as Error).message}`);
  }
  const event = object(parsed, 'event');
  const command = event.command === undefined ? undefined : object(event.command, 'event.command');
  switch (event.type) {
    case 'ConfigChanged':
    case 'MemberRegistered':
    case 'AgentAppointed':
      break;
    case 'MerchantRegistered':
      if (command?.commissionRate !== null) integers(command as Json, ['commissionRate'], 'command');
      break;
    case 'OrderSettled':
      reviveIdentifiedCommand(command as Json);
      integers(event, ['commission', 'inflow', 'minted'], 'event');
      if (!Array.isArray(event.rewards)) throw new CodecError('event.rewards: expected an array');
      for (const reward of event.rewards as Reward[])
        integers(object(reward, 'reward'), ['amount'], 'reward');
      break;
    case 'PointsSold':
      reviveIdentifiedCommand(command as Json);
      integers(event, ['gross', 'payout'], 'event');
      break;
    case 'PoolInjected':
      reviveIdentifiedCommand(command as Json);
      break;
    case 'MemberForcedOut':
      integers(event, ['points', 'gross', 'payout'], 'event');
      break;
    default:
      throw new CodecError(`unknown event type ${JSON.stringify(event.type)}`);
  }
  return event as unknown as Event;
}

/** The command id an event answers for (the idempotency key), or null. */
export function commandIdOf(event: Event): string | null {
  return 'command' in event && 'id' in event.command ? event.command.id : null;
}
