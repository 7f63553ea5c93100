// Model-based property tests over random worlds and event streams (STYLE.md "Tests"): the invariants
// of SPEC.md hold after every event, and the state can always be rebuilt from what was sent or decided.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Config } from '../src/domain/config.ts';
import { applyEvents, type Outcome } from '../src/domain/engine.ts';
import type { Event } from '../src/domain/messages.ts';
import { prefetch } from '../src/domain/prefetch.ts';
import { printedPrice, reportState } from '../src/domain/report.ts';
import { snapshotOf } from '../src/domain/snapshot.ts';
import type { State } from '../src/domain/state.ts';
import { formatDecimal } from '../src/domain/units.ts';
import { memberIds, memberView, merchantPayable } from '../src/domain/views.ts';
import { parseEvent, parseScenario, replayScenario, stateFromSetup } from '../src/scenario/scenario.ts';
import { snapshotBytes } from '../src/store/snapshot-codec.ts';
import { type Snapshot, snapshot, when } from './support/given.ts';
import { Model } from './support/model.ts';
import { assertPriceNeverFalls, type Price } from './support/price.ts';
import {
  crowdedStreamArbitrary,
  type Intent,
  largeStreamArbitrary,
  resolveIntent,
  streamArbitrary,
  tiedStreamArbitrary,
  type World,
} from './support/streams.ts';

const runs = { numRuns: 300 };
const million = 1_000_000n;

interface Sent {
  raw: unknown;
  outcome: Outcome;
}

interface Step extends Sent {
  before: Snapshot;
}

/** One random world and the events sent into it so far. */
class Stream {
  readonly config: Config;
  readonly state: State;
  readonly history: unknown[] = [];
  /** Σ accepted order amounts + Σ accepted injections. */
  cashIn = 0n;
  /** What `poolpoint replay` lists: rejected ids (null without one) and duplicate ids, in order. */
  readonly rejected: unknown[] = [];
  readonly duplicates: string[] = [];
  /** The price the next mint would use: the last P/S with S > 0, or initialPrice while there was none. */
  mintPrice: Price;

  constructor(readonly world: World) {
    const scenario = parseScenario({ ...world, events: [] });
    this.config = scenario.config;
    this.state = stateFromSetup(scenario.config, scenario.setup);
    this.mintPrice = { pool: scenario.config.initialPrice, supply: million };
  }

  /** A fresh state from the same setup. */
  fresh(): State {
    const scenario = parseScenario({ ...this.world, events: [] });
    return stateFromSetup(scenario.config, scenario.setup);
  }

  send(intent: Intent): Sent {
    const raw = resolveIntent(intent, this.history.length, this.world, this.state, this.history);
    this.history.push(raw);
    const outcome = when(this.state, raw);
    const parsed = parseEvent(raw);
    if (outcome.kind === 'accepted' && parsed.ok && parsed.command.type !== 'sell') {
      this.cashIn += parsed.command.amount;
    }
    const id = (raw as { id?: unknown }).id ?? null;
    if (outcome.kind === 'rejected') this.rejected.push(id);
    if (outcome.kind === 'duplicate') this.duplicates.push(id as string);
    return { raw, outcome };
  }
}

const sum = (values: Iterable<bigint>): bigint => {
  let total = 0n;
  for (const value of values) total += value;
  return total;
};

function views(state: State) {
  return memberIds(state).map((id) => {
    const view = memberView(state, id);
    assert.ok(view !== undefined, `memberIds lists ${id} but memberView does not know it`);
    return view;
  });
}

function assertCashConserved(stream: Stream): void {
  const { state, world } = stream;
  const wallets = sum(views(state).map((view) => view.wallet));
  const payables = sum(world.setup.merchants.map((merchant) => merchantPayable(state, merchant.id) ?? 0n));
  assert.equal(
    state.pool + wallets + state.platform + payables,
    stream.cashIn,
    'cash in = pool + wallets + platform + payables',
  );
}

function assertHoldings(state: State): void {
  const all = views(state);
  assert.ok(state.pool >= 0n, `pool ${state.pool} < 0`);
  assert.equal(state.supply, sum(all.map((view) => view.points)), 'supply = Σ points');
  for (const view of all) {
    assert.ok(view.points >= 0n && view.wallet >= 0n, `${view.id} holds a negative balance`);
    assert.ok(view.points === 0n || view.cycleOpen, `${view.id} holds points without an open cycle`);
  }
  assert.equal(
    state.forcedExits,
    all.reduce((total, view) => total + view.exits, 0),
    'forcedExits = Σ exits',
  );
}

