// The report: one self-contained HTML file (inline SVG charts and CSS, no script, no external
// resource) built only from the JSON result, so the same result always gives the same page.
import type { ConfigInput } from '../domain/config.ts';
import { barChart, type Line, lineChart, palette } from './charts.ts';
import { escapeHtml } from './html.ts';
import type { Band, CohortOutcome, GroupOutcome } from './outcomes.ts';
import type { ConfigurationResult, SimulationResult } from './simulator.ts';
import { whoGains, withThousands } from './wording.ts';

export interface Labelled {
  readonly label: string;
  readonly color: string;
  readonly result: ConfigurationResult;
}

/** Decimal strings become numbers here only, to place points on a chart; no sum is made of them. */
const plotted = (values: readonly (string | number)[]): number[] => values.map(Number);

export function configurations(result: SimulationResult): Labelled[] {
  const baseline = { label: 'baseline', color: palette.baseline, result };
  if (result.compare === null) return [baseline];
  return [baseline, { label: 'compared', color: palette.compare, result: result.compare }];
}

export function renderReport(result: SimulationResult): string {
  const labelled = configurations(result);
  const scenario = String(result.scenario.name);
  const seeds =
    result.runs === 1 ? `seed ${result.seeds[0]}` : `seeds ${result.seeds[0]}–${result.seeds.at(-1)}`;
  const title = `poolpoint simulation: ${scenario}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${styles}</style></head>`,
    '<body><main>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="lead">${result.orders.toLocaleString('en-US')} orders by ${result.members.toLocaleString('en-US')} members over ${result.days} days, ${result.runs} run${result.runs === 1 ? '' : 's'} (${seeds}). Bands show the 10th to 90th percentile across runs; lines the median.</p>`,
    readFirst,
    section('Who gains and who does not', whoGains(result, labelled)),
    section('Headline figures at the end', headlineTable(labelled)),
    section('Price, pool and supply', timeCharts(result, labelled)),
    section('Where the money went', moneyCharts(result, labelled)),
    section('Cohorts: members by month of joining', cohortSection(labelled)),
    section('Scenario and configuration', settingsSection(result, labelled)),
    '</main></body></html>',
    '',
  ].join('\n');
}

const readFirst = `<aside class="warning"><strong>Read this first.</strong> This is one simulated history (or many, with different random draws) under the assumptions listed at the end, run through the same settlement rules as the engine. It is not a forecast and it promises nobody a return. Points are backed only by the cash in the pool; the pool grows only with new consumption, the fees of sales and injections by the platform. When new consumption slows, the price rises more slowly and later members get back less.</aside>`;

