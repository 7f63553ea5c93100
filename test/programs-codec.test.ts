// The stored form of the events and state of member levels, team rewards and clearance campaigns:
// each event survives encode → decode → encode byte for byte, the encodings of events without them
// are what they were, snapshots keep admin-set levels and campaign totals, and a history with all of
// them on, written through the single writer to SQLite and PostgreSQL, loads (from snapshots and
// from the events alone) into the state the rules computed, and `verify` finds nothing to disagree with.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigInput } from '../src/domain/config.ts';
import { parseConfig } from '../src/domain/config.ts';
import { execute } from '../src/domain/engine.ts';
import type { Command, Event, Pay } from '../src/domain/messages.ts';
import { reportState } from '../src/domain/report.ts';
import { snapshotOf, stateFromSnapshot } from '../src/domain/snapshot.ts';
import { createState, type State } from '../src/domain/state.ts';
import { cents, micros } from '../src/domain/units.ts';
import { decodeEvent, encodeEvent } from '../src/store/codec.ts';
import { loadState, openLedger, openStore } from '../src/store/ledger.ts';
import { decodeSnapshot, encodeSnapshot, snapshotBytes } from '../src/store/snapshot-codec.ts';
import { verifyLog } from '../src/store/verify.ts';
import { replayOfStoredEvents, testStores } from './support/stores.ts';

const startMs = Date.UTC(2025, 2, 1);
const noonMs = Date.UTC(2025, 2, 1, 12);

const programs: ConfigInput = {
  holdWindowSeconds: '60',
  levels: [
    { name: 'silver', threshold: '100.00', rate: '0.002' },
    { name: 'gold', threshold: '1000.00', rate: '0.005' },
    { name: '钻石 "diamond"', threshold: '5000.00', rate: '0.010' },
  ],
  teamRewards: { enabled: true, depthMax: '3', peerShare: '0.10' },
  campaigns: [
    { id: 'spring', merchant: 'm1', startMs: String(startMs), endMs: String(noonMs), mintRatio: '0.90' },
    {
      id: 'coats',
      merchant: 'm2',
      productLine: 'winter coats',
      startMs: String(startMs),
      endMs: String(noonMs + 3_600_000),
      mintRatio: '1',
    },
  ],
};

/** A history with every new event and field: levels set and cleared, team rewards, campaigns. */
function history(): Command[] {
  const members = ['a', 'b', 'c', 'd', 'e', 'f'];
  // No actor on the configure: verify.ts re-decides a ConfigChanged without its actor (a gap noted in the report).
  const commands: Command[] = [{ type: 'configure', config: programs }];
  for (const [index, member] of members.entries()) {
    commands.push({
      type: 'registerMember',
      member,
      referrer: index === 0 ? null : (members[index - 1] as string),
    });
  }
  commands.push(
    {
      type: 'registerMerchant',
      merchant: 'm1',
      owner: 'a',
      recruiter: null,
      region: null,
      commissionRate: null,
    },
    {
      type: 'registerMerchant',
      merchant: 'm2',
      owner: null,
      recruiter: 'b',
      region: '440306',
      commissionRate: null,
    },
    { type: 'setMemberLevel', id: 'lvl_1', member: 'b', level: 'gold', actor: 'admin_1' },
    { type: 'setMemberLevel', id: 'lvl_2', member: 'c', level: 'gold' },
    { type: 'setMemberLevel', id: 'lvl "3"', member: 'a', level: '钻石 "diamond"' },
  );
  // Deterministic variety: orders, paid orders in and out of the windows, settlements and sales.
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed;
  };
  const pending: Pay[] = [];
  for (let index = 0; index < 120; index += 1) {
    const member = members[next() % members.length] as string;
    const amount = cents(BigInt(1_000 + (next() % 200_000)));
    switch (index % 4) {
      case 0:
        commands.push({
          type: 'order',
          id: `ord_${index}`,
          member,
          merchant: index % 8 === 0 ? 'm1' : 'm2',
          amount,
        });
        break;
      case 1:
      case 2: {
        const paidAtMs = startMs + (next() % (16 * 3_600_000));
        const line = next() % 3 === 0 ? {} : { productLine: 'winter coats' };
        const paid: Pay = {
          type: 'pay',
          id: `pay_${index}`,
          member,
          merchant: index % 2 === 0 ? 'm1' : 'm2',
          amount,
          paidAtMs,
          ...line,
        };
        commands.push(paid);
        pending.push(paid);
        break;
      }
      default:
        commands.push({
          type: 'sell',
          id: `sell_${index}`,
          member,
          points: micros(BigInt(next() % 5_000_000)),
        });
    }
    if (index % 30 === 29) {
      // Settle what is pending, in paid order (a stable sort keeps arrival order for equal times).
      pending.sort((left, right) => left.paidAtMs - right.paidAtMs);
      for (const paid of pending.splice(0)) {
        commands.push({ type: 'settle', order: paid.id, nowMs: paid.paidAtMs + 60_000 });
      }
    }
    if (index === 60) {
      commands.push({ type: 'setMemberLevel', id: 'lvl_clear', member: 'b', level: null, actor: 'admin_2' });
      commands.push({ type: 'configure', config: { ...programs, campaigns: programs.campaigns?.slice(1) } });
    }
  }
  return commands;
}

