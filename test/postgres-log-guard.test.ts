// The PostgreSQL log's own guard (src/store/postgres.ts, the events_follow_the_log trigger): rows
// written straight to the database, not only through the store, must follow the log. A gap, rows
// that go before rows already there, or a first row that does not name the hash of the log's last
// is refused, and the refused statement writes nothing, outcomes included. (The hashes themselves,
// and the links among one statement's rows, are verify's to check.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres.ts';
import { GENESIS_HASH, type LogRow, rowHash } from '../src/store/store.ts';
import { createTestDatabase, createTestSchema, type TestDatabase } from './support/postgres.ts';

/** Rows first..last, each linked to the one before it, the first to `previousHash`. */
function chain(first: number, last: number, previousHash: string): LogRow[] {
  const rows: LogRow[] = [];
  let previous = previousHash;
  for (let sequence = first; sequence <= last; sequence += 1) {
    const unlinked = {
      sequence,
      type: 'PoolInjected',
      commandId: `inj_${sequence}`,
      body: `{"n":${sequence}}`,
      recordedAtMs: 1_700_000_000_000,
    };
    const hash = rowHash(previous, sequence, unlinked.recordedAtMs, unlinked.body);
    rows.push({ ...unlinked, previousHash: previous, hash });
    previous = hash;
  }
  return rows;
}

/** The events table's columns, as LogRow names them, in the order of the INSERT below. */
const columns = ['sequence', 'type', 'commandId', 'body', 'recordedAtMs', 'previousHash', 'hash'] as const;

/** Inserts rows with plain SQL, as any client of the database could. */
async function insertDirectly(client: pg.Client, rows: readonly LogRow[]): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((row, index) => {
    values.push(...columns.map((column) => row[column]));
    const at = index * columns.length;
    return `(${columns.map((_, offset) => `$${at + offset + 1}`).join(', ')})`;
  });
  await client.query(
    `INSERT INTO events (sequence, type, command_id, body, recorded_at_ms, previous_hash, hash) VALUES ${tuples.join(', ')}`,
    values,
  );
}

