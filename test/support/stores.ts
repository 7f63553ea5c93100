// Both stores for tests: a temporary SQLite file and a fresh PostgreSQL database, each dropped after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './postgres.ts';

export interface TestStore {
  readonly kind: 'sqlite' | 'postgres';
  /** A `--db` string for the CLI and `openStore`. */
  readonly database: string;
  cleanup(): Promise<void>;
}

export async function sqliteTestStore(): Promise<TestStore> {
  const folder = mkdtempSync(join(tmpdir(), 'poolpoint-test-'));
  return {
    kind: 'sqlite',
    database: `sqlite:${join(folder, 'poolpoint.db')}`,
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

export async function postgresTestStore(): Promise<TestStore> {
  const database = await createTestDatabase();
  return { kind: 'postgres', database: database.url, cleanup: () => database.drop() };
}

export const testStores = [
  ['SQLite', sqliteTestStore],
  ['PostgreSQL', postgresTestStore],
] as const;
