// What a simulated history looks like: how members arrive, how much and how often they buy, when they
// sell, when the platform injects cash, and the configuration. The five named scenarios are profiles;
// a scenario file is a profile too, written over one of them.
import { type Config, ConfigError, formatConfig, parseConfig, regionPattern } from '../domain/config.ts';
import {
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
} from '../domain/units.ts';

/** Days in a cohort: members are grouped by the 30-day month in which they joined. */
export const COHORT_DAYS = 30;
export const DAYS_DEFAULT = 360;
export const DAYS_MAX = 3_650;
export const REGIONS_MAX = 1_000;
export const MERCHANTS_MAX = 100_000;

export interface Curve {
  /** Daily rate at the end of growth ÷ at day 0 (arrivals only; activity does not grow). */
  readonly growthFactor: number;
  /** Daily rate on the last day ÷ when growth stopped: 1 stays flat, below 1 declines. */
  readonly endFactor: number;
  /** Relative weights per 30-day month, replacing the curve when given. */
  readonly monthlyWeights: readonly number[] | null;
}

export interface Injections {
  readonly fromDay: number;
  readonly everyDays: number;
  /** A fixed amount per injection, or … */
  readonly amount: Cents | null;
  /** … this share of the platform revenue earned since the previous injection. */
  readonly platformRevenueShare: Ppm | null;
}

export interface Profile {
  readonly name: string;
  readonly days: number;
  /** Arrivals grow until this day; from it on, growth has stopped (equal to `days`: it never stops). */
  readonly growthDays: number;
  /** New members per day. */
  readonly arrivals: Curve;
  /** Repeat orders per active member, per day. */
  readonly activity: Curve;
  /** A member places repeat orders for this many days after joining, then stops (null: for ever). */
  readonly activeDays: number | null;
  /** Order amounts are log-normal around `median`, cut to [minimum, maximum]. */
  readonly orderAmount: {
    readonly median: Cents;
    readonly spread: number;
    readonly minimum: Cents;
    readonly maximum: Cents;
  };
  /** After each order, with this probability a random member sells `pointsShare` of their points. */
  readonly selling: { readonly sellsPerOrder: number; readonly pointsShare: Ppm };
  /** A run on the pool: on `day`, each member with probability `memberShare` sells `pointsShare`. */
  readonly run: { readonly day: number; readonly memberShare: number; readonly pointsShare: Ppm } | null;
  readonly injections: Injections | null;
  readonly population: {
    /** Share of members who arrive through a referral (the others may be bound on their first order). */
    readonly referredShare: number;
    /** Merchants; null: one per 50 members, at least 1 and at most 2,000. */
    readonly merchants: number | null;
    /** Share of merchants owned by a member (their unbound buyers are bound to that member). */
    readonly ownedShare: number;
    readonly regions: readonly string[];
  };
  readonly config: Config;
}

const flat: Curve = { growthFactor: 20, endFactor: 1, monthlyWeights: null };
const regionsDefault = ['440306', '440305', '440106', '110105', '310115', '330106', '510107', '420111'];

const base: Profile = {
  name: 'growth',
  days: DAYS_DEFAULT,
  growthDays: DAYS_DEFAULT,
  arrivals: flat,
  activity: { growthFactor: 1, endFactor: 1, monthlyWeights: null },
  activeDays: 120,
  orderAmount: { median: cents(12_000n), spread: 0.9, minimum: cents(100n), maximum: cents(500_000n) },
  selling: { sellsPerOrder: 0.02, pointsShare: ppm(500_000n) },
  run: null,
  injections: null,
  population: { referredShare: 0.7, merchants: null, ownedShare: 0.6, regions: regionsDefault },
  config: parseConfig({}),
};

const halfway = DAYS_DEFAULT / 2;