describe('the PostgreSQL log refuses rows that do not follow it', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  interface Log {
    readonly store: PostgresStore;
    readonly client: pg.Client;
    /** The store's schema, and the database's URL without it on the search path. */
    readonly schema: string;
    readonly databaseUrl: string;
    sequences(): Promise<number[]>;
  }

  /** Runs `work` on a store on a fresh schema, with a plain client on the same schema. */
  async function withLog(work: (log: Log) => Promise<void>): Promise<void> {
    const schema = await createTestSchema(database.url);
    const store = await PostgresStore.open(schema.url);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      await work({
        store,
        client,
        schema: (new URL(schema.url).searchParams.get('options') ?? '').replace('-c search_path=', ''),
        databaseUrl: database.url,
        async sequences() {
          const result = await client.query('SELECT sequence FROM events ORDER BY sequence');
          return result.rows.map((row: { sequence: string }) => Number(row.sequence));
        },
      });
    } finally {
      await client.end();
      await store.close();
      await schema.drop();
    }
  }

  test('given an empty log, then the first row must be event 1 after the genesis hash', () =>
    withLog(async (log) => {
      await assert.rejects(insertDirectly(log.client, chain(2, 3, GENESIS_HASH)), /would not follow the log/);
      await assert.rejects(insertDirectly(log.client, chain(1, 2, 'f'.repeat(64))), /does not name the hash/);
      assert.deepEqual(await log.sequences(), []);
      await insertDirectly(log.client, chain(1, 3, GENESIS_HASH));
      assert.deepEqual(await log.sequences(), [1, 2, 3]);
    }));

  test('given a log of three events, then a gap, a broken link or rows before its end are refused, and nothing is written', () =>
    withLog(async (log) => {
      const first = chain(1, 3, GENESIS_HASH);
      await log.store.append(first, []);
      const head = (first[2] as LogRow).hash;
      // A gap after the log's end, and a gap inside the rows.
      await assert.rejects(insertDirectly(log.client, chain(5, 6, head)), /would not follow the log/);
      const inner = chain(4, 6, head);
      await assert.rejects(insertDirectly(log.client, [inner[0], inner[2]] as LogRow[]), /leave a gap/);
      // The right sequence, linked to another row than the log's last.
      await assert.rejects(
        insertDirectly(log.client, chain(4, 5, (first[1] as LogRow).hash)),
        /event 4 does not name the hash of event 3/,
      );
      assert.deepEqual(await log.sequences(), [1, 2, 3]);
      // Through the store too, with outcomes in the same statement: neither is written.
      await assert.rejects(
        log.store.append(chain(5, 5, head), [
          { position: 1, commandId: 'x', kind: 'rejected', code: 'c', message: 'm', recordedAtMs: 1 },
        ]),
        /would not follow the log/,
      );
      const outcomes = await log.client.query('SELECT count(*)::int AS n FROM outcomes');
      assert.equal(outcomes.rows[0].n, 0);
      // Rows that follow are written.
      await log.store.append(chain(4, 6, head), []);
      assert.deepEqual(await log.sequences(), [1, 2, 3, 4, 5, 6]);
      assert.equal((await log.store.head()).sequence, 6);
    }));

  test('given a log whose event 2 was removed, then rows cannot go before event 3', () =>
    withLog(async (log) => {
      const rows = chain(1, 3, GENESIS_HASH);
      await log.store.append(rows, []);
      // Only a hand in the database could do this; the guard must hold even then.
      await log.client.query('DELETE FROM events WHERE sequence = 2');
      await assert.rejects(
        insertDirectly(log.client, [rows[1] as LogRow]),
        /events 2 to 2 would go before events already in the log/,
      );
    }));

  test('given a session whose search path does not name the store, or a temporary table named events, then the guard still checks the log', () =>
    withLog(async (log) => {
      const rows = chain(1, 3, GENESIS_HASH);
      await log.store.append(rows, []);
      const other = new pg.Client({ connectionString: log.databaseUrl });
      await other.connect();
      try {
        const events = `${other.escapeIdentifier(log.schema)}.events`;
        const insert = (row: LogRow) =>
          other.query(
            `INSERT INTO ${events} (sequence, type, command_id, body, recorded_at_ms, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            columns.map((column) => row[column]),
          );
        const fork = chain(4, 4, (rows[0] as LogRow).hash)[0] as LogRow;
        await assert.rejects(insert(fork), /event 4 does not name the hash of event 3/);
        // A temporary table named events, holding a head the fork would follow, is not the log.
        await other.query(`CREATE TEMP TABLE events (LIKE ${events})`);
        await other.query('INSERT INTO events SELECT * FROM ' + events + ' WHERE sequence = 1');
        await other.query('UPDATE events SET sequence = 3');
        await assert.rejects(insert(fork), /event 4 does not name the hash of event 3/);
        await insert(chain(4, 4, (rows[2] as LogRow).hash)[0] as LogRow);
        assert.deepEqual(await log.sequences(), [1, 2, 3, 4]);
      } finally {
        await other.end();
      }
    }));

  test('given rows of one statement out of order, then they are taken as the sequence they make', () =>
    withLog(async (log) => {
      const rows = chain(1, 3, GENESIS_HASH);
      await insertDirectly(log.client, [rows[2], rows[0], rows[1]] as LogRow[]);
      assert.deepEqual(await log.sequences(), [1, 2, 3]);
      await assert.rejects(insertDirectly(log.client, chain(0, 0, GENESIS_HASH)), /the log counts from 1/);
    }));

  test('given a database of the schema before the guard, with events in it, then migrating adds the guard and the log goes on', () =>
    withLog(async (log) => {
      // Back to schema version 3, as a database written before the guard was.
      await log.client.query('DROP TRIGGER events_follow_the_log ON events');
      await log.client.query('DROP FUNCTION events_follow_the_log()');
      await log.client.query('DELETE FROM schema_migrations WHERE version = 4');
      const rows = chain(1, 3, GENESIS_HASH);
      await insertDirectly(log.client, rows);
      const url = `${log.databaseUrl}${log.databaseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${log.schema}`)}`;
      const reopened = await PostgresStore.open(url);
      try {
        const head = (rows[2] as LogRow).hash;
        await assert.rejects(
          reopened.append(chain(5, 5, head), []),
          /would not follow the log, which ends at event 3/,
        );
        await reopened.append(chain(4, 5, head), []);
        assert.deepEqual(await log.sequences(), [1, 2, 3, 4, 5]);
      } finally {
        await reopened.close();
      }
    }));
});
