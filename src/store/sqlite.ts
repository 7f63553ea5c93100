// The embedded store: SQLite through better-sqlite3, WAL, synchronous=FULL (a committed batch has
// been fsynced before append resolves). Reads run on this thread's connection; every write goes to
// the writer (sqlite-writer.js), which for a file runs on its own thread: the inserts and the fsync
// of one batch then overlap with the sequencer deciding the next, and the writer commits whatever
// has queued meanwhile in one transaction. WAL lets the reads go on while it writes.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { auditRow, logRow, outcomeRow, type Row, recordRow, toNumber } from './rows.ts';
import {
  configure,
  LogWriter,
  type WriterReply,
  type WriterRequest,
  type WriteValue,
} from './sqlite-writer.js';
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
  type UnlinkedRow,
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
  // What an entry audits (a command's id…), so that a retry can write a lost entry without a second one.
  `ALTER TABLE audit ADD COLUMN entry_key TEXT;
   CREATE UNIQUE INDEX audit_by_key ON audit (entry_key);`,
];

const pageSize = (limit: number): number => Math.max(0, Math.min(Math.trunc(limit), readRowsMax));

/** Where a store's writes run. Each request resolves once durable (or fails, writing nothing). */
interface Writer {
  request(request: WriterRequest): Promise<Written>;
  close(): Promise<void>;
}

/** A writer on the reading connection itself (an in-memory database, which no other connection can open). */
class InlineWriter implements Writer {
  private readonly writer: LogWriter;

  constructor(db: Database.Database) {
    this.writer = new LogWriter(db);
  }

  async request(request: WriterRequest): Promise<Written> {
    // Its failure is reported as it happens: nothing can be queued behind it, so no poisoning.
    const [reply] = this.writer.run([request, { kind: 'reset' }]);
    return written(reply as WriterReply);
  }

  async close(): Promise<void> {}
}

/** A request's result: the rows it changed, and the head after an appendLinked. */
type Written = Extract<WriterReply, { changes: number }>;

function written(reply: WriterReply): Written {
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply;
}

interface PendingRequest {
  readonly store: number;
  readonly resolve: (written: Written) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The writer thread of this process, shared by its open file stores (so that opening a store does
 * not start a thread): started on first use, and holding the process open only while it has work.
 */
class WriterThread {
  private static shared: WriterThread | null = null;
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;
  private nextStore = 1;
  private failure: Error | null = null;