/** The named scenarios of `poolpoint simulate --scenario NAME`. */
export const namedProfiles: Readonly<Record<string, Profile>> = {
  growth: base,
  plateau: { ...base, name: 'plateau', growthDays: halfway },
  decline: {
    ...base,
    name: 'decline',
    growthDays: halfway,
    arrivals: { ...flat, endFactor: 0.05 },
    activity: { growthFactor: 1, endFactor: 0.25, monthlyWeights: null },
  },
  run: {
    ...base,
    name: 'run',
    growthDays: halfway,
    run: { day: halfway + COHORT_DAYS, memberShare: 0.5, pointsShare: PPM_ONE },
  },
  injection: {
    ...base,
    name: 'injection',
    growthDays: halfway,
    injections: { fromDay: halfway, everyDays: COHORT_DAYS, amount: null, platformRevenueShare: PPM_ONE },
  },
};

export const scenarioNames = Object.keys(namedProfiles);

/** The profile in plain JSON form (decimals as strings), for result.json and the report. */
export function describeProfile(profile: Profile): Record<string, unknown> {
  const { orderAmount, selling, run, injections } = profile;
  return {
    name: profile.name,
    days: profile.days,
    growthDays: profile.growthDays,
    arrivals: profile.arrivals,
    activity: profile.activity,
    activeDays: profile.activeDays,
    orderAmount: {
      median: formatCents(orderAmount.median),
      spread: orderAmount.spread,
      minimum: formatCents(orderAmount.minimum),
      maximum: formatCents(orderAmount.maximum),
    },
    selling: { sellsPerOrder: selling.sellsPerOrder, pointsShare: formatPpm(selling.pointsShare) },
    run: run === null ? null : { ...run, pointsShare: formatPpm(run.pointsShare) },
    injections:
      injections === null
        ? null
        : {
            fromDay: injections.fromDay,
            everyDays: injections.everyDays,
            amount: injections.amount === null ? null : formatCents(injections.amount),
            platformRevenueShare:
              injections.platformRevenueShare === null ? null : formatPpm(injections.platformRevenueShare),
          },
    population: profile.population,
    config: formatConfig(profile.config),
  };
}

export class ProfileError extends Error {
  constructor(where: string, reason: string) {
    super(`${where}: ${reason}`);
    this.name = 'ProfileError';
  }
}

type Json = Record<string, unknown>;

function objectAt(value: unknown, where: string, keys: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProfileError(where, 'expected an object');
  }
  const unknown = Object.keys(value).find((key) => !keys.includes(key));
  if (unknown !== undefined) throw new ProfileError(`${where}.${unknown}`, 'unknown key');
  return value as Json;
}

function numberAt(value: unknown, where: string, minimum: number, maximum: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || value > maximum) {
    throw new ProfileError(where, `must be a number from ${minimum} to ${maximum}`);
  }
  return value;
}

function integerAt(value: unknown, where: string, minimum: number, maximum: number): number {
  const number = numberAt(value, where, minimum, maximum);
  if (!Number.isInteger(number)) throw new ProfileError(where, 'must be a whole number');
  return number;
}

function moneyAt(value: unknown, where: string): Cents {
  const parsed = parseDecimal(value, CENTS_DECIMALS);
  if (!parsed.ok) throw new ProfileError(where, parsed.message);
  if (parsed.value <= 0n) throw new ProfileError(where, 'must be above zero');
  return cents(parsed.value);
}

function shareAt(value: unknown, where: string): Ppm {
  const parsed = parseDecimal(value, PPM_DECIMALS);
  if (!parsed.ok) throw new ProfileError(where, parsed.message);
  if (parsed.value < 0n || parsed.value > PPM_ONE) throw new ProfileError(where, 'must be between 0 and 1');
  return ppm(parsed.value);
}

/** `key` of `json` parsed by `parse`, or `fallback` when absent. */
function optional<T>(json: Json, key: string, fallback: T, parse: (value: unknown) => T): T {
  return json[key] === undefined ? fallback : parse(json[key]);
}

const fileKeys = [
  'base',
  'days',
  'growthDays',
  'arrivals',
  'activity',
  'activeDays',
  'orderAmount',
  'selling',
  'run',
  'injections',
  'population',
  'config',
];

