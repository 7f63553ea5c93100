// The compliance report in the console's language. The server states each finding in English; in
// Chinese the console writes it from messages.ts (complianceZh, by rule id, case and level) with
// the figures worked out here from the configuration the finding is about, by the server's own
// integer arithmetic (src/domain/compliance.ts: a ppm product floored, printed with six decimals).
// Pure: no Vue here, so that a test can check it against the server's findings.
// Imports name their .ts files: test/console-messages.test.ts type-checks this under Node's resolution.
import { complianceZh } from './messages.ts';
import { formatScaled, parsePpm, ppmOne } from './money.ts';

export interface Finding {
  rule: string;
  level: 'green' | 'amber' | 'red';
  reason: string;
  source: string;
}

/** The configuration in its plain form: decimals as strings, nested objects, lists. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };
export type PlainConfig = { [key: string]: ConfigValue };

const six = (value: bigint): string => formatScaled(value, 6);
const rate = (value: unknown): bigint => parsePpm(typeof value === 'string' ? value : '') ?? 0n;
const at = (config: PlainConfig, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);

/** Team rewards (级差, 平级): on, and how many uplines they pay (0 when off or no level has a rate). */
function team(config: PlainConfig): { on: boolean; depthMax: number; paying: number } {
  const on = at(config, 'teamRewards.enabled') === true;
  const depthMax = Number(at(config, 'teamRewards.depthMax') ?? 2);
  const levels = at(config, 'levels');
  const rated =
    Array.isArray(levels) && levels.some((level) => rate((level as { rate?: unknown }).rate) > 0n);
  return { on, depthMax, paying: on && rated ? depthMax : 0 };
}

const referralLevels = (config: PlainConfig): number =>
  (rate(at(config, 'rewards.direct')) > 0n ? 1 : 0) + (rate(at(config, 'rewards.indirect')) > 0n ? 1 : 0);

/** Which case of a rule's wording applies: "" (the plain one) or "team." (team rewards decide it). */
export function caseOf(rule: string, config: PlainConfig): string {
  if (rule === 'referral depth') return team(config).paying > referralLevels(config) ? 'team.' : '';
  if (rule === 'team-based pay') return team(config).on ? 'team.' : '';
  return '';
}

/** The figures a Chinese reason may name, from the configuration (plain form, as /v1/config answers). */
export function complianceFigures(config: PlainConfig): Record<string, string> {
  const capMultiple = rate(at(config, 'capMultiple'));
  const sellFee = rate(at(config, 'sellFee'));
  const direct = rate(at(config, 'rewards.direct'));
  const indirect = rate(at(config, 'rewards.indirect'));
  const mintRatio = rate(at(config, 'mintRatio'));
  const levels = referralLevels(config);
  const teamRewards = team(config);
  const peerShare = rate(at(config, 'teamRewards.peerShare'));
  return {
    capMultiple: six(capMultiple),
    sellFee: six(sellFee),
    staticReturn: six((capMultiple * (ppmOne - sellFee)) / ppmOne), // floor: both non-negative
    direct: six(direct),
    indirect: six(indirect),
    referralLevels:
      levels === 0 ? '没有推荐奖励' : `推荐奖励有 ${levels} 级（直推 ${six(direct)}，间推 ${six(indirect)}）`,
    teamDepth: String(teamRewards.paying),
    depthMax: String(teamRewards.depthMax),
    peerReward: peerShare > 0n ? `与平级奖（级差的 ${six(peerShare)}）` : '',
    district: six(rate(at(config, 'rewards.agents.district'))),
    city: six(rate(at(config, 'rewards.agents.city'))),
    province: six(rate(at(config, 'rewards.agents.province'))),
    mintRatio: six(mintRatio),
    priceExponent: six(ppmOne - mintRatio),
    dividendShare: six(rate(at(config, 'dividends.share'))),
    releaseDays: String(at(config, 'legacy.releaseDays') ?? 30),
    ...campaignFigures(config, mintRatio),
  };
}

/** How many clearance campaigns, and the highest mint ratio among them and the default. */
function campaignFigures(config: PlainConfig, mintRatio: bigint): Record<string, string> {
  const campaigns = at(config, 'campaigns');
  const list = Array.isArray(campaigns) ? campaigns : [];
  let ratioMax = mintRatio;
  for (const campaign of list) {
    const ratio = rate((campaign as { mintRatio?: unknown }).mintRatio);
    if (ratio > ratioMax) ratioMax = ratio;
  }
  return { campaignCount: String(list.length), campaignRatioMax: six(ratioMax) };
}

/** `{name}` replaced by its figure; a name without a figure is left as it is (and a test catches it). */
export function fill(template: string, figures: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => figures[name] ?? whole);
}

/** The Chinese title and reason of a finding, or null when messages.ts has no text for it (then: English). */
export function findingInChinese(
  finding: Pick<Finding, 'rule' | 'level'>,
  config: PlainConfig,
): { title: string; reason: string } | null {
  const texts = complianceZh[finding.rule];
  const template = texts?.[`${caseOf(finding.rule, config)}${finding.level}`];
  if (texts?.title === undefined || template === undefined) return null;
  return { title: texts.title, reason: fill(template, complianceFigures(config)) };
}
