// The audit trail when a write is retried (issue #4: every admin or finance action lands in it, once):
// the process may stop between the ledger write and the audit entry, so a retry that answers
// `duplicate` writes the entry if it is missing, and never a second one. The crash is simulated by
// submitting the command through the service, as the route would have, without its audit entry,
// then calling the route with the same id. Also: a legacy import whose chunk was granted before the
// stop, CSV exports, and agent appointments (kept by their own id, beside the log).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Command } from '../src/domain/messages.ts';
import { cents } from '../src/domain/units.ts';
import { ApiHarness, type Caller, type Json } from './support/http.ts';

const admin = 'acc_admin';

async function auditEntries(api: ApiHarness, action: string): Promise<Json[]> {
  const answer = await api.get('/v1/audit?limit=500', api.admin);
  assert.equal(answer.status, 200, answer.text);
  return (answer.json.items as Json[]).filter((item) => item.action === action);
}

/** Runs `command` as if the route had written it and stopped before auditing it. */
async function acceptedUnaudited(api: ApiHarness, command: Command): Promise<void> {
  const outcome = await api.service.submit(command);
  assert.equal(outcome.kind, 'accepted', outcome.kind === 'rejected' ? outcome.rejection.message : '');
}

/** Calls a route twice with the same id: both answer `duplicate`; answers the entries of `action`. */
async function retried(
  api: ApiHarness,
  url: string,
  body: Json,
  action: string,
  as: Caller = api.admin,
): Promise<Json[]> {
  for (const attempt of [1, 2]) {
    const answer = await api.post(url, body, as);
    assert.equal(answer.status, 200, `${url} attempt ${attempt}: ${answer.text}`);
    assert.equal(answer.json.outcome, 'duplicate', `${url} attempt ${attempt}`);
  }
  return auditEntries(api, action);
}

