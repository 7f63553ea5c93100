// The SQLite writer (sqlite.ts): every write of a SqliteStore goes through one LogWriter, which
// commits whatever requests have arrived in one transaction (group commit: while one commit waits
// for the disk, the next requests queue up) and answers each of them once that transaction is
// durable (WAL, synchronous=FULL). Each request is atomic on its own (a savepoint): a failed one
// writes nothing and the others of its transaction still commit.
//
// A failed append poisons the appends behind it: every append after it fails too, writing nothing,
// until the store sends `reset` (it does so as soon as it hears of the failure). So an append that
// was chained on a failed one (the sequencer sends the next batch before the last is durable) can
// never leave a gap in the log.
//
// In a file store the writer runs on its own thread (this file is then the worker's entry point:
// plain JavaScript, since a worker thread does not get the main thread's TypeScript loader), so the
// inserts and the fsync overlap with the sequencer deciding the next batch. Types: sqlite-writer.d.ts.
import { isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GENESIS_HASH, rowHash } from './row-hash.js';

/** Values per event row and per outcome row, in the order of the INSERT statements below. */
export const eventFields = 7;
export const outcomeFields = 6;
/** Values per unlinked event row: sequence, type, command id, body, recorded at. */
export const unlinkedFields = 5;

/** Event rows per multi-row INSERT (7 parameters each, well under SQLite's 32,766). */
const rowsPerInsert = 100;

const eventColumns = '(sequence, type, command_id, body, recorded_at_ms, previous_hash, hash)';
const eventPlaceholders = (rows) => Array(rows).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ');

/** Pragmas of every connection to a store's file (the writer's and the readers'). */
export function configure(db) {
  // 16 KB pages for a new file (an existing one keeps its own): event rows are a few hundred bytes,
  // and appending them to the log and its command-id index costs a third less than with 4 KB pages.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // 64 MB of WAL between checkpoints: a checkpoint every few batches costs far more than one per many.
  const pageBytes = db.pragma('page_size', { simple: true });
  db.pragma(`wal_autocheckpoint = ${Math.trunc((64 * 1024 * 1024) / Number(pageBytes))}`);
}

const appendAfterFailure = 'an earlier append failed, so this one (queued behind it) was not written';

