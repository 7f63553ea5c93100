// The configuration of SPEC.md, parsed and validated up front: a bad key is an error that names it.
import { type Campaign, type CampaignInput, formatCampaignConfig, parseCampaigns } from './campaigns.ts';
import { ConfigError } from './config-error.ts';
import {
  type DividendConfig,
  type DividendConfigInput,
  formatDividendConfig,
  parseDividendConfig,
} from './dividends.ts';
import {
  formatLegacyConfig,
  type LegacyConfig,
  type LegacyConfigInput,
  parseLegacyConfig,
} from './legacy.ts';
import {
  formatTeamConfig,
  type Level,
  type LevelInput,
  parseLevels,
  parseTeamRewards,
  type TeamRewards,
  type TeamRewardsInput,
} from './team.ts';
import {
  CENTS_DECIMALS,
  type Cents,
  cents,
  formatCents,
  formatMicros,
  formatPpm,
  MICROS_DECIMALS,
  type Micros,
  micros,
  PPM_DECIMALS,
  PPM_ONE,
  type Ppm,
  parseDecimal,
  ppm,
} from './units.ts';

export type AgentLevel = 'district' | 'city' | 'province';
export const agentLevels: readonly AgentLevel[] = ['district', 'city', 'province'];

export interface Config {
  /** Cents per point while the supply has never been above zero. */
  readonly initialPrice: Cents;
  readonly commissionRate: Ppm;
  readonly poolShare: Ppm;
  readonly distributionShare: Ppm;
  readonly mintRatio: Ppm;
  readonly sellFee: Ppm;
  readonly capMultiple: Ppm;
  readonly minConsumptionToSell: Cents;
  readonly maxMintValuePerOrder: Cents | null;
  readonly minSupply: Micros;
  readonly bindOnFirstOrder: boolean;
  /** Beyond SPEC.md (docs/rules.md): a paid order settles this long after payment, unless refunded. */
  readonly holdWindowSeconds: number;
  /** The smallest withdrawal, and the share of a paid withdrawal kept as a fee. */
  readonly withdrawalMinimum: Cents;
  readonly withdrawalFeeRate: Ppm;
  readonly rewards: {
    readonly direct: Ppm;
    readonly indirect: Ppm;
    readonly merchantRecruiter: Ppm;
    readonly agents: Readonly<Record<AgentLevel, Ppm>>;
  };
  /** Member levels and team rewards (docs/rules.md); none and off by default. */
  readonly levels: readonly Level[];
  readonly teamRewards: TeamRewards;
  /** Clearance campaigns (docs/rules.md); none by default. */
  readonly campaigns: readonly Campaign[];
  /** Shareholder dividends and legacy conversion (docs/rules.md); off by default. */
  readonly dividends: DividendConfig;
  readonly legacy: LegacyConfig;
}

/** The plain (JSON) form: decimals as strings, as in SPEC.md. */
export interface ConfigInput {
  initialPrice?: string;
  commissionRate?: string;
  poolShare?: string;
  distributionShare?: string;
  mintRatio?: string;
  sellFee?: string;
  capMultiple?: string;
  minConsumptionToSell?: string;
  maxMintValuePerOrder?: string | null;
  minSupply?: string;
  bindOnFirstOrder?: boolean;
  holdWindowSeconds?: string;
  withdrawalMinimum?: string;
  withdrawalFeeRate?: string;
  rewards?: {
    direct?: string;
    indirect?: string;
    merchantRecruiter?: string;
    agents?: Partial<Record<AgentLevel, string>>;
  };
  levels?: LevelInput[];
  teamRewards?: TeamRewardsInput;
  campaigns?: CampaignInput[];
  dividends?: DividendConfigInput;
  legacy?: LegacyConfigInput;
}

export { ConfigError };

export const defaultConfigInput = {
  initialPrice: '1.00',
  commissionRate: '0.20',
  poolShare: '0.80',
  distributionShare: '0.10',
  mintRatio: '0.70',
  sellFee: '0.20',
  capMultiple: '1.2',
  minConsumptionToSell: '0.00',
  maxMintValuePerOrder: null,
  minSupply: '1.000000',
  bindOnFirstOrder: true,
  holdWindowSeconds: '604800',
  withdrawalMinimum: '1.00',
  withdrawalFeeRate: '0',
  rewards: {
    direct: '0.003',
    indirect: '0.002',
    merchantRecruiter: '0.005',
    agents: { district: '0.001', city: '0.002', province: '0.003' },
  },
} as const satisfies ConfigInput;

