// `poolpoint simulate` without the command line: runs the histories of every seed (and, with a
// second configuration, the same seeds again), and gathers what they mean into one JSON-ready result.
import { type Config, type ConfigInput, formatConfig } from '../domain/config.ts';
import { printedPrice } from '../domain/report.ts';
import { createState } from '../domain/state.ts';
import { ScenarioWriter } from './export.ts';
import { type HistoryRecord, type ReplayReport, replayReport, simulateHistory } from './history.ts';
import {
  type Band,
  type GroupOutcome,
  type GroupOutcomes,
  groupOutcomes,
  priceNeverFell,
  type SeriesBands,
  seriesBands,
} from './outcomes.ts';
import { describeProfile, type Profile } from './profile.ts';
import { buildSchedule } from './schedule.ts';

export const ORDERS_MAX = 20_000_000;
export const MEMBERS_MAX = 2_000_000;
export const RUNS_MAX = 1_000;
export const SEED_MAX = 4_294_967_295;

export interface SimulationOptions {
  readonly profile: Profile;
  readonly orders: number;
  readonly members: number;
  /** The first seed; run k uses seed + k. */
  readonly seed: number;
  readonly runs: number;
  /** A second configuration run on the same seeds (`--compare`). */
  readonly compareConfig: Config | null;
  /** Where to write the first seed's history as a scenario file (`--export-events`). */
  readonly exportPath: string | null;
  /** Called with orders settled so far and orders to settle in all. */
  readonly onProgress?: ((settled: number, total: number) => void) | undefined;
}

/** One configuration's outcome over all seeds. */
export interface ConfigurationResult {
  readonly config: ConfigInput;
  readonly series: SeriesBands & { readonly day: number[] };
  readonly cohorts: GroupOutcomes['cohorts'];
  readonly summary: Summary;
  /** The first seed's final state, exactly as `poolpoint replay` of its export prints it. */
  readonly final: ReplayReport;
}

export interface Summary {
  readonly initialPrice: string;
  readonly finalPrice: Band<string>;
  readonly finalPool: Band<string>;
  readonly finalSupply: Band<string>;
  readonly forcedExits: Band<number>;
  readonly platformRevenue: Band<string>;
  readonly rewardsPaid: Band<string>;
  readonly paidOutToMembers: Band<string>;
  readonly injected: Band<string>;
  readonly consumption: Band<string>;
  readonly everyone: GroupOutcome;
  readonly growthStopDay: number | null;
  readonly lateJoiners: GroupOutcomes['lateJoiners'];
  /** Sales the engine refused (e.g. they would have left less than the minimum supply), all runs. */
  readonly rejectedSales: number;
  readonly priceNeverFell: boolean;
}

export interface SimulationResult extends ConfigurationResult {
  readonly tool: 'poolpoint simulate';
  readonly scenario: Record<string, unknown>;
  readonly orders: number;
  readonly members: number;
  readonly runs: number;
  readonly seeds: number[];
  readonly days: number;
  readonly compare: ConfigurationResult | null;
}

/** The histories of every seed, per configuration (the baseline first), not yet summarised. */
export interface Histories {
  readonly seeds: number[];
  readonly configurations: readonly { readonly config: Config; readonly records: HistoryRecord[] }[];
}

export function simulate(options: SimulationOptions): SimulationResult {
  return gatherResult(options, runHistories(options));
}

/** Runs every history: generation, the engine and the daily samples. The slow part. */
export function runHistories(options: SimulationOptions): Histories {
  const { profile, orders, members, runs } = options;
  const schedule = buildSchedule(profile, orders, members);
  const seeds = Array.from({ length: runs }, (_, run) => (options.seed + run) % (SEED_MAX + 1));
  const configs = options.compareConfig === null ? [profile.config] : [profile.config, options.compareConfig];
  const total = orders * runs * configs.length;
  let settled = 0;
  const onProgress = (count: number): void => {
    settled += count;
    options.onProgress?.(settled, total);
  };
  const configurations = configs.map((config, index) => ({
    config,
    records: seeds.map((seed, run) => {
      const exportPath = index === 0 && run === 0 ? options.exportPath : null;
      const exported: { writer: ScenarioWriter | null } = { writer: null };
      const record = simulateHistory({
        profile,
        config,
        schedule,
        members,
        seed,
        keepState: run === 0,
        onProgress,
        openSink:
          exportPath === null
            ? undefined
            : (setup) => {
                exported.writer = new ScenarioWriter(exportPath, config, setup);
                return exported.writer;
              },
      });
      exported.writer?.close();
      return record;
    }),
  }));
  return { seeds, configurations };
}

/** Percentile bands, cohorts, the summary and the first seed's final state, JSON-ready. */
export function gatherResult(options: SimulationOptions, histories: Histories): SimulationResult {
  const { profile } = options;
  const [baseline, compare] = histories.configurations.map(({ config, records }) =>
    configurationResult(config, records, profile),
  ) as [ConfigurationResult, ConfigurationResult | undefined];
  return {
    tool: 'poolpoint simulate',
    scenario: describeProfile(profile),
    orders: options.orders,
    members: options.members,
    runs: options.runs,
    seeds: histories.seeds,
    days: profile.days,
    ...baseline,
    compare: compare ?? null,
  };
}

function configurationResult(
  config: Config,
  records: HistoryRecord[],
  profile: Profile,
): ConfigurationResult {
  const days = profile.days;
  const bands = seriesBands(records, days);
  const groups = groupOutcomes(records, days, profile.growthDays);
  const last = <T>(band: Band<T[]>): Band<T> => ({
    p10: band.p10[days - 1] as T,
    p50: band.p50[days - 1] as T,
    p90: band.p90[days - 1] as T,
  });
  const summary: Summary = {
    initialPrice: printedPrice(createState(config)),
    finalPrice: last(bands.price) as Band<string>,
    finalPool: last(bands.pool) as Band<string>,
    finalSupply: last(bands.supply) as Band<string>,
    forcedExits: last(bands.forcedExits) as Band<number>,
    platformRevenue: last(bands.platform) as Band<string>,
    rewardsPaid: last(bands.rewards) as Band<string>,
    paidOutToMembers: last(bands.payouts) as Band<string>,
    injected: last(bands.injected) as Band<string>,
    consumption: last(bands.consumption) as Band<string>,
    everyone: groups.everyone,
    growthStopDay: profile.growthDays < days ? profile.growthDays + 1 : null,
    lateJoiners: groups.lateJoiners,
    rejectedSales: records.reduce((count, record) => count + record.rejected.length, 0),
    priceNeverFell: priceNeverFell(records),
  };
  const first = records[0];
  if (first === undefined) throw new Error('at least one run');
  return {
    config: formatConfig(config),
    series: { day: Array.from({ length: days }, (_, day) => day + 1), ...bands },
    cohorts: groups.cohorts,
    summary,
    final: replayReport(first),
  };
}
