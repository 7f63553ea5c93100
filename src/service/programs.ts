// The programs of docs/rules.md (levels and team rewards, clearance campaigns, shareholder
// dividends, legacy conversion) as the service runs them: the daily commands its scheduler sends
// (a release run for each day, a dividend settlement for each finished day), and what a member's
// page shows of them (level, coins, locked points with their release schedule, dividends).
//
// Days. The rules only need days in order ("YYYY-MM-DD", compared as day numbers); the service
// names each day by the operator's calendar date, in the operator's time zone
// (POOLPOINT_UTC_OFFSET, default +08:00, China Standard Time: the same days as the reports). A day's
// release run is sent at the first scheduler pass of that day; a day's dividends are settled at the
// first pass after it ends. Each command's id is derived from its day, so a restart, a retry or a
// second pass sends nothing twice (the same id and day is a duplicate).
import { formatDay, parseDay } from '../domain/days.ts';
import { dividendsReceived } from '../domain/dividends.ts';
import { legacyView } from '../domain/legacy.ts';
import type { ReleaseLocked, SettleDividends } from '../domain/messages.ts';
import { NOBODY, type State } from '../domain/state.ts';
import { memberLevel } from '../domain/team.ts';
import { cents, formatCents, formatMicros, formatPpm, micros, PPM_ONE, ppm } from '../domain/units.ts';
import { dayMs } from './reports.ts';

/** Who the scheduler's commands are from, in the log and the audit of a day. */
export const schedulerActor = 'scheduler';
/**
 * Missed days sent at most per pass (after the service was down): a release run catches up every
 * batch due anyway, so older days add nothing but their names; the next pass sends the rest.
 */
export const catchUpDaysMax = 31;

/** The operator's day number (days since 1970-01-01 in its zone) of a moment. */
export function operatorDay(atMs: number, utcOffsetMinutes: number): number {
  return Math.floor((atMs + utcOffsetMinutes * 60_000) / dayMs);
}

/** A release run's id: one per day, whoever sends it. */
export const releaseId = (day: string): string => `scheduler:release:${day}`;
export const dividendId = (day: string): string => `scheduler:dividends:${day}`;

/**
 * Whether the release runs are needed: the program is on, or coins are still out (they can still pay
 * for orders and lock points), or locked points or cash wait for release. Runs go on every day while
 * so, so that points locked after a day's run always start on the next day.
 */
function releasesActive(state: State): boolean {
  const legacy = state.legacy;
  return state.config.legacy.enabled || legacy.lots.size > 0 || legacy.granted > legacy.redeemed;
}

/**
 * The days to send, oldest first: from the day after `last` towards `through`, at most
 * catchUpDaysMax (the next pass goes on from there, so no day is skipped).
 */
function daysThrough(last: number | null, through: number, catchUp: boolean): number[] {
  if (last !== null && last >= through) return [];
  // With nothing to catch up (nothing locked, nothing accrued), only the newest day is sent.
  const first = last === null || !catchUp ? through : last + 1;
  const end = Math.min(through, first + catchUpDaysMax - 1);
  const days: number[] = [];
  for (let day = first; day <= end; day += 1) days.push(day);
  return days;
}

/**
 * The scheduler's daily commands. Release: each day from the last one run through today (only
 * today when nothing is locked: a run then releases nothing). Dividends: each finished day after the
 * last one settled, while a share of revenue accrues or the pool holds cash; the first day settled
 * is the first day on which this scheduler found cash in a pool never settled (a day that was
 * already under way: its settlement may include a little of the day before), so that a program
 * turned on today pays today's accrual at the end of today, not as yesterday's.
 */
export class DailyRuns {
  /** The operator day on which cash was first seen in a dividend pool never settled. */
  private dividendsFromDay: number | null = null;

  constructor(readonly utcOffsetMinutes: number) {}

  /** The commands due at `nowMs`, in the order to send them. The service submits them. */
  due(state: State, nowMs: number): (ReleaseLocked | SettleDividends)[] {
    const today = operatorDay(nowMs, this.utcOffsetMinutes);
    return [...releaseRuns(state, today), ...this.dividendDays(state, today)];
  }

  private dividendDays(state: State, today: number): SettleDividends[] {
    const book = state.dividends;
    let days: number[] = [];
    if (book.lastDay === null) {
      if (book.pool > 0n) this.dividendsFromDay ??= today;
      const from = this.dividendsFromDay;
      days = from !== null && from < today ? [today - 1] : [];
    } else {
      this.dividendsFromDay = null;
      if (book.pool > 0n || state.config.dividends.share > 0n)
        days = daysThrough(book.lastDay, today - 1, book.pool > 0n);
    }
    return days.map((day) => {
      const name = formatDay(day);
      return { type: 'settleDividends', id: dividendId(name), day: name, actor: schedulerActor };
    });
  }
}

