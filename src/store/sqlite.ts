// The embedded store: SQLite through better-sqlite3, WAL, synchronous=FULL (a committed batch has
// been fsynced before append resolves). better-sqlite3 is synchronous; the promises only keep the
// EventStore interface common with PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { auditRow, logRow, outcomeRow, type Row, recordRow, toNumber } from './rows.ts';
import {
  type AuditRow,
  type EventStore,
  GENESIS_HASH,
  type LogHead,
  type LogRow,
  type OutcomeRow,
  type RecordRow,
  readRowsMax,
  type SnapshotRow,
} from './store.ts';

/** Versioned migrations: each runs once, in order, recorded in schema_migrations. */
const migrations: readonly string[] = [
  `CREATE TABLE events (
     sequence INTEGER PRIMARY KEY,
     type TEXT NOT NULL,
     command_id TEXT UNIQUE,
     body TEXT NOT NULL,
     recorded_at_ms INTEGER NOT NULL,
     previous_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   ) STRICT;
   CREATE TABLE outcomes (
     position INTEGER PRIMARY KEY,
     command_id TEXT,
     kind TEXT NOT NULL CHECK (kind IN ('duplicate', 'rejected')),
     code TEXT,
     message TEXT,
     recorded_at_ms INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE snapshots (
     sequence INTEGER PRIMARY KEY,
     hash TEXT NOT NULL,
     body BLOB NOT NULL,
     created_at_ms INTEGER NOT NULL
   ) STRICT;`,
  `CREATE TABLE records (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     body TEXT NOT NULL,
     updated_at_ms INTEGER NOT NULL,
     PRIMARY KEY (kind, id)
   ) STRICT;
   CREATE INDEX records_by_time ON records (kind, updated_at_ms);
   CREATE TABLE audit (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL
   ) STRICT;`,
];

/** Event rows per multi-row INSERT (7 parameters each, well under SQLite's 32,766). */
const rowsPerInsert = 100;

const eventValues = (row: LogRow): unknown[] => [
  row.sequence,
  row.type,
  row.commandId,
  row.body,
  row.recordedAtMs,
  row.previousHash,
  row.hash,
];

const pageSize = (limit: number): number => Math.max(0, Math.min(Math.trunc(limit), readRowsMax));

