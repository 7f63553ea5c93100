// How many members join and how many repeat orders are placed on each simulated day. Deterministic:
// the same profile, orders and members give the same schedule; the seed only decides who and how much.
import { COHORT_DAYS, type Curve, type Profile, ProfileError } from './profile.ts';

export interface Schedule {
  readonly days: number;
  /** Members whose first order falls on each day. */
  readonly arrivals: Int32Array;
  /** Orders on each day by active members: those who joined in the last `activeDays` days. */
  readonly repeats: Int32Array;
  /** Members who joined on or before each day. */
  readonly joinedBy: Int32Array;
  /** Members no longer active on each day: those who joined on or before day − activeDays. */
  readonly inactiveBy: Int32Array;
}

/** The relative daily rate of a curve on `day`. */
export function curveWeight(curve: Curve, profile: Profile, day: number): number {
  if (curve.monthlyWeights !== null) {
    const weights = curve.monthlyWeights;
    // Months past the end of the list keep its last weight.
    return weights[Math.min(Math.floor(day / COHORT_DAYS), weights.length - 1)] as number;
  }
  const growthDays = profile.growthDays;
  if (day < growthDays) return curve.growthFactor ** (day / growthDays);
  const declineDays = Math.max(1, profile.days - growthDays);
  return curve.growthFactor * curve.endFactor ** ((day - growthDays) / declineDays);
}

/**
 * Splits `total` over days in proportion to `weights`, exactly: each day gets the difference of the
 * rounded running totals, so the counts add up to `total` whatever the weights.
 */
export function apportion(total: number, weights: Float64Array): Int32Array {
  const counts = new Int32Array(weights.length);
  const sum = weights.reduce((accumulated, weight) => accumulated + weight, 0);
  if (total === 0 || sum === 0) return counts;
  let running = 0;
  let given = 0;
  for (let day = 0; day < weights.length; day += 1) {
    running += weights[day] as number;
    const upTo = day === weights.length - 1 ? total : Math.min(total, Math.round((total * running) / sum));
    counts[day] = upTo - given;
    given = upTo;
  }
  return counts;
}

export function buildSchedule(profile: Profile, orders: number, members: number): Schedule {
  const days = profile.days;
  const arrivalWeights = new Float64Array(days);
  for (let day = 0; day < days; day += 1) arrivalWeights[day] = curveWeight(profile.arrivals, profile, day);
  if (!arrivalWeights.some((weight) => weight > 0)) {
    throw new ProfileError('scenario.arrivals', 'no day has arrivals: every member needs a day to join');
  }
  const arrivals = apportion(members, arrivalWeights);
  const joinedBy = new Int32Array(days);
  const inactiveBy = new Int32Array(days);
  const repeatWeights = new Float64Array(days);
  let joined = 0;
  for (let day = 0; day < days; day += 1) {
    joined += arrivals[day] as number;
    joinedBy[day] = joined;
    const lastInactiveDay = profile.activeDays === null ? -1 : day - profile.activeDays;
    inactiveBy[day] = lastInactiveDay < 0 ? 0 : (joinedBy[lastInactiveDay] as number);
    repeatWeights[day] = (joined - (inactiveBy[day] as number)) * curveWeight(profile.activity, profile, day);
  }
  const repeatOrders = orders - members;
  if (repeatOrders > 0 && !repeatWeights.some((weight) => weight > 0)) {
    throw new ProfileError(
      'scenario.activity',
      'no day has repeat orders, but there are more orders than members',
    );
  }
  return { days, arrivals, repeats: apportion(repeatOrders, repeatWeights), joinedBy, inactiveBy };
}
