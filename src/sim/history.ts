// One simulated history for one seed: the population is registered, then each day injections, a
// run on the pool, orders and sales go through the real engine (`execute`), and the day's totals are
// sampled. Nothing here decides a rule: every amount, mint, reward and forced exit is the engine's.
import type { Config } from '../domain/config.ts';
import { execute, type Outcome } from '../domain/engine.ts';
import type { Event } from '../domain/messages.ts';
import { printedPrice, reportState, type StateReport } from '../domain/report.ts';
import { type MemberIndex, NOBODY, Slot, type State } from '../domain/state.ts';
import {
  applyRate,
  assert,
  type Cents,
  cents,
  divFloor,
  type Micros,
  micros,
  PPM_ONE,
  type Ppm,
  parseDecimal,
  ppm,
} from '../domain/units.ts';
import { stateFromSetup } from '../scenario/scenario.ts';
import type { CommandSink, SimulatedCommand } from './export.ts';
import { buildPopulation, type Population } from './population.ts';
import type { Profile } from './profile.ts';
import { Random } from './random.ts';
import type { Schedule } from './schedule.ts';
import { createSeries, type Series } from './series.ts';

const POPULATION_STREAM = 1;
const HISTORY_STREAM = 2;
/** Orders between two progress reports. */
export const PROGRESS_ORDERS = 16_384;
const NEVER = -1;

export interface HistoryOptions {
  readonly profile: Profile;
  /** The profile's configuration, or the one compared with it on the same seeds. */
  readonly config: Config;
  readonly schedule: Schedule;
  readonly members: number;
  readonly seed: number;
  /** Opens a sink for every event command, given the setup (for `--export-events`). */
  readonly openSink?: ((setup: Population['setup']) => CommandSink) | undefined;
  /** Called with the number of orders settled since the last call. */
  readonly onProgress?: ((orders: number) => void) | undefined;
  /** Keep the final state, to be printed as `poolpoint replay` prints it. */
  readonly keepState: boolean;
}

/** The final state in the shape `poolpoint replay` prints. */
export type ReplayReport = StateReport & { rejected: string[]; duplicates: string[] };

/** What `poolpoint replay` of the exported history prints: the state, the rejected ids, no duplicates. */
export function replayReport(record: HistoryRecord): ReplayReport {
  assert(record.state !== null, 'the final state was kept');
  return { ...reportState(record.state), rejected: [...record.rejected], duplicates: [] };
}

export interface HistoryRecord {
  readonly seed: number;
  readonly series: Series;
  /** The day on which each member (in joining order) placed its first order. */
  readonly joinDay: Int32Array;
  /** The day of each member's first forced exit, or −1. */
  readonly firstExitDay: Int32Array;
  /** (value of points at the final price + wallet) ÷ consumption, in ppm: exact integers. */
  readonly returnRatio: Float64Array;
  /** Value of points at the final price + wallet, in cents. */
  readonly gotBack: BigInt64Array;
  /** Rewards received on other members' orders (part of the wallet), in cents. */
  readonly rewards: BigInt64Array;
  /** Whether selling everything at the final price, after the sell fee, would return the consumption. */
  readonly brokeEvenAfterFee: Uint8Array;
  readonly rejected: readonly string[];
  /** The final state, when kept. */
  readonly state: State | null;
}

export function simulateHistory(options: HistoryOptions): HistoryRecord {
  const population = buildPopulation(
    options.profile,
    options.members,
    new Random(options.seed, POPULATION_STREAM),
  );
  const history = new History(options, population);
  history.run();
  return history.record();
}

class History {
  private readonly state: State;
  private readonly random: Random;
  private readonly sink: CommandSink | null;
  private readonly series: Series;
  private readonly memberIds: readonly string[];
  private readonly merchantIds: readonly string[];
  /** Each member's row in the engine's member table, by joining order, and back. */
  private readonly rowOf: Int32Array;
  private readonly memberOfRow: Int32Array;
  private readonly joinDay: Int32Array;
  private readonly firstExitDay: Int32Array;
  private readonly rejected: string[] = [];
  private readonly amountDraw: { median: number; spread: number; minimum: number; maximum: number };
  private day = 0;
  /** Members 0 … joined − 1 have placed their first order. */
  private joined = 0;
  private orders = 0;
  /** Sale ids handed out (a rejected sale keeps its id, so ids stay unique) and sales accepted. */
  private sellIds = 0;
  private sells = 0;
  private injections = 0;
  private ordersSinceProgress = 0;
  private rewards = 0n;
  private payouts = 0n;
  private consumption = 0n;
  private platformAtLastInjection = 0n;