type Shape = { [key: string]: Shape | 'leaf' };
const shape: Shape = {
  initialPrice: 'leaf',
  commissionRate: 'leaf',
  poolShare: 'leaf',
  distributionShare: 'leaf',
  mintRatio: 'leaf',
  sellFee: 'leaf',
  capMultiple: 'leaf',
  minConsumptionToSell: 'leaf',
  maxMintValuePerOrder: 'leaf',
  minSupply: 'leaf',
  bindOnFirstOrder: 'leaf',
  holdWindowSeconds: 'leaf',
  withdrawalMinimum: 'leaf',
  withdrawalFeeRate: 'leaf',
  rewards: {
    direct: 'leaf',
    indirect: 'leaf',
    merchantRecruiter: 'leaf',
    agents: { district: 'leaf', city: 'leaf', province: 'leaf' },
  },
  // Checked key by key by their own parsers (team.ts, campaigns.ts).
  levels: 'leaf',
  teamRewards: 'leaf',
  campaigns: 'leaf',
  // Checked by dividends.ts and legacy.ts.
  dividends: 'leaf',
  legacy: 'leaf',
};

function rejectUnknownKeys(input: unknown, expected: Shape, path: string): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(path || '(root)', 'expected an object');
  }
  for (const [key, value] of Object.entries(input)) {
    const keyPath = path ? `${path}.${key}` : key;
    const child = Object.hasOwn(expected, key) ? expected[key] : undefined;
    if (child === undefined) throw new ConfigError(keyPath, 'unknown key');
    if (child !== 'leaf') rejectUnknownKeys(value, child, keyPath);
  }
}

const get = (input: ConfigInput, key: string): unknown => {
  let node: unknown = input;
  for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
};

function decimalAt(input: ConfigInput, key: string, scale: number): bigint {
  const given = get(input, key);
  const raw = given === undefined ? get(defaultConfigInput, key) : given;
  const parsed = parseDecimal(raw, scale);
  if (!parsed.ok) throw new ConfigError(key, parsed.message);
  return parsed.value;
}

/** A rate in 0..1 (SPEC.md: "a rate outside 0..1" is an error). */
export function rateAt(input: ConfigInput, key: string): Ppm {
  const value = decimalAt(input, key, PPM_DECIMALS);
  if (value < 0n || value > PPM_ONE) throw new ConfigError(key, 'must be a rate between 0 and 1');
  return ppm(value);
}

function moneyAt(input: ConfigInput, key: string): Cents {
  const value = decimalAt(input, key, CENTS_DECIMALS);
  if (value < 0n) throw new ConfigError(key, 'must not be negative');
  return cents(value);
}

/** A whole number of seconds, at most a year: longer holds are a mistake, not a setting. */
const holdWindowSecondsMax = 366 * 24 * 3600;

function holdWindowSecondsAt(input: ConfigInput): number {
  const value = decimalAt(input, 'holdWindowSeconds', 0);
  if (value < 0n || value > BigInt(holdWindowSecondsMax)) {
    throw new ConfigError(
      'holdWindowSeconds',
      `must be a whole number of seconds from 0 to ${holdWindowSecondsMax}`,
    );
  }
  return Number(value);
}

