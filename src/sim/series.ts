// The quantities sampled at the end of every simulated day, one BigInt64Array per quantity and run.

/** How a quantity is printed: money in cents, points in micro-points, the price, or a plain count. */
export type SeriesUnit = 'price' | 'cents' | 'micros' | 'count';

export const seriesUnits = {
  /** The printed price, yuan per point in millionths. */
  price: 'price',
  pool: 'cents',
  supply: 'micros',
  /** Cumulative platform revenue (commission kept by the platform). */
  platform: 'cents',
  /** Cumulative rewards paid to referrers, recruiters and agents. */
  rewards: 'cents',
  /** Cumulative cash paid out of the pool to members who sold or were forced out. */
  payouts: 'cents',
  injected: 'cents',
  /** Cumulative order amounts. */
  consumption: 'cents',
  forcedExits: 'count',
  /** Members who have joined (placed a first order). */
  members: 'count',
  orders: 'count',
  /** Accepted voluntary sales. */
  sells: 'count',
} as const satisfies Record<string, SeriesUnit>;

export type SeriesName = keyof typeof seriesUnits;
export const seriesNames = Object.keys(seriesUnits) as SeriesName[];

export type Series = Record<SeriesName, BigInt64Array>;

export function createSeries(days: number): Series {
  return Object.fromEntries(seriesNames.map((name) => [name, new BigInt64Array(days)])) as Series;
}
