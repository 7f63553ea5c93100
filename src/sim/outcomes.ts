// What the histories mean for people: percentile bands of the daily totals across seeds, and for
// each cohort (members by month of joining) how many got back what they spent. Ratios stay exact
// integers in ppm until they are printed.
import {
  type Cents,
  divFloor,
  formatCents,
  formatDecimal,
  formatMicros,
  formatPpm,
  type Micros,
  PPM_ONE,
  ppm,
} from '../domain/units.ts';
import type { HistoryRecord } from './history.ts';
import { COHORT_DAYS } from './profile.ts';
import { type SeriesName, seriesNames, seriesUnits } from './series.ts';

/** The percentiles shown everywhere: 10th, median, 90th. */
export const PERCENTILES = [10, 50, 90] as const;
const PRICE_DECIMALS = 6;
const ONE_PPM = Number(PPM_ONE);

export interface Band<T> {
  readonly p10: T;
  readonly p50: T;
  readonly p90: T;
}

/** Nearest-rank percentile of ascending `sorted` (not empty): the smallest value with `percent`% at or below it. */
export function percentileOf<T>(sorted: ArrayLike<T>, percent: number): T {
  const rank = Math.max(1, Math.ceil((percent * sorted.length) / 100));
  return sorted[rank - 1] as T;
}

function bandOf<T, U>(sorted: ArrayLike<T>, format: (value: T) => U): Band<U> {
  return {
    p10: format(percentileOf(sorted, 10)),
    p50: format(percentileOf(sorted, 50)),
    p90: format(percentileOf(sorted, 90)),
  };
}

/** A sampled quantity printed in its unit: money and points as decimal strings, counts as numbers. */
export function formatSample(name: SeriesName, value: bigint): string | number {
  switch (seriesUnits[name]) {
    case 'price':
      return formatDecimal(value, PRICE_DECIMALS);
    case 'cents':
      return formatCents(value as Cents);
    case 'micros':
      return formatMicros(value as Micros);
    case 'count':
      return Number(value);
    default: {
      const unreachable: never = seriesUnits[name];
      return unreachable;
    }
  }
}

export type SeriesBands = Record<SeriesName, Band<(string | number)[]>>;

/** For every quantity and day, the 10th, 50th and 90th percentile across the runs. */
export function seriesBands(records: readonly HistoryRecord[], days: number): SeriesBands {
  const bands = {} as SeriesBands;
  const values = new BigInt64Array(records.length);
  for (const name of seriesNames) {
    const band: Band<(string | number)[]> = { p10: [], p50: [], p90: [] };
    for (let day = 0; day < days; day += 1) {
      for (const [run, record] of records.entries()) values[run] = record.series[name][day] as bigint;
      values.sort();
      band.p10.push(formatSample(name, percentileOf(values, 10)));
      band.p50.push(formatSample(name, percentileOf(values, 50)));
      band.p90.push(formatSample(name, percentileOf(values, 90)));
    }
    bands[name] = band;
  }
  return bands;
}

/** How a group of members (a cohort, the late joiners, everyone) came out, pooled over the runs. */
export interface GroupOutcome {
  /** Member-histories in the group: members × runs. */
  readonly members: number;
  /** Value of points at the final price + wallet ≥ consumption. */
  readonly brokeEven: number;
  readonly brokeEvenShare: string;
  /** The same, had they sold all their points at the final price and paid the sell fee. */
  readonly brokeEvenAfterFee: number;
  readonly brokeEvenAfterFeeShare: string;
  /** (value of points at the final price + wallet) ÷ consumption. */
  readonly returnRatio: Band<string> | null;
  /** Of all the group got back (points value + wallet), the share that came as rewards on others' orders. */
  readonly fromRewardsShare: string;
  /** The same, among the members who got back at least what they spent; null when none did. */
  readonly brokeEvenFromRewardsShare: string | null;
  /** Forced out at least once (their points reached the cap). */
  readonly reachedCap: number;
  readonly reachedCapShare: string;
  /** Days from joining to the first forced exit, among those who reached the cap. */
  readonly daysToCap: Band<number> | null;
}

export interface CohortOutcome extends GroupOutcome {
  /** 1 for days 1–30, 2 for days 31–60, … */
  readonly month: number;
  readonly fromDay: number;
  readonly toDay: number;
}