/**
 * A scenario file: `{ "base": "plateau", …any profile key… }`. Behaviour (probabilities, growth
 * factors) is a JSON number; money and shares of points are decimal strings, as in SPEC.md.
 */
export function parseProfileFile(raw: unknown, name: string): Profile {
  const file = objectAt(raw, 'scenario', fileKeys);
  const baseName = optional(file, 'base', 'growth', (value) => {
    if (typeof value !== 'string' || namedProfiles[value] === undefined) {
      throw new ProfileError('scenario.base', `must be one of ${scenarioNames.join(', ')}`);
    }
    return value;
  });
  const start = namedProfiles[baseName] as Profile;
  const days = optional(file, 'days', start.days, (value) => integerAt(value, 'scenario.days', 1, DAYS_MAX));
  const dayAt = (value: unknown, where: string): number => integerAt(value, where, 0, days);
  const growthDays = optional(file, 'growthDays', Math.min(start.growthDays, days), (value) =>
    dayAt(value, 'scenario.growthDays'),
  );
  return {
    name,
    days,
    growthDays,
    arrivals: optional(file, 'arrivals', start.arrivals, (value) =>
      curveAt(value, 'scenario.arrivals', start.arrivals),
    ),
    activity: optional(file, 'activity', start.activity, (value) =>
      curveAt(value, 'scenario.activity', start.activity),
    ),
    activeDays: optional(file, 'activeDays', start.activeDays, (value) =>
      value === null ? null : integerAt(value, 'scenario.activeDays', 1, DAYS_MAX),
    ),
    orderAmount: optional(file, 'orderAmount', start.orderAmount, (value) => orderAmountAt(value, start)),
    selling: optional(file, 'selling', start.selling, (value) => sellingAt(value, start)),
    run: optional(file, 'run', start.run, (value) => (value === null ? null : runAt(value, dayAt))),
    injections: optional(file, 'injections', start.injections, (value) =>
      value === null ? null : injectionsAt(value, dayAt),
    ),
    population: optional(file, 'population', start.population, (value) => populationAt(value, start)),
    config: optional(file, 'config', start.config, configAt),
  };
}

const WEIGHTS_MAX = 1_000;

function curveAt(value: unknown, where: string, start: Curve): Curve {
  const json = objectAt(value, where, ['growthFactor', 'endFactor', 'monthlyWeights']);
  const weights = optional(json, 'monthlyWeights', start.monthlyWeights, (list) => {
    if (list === null) return null;
    if (!Array.isArray(list) || list.length === 0 || list.length > WEIGHTS_MAX) {
      throw new ProfileError(`${where}.monthlyWeights`, `must be a list of 1 to ${WEIGHTS_MAX} numbers`);
    }
    const parsed = list.map((weight, index) => numberAt(weight, `${where}.monthlyWeights[${index}]`, 0, 1e9));
    if (!parsed.some((weight) => weight > 0)) {
      throw new ProfileError(`${where}.monthlyWeights`, 'needs at least one weight above zero');
    }
    return parsed;
  });
  return {
    growthFactor: optional(json, 'growthFactor', start.growthFactor, (factor) =>
      numberAt(factor, `${where}.growthFactor`, 0.001, 1e6),
    ),
    endFactor: optional(json, 'endFactor', start.endFactor, (factor) =>
      numberAt(factor, `${where}.endFactor`, 0, 1e6),
    ),
    monthlyWeights: weights,
  };
}

function orderAmountAt(value: unknown, start: Profile): Profile['orderAmount'] {
  const where = 'scenario.orderAmount';
  const json = objectAt(value, where, ['median', 'spread', 'minimum', 'maximum']);
  const amount = start.orderAmount;
  const parsed = {
    median: optional(json, 'median', amount.median, (money) => moneyAt(money, `${where}.median`)),
    spread: optional(json, 'spread', amount.spread, (spread) => numberAt(spread, `${where}.spread`, 0, 5)),
    minimum: optional(json, 'minimum', amount.minimum, (money) => moneyAt(money, `${where}.minimum`)),
    maximum: optional(json, 'maximum', amount.maximum, (money) => moneyAt(money, `${where}.maximum`)),
  };
  if (parsed.minimum > parsed.maximum) throw new ProfileError(where, 'minimum must not exceed maximum');
  return parsed;
}

