// The event store: one interface, two implementations (sqlite.ts, postgres.ts). The log is the
// truth; balances are a projection rebuilt from it. A store only keeps rows: deciding and ordering
// them is the sequencer's work, and so is hashing them, except where a store can link them into
// the chain off the sequencer's thread (appendLinked: SQLite's writer thread).

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

/** An event row before it is linked into the hash chain: its store computes previousHash and hash. */
export type UnlinkedRow = Omit<LogRow, 'previousHash' | 'hash'>;

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
  /**
   * Appends rows and outcomes atomically; resolves once they are durable. Appends are written in
   * call order, and one may be made before the last has resolved (the sequencer keeps a few in
   * flight); the store may commit several in one transaction, and they then fail together. If an
   * append fails, every append made after it and before its failure was reported fails too,
   * writing nothing: no gap in the log.
   */
  append(rows: readonly LogRow[], outcomes: readonly OutcomeRow[]): Promise<void>;
  /**
   * Optional: as append, but the store links the rows into the hash chain itself (rowHash), after
   * the event with sequence `after`, and resolves with the new head once durable. It fails, writing
   * nothing, unless the log ends exactly at `after`. A store offers it when it can hash elsewhere
   * than on the sequencer's thread; the sequencer then leaves hashing to it.
   */
  appendLinked?(
    after: number,
    rows: readonly UnlinkedRow[],
    outcomes: readonly OutcomeRow[],
  ): Promise<LogHead>;
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
  /**
   * Appends an audit entry. With a key (what it audits: `command:ID`…), only if no entry has that key
   * yet, so that a retry can write an entry a crash lost and never a second one. Answers whether it wrote.
   */
  appendAudit(
    atMs: number,
    actor: string,
    action: string,
    detail: string,
    key?: string | null,
  ): Promise<boolean>;
  /** Audit entries, newest first. */
  readAudit(offset: number, limit: number): Promise<AuditRow[]>;
  close(): Promise<void>;
}

// The hash chain (GENESIS_HASH, rowHash) is defined in plain JavaScript, for the SQLite writer thread.
export { GENESIS_HASH, rowHash } from './row-hash.js';

/** Limits of a read page, so that a read of a long log never holds it all in memory. */
export const readRowsMax = 10_000;
