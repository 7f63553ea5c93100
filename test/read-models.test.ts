// Read models after a restart. A process that starts from a snapshot rebuilds its read models
// (price history, activity, forced exits, configuration history, agents' earnings, withdrawals, and
// any other projection the service has) from the whole log in the background, while it serves and
// writes; once done they equal those of a process that wrote the same history and never restarted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from '../src/domain/messages.ts';
import { cents, micros } from '../src/domain/units.ts';
import { ManualClock } from '../src/service/clock.ts';
import { rebuildChunkEventsMax } from '../src/service/projections.ts';
import { PoolpointService } from '../src/service/service.ts';
import { minuteMs, startMs } from './support/http.ts';
import { testStores } from './support/stores.ts';

const members = Array.from({ length: 30 }, (_, index) => `mem_r${String(index).padStart(2, '0')}`);
const merchants = ['mch_r_baoan', 'mch_r_tianhe'];
const snapshotEveryEvents = 700;
const bulkOrders = 2_500;

function open(database: string, clock: ManualClock): Promise<PoolpointService> {
  return PoolpointService.open({ database, clock, settleEveryMs: 0, sequencer: { snapshotEveryEvents } });
}

async function accepted(service: PoolpointService, commands: readonly Command[]): Promise<void> {
  const outcomes = await service.submitMany(commands);
  outcomes.forEach((outcome, index) => {
    if (outcome.kind !== 'rejected') return;
    const command = JSON.stringify(commands[index], (_key, value) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    assert.fail(`${command}: ${outcome.rejection.code} ${outcome.rejection.message}`);
  });
}

const pay = (id: string, member: number, merchant: number, amount: bigint, paidAtMs: number): Command => ({
  type: 'pay',
  id,
  member: members[member % members.length] as string,
  merchant: merchants[merchant % merchants.length] as string,
  amount: cents(amount),
  paidAtMs,
});

/** A day of trading at a few moments: orders paid, the due ones settled (many in one batch). */
async function trade(
  service: PoolpointService,
  clock: ManualClock,
  day: string,
  orders: number,
): Promise<void> {
  for (let step = 0; step < 4; step += 1) {
    const commands: Command[] = [];
    for (let index = 0; index < orders; index += 1) {
      commands.push(
        pay(
          `ord_${day}_${step}_${index}`,
          index * 7 + step,
          index + step,
          1_000n + BigInt((index * 7919) % 90_000),
          clock.now(),
        ),
      );
    }
    await accepted(service, commands);
    clock.advance(61 * minuteMs);
    await service.settleDue();
  }
}

/** Everything before the restart: setup, bulk orders, settlements, sales, exits, withdrawals, a config change. */
async function firstPart(service: PoolpointService, clock: ManualClock): Promise<void> {
  await accepted(service, [
    { type: 'configure', config: { holdWindowSeconds: '3600' } },
    ...members.map(
      (member, index): Command => ({
        type: 'registerMember',
        member,
        referrer: index === 0 ? null : (members[Math.floor((index - 1) / 2)] as string),
      }),
    ),
    {
      type: 'registerMerchant',
      merchant: merchants[0] as string,
      owner: members[1] as string,
      recruiter: members[2] as string,
      region: '440306',
      commissionRate: null,
    },
    {
      type: 'registerMerchant',
      merchant: merchants[1] as string,
      owner: null,
      recruiter: members[3] as string,
      region: '440106',
      commissionRate: null,
    },
    { type: 'appointAgent', member: members[4] as string, level: 'district', region: '440306' },
    { type: 'appointAgent', member: members[5] as string, level: 'city', region: '440300' },
    { type: 'appointAgent', member: members[6] as string, level: 'province', region: '440000' },
  ]);
  await trade(service, clock, 'd1', 40);
  // A bulk report, settled in one pass: hundreds of settlements in a batch.
  await accepted(
    service,
    Array.from({ length: bulkOrders }, (_, index) =>
      pay(`ord_bulk_${index}`, index, index, 500n + BigInt(index % 3_000), clock.now()),
    ),
  );
  clock.advance(61 * minuteMs);
  await service.settleDue();
  await accepted(
    service,
    members
      .slice(10, 16)
      .map((member, index) => ({ type: 'sell', id: `sel_a_${index}`, member, points: micros(1_000_000n) })),
  );
  clock.advance(5 * minuteMs);
  // An injection large enough to force members out in the same batch (a cascade of exits).
  await accepted(service, [{ type: 'inject', id: 'inj_a', amount: cents(20_000_000n) }]);
  assert.ok(service.state.forcedExits > 0, 'the injection forces members out');
  clock.advance(5 * minuteMs);
  await accepted(service, [
    {
      type: 'requestWithdrawal',
      id: 'wdr_a',
      member: members[0] as string,
      amount: cents(1_000n),
      requestedAtMs: clock.now(),
    },
    {
      type: 'requestWithdrawal',
      id: 'wdr_b',
      member: members[0] as string,
      amount: cents(2_000n),
      requestedAtMs: clock.now(),
    },
  ]);
  await accepted(service, [
    {
      type: 'reviewWithdrawal',
      id: 'rev_a',
      withdrawal: 'wdr_a',
      decision: 'approve',
      note: '',
      actor: 'acc_finance',
      atMs: clock.now(),
    },
    {
      type: 'reviewWithdrawal',
      id: 'rev_b',
      withdrawal: 'wdr_b',
      decision: 'reject',
      note: 'no bank account',
      actor: 'acc_finance',
      atMs: clock.now(),
    },
    { type: 'configure', config: { holdWindowSeconds: '3600', sellFee: '0.25' }, actor: 'acc_admin' },
  ]);
  clock.advance(10 * minuteMs);
  await trade(service, clock, 'd2', 25);
  // A few events after the last snapshot, which the restart replays onto it.
  await accepted(service, [pay('ord_tail', 1, 1, 12_345n, clock.now())]);
}

/** What happens after the restart (while the read models are still being rebuilt). */
async function secondPart(service: PoolpointService, clock: ManualClock): Promise<void> {
  clock.advance(10 * minuteMs);
  await trade(service, clock, 'd3', 20);
  await accepted(service, [
    {
      type: 'reviewWithdrawal',
      id: 'rev_c',
      withdrawal: 'wdr_a',
      decision: 'paid',
      note: 'ref 42',
      actor: 'acc_finance',
      atMs: clock.now(),
    },
    { type: 'inject', id: 'inj_b', amount: cents(5_000_000n) },
  ]);
}

/** Every read model of the service, by name (whatever projections it has), as data: its functions left out. */
const readModelsOf = (service: PoolpointService): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(service.readModels.current).map(([name, projection]) => [
      name,
      Object.fromEntries(Object.entries(projection).filter(([, value]) => typeof value !== 'function')),
    ]),
  );