const section = (heading: string, body: string): string =>
  `<section><h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;

const grouped = (value: string | number): string => withThousands(String(value));
const bandText = (band: Band<string | number>): string =>
  band.p10 === band.p90
    ? grouped(band.p50)
    : `${grouped(band.p50)} <span class="range">(${grouped(band.p10)} – ${grouped(band.p90)})</span>`;

function headlineTable(labelled: readonly Labelled[]): string {
  const rows: [string, (summary: ConfigurationResult['summary']) => string][] = [
    [
      'Price (yuan per point)',
      (summary) => `${bandText(summary.finalPrice)} <span class="range">from ${summary.initialPrice}</span>`,
    ],
    ['Pool (yuan)', (summary) => bandText(summary.finalPool)],
    ['Supply (points)', (summary) => bandText(summary.finalSupply)],
    ['Members’ consumption (yuan)', (summary) => bandText(summary.consumption)],
    ['Platform revenue (yuan)', (summary) => bandText(summary.platformRevenue)],
    ['Rewards paid (yuan)', (summary) => bandText(summary.rewardsPaid)],
    [
      'Paid out of the pool to members who sold or were forced out (yuan)',
      (summary) => bandText(summary.paidOutToMembers),
    ],
    ['Injected by the platform (yuan)', (summary) => bandText(summary.injected)],
    ['Forced exits (reached the cap)', (summary) => bandText(summary.forcedExits)],
    ['Members who got back at least what they spent', (summary) => groupShare(summary.everyone)],
    ['Sales refused by the rules', (summary) => String(summary.rejectedSales)],
  ];
  const head = `<tr><th></th>${labelled.map((entry) => `<th>${escapeHtml(entry.label)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      ([name, cell]) =>
        `<tr><th>${escapeHtml(name)}</th>${labelled.map((entry) => `<td>${cell(entry.result.summary)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table class="figures">${head}\n${body}</table>\n<p class="note">Median across runs, with the 10th – 90th percentile in brackets when the runs differ.</p>`;
}

export const percentText = (share: string): string => `${(Number(share) * 100).toFixed(1)}%`;

const groupShare = (group: GroupOutcome): string =>
  `${percentText(group.brokeEvenShare)} <span class="range">of ${group.members.toLocaleString('en-US')}</span>`;

function bandLines(
  labelled: readonly Labelled[],
  pick: (result: ConfigurationResult) => Band<(string | number)[]>,
): Line[] {
  return labelled.map((entry) => {
    const band = pick(entry.result);
    return {
      name: entry.label,
      color: entry.color,
      values: plotted(band.p50),
      band: { low: plotted(band.p10), high: plotted(band.p90) },
    };
  });
}

/** Lines whose medians end more than this many times apart are drawn on a logarithmic axis. */
const LOGARITHMIC_SPREAD = 20;

function spansMagnitudes(lines: readonly Line[]): boolean {
  const ends = lines.map((line) => line.values.at(-1) ?? 0).filter((value) => value > 0);
  return ends.length > 1 && Math.max(...ends) / Math.min(...ends) > LOGARITHMIC_SPREAD;
}

type BandPick = (result: ConfigurationResult) => Band<(string | number)[]>;

function timeCharts(result: SimulationResult, labelled: readonly Labelled[]): string {
  const chart = (id: string, title: string, yName: string, subtitle: string, pick: BandPick): string => {
    const lines = bandLines(labelled, pick);
    const logarithmic = spansMagnitudes(lines);
    const scale = logarithmic ? ' (logarithmic scale)' : '';
    const x = result.series.day;
    return figure(
      lineChart({ id, title, subtitle: subtitle + scale, xName: 'day', yName, x, lines, logarithmic }),
    );
  };
  return [
    chart(
      'price',
      'Price of a point',
      'yuan',
      'pool ÷ supply: it never falls, but rises only as fast as new money arrives',
      (entry) => entry.series.price,
    ),
    chart('pool', 'Pool', 'yuan', 'the cash that backs every point', (entry) => entry.series.pool),
    chart('supply', 'Supply', 'points', 'all points held by members', (entry) => entry.series.supply),
    chart(
      'members',
      'Members who have joined',
      'members',
      'the arrivals of the scenario',
      (entry) => entry.series.members,
    ),
    chart(
      'exits',
      'Forced exits',
      'exits',
      'members whose points reached the cap and were sold for them',
      (entry) => entry.series.forcedExits,
    ),
  ].join('\n');
}

const flows: readonly [string, keyof ConfigurationResult['series'], string][] = [
  ['platform revenue', 'platform', palette.baseline],
  ['rewards paid', 'rewards', palette.third],
  ['paid out to members', 'payouts', palette.compare],
  ['injected', 'injected', palette.fourth],
];

function moneyCharts(result: SimulationResult, labelled: readonly Labelled[]): string {
  return labelled
    .map((entry) => {
      const lines: Line[] = flows.map(([name, key, color]) => ({
        name,
        color,
        values: plotted((entry.result.series[key] as Band<(string | number)[]>).p50),
      }));
      const which = labelled.length === 1 ? '' : ` (${entry.label})`;
      return figure(
        lineChart({
          id: `money-${entry.label}`,
          title: `Where members’ money went, cumulative${which}`,
          subtitle:
            'what the platform kept, what rewards paid, what members took out of the pool, what the platform put in',
          xName: 'day',
          yName: 'yuan',
          x: result.series.day,
          lines,
        }),
      );
    })
    .join('\n');
}

const figure = (svg: string): string => `<figure>${svg}</figure>`;

function cohortSection(labelled: readonly Labelled[]): string {
  const first = labelled[0] as Labelled;
  const categories = first.result.cohorts.map((cohort) => String(cohort.month));
  const bars = (pick: (cohort: CohortOutcome) => number | null) =>
    labelled.map((entry) => ({
      name: entry.label,
      color: entry.color,
      values: entry.result.cohorts.map(pick),
    }));
  const charts = [
    barChart({
      id: 'cohort-breakeven',
      title: 'Share of members who got back at least what they spent',
      subtitle: '(value of their points at the final price + cash in their wallet) ≥ their consumption',
      yName: 'members',
      categories,
      percent: true,
      bars: bars((cohort) => (cohort.members === 0 ? null : Number(cohort.brokeEvenShare))),
    }),
    barChart({
      id: 'cohort-ratio',
      title: 'Median return ratio by month of joining',
      subtitle: '(points value + cash out) ÷ consumption; 1.0 = got back what they spent',
      yName: 'ratio',
      categories,
      reference: { value: 1, label: 'spent = got back' },
      bars: bars((cohort) => (cohort.returnRatio === null ? null : Number(cohort.returnRatio.p50))),
    }),
  ];
  const reachedCap = labelled.some((entry) => entry.result.summary.everyone.reachedCap > 0);
  if (reachedCap) {
    charts.push(
      barChart({
        id: 'cohort-wait',
        title: 'Median wait from joining to reaching the cap',
        subtitle: 'days, among members who reached it; the others are not counted',
        yName: 'days',
        categories,
        bars: bars((cohort) => cohort.daysToCap?.p50 ?? null),
      }),
    );
  }
  const tables = labelled.map((entry) => cohortTable(entry)).join('\n');
  return `${charts.map(figure).join('\n')}\n${tables}`;
}

function cohortTable(entry: Labelled): string {
  const head =
    '<tr><th>month</th><th>days</th><th>members</th><th>got back ≥ spent</th><th>… after the sell fee</th><th>return ratio p10</th><th>median</th><th>p90</th><th>from rewards</th><th>reached the cap</th><th>days to cap (median)</th></tr>';
  const rows = entry.result.cohorts.map((cohort) => {
    const ratio = cohort.returnRatio;
    const cells = [
      String(cohort.month),
      `${cohort.fromDay}–${cohort.toDay}`,
      cohort.members.toLocaleString('en-US'),
      percentText(cohort.brokeEvenShare),
      percentText(cohort.brokeEvenAfterFeeShare),
      ratio?.p10 ?? '–',
      ratio?.p50 ?? '–',
      ratio?.p90 ?? '–',
      percentText(cohort.fromRewardsShare),
      percentText(cohort.reachedCapShare),
      cohort.daysToCap === null ? '–' : String(cohort.daysToCap.p50),
    ];
    return `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
  });
  const total = entry.result.cohorts.reduce((sum, cohort) => sum + cohort.members, 0);
  return `<h3>Cohort table (${escapeHtml(entry.label)})</h3>\n<table class="cohorts">${head}\n${rows.join('\n')}\n<tr class="total"><td colspan="2">all</td><td>${total.toLocaleString('en-US')}</td><td colspan="8"></td></tr></table>\n<p class="note">Members are counted once per run. “From rewards”: the share of what the cohort got back (points value + cash) that was paid as rewards on other members’ orders. The return ratio is measured on the last simulated day: members who joined late have had less time, and nothing in the rules guarantees that their ratio will grow.</p>`;
}

function settingsSection(result: SimulationResult, labelled: readonly Labelled[]): string {
  const configs = labelled.map(
    (entry) => `<h3>Configuration (${escapeHtml(entry.label)})</h3>${keyValues(entry.result.config)}`,
  );
  const { config: _config, ...scenario } = result.scenario;
  return `<h3>Scenario</h3>${keyValues(scenario)}\n${configs.join('\n')}`;
}

function keyValues(object: ConfigInput | Record<string, unknown>): string {
  const rows = flatten(object as Record<string, unknown>, '').map(
    ([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`,
  );
  return `<table class="settings">${rows.join('')}</table>`;
}

function flatten(object: Record<string, unknown>, prefix: string): [string, string][] {
  return Object.entries(object).flatMap(([key, value]): [string, string][] => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return flatten(value as Record<string, unknown>, path);
    }
    return [[path, Array.isArray(value) ? value.join(', ') : String(value)]];
  });
}

const styles = `
body{margin:0;background:#f8fafc;color:#0f172a;font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 20px 64px}
h1{font-size:26px;margin:8px 0}h2{font-size:20px;margin:36px 0 12px;border-bottom:1px solid #e2e8f0;padding-bottom:6px}h3{font-size:16px;margin:24px 0 8px}
.lead{color:#334155}.note{color:#64748b;font-size:13px}.range{color:#64748b;font-size:13px}
.warning{background:#fff7ed;border:1px solid #fdba74;border-radius:8px;padding:12px 16px;margin:16px 0}
figure{margin:16px 0;background:#fff;border:1px solid #e2e8f0;border-radius:8px;overflow:hidden}figure svg{display:block;max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}th,td{border:1px solid #e2e8f0;padding:5px 8px;text-align:right;vertical-align:top}
th{background:#f1f5f9;font-weight:600}table.figures th:first-child,table.settings th{text-align:left;font-weight:500}table.settings td{text-align:left}
tr.total td{font-weight:600}ul.findings li{margin:6px 0}
`;
