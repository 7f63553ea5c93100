// Appends in flight: the sequencer sends the next batch before the last one is durable. Both stores
// write appends in call order, and one made while a failing one is pending writes nothing (no gap
// in the log). SQLite also links rows into the hash chain on its writer thread (appendLinked).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cents } from '../src/domain/units.ts';
import { openLedger } from '../src/store/ledger.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import { SequencerStoppedError } from '../src/store/sequencer.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import {
  type EventStore,
  GENESIS_HASH,
  type LogRow,
  readRowsMax,
  rowHash,
  type UnlinkedRow,
} from '../src/store/store.ts';
import { createTestDatabase, createTestSchema, type TestDatabase } from './support/postgres.ts';

const baseTimeMs = 1_732_000_000_000;

/** Rows `first, first + 1, …` before linking, with command ids `cmd_N` unless given. */
function unlinked(first: number, count: number, commandIds: readonly (string | null)[] = []): UnlinkedRow[] {
  return Array.from({ length: count }, (_, index) => {
    const sequence = first + index;
    return {
      sequence,
      type: 'OrderSettled',
      commandId: commandIds[index] === undefined ? `cmd_${sequence}` : (commandIds[index] as string | null),
      body: JSON.stringify({ type: 'OrderSettled', sequence, text: 'quote " 消费增值 \n' }),
      recordedAtMs: baseTimeMs + sequence,
    };
  });
}

/** The rows linked from `previousHash` as the sequencer would. */
function linked(rows: readonly UnlinkedRow[], previousHash: string): LogRow[] {
  let previous = previousHash;
  return rows.map((row) => {
    const hash = rowHash(previous, row.sequence, row.recordedAtMs, row.body);
    const linkedRow = { ...row, previousHash: previous, hash };
    previous = hash;
    return linkedRow;
  });
}

async function readAll(store: EventStore): Promise<LogRow[]> {
  return store.read(1, readRowsMax);
}

interface Fixture {
  readonly store: EventStore;
  cleanup(): Promise<void>;
}

