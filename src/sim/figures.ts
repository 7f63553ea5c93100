// The figures of docs/simulator.md: growth against plateau, same seeds, same orders and members.
// Run `node --import tsx src/sim/figures.ts [DIR]` (default docs/img) to draw them again; it prints
// the figures quoted in the text as one JSON object.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart, type Line, lineChart, palette } from './charts.ts';
import type { Band } from './outcomes.ts';
import { namedProfiles, type Profile } from './profile.ts';
import { type SimulationResult, simulate } from './simulator.ts';

export const figureCase = { orders: 200_000, members: 20_000, seed: 1, runs: 5 } as const;

function run(profile: Profile): SimulationResult {
  return simulate({ profile, ...figureCase, compareConfig: null, exportPath: null });
}

/** Decimal strings become numbers only to place them on a chart. */
const plotted = (values: readonly (string | number)[]): number[] => values.map(Number);

function bandLine(name: string, color: string, band: Band<(string | number)[]>): Line {
  return {
    name,
    color,
    values: plotted(band.p50),
    band: { low: plotted(band.p10), high: plotted(band.p90) },
  };
}

export function drawFigures(directory: string): Record<string, unknown> {
  const growth = run(namedProfiles.growth as Profile);
  const plateau = run(namedProfiles.plateau as Profile);
  const both = [
    { name: 'growth', color: palette.baseline, result: growth },
    { name: 'plateau (growth stops on day 181)', color: palette.compare, result: plateau },
  ];
  const x = growth.series.day;
  const subtitle = `${figureCase.orders.toLocaleString('en-US')} orders, ${figureCase.members.toLocaleString('en-US')} members, ${figureCase.runs} seeds; band: 10th–90th percentile`;
  const figures = {
    'sim-members.svg': lineChart({
      id: 'members',
      title: 'Members who have joined',
      subtitle,
      xName: 'day',
      yName: 'members',
      x,
      lines: both.map((entry) => bandLine(entry.name, entry.color, entry.result.series.members)),
    }),
    'sim-price.svg': lineChart({
      id: 'price',
      title: 'Price of a point (yuan)',
      subtitle,
      xName: 'day',
      yName: 'yuan',
      x,
      lines: both.map((entry) => bandLine(entry.name, entry.color, entry.result.series.price)),
    }),
    'sim-cohorts.svg': barChart({
      id: 'cohorts',
      title: 'Median return ratio by month of joining, at day 360',
      subtitle: '(value of points at the final price + cash) ÷ consumption; 1.0 = got back what they spent',
      yName: 'ratio',
      categories: growth.cohorts.map((cohort) => String(cohort.month)),
      reference: { value: 1, label: 'spent = got back' },
      bars: both.map((entry) => ({
        name: entry.name,
        color: entry.color,
        values: entry.result.cohorts.map((cohort) =>
          cohort.returnRatio === null ? null : Number(cohort.returnRatio.p50),
        ),
      })),
    }),
  };
  mkdirSync(directory, { recursive: true });
  for (const [file, svg] of Object.entries(figures)) writeFileSync(join(directory, file), `${svg}\n`);
  return Object.fromEntries(both.map((entry) => [entry.name, keyFigures(entry.result)]));
}

function keyFigures(result: SimulationResult): Record<string, unknown> {
  const cohorts = result.cohorts;
  return {
    finalPrice: result.summary.finalPrice,
    everyoneBrokeEven: result.summary.everyone.brokeEvenShare,
    firstMonth: { brokeEven: cohorts[0]?.brokeEvenShare, medianRatio: cohorts[0]?.returnRatio?.p50 },
    sixthMonth: { brokeEven: cohorts[5]?.brokeEvenShare, medianRatio: cohorts[5]?.returnRatio?.p50 },
    lastMonth: { brokeEven: cohorts.at(-1)?.brokeEvenShare, medianRatio: cohorts.at(-1)?.returnRatio?.p50 },
    lateJoiners: result.summary.lateJoiners,
    forcedExits: result.summary.forcedExits,
    reachedCap: result.summary.everyone.reachedCap,
    daysToCap: result.summary.everyone.daysToCap,
    consumption: result.summary.consumption.p50,
    platform: result.summary.platformRevenue.p50,
    rewards: result.summary.rewardsPaid.p50,
    paidOut: result.summary.paidOutToMembers.p50,
    pool: result.summary.finalPool.p50,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const directory = process.argv[2] ?? new URL('../../docs/img', import.meta.url).pathname;
  process.stdout.write(`${JSON.stringify(drawFigures(directory), null, 1)}\n`);
}
