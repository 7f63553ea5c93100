// The EventStore contract, run against every implementation (store-contract.test.ts): what the
// sequencer relies on — exact round trips, atomic appends, unique command ids and sequences, paging,
// snapshots, and persistence across a reopen. Each test gets a fresh, empty store and removes it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type EventStore,
  GENESIS_HASH,
  type LogRow,
  type OutcomeRow,
  readRowsMax,
  rowHash,
  type SnapshotRow,
} from '../src/store/store.ts';

export interface StoreFixture {
  /** A fresh, empty store. */
  readonly store: EventStore;
  /** Closes the current store and opens the same file or database again. */
  reopen(): Promise<EventStore>;
  /** Closes whatever store is open and removes its file or database. */
  cleanup(): Promise<void>;
}

/** A time after 2^32 ms, so that a 32-bit path anywhere would show. */
const baseTimeMs = 1_732_000_000_000;

/** Text that breaks naive quoting: array-literal and JSON metacharacters, a newline, non-ASCII. */
const awkwardText = 'quote " backslash \\ comma , braces {} NULL \n 消费增值 ✓';

interface RowSpec {
  commandId?: string | null;
  body?: string;
}

/** Rows `first, first + 1, …`, hash-chained from `previousHash` as the sequencer would write them. */
function chain(first: number, specs: readonly RowSpec[], previousHash = GENESIS_HASH): LogRow[] {
  let previous = previousHash;
  return specs.map((spec, index) => {
    const sequence = first + index;
    const body = spec.body ?? JSON.stringify({ type: 'OrderSettled', sequence });
    const recordedAtMs = baseTimeMs + sequence;
    const hash = rowHash(previous, sequence, recordedAtMs, body);
    const row: LogRow = {
      sequence,
      type: 'OrderSettled',
      commandId: spec.commandId === undefined ? `cmd_${sequence}` : spec.commandId,
      body,
      recordedAtMs,
      previousHash: previous,
      hash,
    };
    previous = hash;
    return row;
  });
}

function rowsFrom(first: number, count: number): LogRow[] {
  return chain(
    first,
    Array.from({ length: count }, () => ({})),
  );
}

function outcome(position: number, overrides: Partial<OutcomeRow> = {}): OutcomeRow {
  return {
    position,
    commandId: `cmd_out_${position}`,
    kind: 'rejected',
    code: 'insufficient_points',
    message: `position ${position}: ${awkwardText}`,
    recordedAtMs: baseTimeMs + position,
    ...overrides,
  };
}

function outcomesFrom(first: number, count: number): OutcomeRow[] {
  return Array.from({ length: count }, (_, index) => outcome(first + index));
}

function snapshot(sequence: number, bytes: number): SnapshotRow {
  const body = Buffer.alloc(bytes);
  for (let index = 0; index < bytes; index += 1) body[index] = (index * 7 + sequence) % 256;
  return { sequence, hash: `hash_${sequence}`, body, createdAtMs: baseTimeMs + sequence };
}

const sequencesOf = (rows: readonly LogRow[]): number[] => rows.map((row) => row.sequence);

/** Asserts that the store holds exactly nothing: a failed append must leave it this way. */
async function assertEmpty(store: EventStore): Promise<void> {
  assert.deepEqual(await store.head(), { sequence: 0, hash: GENESIS_HASH });
  assert.deepEqual(await store.read(0, 100), []);
  assert.deepEqual(await store.readOutcomes(0, 100), []);
  assert.equal(await store.outcomeCount(), 0);
}