async function sqliteFixture(): Promise<Fixture & { store: SqliteStore }> {
  const directory = mkdtempSync(join(tmpdir(), 'poolpoint-pipeline-'));
  const store = new SqliteStore(join(directory, 'events.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let database: Promise<TestDatabase> | null = null;
after(async () => {
  const created = await database?.catch(() => null);
  await created?.drop();
});

async function postgresFixture(): Promise<Fixture> {
  database ??= createTestDatabase();
  const schema = await createTestSchema((await database).url);
  const store = await PostgresStore.open(schema.url);
  return {
    store,
    async cleanup() {
      await store.close();
      await schema.drop();
    },
  };
}

for (const [name, open] of [
  ['SQLite', sqliteFixture],
  ['PostgreSQL', postgresFixture],
] as const) {
  describe(`appends in flight on ${name}`, () => {
    test('appends made without waiting for each other are written in call order', async () => {
      const { store, cleanup } = await open();
      try {
        const batches: LogRow[][] = [];
        let previous = GENESIS_HASH;
        for (let batch = 0; batch < 20; batch += 1) {
          const rows = linked(unlinked(batch * 50 + 1, 50), previous);
          previous = (rows.at(-1) as LogRow).hash;
          batches.push(rows);
        }
        await Promise.all(batches.map((rows) => store.append(rows, [])));
        assert.deepStrictEqual(await readAll(store), batches.flat());
        assert.deepStrictEqual(await store.head(), { sequence: 1_000, hash: previous });
      } finally {
        await cleanup();
      }
    });

    test('an append made while a failing one is pending writes nothing; one made after the failure is written', async () => {
      const { store, cleanup } = await open();
      try {
        const first = linked(unlinked(1, 2), GENESIS_HASH);
        await store.append(first, []);
        // Event 3 repeats cmd_1: it fails, and event 4, chained on it, must not be written.
        const failing = linked(unlinked(3, 1, ['cmd_1']), (first[1] as LogRow).hash);
        const behind = linked(unlinked(4, 1), (failing[0] as LogRow).hash);
        const results = await Promise.allSettled([store.append(failing, []), store.append(behind, [])]);
        assert.deepEqual(
          results.map((result) => result.status),
          ['rejected', 'rejected'],
        );
        assert.deepStrictEqual(await readAll(store), first);
        const next = linked(unlinked(3, 2), (first[1] as LogRow).hash);
        await store.append(next, []);
        assert.deepStrictEqual(await readAll(store), [...first, ...next]);
      } finally {
        await cleanup();
      }
    });
  });
}

describe('SQLite links rows on its writer thread (appendLinked)', () => {
  test('rows are linked exactly as rowHash does, and the new head comes back', async () => {
    const { store, cleanup } = await sqliteFixture();
    try {
      const rows = unlinked(1, 30, [null, 'cmd_x']);
      const head = await store.appendLinked(0, rows, []);
      const expected = linked(rows, GENESIS_HASH);
      assert.deepStrictEqual(await readAll(store), expected);
      assert.deepStrictEqual(head, { sequence: 30, hash: (expected.at(-1) as LogRow).hash });
      assert.deepStrictEqual(await store.head(), head);
    } finally {
      await cleanup();
    }
  });

  test('appends made without waiting chain on each other', async () => {
    const { store, cleanup } = await sqliteFixture();
    try {
      const heads = await Promise.all(
        [0, 100, 200].map((after) => store.appendLinked(after, unlinked(after + 1, 100), [])),
      );
      const expected = linked(unlinked(1, 300), GENESIS_HASH);
      assert.deepStrictEqual(await readAll(store), expected);
      assert.deepStrictEqual(
        heads.map((head) => head.hash),
        [99, 199, 299].map((index) => (expected[index] as LogRow).hash),
      );
    } finally {
      await cleanup();
    }
  });

  test('rows that would not follow the last event are refused, writing nothing', async () => {
    const { store, cleanup } = await sqliteFixture();
    try {
      await store.appendLinked(0, unlinked(1, 3), []);
      await assert.rejects(store.appendLinked(5, unlinked(6, 1), []), /ends at event 3, not 5/);
      await assert.rejects(store.appendLinked(3, unlinked(5, 1), []), /would not follow event 3/);
      assert.equal((await store.head()).sequence, 3);
      await store.appendLinked(3, unlinked(4, 1), []);
      assert.equal((await store.head()).sequence, 4);
    } finally {
      await cleanup();
    }
  });

  test('several stores share the writer thread, and an in-memory store writes on its own thread', async () => {
    const [one, two] = await Promise.all([sqliteFixture(), sqliteFixture()]);
    const memory = new SqliteStore(':memory:');
    try {
      await Promise.all([
        one.store.appendLinked(0, unlinked(1, 10), []),
        two.store.appendLinked(0, unlinked(1, 20), []),
        memory.appendLinked(0, unlinked(1, 5), []),
      ]);
      assert.equal((await one.store.head()).sequence, 10);
      assert.equal((await two.store.head()).sequence, 20);
      assert.deepStrictEqual(await readAll(memory), linked(unlinked(1, 5), GENESIS_HASH));
    } finally {
      await Promise.all([one.cleanup(), two.cleanup(), memory.close()]);
    }
  });

  test('when a batch fails with later ones in flight, the writer stops and the log holds exactly what was acknowledged', async () => {
    const { store, cleanup } = await sqliteFixture();
    const appendLinked = store.appendLinked.bind(store);
    let calls = 0;
    store.appendLinked = (after, rows, outcomes) => {
      calls += 1;
      // The third batch never reaches the store, and its failure is reported late: the batches
      // sent after it meanwhile must be refused by the store, since they would leave a gap.
      if (calls !== 3) return appendLinked(after, rows, outcomes);
      return new Promise((_, reject) => setTimeout(() => reject(new Error('disk full')), 50));
    };
    try {
      const stops: string[] = [];
      const ledger = await openLedger(store, {
        batchCommandsMax: 10,
        snapshotEveryEvents: 0,
        onStopped: (reason) => stops.push(reason),
      });
      await ledger.sequencer.submit({ type: 'registerMember', member: 'mem_a', referrer: null });
      await ledger.sequencer.submit({
        type: 'registerMerchant',
        merchant: 'mch_a',
        owner: null,
        recruiter: null,
        region: '440306',
        commissionRate: null,
      });
      const orders = Array.from({ length: 100 }, (_, index) =>
        ledger.sequencer.submit({
          type: 'order',
          id: `ord_${index}`,
          member: 'mem_a',
          merchant: 'mch_a',
          amount: cents(1_000n),
        }),
      );
      // The first ten orders are the failing third append; every order is told the writer stopped.
      for (const result of await Promise.allSettled(orders)) {
        assert.equal(result.status, 'rejected');
        assert.ok(result.reason instanceof SequencerStoppedError);
      }
      assert.ok(calls > 3, `batches were in flight behind the failing one (${calls} appends)`);
      // Told once, with the cause (poolpoint serve exits on it, so a restart recovers from the log).
      assert.equal(stops.length, 1);
      assert.match(stops[0] ?? '', /disk full.*restart to recover from the log/);
      await ledger.sequencer.close();
      // The two acknowledged events, and nothing sent after the failed batch.
      const rows = await readAll(store);
      assert.deepEqual(
        rows.map((row) => row.sequence),
        [1, 2],
      );
      assert.deepStrictEqual(rows, linked(rows, GENESIS_HASH));
    } finally {
      await cleanup();
    }
  });
});