  constructor(
    private readonly options: HistoryOptions,
    population: Population,
  ) {
    this.state = stateFromSetup(options.config, population.setup);
    this.random = new Random(options.seed, HISTORY_STREAM);
    this.sink = options.openSink?.(population.setup) ?? null;
    this.series = createSeries(options.schedule.days);
    this.memberIds = population.memberIds;
    this.merchantIds = population.merchantIds;
    const members = population.memberIds.length;
    this.rowOf = new Int32Array(members);
    this.memberOfRow = new Int32Array(this.state.members.size).fill(NOBODY);
    for (const [member, id] of population.memberIds.entries()) {
      const row = this.state.members.indexOf(id);
      this.rowOf[member] = row;
      this.memberOfRow[row] = member;
    }
    this.joinDay = new Int32Array(members).fill(NEVER);
    this.firstExitDay = new Int32Array(members).fill(NEVER);
    const amount = options.profile.orderAmount;
    // Order sizes are behaviour: drawn as numbers, then rounded to whole cents before the engine sees them.
    this.amountDraw = {
      median: Number(amount.median),
      spread: amount.spread,
      minimum: Number(amount.minimum),
      maximum: Number(amount.maximum),
    };
  }

  run(): void {
    const days = this.options.schedule.days;
    for (this.day = 0; this.day < days; this.day += 1) {
      this.injectIfDue();
      this.runIfDue();
      this.placeOrders();
      this.sample();
    }
    assert(this.joined === this.memberIds.length, 'every member joined');
    if (this.ordersSinceProgress > 0) this.options.onProgress?.(this.ordersSinceProgress);
  }

  /** The day's orders: first orders of the day's new members, spread evenly among repeat orders. */
  private placeOrders(): void {
    const schedule = this.options.schedule;
    const arrivals = schedule.arrivals[this.day] as number;
    const total = arrivals + (schedule.repeats[this.day] as number);
    const sellsPerOrder = this.options.profile.selling.sellsPerOrder;
    const pointsShare = this.options.profile.selling.pointsShare;
    const firstActive = schedule.inactiveBy[this.day] as number;
    // Order k is a first order when ceil((k + 1) × arrivals / total) > ceil(k × arrivals / total):
    // the day's first order always is one, so a repeat order always finds an active member.
    let firstOrdersBefore = 0;
    for (let order = 0; order < total; order += 1) {
      const firstOrdersUpTo = Math.ceil(((order + 1) * arrivals) / total);
      const buyer =
        firstOrdersUpTo > firstOrdersBefore
          ? this.join()
          : firstActive + this.random.below(this.joined - firstActive);
      firstOrdersBefore = firstOrdersUpTo;
      this.placeOrder(buyer);
      if (this.random.next() < sellsPerOrder) this.sellShare(this.random.below(this.joined), pointsShare);
    }
  }

  private join(): number {
    const member = this.joined;
    this.joinDay[member] = this.day;
    this.joined += 1;
    return member;
  }

  private placeOrder(buyer: number): void {
    const merchant = this.merchantIds[this.random.below(this.merchantIds.length)] as string;
    const amount = this.drawAmount();
    this.orders += 1;
    const outcome = this.send({
      type: 'order',
      id: `ord_${this.orders}`,
      member: this.memberIds[buyer] as string,
      merchant,
      amount,
    });
    assert(outcome.kind === 'accepted', 'a generated order is accepted');
    this.consumption += amount;
    this.ordersSinceProgress += 1;
    if (this.ordersSinceProgress === PROGRESS_ORDERS) {
      this.options.onProgress?.(this.ordersSinceProgress);
      this.ordersSinceProgress = 0;
    }
  }

  /** A log-normal order size around the median, cut to [minimum, maximum], in whole cents. */
  private drawAmount(): Cents {
    const { median, spread, minimum, maximum } = this.amountDraw;
    const drawn = Math.round(median * Math.exp(spread * this.random.normal()));
    return cents(BigInt(Math.min(maximum, Math.max(minimum, drawn))));
  }

  /** Sells `share` of a member's points, rounded down; nothing when that is no point at all. */
  private sellShare(member: number, share: Ppm): void {
    const holdings = this.state.members.points(this.rowOf[member] as MemberIndex);
    const points = micros(divFloor(holdings * share, PPM_ONE));
    if (points <= 0n) return;
    this.sellIds += 1;
    const id = `sel_${this.sellIds}`;
    if (
      this.send({ type: 'sell', id, member: this.memberIds[member] as string, points }).kind === 'accepted'
    ) {
      this.sells += 1;
    }
  }