for (const [name, testStore] of testStores) {
  describe(`read models after a restart on ${name}`, () => {
    test('rebuilt in the background from the whole log, they equal those of a process that never restarted', async () => {
      const [reference, restarted] = [await testStore(), await testStore()];
      const services: PoolpointService[] = [];
      try {
        // The process that never restarts.
        const referenceClock = new ManualClock(startMs);
        const unbroken = await open(reference.database, referenceClock);
        services.push(unbroken);
        await firstPart(unbroken, referenceClock);
        await secondPart(unbroken, referenceClock);

        // The same history, with a restart in the middle.
        const clock = new ManualClock(startMs);
        const before = await open(restarted.database, clock);
        services.push(before);
        await firstPart(before, clock);
        const head = before.node.sequencer.head.sequence;
        await before.close();
        services.splice(services.indexOf(before), 1);
        const after = await open(restarted.database, clock);
        services.push(after);
        const snapshot = after.node.snapshotSequence;
        assert.ok(
          snapshot > 0 && snapshot < head,
          `started from a snapshot (${snapshot}) before the head (${head})`,
        );
        assert.ok(head > 2 * rebuildChunkEventsMax, 'the log takes several chunks to rebuild');
        // Serving already, with read models that start at the snapshot: the gap being filled.
        assert.equal(after.readModels.progress.complete, false);
        assert.ok(after.activity.prices.length < unbroken.activity.prices.length);
        await secondPart(after, clock);
        await after.readModels.settled();
        assert.equal(after.readModels.progress.complete, true);
        assert.equal(after.readModels.progress.liveThrough, unbroken.node.sequencer.head.sequence);

        const expected = readModelsOf(unbroken);
        const rebuilt = readModelsOf(after);
        assert.deepEqual(Object.keys(rebuilt), Object.keys(expected));
        assert.ok(after.activity.prices.length > 10, 'a price history with many points');
        assert.deepEqual(after.activity.prices, unbroken.activity.prices, 'the price history');
        for (const member of members)
          assert.deepEqual(
            after.activity.memberActivity(member),
            unbroken.activity.memberActivity(member),
            member,
          );
        assert.deepEqual(
          after.activity.forcedExits(null),
          unbroken.activity.forcedExits(null),
          'forced exits',
        );
        for (const key of Object.keys(expected))
          assert.deepEqual(rebuilt[key], expected[key], `the read model "${key}"`);
        assert.deepEqual(after.state.forcedExits, unbroken.state.forcedExits);
      } finally {
        for (const service of services) await service.close().catch(() => undefined);
        await reference.cleanup();
        await restarted.cleanup();
      }
    });

    test('a start without a snapshot needs no rebuild; closing during a rebuild stops it', async () => {
      const testDatabase = await testStore();
      try {
        const clock = new ManualClock(startMs);
        const first = await PoolpointService.open({
          database: testDatabase.database,
          clock,
          settleEveryMs: 0,
        });
        await firstPart(first, clock);
        assert.equal(first.readModels.progress.complete, true);
        await first.close();
        // No snapshot was written (the default is one per 100,000 events): the load replays every event.
        const second = await PoolpointService.open({
          database: testDatabase.database,
          clock,
          settleEveryMs: 0,
        });
        assert.equal(second.node.snapshotSequence, 0);
        assert.equal(second.readModels.progress.complete, true);
        await second.close();
        const withSnapshots = await open(testDatabase.database, clock);
        await accepted(
          withSnapshots,
          Array.from({ length: snapshotEveryEvents }, (_, index) =>
            pay(`ord_more_${index}`, index, index, 1_000n, clock.now()),
          ),
        );
        await withSnapshots.close();
        const third = await open(testDatabase.database, clock);
        assert.equal(third.readModels.progress.complete, false);
        await third.close(); // stops the rebuild before the store closes, without an error
        assert.equal(third.readModels.progress.complete, false);
      } finally {
        await testDatabase.cleanup();
      }
    });
  });
}
