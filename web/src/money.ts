// Money, points and rates in the browser: exact integers (bigint) from the API's decimal strings,
// never floating point. Cents (2 decimals), micro-points (6 decimals) and ppm (rates, 6 decimals)
// are distinct types so that a rate cannot be added to money by mistake.
export type Cents = bigint & { readonly unit: 'cents' };
export type Micros = bigint & { readonly unit: 'micros' };
export type Ppm = bigint & { readonly unit: 'ppm' };

export const centsDecimals = 2;
export const microsDecimals = 6;
export const ppmOne = 1_000_000n as Ppm;
/** The longest decimal the API accepts (15 integer digits for money, 13 for points): refuse longer input. */
const integerDigitsMax = 15;

/** A plain non-negative decimal with at most `scale` decimals, as an integer of the smallest unit; null otherwise. */
export function parseDecimal(text: string, scale: number): bigint | null {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > scale || whole.replace(/^0+/, '').length > integerDigitsMax) return null;
  return BigInt(whole + fraction.padEnd(scale, '0'));
}

export const parseCents = (text: string): Cents | null => parseDecimal(text, centsDecimals) as Cents | null;
export const parseMicros = (text: string): Micros | null =>
  parseDecimal(text, microsDecimals) as Micros | null;
export const parsePpm = (text: string): Ppm | null => parseDecimal(text, microsDecimals) as Ppm | null;

/** An integer of the smallest unit as a decimal string with exactly `scale` decimals. */
export function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** Thousands separators on the whole part of a plain decimal string ("1234567.50" → "1,234,567.50"). */
function grouped(decimal: string): string {
  const [whole = '', fraction] = decimal.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** "¥1,234.50" from cents. */
export const yuanOfCents = (value: Cents): string => `¥${grouped(formatScaled(value, centsDecimals))}`;

/** "¥1,234.50" from the API's money string ("1234.5" or "1234.50"); the text as is when it is not money. */
export function yuan(text: string | null | undefined): string {
  if (text === null || text === undefined) return '—';
  const value = parseCents(text);
  return value === null ? text : yuanOfCents(value);
}

/** The price of a point: six decimals of yuan, as the API prints it ("¥1.234567"). */
export const pricePerPoint = (text: string): string => `¥${text}`;

/** Points as the API prints them (six decimals), grouped ("12,345.678901"). */
export function pointsText(text: string | null | undefined): string {
  if (text === null || text === undefined) return '—';
  const value = parseMicros(text);
  return value === null ? text : grouped(formatScaled(value, microsDecimals));
}

/** A multiple or rate as the API prints it, without trailing zeros ("1.200000" → "1.2"). */
export const plainDecimal = (text: string): string =>
  text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;

/** A rate (ppm) as a percentage, floored to two decimals ("0.2" → "20%", "0.003" → "0.3%"). */
export function percentOfRate(text: string): string {
  const rate = parsePpm(text);
  if (rate === null) return text;
  const hundredths = (rate * 10_000n) / ppmOne; // floor: both non-negative
  return `${formatScaled(hundredths, 2).replace(/\.?0+$/, '')}%`;
}

/** A progress share ("0.512345" = 51.2345%) as a whole-number percentage for a bar, clamped to 0–100. */
export function progressPercent(share: string): number {
  const value = parsePpm(share);
  if (value === null) return 0;
  // A bar's width: a display number, not money; floored to a whole percent.
  const percent = Number((value * 100n) / ppmOne);
  return Math.max(0, Math.min(100, percent));
}

/** The same share as text with two decimals of a percent, floored ("51.23%"); may pass 100%. */
export function progressText(share: string): string {
  const value = parsePpm(share);
  if (value === null) return share;
  return `${formatScaled((value * 10_000n) / ppmOne, 2)}%`;
}

export interface SalePreview {
  readonly gross: Cents;
  readonly fee: Cents;
  readonly payout: Cents;
}

/**
 * What a sale of `points` pays at the market now, by the same floors as the rules:
 * gross = floor(points × pool ÷ supply), payout = floor(gross × (1 − sellFee)), fee = gross − payout.
 * Null when the supply is empty or smaller than the points.
 */
export function salePreview(points: Micros, pool: Cents, supply: Micros, sellFee: Ppm): SalePreview | null {
  if (supply <= 0n || points <= 0n || points > supply) return null;
  const gross = ((points * pool) / supply) as Cents;
  const payout = ((gross * (ppmOne - sellFee)) / ppmOne) as Cents;
  return { gross, fee: (gross - payout) as Cents, payout };
}

/** `floor(amount × rate)` for a rate like a cap multiple ("1.2"). */
export const timesRate = (amount: Cents, rate: Ppm): Cents => ((amount * rate) / ppmOne) as Cents;

/** A client-chosen idempotency id ("sel_3f9a…"); getRandomValues works on plain http too (a phone on a LAN). */
/**
 * The client id of one intended write. Asked again for the same content (a retry after an error or
 * a lost answer) it gives the same id, so the server answers "duplicate" instead of doing it twice;
 * after `succeeded()`, or for other content, it gives a new one.
 */
export class Attempt {
  private id: string | null = null;
  private content = '';

  constructor(private readonly prefix: string) {}

  idFor(content: Readonly<Record<string, string>>): string {
    const key = JSON.stringify(content);
    if (this.id === null || key !== this.content) {
      this.id = newId(this.prefix);
      this.content = key;
    }
    return this.id;
  }

  succeeded(): void {
    this.id = null;
  }
}

export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}_${[...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
