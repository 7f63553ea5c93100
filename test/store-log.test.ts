// The durable log on both stores: vectors through import/state/verify, snapshots, tampering, and
// the single writer's guarantees (durable before acknowledged, bounded queue, stop on failure).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportState } from '../src/domain/report.ts';
import { snapshotOf } from '../src/domain/snapshot.ts';
import { cents } from '../src/domain/units.ts';
import { decodeEvent } from '../src/store/codec.ts';
import { loadState, openLedger, openStore } from '../src/store/ledger.ts';
import { BusyError, SequencerStoppedError } from '../src/store/sequencer.ts';
import { snapshotBytes } from '../src/store/snapshot-codec.ts';
import { readRowsMax } from '../src/store/store.ts';
import { verifyLog } from '../src/store/verify.ts';
import { generatedScenario } from './support/generated-scenario.ts';
import { replayOfStoredEvents, type TestStore, testStores } from './support/stores.ts';

const root = new URL('..', import.meta.url).pathname;
const vectorsFolder = join(root, 'test/fixtures/vectors');
const vectors = readdirSync(vectorsFolder)
  .filter((name) => name.endsWith('.json') && !name.endsWith('.expected.json'))
  .map((name) => name.replace(/\.json$/, ''));

function poolpoint(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'bin/poolpoint.js'), ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scenarioFile = join(mkdtempSync(join(tmpdir(), 'poolpoint-store-')), 'generated-3000.json');

for (const [name, makeStore] of testStores) {
  describe(`durable log on ${name}`, () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await makeStore();
    });
    after(async () => testStore.cleanup());

    for (const vector of vectors) {
      test(`given ${vector}: import, then state prints exactly the expected JSON and verify passes`, async () => {
        const own = await makeStore();
        try {
          const imported = poolpoint('import', join(vectorsFolder, `${vector}.json`), '--db', own.database);
          assert.equal(imported.status, 0, imported.stderr);
          const state = poolpoint('state', '--db', own.database);
          assert.equal(state.status, 0, state.stderr);
          const expected = readFileSync(join(vectorsFolder, `${vector}.expected.json`), 'utf8');
          assert.equal(state.stdout.trim(), expected.trim());
          const verified = poolpoint('verify', '--db', own.database);
          assert.equal(verified.status, 0, verified.stdout + verified.stderr);
          assert.match(verified.stdout, /the log is intact/);
        } finally {
          await own.cleanup();
        }
      });
    }

    test('snapshots: start-up from the newest snapshot equals a replay of every event, and verify checks them', async () => {
      writeFileSync(
        scenarioFile,
        JSON.stringify(generatedScenario({ members: 300, events: 3_000, seed: 11 })),
      );
      const imported = poolpoint(
        'import',
        scenarioFile,
        '--db',
        testStore.database,
        '--snapshot-every',
        '700',
        '--chunk',
        '300',
      );
      assert.equal(imported.status, 0, imported.stderr);
      const store = await openStore(testStore.database);
      try {
        const snapshots = await store.snapshotSequences();
        assert.ok(snapshots.length >= 3, `expected snapshots, got ${snapshots.length}`);
        const loaded = await loadState(store);
        assert.equal(loaded.snapshotSequence, snapshots[0]);
        const replayed = await replayOfStoredEvents(store);
        assert.deepEqual(reportState(loaded.state), reportState(replayed));
        assert.ok(snapshotBytes(snapshotOf(loaded.state)).equals(snapshotBytes(snapshotOf(replayed))));
        const report = await verifyLog(store);
        assert.equal(report.ok, true, JSON.stringify(report.firstDisagreement));
        assert.equal(report.snapshotsChecked, snapshots.length);
      } finally {
        await store.close();
      }
    });

    test('tamper: one changed amount in one stored event makes verify fail naming that event', async () => {
      const store = await openStore(testStore.database);
      try {
        const [row] = (await store.read(1, readRowsMax)).filter(
          (candidate) => candidate.type === 'OrderSettled',
        );
        assert.ok(row !== undefined);
        const amount = (decodeEvent(row.body) as { command: { amount: bigint } }).command.amount;
        const tampered = row.body.replace(`"amount":"${amount}"`, `"amount":"${amount + 100n}"`);
        assert.notEqual(tampered, row.body);
        const unsafe = store as unknown as {
          unsafeExecute(sql: string, ...parameters: unknown[]): Promise<void> | void;
        };
        const placeholder = store.kind === 'postgres' ? ['$1', '$2'] : ['?', '?'];
        await unsafe.unsafeExecute(
          `UPDATE events SET body = ${placeholder[0]} WHERE sequence = ${placeholder[1]}`,
          tampered,
          row.sequence,
        );
        const report = await verifyLog(store);
        assert.equal(report.ok, false);
        assert.equal(report.firstDisagreement?.sequence, row.sequence);
        assert.match(report.firstDisagreement?.problem ?? '', /does not match its hash/);
        const cli = poolpoint('verify', '--db', testStore.database);
        assert.equal(cli.status, 1);
        assert.match(
          cli.stdout,
          new RegExp(`^event ${row.sequence} \\(OrderSettled, id ${row.commandId}\\)`),
        );
      } finally {
        await store.close();
      }
    });
  });
}

