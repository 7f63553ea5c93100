// A fresh PostgreSQL database per test (or benchmark), dropped afterwards. PostgreSQL tests never
// skip: a missing server is an error that says how to start it (scripts/test.js, behind `npm test`,
// starts an embedded one when no server answers, and hands it over in POOLPOINT_TEST_PG_URL).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The database the test databases are created from; any database the user may connect to works. */
export const adminUrl = process.env.POOLPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const connectTimeoutMs = 3_000;

export interface TestDatabase {
  readonly url: string;
  /** Drops the database, closing any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

/** Runs `work` on a short-lived connection to the admin database. */
async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined); // a dropped connection fails the pending query instead
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${(error as Error).message}). ` +
        'Start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start`, ' +
        'point POOLPOINT_TEST_PG_URL at a running server, ' +
        'or run the tests through `npm test`, which starts an embedded PostgreSQL when no server answers.',
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, uniquely named database on the test server; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `poolpoint_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin((client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

export interface TestSchema {
  /** The database's URL with search_path set to the schema, so a store's tables land in it. */
  readonly url: string;
  /** Drops the schema and everything in it. Idempotent. */
  drop(): Promise<void>;
}

/**
 * A fresh schema in a test database: an empty store in a few milliseconds, where a new database
 * costs a few hundred (its files are copied and synced), so tests that each need an empty store
 * share one database and take a schema each.
 */
export async function createTestSchema(databaseUrl: string): Promise<TestSchema> {
  const name = `store_${randomBytes(6).toString('hex')}`;
  const run = async (sql: (client: pg.Client) => string): Promise<void> => {
    const client = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: connectTimeoutMs,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql(client));
    } finally {
      await client.end();
    }
  };
  await run((client) => `CREATE SCHEMA ${client.escapeIdentifier(name)}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await run((client) => `DROP SCHEMA IF EXISTS ${client.escapeIdentifier(name)} CASCADE`);
    },
  };
}
