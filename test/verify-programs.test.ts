// `verify` on a log that uses every program of docs/rules.md at once (levels and team rewards, a
// campaign, dividends, consumption coins with locked points and locked cash) and an admin's
// `configure` with its actor: the recomputed log agrees, cash is conserved with the dividend pool,
// coins and locked cash in the sum, and a tampered amount is still named.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from '../src/domain/messages.ts';
import { cents, micros } from '../src/domain/units.ts';
import { openLedger, openStore } from '../src/store/ledger.ts';
import { verifyLog } from '../src/store/verify.ts';
import { testStores } from './support/stores.ts';

const dayMs = 86_400_000;
const startMs = Date.UTC(2026, 0, 5);

const config = {
  holdWindowSeconds: '0',
  levels: [
    { name: 'silver', threshold: '100.00', rate: '0.002' },
    { name: 'gold', threshold: '1000.00', rate: '0.004' },
  ],
  teamRewards: { enabled: true, depthMax: '2', peerShare: '0.10' },
  campaigns: [
    {
      id: 'clear-1',
      merchant: 'mch_a',
      startMs: String(startMs),
      endMs: String(startMs + dayMs),
      mintRatio: '0.90',
    },
  ],
  dividends: { share: '0.20' },
  legacy: { enabled: true, releaseDays: '3' },
};

function history(): Command[] {
  const commands: Command[] = [
    { type: 'configure', config: config as never, actor: 'acct_admin' },
    { type: 'registerMember', member: 'mem_root', referrer: null },
    { type: 'registerMember', member: 'mem_mid', referrer: 'mem_root' },
    { type: 'registerMember', member: 'mem_buyer', referrer: 'mem_mid' },
    {
      type: 'registerMerchant',
      merchant: 'mch_a',
      owner: 'mem_root',
      recruiter: 'mem_mid',
      region: '440306',
      commissionRate: null,
    },
    { type: 'appointAgent', member: 'mem_root', level: 'district', region: '440306' },
    { type: 'setShareholder', id: 'sh_1', member: 'mem_root', weight: 3n, actor: 'acct_admin' },
    { type: 'setShareholder', id: 'sh_2', member: 'mem_mid', weight: 1n, actor: 'acct_admin' },
    {
      type: 'grantCoins',
      id: 'coin_1',
      member: 'mem_buyer',
      coins: cents(50_000n),
      reason: 'legacy import',
      actor: 'acct_admin',
    },
    { type: 'setMemberLevel', id: 'lvl_1', member: 'mem_mid', level: 'gold', actor: 'acct_admin' },
  ] as Command[];
  for (let index = 0; index < 12; index += 1) {
    const paidAtMs = startMs + index * 4 * 3_600_000;
    const member = index % 3 === 0 ? 'mem_buyer' : index % 3 === 1 ? 'mem_mid' : 'mem_root';
    const coins = member === 'mem_buyer' ? { coins: cents(10_000n) } : {};
    commands.push({
      type: 'pay',
      id: `ord_${index}`,
      member,
      merchant: 'mch_a',
      amount: cents(100_000n),
      paidAtMs,
      ...coins,
    } as Command);
    commands.push({ type: 'settle', order: `ord_${index}`, nowMs: paidAtMs } as Command);
  }
  commands.push({
    type: 'order',
    id: 'ord_now',
    member: 'mem_buyer',
    merchant: 'mch_a',
    amount: cents(20_000n),
    coins: cents(5_000n),
  } as Command);
  commands.push({ type: 'settleDividends', id: 'div_1', day: '2026-01-05', actor: 'acct_admin' } as Command);
  commands.push({ type: 'releaseLocked', id: 'rel_1', day: '2026-01-06' } as Command);
  commands.push({ type: 'sell', id: 'sel_1', member: 'mem_root', points: micros(1_000_000n) } as Command);
  commands.push({ type: 'releaseLocked', id: 'rel_2', day: '2026-01-07' } as Command);
  commands.push({ type: 'settleDividends', id: 'div_2', day: '2026-01-06', actor: 'acct_admin' } as Command);
  return commands;
}

for (const [name, makeStore] of testStores) {
  describe(`verify with every program on, on ${name}`, () => {
    test('given a log using every program and an admin configure with its actor, verify passes', async () => {
      const testStore = await makeStore();
      try {
        const store = await openStore(testStore.database);
        const ledger = await openLedger(store, { snapshotEveryEvents: 10 });
        try {
          for (const command of history()) {
            const [outcome] = await ledger.sequencer.submitMany([command]);
            const why = outcome?.kind === 'rejected' ? outcome.rejection.message : outcome?.kind;
            assert.equal(outcome?.kind, 'accepted', `${command.type}: ${why}`);
          }
          const state = ledger.state;
          assert.ok(state.dividends.pool >= 0n);
          assert.ok(state.platform !== 0n);
        } finally {
          await ledger.close();
        }
        const reopened = await openStore(testStore.database);
        try {
          const report = await verifyLog(reopened);
          assert.equal(report.ok, true, JSON.stringify(report.firstDisagreement));
          assert.ok(report.snapshotsChecked >= 1);
        } finally {
          await reopened.close();
        }
      } finally {
        await testStore.cleanup();
      }
    });
  });
}
