// Both stores for tests: a temporary SQLite file and a fresh PostgreSQL database, each dropped after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/domain/config.ts';
import { evolve } from '../../src/domain/evolve.ts';
import { createState, type State } from '../../src/domain/state.ts';
import { decodeEvent } from '../../src/store/codec.ts';
import { type EventStore, readRowsMax } from '../../src/store/store.ts';
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

/** Every row of the log, evolved onto a fresh state: the state the stored events alone imply. */
export async function replayOfStoredEvents(store: EventStore): Promise<State> {
  const state = createState(parseConfig({}));
  for (let sequence = 1; ; ) {
    const rows = await store.read(sequence, readRowsMax);
    if (rows.length === 0) return state;
    for (const row of rows) evolve(state, decodeEvent(row.body));
    sequence = (rows[rows.length - 1]?.sequence ?? sequence) + 1;
  }
}
