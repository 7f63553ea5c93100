// The server store: PostgreSQL through node-postgres. The same tables as sqlite.ts; int8 comes back
// as bigint (then checked into a safe number), every query is parameterised, and an append is one
// statement, so one transaction, that has been committed (synchronous_commit, the default) when it
// resolves. One process at a time appends: see leader.ts.
import pg from 'pg';
import { advisoryLockKey, LeaderLock, type WaitForLeadershipOptions } from './leader.ts';
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
     sequence BIGINT PRIMARY KEY,
     type TEXT NOT NULL,
     command_id TEXT UNIQUE,
     body TEXT NOT NULL,
     recorded_at_ms BIGINT NOT NULL,
     previous_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE TABLE outcomes (
     position BIGINT PRIMARY KEY,
     command_id TEXT,
     kind TEXT NOT NULL CHECK (kind IN ('duplicate', 'rejected')),
     code TEXT,
     message TEXT,
     recorded_at_ms BIGINT NOT NULL
   );
   CREATE TABLE snapshots (
     sequence BIGINT PRIMARY KEY,
     hash TEXT NOT NULL,
     body BYTEA NOT NULL,
     created_at_ms BIGINT NOT NULL
   );`,
  `CREATE TABLE records (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     body TEXT NOT NULL,
     updated_at_ms BIGINT NOT NULL,
     PRIMARY KEY (kind, id)
   );
   CREATE INDEX records_by_time ON records (kind, updated_at_ms);
   CREATE TABLE audit (
     position BIGSERIAL PRIMARY KEY,
     at_ms BIGINT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL
   );`,
  // What an entry audits (a command's id…), so that a retry can write a lost entry without a second one.
  `ALTER TABLE audit ADD COLUMN entry_key TEXT UNIQUE;`,
  // The database's own guard on the log: a statement's inserted rows must continue the sequence
  // from the log's last row, from 1, without a gap, and the first of them must name that row's hash;
  // otherwise the statement (with its outcomes) writes nothing, with SQLSTATE 23000. The sequence key
  // alone refused only a repeated sequence, so a writer's bug could leave a gap or start a second
  // chain. Checked once per statement: a pass over its rows and two index look-ups (it costs about a
  // tenth of bench:store's PostgreSQL rate). The hashes themselves, each row's and the links among
  // one statement's rows, and changes to rows already written, are verify's to find: a join among
  // the rows cost as much again. The function's search path is the schema it was created in, then
  // pg_temp, so neither the session's path nor a temporary table named events can misdirect it.
  `CREATE FUNCTION events_follow_the_log() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     first_sequence BIGINT;
     last_sequence BIGINT;
     appended_count BIGINT;
     head_sequence BIGINT;
     head_hash TEXT;
     log_end BIGINT;
     first_link TEXT;
   BEGIN
     SELECT min(sequence), max(sequence), count(*) INTO first_sequence, last_sequence, appended_count
       FROM appended;
     IF appended_count = 0 THEN RETURN NULL; END IF;
     IF first_sequence < 1 THEN
       RAISE EXCEPTION 'event % is not a sequence number: the log counts from 1', first_sequence
         USING ERRCODE = 'integrity_constraint_violation';
     END IF;
     IF last_sequence - first_sequence + 1 <> appended_count THEN
       RAISE EXCEPTION 'events % to % leave a gap: % events for % sequence numbers',
         first_sequence, last_sequence, appended_count, last_sequence - first_sequence + 1
         USING ERRCODE = 'integrity_constraint_violation';
     END IF;
     SELECT sequence, hash INTO head_sequence, head_hash FROM events
       WHERE sequence < first_sequence ORDER BY sequence DESC LIMIT 1;
     IF NOT FOUND THEN
       head_sequence := 0;
       head_hash := '${GENESIS_HASH}';
     END IF;
     IF head_sequence <> first_sequence - 1 THEN
       RAISE EXCEPTION 'event % would not follow the log, which ends at event %', first_sequence, head_sequence
         USING ERRCODE = 'integrity_constraint_violation';
     END IF;
     SELECT max(sequence) INTO log_end FROM events;
     IF log_end > last_sequence THEN
       RAISE EXCEPTION 'events % to % would go before events already in the log, which ends at event %',
         first_sequence, last_sequence, log_end
         USING ERRCODE = 'integrity_constraint_violation';
     END IF;
     SELECT previous_hash INTO first_link FROM appended WHERE sequence = first_sequence;
     IF first_link IS DISTINCT FROM head_hash THEN
       RAISE EXCEPTION 'event % does not name the hash of event %, the log''s last', first_sequence, head_sequence
         USING ERRCODE = 'integrity_constraint_violation';
     END IF;
     RETURN NULL;
   END $$;
   DO $$ BEGIN
     EXECUTE format('ALTER FUNCTION events_follow_the_log() SET search_path = %I, pg_temp', current_schema());
   END $$;
   CREATE TRIGGER events_follow_the_log AFTER INSERT ON events
     REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION events_follow_the_log();`,
];

/** Taken for the length of the migration transaction, so two processes opening at once migrate once. */
const migrationLockKey = advisoryLockKey('poolpoint migrations');
/** Connections for reads and appends: one appender (the leader) and a few readers. */
export const poolConnectionsMax = 4;
const connectTimeoutMs = 10_000;

// One statement, so one transaction: a failure of either insert (a repeated command id or
// sequence) writes nothing. unnest turns one array per column into rows, so a batch of thousands
// is one round trip with one parameter per column, not one per value.
const appendSql = `WITH inserted_events AS (
     INSERT INTO events (sequence, type, command_id, body, recorded_at_ms, previous_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])
   )
   INSERT INTO outcomes (position, command_id, kind, code, message, recorded_at_ms)
   SELECT * FROM unnest($8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[])`;

/** The parsers of this module's connections: int8 as bigint, without touching pg's global parsers. */
function storeTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(20, BigInt);
  return types;
}

// Array parameters are written as array literals here rather than by pg, whose encoder escapes element
// by element in JavaScript: for a batch of 5,000 JSON bodies it took 100-200 ms of this thread (the
// sequencer's), where JSON.stringify takes about 1 ms.

/** An int8[] literal. Sequences, positions and times are integers; PostgreSQL refuses anything else. */
function integerArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/** An escape JSON writes that an array literal would read differently: `\n` would become `n`. */
const jsonOnlyEscape = /\\[bfnrtu]/;

/**
 * A text[] literal. JSON.stringify quotes each string and escapes `"` and `\` exactly as an array
 * literal does, and writes null as `null`, which an array literal reads as NULL (in any case). Its
 * other escapes (control characters, lone surrogates) differ, so text that needs them goes through
 * pg's own encoder; the test also matches an escaped backslash before a letter, which is merely slower.
 */
