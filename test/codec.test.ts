// The stored form of events and snapshots: decoding what was encoded gives the same event, and
// encoding it again gives the same bytes (verify compares encodings byte for byte).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { execute } from '../src/domain/engine.ts';
import type { Event } from '../src/domain/messages.ts';
import { reportState } from '../src/domain/report.ts';
import { snapshotOf, stateFromSnapshot } from '../src/domain/snapshot.ts';
import { parseEvent, parseScenario, stateFromSetup } from '../src/scenario/scenario.ts';
import { decodeEvent, encodeEvent } from '../src/store/codec.ts';
import { decodeSnapshot, encodeSnapshot, snapshotBytes } from '../src/store/snapshot-codec.ts';
import { generatedScenario } from './support/generated-scenario.ts';

const firstExitVector = new URL('fixtures/vectors/seed-first-exit.json', import.meta.url);

/** The generated scenario, then the seed's first forced exit: every kind of event. */
function generatedEvents(): { events: Event[]; state: ReturnType<typeof stateFromSetup> } {
  type Raw = { config: unknown; setup: Record<string, unknown[]>; events: unknown[] };
  const generated = generatedScenario({ members: 40, events: 3_000, seed: 17 }) as Raw;
  const vector = JSON.parse(readFileSync(firstExitVector, 'utf8')) as Raw;
  const setup = Object.fromEntries(
    ['members', 'merchants'].map((key) => [
      key,
      [...(vector.setup[key] ?? []), ...(generated.setup[key] ?? [])],
    ]),
  );
  const scenario = parseScenario({
    config: vector.config,
    setup: { ...setup, agents: generated.setup.agents },
    events: [...vector.events, ...generated.events],
  });
  const state = stateFromSetup(scenario.config, scenario.setup);
  const events: Event[] = [{ type: 'ConfigChanged', config: { capMultiple: '1.100000' } }];
  for (const raw of scenario.events) {
    const parsed = parseEvent(raw);
    if (!parsed.ok) continue;
    const outcome = execute(state, parsed.command);
    if (outcome.kind === 'accepted') events.push(...outcome.events);
  }
  return { events, state };
}

test('every kind of event survives encode → decode → encode unchanged', () => {
  const { events } = generatedEvents();
  const kinds = new Set(events.map((event) => event.type));
  for (const kind of ['OrderSettled', 'PointsSold', 'PoolInjected', 'MemberForcedOut', 'ConfigChanged']) {
    assert.ok(kinds.has(kind as Event['type']), `the generated history has a ${kind}`);
  }
  for (const event of events) {
    const text = encodeEvent(event);
    const decoded = decodeEvent(text);
    assert.equal(encodeEvent(decoded), text);
    assert.deepEqual(decoded, event);
  }
});

test('ids that need escaping are escaped, and the encoding does not depend on key order', () => {
  const command = { id: 'ord "1"\n', type: 'order', amount: 100n, merchant: 'm\\1', member: '会员' } as const;
  const event = {
    minted: 5n,
    type: 'OrderSettled',
    command,
    bound: null,
    commission: 20n,
    inflow: 16n,
    rewards: [],
  } as unknown as Event;
  const text = encodeEvent(event);
  assert.equal(
    text,
    '{"type":"OrderSettled","command":{"type":"order","id":"ord \\"1\\"\\n","member":"会员","merchant":"m\\\\1","amount":"100"},"bound":null,"commission":"20","inflow":"16","rewards":[],"minted":"5"}',
  );
  assert.deepEqual(decodeEvent(text), {
    type: 'OrderSettled',
    command: { type: 'order', id: 'ord "1"\n', member: '会员', merchant: 'm\\1', amount: 100n },
    bound: null,
    commission: 20n,
    inflow: 16n,
    rewards: [],
    minted: 5n,
  });
});

test('a malformed stored event is a CodecError naming the field, not a crash', () => {
  assert.throws(
    () => decodeEvent('{"type":"PoolInjected","command":{"type":"inject","id":"i","amount":"1.5"}}'),
    /command\.amount/,
  );
  assert.throws(() => decodeEvent('{"type":"Nope"}'), /unknown event type/);
  assert.throws(() => decodeEvent('not json'), /not JSON/);
});

test('a snapshot decodes to the same state, byte for byte and report for report', () => {
  const { state } = generatedEvents();
  const snapshot = snapshotOf(state);
  const restored = stateFromSnapshot(decodeSnapshot(encodeSnapshot(snapshot)));
  assert.ok(snapshotBytes(snapshotOf(restored)).equals(snapshotBytes(snapshot)));
  assert.deepEqual(reportState(restored), reportState(state));
});
