// Database rows → store records, the same for SQLite and PostgreSQL: both drivers hand 64-bit
// integers over as bigint (better-sqlite3's safe integers, pg's int8 parser).
import type { AuditRow, LogRow, OutcomeRow, RecordRow } from './store.ts';

export type Row = Record<string, unknown>;

/** A 64-bit integer column → number, refusing a value a number cannot hold exactly (no position or time gets there). */
export function toNumber(value: unknown): number {
  const number = Number(value as bigint);
  if (typeof value !== 'bigint' || !Number.isSafeInteger(number)) {
    throw new Error(`invariant violated: expected a safe 64-bit integer, got ${String(value)}`);
  }
  return number;
}

export const logRow = (row: Row): LogRow => ({
  sequence: toNumber(row.sequence),
  type: row.type as string,
  commandId: row.command_id as string | null,
  body: row.body as string,
  recordedAtMs: toNumber(row.recorded_at_ms),
  previousHash: row.previous_hash as string,
  hash: row.hash as string,
});

export const outcomeRow = (row: Row): OutcomeRow => ({
  position: toNumber(row.position),
  commandId: row.command_id as string | null,
  kind: row.kind as OutcomeRow['kind'],
  code: row.code as string | null,
  message: row.message as string | null,
  recordedAtMs: toNumber(row.recorded_at_ms),
});

export const recordRow = (row: Row): RecordRow => ({
  id: row.id as string,
  body: row.body as string,
  updatedAtMs: toNumber(row.updated_at_ms),
});

export const auditRow = (row: Row): AuditRow => ({
  position: toNumber(row.position),
  atMs: toNumber(row.at_ms),
  actor: row.actor as string,
  action: row.action as string,
  detail: row.detail as string,
});