function textArray(values: readonly (string | null)[]): string | readonly (string | null)[] {
  const json = JSON.stringify(values);
  return jsonOnlyEscape.test(json) ? values : `{${json.slice(1, -1)}}`;
}

interface WaitingAppend {
  readonly rows: readonly LogRow[];
  readonly outcomes: readonly OutcomeRow[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The parameters of appendSql: one array per column. */
function appendValues(rows: readonly LogRow[], outcomes: readonly OutcomeRow[]): unknown[] {
  return [
    integerArray(rows.map((row) => row.sequence)),
    textArray(rows.map((row) => row.type)),
    textArray(rows.map((row) => row.commandId)),
    textArray(rows.map((row) => row.body)),
    integerArray(rows.map((row) => row.recordedAtMs)),
    textArray(rows.map((row) => row.previousHash)),
    textArray(rows.map((row) => row.hash)),
    integerArray(outcomes.map((outcome) => outcome.position)),
    textArray(outcomes.map((outcome) => outcome.commandId)),
    textArray(outcomes.map((outcome) => outcome.kind)),
    textArray(outcomes.map((outcome) => outcome.code)),
    textArray(outcomes.map((outcome) => outcome.message)),
    integerArray(outcomes.map((outcome) => outcome.recordedAtMs)),
  ];
}

/** A page size PostgreSQL accepts (LIMIT refuses negatives) and the reader can hold. */
const pageLimit = (limit: number): number => Math.max(0, Math.min(Math.trunc(limit), readRowsMax));

export interface PostgresStoreOptions {
  /** Connections in the pool (default poolConnectionsMax). */
  connectionsMax?: number;
  /** Called once when leadership, once held, is lost (its session errored or ended). */
  onLeadershipLost?: (error: Error) => void;
}

export class PostgresStore implements EventStore {
  readonly kind = 'postgres';
  private readonly leader: LeaderLock;
  private closed = false;
  /** Appends made while another is being written (see append). */
  private readonly waitingAppends: WaitingAppend[] = [];
  private appending = false;

  private constructor(
    private readonly pool: pg.Pool,
    url: string,
    types: pg.CustomTypesConfig,
    options: PostgresStoreOptions,
  ) {
    this.leader = new LeaderLock(url, {
      types,
      ...(options.onLeadershipLost === undefined ? {} : { onLeadershipLost: options.onLeadershipLost }),
    });
  }

  /** Connects and runs pending migrations. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const types = storeTypes();
    const pool = new pg.Pool({
      connectionString: url,
      max: options.connectionsMax ?? poolConnectionsMax,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'poolpoint',
      types,
    });
    // An idle connection that dies (a restart, pg_terminate_backend) is dropped by the pool; without
    // a listener its error would crash the process.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool, url, types, options);
  }

  /**
   * Appends in call order, as group commits: the appends made while one is being written wait, and
   * are then written together in one statement (one transaction). If it fails, they all fail, and so
   * does every append made before that failure was reported: no later batch is written after a gap.
   */
  append(rows: readonly LogRow[], outcomes: readonly OutcomeRow[]): Promise<void> {
    if (rows.length === 0 && outcomes.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waitingAppends.push({ rows, outcomes, resolve, reject });
      if (!this.appending) void this.writeWaitingAppends();
    });
  }

  private async writeWaitingAppends(): Promise<void> {
    this.appending = true;
    while (this.waitingAppends.length > 0) {
      const group = this.waitingAppends.splice(0);
      try {
        const values = appendValues(
          group.flatMap((append) => append.rows),
          group.flatMap((append) => append.outcomes),
        );
        await this.pool.query({ name: 'poolpoint_append', text: appendSql, values });
        for (const append of group) append.resolve();
      } catch (error) {
        for (const append of [...group, ...this.waitingAppends.splice(0)]) append.reject(error as Error);
      }
    }
    this.appending = false;
  }

  async head(): Promise<LogHead> {
    const result = await this.pool.query<Row>(
      'SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1',
    );
    const row = result.rows[0];
    return row === undefined
      ? { sequence: 0, hash: GENESIS_HASH }
      : { sequence: toNumber(row.sequence), hash: row.hash as string };
  }

  async read(fromSequence: number, limit: number): Promise<LogRow[]> {
    const result = await this.pool.query<Row>({
      name: 'poolpoint_read',
      text: `SELECT sequence, type, command_id, body, recorded_at_ms, previous_hash, hash
             FROM events WHERE sequence >= $1 ORDER BY sequence LIMIT $2`,
      values: [fromSequence, pageLimit(limit)],
    });
    return result.rows.map(logRow);
  }

  async readOutcomes(fromPosition: number, limit: number): Promise<OutcomeRow[]> {
    const result = await this.pool.query<Row>(
      `SELECT position, command_id, kind, code, message, recorded_at_ms
       FROM outcomes WHERE position >= $1 ORDER BY position LIMIT $2`,
      [fromPosition, pageLimit(limit)],
    );
    return result.rows.map(outcomeRow);
  }

  async outcomeCount(): Promise<number> {
    const result = await this.pool.query<Row>('SELECT max(position) AS position FROM outcomes');
    const position = result.rows[0]?.position ?? null;
    return position === null ? 0 : toNumber(position);
  }

  async saveSnapshot(snapshot: SnapshotRow): Promise<void> {
    // Replaces a snapshot of the same sequence, as SQLite's INSERT OR REPLACE does.
    await this.pool.query(
      `INSERT INTO snapshots (sequence, hash, body, created_at_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sequence) DO UPDATE
       SET hash = excluded.hash, body = excluded.body, created_at_ms = excluded.created_at_ms`,
      [snapshot.sequence, snapshot.hash, snapshot.body, snapshot.createdAtMs],
    );
  }

  async snapshotSequences(): Promise<number[]> {
    const result = await this.pool.query<Row>('SELECT sequence FROM snapshots ORDER BY sequence DESC');
    return result.rows.map((row) => toNumber(row.sequence));
  }

  async loadSnapshot(sequence: number): Promise<SnapshotRow | null> {
    const result = await this.pool.query<Row>(
      'SELECT sequence, hash, body, created_at_ms FROM snapshots WHERE sequence = $1',
      [sequence],
    );
    const row = result.rows[0];
    if (row === undefined) return null;
    return {
      sequence: toNumber(row.sequence),
      hash: row.hash as string,
      body: row.body as Buffer,
      createdAtMs: toNumber(row.created_at_ms),
    };
  }

  /** Takes leadership if nobody holds it; true if this store now holds it. Never waits. */
  tryAcquireLeadership(): Promise<boolean> {
    return this.leader.tryAcquire();
  }

  /** Polls every `pollMs` until leadership is taken; rejects with the signal's reason on abort. */
  waitForLeadership(options: WaitForLeadershipOptions): Promise<void> {
    return this.leader.waitForLeadership(options);
  }

  /** Whether this store holds leadership, as far as it knows (see onLeadershipLost). */
  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  /** Releases leadership and closes every connection. Idempotent. */
  async putRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO records (kind, id, body, updated_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms',
      [kind, id, body, updatedAtMs],
    );
  }

