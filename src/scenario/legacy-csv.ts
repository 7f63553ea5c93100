// The legacy import file (docs/rules.md "Legacy conversion: the import file"): an operator's old
// member liabilities as CSV rows `member,coins[,reason]`, turned into `grantCoins` commands. The
// whole file is validated first and every problem is reported with its line number, so that an
// import is applied whole or not at all; the CLI and HTTP edges only read the file and submit.
import type { GrantCoins } from '../domain/messages.ts';
import { AMOUNT_MAX, CENTS_DECIMALS, cents, formatCents, parseDecimal } from '../domain/units.ts';

/** The most rows one file may hold, and the most problems reported (then "and N more"). */
export const legacyRowsMax = 1_000_000;
export const legacyErrorsMax = 100;
/** Longest member id and reason accepted from a file. */
const memberLengthMax = 200;
const reasonLengthMax = 500;

export interface LegacyImportOptions {
  /** Names the import: each row's command id is `BATCH:MEMBER`, so importing the file again is a no-op. */
  readonly batch: string;
  readonly actor: string;
  /** The reason of rows that give none. */
  readonly reason?: string;
  /** When given, a member it does not know is an error of its line. */
  readonly isMember?: (id: string) => boolean;
}

export interface LegacyImportError {
  /** 1-based line of the file (0: the file as a whole). */
  readonly line: number;
  readonly message: string;
}

export type LegacyImport =
  | { readonly ok: true; readonly commands: readonly GrantCoins[] }
  | { readonly ok: false; readonly errors: readonly LegacyImportError[] };

interface Columns {
  readonly member: number;
  readonly coins: number;
  readonly reason: number | null;
  /** A row has at most these columns: member,coins,reason without a header, the header's with one. */
  readonly widthMax: number;
}

/** What follows a thousands separator: three digits, perhaps cents. */
const thousandsTail = /^\d{3}(\.\d{1,2})?$/;

const positional: Columns = { member: 0, coins: 1, reason: 2, widthMax: 3 };

/** Splits one line into fields: commas, and double quotes around a field ("" inside is a quote). */
export function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let index = 0;
  // Bounded: each pass consumes at least one character or ends the line.
  for (;;) {
    while (line[index] === ' ' || line[index] === '\t') index += 1;
    let field = '';
    if (line[index] === '"') {
      index += 1;
      for (;;) {
        const quote = line.indexOf('"', index);
        if (quote === -1) return 'a quoted field is not closed';
        field += line.slice(index, quote);
        index = quote + 1;
        if (line[index] !== '"') break;
        field += '"';
        index += 1;
      }
      while (line[index] === ' ' || line[index] === '\t') index += 1;
      if (index < line.length && line[index] !== ',') return 'text after a quoted field';
    } else {
      const comma = line.indexOf(',', index);
      const end = comma === -1 ? line.length : comma;
      field = line.slice(index, end).trim();
      if (field.includes('"')) return 'a quote inside an unquoted field';
      index = end;
    }
    fields.push(field);
    if (index >= line.length) return fields;
    index += 1; // the comma
  }
}

function headerColumns(fields: readonly string[]): Columns | string {
  const names = fields.map((field) => field.toLowerCase());
  const member = names.indexOf('member');
  const coins = names.indexOf('coins');
  if (member === -1 || coins === -1) return 'the header needs the columns "member" and "coins"';
  for (const name of ['member', 'coins', 'reason']) {
    if (names.indexOf(name) !== names.lastIndexOf(name)) return `the header names the column "${name}" twice`;
  }
  const reason = names.indexOf('reason');
  return { member, coins, reason: reason === -1 ? null : reason, widthMax: fields.length };
}

/** Parses and validates a whole import file. Pure: the caller submits the commands. */
export function parseLegacyCsv(text: string, options: LegacyImportOptions): LegacyImport {
  const errors: LegacyImportError[] = [];
  let more = 0;
  const fail = (line: number, message: string): void => {
    if (errors.length < legacyErrorsMax) errors.push({ line, message });
    else more += 1;
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let columns: Columns = positional;
  let sawFirst = false;
  const seen = new Map<string, number>();
  const commands: GrantCoins[] = [];
  let total = 0n;
  let rows = 0;
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (raw.trim() === '') continue;
    const fields = splitCsvLine(raw);
    if (typeof fields === 'string') {
      fail(line, fields);
      sawFirst = true;
      continue;
    }
    if (!sawFirst) {
      sawFirst = true;
      if (fields.some((field) => field.toLowerCase() === 'member')) {
        const header = headerColumns(fields);
        if (typeof header === 'string') fail(line, header);
        else columns = header;
        continue;
      }
    }
    rows += 1;
    if (rows > legacyRowsMax) {
      fail(line, `a file holds at most ${legacyRowsMax} rows`);
      break;
    }
    const row = rowOf(fields, columns, options);
    if (typeof row === 'string') {
      fail(line, row);
      continue;
    }
    const first = seen.get(row.member);
    if (first !== undefined) {
      fail(line, `member ${row.member} is listed twice (first on line ${first})`);
      continue;
    }
    seen.set(row.member, line);
    total += row.coins;
    commands.push({
      type: 'grantCoins',
      id: `${options.batch}:${row.member}`,
      member: row.member,
      coins: cents(row.coins),
      reason: row.reason,
      actor: options.actor,
    });
  }
  if (total > AMOUNT_MAX) {
    fail(
      0,
      `the coins add up to more than the largest amount kept exactly (${formatCents(cents(AMOUNT_MAX))})`,
    );
  }
  if (commands.length === 0 && errors.length === 0) fail(0, 'the file has no rows');
  if (more > 0) errors.push({ line: 0, message: `and ${more} more problems` });
  return errors.length === 0 ? { ok: true, commands } : { ok: false, errors };
}

function rowOf(
  fields: readonly string[],
  columns: Columns,
  options: LegacyImportOptions,
): { member: string; coins: bigint; reason: string } | string {
  if (fields.length > columns.widthMax) {
    return columns === positional
      ? `expected member,coins[,reason], got ${fields.length} columns (write amounts without thousands separators, or quote them)`
      : `the header has ${columns.widthMax} columns, this row ${fields.length} (write amounts without thousands separators, or quote them)`;
  }
  const member = fields[columns.member] ?? '';
  if (member === '') return 'the member is empty';
  if (member.length > memberLengthMax) return `the member id is longer than ${memberLengthMax} characters`;
  if (options.isMember !== undefined && !options.isMember(member)) return `${member} is not a member`;
  const coinsText = fields[columns.coins];
  if (coinsText === undefined || coinsText === '') return `the coins of ${member} are missing`;
  const coins = parseDecimal(coinsText, CENTS_DECIMALS);
  if (!coins.ok) return `coins: ${coins.message}`;
  if (coins.value <= 0n) return `the coins of ${member} must be above zero`;
  const given = columns.reason === null ? '' : (fields[columns.reason] ?? '');
  // "1,234.00" unquoted reads as coins 1 and reason "234.00": refuse it rather than grant 1.00.
  if (columns.reason === columns.coins + 1 && thousandsTail.test(given)) {
    return `coins "${coinsText}" followed by "${given}" looks like an amount with a thousands separator: write it without the comma, or quote it`;
  }
  const reason = given === '' ? (options.reason ?? `legacy import ${options.batch}`) : given;
  if (reason.length > reasonLengthMax) return `the reason is longer than ${reasonLengthMax} characters`;
  return { member, coins: coins.value, reason };
}
