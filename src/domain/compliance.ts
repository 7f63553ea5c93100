// The compliance report: each setting that regulators have named, judged green / amber / red, with
// the reason and where the concern comes from. Pure: a configuration (and any configurable texts)
// in, findings out. It informs an operator; it is not legal advice.
import type { Config } from './config.ts';
import { formatPpm, PPM_ONE, type Ppm, ppm } from './units.ts';

export type Level = 'green' | 'amber' | 'red';

export interface Finding {
  readonly rule: string;
  readonly level: Level;
  readonly reason: string;
  readonly source: string;
}

const sources = {
  pyramid:
    '禁止传销条例 (国务院令第444号) art. 2 and 7: pay for recruiting others, entry fees, and pay by the results of a team are pyramid selling; criminal cases start at 30 people in 3 levels',
  rebateWarning:
    '2018 joint risk warning of six regulators on 消费返利 (consumption rebate) schemes: promising returns above what was spent',
  advertising: '广告法 art. 25: advertising may not promise returns or guarantee income',
} as const;

/** Phrases that promise or guarantee returns (checked in configurable texts, case-insensitive). */
const promisePhrases = [
  '保本',
  '稳赚',
  '保证收益',
  '保证回报',
  '零风险',
  '无风险',
  '躺赚',
  '稳赚不赔',
  '只涨不跌',
  '全额返还',
  '100%返',
  'guaranteed return',
  'guaranteed profit',
  'risk-free',
  'risk free',
  'cannot lose',
  'always rises',
] as const;

/** capMultiple × (1 − sellFee): what a cycle returns at most, per yuan of consumption, if the cap is reached. */
export function maximumStaticReturnPpm(config: Config): Ppm {
  return ppm((config.capMultiple * (PPM_ONE - config.sellFee)) / PPM_ONE);
}

function staticReturn(config: Config): Finding {
  const ratio = maximumStaticReturnPpm(config);
  const shown = `capMultiple ${formatPpm(config.capMultiple)} × (1 − sellFee ${formatPpm(config.sellFee)}) = ${formatPpm(ratio)}`;
  const level: Level = ratio > PPM_ONE ? 'red' : ratio === PPM_ONE ? 'amber' : 'green';
  const reason =
    level === 'red'
      ? `${shown}: a member reaching the cap is paid more than they spent, which reads as a promise of returns`
      : level === 'amber'
        ? `${shown}: reaching the cap gives back exactly what was spent; do not present it as getting everything back`
        : `${shown}: even at the cap a member gets back less than they spent`;
  return { rule: 'maximum static return', level, reason, source: sources.rebateWarning };
}

/** How many uplines the team rewards can pay (0 when they are off or no level has a rate). */
function teamDepth(config: Config): number {
  const paying = config.teamRewards.enabled && config.levels.some((level) => level.rate > 0n);
  return paying ? config.teamRewards.depthMax : 0;
}

function referralDepth(config: Config): Finding {
  const levels = (config.rewards.direct > 0n ? 1 : 0) + (config.rewards.indirect > 0n ? 1 : 0);
  const team = teamDepth(config);
  if (team > levels) {
    return {
      rule: 'referral depth',
      level: team > 2 ? 'red' : team === 2 ? 'amber' : 'green',
      reason: `team rewards pay up to ${team} level${team === 1 ? '' : 's'} above the buyer (teamRewards.depthMax ${team})${team > 2 ? ': more than two referral levels, which regulators name' : team === 2 ? ', and two levels is the edge regulators draw' : ''}`,
      source: sources.pyramid,
    };
  }
  const level: Level = levels === 2 ? 'amber' : 'green';
  const reason =
    levels === 0
      ? 'no referral rewards'
      : `referral rewards reach ${levels} level${levels === 1 ? '' : 's'} (direct ${formatPpm(config.rewards.direct)}, indirect ${formatPpm(config.rewards.indirect)}); poolpoint never pays deeper than two${levels === 2 ? ', but two levels is the edge regulators draw' : ''}`;
  return { rule: 'referral depth', level, reason, source: sources.pyramid };
}

function teamPay(config: Config): Finding {
  const team = config.teamRewards;
  if (!team.enabled) {
    return {
      rule: 'team-based pay',
      level: 'green',
      reason: 'no pay by the results of a team (level differential and peer rewards are off)',
      source: sources.pyramid,
    };
  }
  const peer =
    team.peerShare > 0n ? ` and peer rewards (平级, ${formatPpm(team.peerShare)} of a differential)` : '';
  const shown = `team rewards are on: the level differential (级差)${peer} pay uplines up to ${team.depthMax} level${team.depthMax === 1 ? '' : 's'} above the buyer on their downline's orders`;
  return {
    rule: 'team-based pay',
    level: team.depthMax > 2 ? 'red' : 'amber',
    reason:
      team.depthMax > 2
        ? `${shown}: pay by the results of a team more than two levels deep (teamRewards.depthMax ${team.depthMax} > 2); with the buyer, that is more than the three levels at which criminal cases start`
        : `${shown}: this is pay by the results of a team; keep teamRewards.depthMax at 2 or less and levels earned by the member's own consumption`,
    source: sources.pyramid,
  };
}