  async insertRecord(kind: string, id: string, body: string, updatedAtMs: number): Promise<boolean> {
    const result = await this.pool.query(
      'INSERT INTO records (kind, id, body, updated_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, id) DO NOTHING',
      [kind, id, body, updatedAtMs],
    );
    return result.rowCount === 1;
  }

  async getRecord(kind: string, id: string): Promise<RecordRow | null> {
    const result = await this.pool.query<Row>(
      'SELECT id, body, updated_at_ms FROM records WHERE kind = $1 AND id = $2',
      [kind, id],
    );
    const row = result.rows[0];
    return row === undefined ? null : recordRow(row);
  }

  async listRecords(kind: string, offset: number, limit: number): Promise<RecordRow[]> {
    const result = await this.pool.query<Row>(
      'SELECT id, body, updated_at_ms FROM records WHERE kind = $1 ORDER BY updated_at_ms DESC, id LIMIT $2 OFFSET $3',
      [kind, pageLimit(limit), Math.max(0, Math.trunc(offset))],
    );
    return result.rows.map(recordRow);
  }

  async appendAudit(
    atMs: number,
    actor: string,
    action: string,
    detail: string,
    key: string | null = null,
  ): Promise<boolean> {
    const result = await this.pool.query(
      'INSERT INTO audit (at_ms, actor, action, detail, entry_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [atMs, actor, action, detail, key],
    );
    return result.rowCount === 1;
  }

  async readAudit(offset: number, limit: number): Promise<AuditRow[]> {
    const result = await this.pool.query<Row>(
      'SELECT * FROM audit ORDER BY position DESC LIMIT $1 OFFSET $2',
      [pageLimit(limit), Math.max(0, Math.trunc(offset))],
    );
    return result.rows.map(auditRow);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.leader.close();
    await this.pool.end();
  }

  /** For tests that tamper with the log on purpose: run raw SQL. */
  async unsafeExecute(sql: string, ...parameters: unknown[]): Promise<void> {
    await this.pool.query(sql, parameters);
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)',
    );
    const applied = await client.query<Row>('SELECT max(version) AS version FROM schema_migrations');
    const current = (applied.rows[0]?.version ?? 0) as number;
    if (current > migrations.length) {
      throw new Error(
        `database schema version ${current} is newer than this poolpoint's (${migrations.length})`,
      );
    }
    for (let version = current + 1; version <= migrations.length; version += 1) {
      await client.query(migrations[version - 1] as string);
      await client.query('INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)', [
        version,
        Date.now(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
