// SPEC.md's arithmetic written out again for the HTTP tests, so that what the API prints is checked
// against figures computed here (bigint, floor at each written step), never read from the engine.

export const ppmOne = 1_000_000n;
export const microsPerPoint = 1_000_000n;

/** A rate in ppm from its decimal text: "0.20" → 200000n. */
export function ppmOf(rate: string): bigint {
  const [whole = '0', fraction = ''] = rate.split('.');
  return BigInt(whole) * ppmOne + BigInt(fraction.padEnd(6, '0'));
}

/** `floor(amount × rate / 10^6)` for non-negative integers. */
export const share = (amount: bigint, ratePpm: bigint): bigint => (amount * ratePpm) / ppmOne;

function fixed(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  return `${negative ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/** Cents as the API prints money: 48000n → "480.00". */
export const yuan = (cents: bigint): string => fixed(cents, 2);
/** Micro-points as the API prints points: 112000000n → "112.000000". */
export const pointsText = (micros: bigint): string => fixed(micros, 6);
/** The printed price, yuan per point: `floor(P × 10^10 / S)` with 6 decimals. */
export const priceText = (poolCents: bigint, supplyMicros: bigint): string =>
  fixed((poolCents * 10_000_000_000n) / supplyMicros, 6);

/** The seed defaults of SPEC.md "Configuration", in integers. */
export const defaults = {
  initialPriceCents: 100n,
  commissionRate: ppmOf('0.20'),
  poolShare: ppmOf('0.80'),
  distributionShare: ppmOf('0.10'),
  mintRatio: ppmOf('0.70'),
  sellFee: ppmOf('0.20'),
  capMultiple: ppmOf('1.2'),
  direct: ppmOf('0.003'),
  indirect: ppmOf('0.002'),
  merchantRecruiter: ppmOf('0.005'),
  district: ppmOf('0.001'),
} as const;

export interface Market {
  pool: bigint;
  supply: bigint;
}

export interface Settled {
  readonly commission: bigint;
  readonly payable: bigint;
  readonly inflow: bigint;
  readonly budget: bigint;
  readonly value: bigint;
  readonly minted: bigint;
}

/** Steps 2, 3, 5 and 6 of "Settling an order" at the default rates; the market moves (step 7). */
export function settle(market: Market, amount: bigint): Settled {
  const commission = share(amount, defaults.commissionRate);
  const inflow = share(commission, defaults.poolShare);
  const budget = share(commission, defaults.distributionShare);
  const value = share(inflow, defaults.mintRatio);
  const minted =
    market.supply === 0n
      ? (value * microsPerPoint) / defaults.initialPriceCents
      : (value * market.supply) / market.pool;
  market.pool += inflow;
  market.supply += minted;
  return { commission, payable: amount - commission, inflow, budget, value, minted };
}

/** "Selling q points": gross at the price, payout less the sell fee; the market moves. */
export function sell(market: Market, points: bigint): { gross: bigint; payout: bigint } {
  const gross = (points * market.pool) / market.supply;
  const payout = share(gross, ppmOne - defaults.sellFee);
  market.pool -= payout;
  market.supply -= points;
  return { gross, payout };
}

/** Printed money back to cents: "160.00" → 16000n (for figures computed from what the API showed). */
export const centsOf = (text: string): bigint => ppmOf(text) / 10_000n;
/** Printed points back to micro-points: "112.000000" → 112000000n. */
export const microsOf = (text: string): bigint => ppmOf(text);