function agents(config: Config): Finding {
  const { district, city, province } = config.rewards.agents;
  const paid = district > 0n || city > 0n || province > 0n;
  return {
    rule: 'regional agents',
    level: paid ? 'amber' : 'green',
    reason: paid
      ? `agents are paid on orders in their region (district ${formatPpm(district)}, city ${formatPpm(city)}, province ${formatPpm(province)}); poolpoint charges no fee for a seat — never sell agent "territories"`
      : 'no regional agent rewards',
    source: sources.pyramid,
  };
}

function priceGrowth(config: Config): Finding {
  // Without sales, the price grows as the pool to the power (1 − mintRatio): a low mint ratio makes
  // the price itself the attraction.
  const level: Level = config.mintRatio < 300_000n ? 'red' : config.mintRatio < 500_000n ? 'amber' : 'green';
  const reason = `mintRatio ${formatPpm(config.mintRatio)}: without sales the price grows about as the pool to the power ${formatPpm(
    ppm(PPM_ONE - config.mintRatio),
  )}${level === 'green' ? '' : ', faster than consumption justifies; a rising price then draws buyers for the price, not the goods'}`;
  return { rule: 'price growth against consumption', level, reason, source: sources.rebateWarning };
}

function dividends(config: Config): Finding {
  const share = config.dividends.share;
  return {
    rule: 'shareholder dividends',
    level: share > 0n ? 'amber' : 'green',
    reason:
      share > 0n
        ? `dividends.share ${formatPpm(share)} of the platform's revenue on every settled order is paid to shareholders by weight: income from other people's orders; never sell shareholder places or tie them to recruiting, and do not present dividends as a return`
        : 'no shareholder dividends',
    source: sources.pyramid,
  };
}

function legacy(config: Config): Finding {
  const { enabled, releaseDays } = config.legacy;
  return {
    rule: 'legacy conversion',
    level: enabled ? 'amber' : 'green',
    reason: enabled
      ? `old liabilities become consumption coins (legacy.enabled): an order paid with coins brings no cash, so the platform funds its payable and pool inflow from its own revenue, and points minted on it are locked for ${releaseDays} days; check the platform can carry the coins outstanding before importing them`
      : 'no consumption coins can be granted',
    source: sources.rebateWarning,
  };
}

function campaigns(config: Config): Finding {
  const list = config.campaigns;
  let ratioMax = config.mintRatio;
  for (const campaign of list) if (campaign.mintRatio > ratioMax) ratioMax = campaign.mintRatio;
  return {
    rule: 'clearance campaigns',
    level: list.length > 0 ? 'amber' : 'green',
    reason:
      list.length > 0
        ? `${list.length} clearance campaign${list.length === 1 ? '' : 's'} mint up to ${formatPpm(ratioMax)} of the pool inflow (never more than the inflow); advertise the goods, never "more points" as more return`
        : 'no clearance campaigns',
    source: sources.advertising,
  };
}

function texts(configurable: Readonly<Record<string, string>>): Finding {
  const hits: string[] = [];
  for (const [key, text] of Object.entries(configurable)) {
    const lower = text.toLowerCase();
    for (const phrase of promisePhrases)
      if (lower.includes(phrase.toLowerCase())) hits.push(`${key}: "${phrase}"`);
  }
  return {
    rule: 'wording of returns',
    level: hits.length > 0 ? 'red' : 'green',
    reason:
      hits.length > 0
        ? `configurable texts promise or guarantee returns: ${hits.join('; ')}`
        : `no wording of guaranteed returns in ${Object.keys(configurable).length} configurable texts`,
    source: sources.advertising,
  };
}

export function complianceReport(
  config: Config,
  configurableTexts: Readonly<Record<string, string>> = {},
): Finding[] {
  return [
    staticReturn(config),
    referralDepth(config),
    teamPay(config),
    agents(config),
    {
      rule: 'entry fees',
      level: 'green',
      reason: 'no fee to join or to hold a position: members enter only by buying goods',
      source: sources.pyramid,
    },
    priceGrowth(config),
    dividends(config),
    legacy(config),
    campaigns(config),
    texts(configurableTexts),
  ];
}