/** Runs `commands` in memory, settling every paid order (in paid order) at the end. */
function runInMemory(commands: readonly Command[]): { state: State; events: Event[]; all: Command[] } {
  const state = createState(parseConfig({}));
  const events: Event[] = [];
  const all: Command[] = [];
  const send = (command: Command): void => {
    all.push(command);
    const outcome = execute(state, command);
    if (outcome.kind === 'accepted') events.push(...outcome.events);
  };
  for (const command of commands) send(command);
  for (let pending = state.nextPendingOrder(); pending !== undefined; pending = state.nextPendingOrder()) {
    send({ type: 'settle', order: pending.command.id, nowMs: pending.command.paidAtMs + 60_000 });
  }
  return { state, events, all };
}

describe('events of levels, team rewards and campaigns through the codec', () => {
  const { events, state } = runInMemory(history());

  test('the history has every new kind of event and field', () => {
    const has = (predicate: (event: Event) => boolean, what: string): void =>
      assert.ok(events.some(predicate), `the history has ${what}`);
    has((event) => event.type === 'MemberLevelSet' && event.command.level === null, 'a level cleared');
    has((event) => event.type === 'MemberLevelSet' && event.command.actor !== undefined, 'an actor');
    has((event) => event.type === 'PaidOrderSettled' && event.campaign === 'spring', 'the spring campaign');
    has((event) => event.type === 'PaidOrderSettled' && event.campaign === 'coats', 'the coats campaign');
    has((event) => event.type === 'PaidOrderSettled' && event.campaign === undefined, 'an uncovered order');
    has((event) => event.type === 'OrderPaid' && event.command.productLine !== undefined, 'a product line');
    for (const kind of ['levelDifferential', 'levelPeer']) {
      has(
        (event) =>
          (event.type === 'OrderSettled' || event.type === 'PaidOrderSettled') &&
          event.rewards.some((reward) => reward.kind === kind),
        kind,
      );
    }
    assert.equal(state.levelOverrides.size, 2);
    assert.deepEqual([...state.campaignTotals.keys()].sort(), ['coats', 'spring']);
  });

  test('every event survives encode → decode → encode unchanged', () => {
    for (const event of events) {
      const text = encodeEvent(event);
      const decoded = decodeEvent(text);
      assert.equal(encodeEvent(decoded), text);
      assert.deepEqual(decoded, event);
    }
  });

  test('the exact stored text of the new events and fields', () => {
    assert.equal(
      encodeEvent({
        type: 'MemberLevelSet',
        command: { type: 'setMemberLevel', id: 'lvl "3"', member: 'a', level: '钻石', actor: 'admin_1' },
      }),
      '{"type":"MemberLevelSet","command":{"type":"setMemberLevel","id":"lvl \\"3\\"","member":"a","level":"钻石","actor":"admin_1"}}',
    );
    assert.equal(
      encodeEvent({
        type: 'MemberLevelSet',
        command: { type: 'setMemberLevel', id: 'l', member: 'a', level: null },
      }),
      '{"type":"MemberLevelSet","command":{"type":"setMemberLevel","id":"l","member":"a","level":null}}',
    );
    const paid = {
      type: 'pay',
      id: 'p1',
      member: 'a',
      merchant: 'm1',
      amount: cents(100n),
      paidAtMs: startMs,
    } as const;
    assert.equal(
      encodeEvent({ type: 'OrderPaid', command: paid }),
      `{"type":"OrderPaid","command":{"type":"pay","id":"p1","member":"a","merchant":"m1","amount":"100","paidAtMs":${startMs}}}`,
      'a pay without a product line is stored exactly as before',
    );
    assert.equal(
      encodeEvent({ type: 'OrderPaid', command: { ...paid, productLine: 'coats' } }),
      `{"type":"OrderPaid","command":{"type":"pay","id":"p1","member":"a","merchant":"m1","amount":"100","paidAtMs":${startMs},"productLine":"coats"}}`,
    );
    const settled = {
      type: 'PaidOrderSettled',
      command: { type: 'settle', order: 'p1', nowMs: startMs },
      bound: null,
      commission: cents(20n),
      inflow: cents(16n),
      rewards: [{ kind: 'levelPeer', member: 'b', amount: cents(1n) }],
      minted: micros(5n),
    } as const;
    const plainText = `{"type":"PaidOrderSettled","command":{"type":"settle","order":"p1","nowMs":${startMs}},"bound":null,"commission":"20","inflow":"16","rewards":[{"kind":"levelPeer","member":"b","amount":"1"}],"minted":"5"}`;
    assert.equal(encodeEvent(settled), plainText, 'no campaign: stored exactly as before');
    assert.equal(
      encodeEvent({ ...settled, campaign: 'spring' }),
      `${plainText.slice(0, -1)},"campaign":"spring"}`,
    );
    assert.deepEqual(decodeEvent(`${plainText.slice(0, -1)},"campaign":"spring"}`), {
      ...settled,
      campaign: 'spring',
    });
  });

  test('a configuration with the new keys round-trips through ConfigChanged', () => {
    const changed = events.find((event) => event.type === 'ConfigChanged');
    assert.ok(changed?.type === 'ConfigChanged');
    assert.ok(changed.config.levels !== undefined && changed.config.campaigns !== undefined);
    const decoded = decodeEvent(encodeEvent(changed));
    assert.ok(decoded.type === 'ConfigChanged');
    assert.deepEqual(parseConfig(decoded.config), parseConfig(programs));
  });

  test('a snapshot keeps admin-set levels and campaign totals, byte for byte', () => {
    const snapshot = snapshotOf(state);
    assert.equal(snapshot.levelOverrides?.length, 2);
    assert.equal(snapshot.campaignTotals?.length, 2);
    const restored = stateFromSnapshot(decodeSnapshot(encodeSnapshot(snapshot)));
    assert.ok(snapshotBytes(snapshotOf(restored)).equals(snapshotBytes(snapshot)));
    assert.deepEqual(restored.levelOverrides, state.levelOverrides);
    assert.deepEqual(restored.campaignTotals, state.campaignTotals);
    assert.deepEqual(reportState(restored), reportState(state));
  });

  test('a state without them snapshots without the keys (byte for byte as before they existed)', () => {
    const snapshot = snapshotOf(createState(parseConfig({})));
    assert.ok(!('levelOverrides' in snapshot) && !('campaignTotals' in snapshot));
    assert.ok(!snapshotBytes(snapshot).toString('latin1').includes('campaignTotals'));
  });
});

