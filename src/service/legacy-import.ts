// Importing an operator's old members as consumption coins (docs/rules.md "Legacy conversion: the
// import file"), for both edges (the CLI's import-legacy and the admin's upload). The file is parsed
// whole (src/scenario/legacy-csv.ts) and then checked against the state, every problem with its line,
// before anything is submitted: a file with any problem grants nothing. Each grant's id is
// BATCH:MEMBER, so importing the same file again grants nothing twice (every row is a duplicate).
import type { Outcome } from '../domain/engine.ts';
import { type GrantCoins, sameContent } from '../domain/messages.ts';
import type { State } from '../domain/state.ts';
import { AMOUNT_MAX, cents, formatCents } from '../domain/units.ts';
import { type LegacyImportError, parseLegacyCsv, splitCsvLine } from '../scenario/legacy-csv.ts';

/** A batch names an import: letters, digits, `_`, `.`, `-` (it starts every grant's id). */
export const batchPattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** Grants submitted to the writer at once (an import waits for each chunk before the next). */
export const importChunkGrantsMax = 5_000;

export interface ImportPlan {
  readonly batch: string;
  /** Every row's grant, in file order, with the line it came from. */
  readonly grants: readonly GrantCoins[];
  readonly lines: readonly number[];
  /** Rows already granted by an earlier import of this batch (the same member and coins). */
  readonly duplicates: number;
  /** Σ coins of the rows not yet granted. */
  readonly coins: bigint;
}

export type ImportCheck =
  | { readonly ok: true; readonly plan: ImportPlan }
  | {
      readonly ok: false;
      /** `invalid_csv` (the file), `id_reused` (rows an earlier import granted otherwise), `amount_too_large`. */
      readonly code: 'invalid_csv' | 'id_reused' | 'amount_too_large' | 'invalid_batch';
      readonly problems: readonly LegacyImportError[];
    };

/** The line of each row of a file that parsed: non-blank lines, after a header if there is one. */
function rowLines(text: string): number[] {
  const lines: number[] = [];
  let first = true;
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .entries()) {
    if (raw.trim() === '') continue;
    if (first) {
      first = false;
      const fields = splitCsvLine(raw);
      if (typeof fields !== 'string' && fields.some((field) => field.toLowerCase() === 'member')) continue;
    }
    lines.push(index + 1);
  }
  return lines;
}

/** "line 3: the coins of m1 must be above zero; line 7: …": the first problems, for a one-line message. */
export function problemsText(problems: readonly LegacyImportError[], shown = 3): string {
  const text = problems
    .slice(0, shown)
    .map((problem) => (problem.line === 0 ? problem.message : `line ${problem.line}: ${problem.message}`))
    .join('; ');
  return problems.length > shown ? `${text}; and ${problems.length - shown} more` : text;
}

/**
 * Parses `text` and checks it against `state`: each member must exist, and a row an earlier import
 * of the same batch granted must be the same grant (then it is a duplicate, granted once only).
 * Whether the program is on is the caller's to check (a dry run may look at a file before).
 */
export function checkLegacyImport(state: State, text: string, batch: string, actor: string): ImportCheck {
  if (!batchPattern.test(batch)) {
    return {
      ok: false,
      code: 'invalid_batch',
      problems: [
        { line: 0, message: `the batch "${batch}" must be 1 to 64 letters, digits, "_", "." or "-"` },
      ],
    };
  }
  const parsed = parseLegacyCsv(text, { batch, actor, isMember: (id) => state.members.has(id) });
  if (!parsed.ok) return { ok: false, code: 'invalid_csv', problems: parsed.errors };
  const lines = rowLines(text);
  if (lines.length !== parsed.commands.length) throw new Error('legacy import: rows and lines disagree');
  const conflicts: LegacyImportError[] = [];
  let duplicates = 0;
  let coins = 0n;
  for (const [index, grant] of parsed.commands.entries()) {
    const earlier = state.processed(grant.id);
    if (earlier === undefined) {
      coins += grant.coins;
    } else if (sameContent(earlier, grant)) {
      duplicates += 1;
    } else {
      const was = earlier.type === 'grantCoins' ? ` ${formatCents(earlier.coins)}` : '';
      conflicts.push({
        line: lines[index] as number,
        message: `${grant.member} was already granted${was} by ${grant.id}: batch ${batch} cannot grant ${formatCents(grant.coins)} now (use a new batch name for new grants)`,
      });
    }
  }
  if (conflicts.length > 0) return { ok: false, code: 'id_reused', problems: conflicts };
  if (state.legacy.granted + coins > AMOUNT_MAX) {
    const message = `the coins would take the coins granted past the largest amount kept exactly (${formatCents(cents(AMOUNT_MAX))})`;
    return { ok: false, code: 'amount_too_large', problems: [{ line: 0, message }] };
  }
  return { ok: true, plan: { batch, grants: parsed.commands, lines, duplicates, coins } };
}