function sellingAt(value: unknown, start: Profile): Profile['selling'] {
  const where = 'scenario.selling';
  const json = objectAt(value, where, ['sellsPerOrder', 'pointsShare']);
  return {
    sellsPerOrder: optional(json, 'sellsPerOrder', start.selling.sellsPerOrder, (probability) =>
      numberAt(probability, `${where}.sellsPerOrder`, 0, 1),
    ),
    pointsShare: optional(json, 'pointsShare', start.selling.pointsShare, (share) =>
      shareAt(share, `${where}.pointsShare`),
    ),
  };
}

function runAt(value: unknown, dayAt: (value: unknown, where: string) => number): Profile['run'] {
  const where = 'scenario.run';
  const json = objectAt(value, where, ['day', 'memberShare', 'pointsShare']);
  return {
    day: dayAt(json.day, `${where}.day`),
    memberShare: optional(json, 'memberShare', 0.5, (share) => numberAt(share, `${where}.memberShare`, 0, 1)),
    pointsShare: optional(json, 'pointsShare', PPM_ONE, (share) => shareAt(share, `${where}.pointsShare`)),
  };
}

function injectionsAt(value: unknown, dayAt: (value: unknown, where: string) => number): Injections {
  const where = 'scenario.injections';
  const json = objectAt(value, where, ['fromDay', 'everyDays', 'amount', 'platformRevenueShare']);
  const amount = optional(json, 'amount', null, (money) => moneyAt(money, `${where}.amount`));
  const share = optional(json, 'platformRevenueShare', null, (rate) =>
    shareAt(rate, `${where}.platformRevenueShare`),
  );
  if ((amount === null) === (share === null)) {
    throw new ProfileError(where, 'give exactly one of "amount" and "platformRevenueShare"');
  }
  return {
    fromDay: dayAt(json.fromDay, `${where}.fromDay`),
    everyDays: optional(json, 'everyDays', COHORT_DAYS, (every) =>
      integerAt(every, `${where}.everyDays`, 1, DAYS_MAX),
    ),
    amount,
    platformRevenueShare: share,
  };
}

function populationAt(value: unknown, start: Profile): Profile['population'] {
  const where = 'scenario.population';
  const json = objectAt(value, where, ['referredShare', 'merchants', 'ownedShare', 'regions']);
  const population = start.population;
  return {
    referredShare: optional(json, 'referredShare', population.referredShare, (share) =>
      numberAt(share, `${where}.referredShare`, 0, 1),
    ),
    merchants: optional(json, 'merchants', population.merchants, (count) =>
      count === null ? null : integerAt(count, `${where}.merchants`, 1, MERCHANTS_MAX),
    ),
    ownedShare: optional(json, 'ownedShare', population.ownedShare, (share) =>
      numberAt(share, `${where}.ownedShare`, 0, 1),
    ),
    regions: optional(json, 'regions', population.regions, (list) => regionsAt(list, `${where}.regions`)),
  };
}

function regionsAt(list: unknown, where: string): string[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > REGIONS_MAX) {
    throw new ProfileError(where, `must be a list of 1 to ${REGIONS_MAX} six-digit region codes`);
  }
  return list.map((region, index) => {
    if (typeof region !== 'string' || !regionPattern.test(region)) {
      throw new ProfileError(`${where}[${index}]`, 'must be a six-digit region code such as "440306"');
    }
    return region;
  });
}

function configAt(value: unknown): Config {
  try {
    return parseConfig(value);
  } catch (error) {
    if (error instanceof ConfigError) throw new ProfileError('scenario', error.message);
    throw error;
  }
}