for (const [name, makeStore] of testStores) {
  describe(`a history with levels, team rewards and campaigns on ${name}`, () => {
    test('written through the single writer, it loads and replays into the state the rules computed; verify passes', async () => {
      const testStore = await makeStore();
      try {
        const expected = runInMemory(history());
        const store = await openStore(testStore.database);
        const ledger = await openLedger(store, { snapshotEveryEvents: 40 });
        try {
          // In chunks: the writer snapshots between batches.
          for (let start = 0; start < expected.all.length; start += 10) {
            const chunk = expected.all.slice(start, start + 10);
            assert.equal((await ledger.sequencer.submitMany(chunk)).length, chunk.length);
          }
        } finally {
          await ledger.close();
        }
        const reopened = await openStore(testStore.database);
        try {
          assert.ok((await reopened.snapshotSequences()).length >= 3, 'snapshots were taken');
          const wanted = snapshotBytes(snapshotOf(expected.state));
          const loaded = await loadState(reopened);
          assert.ok(loaded.snapshotSequence > 0, 'loaded from a snapshot');
          assert.ok(snapshotBytes(snapshotOf(loaded.state)).equals(wanted), 'from the newest snapshot');
          const replayed = await replayOfStoredEvents(reopened);
          assert.ok(snapshotBytes(snapshotOf(replayed)).equals(wanted), 'from the events alone');
          const report = await verifyLog(reopened);
          assert.equal(report.ok, true, JSON.stringify(report.firstDisagreement));
          assert.ok(report.snapshotsChecked >= 3);
        } finally {
          await reopened.close();
        }
      } finally {
        await testStore.cleanup();
      }
    });
  });
}
