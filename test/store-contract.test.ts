// The EventStore contract against SQLite (a temporary file) and PostgreSQL (a fresh database for this
// file, a fresh schema in it for each test), then what only PostgreSQL has: concurrent opens,
// per-connection type parsers, raw SQL for tamper tests.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { type EventStore, GENESIS_HASH } from '../src/store/store.ts';
import { type StoreFixture, storeContract } from './store-contract.ts';
import { createTestDatabase, createTestSchema, type TestDatabase } from './support/postgres.ts';

/** A store that `reopen` closes and opens again, and `cleanup` closes and removes. */
async function fixture(
  openStore: () => Promise<EventStore>,
  remove: () => Promise<void>,
): Promise<StoreFixture> {
  let current: EventStore;
  try {
    current = await openStore();
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await openStore();
      return current;
    },
    async cleanup() {
      try {
        await current.close();
      } finally {
        await remove();
      }
    },
  };
}

storeContract('SqliteStore', () => {
  const directory = mkdtempSync(join(tmpdir(), 'poolpoint-store-'));
  const path = join(directory, 'events.db');
  return fixture(
    async () => new SqliteStore(path),
    async () => rmSync(directory, { recursive: true, force: true }),
  );
});

/** This file's database, created by the first test that needs it and dropped after the last. */
let database: Promise<TestDatabase> | null = null;
const testDatabaseUrl = async (): Promise<string> => {
  database ??= createTestDatabase();
  return (await database).url;
};
after(async () => {
  // A database that was never created has failed its tests already; there is nothing to drop.
  const created = await database?.catch(() => null);
  await created?.drop();
});

storeContract('PostgresStore', async () => {
  const schema = await createTestSchema(await testDatabaseUrl());
  return fixture(() => PostgresStore.open(schema.url), schema.drop);
});

/** Runs `body` against a fresh schema, dropped afterwards whether the body passed or not. */
async function withSchema(body: (url: string) => Promise<void>): Promise<void> {
  const schema = await createTestSchema(await testDatabaseUrl());
  try {
    await body(schema.url);
  } finally {
    await schema.drop();
  }
}

async function queryOnce<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgresStore', () => {
  it('migrates an empty database once when several stores open it at the same moment', () =>
    withSchema(async (url) => {
      const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url)));
      try {
        const versions = await queryOnce<{ version: number }>(
          url,
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        // Each migration once: versions 1, 2, … with no repeats.
        assert.deepEqual(
          versions,
          versions.map((_, index) => ({ version: index + 1 })),
        );
        assert.ok(versions.length >= 2);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    }));

  it('reads int8 as bigint on its own connections without changing pg’s global parsers', () =>
    withSchema(async (url) => {
      const store = await PostgresStore.open(url);
      try {
        await store.append(
          [],
          [
            {
              position: 2 ** 40,
              commandId: null,
              kind: 'duplicate',
              code: null,
              message: null,
              recordedAtMs: 1,
            },
          ],
        );
        assert.equal(await store.outcomeCount(), 2 ** 40);
        assert.equal(pg.types.getTypeParser(20)('7'), '7');
      } finally {
        await store.close();
      }
    }));

  it('runs raw SQL for tamper tests', () =>
    withSchema(async (url) => {
      const store = await PostgresStore.open(url);
      try {
        await store.append(
          [
            {
              sequence: 1,
              type: 't',
              commandId: null,
              body: 'b',
              recordedAtMs: 1,
              previousHash: GENESIS_HASH, // the log's guard refuses a row that does not follow it
              hash: 'h',
            },
          ],
          [],
        );
        await store.unsafeExecute('UPDATE events SET body = $1 WHERE sequence = $2', 'tampered', 1);
        assert.equal((await store.read(1, 1))[0]?.body, 'tampered');
      } finally {
        await store.close();
      }
    }));

  it('closes idempotently', async () => {
    await withSchema(async (url) => {
      const store = await PostgresStore.open(url);
      await store.close();
      await store.close();
    });
  });
});