describe('a duplicate retry writes the audit entry a crash lost, once', () => {
  let api: ApiHarness;
  before(async () => {
    api = await ApiHarness.open();
    await api.setup([
      { type: 'registerMember', member: 'mem_a', referrer: null },
      { type: 'registerMember', member: 'mem_b', referrer: 'mem_a' },
      {
        type: 'registerMerchant',
        merchant: 'mch_x',
        owner: null,
        recruiter: null,
        region: '440306',
        commissionRate: null,
      },
    ]);
    const config = {
      levels: [{ name: 'silver', threshold: '100.00', rate: '0.002' }],
      dividends: { share: '0.25' },
      legacy: { enabled: true, releaseDays: '3' },
    };
    const configured = await api.call('PUT', '/v1/config', {
      as: api.admin,
      body: { id: 'cfg_programs', config },
    });
    assert.equal(configured.status, 200, configured.text);
  });
  after(() => api.close());

  test('an injection', async () => {
    await acceptedUnaudited(api, { type: 'inject', id: 'inj_1', amount: cents(5000n), actor: admin });
    const entries = await retried(api, '/v1/injections', { id: 'inj_1', amount: '50.00' }, 'inject');
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actor, admin);
    assert.deepEqual(entries[0].detail, { id: 'inj_1', amount: '50.00' });
  });

  test('a member’s level, a shareholder, a coin grant', async () => {
    await acceptedUnaudited(api, {
      type: 'setMemberLevel',
      id: 'lvl_1',
      member: 'mem_b',
      level: 'silver',
      actor: admin,
    });
    await acceptedUnaudited(api, {
      type: 'setShareholder',
      id: 'sh_1',
      member: 'mem_a',
      weight: 10n,
      actor: admin,
    });
    await acceptedUnaudited(api, {
      type: 'grantCoins',
      id: 'coin_1',
      member: 'mem_a',
      coins: cents(1200n),
      reason: 'old wallet',
      actor: admin,
    });
    const levels = await retried(
      api,
      '/v1/members/mem_b/level',
      { id: 'lvl_1', level: 'silver' },
      'member.level',
    );
    assert.deepEqual(
      levels.map((entry) => [entry.actor, entry.detail]),
      [[admin, { member: 'mem_b', level: 'silver' }]],
    );
    const shareholders = await retried(
      api,
      '/v1/shareholders',
      { id: 'sh_1', member: 'mem_a', weight: '10' },
      'shareholder.set',
    );
    assert.deepEqual(
      shareholders.map((entry) => entry.detail),
      [{ member: 'mem_a', weight: '10' }],
    );
    const grants = await retried(
      api,
      '/v1/members/mem_a/coins',
      { id: 'coin_1', coins: '12.00', reason: 'old wallet' },
      'coins.grant',
    );
    assert.deepEqual(
      grants.map((entry) => entry.detail),
      [{ id: 'coin_1', member: 'mem_a', coins: '12.00' }],
    );
  });

  test('a refund', async () => {
    const paid = await api.post(
      '/v1/orders',
      { id: 'ord_1', member: 'mem_a', merchant: 'mch_x', amount: '30.00' },
      api.shop,
    );
    assert.equal(paid.status, 200, paid.text);
    await acceptedUnaudited(api, {
      type: 'refund',
      id: 'ref_1',
      order: 'ord_1',
      refundedAtMs: api.clock.now(),
      actor: admin,
    });
    const entries = await retried(api, '/v1/orders/ord_1/refund', { id: 'ref_1' }, 'order.refund');
    assert.deepEqual(
      entries.map((entry) => [entry.actor, entry.detail]),
      [[admin, { order: 'ord_1', id: 'ref_1' }]],
    );
  });

  test('the actor is the one the log keeps with the command, whoever retries', async () => {
    await acceptedUnaudited(api, { type: 'inject', id: 'inj_2', amount: cents(100n), actor: 'acc_other' });
    const entries = (await retried(api, '/v1/injections', { id: 'inj_2', amount: '1.00' }, 'inject')).filter(
      (entry) => entry.detail.id === 'inj_2',
    );
    assert.deepEqual(
      entries.map((entry) => entry.actor),
      ['acc_other'],
    );
  });

  test('an agent appointment saved as accepted, its entry lost', async () => {
    const appointment = { member: 'mem_b', level: 'district', region: '440306', actor: admin };
    await acceptedUnaudited(api, {
      type: 'appointAgent',
      member: 'mem_b',
      level: 'district',
      region: '440306',
    });
    await api.service.store.putRecord(
      'agent-appointment',
      'agt_1',
      JSON.stringify({ ...appointment, status: 'accepted' }),
      api.clock.now(),
    );
    const body = { id: 'agt_1', member: 'mem_b', level: 'district', region: '440306' };
    const entries = await retried(api, '/v1/agents', body, 'agent.appoint');
    assert.deepEqual(
      entries.map((entry) => [entry.actor, entry.detail]),
      [[admin, { id: 'agt_1', member: 'mem_b', level: 'district', region: '440306' }]],
    );
  });

  test('accepted then retried through the route: one entry, never two', async () => {
    const first = await api.post('/v1/injections', { id: 'inj_3', amount: '2.00' }, api.admin);
    assert.equal(first.json.outcome, 'accepted', first.text);
    const entries = (await retried(api, '/v1/injections', { id: 'inj_3', amount: '2.00' }, 'inject')).filter(
      (entry) => entry.detail.id === 'inj_3',
    );
    assert.equal(entries.length, 1);
    const level = await api.post('/v1/members/mem_a/level', { id: 'lvl_2', level: 'silver' }, api.admin);
    assert.equal(level.json.outcome, 'accepted', level.text);
    const levels = (
      await retried(api, '/v1/members/mem_a/level', { id: 'lvl_2', level: 'silver' }, 'member.level')
    ).filter((entry) => entry.detail.member === 'mem_a');
    assert.equal(levels.length, 1);
  });

  test('a legacy import whose grants were written before it stopped: the retry audits them, once', async () => {
    for (const [member, coins] of [
      ['mem_a', 1000n],
      ['mem_b', 250n],
    ] as const) {
      await acceptedUnaudited(api, {
        type: 'grantCoins',
        id: `crash:${member}`,
        member,
        coins: cents(coins),
        reason: 'legacy import crash',
        actor: admin,
      });
    }
    const csv = 'member,coins\nmem_a,10.00\nmem_b,2.50\n';
    for (const attempt of [1, 2]) {
      const answer = await api.post('/v1/legacy/imports', { batch: 'crash', csv }, api.admin);
      assert.equal(answer.status, 200, `attempt ${attempt}: ${answer.text}`);
      assert.equal(answer.json.duplicates, 2);
    }
    const entries = (await auditEntries(api, 'legacy.import')).filter(
      (entry) => entry.detail.batch === 'crash',
    );
    assert.deepEqual(
      entries.map((entry) => [entry.actor, entry.detail]),
      [[admin, { batch: 'crash', lines: '2-3', rows: 2, granted: 2, earlier: 2, coins: '12.50' }]],
    );
  });

  test('a legacy import granting part of a file, the rest earlier: one entry for the chunk', async () => {
    await acceptedUnaudited(api, {
      type: 'grantCoins',
      id: 'part:mem_a',
      member: 'mem_a',
      coins: cents(100n),
      reason: 'legacy import part',
      actor: admin,
    });
    const answer = await api.post(
      '/v1/legacy/imports',
      { batch: 'part', csv: 'mem_a,1.00\nmem_b,2.00\n' },
      api.admin,
    );
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual([answer.json.granted, answer.json.duplicates], [1, 1]);
    const entries = (await auditEntries(api, 'legacy.import')).filter(
      (entry) => entry.detail.batch === 'part',
    );
    assert.deepEqual(
      entries.map((entry) => entry.detail),
      [{ batch: 'part', lines: '1-2', rows: 2, granted: 2, earlier: 1, coins: '3.00' }],
    );
  });

  test('a CSV export is audited: who, which kind, which days', async () => {
    const answer = await api.get('/v1/exports/orders.csv?from=2025-03-01&to=2025-03-03', api.finance);
    assert.equal(answer.status, 200, answer.text);
    const refused = await api.get('/v1/exports/rewards.csv?from=2025-03-03&to=2025-03-01', api.finance);
    assert.equal(refused.status, 400, 'a range that ends before it starts exports nothing');
    const entries = await auditEntries(api, 'export');
    assert.deepEqual(
      entries.map((entry) => [entry.actor, entry.detail]),
      [['acc_finance', { kind: 'orders', from: '2025-03-01', to: '2025-03-03' }]],
    );
  });
});