/** A share printed with 6 decimals, rounded down; "0.000000" for an empty group. */
function shareOf(count: number | bigint, total: number | bigint): string {
  const whole = BigInt(total);
  return formatPpm(ppm(whole === 0n ? 0n : divFloor(BigInt(count) * PPM_ONE, whole)));
}

const formatRatio = (value: number): string => formatPpm(ppm(BigInt(value)));

/** Accumulates the members of one group, then sorts once. */
class GroupTally {
  private ratios: number[] = [];
  private daysToCap: number[] = [];
  private brokeEven = 0;
  private brokeEvenAfterFee = 0;
  private gotBack = 0n;
  private rewards = 0n;
  private brokeEvenGotBack = 0n;
  private brokeEvenRewards = 0n;

  add(record: HistoryRecord, member: number): void {
    const ratio = record.returnRatio[member] as number;
    this.ratios.push(ratio);
    const gotBack = record.gotBack[member] as bigint;
    const rewards = record.rewards[member] as bigint;
    this.gotBack += gotBack;
    this.rewards += rewards;
    if (ratio >= ONE_PPM) {
      this.brokeEven += 1;
      this.brokeEvenGotBack += gotBack;
      this.brokeEvenRewards += rewards;
    }
    if (record.brokeEvenAfterFee[member] === 1) this.brokeEvenAfterFee += 1;
    const exitDay = record.firstExitDay[member] as number;
    if (exitDay >= 0) this.daysToCap.push(exitDay - (record.joinDay[member] as number));
  }

  outcome(): GroupOutcome {
    const members = this.ratios.length;
    const ratios = Float64Array.from(this.ratios).sort();
    const days = Int32Array.from(this.daysToCap).sort();
    return {
      members,
      brokeEven: this.brokeEven,
      brokeEvenShare: shareOf(this.brokeEven, members),
      brokeEvenAfterFee: this.brokeEvenAfterFee,
      brokeEvenAfterFeeShare: shareOf(this.brokeEvenAfterFee, members),
      returnRatio: members === 0 ? null : bandOf(ratios, formatRatio),
      fromRewardsShare: shareOf(this.rewards, this.gotBack),
      brokeEvenFromRewardsShare:
        this.brokeEven === 0 ? null : shareOf(this.brokeEvenRewards, this.brokeEvenGotBack),
      reachedCap: days.length,
      reachedCapShare: shareOf(days.length, members),
      daysToCap: days.length === 0 ? null : bandOf(days, (value) => value),
    };
  }
}

export interface GroupOutcomes {
  readonly cohorts: CohortOutcome[];
  readonly everyone: GroupOutcome;
  /** Members who joined on or after the day growth stopped; null when it never stopped. */
  readonly lateJoiners: (GroupOutcome & { readonly fromDay: number }) | null;
}

export function groupOutcomes(
  records: readonly HistoryRecord[],
  days: number,
  growthDays: number,
): GroupOutcomes {
  const months = Math.ceil(days / COHORT_DAYS);
  const cohorts = Array.from({ length: months }, () => new GroupTally());
  const everyone = new GroupTally();
  const lateJoiners = growthDays < days ? new GroupTally() : null;
  for (const record of records) {
    for (let member = 0; member < record.joinDay.length; member += 1) {
      const day = record.joinDay[member] as number;
      (cohorts[Math.floor(day / COHORT_DAYS)] as GroupTally).add(record, member);
      everyone.add(record, member);
      if (lateJoiners !== null && day >= growthDays) lateJoiners.add(record, member);
    }
  }
  return {
    cohorts: cohorts.map((tally, index) => ({
      month: index + 1,
      fromDay: index * COHORT_DAYS + 1,
      toDay: Math.min(days, (index + 1) * COHORT_DAYS),
      ...tally.outcome(),
    })),
    everyone: everyone.outcome(),
    lateJoiners: lateJoiners === null ? null : { fromDay: growthDays + 1, ...lateJoiners.outcome() },
  };
}

/** True when no run's sampled price ever fell from one day to the next. */
export function priceNeverFell(records: readonly HistoryRecord[]): boolean {
  return records.every((record) =>
    record.series.price.every((price, day, prices) => day === 0 || price >= (prices[day - 1] as bigint)),
  );
}
