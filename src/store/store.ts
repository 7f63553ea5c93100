// The event store: one interface, two implementations (sqlite.ts, postgres.ts). The log is the
// truth; balances are a projection rebuilt from it. A store only keeps rows: deciding, hashing and
// ordering them is the sequencer's work, so both implementations stay thin and alike.
import { createHash, hash } from 'node:crypto';

/** One event in the log. */
export interface LogRow {
  /** 1-based position in the log; the primary key. */
  readonly sequence: number;
  readonly type: string;
  /** The client-supplied id of the command this event answers for (unique), or null. */
  readonly commandId: string | null;
  /** The event, encoded by codec.ts. */
  readonly body: string;
  /** When its batch was written, in milliseconds since the epoch. */
  readonly recordedAtMs: number;
  readonly previousHash: string;
  readonly hash: string;
}

/** A submitted command that changed nothing: kept for audit and for `poolpoint state`, never for idempotency. */
export interface OutcomeRow {
  readonly position: number;
  readonly commandId: string | null;
  readonly kind: 'duplicate' | 'rejected';
  readonly code: string | null;
  readonly message: string | null;
  readonly recordedAtMs: number;
}

export interface SnapshotRow {
  /** The state after the event with this sequence. */
  readonly sequence: number;
  /** The hash of that event: a snapshot is tied to one exact history. */
  readonly hash: string;
  readonly body: Buffer;
  readonly createdAtMs: number;
}

/** An entry of the audit trail: who did what, when (admin and finance actions, logins, failures). */
export interface AuditRow {
  readonly position: number;
  readonly atMs: number;
  readonly actor: string;
  readonly action: string;
  /** JSON with what the action concerned and its outcome. */
  readonly detail: string;
}

/**
 * Operational records beside the log (accounts, API keys, merchant applications): documents
 * kept by kind and id. They are not ledger state: balances never depend on them.
 */
export interface RecordRow {
  readonly id: string;
  readonly body: string;
  readonly updatedAtMs: number;
}

export interface LogHead {
  readonly sequence: number;
  readonly hash: string;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Appends rows and outcomes in one transaction; resolves once it is durable. */
  append(rows: readonly LogRow[], outcomes: readonly OutcomeRow[]): Promise<void>;
  /** The last row's sequence and hash, or (0, GENESIS_HASH) for an empty log. */
  head(): Promise<LogHead>;
  /** Rows with sequence ≥ `fromSequence`, in order, at most `limit`. */
  read(fromSequence: number, limit: number): Promise<LogRow[]>;
  /** Outcomes with position ≥ `fromPosition`, in order, at most `limit`. */
  readOutcomes(fromPosition: number, limit: number): Promise<OutcomeRow[]>;
  /** The number of outcomes recorded (the next position is this + 1). */
  outcomeCount(): Promise<number>;
  saveSnapshot(snapshot: SnapshotRow): Promise<void>;
  /** Snapshot sequences, newest first. */
  snapshotSequences(): Promise<number[]>;
  loadSnapshot(sequence: number): Promise<SnapshotRow | null>;
  putRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<void>;
  /** Inserts only if no record of that kind and id exists; answers whether it did (a unique claim). */
  insertRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<boolean>;
  getRecord(kind: string, id: string): Promise<RecordRow | null>;
  /** Records of a kind, newest first. */
  listRecords(kind: string, offset: number, limit: number): Promise<RecordRow[]>;
  appendAudit(atMs: number, actor: string, action: string, detail: string): Promise<void>;
  /** Audit entries, newest first. */
  readAudit(offset: number, limit: number): Promise<AuditRow[]>;
  close(): Promise<void>;
}

/** The hash before the first event: a fixed genesis, so every chain starts from the same point. */
export const GENESIS_HASH = createHash('sha256').update('poolpoint event log v1').digest('hex');

/** sha256 over the previous hash, the position, the time and the body: no field can change unnoticed. */
export function rowHash(previousHash: string, sequence: number, recordedAtMs: number, body: string): string {
  // crypto.hash (Node ≥ 20.12) is the one-shot form: half the cost of a createHash object per row.
  return hash('sha256', `${previousHash}\n${sequence}\n${recordedAtMs}\n${body}`, 'hex');
}

/** Limits of a read page, so that a read of a long log never holds it all in memory. */
export const readRowsMax = 10_000;
