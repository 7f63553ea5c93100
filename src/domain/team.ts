// Member levels and the two team rewards paid on them (docs/rules.md "Member levels and team
// rewards"): the level differential (级差) and the peer reward (平级). Off by default; when on, they
// are paid from what SPEC.md step 4 left of the distribution budget, walking at most `depthMax`
// uplines from the buyer.
import { ConfigError } from './config-error.ts';
import { type MemberIndex, NOBODY, Slot } from './members.ts';
import { type Rejection, type RewardKind, rejection, type SetMemberLevel } from './messages.ts';
import type { State } from './state.ts';
import {
  applyRate,
  assert,
  CENTS_DECIMALS,
  type Cents,
  cents,
  formatCents,
  formatPpm,
  PPM_DECIMALS,
  PPM_ONE,
  type Ppm,
  parseDecimal,
  ppm,
} from './units.ts';

/** At most this many levels may be configured. */
export const levelsMax = 16;
/** A level's name: 1 to this many characters. */
export const levelNameLengthMax = 40;
/** The deepest walk up the referral chain a configuration may ask for (the default is 2). */
export const teamDepthMax = 10;

export interface Level {
  readonly name: string;
  /** Lifetime consumption (own orders) from which a member holds this level. */
  readonly threshold: Cents;
  /** Of the order amount. */
  readonly rate: Ppm;
}

export interface TeamRewards {
  readonly enabled: boolean;
  /** How many uplines the walk visits at most, counting the buyer's referrer as 1. */
  readonly depthMax: number;
  /** The share of a differential paid to the first upline of the same level (平级). */
  readonly peerShare: Ppm;
}

export interface LevelInput {
  name?: string;
  threshold?: string;
  rate?: string;
}
export interface TeamRewardsInput {
  enabled?: boolean;
  depthMax?: string;
  peerShare?: string;
}

export const defaultTeamRewards: TeamRewards = { enabled: false, depthMax: 2, peerShare: ppm(0n) };

type Plain = Record<string, unknown>;

function objectAt(raw: unknown, key: string, keys: readonly string[]): Plain {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(key, 'expected an object');
  }
  for (const name of Object.keys(raw)) {
    if (!keys.includes(name)) throw new ConfigError(`${key}.${name}`, 'unknown key');
  }
  return raw as Plain;
}

function decimalAt(raw: unknown, key: string, scale: number): bigint {
  const parsed = parseDecimal(raw, scale);
  if (!parsed.ok) throw new ConfigError(key, parsed.message);
  return parsed.value;
}

function rateAt(raw: unknown, key: string): Ppm {
  const value = decimalAt(raw, key, PPM_DECIMALS);
  if (value < 0n || value > PPM_ONE) throw new ConfigError(key, 'must be a rate between 0 and 1');
  return ppm(value);
}

function nameAt(raw: unknown, key: string): string {
  if (typeof raw !== 'string' || raw.trim() === '' || raw.length > levelNameLengthMax) {
    throw new ConfigError(key, `must be a name of 1 to ${levelNameLengthMax} characters`);
  }
  return raw;
}

/** `levels`: thresholds strictly increasing, rates never decreasing, names distinct. */
export function parseLevels(raw: unknown): readonly Level[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError('levels', 'expected an array');
  if (raw.length > levelsMax) throw new ConfigError('levels', `at most ${levelsMax} levels`);
  const levels: Level[] = [];
  for (const [index, entry] of raw.entries()) {
    const key = `levels[${index}]`;
    const fields = objectAt(entry, key, ['name', 'threshold', 'rate']);
    const name = nameAt(fields.name, `${key}.name`);
    if (levels.some((level) => level.name === name)) {
      throw new ConfigError(`${key}.name`, `"${name}" names two levels`);
    }
    const threshold = cents(decimalAt(fields.threshold, `${key}.threshold`, CENTS_DECIMALS));
    if (threshold < 0n) throw new ConfigError(`${key}.threshold`, 'must not be negative');
    const rate = rateAt(fields.rate, `${key}.rate`);
    const below = levels[index - 1];
    if (below !== undefined && threshold <= below.threshold) {
      throw new ConfigError(
        `${key}.threshold`,
        `must be above the threshold of the level below (${formatCents(below.threshold)})`,
      );
    }
    if (below !== undefined && rate < below.rate) {
      throw new ConfigError(
        `${key}.rate`,
        `must not be below the rate of the level below (${formatPpm(below.rate)})`,
      );
    }
    levels.push({ name, threshold, rate });
  }
  return levels;
}

export function parseTeamRewards(raw: unknown): TeamRewards {
  if (raw === undefined) return defaultTeamRewards;
  const fields = objectAt(raw, 'teamRewards', ['enabled', 'depthMax', 'peerShare']);
  const enabled = fields.enabled === undefined ? defaultTeamRewards.enabled : fields.enabled;
  if (typeof enabled !== 'boolean') throw new ConfigError('teamRewards.enabled', 'must be true or false');
  const depthMax =
    fields.depthMax === undefined
      ? defaultTeamRewards.depthMax
      : Number(decimalAt(fields.depthMax, 'teamRewards.depthMax', 0));
  if (depthMax < 1 || depthMax > teamDepthMax) {
    throw new ConfigError('teamRewards.depthMax', `must be a whole number from 1 to ${teamDepthMax}`);
  }
  const peerShare =
    fields.peerShare === undefined
      ? defaultTeamRewards.peerShare
      : rateAt(fields.peerShare, 'teamRewards.peerShare');
  return { enabled, depthMax, peerShare };
}

