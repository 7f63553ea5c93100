// Regional agents over HTTP (Fastify inject): the admin appoints them (POST /v1/agents, idempotent
// by the client's id, audited), staff list them with search, filters and paging, and each lists
// what it has been paid as an agent, equal to the agent rewards of the settled orders.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pageSizeMax } from '../src/http/app.ts';
import { ppmOf, share, yuan } from './support/expected-figures.ts';
import {
  ApiHarness,
  assertProblem,
  type Caller,
  hourMs,
  type Json,
  minuteMs,
  nobody,
} from './support/http.ts';

let api: ApiHarness;
const [ann, ben, cai, dan] = ['mem_ann', 'mem_ben', 'mem_cai', 'mem_dan'];
const baoan = 'mch_baoan'; // Shenzhen Bao'an, 440306
const tianhe = 'mch_tianhe'; // Guangzhou Tianhe, 440106
let asAnn: Caller = nobody;
let asStore: Caller = nobody;

const agents = async (query = ''): Promise<Json> => {
  const answer = await api.get(`/v1/agents${query}`, api.admin);
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
};
const appoint = (body: Record<string, unknown>, as: Caller = api.admin) => api.post('/v1/agents', body, as);
const auditEntries = async (action: string): Promise<Json[]> =>
  ((await api.get('/v1/audit?limit=200', api.admin)).json.items as Json[]).filter(
    (entry) => entry.action === action,
  );

before(async () => {
  api = await ApiHarness.open();
  await api.setup([
    { type: 'configure', config: { holdWindowSeconds: String(hourMs / 1000) } },
    ...[ann, ben, cai, dan].map((member) => ({ type: 'registerMember' as const, member, referrer: null })),
    {
      type: 'registerMerchant',
      merchant: baoan,
      owner: null,
      recruiter: null,
      region: '440306',
      commissionRate: null,
    },
    {
      type: 'registerMerchant',
      merchant: tianhe,
      owner: null,
      recruiter: null,
      region: '440106',
      commissionRate: null,
    },
  ]);
  asAnn = await api.memberCaller(ann);
  await api.account('baoan', 'merchant', baoan);
  asStore = await api.signIn('baoan');
});

after(() => api.close());