/** The events an order, a sale or an injection may emit: anything else fails the walk. */
const walkedEvents = new Set<Event['type']>([
  'OrderSettled',
  'PointsSold',
  'PoolInjected',
  'MemberForcedOut',
]);

/**
 * The price P/S never falls below the last price with S > 0 (exits inside a cascade included), and the
 * events account for the new state; the price the next mint uses moves on with them.
 */
function assertPriceWalk(stream: Stream, before: Snapshot, events: readonly Event[]): void {
  for (const event of events) {
    assert.ok(walkedEvents.has(event.type), `a ${event.type} event from an order, sell or inject`);
  }
  stream.mintPrice = assertPriceNeverFalls(events, {
    before,
    reference: stream.mintPrice,
    after: stream.state,
  });
}

/** printedPrice is the floor of the exact price the next mint uses, and so never falls either. */
function assertPrintedPrice(stream: Stream, before: Snapshot): void {
  const { pool, supply } = stream.mintPrice;
  const printed = printedPrice(stream.state);
  assert.equal(printed, formatDecimal((pool * 10_000_000_000n) / supply, 6));
  const scaled = (text: string): bigint => BigInt(text.replace('.', ''));
  assert.ok(
    scaled(printed) >= scaled(before.report.price),
    `printed price fell: ${before.report.price} → ${printed}`,
  );
}

/** After an accepted event the exits have run out: no open cycle is at or over its cap. */
function assertNoCycleDue(stream: Stream): void {
  const { state, config } = stream;
  for (const view of views(state)) {
    if (!view.cycleOpen) {
      assert.deepEqual(
        [view.cycleConsumption, view.cycleRealised],
        [0n, 0n],
        `${view.id}: a closed cycle keeps C or R`,
      );
      continue;
    }
    // R + H × P / S ≥ capMultiple × C, multiplied through by 10^6 × S; with S = 0 nobody holds anything
    const capTimesC = config.capMultiple * view.cycleConsumption;
    const realised = view.cycleRealised * million;
    const due =
      state.supply === 0n
        ? realised >= capTimesC
        : realised * state.supply + view.points * state.pool * million >= capTimesC * state.supply;
    assert.ok(
      !due,
      `${view.id} is still due: C ${view.cycleConsumption}, R ${view.cycleRealised}, H ${view.points}`,
    );
  }
}

function forEachStream(check: (stream: Stream, step: Step) => void): void {
  fc.assert(
    fc.property(streamArbitrary, ({ world, intents }) => {
      const stream = new Stream(world);
      for (const intent of intents) {
        const before = snapshot(stream.state);
        check(stream, { ...stream.send(intent), before });
      }
    }),
    runs,
  );
}

describe('invariants after every event of random streams', () => {
  test('cash is conserved: orders + injections = pool + wallets + platform + payables', () => {
    forEachStream((stream) => assertCashConserved(stream));
  });

  test('the price never falls (exact fractions, through every exit of a cascade); pool ≥ 0', () => {
    forEachStream((stream, { outcome, before }) => {
      if (outcome.kind === 'accepted') assertPriceWalk(stream, before, outcome.events);
      assertPrintedPrice(stream, before);
    });
  });

  test('supply = Σ points, balances are never negative, points only in open cycles', () => {
    forEachStream((stream) => assertHoldings(stream.state));
  });

  test('no open cycle is left at or over its cap, and closed cycles are reset', () => {
    forEachStream((stream) => assertNoCycleDue(stream));
  });

  test('a duplicate or a rejected event changes nothing; an accepted one is one more in the sequence', () => {
    let rejected = 0;
    let duplicates = 0;
    forEachStream((stream, { outcome, before }) => {
      const after = snapshot(stream.state);
      if (outcome.kind === 'accepted') {
        assert.equal(after.sequence, before.sequence + 1);
        return;
      }
      if (outcome.kind === 'rejected') rejected += 1;
      else duplicates += 1;
      assert.deepEqual(after, before);
    });
    // The streams must really exercise both paths.
    assert.ok(
      rejected > 1_000 && duplicates > 300,
      `only ${rejected} rejections and ${duplicates} duplicates`,
    );
  });
});