describe('the single writer (SQLite)', () => {
  test('many concurrent commands are grouped into few durable batches, each acknowledged after its append', async () => {
    const [, makeStore] = testStores[0];
    const testStore = await makeStore();
    const store = await openStore(testStore.database);
    let appends = 0;
    let durableSequence = 0;
    // SQLite links the rows on its writer thread: the writer appends through appendLinked.
    const appendLinked = store.appendLinked?.bind(store);
    assert.ok(appendLinked !== undefined);
    store.appendLinked = async (after, rows, outcomes) => {
      const head = await appendLinked(after, rows, outcomes);
      appends += 1;
      durableSequence = head.sequence;
      return head;
    };
    const ledger = await openLedger(store, { batchCommandsMax: 100 });
    try {
      await ledger.sequencer.submit({ type: 'registerMember', member: 'mem_a', referrer: null });
      await ledger.sequencer.submit({
        type: 'registerMerchant',
        merchant: 'mch_a',
        owner: null,
        recruiter: null,
        region: '440306',
        commissionRate: null,
      });
      appends = 0;
      const orders = Array.from({ length: 500 }, (_, index) =>
        ledger.sequencer
          .submit({
            type: 'order',
            id: `ord_${index}`,
            member: 'mem_a',
            merchant: 'mch_a',
            amount: cents(10_000n),
          })
          .then((outcome) => {
            assert.equal(outcome.kind, 'accepted');
            // Acknowledged only once its events are in a durable batch.
            assert.ok(durableSequence >= ledger.sequencer.head.sequence);
            return outcome;
          }),
      );
      await Promise.all(orders);
      assert.ok(appends <= 10, `500 commands in ${appends} appends`);
      const duplicate = await ledger.sequencer.submit({
        type: 'order',
        id: 'ord_7',
        member: 'mem_a',
        merchant: 'mch_a',
        amount: cents(10_000n),
      });
      assert.equal(duplicate.kind, 'duplicate');
    } finally {
      await ledger.close();
      await testStore.cleanup();
    }
  });

  test('past the queue bound the writer answers busy and queues nothing', async () => {
    const [, makeStore] = testStores[0];
    const testStore = await makeStore();
    const ledger = await openLedger(await openStore(testStore.database), { queueCommandsMax: 10 });
    try {
      const commands = Array.from({ length: 11 }, (_, index) => ({
        type: 'registerMember' as const,
        member: `mem_${index}`,
        referrer: null,
      }));
      await assert.rejects(ledger.sequencer.submitMany(commands), BusyError);
      assert.equal(ledger.state.members.size, 0);
      const accepted = await ledger.sequencer.submitMany(commands.slice(0, 10));
      assert.equal(accepted.length, 10);
    } finally {
      await ledger.close();
      await testStore.cleanup();
    }
  });

  test('a failed append stops the writer: callers are told, nothing further is accepted', async () => {
    const [, makeStore] = testStores[0];
    const testStore = await makeStore();
    const store = await openStore(testStore.database);
    store.append = async () => {
      throw new Error('disk full');
    };
    store.appendLinked = async () => {
      throw new Error('disk full');
    };
    const ledger = await openLedger(store);
    try {
      await assert.rejects(
        ledger.sequencer.submit({ type: 'registerMember', member: 'mem_a', referrer: null }),
        SequencerStoppedError,
      );
      await assert.rejects(
        ledger.sequencer.submit({ type: 'registerMember', member: 'mem_b', referrer: null }),
        /restart/,
      );
    } finally {
      await ledger.close();
      await testStore.cleanup();
    }
  });
});
