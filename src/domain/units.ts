// Units of the rules: every amount is an integer in its smallest unit (SPEC.md "Units and rounding").
// The brands make a rate impossible to add to money by accident; arithmetic strips a brand, so each
// result is re-branded where its unit is known.

declare const unit: unique symbol;
/** Money in cents (分). */
export type Cents = bigint & { readonly [unit]: 'Cents' };
/** Points in micro-points (1 point = 1,000,000). */
export type Micros = bigint & { readonly [unit]: 'Micros' };
/** A rate or multiple in parts per million (20% = 200,000). */
export type Ppm = bigint & { readonly [unit]: 'Ppm' };

export const cents = (value: bigint): Cents => value as Cents;
export const micros = (value: bigint): Micros => value as Micros;
export const ppm = (value: bigint): Ppm => value as Ppm;

export const ZERO_CENTS = cents(0n);
export const ZERO_MICROS = micros(0n);
export const PPM_ONE = ppm(1_000_000n);
export const MICROS_PER_POINT = 1_000_000n;
export const CENTS_DECIMALS = 2;
export const MICROS_DECIMALS = 6;
export const PPM_DECIMALS = 6;
/** The printed price has 6 decimals of yuan per point: cents/micro × 10^10. */
const PRICE_SCALE = 10_000_000_000n;

/** The largest amount kept (cents, micro-points): the signed 64-bit limit of the state's columns. */
export const AMOUNT_MAX = (1n << 63n) - 1n;

/** Floor division for any signs (bigint `/` truncates toward zero). The divisor must not be zero. */
export function divFloor(numerator: bigint, denominator: bigint): bigint {
  assert(denominator !== 0n, 'divFloor: division by zero');
  const quotient = numerator / denominator;
  // Same signs: truncation is the floor, and no remainder need be computed (a second division).
  if (numerator < 0n === denominator < 0n) return quotient;
  return numerator % denominator !== 0n ? quotient - 1n : quotient;
}

/**
 * `value`, checked to fit a signed 64-bit column (a typed array would wrap it silently): outside,
 * a crash, since the rules keep every amount within 64 bits. One compare the compiler does on a
 * machine word; the message is built only on failure, as this runs on every amount written.
 */
export function checkedInt64<T extends bigint>(value: T, what: string): T {
  if (BigInt.asIntN(64, value) !== value) fail(`${what} outside the 64-bit range`);
  return value;
}

/** `floor(amount × rate / 10^6)`: the one rounding every share of money in SPEC.md uses. */
export function applyRate(amount: Cents, rate: Ppm): Cents {
  return cents((amount * rate) / PPM_ONE); // both non-negative: truncation is the floor
}

export const minCents = (left: Cents, right: Cents): Cents => (left < right ? left : right);

/** Broken invariants crash: the state can no longer be trusted (TigerStyle). */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) fail(message);
}

/** `assert` for a message that costs something to build: `if (!condition) fail(\`…${x}\`)` builds it only on failure. */
export function fail(message: string): never {
  throw new Error(`invariant violated: ${message}`);
}

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;

export type DecimalParse = { ok: true; value: bigint } | { ok: false; message: string };

/**
 * Parses a plain decimal string ("1000.00", "50.5", "-1") into an integer with `scale` decimals.
 * More decimals than `scale`, exponents, spaces, a leading "+" or a non-string are refused, never rounded.
 */
export function parseDecimal(input: unknown, scale: number): DecimalParse {
  if (typeof input !== 'string') {
    return { ok: false, message: `expected a decimal string, got ${describe(input)}` };
  }
  const match = decimalPattern.exec(input);
  if (match === null) return { ok: false, message: `"${input}" is not a plain decimal number` };
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) {
    return { ok: false, message: `"${input}" has more than ${scale} decimals` };
  }
  const digits = BigInt(whole + fraction.padEnd(scale, '0'));
  return { ok: true, value: sign === '-' ? -digits : digits };
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input === 'string') return `"${input}"`;
  if (typeof input === 'number') return `the number ${input} (write decimals as strings)`;
  return typeof input;
}

/** Prints an integer with `scale` decimals: formatDecimal(48000n, 2) = "480.00". */
export function formatDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

export const formatCents = (value: Cents): string => formatDecimal(value, CENTS_DECIMALS);
export const formatMicros = (value: Micros): string => formatDecimal(value, MICROS_DECIMALS);
export const formatPpm = (value: Ppm): string => formatDecimal(value, PPM_DECIMALS);

/** Price `pool / supply` printed as yuan per point with 6 decimals, rounded down. */
export function formatPrice(pool: Cents, supply: Micros): string {
  assert(supply > 0n, 'formatPrice: supply must be positive');
  return formatDecimal((pool * PRICE_SCALE) / supply, 6);
}