/**
 * The plain form of the levels and team rewards, or nothing when they are at their defaults: a
 * configuration without them formats exactly as it did before they existed (stored ConfigChanged
 * events and snapshots compare byte for byte).
 */
export function formatTeamConfig(
  levels: readonly Level[],
  teamRewards: TeamRewards,
): { levels?: LevelInput[]; teamRewards?: TeamRewardsInput } {
  const isDefault =
    teamRewards.enabled === defaultTeamRewards.enabled &&
    teamRewards.depthMax === defaultTeamRewards.depthMax &&
    teamRewards.peerShare === defaultTeamRewards.peerShare;
  return {
    ...(levels.length === 0
      ? {}
      : {
          levels: levels.map((level) => ({
            name: level.name,
            threshold: formatCents(level.threshold),
            rate: formatPpm(level.rate),
          })),
        }),
    ...(isDefault
      ? {}
      : {
          teamRewards: {
            enabled: teamRewards.enabled,
            depthMax: String(teamRewards.depthMax),
            peerShare: formatPpm(teamRewards.peerShare),
          },
        }),
  };
}

/**
 * A member's level, 1-based into `config.levels` (0: none). An admin-set level overrides the one
 * earned by consumption, as long as the configuration still has a level of that name.
 */
export function levelOf(state: State, member: MemberIndex): number {
  const levels = state.config.levels;
  if (state.levelOverrides.size > 0) {
    const name = state.levelOverrides.get(member);
    if (name !== undefined) {
      const set = levels.findIndex((level) => level.name === name);
      if (set !== -1) return set + 1;
    }
  }
  const consumption = state.members.get(member, Slot.Consumption);
  for (let level = levels.length; level > 0; level -= 1) {
    if ((levels[level - 1] as Level).threshold <= consumption) return level;
  }
  return 0;
}

/** A member's level by id, and whether an admin set it: for reports. Null for an unknown member. */
export function memberLevel(
  state: State,
  id: string,
): { readonly level: string | null; readonly setByAdmin: boolean } | null {
  const member = state.members.indexOf(id);
  if (member === NOBODY) return null;
  const level = levelOf(state, member);
  const name = level === 0 ? null : (state.config.levels[level - 1] as Level).name;
  return { level: name, setByAdmin: name !== null && state.levelOverrides.get(member) === name };
}

/**
 * Why `setMemberLevel` is refused, or null. The level must be one configured now; null clears an
 * admin-set level (the member's level is then the one its consumption earns).
 */
export function checkSetMemberLevel(state: State, command: SetMemberLevel): Rejection | null {
  if (!state.members.has(command.member)) {
    return rejection('unknown_member', `${command.member} is not a member`);
  }
  const level = command.level;
  if (level === null) return null;
  const levels = state.config.levels;
  if (typeof level !== 'string' || !levels.some((configured) => configured.name === level)) {
    const names = levels.map((configured) => configured.name).join(', ');
    return rejection(
      'unknown_level',
      `${JSON.stringify(level)} is not a configured level (${names === '' ? 'none are configured' : names})`,
    );
  }
  return null;
}

/** Applies an accepted `setMemberLevel` (evolve). */
export function setMemberLevel(state: State, command: SetMemberLevel): void {
  const member = state.members.indexOf(command.member);
  assert(member !== NOBODY, `unknown member ${command.member} in an accepted event`);
  if (command.level === null) state.levelOverrides.delete(member);
  else state.levelOverrides.set(member, command.level);
}

/** What the team rewards pay through: the order's distribution budget (decide.ts). */
export interface RewardBudget {
  /** Pays `amount`, cut to what is left of the budget, to `recipient`; returns what was paid. */
  payAmount(kind: RewardKind, recipient: MemberIndex, amount: Cents): Cents;
}

/**
 * Walks up from `firstUpline` (the buyer's referrer) at most `depthMax` uplines. An upline whose
 * level's rate is above the highest rate already reached is paid the difference of the order amount
 * (级差); the first upline after it of the same level as the last one paid a differential is paid
 * `peerShare` of that differential (平级), once per differential.
 */
export function payTeamRewards(
  state: State,
  budget: RewardBudget,
  firstUpline: MemberIndex,
  amount: Cents,
): void {
  const { levels, teamRewards } = state.config;
  const members = state.members;
  let reachedLevel = 0;
  let reachedRate = 0n;
  let differential = cents(0n);
  let peerOpen = false;
  let upline = firstUpline;
  for (let depth = 1; upline !== NOBODY && depth <= teamRewards.depthMax; depth += 1) {
    const level = levelOf(state, upline);
    const rate = level === 0 ? 0n : (levels[level - 1] as Level).rate;
    if (rate > reachedRate) {
      const owed = applyRate(amount, ppm(rate - reachedRate));
      differential = budget.payAmount('levelDifferential', upline, owed);
      reachedLevel = level;
      reachedRate = rate;
      peerOpen = true;
    } else if (peerOpen && level === reachedLevel) {
      budget.payAmount('levelPeer', upline, applyRate(differential, teamRewards.peerShare));
      peerOpen = false;
    }
    upline = members.referrerOf(upline);
  }
}
