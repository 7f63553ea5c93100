// The service's daily runs of the programs (src/service/programs.ts), with the manual clock moving
// across the operator's days (UTC+08:00; the test clock starts on 2025-03-03 at 09:00 there): a
// release run on each day while legacy conversion is in use, a dividend settlement for each
// finished day while dividends accrue, nothing while both are off; ids derived from the day, so
// that a second pass, a restart or a retry never sends a day twice; missed days caught up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatConfig, parseConfig } from '../src/domain/config.ts';
import type { Command } from '../src/domain/messages.ts';
import { createState } from '../src/domain/state.ts';
import { cents, formatCents, formatMicros, micros } from '../src/domain/units.ts';
import { memberView } from '../src/domain/views.ts';
import { DailyRuns, operatorDay } from '../src/service/programs.ts';
import { ApiHarness, dayMs, hourMs, startMs } from './support/http.ts';
import { sqliteTestStore, type TestStore } from './support/stores.ts';

const offsetMinutes = 8 * 60;
/** Midnight at the start of 2025-03-DD in the operator's zone (UTC+08:00), plus `ms`. */
const operatorMidnight = (dayOfMarch: number, ms = 0): number =>
  Date.UTC(2025, 2, dayOfMarch) - 8 * hourMs + ms;

async function configure(api: ApiHarness, change: Record<string, unknown>): Promise<void> {
  const config = { ...formatConfig(api.service.state.config), holdWindowSeconds: '0', ...change };
  const outcome = await api.service.submit({ type: 'configure', config });
  assert.equal(outcome.kind, 'accepted', JSON.stringify(outcome));
}

const plain = (value: unknown): string =>
  JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? String(item) : item));

async function accepted(api: ApiHarness, commands: readonly Command[]): Promise<void> {
  const outcomes = await api.service.submitMany(commands);
  for (const [index, outcome] of outcomes.entries())
    assert.equal(outcome.kind, 'accepted', `${plain(commands[index])}: ${plain(outcome)}`);
}

/** Moves the clock to `atMs` (forward only). */
function moveTo(api: ApiHarness, atMs: number): void {
  assert.ok(atMs >= api.clock.now(), 'the clock only moves forward');
  api.clock.advance(atMs - api.clock.now());
}

/** The days and ids of the program commands in the log, in order. */
async function dailyInLog(api: ApiHarness): Promise<string[]> {
  const found: string[] = [];
  for (const command of api.service.state.processedCommands)
    if (command.type === 'releaseLocked' || command.type === 'settleDividends') found.push(command.id);
  return found;
}

const setup: Command[] = [
  { type: 'registerMember', member: 'u1', referrer: null },
  { type: 'registerMember', member: 'sh1', referrer: null },
  { type: 'registerMember', member: 'sh2', referrer: null },
  {
    type: 'registerMerchant',
    merchant: 'm1',
    owner: null,
    recruiter: null,
    region: null,
    commissionRate: null,
  },
];

const pay = (id: string, amount: string, paidAtMs: number, coins?: string): Command => ({
  type: 'pay',
  id,
  member: 'u1',
  merchant: 'm1',
  amount: cents(BigInt(amount.replace('.', ''))),
  paidAtMs,
  ...(coins === undefined ? {} : { coins: cents(BigInt(coins.replace('.', ''))) }),
});

test('the operator’s day: midnight at UTC+08:00 starts the next one', () => {
  assert.equal(operatorDay(operatorMidnight(4) - 1, offsetMinutes), operatorDay(startMs, offsetMinutes));
  assert.equal(operatorDay(operatorMidnight(4), offsetMinutes), operatorDay(startMs, offsetMinutes) + 1);
  assert.equal(operatorDay(startMs, 0), operatorDay(startMs, offsetMinutes), '09:00 in Beijing is 01:00 UTC');
  // The runs of a day are named by the operator's date: at 2025-03-03T20:00Z it is already the 4th there.
  const runs = new DailyRuns(offsetMinutes);
  assert.deepEqual(runs.due(createStateWithLegacy(), Date.UTC(2025, 2, 3, 20)), [
    { type: 'releaseLocked', id: 'scheduler:release:2025-03-04', day: '2025-03-04', actor: 'scheduler' },
  ]);
});

/** A state whose configuration turns legacy conversion on: a release run is due every day. */
const createStateWithLegacy = () => createState(parseConfig({ legacy: { enabled: true } }));