describe('POST /v1/agents', () => {
  test('the admin appoints a district agent: accepted, listed, audited', async () => {
    const answer = await appoint({ id: 'agt_ann', member: ann, level: 'district', region: '440306' });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {
      outcome: 'accepted',
      agent: {
        member: ann,
        level: 'district',
        region: '440306',
        appointedAt: new Date(api.clock.now()).toISOString(),
        earnings: '0.00',
        orders: 0,
      },
    });
    assert.deepEqual((await agents()).items, [answer.json.agent]);
    const audited = await auditEntries('agent.appoint');
    assert.equal(audited.length, 1);
    assert.deepEqual(audited[0].detail, { id: 'agt_ann', member: ann, level: 'district', region: '440306' });
    assert.equal(audited[0].actor, 'acc_admin');
  });

  test('a city agent’s region is cut to its city (440306 → 440300)', async () => {
    const answer = await appoint({ id: 'agt_ben', member: ben, level: 'city', region: '440306' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.agent.region, '440300');
    assert.equal(answer.json.agent.level, 'city');
  });

  test('the same id and body again is a duplicate: nothing changed, not audited twice', async () => {
    const before = await agents();
    const again = await appoint({ id: 'agt_ann', member: ann, level: 'district', region: '440306' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.outcome, 'duplicate');
    assert.equal(again.json.agent.member, ann);
    assert.deepEqual(await agents(), before);
    assert.equal((await auditEntries('agent.appoint')).length, 2);
  });

  test('simultaneous retries of one id: one is accepted, the others are duplicates', async () => {
    const body = { id: 'agt_cai', member: cai, level: 'province', region: '440000' };
    const answers = await Promise.all([appoint(body), appoint(body), appoint(body)]);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 200],
    );
    assert.deepEqual(answers.map((answer) => answer.json.outcome).sort(), [
      'accepted',
      'duplicate',
      'duplicate',
    ]);
    assert.equal((await agents('?level=province')).total, 1);
  });

  test('the same id with other content is 409 id_reused; nothing changed', async () => {
    const before = await agents();
    assertProblem(
      await appoint({ id: 'agt_ann', member: dan, level: 'district', region: '440306' }),
      409,
      'id_reused',
      /agt_ann/,
    );
    assert.deepEqual(await agents(), before);
  });

  test('a region that already has an agent at that level is 409 agent_exists, naming it; nothing changed', async () => {
    const before = await agents();
    assertProblem(
      await appoint({ id: 'agt_dan_1', member: dan, level: 'district', region: '440306' }),
      409,
      'agent_exists',
      /440306 already has a district agent \(mem_ann\)/,
    );
    // 440399 is in Shenzhen too: its city agent is Ben's.
    assertProblem(
      await appoint({ id: 'agt_dan_1', member: dan, level: 'city', region: '440399' }),
      409,
      'agent_exists',
      /440300/,
    );
    assert.deepEqual(await agents(), before);
  });

  test('bad input is 400 with the field named; an unknown member 404; nothing changed, the id stays free', async () => {
    const before = await agents();
    const valid = { id: 'agt_dan', member: dan, level: 'district', region: '440106' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...valid, level: 'town' }, /body\.level must be equal to one of the allowed values/],
      [{ ...valid, region: '44010' }, /body\.region must match pattern/],
      [{ ...valid, region: 440106 }, /body\.region must be string/],
      [{ member: dan, level: 'district', region: '440106' }, /missing field "id"/],
      [{ ...valid, id: '' }, /body\.id/],
      [{ ...valid, commission: '0.1' }, /unknown field "commission"/],
    ];
    for (const [body, message] of cases) assertProblem(await appoint(body), 400, 'invalid_request', message);
    assertProblem(await appoint({ ...valid, member: 'mem_nobody' }), 404, 'unknown_member', /mem_nobody/);
    assert.deepEqual(await agents(), before);
    const accepted = await appoint(valid);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json.outcome, 'accepted');
  });

  test('a retry after an appointment cut short (its id claimed, the process gone) finishes it', async () => {
    const claim = (id: string, body: Record<string, string>) =>
      api.service.store.putRecord(
        'agent-appointment',
        id,
        JSON.stringify({ ...body, actor: 'acc_admin', status: 'pending' }),
        api.clock.now(),
      );
    // Cut before the ledger heard of it: the retry appoints.
    const early = { member: dan, level: 'province', region: '110000' };
    await claim('agt_cut_early', early);
    const first = await appoint({ id: 'agt_cut_early', ...early });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.outcome, 'accepted');
    // Cut after the ledger appointed it: the retry answers it instead of agent_exists.
    const late = { member: dan, level: 'city', region: '110100' };
    await api.setup([{ type: 'appointAgent', member: dan, level: 'city', region: '110100' }]);
    await claim('agt_cut_late', late);
    const second = await appoint({ id: 'agt_cut_late', ...late });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.agent.region, '110100');
    assert.equal((await appoint({ id: 'agt_cut_late', ...late })).json.outcome, 'duplicate');
  });

  test('finance, a member, a merchant or the shop is 403; no caller is 401; nothing changed', async () => {
    const before = await agents();
    const body = { id: 'agt_x', member: dan, level: 'district', region: '110105' };
    for (const caller of [api.finance, asAnn, asStore, api.shop])
      assertProblem(await appoint(body, caller), 403, 'forbidden');
    assertProblem(await appoint(body, nobody), 401, 'unauthenticated');
    assert.deepEqual(await agents(), before);
  });
});