/** Validates a plain configuration (missing keys take SPEC.md's defaults); throws ConfigError. */
export function parseConfig(raw: unknown = {}): Config {
  rejectUnknownKeys(raw, shape, '');
  const input = raw as ConfigInput;
  const initialPrice = moneyAt(input, 'initialPrice');
  if (initialPrice === 0n) throw new ConfigError('initialPrice', 'must be above zero');
  const capMultiple = decimalAt(input, 'capMultiple', PPM_DECIMALS);
  if (capMultiple < 0n) throw new ConfigError('capMultiple', 'must not be negative');
  const minSupply = decimalAt(input, 'minSupply', MICROS_DECIMALS);
  if (minSupply < 0n) throw new ConfigError('minSupply', 'must not be negative');
  const bindOnFirstOrder = input.bindOnFirstOrder ?? defaultConfigInput.bindOnFirstOrder;
  if (typeof bindOnFirstOrder !== 'boolean') {
    throw new ConfigError('bindOnFirstOrder', 'must be true or false');
  }
  const config: Config = {
    initialPrice,
    commissionRate: rateAt(input, 'commissionRate'),
    poolShare: rateAt(input, 'poolShare'),
    distributionShare: rateAt(input, 'distributionShare'),
    mintRatio: rateAt(input, 'mintRatio'),
    sellFee: rateAt(input, 'sellFee'),
    capMultiple: ppm(capMultiple),
    minConsumptionToSell: moneyAt(input, 'minConsumptionToSell'),
    maxMintValuePerOrder:
      input.maxMintValuePerOrder === null || input.maxMintValuePerOrder === undefined
        ? null
        : moneyAt(input, 'maxMintValuePerOrder'),
    minSupply: micros(minSupply),
    bindOnFirstOrder,
    holdWindowSeconds: holdWindowSecondsAt(input),
    withdrawalMinimum: moneyAt(input, 'withdrawalMinimum'),
    withdrawalFeeRate: rateAt(input, 'withdrawalFeeRate'),
    rewards: {
      direct: rateAt(input, 'rewards.direct'),
      indirect: rateAt(input, 'rewards.indirect'),
      merchantRecruiter: rateAt(input, 'rewards.merchantRecruiter'),
      agents: {
        district: rateAt(input, 'rewards.agents.district'),
        city: rateAt(input, 'rewards.agents.city'),
        province: rateAt(input, 'rewards.agents.province'),
      },
    },
    levels: parseLevels(input.levels),
    teamRewards: parseTeamRewards(input.teamRewards),
    campaigns: parseCampaigns(input.campaigns, rateAt(input, 'mintRatio')),
    dividends: parseDividendConfig(input.dividends),
    legacy: parseLegacyConfig(input.legacy),
  };
  // Beyond 1 the platform's share of a commission would be negative: cash would appear from nowhere.
  if (config.poolShare + config.distributionShare > PPM_ONE) {
    throw new ConfigError('distributionShare', 'poolShare + distributionShare must not exceed 1');
  }
  return config;
}

/** The plain form of a parsed configuration (for logs, reports and the API). */
/**
 * The plain form of `config` with a partial change laid over it: nested objects key by key, any
 * other value (a list, a string) replaced whole. What PUT /v1/config applies and what its
 * compliance preview judges; unparsed, so that parseConfig names a bad key.
 */
export function configWithChanges(config: Config, changes: Readonly<Record<string, unknown>>): ConfigInput {
  return overlay(formatConfig(config), changes) as ConfigInput;
}

function overlay(base: object, change: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(change)) {
    const current = merged[key];
    const bothObjects =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof current === 'object' &&
      current !== null &&
      !Array.isArray(current);
    merged[key] = bothObjects ? overlay(current, value as Record<string, unknown>) : value;
  }
  return merged;
}

export function formatConfig(config: Config): ConfigInput {
  return {
    initialPrice: formatCents(config.initialPrice),
    commissionRate: formatPpm(config.commissionRate),
    poolShare: formatPpm(config.poolShare),
    distributionShare: formatPpm(config.distributionShare),
    mintRatio: formatPpm(config.mintRatio),
    sellFee: formatPpm(config.sellFee),
    capMultiple: formatPpm(config.capMultiple),
    minConsumptionToSell: formatCents(config.minConsumptionToSell),
    maxMintValuePerOrder:
      config.maxMintValuePerOrder === null ? null : formatCents(config.maxMintValuePerOrder),
    minSupply: formatMicros(config.minSupply),
    bindOnFirstOrder: config.bindOnFirstOrder,
    holdWindowSeconds: String(config.holdWindowSeconds),
    withdrawalMinimum: formatCents(config.withdrawalMinimum),
    withdrawalFeeRate: formatPpm(config.withdrawalFeeRate),
    rewards: {
      direct: formatPpm(config.rewards.direct),
      indirect: formatPpm(config.rewards.indirect),
      merchantRecruiter: formatPpm(config.rewards.merchantRecruiter),
      agents: {
        district: formatPpm(config.rewards.agents.district),
        city: formatPpm(config.rewards.agents.city),
        province: formatPpm(config.rewards.agents.province),
      },
    },
    ...formatTeamConfig(config.levels, config.teamRewards),
    ...formatCampaignConfig(config.campaigns),
    ...formatDividendConfig(config.dividends),
    ...formatLegacyConfig(config.legacy),
  };
}

/** Region codes are 6-digit administrative codes (e.g. 440306 = Shenzhen Bao'an). */
export const regionPattern = /^\d{6}$/;

/** The code of `region` at an agent level: district = itself, city = 4 digits + "00", province = 2 + "0000". */
export function regionAt(region: string, level: AgentLevel): string {
  switch (level) {
    case 'district':
      return region;
    case 'city':
      return `${region.slice(0, 4)}00`;
    case 'province':
      return `${region.slice(0, 2)}0000`;
    default: {
      const unreachable: never = level;
      return unreachable;
    }
  }
}
