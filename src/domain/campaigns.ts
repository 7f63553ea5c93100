// Clearance campaigns (清库存, docs/rules.md "Clearance campaigns"): a merchant, or one product line
// of it, mints at a boosted ratio for the paid orders paid within [startMs, endMs). The ratio is at
// most 1, so a campaign never mints more value than its order puts into the pool.
import { ConfigError } from './config-error.ts';
import type { State } from './state.ts';
import {
  type Cents,
  cents,
  formatPpm,
  type Micros,
  micros,
  PPM_DECIMALS,
  PPM_ONE,
  type Ppm,
  parseDecimal,
  ppm,
} from './units.ts';

/** At most this many campaigns may be configured at once. */
export const campaignsMax = 64;
/** Ids, merchant ids and product lines: 1 to this many characters. */
const campaignTextLengthMax = 64;
/** Times are whole milliseconds from 0 to 2^53 − 1 (as every time inside a command). */
const timeMsMax = BigInt(Number.MAX_SAFE_INTEGER);

export interface Campaign {
  readonly id: string;
  readonly merchant: string;
  /** Only paid orders of this product line; null: every paid order at the merchant. */
  readonly productLine: string | null;
  /** The window, half-open: paid at or after `startMs` and before `endMs`. */
  readonly startMs: number;
  readonly endMs: number;
  /** Replaces `config.mintRatio` in SPEC.md step 5 for the orders it covers. */
  readonly mintRatio: Ppm;
}

export interface CampaignInput {
  id?: string;
  merchant?: string;
  productLine?: string | null;
  startMs?: string;
  endMs?: string;
  mintRatio?: string;
}

/** What a campaign has settled so far (for reports). */
export interface CampaignTotals {
  readonly campaign: string;
  orders: number;
  /** Σ order amounts. */
  amount: Cents;
  /** Σ pool inflow of its orders: the minted value never exceeds it. */
  inflow: Cents;
  minted: Micros;
}

type Plain = Record<string, unknown>;
const campaignKeys = ['id', 'merchant', 'productLine', 'startMs', 'endMs', 'mintRatio'];

function textAt(raw: unknown, key: string): string {
  if (typeof raw !== 'string' || raw === '' || raw.length > campaignTextLengthMax) {
    throw new ConfigError(key, `must be a string of 1 to ${campaignTextLengthMax} characters`);
  }
  return raw;
}

function timeAt(raw: unknown, key: string): number {
  const parsed = parseDecimal(raw, 0);
  if (!parsed.ok) throw new ConfigError(key, parsed.message);
  if (parsed.value < 0n || parsed.value > timeMsMax) {
    throw new ConfigError(key, 'must be a time in whole milliseconds since 1970 (UTC)');
  }
  return Number(parsed.value);
}

function campaignAt(raw: unknown, key: string): Campaign {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(key, 'expected an object');
  }
  for (const name of Object.keys(raw)) {
    if (!campaignKeys.includes(name)) throw new ConfigError(`${key}.${name}`, 'unknown key');
  }
  const fields = raw as Plain;
  const startMs = timeAt(fields.startMs, `${key}.startMs`);
  const endMs = timeAt(fields.endMs, `${key}.endMs`);
  if (endMs <= startMs) throw new ConfigError(`${key}.endMs`, 'must be after startMs');
  const ratio = parseDecimal(fields.mintRatio, PPM_DECIMALS);
  if (!ratio.ok) throw new ConfigError(`${key}.mintRatio`, ratio.message);
  if (ratio.value < 0n || ratio.value > PPM_ONE) {
    throw new ConfigError(`${key}.mintRatio`, 'must be a rate between 0 and 1');
  }
  return {
    id: textAt(fields.id, `${key}.id`),
    merchant: textAt(fields.merchant, `${key}.merchant`),
    productLine:
      fields.productLine === undefined || fields.productLine === null
        ? null
        : textAt(fields.productLine, `${key}.productLine`),
    startMs,
    endMs,
    mintRatio: ppm(ratio.value),
  };
}

/** `campaigns`: distinct ids, each boosting (never lowering) `mintRatio`, at most 1. */
export function parseCampaigns(raw: unknown, mintRatio: Ppm): readonly Campaign[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError('campaigns', 'expected an array');
  if (raw.length > campaignsMax) throw new ConfigError('campaigns', `at most ${campaignsMax} campaigns`);
  const campaigns: Campaign[] = [];
  for (const [index, entry] of raw.entries()) {
    const key = `campaigns[${index}]`;
    const campaign = campaignAt(entry, key);
    if (campaigns.some((other) => other.id === campaign.id)) {
      throw new ConfigError(`${key}.id`, `"${campaign.id}" names two campaigns`);
    }
    if (campaign.mintRatio < mintRatio) {
      throw new ConfigError(
        `${key}.mintRatio`,
        `must not be below mintRatio (${formatPpm(mintRatio)}): a campaign boosts the mint`,
      );
    }
    campaigns.push(campaign);
  }
  return campaigns;
}

/** The plain form, or nothing when there are none (a configuration without them formats as before). */
export function formatCampaignConfig(campaigns: readonly Campaign[]): { campaigns?: CampaignInput[] } {
  if (campaigns.length === 0) return {};
  return {
    campaigns: campaigns.map((campaign) => ({
      id: campaign.id,
      merchant: campaign.merchant,
      ...(campaign.productLine === null ? {} : { productLine: campaign.productLine }),
      startMs: String(campaign.startMs),
      endMs: String(campaign.endMs),
      mintRatio: formatPpm(campaign.mintRatio),
    })),
  };
}

/**
 * The campaign a paid order falls under: same merchant, same product line (or a campaign for the
 * whole merchant), paid within the window. Of several, the highest ratio; of equal ratios, the one
 * listed first. Null when none.
 */
export function campaignFor(
  campaigns: readonly Campaign[],
  merchant: string,
  productLine: string | undefined,
  paidAtMs: number,
): Campaign | null {
  let found: Campaign | null = null;
  for (const campaign of campaigns) {
    if (campaign.merchant !== merchant) continue;
    if (campaign.productLine !== null && campaign.productLine !== productLine) continue;
    if (paidAtMs < campaign.startMs || paidAtMs >= campaign.endMs) continue;
    if (found === null || campaign.mintRatio > found.mintRatio) found = campaign;
  }
  return found;
}

/** Adds a settled order to its campaign's totals (evolve). */
export function recordCampaignOrder(
  state: State,
  campaign: string,
  amount: Cents,
  inflow: Cents,
  minted: Micros,
): void {
  let totals = state.campaignTotals.get(campaign);
  if (totals === undefined) {
    totals = { campaign, orders: 0, amount: cents(0n), inflow: cents(0n), minted: micros(0n) };
    state.campaignTotals.set(campaign, totals);
  }
  totals.orders += 1;
  totals.amount = cents(totals.amount + amount);
  totals.inflow = cents(totals.inflow + inflow);
  totals.minted = micros(totals.minted + minted);
}