  private constructor() {
    this.worker = new Worker(new URL('./sqlite-writer.js', import.meta.url), {
      workerData: { role: 'poolpoint-sqlite-writer' },
      // Not the main thread's flags (its TypeScript loader among them): the writer is plain JavaScript.
      execArgv: [],
    });
    this.worker.unref();
    this.worker.on('message', (replies: (WriterReply & { id: number })[]) => this.answer(replies));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (${code})`)));
  }

  static get(): WriterThread {
    if (WriterThread.shared === null || WriterThread.shared.failure !== null) {
      WriterThread.shared = new WriterThread();
    }
    return WriterThread.shared;
  }

  /** A store number for `path`, whose connection the thread opens before anything sent after this. */
  open(path: string): { store: number; opened: Promise<Written> } {
    const store = this.nextStore;
    this.nextStore += 1;
    return { store, opened: this.send(store, { kind: 'open', path }) };
  }

  send(
    store: number,
    message: WriterRequest | { kind: 'open'; path: string } | { kind: 'close' },
  ): Promise<Written> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { store, resolve, reject });
      this.worker.postMessage({ ...message, store, id });
    });
  }

  private answer(replies: readonly (WriterReply & { id: number })[]): void {
    const failedStores = new Set<number>();
    const settled: (() => void)[] = [];
    for (const reply of replies) {
      const request = this.pending.get(reply.id);
      if (request === undefined) continue;
      this.pending.delete(reply.id);
      if (reply.error === undefined) settled.push(() => request.resolve(reply));
      else {
        if (reply.failedAppend) failedStores.add(request.store);
        settled.push(() => request.reject(new Error(reply.error)));
      }
    }
    // Heard of a failed append: from here on, appends are written again. Sent before anyone is told,
    // so an append made after the failure is reported is never refused for it.
    for (const store of failedStores) this.send(store, { kind: 'reset' }).catch(() => undefined);
    for (const settle of settled) settle();
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const request of this.pending.values()) request.reject(this.failure);
    this.pending.clear();
  }
}

/** A store's share of the writer thread. */
class ThreadWriter implements Writer {
  private readonly thread = WriterThread.get();
  private readonly store: number;

  constructor(path: string) {
    const { store, opened } = this.thread.open(path);
    this.store = store;
    // A failed open fails every request sent after it (the thread answers "not open").
    opened.catch(() => undefined);
  }

  request(request: WriterRequest): Promise<Written> {
    return this.thread.send(this.store, request);
  }

  async close(): Promise<void> {
    // A thread that has failed has no connection left to close.
    await this.thread.send(this.store, { kind: 'close' }).catch(() => undefined);
  }
}

function outcomeValues(outcomes: readonly OutcomeRow[]): WriteValue[] {
  const values: WriteValue[] = [];
  for (const outcome of outcomes) {
    values.push(
      outcome.position,
      outcome.commandId,
      outcome.kind,
      outcome.code,
      outcome.message,
      outcome.recordedAtMs,
    );
  }
  return values;
}

export class SqliteStore implements EventStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly writer: Writer;

  constructor(readonly path: string) {
    const inMemory = path === ':memory:';
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.defaultSafeIntegers(true);
    configure(this.db);
    migrate(this.db);
    this.writer = inMemory ? new InlineWriter(this.db) : new ThreadWriter(path);
  }

  /** Appends in call order; one sent before an earlier one is durable may share its transaction. */
  async append(rows: readonly LogRow[], outcomes: readonly OutcomeRow[]): Promise<void> {
    if (rows.length === 0 && outcomes.length === 0) return;
    // Flat arrays of values: cheaper to copy to the writer's thread than objects.
    const events: WriteValue[] = [];
    for (const row of rows) {
      events.push(
        row.sequence,
        row.type,
        row.commandId,
        row.body,
        row.recordedAtMs,
        row.previousHash,
        row.hash,
      );
    }
    await this.writer.request({ kind: 'append', events, outcomes: outcomeValues(outcomes) });
  }

  /** Links the rows into the chain on the writer's thread: the sequencer's thread does no hashing. */
  async appendLinked(
    after: number,
    rows: readonly UnlinkedRow[],
    outcomes: readonly OutcomeRow[],
  ): Promise<LogHead> {
    const events: WriteValue[] = [];
    for (const row of rows) events.push(row.sequence, row.type, row.commandId, row.body, row.recordedAtMs);
    const { head } = await this.writer.request({
      kind: 'appendLinked',
      after,
      events,
      outcomes: outcomeValues(outcomes),
    });
    if (head === undefined) throw new Error('invariant violated: the writer did not say where the log ends');
    return head;
  }

  private async write(sql: string, ...parameters: WriteValue[]): Promise<number> {
    return (await this.writer.request({ kind: 'write', sql, parameters })).changes;
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
    await this.write(
      'INSERT OR REPLACE INTO snapshots (sequence, hash, body, created_at_ms) VALUES (?, ?, ?, ?)',
      snapshot.sequence,
      snapshot.hash,
      snapshot.body,
      snapshot.createdAtMs,
    );
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
    await this.write(
      'INSERT INTO records (kind, id, body, updated_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms',
      kind,
      id,
      body,
      updatedAtMs,
    );
  }

  async insertRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<boolean> {
    const changes = await this.write(
      'INSERT INTO records (kind, id, body, updated_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING',
      kind,
      id,
      body,
      updatedAtMs,
    );
    return changes === 1;
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

  async appendAudit(
    atMs: number,
    actor: string,
    action: string,
    detail: string,
    key: string | null = null,
  ): Promise<boolean> {
    const changes = await this.write(
      'INSERT INTO audit (at_ms, actor, action, detail, entry_key) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      atMs,
      actor,
      action,
      detail,
      key,
    );
    return changes === 1;
  }

  async readAudit(offset: number, limit: number): Promise<AuditRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM audit ORDER BY position DESC LIMIT ? OFFSET ?')
      .all(pageSize(limit), Math.max(0, offset)) as Row[];
    return rows.map(auditRow);
  }

  async close(): Promise<void> {
    try {
      await this.writer.close();
    } finally {
      this.db.close();
    }
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
