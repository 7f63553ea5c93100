// The scenario file of SPEC.md "Conformance": { config, setup, events }. An invalid config or setup
// is an error for the whole file; a bad event is only a rejection.
import {
  type AgentLevel,
  agentLevels,
  type Config,
  parseConfig,
  regionAt,
  regionPattern,
} from '../domain/config.ts';
import { execute } from '../domain/engine.ts';
import type { Rejection, ScenarioCommand, SetupCommand } from '../domain/messages.ts';
import { rejection } from '../domain/messages.ts';
import { createState, type State } from '../domain/state.ts';
import {
  CENTS_DECIMALS,
  cents,
  MICROS_DECIMALS,
  micros,
  PPM_DECIMALS,
  PPM_ONE,
  type Ppm,
  parseDecimal,
  ppm,
} from '../domain/units.ts';

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export interface Scenario {
  readonly config: Config;
  readonly setup: readonly SetupCommand[];
  readonly events: readonly unknown[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function objectAt(value: unknown, where: string, keys: readonly string[]): Json {
  if (!isObject(value)) throw new ScenarioError(`${where}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new ScenarioError(`${where}: unknown key "${key}"`);
  }
  return value;
}

function arrayAt(value: unknown, where: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ScenarioError(`${where}: expected an array`);
  return value;
}

function idAt(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ScenarioError(`${where}: expected a non-empty string id`);
  }
  return value;
}

function optionalIdAt(value: unknown, where: string, members: ReadonlySet<string>): string | null {
  if (value === undefined || value === null) return null;
  const id = idAt(value, where);
  if (!members.has(id)) throw new ScenarioError(`${where}: "${id}" is not a listed member`);
  return id;
}

function regionAtKey(value: unknown, where: string): string {
  if (typeof value !== 'string' || !regionPattern.test(value)) {
    throw new ScenarioError(`${where}: region must be a 6-digit code, got ${JSON.stringify(value)}`);
  }
  return value;
}

function rateAtKey(value: unknown, where: string): Ppm {
  const parsed = parseDecimal(value, PPM_DECIMALS);
  if (!parsed.ok) throw new ScenarioError(`${where}: ${parsed.message}`);
  if (parsed.value < 0n || parsed.value > PPM_ONE) {
    throw new ScenarioError(`${where}: must be a rate between 0 and 1`);
  }
  return ppm(parsed.value);
}

/** Validates a whole scenario file; throws ScenarioError naming the first problem. */
export function parseScenario(raw: unknown): Scenario {
  const file = objectAt(raw, 'scenario', ['config', 'setup', 'events']);
  let config: Config;
  try {
    config = parseConfig(file.config ?? {});
  } catch (error) {
    throw new ScenarioError((error as Error).message);
  }
  const setup = objectAt(file.setup ?? {}, 'setup', ['members', 'merchants', 'agents']);
  return {
    config,
    setup: parseSetup(setup),
    events: arrayAt(file.events, 'events'),
  };
}

function parseSetup(setup: Json): SetupCommand[] {
  const memberEntries = arrayAt(setup.members, 'setup.members').map((entry, index) =>
    objectAt(entry, `setup.members[${index}]`, ['id', 'referrer']),
  );
  const memberIds = new Set<string>();
  for (const [index, entry] of memberEntries.entries()) {
    const id = idAt(entry.id, `setup.members[${index}].id`);
    if (memberIds.has(id)) throw new ScenarioError(`setup.members[${index}]: member "${id}" is listed twice`);
    memberIds.add(id);
  }
  const referrers = new Map<string, string | null>();
  for (const [index, entry] of memberEntries.entries()) {
    const referrer = optionalIdAt(entry.referrer, `setup.members[${index}].referrer`, memberIds);
    referrers.set(entry.id as string, referrer);
  }
  const commands: SetupCommand[] = [];
  for (const member of orderReferrersFirst(referrers)) {
    commands.push({ type: 'registerMember', member, referrer: referrers.get(member) ?? null });
  }
  const merchantIds = new Set<string>();
  for (const [index, entry] of arrayAt(setup.merchants, 'setup.merchants').entries()) {
    const where = `setup.merchants[${index}]`;
    const merchant = objectAt(entry, where, ['id', 'owner', 'recruiter', 'region', 'commissionRate']);
    const id = idAt(merchant.id, `${where}.id`);
    if (merchantIds.has(id)) throw new ScenarioError(`${where}: merchant "${id}" is listed twice`);
    merchantIds.add(id);
    commands.push({
      type: 'registerMerchant',
      merchant: id,
      owner: optionalIdAt(merchant.owner, `${where}.owner`, memberIds),
      recruiter: optionalIdAt(merchant.recruiter, `${where}.recruiter`, memberIds),
      region: merchant.region == null ? null : regionAtKey(merchant.region, `${where}.region`),
      commissionRate:
        merchant.commissionRate == null
          ? null
          : rateAtKey(merchant.commissionRate, `${where}.commissionRate`),
    });
  }
  const agentSeats = new Set<string>();
  for (const [index, entry] of arrayAt(setup.agents, 'setup.agents').entries()) {
    const where = `setup.agents[${index}]`;
    const agent = objectAt(entry, where, ['member', 'level', 'region']);
    const member = optionalIdAt(agent.member, `${where}.member`, memberIds);
    if (member === null) throw new ScenarioError(`${where}.member: an agent must be a listed member`);
    if (!agentLevels.includes(agent.level as AgentLevel)) {
      throw new ScenarioError(`${where}.level: must be one of ${agentLevels.join(', ')}`);
    }
    const level = agent.level as AgentLevel;
    const region = regionAtKey(agent.region, `${where}.region`);
    const seat = `${level}:${regionAt(region, level)}`;
    if (agentSeats.has(seat)) throw new ScenarioError(`${where}: that ${level} region already has an agent`);
    agentSeats.add(seat);
    commands.push({ type: 'appointAgent', member, level, region });
  }
  return commands;
}

/** Orders members so that each comes after its referrer; a referral cycle is an error. */
function orderReferrersFirst(referrers: ReadonlyMap<string, string | null>): string[] {
  const ordered: string[] = [];
  const placed = new Set<string>();
  for (const start of referrers.keys()) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let node: string | null = start;
    while (node !== null && !placed.has(node)) {
      if (onChain.has(node)) throw new ScenarioError(`setup.members: referral cycle through "${node}"`);
      onChain.add(node);
      chain.push(node);
      node = referrers.get(node) ?? null;
    }
    for (let index = chain.length - 1; index >= 0; index -= 1) {
      const member = chain[index] as string;
      placed.add(member);
      ordered.push(member);
    }
  }
  return ordered;
}

const eventKeys: Record<string, readonly string[]> = {
  order: ['type', 'id', 'member', 'merchant', 'amount'],
  sell: ['type', 'id', 'member', 'points'],
  inject: ['type', 'id', 'amount'],
};

export type ParsedEvent =
  | { readonly ok: true; readonly command: ScenarioCommand }
  | { readonly ok: false; readonly id: unknown; readonly rejection: Rejection };

/** Turns one raw event into a command, or a rejection saying what is wrong with it. */
export function parseEvent(raw: unknown): ParsedEvent {
  const fail = (code: Rejection['code'], message: string): ParsedEvent => ({
    ok: false,
    id: isObject(raw) ? raw.id : undefined,
    rejection: rejection(code, message),
  });
  if (!isObject(raw)) return fail('malformed', 'an event must be an object');
  if (raw.id === undefined || raw.id === null || raw.id === '') {
    return fail('missing_id', 'every event needs an id');
  }
  if (typeof raw.id !== 'string') return fail('malformed', 'an event id must be a string');
  const keys =
    typeof raw.type === 'string' && Object.hasOwn(eventKeys, raw.type) ? eventKeys[raw.type] : undefined;
  if (keys === undefined) return fail('unknown_type', `unknown event type ${JSON.stringify(raw.type)}`);
  const unknownKey = Object.keys(raw).find((key) => !keys.includes(key));
  if (unknownKey !== undefined) return fail('malformed', `unknown field "${unknownKey}"`);
  const id = raw.id;
  for (const key of ['member', 'merchant'] as const) {
    if (keys.includes(key) && (typeof raw[key] !== 'string' || raw[key] === '')) {
      return fail('malformed', `${key} must be a non-empty string id`);
    }
  }
  const quantityKey = raw.type === 'sell' ? 'points' : 'amount';
  const quantity = parseDecimal(raw[quantityKey], raw.type === 'sell' ? MICROS_DECIMALS : CENTS_DECIMALS);
  if (!quantity.ok) {
    return fail(
      raw.type === 'sell' ? 'invalid_points' : 'invalid_amount',
      `${quantityKey}: ${quantity.message}`,
    );
  }
  const command: ScenarioCommand =
    raw.type === 'order'
      ? {
          type: 'order',
          id,
          member: raw.member as string,
          merchant: raw.merchant as string,
          amount: cents(quantity.value),
        }
      : raw.type === 'sell'
        ? { type: 'sell', id, member: raw.member as string, points: micros(quantity.value) }
        : { type: 'inject', id, amount: cents(quantity.value) };
  return { ok: true, command };
}

export interface ReplayResult {
  readonly state: State;
  readonly rejected: unknown[];
  readonly duplicates: string[];
  readonly rejections: { id: unknown; code: string; message: string }[];
}

/** Builds the state from the setup: every setup command must be accepted. */
export function stateFromSetup(config: Config, setup: readonly SetupCommand[]): State {
  const state = createState(config);
  for (const command of setup) {
    const outcome = execute(state, command);
    if (outcome.kind === 'rejected') throw new ScenarioError(`setup: ${outcome.rejection.message}`);
  }
  return state;
}

/** Runs the events of a scenario in order, as `poolpoint replay` does. */
export function replayScenario(scenario: Scenario): ReplayResult {
  const state = stateFromSetup(scenario.config, scenario.setup);
  const result: ReplayResult = { state, rejected: [], duplicates: [], rejections: [] };
  const reject = (id: unknown, why: Rejection): void => {
    result.rejected.push(id ?? null);
    result.rejections.push({ id: id ?? null, code: why.code, message: why.message });
  };
  for (const raw of scenario.events) {
    const parsed = parseEvent(raw);
    if (!parsed.ok) {
      reject(parsed.id, parsed.rejection);
      continue;
    }
    const outcome = execute(state, parsed.command);
    if (outcome.kind === 'duplicate') result.duplicates.push(parsed.command.id);
    if (outcome.kind === 'rejected') reject(parsed.command.id, outcome.rejection);
  }
  return result;
}