export class LogWriter {
  constructor(db) {
    this.db = db;
    this.poisoned = false;
    /** The log's last event as this transaction has it (null: not read yet). */
    this.head = null;
    this.lastEvent = db.prepare('SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1');
    this.statements = new Map();
    this.insertEvent = db.prepare(`INSERT INTO events ${eventColumns} VALUES ${eventPlaceholders(1)}`);
    this.insertEvents = db.prepare(
      `INSERT INTO events ${eventColumns} VALUES ${eventPlaceholders(rowsPerInsert)}`,
    );
    this.insertOutcome = db.prepare(
      'INSERT INTO outcomes (position, command_id, kind, code, message, recorded_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.savepoint = db.prepare('SAVEPOINT request');
    this.release = db.prepare('RELEASE request');
    this.rollbackTo = db.prepare('ROLLBACK TO request');
  }

  /**
   * Runs requests in order in one transaction; one reply per request. A request is
   * `{ kind: 'append', events, outcomes }` (flat arrays of eventFields / outcomeFields values per
   * row), `{ kind: 'appendLinked', after, events, outcomes }` (unlinkedFields values per event),
   * `{ kind: 'write', sql, parameters }` or `{ kind: 'reset' }`; a reply is `{ changes, head? }` or
   * `{ error, failedAppend }`.
   */
  run(requests) {
    const replies = [];
    let began = false;
    this.head = null;
    try {
      this.begin.run();
      began = true;
      for (const request of requests) replies.push(this.runOne(request));
      this.commit.run();
    } catch (error) {
      // BEGIN or COMMIT failed (busy, disk full, I/O): nothing of this transaction is durable.
      if (began && this.db.inTransaction) this.db.exec('ROLLBACK');
      const reason = `the transaction was not committed: ${messageOf(error)}`;
      replies.length = 0;
      for (const request of requests) {
        if (request.kind === 'reset') this.poisoned = false;
        else if (isAppend(request)) this.poisoned = true;
        replies.push(
          request.kind === 'reset' ? { changes: 0 } : { error: reason, failedAppend: isAppend(request) },
        );
      }
    }
    return replies;
  }

  runOne(request) {
    if (request.kind === 'reset') {
      this.poisoned = false;
      return { changes: 0 };
    }
    if (isAppend(request) && this.poisoned) return { error: appendAfterFailure, failedAppend: true };
    const head = this.head;
    this.savepoint.run();
    try {
      let reply;
      if (request.kind === 'appendLinked') {
        reply = this.appendLinked(request.after, request.events, request.outcomes);
      } else if (request.kind === 'append') {
        reply = { changes: this.append(request.events, request.outcomes) };
        this.head = null;
      } else {
        reply = { changes: this.write(request) };
      }
      this.release.run();
      return reply;
    } catch (error) {
      this.rollbackTo.run();
      this.release.run();
      this.head = head;
      if (isAppend(request)) this.poisoned = true;
      return { error: messageOf(error), failedAppend: isAppend(request) };
    }
  }

  /** Links the rows into the chain after the log's last event, which must be `after`, and appends them. */
  appendLinked(after, unlinked, outcomes) {
    this.head ??= this.readHead();
    if (this.head.sequence !== after) {
      throw new Error(
        `the log ends at event ${this.head.sequence}, not ${after}: these events would not follow it`,
      );
    }
    let { sequence, hash } = this.head;
    const events = new Array((unlinked.length / unlinkedFields) * eventFields);
    for (let from = 0, to = 0; from < unlinked.length; from += unlinkedFields, to += eventFields) {
      const rowSequence = unlinked[from];
      if (rowSequence !== sequence + 1)
        throw new Error(`event ${rowSequence} would not follow event ${sequence}`);
      const rowHashValue = rowHash(hash, rowSequence, unlinked[from + 4], unlinked[from + 3]);
      events[to] = rowSequence;
      events[to + 1] = unlinked[from + 1];
      events[to + 2] = unlinked[from + 2];
      events[to + 3] = unlinked[from + 3];
      events[to + 4] = unlinked[from + 4];
      events[to + 5] = hash;
      events[to + 6] = rowHashValue;
      sequence = rowSequence;
      hash = rowHashValue;
    }
    const changes = this.append(events, outcomes);
    this.head = { sequence, hash };
    return { changes, head: this.head };
  }

  readHead() {
    const row = this.lastEvent.get();
    return row === undefined
      ? { sequence: 0, hash: GENESIS_HASH }
      : { sequence: Number(row.sequence), hash: row.hash };
  }

  append(events, outcomes) {
    const rows = events.length / eventFields;
    let row = 0;
    // Many rows per statement: each statement run costs more than the rows it carries.
    for (; row + rowsPerInsert <= rows; row += rowsPerInsert) {
      this.insertEvents.run(events.slice(row * eventFields, (row + rowsPerInsert) * eventFields));
    }
    for (; row < rows; row += 1)
      this.insertEvent.run(events.slice(row * eventFields, (row + 1) * eventFields));
    for (let index = 0; index < outcomes.length; index += outcomeFields) {
      this.insertOutcome.run(outcomes.slice(index, index + outcomeFields));
    }
    return rows + outcomes.length / outcomeFields;
  }

  write({ sql, parameters }) {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    // A snapshot body crosses the thread as a plain Uint8Array: bind it as the Buffer (BLOB) it was.
    const values = parameters.map((value) =>
      value instanceof Uint8Array && !Buffer.isBuffer(value)
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : value,
    );
    return statement.run(values).changes;
  }
}

function isAppend(request) {
  return request.kind === 'append' || request.kind === 'appendLinked';
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

// The worker thread: one connection and one LogWriter per open store. Messages are
// `{ store, id, kind, … }`: `open` (with `path`) and `close` besides the requests above. Every
// message already waiting is taken into the same transaction; the answers go back as one message,
// an array of `{ id, changes }` or `{ id, error, failedAppend }`.
if (!isMainThread && workerData?.role === 'poolpoint-sqlite-writer') {
  const writers = new Map();
  /** Why a store's connection could not be opened, for the requests that follow. */
  const notOpened = new Map();
  const port = parentPort;
  const handle = (first) => {
    const messages = [first];
    for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
      messages.push(next.message);
    }
    const replies = [];
    const groups = new Map();
    for (const message of messages) {
      if (message.kind === 'open' || message.kind === 'close') {
        flush(groups, replies);
        replies.push({ id: message.id, ...lifecycle(message) });
        continue;
      }
      const group = groups.get(message.store) ?? [];
      group.push(message);
      groups.set(message.store, group);
    }
    flush(groups, replies);
    port.postMessage(replies);
  };

  const lifecycle = (message) => {
    try {
      if (message.kind === 'open') {
        const db = new Database(message.path);
        try {
          configure(db);
          writers.set(message.store, new LogWriter(db));
        } catch (error) {
          db.close();
          throw error;
        }
      } else {
        writers.get(message.store)?.db.close();
        writers.delete(message.store);
        notOpened.delete(message.store);
      }
      return { changes: 0 };
    } catch (error) {
      if (message.kind === 'open')
        notOpened.set(message.store, `the store could not be opened: ${messageOf(error)}`);
      return { error: messageOf(error), failedAppend: false };
    }
  };

  /** Runs each store's waiting requests as one transaction, in arrival order. */
  const flush = (groups, replies) => {
    for (const [store, requests] of groups) {
      const writer = writers.get(store);
      const answers =
        writer === undefined
          ? requests.map((request) => ({
              error: notOpened.get(store) ?? 'the store is not open',
              failedAppend: isAppend(request),
            }))
          : writer.run(requests);
      for (const [index, request] of requests.entries()) replies.push({ id: request.id, ...answers[index] });
    }
    groups.clear();
  };

  port.on('message', handle);
}
