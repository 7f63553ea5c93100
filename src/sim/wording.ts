// The plain-words findings of a simulation. Every sentence is a measured fact of these histories or
// an arithmetic consequence of the configuration; none promises a return.
import { parseConfig } from '../domain/config.ts';
import { formatDecimal, PPM_ONE } from '../domain/units.ts';
import { escapeHtml } from './html.ts';
import type { CohortOutcome } from './outcomes.ts';
import type { ConfigurationResult, SimulationResult } from './simulator.ts';

interface Labelled {
  readonly label: string;
  readonly result: ConfigurationResult;
}

/** "3573295.69" → "3,573,295.69". */
export function withThousands(decimal: string): string {
  const [whole = '', fraction] = decimal.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** Figures of several runs are medians across them. */
const medianNote = (runs: number): string => (runs === 1 ? '' : ' (median across runs)');
const percent = (share: string): string => `${(Number(share) * 100).toFixed(1)}%`;
const money = (decimal: string): string => `¥${withThousands(decimal)}`;

/** Value minted per yuan spent and the price rise its points need to reach the cap alone. */
export function capArithmetic(result: ConfigurationResult): string {
  const config = parseConfig(result.config);
  const scale = PPM_ONE * PPM_ONE;
  // ppm of a yuan: commission × pool share × mint ratio, rounded down.
  const mintedPpm = (config.commissionRate * config.poolShare * config.mintRatio) / scale;
  if (mintedPpm === 0n)
    return 'With this configuration orders mint no points, so nobody can reach the cap by holding points.';
  // The rise in tenths: cap ÷ minted value, rounded down.
  const riseTenths = (config.capMultiple * 10n) / mintedPpm;
  return (
    `Each yuan spent mints points worth at most ¥${formatDecimal(mintedPpm, 6).replace(/0+$/, '')} at that day’s price ` +
    `(commission × pool share × mint ratio). For those points alone to reach the ${formatDecimal(config.capMultiple, 6).replace(/\.?0+$/, '')}× cap, ` +
    `the price has to rise about ${formatDecimal(riseTenths, 1)}-fold after the purchase.`
  );
}

function cohortSentence(cohort: CohortOutcome, which: string, lastDay: number): string {
  const ratio = cohort.returnRatio;
  if (ratio === null) return `No member joined in ${which}.`;
  return (
    `Of the members who joined in ${which} (days ${cohort.fromDay}–${cohort.toDay}), ${percent(cohort.brokeEvenShare)} ` +
    `had got back at least what they spent by day ${lastDay}; their median return ratio is ${ratio.p50}.`
  );
}

/** "15,216 members" or, pooled over runs, "15,216 member-histories (4 runs)". */
function membersText(count: number, runs: number): string {
  const number = count.toLocaleString('en-US');
  return runs === 1 ? `${number} members` : `${number} member-histories over ${runs} runs`;
}

/** What the run on the pool did on its day, from the median series. */
function runSentence(result: ConfigurationResult, runDay: number | null): string {
  if (runDay === null || runDay < 1 || runDay >= result.series.day.length) return '';
  const series = result.series;
  const at = (values: readonly (string | number)[], day: number): string => String(values[day]);
  const sells = Number(series.sells.p50[runDay]) - Number(series.sells.p50[runDay - 1]);
  return (
    `On day ${runDay + 1} many members sold at once (a run on the pool): about ${sells.toLocaleString('en-US')} sales that day. ` +
    `The pool went from ${money(at(series.pool.p50, runDay - 1))} to ${money(at(series.pool.p50, runDay))} and the supply from ` +
    `${withThousands(at(series.supply.p50, runDay - 1))} to ${withThousands(at(series.supply.p50, runDay))} points, yet the price rose from ` +
    `${at(series.price.p50, runDay - 1)} to ${at(series.price.p50, runDay)}: each sale leaves its fee in the pool. ` +
    'Those who sold took cash less the fee; those who stayed hold points backed by what is left, which only new consumption refills.'
  );
}

function lateJoinerSentence(result: ConfigurationResult, days: number, runs: number): string {
  const { growthStopDay, lateJoiners } = result.summary;
  if (growthStopDay === null || lateJoiners === null) {
    return 'Growth never stopped in this scenario, which is the most favourable case for the model; the plateau and decline scenarios show what happens when it does.';
  }
  const ratio = lateJoiners.returnRatio;
  if (ratio === null) return `Growth stopped on day ${growthStopDay}; nobody joined after that.`;
  return (
    `Growth stopped on day ${growthStopDay}. Of those who joined from then on (${membersText(lateJoiners.members, runs)}), ` +
    `${percent(lateJoiners.brokeEvenShare)} had got back at least what they spent by day ${days}. In the median they hold ` +
    `${ratio.p50} yuan of value (points at the final price plus cash) for each yuan they spent (10th–90th percentile ${ratio.p10}–${ratio.p90}).`
  );
}

function capSentence(result: ConfigurationResult, days: number, runs: number): string {
  const everyone = result.summary.everyone;
  if (everyone.reachedCap === 0 || everyone.daysToCap === null) {
    return `Nobody reached the cap within the ${days} simulated days.`;
  }
  const wait = everyone.daysToCap;
  return (
    `${membersText(everyone.reachedCap, runs)} (${percent(everyone.reachedCapShare)}) reached the cap and were forced out; ` +
    `the median wait from joining was ${wait.p50} days (10th–90th percentile ${wait.p10}–${wait.p90}). The others had not reached it by day ${days}.`
  );
}

function moneySentence(result: ConfigurationResult, runs: number): string {
  const summary = result.summary;
  const injected =
    summary.injected.p50 === '0.00'
      ? ''
      : `, including ${money(summary.injected.p50)} injected by the platform`;
  return (
    `Members spent ${money(summary.consumption.p50)}${medianNote(runs)}. The platform kept ${money(summary.platformRevenue.p50)}, ` +
    `rewards of ${money(summary.rewardsPaid.p50)} went to referrers, merchant recruiters and agents, members took ` +
    `${money(summary.paidOutToMembers.p50)} out of the pool by selling or being forced out, and the pool holds ` +
    `${money(summary.finalPool.p50)}${injected}. The rest went to merchants as the price of the goods.`
  );
}

function rewardsClause(result: ConfigurationResult): string {
  const share = result.summary.everyone.brokeEvenFromRewardsShare;
  if (share === null) return '';
  return `; of what they hold, ${percent(share)} came as rewards on other members’ orders (referrals, merchant recruiting, agent seats), not from their own points`;
}

function spreadSentence(result: ConfigurationResult): string {
  const cohorts = result.cohorts.filter((cohort) => cohort.returnRatio !== null);
  if (cohorts.length < 2) return '';
  const median = (cohort: CohortOutcome): number => Number(cohort.returnRatio?.p50);
  const best = cohorts.reduce((left, right) => (median(right) > median(left) ? right : left));
  const worst = cohorts.reduce((left, right) => (median(right) < median(left) ? right : left));
  return (
    `Overall ${percent(result.summary.everyone.brokeEvenShare)} of members got back at least what they spent${rewardsClause(result)}. ` +
    `The best-off cohort joined in month ${best.month} (median ratio ${best.returnRatio?.p50}), the worst-off in month ${worst.month} (median ${worst.returnRatio?.p50}).`
  );
}

export interface FindingsContext {
  readonly days: number;
  readonly runs: number;
  /** The day index of the run on the pool, if the scenario has one. */
  readonly runDay: number | null;
}

/** The findings of one configuration, as sentences. */
export function findings(result: ConfigurationResult, context: FindingsContext): string[] {
  const { days, runs } = context;
  const summary = result.summary;
  const first = result.cohorts[0];
  const last = result.cohorts.at(-1);
  const fell = summary.priceNeverFell ? 'It never fell' : 'It fell at least once between two days';
  return [
    `The price of a point went from ${summary.initialPrice} to ${summary.finalPrice.p50} yuan${medianNote(runs)}. ${fell}: sales leave their fee in the pool. A higher price is not cash: points are worth only what the pool can pay, and the pool grows only with new consumption.`,
    capArithmetic(result),
    first === undefined ? '' : cohortSentence(first, 'the first month', days),
    last === undefined || last === first ? '' : cohortSentence(last, 'the last month', days),
    runSentence(result, context.runDay),
    lateJoinerSentence(result, days, runs),
    spreadSentence(result),
    capSentence(result, days, runs),
    moneySentence(result, runs),
  ].filter((sentence) => sentence !== '');
}

export function whoGains(result: SimulationResult, labelled: readonly Labelled[]): string {
  return labelled
    .map((entry) => {
      const run = result.scenario.run as { day: number } | null;
      const context = { days: result.days, runs: result.runs, runDay: run?.day ?? null };
      const items = findings(entry.result, context).map((sentence) => `<li>${escapeHtml(sentence)}</li>`);
      const heading = labelled.length === 1 ? '' : `<h3>${escapeHtml(entry.label)}</h3>`;
      return `${heading}<ul class="findings">${items.join('\n')}</ul>`;
    })
    .join('\n');
}