describe('with the programs off (the default)', () => {
  let api: ApiHarness;
  before(async () => {
    api = await ApiHarness.open();
    await accepted(api, setup);
  });
  after(() => api.close());

  test('days pass and nothing is sent: no event is added to the log', async () => {
    const head = api.service.store.head();
    const before = (await head).sequence;
    for (let day = 0; day < 3; day += 1) {
      assert.equal(await api.service.runDaily(), 0);
      api.clock.advance(dayMs);
    }
    assert.equal((await api.service.store.head()).sequence, before);
  });
});

describe('legacy conversion: a release run each day', () => {
  let store: TestStore;
  let api: ApiHarness;
  before(async () => {
    store = await sqliteTestStore();
    api = await ApiHarness.open(store);
    await accepted(api, setup);
  });
  after(async () => {
    await api.app.close();
    await api.service.close();
    await store.cleanup();
  });

  test('turned on, today’s run is sent at once, and only once', async () => {
    await configure(api, { legacy: { enabled: true, releaseDays: '3' } });
    assert.equal(await api.service.runDaily(), 1);
    assert.equal(await api.service.runDaily(), 0, 'the same day again: nothing');
    assert.deepEqual(await dailyInLog(api), ['scheduler:release:2025-03-03']);
  });

  test('points locked after the day’s run start on the next day: three batches over three days', async () => {
    await accepted(api, [
      {
        type: 'grantCoins',
        id: 'g1',
        member: 'u1',
        coins: cents(100_000n),
        reason: 'old balance',
        actor: 'admin',
      },
      pay('p1', '1000.00', api.clock.now(), '400.00'),
    ]);
    assert.equal(await api.service.settleDue(), 1);
    const legacy = api.service.state.legacy;
    assert.equal(
      formatMicros(legacy.lockedPointsTotal),
      '44.800000',
      'docs/rules.md: 112 minted, 44.8 locked',
    );
    assert.equal(await api.service.runDaily(), 0, 'today’s run has been: the lot waits for tomorrow');

    moveTo(api, operatorMidnight(4) - 1);
    assert.equal(await api.service.runDaily(), 0, 'a millisecond before midnight it is still the 3rd');
    moveTo(api, operatorMidnight(4));
    assert.equal(await api.service.runDaily(), 1);
    assert.equal(formatMicros(legacy.lockedPointsTotal), '29.866667', 'batch 1: 14.933333');
    assert.equal(legacy.lastReleaseDay, operatorDay(operatorMidnight(4), offsetMinutes));
  });

  test('after two days down, both missed days are sent in order and the last batch is released', async () => {
    moveTo(api, operatorMidnight(6, 5 * 60_000));
    assert.equal(await api.service.runDaily(), 2);
    assert.deepEqual((await dailyInLog(api)).slice(-2), [
      'scheduler:release:2025-03-05',
      'scheduler:release:2025-03-06',
    ]);
    assert.equal(api.service.state.legacy.lockedPointsTotal, 0n, '14.933333 + 14.933334 more: all of it');
    assert.equal(api.service.state.legacy.lots.size, 0);
    // Released points stay points: the member holds all 112, now free to sell.
    assert.equal(formatMicros(memberView(api.service.state, 'u1')?.points ?? micros(0n)), '112.000000');
  });

  test('a retry of a day is a duplicate; a restart on the same day sends nothing', async () => {
    const retry = await api.service.submit({
      type: 'releaseLocked',
      id: 'scheduler:release:2025-03-06',
      day: '2025-03-06',
      actor: 'scheduler',
    });
    assert.equal(retry.kind, 'duplicate');
    const head = (await api.service.store.head()).sequence;
    const clockMs = api.clock.now();
    await api.app.close();
    await api.service.close();
    api = await ApiHarness.open(store);
    api.clock.advance(clockMs - api.clock.now());
    assert.equal(await api.service.runDaily(), 0);
    assert.equal((await api.service.store.head()).sequence, head);
    // The program is still on: the next day has its run.
    api.clock.advance(dayMs);
    assert.equal(await api.service.runDaily(), 1);
  });
});

