// Merchant onboarding with admin approval, and the compliance report beside the configuration.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildApp } from '../src/http/app.ts';
import { ManualClock } from '../src/service/clock.ts';
import { PoolpointService } from '../src/service/service.ts';
import { sqliteTestStore, type TestStore } from './support/stores.ts';

let store: TestStore;
let service: PoolpointService;
let app: ReturnType<typeof buildApp>;

async function signIn(login: string, password: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { login, password } });
  assert.equal(response.statusCode, 200, response.body);
  return `Bearer ${response.json().token}`;
}

before(async () => {
  store = await sqliteTestStore();
  service = await PoolpointService.open({
    database: store.database,
    clock: new ManualClock(1_790_000_000_000),
    settleEveryMs: 0,
  });
  app = buildApp(service);
  await service.submit({ type: 'registerMember', member: 'mem_owner', referrer: null });
  await service.submit({ type: 'registerMember', member: 'mem_promoter', referrer: null });
  const at = service.clock.now();
  await service.accounts.create(
    { id: 'acc_admin', login: 'admin', role: 'admin', subject: null, createdAtMs: at },
    'admin-password',
  );
  await service.accounts.create(
    { id: 'acc_owner', login: 'owner', role: 'member', subject: 'mem_owner', createdAtMs: at },
    'owner-password',
  );
});

after(async () => {
  await app.close();
  await service.close();
  await store.cleanup();
});

test('a member applies, an admin approves: the store is registered with the applicant as owner and its staff can sign in', async () => {
  const member = await signIn('owner', 'owner-password');
  const applied = await app.inject({
    method: 'POST',
    url: '/v1/merchant-applications',
    headers: { authorization: member },
    payload: {
      name: '宝安茶饮',
      region: '440306',
      recruiter: 'mem_promoter',
      login: 'teashop',
      password: 'teashop-password',
    },
  });
  assert.equal(applied.statusCode, 200, applied.body);
  const application = applied.json();
  assert.equal(application.status, 'pending');
  assert.equal(application.passwordHash, undefined);

  const byMember = await app.inject({
    method: 'GET',
    url: '/v1/merchant-applications',
    headers: { authorization: member },
  });
  assert.equal(byMember.statusCode, 403);

  const admin = await signIn('admin', 'admin-password');
  const approved = await app.inject({
    method: 'POST',
    url: `/v1/merchant-applications/${application.id}/decision`,
    headers: { authorization: admin },
    payload: { decision: 'approve' },
  });
  assert.equal(approved.statusCode, 200, approved.body);
  const merchant = approved.json().merchant as string;
  assert.match(merchant, /^mch_/);
  const registered = service.state.merchants.get(merchant);
  assert.equal(registered?.region, '440306');
  assert.equal(service.state.members.id(registered?.owner ?? -1), 'mem_owner');
  assert.equal(service.state.members.id(registered?.recruiter ?? -1), 'mem_promoter');

  const staff = await signIn('teashop', 'teashop-password');
  const view = await app.inject({
    method: 'GET',
    url: `/v1/merchants/${merchant}`,
    headers: { authorization: staff },
  });
  assert.equal(view.statusCode, 200, view.body);
  assert.equal(view.json().payable, '0.00');

  const again = await app.inject({
    method: 'POST',
    url: `/v1/merchant-applications/${application.id}/decision`,
    headers: { authorization: admin },
    payload: { decision: 'reject', reason: 'late' },
  });
  assert.equal(again.statusCode, 422);

  const audit = await app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: admin } });
  assert.ok(
    audit
      .json()
      .items.some(
        (item: { action: string; actor: string }) =>
          item.action === 'merchant-application.approve' && item.actor === 'acc_admin',
      ),
  );
});

test('a rejection needs a reason; an application for a taken login is refused', async () => {
  const member = await signIn('owner', 'owner-password');
  const admin = await signIn('admin', 'admin-password');
  const applied = await app.inject({
    method: 'POST',
    url: '/v1/merchant-applications',
    headers: { authorization: member },
    payload: { name: 'noodles', region: '440106', login: 'noodles', password: 'noodles-password' },
  });
  const id = applied.json().id as string;
  const noReason = await app.inject({
    method: 'POST',
    url: `/v1/merchant-applications/${id}/decision`,
    headers: { authorization: admin },
    payload: { decision: 'reject' },
  });
  assert.equal(noReason.statusCode, 400);
  const rejected = await app.inject({
    method: 'POST',
    url: `/v1/merchant-applications/${id}/decision`,
    headers: { authorization: admin },
    payload: { decision: 'reject', reason: 'no business licence' },
  });
  assert.equal(rejected.json().status, 'rejected');
  const taken = await app.inject({
    method: 'POST',
    url: '/v1/merchant-applications',
    headers: { authorization: member },
    payload: { name: 'x', region: '440106', login: 'admin', password: 'whatever-password' },
  });
  assert.equal(taken.statusCode, 409);
});

test('the compliance report is beside the configuration for staff', async () => {
  const admin = await signIn('admin', 'admin-password');
  const report = await app.inject({
    method: 'GET',
    url: '/v1/compliance',
    headers: { authorization: admin },
  });
  assert.equal(report.statusCode, 200);
  const staticReturn = report
    .json()
    .findings.find((finding: { rule: string }) => finding.rule === 'maximum static return');
  assert.equal(staticReturn.level, 'green');
});