  /** The platform's injections: a fixed amount, or a share of the revenue since the previous one. */
  private injectIfDue(): void {
    const injections = this.options.profile.injections;
    if (injections === null || this.day < injections.fromDay) return;
    if ((this.day - injections.fromDay) % injections.everyDays !== 0) return;
    const platform = this.state.platform;
    const share = injections.platformRevenueShare;
    const amount =
      injections.amount ?? applyRate(cents(platform - this.platformAtLastInjection), share ?? ppm(0n));
    this.platformAtLastInjection = platform;
    if (amount <= 0n) return;
    this.injections += 1;
    this.send({ type: 'inject', id: `inj_${this.injections}`, amount });
  }

  /** A run on the pool: every member who has joined sells, each with the run's probability. */
  private runIfDue(): void {
    const run = this.options.profile.run;
    if (run === null || this.day !== run.day) return;
    for (let member = 0; member < this.joined; member += 1) {
      if (this.random.next() < run.memberShare) this.sellShare(member, run.pointsShare);
    }
  }

  private send(command: SimulatedCommand): Outcome {
    this.sink?.command(command);
    const outcome = execute(this.state, command);
    if (outcome.kind === 'accepted') {
      for (const event of outcome.events) this.observe(event);
    } else if (outcome.kind === 'rejected') {
      this.rejected.push(command.id);
    }
    return outcome;
  }

  /**
   * Adds up what the engine decided: rewards paid, cash paid out of the pool, first forced exits.
   * Not a switch over every event: the simulator's commands decide only these and `PoolInjected`,
   * and the engine's other events (setup, order lifecycle, withdrawals) change no total sampled here.
   */
  private observe(event: Event): void {
    if (event.type === 'OrderSettled') {
      for (const reward of event.rewards) this.rewards += reward.amount;
    } else if (event.type === 'PointsSold') {
      this.payouts += event.payout;
    } else if (event.type === 'MemberForcedOut') {
      this.payouts += event.payout;
      const member = this.memberOfRow[this.state.members.indexOf(event.member)] as number;
      if (this.firstExitDay[member] === NEVER) this.firstExitDay[member] = this.day;
    }
  }

  private sample(): void {
    const { state, series, day } = this;
    const price = parseDecimal(printedPrice(state), 6);
    assert(price.ok, 'the printed price parses');
    series.price[day] = price.value;
    series.pool[day] = state.pool;
    series.supply[day] = state.supply;
    series.platform[day] = state.platform;
    series.rewards[day] = this.rewards;
    series.payouts[day] = this.payouts;
    series.injected[day] = state.injected;
    series.consumption[day] = this.consumption;
    series.forcedExits[day] = BigInt(state.forcedExits);
    series.members[day] = BigInt(this.joined);
    series.orders[day] = BigInt(this.orders);
    series.sells[day] = BigInt(this.sells);
  }

  record(): HistoryRecord {
    const members = this.memberIds.length;
    const returnRatio = new Float64Array(members);
    const gotBack = new BigInt64Array(members);
    const rewards = new BigInt64Array(members);
    const brokeEvenAfterFee = new Uint8Array(members);
    const feeKept = ppm(PPM_ONE - this.state.config.sellFee);
    for (let member = 0; member < members; member += 1) {
      const row = this.rowOf[member] as MemberIndex;
      const table = this.state.members;
      const consumption = table.get(row, Slot.Consumption);
      assert(consumption > 0n, 'every member joined with an order');
      const value = this.pointsValue(table.points(row));
      const wallet = table.get(row, Slot.Wallet);
      // Exact integer ppm (well below 2^53), so the number holds it without rounding.
      returnRatio[member] = Number(divFloor((value + wallet) * PPM_ONE, consumption));
      gotBack[member] = value + wallet;
      rewards[member] = table.get(row, Slot.Rewards);
      brokeEvenAfterFee[member] = applyRate(value, feeKept) + wallet >= consumption ? 1 : 0;
    }
    return {
      seed: this.options.seed,
      series: this.series,
      joinDay: this.joinDay,
      firstExitDay: this.firstExitDay,
      returnRatio,
      gotBack,
      rewards,
      brokeEvenAfterFee,
      rejected: this.rejected,
      state: this.options.keepState ? this.state : null,
    };
  }

  /** Points valued at the final price, `floor(H × P / S)` (what the cap compares, before any fee). */
  private pointsValue(points: Micros): Cents {
    const { pool, supply } = this.state;
    return supply === 0n ? cents(0n) : cents(divFloor(points * pool, supply));
  }
}