export function storeContract(name: string, open: () => Promise<StoreFixture>): void {
  /** Runs `body` on a fresh store and removes the store afterwards, whether the body passed or not. */
  async function withStore(body: (store: EventStore, fixture: StoreFixture) => Promise<void>): Promise<void> {
    const fixture = await open();
    try {
      await body(fixture.store, fixture);
    } finally {
      await fixture.cleanup();
    }
  }

  describe(`EventStore contract: ${name}`, () => {
    it('an empty store has head (0, GENESIS_HASH), no rows, no outcomes and no snapshots', () =>
      withStore(async (store) => {
        await assertEmpty(store);
        assert.deepEqual(await store.snapshotSequences(), []);
        assert.equal(await store.loadSnapshot(1), null);
      }));

    it('reads back appended rows and outcomes exactly, with numbers, strings and nulls', () =>
      withStore(async (store) => {
        const rows = chain(1, [
          { commandId: 'cmd_a', body: `{"text":${JSON.stringify(awkwardText)}}` },
          { commandId: null },
          { commandId: 'NULL', body: '' },
          { commandId: null, body: awkwardText },
        ]);
        const outcomes = [
          outcome(1),
          outcome(2, { commandId: null, kind: 'duplicate', code: null, message: null }),
          outcome(3, { commandId: 'NULL', code: '', message: '' }),
        ];
        await store.append(rows, outcomes);

        const read = await store.read(1, 100);
        assert.deepStrictEqual(read, rows);
        assert.deepStrictEqual(await store.readOutcomes(1, 100), outcomes);
        const first = read[0] as LogRow;
        assert.equal(typeof first.sequence, 'number');
        assert.equal(typeof first.recordedAtMs, 'number');
        assert.equal(read[1]?.commandId, null);
        const last = rows[3] as LogRow;
        assert.deepStrictEqual(await store.head(), { sequence: 4, hash: last.hash });
      }));

    it('keeps every character of text: quotes, backslashes, control characters, the word null', () =>
      withStore(async (store) => {
        // One batch without control characters and one with: an implementation may encode them apart.
        const plain = ['say "hi"', 'C:\\dir\\x', '{a,b}', 'null', 'NULL', '', ' padded ', '消费 🧧', '\\"'];
        const control = ['line\nbreak', 'tab\there', 'bell\u0007', 'C:\\bin', JSON.stringify({ m: 'a\nb' })];
        const first = chain(
          1,
          plain.map((text) => ({ commandId: text, body: text })),
        );
        const second = chain(
          first.length + 1,
          control.map((text) => ({ commandId: text, body: text })),
          (first.at(-1) as LogRow).hash,
        );
        const outcomes = [...plain, ...control].map((text, index) =>
          outcome(index + 1, { commandId: text, code: text, message: text }),
        );
        await store.append(first, outcomes.slice(0, plain.length));
        await store.append(second, outcomes.slice(plain.length));
        assert.deepStrictEqual(await store.read(1, 100), [...first, ...second]);
        assert.deepStrictEqual(await store.readOutcomes(1, 100), outcomes);
      }));

    it('appends successive batches after one another and moves the head', () =>
      withStore(async (store) => {
        const first = rowsFrom(1, 3);
        const second = chain(4, [{}, {}], (first[2] as LogRow).hash);
        await store.append(first, outcomesFrom(1, 1));
        await store.append(second, []);
        await store.append([], outcomesFrom(2, 2));
        assert.deepStrictEqual(await store.read(1, 100), [...first, ...second]);
        assert.deepStrictEqual(await store.head(), { sequence: 5, hash: (second[1] as LogRow).hash });
        assert.equal(await store.outcomeCount(), 3);
      }));

    it('pages rows by fromSequence and limit, and outcomes by fromPosition and limit', () =>
      withStore(async (store) => {
        await store.append(rowsFrom(1, 5), outcomesFrom(1, 5));
        assert.deepEqual(sequencesOf(await store.read(1, 2)), [1, 2]);
        assert.deepEqual(sequencesOf(await store.read(3, 2)), [3, 4]);
        assert.deepEqual(sequencesOf(await store.read(5, 10)), [5]);
        assert.deepEqual(await store.read(6, 10), []);
        assert.deepEqual(sequencesOf(await store.read(0, 10)), [1, 2, 3, 4, 5]);
        assert.deepEqual(await store.read(1, 0), []);
        const positions = (page: OutcomeRow[]): number[] => page.map((row) => row.position);
        assert.deepEqual(positions(await store.readOutcomes(2, 2)), [2, 3]);
        assert.deepEqual(positions(await store.readOutcomes(4, 10)), [4, 5]);
        assert.deepEqual(await store.readOutcomes(6, 10), []);
      }));

    it('appends a batch of thousands at once and caps a page at readRowsMax', () =>
      withStore(async (store) => {
        const count = readRowsMax + 50;
        const rows = rowsFrom(1, count);
        await store.append(rows, outcomesFrom(1, 2_000));
        const page = await store.read(1, count);
        assert.equal(page.length, readRowsMax);
        assert.deepStrictEqual(page.at(-1), rows[readRowsMax - 1]);
        assert.deepStrictEqual(await store.read(readRowsMax + 1, count), rows.slice(readRowsMax));
        assert.deepStrictEqual(await store.head(), { sequence: count, hash: (rows.at(-1) as LogRow).hash });
        assert.equal(await store.outcomeCount(), 2_000);
      }));

    it('fails the whole append, writing nothing, when a command id repeats within it', () =>
      withStore(async (store) => {
        const rows = chain(1, [{ commandId: 'cmd_a' }, { commandId: 'cmd_b' }, { commandId: 'cmd_a' }]);
        await assert.rejects(store.append(rows, outcomesFrom(1, 2)));
        await assertEmpty(store);
      }));

    it('fails the whole append, writing nothing, when a command id is already in the log', () =>
      withStore(async (store) => {
        const first = chain(1, [{ commandId: 'cmd_a' }]);
        await store.append(first, []);
        const second = chain(2, [{ commandId: 'cmd_b' }, { commandId: 'cmd_a' }], (first[0] as LogRow).hash);
        await assert.rejects(store.append(second, outcomesFrom(1, 1)));
        assert.deepStrictEqual(await store.read(1, 100), first);
        assert.equal(await store.outcomeCount(), 0);
        assert.deepStrictEqual(await store.head(), { sequence: 1, hash: (first[0] as LogRow).hash });
      }));

    it('accepts any number of rows without a command id', () =>
      withStore(async (store) => {
        const first = chain(1, [{ commandId: null }, { commandId: null }]);
        await store.append(first, []);
        await store.append(chain(3, [{ commandId: null }], (first[1] as LogRow).hash), []);
        assert.deepEqual(
          (await store.read(1, 10)).map((row) => row.commandId),
          [null, null, null],
        );
      }));

    it('rejects a repeated sequence or outcome position, writing nothing', () =>
      withStore(async (store) => {
        const first = rowsFrom(1, 2);
        await store.append(first, outcomesFrom(1, 1));
        const again = chain(2, [{ commandId: 'cmd_other' }], (first[0] as LogRow).hash);
        // Refused by the keys (SQLite's and PostgreSQL's words), not by anything else.
        const repeatedKey = /UNIQUE constraint failed|duplicate key value/;
        await assert.rejects(store.append(again, []), repeatedKey);
        await assert.rejects(store.append([], [outcome(2), outcome(1)]), repeatedKey);
        await assert.rejects(
          store.append(chain(3, [{}], (first[1] as LogRow).hash), outcomesFrom(1, 1)),
          repeatedKey,
        );
        assert.deepStrictEqual(await store.read(1, 100), first);
        assert.deepStrictEqual(await store.readOutcomes(1, 100), outcomesFrom(1, 1));
      }));

    it('saves snapshots, lists them newest first, loads them and replaces one of the same sequence', () =>
      withStore(async (store) => {
        const saved = [snapshot(10, 3), snapshot(30, 65_536), snapshot(20, 0)];
        for (const row of saved) await store.saveSnapshot(row);
        assert.deepEqual(await store.snapshotSequences(), [30, 20, 10]);
        const loaded = await store.loadSnapshot(30);
        assert.ok(loaded !== null && Buffer.isBuffer(loaded.body));
        assert.deepStrictEqual(loaded, saved[1]);
        assert.deepStrictEqual(await store.loadSnapshot(20), saved[2]);
        assert.equal(await store.loadSnapshot(25), null);

        const replacement = { ...snapshot(10, 5), hash: 'hash_other' };
        await store.saveSnapshot(replacement);
        assert.deepStrictEqual(await store.loadSnapshot(10), replacement);
        assert.deepEqual(await store.snapshotSequences(), [30, 20, 10]);
      }));

    it('counts outcomes as the last position written', () =>
      withStore(async (store) => {
        assert.equal(await store.outcomeCount(), 0);
        await store.append(rowsFrom(1, 1), outcomesFrom(1, 3));
        assert.equal(await store.outcomeCount(), 3);
        await store.append([], outcomesFrom(4, 1));
        assert.equal(await store.outcomeCount(), 4);
      }));

    it('appends an audit entry with a key once: a second with that key writes nothing', () =>
      withStore(async (store) => {
        assert.equal(
          await store.appendAudit(baseTimeMs, 'acc_a', 'inject', '{"id":"i1"}', 'command:i1'),
          true,
        );
        assert.equal(
          await store.appendAudit(baseTimeMs + 1, 'acc_b', 'inject', '{"id":"i1"}', 'command:i1'),
          false,
        );
        assert.equal(await store.appendAudit(baseTimeMs + 2, 'acc_a', 'login', '{}'), true);
        assert.equal(await store.appendAudit(baseTimeMs + 3, 'acc_a', 'login', '{}', null), true);
        const entries = await store.readAudit(0, 10);
        assert.deepEqual(
          entries.map((entry) => [entry.actor, entry.action, entry.atMs]),
          [
            ['acc_a', 'login', baseTimeMs + 3],
            ['acc_a', 'login', baseTimeMs + 2],
            ['acc_a', 'inject', baseTimeMs],
          ],
        );
      }));

    it('keeps rows, outcomes and snapshots when closed and opened again', () =>
      withStore(async (store, fixture) => {
        const rows = rowsFrom(1, 3);
        await store.append(rows, outcomesFrom(1, 2));
        await store.saveSnapshot(snapshot(2, 100));
        const reopened = await fixture.reopen();
        assert.deepStrictEqual(await reopened.read(1, 100), rows);
        assert.deepStrictEqual(await reopened.readOutcomes(1, 100), outcomesFrom(1, 2));
        assert.deepStrictEqual(await reopened.head(), { sequence: 3, hash: (rows[2] as LogRow).hash });
        assert.deepStrictEqual(await reopened.loadSnapshot(2), snapshot(2, 100));
        await reopened.append(chain(4, [{}], (rows[2] as LogRow).hash), []);
        assert.equal((await reopened.head()).sequence, 4);
      }));
  });
}