describe('prefetch (a hint for speed) changes nothing', () => {
  /** The whole state as its snapshot's bytes: members' columns, processed commands, everything kept. */
  const stateBytes = (state: State): Buffer => snapshotBytes(snapshotOf(state));
  const junk: unknown[] = [
    null,
    undefined,
    7,
    'order',
    { member: 5, id: null },
    { member: 'nobody', id: '' },
  ];

  test('a stream prefetching everything sent so far, and values that are no command, decides and ends exactly as one that does not', () => {
    fc.assert(
      fc.property(streamArbitrary, ({ world, intents }) => {
        const plain = new Stream(world);
        const prefetched = new Stream(world);
        for (const intent of intents) {
          const before = stateBytes(prefetched.state);
          const window = [...junk, ...prefetched.history];
          // Small states: both the members (forced) and the processed ids only (the default).
          prefetch(prefetched.state, window, 0, window.length, 0);
          prefetch(prefetched.state, window, window.length - 3, window.length + 5, 0);
          prefetch(prefetched.state, window, 0, window.length);
          assert.deepEqual(stateBytes(prefetched.state), before);
          const expected = plain.send(intent);
          const sent = prefetched.send(intent);
          assert.deepEqual(sent.outcome, expected.outcome);
          assert.deepEqual(snapshot(prefetched.state), snapshot(plain.state));
        }
      }),
      runs,
    );
  });

  test('any values between any bounds (negative, fractional, infinite, NaN, past the end) read nothing they change', () => {
    const bound = fc.oneof(
      fc.integer({ min: -100, max: 100 }),
      fc.double(),
      fc.constantFrom(Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -1e12, 1e12),
    );
    fc.assert(
      fc.property(
        streamArbitrary,
        fc.array(fc.oneof(fc.anything(), fc.record({ member: fc.string(), id: fc.string() })), {
          maxLength: 80,
        }),
        bound,
        bound,
        ({ world, intents }, values, from, to) => {
          const stream = new Stream(world);
          for (const intent of intents) stream.send(intent);
          const before = stateBytes(stream.state);
          prefetch(stream.state, [...values, ...stream.history, ...junk], from, to, 0);
          prefetch(stream.state, [...values, ...stream.history, ...junk], from, to);
          assert.deepEqual(stateBytes(stream.state), before);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the state can be rebuilt', () => {
  test('replaying the events sent so far into a fresh state gives the same state, after every event', () => {
    forEachStream((stream) => {
      const replayed = replayScenario(parseScenario({ ...stream.world, events: stream.history }));
      assert.deepEqual(snapshot(replayed.state), snapshot(stream.state));
      assert.deepEqual([replayed.rejected, replayed.duplicates], [stream.rejected, stream.duplicates]);
    });
  });

  test('applying the accepted events onto a fresh state from the same setup gives the same state', () => {
    fc.assert(
      fc.property(streamArbitrary, ({ world, intents }) => {
        const stream = new Stream(world);
        const rebuilt = stream.fresh();
        for (const intent of intents) {
          const { outcome } = stream.send(intent);
          if (outcome.kind === 'accepted') applyEvents(rebuilt, outcome.events);
          assert.deepEqual(snapshot(rebuilt), snapshot(stream.state));
        }
      }),
      runs,
    );
  });
});

/**
 * Runs the engine and the naive model side by side: they agree on every outcome, and on the whole
 * state after every `compareEvery`-th event and after the last.
 */
function assertModelAgrees({ world, intents }: { world: World; intents: Intent[] }, compareEvery = 1): void {
  const stream = new Stream(world);
  const model = new Model(stream.config, world.setup);
  for (const [index, intent] of intents.entries()) {
    const { raw, outcome } = stream.send(intent);
    const parsed = parseEvent(raw);
    const expected = parsed.ok ? model.apply(parsed.command) : 'rejected';
    assert.equal(outcome.kind, expected, `outcome of ${JSON.stringify(raw)}`);
    if ((index + 1) % compareEvery !== 0 && index !== intents.length - 1) continue;
    assert.deepEqual(reportState(stream.state), model.report());
    for (const view of views(stream.state)) {
      const modelled = model.members.get(view.id);
      assert.deepEqual(
        [view.cycleOpen, view.cycleRealised],
        [modelled?.cycleOpen, modelled?.cycleRealised],
        view.id,
      );
    }
  }
}

describe('a naive model of SPEC.md agrees with the engine on every outcome and every state', () => {
  test('in random worlds', () => {
    fc.assert(
      fc.property(streamArbitrary, (stream) => assertModelAgrees(stream)),
      runs,
    );
  });

  test('in worlds where many cycles share one trigger price (the tie-break decides the order of exits)', () => {
    fc.assert(
      fc.property(tiedStreamArbitrary, (stream) => assertModelAgrees(stream)),
      runs,
    );
  });

  test('in crowded worlds where many open cycles are re-ranked, dropped and forced out', () => {
    fc.assert(
      fc.property(crowdedStreamArbitrary, (stream) => assertModelAgrees(stream)),
      runs,
    );
  });

  test('in large worlds, past the initial capacity of the member and id tables', () => {
    fc.assert(
      fc.property(largeStreamArbitrary, (stream) => assertModelAgrees(stream, 100)),
      { numRuns: 5 },
    );
  });
});