function releaseRuns(state: State, today: number): ReleaseLocked[] {
  if (!releasesActive(state)) return [];
  const legacy = state.legacy;
  return daysThrough(legacy.lastReleaseDay, today, legacy.lots.size > 0).map((day) => {
    const name = formatDay(day);
    return { type: 'releaseLocked', id: releaseId(name), day: name, actor: schedulerActor };
  });
}

/** The day the next release run will be (today's, if it has not run yet), as a day number. */
export function nextReleaseDay(state: State, nowMs: number, utcOffsetMinutes: number): number {
  const today = operatorDay(nowMs, utcOffsetMinutes);
  const last = state.legacy.lastReleaseDay;
  return last === null ? today : Math.max(last + 1, today);
}

/** floor(amount × batches / days): what a lot has released after `batches` batches (docs/rules.md). */
const releasedBy = (amount: bigint, batches: number, days: number): bigint =>
  (amount * BigInt(batches)) / BigInt(days);

export interface LotSchedule {
  readonly kind: 'points' | 'cash';
  /** What the lot locked, what is still locked, as decimal strings (points: 6 decimals). */
  readonly amount: string;
  readonly left: string;
  readonly batches: number;
  readonly released: number;
  /** The first and last release days (null: starts at the next run, which names it). */
  readonly firstDay: string | null;
  readonly lastDay: string;
}

export interface ReleaseSchedule {
  /** The next release run's day and what it frees (points) and pays to the wallet (cash). */
  readonly nextDay: string;
  readonly nextPoints: string;
  readonly nextCash: string;
  /** The day the last batch is released. */
  readonly lastDay: string;
  readonly lots: readonly LotSchedule[];
}

/** A member's release schedule at `nowMs`, or null when nothing of theirs is locked. */
export function releaseSchedule(
  state: State,
  member: string,
  nowMs: number,
  utcOffsetMinutes: number,
): ReleaseSchedule | null {
  const view = legacyView(state, member);
  if (view === undefined || view.lots.length === 0) return null;
  const next = nextReleaseDay(state, nowMs, utcOffsetMinutes);
  let points = 0n;
  let cash = 0n;
  let lastDay = next;
  const lots: LotSchedule[] = view.lots.map((lot) => {
    const first = lot.firstDay === null ? next : (parseDay(lot.firstDay) as number);
    const due = Math.min(lot.days, next - first + 1);
    const freed = releasedBy(lot.amount, due, lot.days) - releasedBy(lot.amount, lot.released, lot.days);
    if (lot.kind === 'points') points += freed;
    else cash += freed;
    lastDay = Math.max(lastDay, first + lot.days - 1);
    const format = (value: bigint) =>
      lot.kind === 'points' ? formatMicros(micros(value)) : formatCents(cents(value));
    return {
      kind: lot.kind,
      amount: format(lot.amount),
      left: format(lot.left),
      batches: lot.days,
      released: lot.released,
      firstDay: lot.firstDay,
      lastDay: formatDay(first + lot.days - 1),
    };
  });
  return {
    nextDay: formatDay(next),
    nextPoints: formatMicros(micros(points)),
    nextCash: formatCents(cents(cash)),
    lastDay: formatDay(lastDay),
    lots,
  };
}

/** Which programs are on, for pages that show a program's figures only when it is in use. */
export function programsOn(state: State): Record<'levels' | 'teamRewards' | 'dividends' | 'legacy', boolean> {
  const config = state.config;
  return {
    levels: config.levels.length > 0,
    teamRewards: config.teamRewards.enabled,
    dividends: config.dividends.share > 0n,
    legacy: config.legacy.enabled,
  };
}

/**
 * A member's figures of the programs: level (earned, or set by an admin), consumption coins, locked
 * points and cash with their release schedule, shareholder weight and dividends received. Null for
 * an unknown member.
 */
export function memberPrograms(
  state: State,
  id: string,
  nowMs: number,
  utcOffsetMinutes: number,
): Record<string, unknown> | null {
  const index = state.members.indexOf(id);
  const level = memberLevel(state, id);
  const legacy = legacyView(state, id);
  if (index === NOBODY || level === null || legacy === undefined) return null;
  const weight = state.dividends.weights.get(index) ?? 0n;
  return {
    member: id,
    programs: programsOn(state),
    level: level.level,
    levelSetByAdmin: level.setByAdmin,
    // A level an admin set that the configuration no longer has is kept, unused (docs/rules.md).
    levelOverride: state.levelOverrides.get(index) ?? null,
    coins: formatCents(legacy.coins),
    lockedPoints: formatMicros(legacy.lockedPoints),
    lockedCash: formatCents(legacy.lockedCash),
    release: releaseSchedule(state, id, nowMs, utcOffsetMinutes),
    shareholderWeight: String(weight),
    // weight ÷ Σ weights, floored to six decimals: the share of each day's dividend pool.
    shareOfWeights: weight === 0n ? null : formatPpm(ppm((weight * PPM_ONE) / state.dividends.totalWeight)),
    dividendsReceived: formatCents(dividendsReceived(state, index)),
  };
}
