// Charts rendered to SVG on the server by ECharts (no browser, no script in the report). Every chart
// is disposed after rendering, or its timers would keep the process alive. ECharts numbers its
// instances and styles process-wide; the ids are renumbered per chart so that the same data always
// gives the same SVG, and two charts in one page never share an id.
import * as echarts from 'echarts';
import { escapeHtml } from './html.ts';

export const CHART_WIDTH = 780;
export const CHART_HEIGHT = 340;

export const palette = {
  baseline: '#2563eb',
  compare: '#d97706',
  third: '#059669',
  fourth: '#7c3aed',
  muted: '#6b7280',
} as const;

export interface Line {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
  /** The 10th–90th percentile band drawn around the line. */
  readonly band?: { readonly low: readonly number[]; readonly high: readonly number[] } | undefined;
  readonly dashed?: boolean;
}

export interface LineChartSpec {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly xName: string;
  readonly yName: string;
  readonly x: readonly (number | string)[];
  readonly lines: readonly Line[];
  /** A logarithmic value axis, for lines that differ by orders of magnitude. */
  readonly logarithmic?: boolean;
}

export interface BarChartSpec {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly yName: string;
  readonly categories: readonly string[];
  readonly bars: readonly {
    readonly name: string;
    readonly color: string;
    readonly values: readonly (number | null)[];
  }[];
  /** Values are shares 0…1, shown as percentages. */
  readonly percent?: boolean;
  /** A dashed horizontal reference line (e.g. a return ratio of 1). */
  readonly reference?: { readonly value: number; readonly label: string } | undefined;
}

/**
 * Renders one ECharts option to a standalone SVG string with stable ids prefixed by `id` and `title`
 * as its accessible name. ECharts' style block only holds hover effects, which a static picture never
 * shows; it goes, so that the file is plain SVG without a CDATA section.
 */
export function renderSvg(
  id: string,
  title: string,
  option: echarts.EChartsCoreOption,
  width = CHART_WIDTH,
  height = CHART_HEIGHT,
): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, ...option });
    const svg = stableIds(chart.renderToSVGString(), id).replace(/<style[^>]*>[\s\S]*?<\/style>\n?/g, '');
    return svg.replace(/^(<svg[^>]*>)/, `$1<title>${escapeHtml(title)}</title>`);
  } finally {
    chart.dispose();
  }
}

/** Renumbers ECharts' process-wide `zr<instance>-<kind>-<number>` ids in order of appearance. */
export function stableIds(svg: string, id: string): string {
  const renamed = new Map<string, string>();
  return svg.replace(/\bzr\d+-([A-Za-z]+)-?(\w*)/g, (token, kind: string) => {
    let name = renamed.get(token);
    if (name === undefined) {
      name = `${id}-${kind}-${renamed.size}`;
      renamed.set(token, name);
    }
    return name;
  });
}

const compactNumber = (value: number): string => {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${trimmed(value / 1e9)}B`;
  if (magnitude >= 1e6) return `${trimmed(value / 1e6)}M`;
  if (magnitude >= 1e4) return `${trimmed(value / 1e3)}k`;
  return trimmed(value);
};
const trimmed = (value: number): string => String(Number(value.toPrecision(3)));

const LEGEND_ROW_ENTRIES = 4;
const LEGEND_ROW_PIXELS = 22;

/** Title and subtitle at the top left, the legend under them, the plot below the legend. */
function frame(
  spec: { title: string; subtitle?: string | undefined },
  legend: string[],
): echarts.EChartsCoreOption {
  const legendTop = spec.subtitle ? 50 : 32;
  const legendRows = Math.max(1, Math.ceil(legend.length / LEGEND_ROW_ENTRIES));
  return {
    backgroundColor: '#ffffff',
    // No double quotes in the font list: ECharts writes it into a style attribute unescaped.
    textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif' },
    title: {
      text: spec.title,
      subtext: spec.subtitle ?? '',
      left: 12,
      top: 6,
      textStyle: { fontSize: 15 },
      subtextStyle: { fontSize: 12, color: palette.muted },
    },
    legend: { data: legend, left: 12, top: legendTop, itemGap: 18, textStyle: { fontSize: 12 } },
    grid: { left: 64, right: 24, top: legendTop + legendRows * LEGEND_ROW_PIXELS + 34, bottom: 44 },
  };
}

export function lineChart(spec: LineChartSpec): string {
  const series: object[] = [];
  for (const [index, line] of spec.lines.entries()) {
    if (line.band !== undefined) series.push(...bandSeries(line, index));
    series.push({
      name: line.name,
      type: 'line',
      data: [...line.values],
      showSymbol: false,
      lineStyle: { width: 2, color: line.color, type: line.dashed ? 'dashed' : 'solid' },
      itemStyle: { color: line.color },
    });
  }
  return renderSvg(spec.id, spec.title, {
    ...frame(
      spec,
      spec.lines.map((line) => line.name),
    ),
    xAxis: {
      type: 'category',
      data: [...spec.x],
      name: spec.xName,
      nameLocation: 'middle',
      nameGap: 28,
      boundaryGap: false,
      axisLabel: { interval: Math.max(0, Math.ceil(spec.x.length / 12) - 1) },
    },
    yAxis: {
      type: spec.logarithmic ? 'log' : 'value',
      name: spec.yName,
      nameTextStyle: { align: 'right' },
      axisLabel: { formatter: compactNumber },
    },
    series,
  });
}

/** The band as a transparent base (the 10th percentile) with the 10th–90th spread stacked on it. */
function bandSeries(line: Line, index: number): object[] {
  const band = line.band as NonNullable<Line['band']>;
  const stack = `band-${index}`;
  const quiet = {
    showSymbol: false,
    silent: true,
    lineStyle: { opacity: 0 },
    itemStyle: { color: line.color },
  };
  return [
    { name: `${line.name} p10`, type: 'line', stack, data: [...band.low], ...quiet },
    {
      name: `${line.name} p10–p90`,
      type: 'line',
      stack,
      data: band.high.map((high, day) => high - (band.low[day] as number)),
      areaStyle: { color: line.color, opacity: 0.18 },
      ...quiet,
    },
  ];
}

export function barChart(spec: BarChartSpec): string {
  const format = spec.percent ? (value: number) => `${Math.round(value * 100)}%` : compactNumber;
  const series: object[] = spec.bars.map((bar) => ({
    name: bar.name,
    type: 'bar',
    data: [...bar.values],
    itemStyle: { color: bar.color },
    barMaxWidth: 28,
  }));
  const reference = spec.reference;
  if (reference !== undefined && series[0] !== undefined) {
    series[0] = {
      ...series[0],
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { type: 'dashed', color: palette.muted },
        label: { formatter: reference.label, position: 'insideEndTop', color: palette.muted },
        data: [{ yAxis: reference.value }],
      },
    };
  }
  return renderSvg(spec.id, spec.title, {
    ...frame(
      spec,
      spec.bars.map((bar) => bar.name),
    ),
    xAxis: {
      type: 'category',
      data: [...spec.categories],
      name: 'month of joining',
      nameLocation: 'middle',
      nameGap: 28,
    },
    yAxis: {
      type: 'value',
      name: spec.yName,
      max: spec.percent ? 1 : undefined,
      axisLabel: { formatter: format },
    },
    series,
  });
}
