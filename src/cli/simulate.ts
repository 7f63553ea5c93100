// `poolpoint simulate`: generated histories through the real engine, a report (HTML + JSON), and
// optionally the first history as a scenario file that `poolpoint replay` reproduces exactly.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { type Config, ConfigError, parseConfig } from '../domain/config.ts';
import {
  namedProfiles,
  type Profile,
  ProfileError,
  parseProfileFile,
  scenarioNames,
} from '../sim/profile.ts';
import { renderReport } from '../sim/report-html.ts';
import {
  MEMBERS_MAX,
  ORDERS_MAX,
  RUNS_MAX,
  SEED_MAX,
  type SimulationResult,
  simulate,
} from '../sim/simulator.ts';
import { withThousands } from '../sim/wording.ts';
import { CliError } from './errors.ts';
import { progressBar } from './progress.ts';
import { readJsonFile } from './replay.ts';

const usage =
  'usage: poolpoint simulate --scenario NAME|FILE --orders N --members M --seed S --out DIR [--runs K] [--compare CONFIG.json] [--export-events FILE]';
const flags = ['scenario', 'orders', 'members', 'seed', 'out', 'runs', 'compare', 'export-events'] as const;
type Flag = (typeof flags)[number];
const required: readonly Flag[] = ['scenario', 'orders', 'members', 'seed', 'out'];
const USAGE_EXIT_CODE = 2;
const seeUsage = '(poolpoint simulate --help shows the usage)';

const help = `
Runs generated histories through the settlement engine and writes DIR/report.html and DIR/result.json.
  --scenario   ${scenarioNames.join(', ')}, or a scenario file (docs/simulator.md)
  --orders     orders in each history (at least --members: every member joins with an order)
  --members    members in each history
  --seed       the first seed; run k uses seed + k, so the same seed repeats a run exactly
  --runs       histories to run (default 1); bands show their 10th to 90th percentile
  --compare    a configuration file run on the same seeds, shown side by side
  --export-events  the first history as a scenario file that \`poolpoint replay\` reproduces
`;

/** `--flag value` or `--flag=value`; each flag at most once. */
function parseFlags(args: readonly string[]): Map<Flag, string> {
  const values = new Map<Flag, string>();
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const flag = match?.[1] as Flag | undefined;
    if (match === null || flag === undefined || !flags.includes(flag)) {
      throw new CliError(`unexpected argument "${arg}" ${seeUsage}`, USAGE_EXIT_CODE);
    }
    const value = match[2] ?? args[++index];
    if (value === undefined || value === '')
      throw new CliError(`--${flag} needs a value ${seeUsage}`, USAGE_EXIT_CODE);
    if (values.has(flag)) throw new CliError(`--${flag} is given twice`, USAGE_EXIT_CODE);
    values.set(flag, value);
  }
  const missing = required.find((flag) => !values.has(flag));
  if (missing !== undefined) throw new CliError(`--${missing} is required ${seeUsage}`, USAGE_EXIT_CODE);
  return values;
}

function integerFlag(
  values: Map<Flag, string>,
  flag: Flag,
  minimum: number,
  maximum: number,
  fallback?: number,
): number {
  const text = values.get(flag);
  if (text === undefined && fallback !== undefined) return fallback;
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < minimum || Number(text) > maximum) {
    throw new CliError(
      `--${flag} must be a whole number from ${minimum} to ${withThousands(String(maximum))}, got "${text}"`,
    );
  }
  return Number(text);
}

function loadProfile(scenario: string): Profile {
  const named = namedProfiles[scenario];
  if (named !== undefined) return named;
  if (!existsSync(scenario)) {
    throw new CliError(`unknown scenario "${scenario}": use ${scenarioNames.join(', ')} or a scenario file`);
  }
  try {
    return parseProfileFile(readJsonFile(scenario), basename(scenario, extname(scenario)));
  } catch (error) {
    if (error instanceof ProfileError) throw new CliError(`${scenario}: ${error.message}`);
    throw error;
  }
}

function loadCompareConfig(path: string | undefined): Config | null {
  if (path === undefined) return null;
  const raw = readJsonFile(path);
  // A bare configuration, or a file with a "config" key only (such as a scenario file's header).
  const isWrapped = typeof raw === 'object' && raw !== null && Object.keys(raw).join() === 'config';
  try {
    return parseConfig(isWrapped ? (raw as { config: unknown }).config : raw);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`--compare ${path}: ${error.message}`);
    throw error;
  }
}

function prepareOutputs(out: string, exportPath: string | undefined): void {
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new CliError(
      `cannot create ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (exportPath !== undefined && !existsSync(dirname(exportPath) || '.')) {
    throw new CliError(`--export-events: the folder ${dirname(exportPath)} does not exist`);
  }
}

export async function simulateCommand(args: readonly string[]): Promise<string> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) return `${usage}\n${help}`;
  const values = parseFlags(args);
  const profile = loadProfile(values.get('scenario') as string);
  const members = integerFlag(values, 'members', 1, MEMBERS_MAX);
  const orders = integerFlag(values, 'orders', 1, ORDERS_MAX);
  if (orders < members)
    throw new CliError(
      `--orders (${orders}) must be at least --members (${members}): every member joins with an order`,
    );
  const seed = integerFlag(values, 'seed', 0, SEED_MAX);
  const runs = integerFlag(values, 'runs', 1, RUNS_MAX, 1);
  const compareConfig = loadCompareConfig(values.get('compare'));
  const out = values.get('out') as string;
  const exportPath = values.get('export-events');
  prepareOutputs(out, exportPath);
  const progress = progressBar('simulating');
  let result: SimulationResult;
  try {
    result = simulate({
      profile,
      orders,
      members,
      seed,
      runs,
      compareConfig,
      exportPath: exportPath ?? null,
      onProgress: progress.update,
    });
  } catch (error) {
    if (error instanceof ProfileError) throw new CliError(error.message);
    throw error;
  } finally {
    progress.finish();
  }
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(join(out, 'report.html'), renderReport(result));
  return summaryText(result, out, exportPath);
}

function summaryText(result: SimulationResult, out: string, exportPath: string | undefined): string {
  const summary = result.summary;
  const late = summary.lateJoiners;
  const lines = [
    `scenario ${String(result.scenario.name)}: ${withThousands(String(result.orders))} orders, ${withThousands(String(result.members))} members, ${result.days} days, ${result.runs} run(s) from seed ${result.seeds[0]}`,
    `price ${summary.initialPrice} → ${summary.finalPrice.p50}; pool ${withThousands(summary.finalPool.p50)}; forced exits ${summary.forcedExits.p50} (median run)`,
    `members who got back at least what they spent: ${(Number(summary.everyone.brokeEvenShare) * 100).toFixed(1)}%` +
      (late === null
        ? ''
        : `; of those who joined after growth stopped (day ${late.fromDay}): ${(Number(late.brokeEvenShare) * 100).toFixed(1)}%`),
    `wrote ${join(out, 'report.html')} and ${join(out, 'result.json')}${exportPath === undefined ? '' : ` and ${exportPath}`}`,
  ];
  return `${lines.join('\n')}\n`;
}