describe('GET /v1/agents', () => {
  test('each agent’s earnings are the agent rewards of settled orders in its region (级差)', async () => {
    // SPEC.md step 4 at the default agent rates: each paid its rate over the lower levels reached.
    const [district, city, province] = [ppmOf('0.001'), ppmOf('0.002'), ppmOf('0.003')];
    const amount = 100_000n; // ¥1000.00 at Bao'an (440306): district Ann, city Ben, province Cai
    const order = await api.post(
      '/v1/orders',
      { id: 'ord_a1', member: dan, merchant: baoan, amount: '1000.00' },
      api.shop,
    );
    assert.equal(order.status, 200, order.text);
    const other = await api.post(
      '/v1/orders',
      { id: 'ord_a2', member: dan, merchant: tianhe, amount: '500.00' },
      api.shop,
    );
    assert.equal(other.status, 200, other.text);
    assert.equal(await api.advanceAndSettle(hourMs + minuteMs), 2);
    const expected = new Map([
      [ann, share(amount, district)],
      [ben, share(amount, city - district)],
      // Tianhe (440106, ¥500.00): district Dan; no city agent; province Cai again, over Dan's rate.
      [dan, share(50_000n, district)],
    ]);
    const listed = (await agents()).items as Json[];
    const byPosition = new Map(listed.map((agent) => [`${agent.member}:${agent.level}`, agent]));
    assert.equal(byPosition.get(`${ann}:district`).earnings, yuan(expected.get(ann) as bigint));
    assert.equal(byPosition.get(`${ben}:city`).earnings, yuan(expected.get(ben) as bigint));
    assert.equal(byPosition.get(`${dan}:district`).earnings, yuan(expected.get(dan) as bigint));
    const caiProvince = share(amount, province - city) + share(50_000n, province - district);
    assert.equal(byPosition.get(`${cai}:province`).earnings, yuan(caiProvince));
    assert.equal(byPosition.get(`${cai}:province`).orders, 2);
    assert.equal(byPosition.get(`${ann}:district`).orders, 1);
    // The same as the rewards each member's activity shows.
    for (const [member, earned] of [
      [ann, expected.get(ann)],
      [cai, caiProvince],
    ] as const) {
      const activity = (await api.get(`/v1/members/${member}/activity`, api.admin)).json.entries as Json[];
      const paid = activity
        .filter((entry) => entry.kind === 'reward')
        .reduce((sum, entry) => sum + BigInt(String(entry.summary.amount).replace('.', '')), 0n);
      assert.equal(paid, earned);
    }
  });

  test('filters: level, region within a province, city or district, member search; pages', async () => {
    const all = await agents();
    assert.equal(all.total, 6);
    assert.equal(all.complete, true);
    assert.deepEqual(
      all.items.map((agent: Json) => `${agent.level}:${agent.region}`),
      [
        'district:440306',
        'city:440300',
        'province:440000',
        'district:440106',
        'province:110000',
        'city:110100',
      ],
    );
    assert.deepEqual(
      (await agents('?level=district')).items.map((agent: Json) => agent.member),
      [ann, dan],
    );
    assert.equal((await agents('?region=440000')).total, 4); // all of Guangdong
    assert.deepEqual(
      (await agents('?region=440300')).items.map((agent: Json) => agent.member),
      [ann, ben],
    );
    assert.deepEqual(
      (await agents('?region=440106')).items.map((agent: Json) => agent.member),
      [dan],
    );
    assert.equal((await agents('?region=110000')).total, 2); // Beijing
    assert.equal((await agents('?region=310000')).total, 0); // Shanghai: none
    assert.deepEqual(
      (await agents('?search=CAI')).items.map((agent: Json) => agent.member),
      [cai],
    );
    const page = await agents('?offset=1&limit=2');
    assert.equal(page.total, 6);
    assert.deepEqual(
      page.items.map((agent: Json) => agent.member),
      [ben, cai],
    );
    assert.equal((await agents('?limit=9999')).items.length, Math.min(6, pageSizeMax));
  });

  test('a bad query is 400; finance reads it; a member, merchant or the shop is 403; no caller 401', async () => {
    for (const query of ['?level=town', '?region=44', '?limit=-1', '?offset=x', '?sort=member'])
      assertProblem(await api.get(`/v1/agents${query}`, api.admin), 400, 'invalid_request', /querystring/);
    assert.equal((await api.get('/v1/agents', api.finance)).status, 200);
    for (const caller of [asAnn, asStore, api.shop])
      assertProblem(await api.get('/v1/agents', caller), 403, 'forbidden');
    assertProblem(await api.get('/v1/agents', nobody), 401, 'unauthenticated');
  });
});