export class SqliteStore implements EventStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly insertEvent: Database.Statement;
  private readonly insertEvents: Database.Statement;
  private readonly insertOutcome: Database.Statement;
  private readonly appendTransaction: Database.Transaction<
    (rows: readonly LogRow[], outcomes: readonly OutcomeRow[]) => void
  >;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.defaultSafeIntegers(true);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('wal_autocheckpoint = 16384');
    migrate(this.db);
    const eventColumns = '(sequence, type, command_id, body, recorded_at_ms, previous_hash, hash)';
    this.insertEvent = this.db.prepare(`INSERT INTO events ${eventColumns} VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.insertEvents = this.db.prepare(
      `INSERT INTO events ${eventColumns} VALUES ${Array(rowsPerInsert).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.insertOutcome = this.db.prepare(
      'INSERT INTO outcomes (position, command_id, kind, code, message, recorded_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.appendTransaction = this.db.transaction(
      (rows: readonly LogRow[], outcomes: readonly OutcomeRow[]) => {
        let next = 0;
        // Many rows per statement: each statement run costs more than the rows it carries.
        for (; next + rowsPerInsert <= rows.length; next += rowsPerInsert) {
          this.insertEvents.run(rows.slice(next, next + rowsPerInsert).flatMap(eventValues));
        }
        for (; next < rows.length; next += 1) this.insertEvent.run(eventValues(rows[next] as LogRow));
        for (const outcome of outcomes) {
          this.insertOutcome.run(
            outcome.position,
            outcome.commandId,
            outcome.kind,
            outcome.code,
            outcome.message,
            outcome.recordedAtMs,
          );
        }
      },
    );
  }

  async append(rows: readonly LogRow[], outcomes: readonly OutcomeRow[]): Promise<void> {
    this.appendTransaction.immediate(rows, outcomes);
  }

  async head(): Promise<LogHead> {
    const row = this.db.prepare('SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1').get() as
      | Row
      | undefined;
    return row === undefined
      ? { sequence: 0, hash: GENESIS_HASH }
      : { sequence: toNumber(row.sequence), hash: row.hash as string };
  }

  async read(fromSequence: number, limit: number): Promise<LogRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM events WHERE sequence >= ? ORDER BY sequence LIMIT ?')
      .all(fromSequence, Math.min(limit, readRowsMax)) as Row[];
    return rows.map(logRow);
  }

  async readOutcomes(fromPosition: number, limit: number): Promise<OutcomeRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM outcomes WHERE position >= ? ORDER BY position LIMIT ?')
      .all(fromPosition, Math.min(limit, readRowsMax)) as Row[];
    return rows.map(outcomeRow);
  }

  async outcomeCount(): Promise<number> {
    const row = this.db.prepare('SELECT max(position) AS position FROM outcomes').get() as Row;
    return row.position === null ? 0 : toNumber(row.position);
  }

  async saveSnapshot(snapshot: SnapshotRow): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO snapshots (sequence, hash, body, created_at_ms) VALUES (?, ?, ?, ?)')
      .run(snapshot.sequence, snapshot.hash, snapshot.body, snapshot.createdAtMs);
  }

  async snapshotSequences(): Promise<number[]> {
    const rows = this.db.prepare('SELECT sequence FROM snapshots ORDER BY sequence DESC').all() as Row[];
    return rows.map((row) => toNumber(row.sequence));
  }

  async loadSnapshot(sequence: number): Promise<SnapshotRow | null> {
    const row = this.db.prepare('SELECT * FROM snapshots WHERE sequence = ?').get(sequence) as
      | Row
      | undefined;
    if (row === undefined) return null;
    return {
      sequence: toNumber(row.sequence),
      hash: row.hash as string,
      body: row.body as Buffer,
      createdAtMs: toNumber(row.created_at_ms),
    };
  }

  async putRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO records (kind, id, body, updated_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms',
      )
      .run(kind, id, body, updatedAtMs);
  }

  async insertRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<boolean> {
    const result = this.db
      .prepare(
        'INSERT INTO records (kind, id, body, updated_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING',
      )
      .run(kind, id, body, updatedAtMs);
    return result.changes === 1;
  }

  async getRecord(kind: string, id: string): Promise<RecordRow | null> {
    const row = this.db
      .prepare('SELECT id, body, updated_at_ms FROM records WHERE kind = ? AND id = ?')
      .get(kind, id) as Row | undefined;
    return row === undefined ? null : recordRow(row);
  }

  async listRecords(kind: string, offset: number, limit: number): Promise<RecordRow[]> {
    const rows = this.db
      .prepare(
        'SELECT id, body, updated_at_ms FROM records WHERE kind = ? ORDER BY updated_at_ms DESC, id LIMIT ? OFFSET ?',
      )
      .all(kind, pageSize(limit), Math.max(0, offset)) as Row[];
    return rows.map(recordRow);
  }

  async appendAudit(atMs: number, actor: string, action: string, detail: string): Promise<void> {
    this.db
      .prepare('INSERT INTO audit (at_ms, actor, action, detail) VALUES (?, ?, ?, ?)')
      .run(atMs, actor, action, detail);
  }

  async readAudit(offset: number, limit: number): Promise<AuditRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM audit ORDER BY position DESC LIMIT ? OFFSET ?')
      .all(pageSize(limit), Math.max(0, offset)) as Row[];
    return rows.map(auditRow);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** For tests that tamper with the log on purpose: run raw SQL. */
  unsafeExecute(sql: string, ...parameters: unknown[]): void {
    this.db.prepare(sql).run(...parameters);
  }
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)',
  );
  const applied = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as Row;
  const current = applied.version === null ? 0 : toNumber(applied.version);
  for (let version = current + 1; version <= migrations.length; version += 1) {
    db.transaction(() => {
      db.exec(migrations[version - 1] as string);
      db.prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)').run(
        version,
        Date.now(),
      );
    })();
  }
}