describe('dividends: each finished day settled', () => {
  let store: TestStore;
  let api: ApiHarness;
  const wallet = (member: string): string =>
    formatCents(memberView(api.service.state, member)?.wallet ?? cents(0n));
  before(async () => {
    store = await sqliteTestStore();
    api = await ApiHarness.open(store);
    await accepted(api, setup);
    await configure(api, { dividends: { share: '0.25' } });
    await accepted(api, [
      { type: 'setShareholder', id: 's1', member: 'sh1', weight: 1n },
      { type: 'setShareholder', id: 's2', member: 'sh2', weight: 2n },
    ]);
  });
  after(async () => {
    await api.app.close();
    await api.service.close();
    await store.cleanup();
  });

  test('nothing before cash accrues; the day it first accrues is settled when it ends', async () => {
    assert.equal(await api.service.runDaily(), 0, 'an empty pool never settled: nothing to settle');
    // 1000.00 at 20%, nobody to reward: commission 200.00, inflow 160.00, kept 40.00, a quarter 10.00.
    await accepted(api, [pay('p1', '1000.00', api.clock.now())]);
    assert.equal(await api.service.settleDue(), 1);
    assert.equal(formatCents(api.service.state.dividends.pool), '10.00');
    assert.equal(await api.service.runDaily(), 0, 'today is not over: its accrual is paid when it is');
    moveTo(api, operatorMidnight(4, 1_000));
    assert.equal(await api.service.runDaily(), 1);
    assert.deepEqual(await dailyInLog(api), ['scheduler:dividends:2025-03-03']);
    // docs/rules.md: sh1 3.33, sh2 6.66, and 0.01 stays for the next day.
    assert.deepEqual([wallet('sh1'), wallet('sh2')], ['3.33', '6.66']);
    assert.equal(formatCents(api.service.state.dividends.pool), '0.01');
    assert.equal(await api.service.runDaily(), 0);
  });

  test('the next day’s accrual with the leftover: 10.01 → 3.33 and 6.67', async () => {
    await accepted(api, [pay('p2', '1000.00', api.clock.now())]);
    await api.service.settleDue();
    moveTo(api, operatorMidnight(5, 30_000));
    assert.equal(await api.service.runDaily(), 1);
    assert.deepEqual([wallet('sh1'), wallet('sh2')], ['6.66', '13.33']);
  });

  test('after days down every finished day is settled, in order, once; a restart sends none again', async () => {
    moveTo(api, operatorMidnight(8, hourMs));
    assert.equal(await api.service.runDaily(), 3);
    assert.deepEqual((await dailyInLog(api)).slice(-3), [
      'scheduler:dividends:2025-03-05',
      'scheduler:dividends:2025-03-06',
      'scheduler:dividends:2025-03-07',
    ]);
    const clockMs = api.clock.now();
    await api.app.close();
    await api.service.close();
    api = await ApiHarness.open(store);
    api.clock.advance(clockMs - api.clock.now());
    assert.equal(await api.service.runDaily(), 0);
    const retry = await api.service.submit({
      type: 'settleDividends',
      id: 'scheduler:dividends:2025-03-07',
      day: '2025-03-07',
      actor: 'scheduler',
    });
    assert.equal(retry.kind, 'duplicate');
  });

  test('with the share back at 0 and the pool empty, the days are no longer settled', async () => {
    // 0.01 is left; pay it out by a day with one shareholder of all the weight.
    await accepted(api, [{ type: 'setShareholder', id: 's3', member: 'sh2', weight: 0n }]);
    api.clock.advance(dayMs);
    assert.equal(await api.service.runDaily(), 1);
    assert.equal(api.service.state.dividends.pool, 0n);
    await configure(api, { dividends: { share: '0' } });
    api.clock.advance(dayMs);
    assert.equal(await api.service.runDaily(), 0);
  });
});

test('after more days down than one pass sends, the next passes go on from there: every day once, in order', () => {
  const state = createState(parseConfig({ dividends: { share: '0.10' } }));
  const lastSettled = operatorDay(operatorMidnight(1), offsetMinutes);
  state.dividends.lastDay = lastSettled;
  state.dividends.addToPool(10_000n);
  const runs = new DailyRuns(offsetMinutes);
  const nowMs = operatorMidnight(1) + 41 * dayMs + hourMs; // 40 finished days since
  const sent: string[] = [];
  for (let pass = 0; pass < 3; pass += 1) {
    const due = runs.due(state, nowMs);
    assert.ok(due.length <= 31, `at most 31 days per pass, got ${due.length}`);
    for (const command of due) {
      sent.push(command.day);
      state.dividends.lastDay = operatorDay(Date.parse(`${command.day}T00:00:00+08:00`), offsetMinutes);
    }
  }
  assert.equal(sent.length, 40);
  assert.equal(new Set(sent).size, 40);
  assert.deepEqual(sent, [...sent].sort());
  assert.equal(sent[0], '2025-03-02');
  assert.equal(sent.at(-1), '2025-04-10');
});