export interface ImportResult {
  readonly batch: string;
  readonly rows: number;
  readonly granted: number;
  readonly duplicates: number;
  /** Σ coins granted by this import (0 when every row was a duplicate). */
  readonly coins: string;
  /** Rows the rules refused after the check (something changed in between), with their lines. */
  readonly refused: readonly (LegacyImportError & { readonly code: string })[];
}

/**
 * The audit entry of one chunk: what its rows granted for the batch, by this import or by an earlier
 * one of the same batch that stopped before auditing it. Its key names the chunk (the batch, where it
 * starts, its first and last grant), so a retry of the file writes the entries a crash lost, once.
 */
export interface ChunkAudit {
  readonly key: string;
  readonly detail: {
    readonly batch: string;
    /** The chunk's lines in the file. */
    readonly lines: string;
    readonly rows: number;
    /** Rows of the chunk granted for the batch: now, or by an earlier import of it. */
    readonly granted: number;
    /** Of those, rows an earlier import granted. */
    readonly earlier: number;
    /** Σ coins of the granted rows. */
    readonly coins: string;
  };
}

function chunkAudit(
  plan: ImportPlan,
  start: number,
  chunk: readonly GrantCoins[],
  outcomes: readonly Outcome[],
) {
  let granted = 0;
  let earlier = 0;
  let coins = 0n;
  for (const [offset, outcome] of outcomes.entries()) {
    if (outcome.kind === 'rejected') continue;
    granted += 1;
    if (outcome.kind === 'duplicate') earlier += 1;
    coins += (chunk[offset] as GrantCoins).coins;
  }
  const first = chunk[0] as GrantCoins;
  const last = chunk[chunk.length - 1] as GrantCoins;
  const lines = `${plan.lines[start]}-${plan.lines[start + chunk.length - 1]}`;
  return {
    key: `legacy-import:${plan.batch}:${start}:${first.id}:${last.id}`,
    granted,
    detail: {
      batch: plan.batch,
      lines,
      rows: chunk.length,
      granted,
      earlier,
      coins: formatCents(cents(coins)),
    },
  };
}

/**
 * Submits a checked plan a chunk at a time; `audit` hears each chunk that granted anything as soon
 * as it is durable (an import can stop between chunks); `progress` hears how many rows are written.
 */
export async function applyLegacyImport(
  plan: ImportPlan,
  submit: (grants: readonly GrantCoins[]) => Promise<readonly Outcome[]>,
  audit: (entry: ChunkAudit) => Promise<unknown>,
  progress: (done: number, total: number) => void = () => {},
): Promise<ImportResult> {
  let granted = 0;
  let duplicates = 0;
  let coins = 0n;
  const refused: (LegacyImportError & { code: string })[] = [];
  const total = plan.grants.length;
  for (let start = 0; start < total; start += importChunkGrantsMax) {
    const chunk = plan.grants.slice(start, start + importChunkGrantsMax);
    const outcomes = await submit(chunk);
    for (const [offset, outcome] of outcomes.entries()) {
      const grant = chunk[offset] as GrantCoins;
      if (outcome.kind === 'accepted') {
        granted += 1;
        coins += grant.coins;
      } else if (outcome.kind === 'duplicate') {
        duplicates += 1;
      } else {
        const line = plan.lines[start + offset] as number;
        refused.push({ line, code: outcome.rejection.code, message: outcome.rejection.message });
      }
    }
    const entry = chunkAudit(plan, start, chunk, outcomes);
    if (entry.granted > 0) await audit({ key: entry.key, detail: entry.detail });
    progress(Math.min(total, start + chunk.length), total);
  }
  return { batch: plan.batch, rows: total, granted, duplicates, coins: formatCents(cents(coins)), refused };
}
