// Crash test: an import is killed with SIGKILL at random moments, again and again. After each
// kill, everything acknowledged is in the log, the state rebuilt at start-up (snapshot + replay)
// equals a replay of exactly the stored events, and verify passes. The import then resumes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execute } from '../src/domain/engine.ts';
import { reportState } from '../src/domain/report.ts';
import { snapshotOf } from '../src/domain/snapshot.ts';
import { parseEvent, parseScenario, stateFromSetup } from '../src/scenario/scenario.ts';
import { loadState, openStore } from '../src/store/ledger.ts';
import { snapshotBytes } from '../src/store/snapshot-codec.ts';
import { verifyLog } from '../src/store/verify.ts';
import { generatedScenario } from './support/generated-scenario.ts';
import { replayOfStoredEvents, type TestStore, testStores } from './support/stores.ts';

const root = new URL('..', import.meta.url).pathname;
const killsPerStore = 5;
const killDelayMsMin = 400;
const killDelayMsMax = 3_000;

/** Imports until killed after `delayMs`; resolves with the last acknowledged event count. */
function importUntilKilled(
  file: string,
  database: string,
  delayMs: number,
): Promise<{ acknowledged: number; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin/poolpoint.js'),
        'import',
        file,
        '--db',
        database,
        '--acks',
        '--chunk',
        '250',
        '--snapshot-every',
        '2500',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let acknowledged = 0;
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as { acknowledged?: number };
        if (parsed.acknowledged !== undefined) acknowledged = parsed.acknowledged;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' || code === 0) resolve({ acknowledged, finished: code === 0 });
      else reject(new Error(`import exited with ${code}: ${stderr}`));
    });
  });
}

/** The ids the rules accept, in scenario order, computed in memory. */
function acceptedIdsInOrder(raw: unknown): (string | null)[] {
  const scenario = parseScenario(raw);
  const state = stateFromSetup(scenario.config, scenario.setup);
  return scenario.events.map((event) => {
    const parsed = parseEvent(event);
    if (!parsed.ok) return null;
    return execute(state, parsed.command).kind === 'accepted' ? parsed.command.id : null;
  });
}

/** A small seeded generator for the kill moments, so a failure can be repeated. */
function delays(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return killDelayMsMin + (x % (killDelayMsMax - killDelayMsMin));
  };
}

for (const [name, makeStore] of testStores) {
  test(`crash: SIGKILL during import on ${name}, ${killsPerStore} times; nothing acknowledged is lost`, async () => {
    const folder = mkdtempSync(join(tmpdir(), 'poolpoint-crash-'));
    const testStore: TestStore = await makeStore();
    const seed = Date.now() % 100_000;
    const nextDelay = delays(seed);
    try {
      const raw = generatedScenario({ members: 400, events: 15_000, seed: 5 });
      const file = join(folder, 'scenario.json');
      writeFileSync(file, JSON.stringify(raw));
      const acceptedIds = acceptedIdsInOrder(raw);
      let finished = false;
      for (let kill = 0; kill < killsPerStore && !finished; kill += 1) {
        const delayMs = nextDelay();
        const run = await importUntilKilled(file, testStore.database, delayMs);
        finished = run.finished;
        const store = await openStore(testStore.database);
        try {
          const loaded = await loadState(store);
          const replayed = await replayOfStoredEvents(store);
          const context = `seed ${seed}, kill ${kill} after ${delayMs} ms, ${run.acknowledged} acknowledged`;
          assert.deepEqual(reportState(loaded.state), reportState(replayed), context);
          assert.ok(
            snapshotBytes(snapshotOf(loaded.state)).equals(snapshotBytes(snapshotOf(replayed))),
            context,
          );
          for (const id of acceptedIds.slice(0, run.acknowledged)) {
            if (id !== null)
              assert.ok(loaded.state.processed(id) !== undefined, `${context}: ${id} was lost`);
          }
          const report = await verifyLog(store);
          assert.equal(report.ok, true, `${context}: ${JSON.stringify(report.firstDisagreement)}`);
        } finally {
          await store.close();
        }
      }
      // Resume to the end: the final state is the one the rules give for the whole scenario.
      const final = await importUntilKilled(file, testStore.database, 120_000);
      assert.equal(final.finished, true);
      const store = await openStore(testStore.database);
      try {
        const scenario = parseScenario(raw);
        const expected = stateFromSetup(scenario.config, scenario.setup);
        for (const event of scenario.events) {
          const parsed = parseEvent(event);
          if (parsed.ok) execute(expected, parsed.command);
        }
        assert.deepEqual(reportState((await loadState(store)).state), reportState(expected));
      } finally {
        await store.close();
      }
    } finally {
      await testStore.cleanup();
      rmSync(folder, { recursive: true, force: true });
    }
  });
}
