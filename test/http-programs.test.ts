// The programs over HTTP (src/http/programs.ts and the order, payment and config routes they extend),
// in-process (Fastify inject): off by default (nothing to grant, no level to set, nothing paid);
// the configuration's deep merge (lists replace, objects merge); a member's level set and cleared;
// shareholders, the dividend pool and settled days, with figures worked from docs/rules.md; coins
// granted one at a time and imported from CSV (JSON or a text/csv body, line-numbered problems,
// nothing granted if any line is bad, nothing granted twice); orders and store payments paid partly
// in coins; locked points with their release schedule; the read models' entries for the new events,
// the same after a restart from a snapshot; 400, 401, 403 and retries of client-chosen ids.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PoolpointService } from '../src/service/service.ts';
import {
  type Answer,
  ApiHarness,
  assertProblem,
  type Caller,
  dayMs,
  hourMs,
  type Json,
  nobody,
  startMs,
} from './support/http.ts';
import { sqliteTestStore, type TestStore } from './support/stores.ts';

const hold = hourMs;
/** Midnight at the start of 2025-03-DD in the operator's zone (UTC+08:00). */
const operatorMidnight = (dayOfMarch: number): number => Date.UTC(2025, 2, dayOfMarch) - 8 * hourMs;

const merchantSetup = {
  type: 'registerMerchant',
  merchant: 'mch_x',
  owner: null,
  recruiter: null,
  region: null,
  commissionRate: null,
} as const;

async function openWith(store?: TestStore): Promise<ApiHarness> {
  const api = await ApiHarness.open(store);
  await api.setup([
    { type: 'configure', config: { holdWindowSeconds: String(hold / 1000) } },
    { type: 'registerMember', member: 'mem_a', referrer: null },
    { type: 'registerMember', member: 'mem_b', referrer: 'mem_a' },
    { type: 'registerMember', member: 'mem_u', referrer: 'mem_b' },
    { type: 'registerMember', member: 'mem_solo', referrer: null },
    merchantSetup,
  ]);
  return api;
}

function expectOk(answer: Answer, what: string): Json {
  assert.equal(answer.status, 200, `${what}: ${answer.text}`);
  return answer.json;
}

let configurations = 0;
async function configure(api: ApiHarness, config: Json): Promise<Json> {
  configurations += 1;
  const body = { id: `cfg_${configurations}`, config };
  return expectOk(await api.call('PUT', '/v1/config', { as: api.admin, body }), 'PUT /v1/config').config;
}

async function order(api: ApiHarness, body: Json): Promise<Answer> {
  return api.post('/v1/orders', { merchant: 'mch_x', ...body }, api.shop);
}

async function settleAll(api: ApiHarness): Promise<void> {
  api.clock.advance(hold);
  await api.service.settleDue();
  await api.signInStaff();
}

/** The legacy upload with the file itself as the body (text/csv). */
async function uploadCsv(
  api: ApiHarness,
  query: string,
  csv: string,
  as: Caller = api.admin,
): Promise<Answer> {
  const response = await api.app.inject({
    method: 'POST',
    url: `/v1/legacy/imports?${query}`,
    headers: { 'content-type': 'text/csv; charset=utf-8', authorization: `Bearer ${as.token}` },
    payload: csv,
  });
  return {
    status: response.statusCode,
    text: response.body,
    json: JSON.parse(response.body),
    headers: response.headers as Answer['headers'],
  };
}

describe('off by default', () => {
  let api: ApiHarness;
  before(async () => {
    api = await openWith();
  });
  after(() => api.close());

  test('GET /v1/programs: every program off, the settings at their defaults, no team pay', async () => {
    const programs = expectOk(await api.get('/v1/programs', api.finance), 'programs');
    assert.deepEqual(programs.on, { levels: false, teamRewards: false, dividends: false, legacy: false });
    assert.deepEqual(programs.settings, {
      levels: [],
      teamRewards: { enabled: false, depthMax: '2', peerShare: '0.000000' },
      campaigns: [],
      dividends: { share: '0.000000' },
      legacy: { enabled: false, releaseDays: '30' },
    });
    const teamPay = programs.findings.find((finding: Json) => finding.rule === 'team-based pay');
    assert.equal(teamPay.level, 'green');
    assert.equal(programs.utcOffset, '+08:00');
    assert.equal(programs.legacy.granted, '0.00');
    assert.equal(programs.dividends.pool, '0.00');
  });

  test('a member’s programs: no level, no coins, nothing locked, no dividends', async () => {
    const asU = await api.memberCaller('mem_u');
    const mine = expectOk(await api.get('/v1/members/mem_u/programs', asU), 'member programs');
    assert.deepEqual(mine, {
      member: 'mem_u',
      programs: { levels: false, teamRewards: false, dividends: false, legacy: false },
      level: null,
      levelSetByAdmin: false,
      levelOverride: null,
      coins: '0.00',
      lockedPoints: '0.000000',
      lockedCash: '0.00',
      release: null,
      shareholderWeight: '0',
      shareOfWeights: null,
      dividendsReceived: '0.00',
    });
    assertProblem(await api.get('/v1/members/mem_a/programs', asU), 403, 'forbidden');
    assertProblem(await api.get('/v1/members/mem_u/programs'), 401, 'unauthenticated');
    assertProblem(await api.get('/v1/members/mem_nobody/programs', api.admin), 404, 'unknown_member');
  });

  test('no coins can be granted or imported while legacy conversion is off; nothing changes', async () => {
    await api.unchanged(['mem_u'], async () => {
      const grant = { id: 'grant_off', coins: '10.00', reason: 'old balance' };
      assertProblem(await api.post('/v1/members/mem_u/coins', grant, api.admin), 422, 'legacy_off');
      const csv = 'mem_a,10.00\nmem_b,5.00\n';
      // A dry run still checks the file, and says the program is off.
      const dry = expectOk(
        await api.post('/v1/legacy/imports', { batch: 'early', csv, dryRun: true }, api.admin),
        'dry run',
      );
      assert.deepEqual([dry.rows, dry.new, dry.coins, dry.legacyEnabled], [2, 2, '15.00', false]);
      assertProblem(
        await api.post('/v1/legacy/imports', { batch: 'early', csv }, api.admin),
        422,
        'legacy_off',
      );
    });
    assert.equal(api.service.state.legacy.granted, 0n);
  });

  test('no level can be set while none is configured', async () => {
    assertProblem(
      await api.post('/v1/members/mem_b/level', { id: 'lvl_off', level: 'gold' }, api.admin),
      422,
      'unknown_level',
      /none are configured/,
    );
  });
});

describe('levels and team rewards; the configuration’s merge', () => {
  let api: ApiHarness;
  const silver = { name: 'silver', threshold: '100.00', rate: '0.002' };
  const gold = { name: 'gold', threshold: '1000.00', rate: '0.005' };
  before(async () => {
    api = await openWith();
  });
  after(() => api.close());

  test('PUT /v1/config: lists (levels, campaigns) replace the old list, objects merge key by key', async () => {
    let config = await configure(api, { levels: [silver, gold] });
    assert.deepEqual(
      config.levels,
      [silver, gold].map((level) => ({ ...level, rate: `${level.rate}000` })),
    );
    config = await configure(api, { levels: [gold] });
    assert.deepEqual(
      config.levels.map((level: Json) => level.name),
      ['gold'],
      'the list replaced, not merged by position',
    );
    config = await configure(api, { teamRewards: { enabled: true } });
    config = await configure(api, { teamRewards: { peerShare: '0.1' } });
    assert.deepEqual(config.teamRewards, { enabled: true, depthMax: '2', peerShare: '0.100000' });
    const campaign = (id: string) => ({
      id,
      merchant: 'mch_x',
      startMs: String(startMs),
      endMs: String(startMs + dayMs),
      mintRatio: '0.9',
    });
    config = await configure(api, { campaigns: [campaign('spring'), campaign('summer')] });
    config = await configure(api, { campaigns: [campaign('autumn')] });
    assert.deepEqual(
      config.campaigns.map((item: Json) => item.id),
      ['autumn'],
    );
    config = await configure(api, { campaigns: [], levels: [silver, gold] });
    assert.equal(config.campaigns, undefined, 'an empty list: none, printed as before they existed');
  });

  test('the compliance preview of a deeper team walk is red; nothing is saved', async () => {
    const before = expectOk(await api.get('/v1/config', api.admin), 'config');
    const preview = expectOk(
      await api.post('/v1/compliance/preview', { config: { teamRewards: { depthMax: '3' } } }, api.admin),
      'preview',
    );
    const teamPay = preview.findings.find((finding: Json) => finding.rule === 'team-based pay');
    assert.equal(teamPay.level, 'red');
    assert.deepEqual(expectOk(await api.get('/v1/config', api.admin), 'config'), before);
    const programs = expectOk(await api.get('/v1/programs', api.admin), 'programs');
    assert.equal(programs.findings.find((finding: Json) => finding.rule === 'team-based pay').level, 'amber');
    assert.deepEqual(programs.on, { levels: true, teamRewards: true, dividends: false, legacy: false });
  });

  test('POST /v1/members/:member/level: set, retried, refused, cleared; audited; in the history', async () => {
    const set = await api.post('/v1/members/mem_b/level', { id: 'lvl_1', level: 'gold' }, api.admin);
    assert.deepEqual(expectOk(set, 'set'), {
      outcome: 'accepted',
      member: 'mem_b',
      level: 'gold',
      levelSetByAdmin: true,
    });
    await api.unchanged(['mem_b'], async () => {
      const again = await api.post('/v1/members/mem_b/level', { id: 'lvl_1', level: 'gold' }, api.admin);
      assert.equal(expectOk(again, 'retry').outcome, 'duplicate');
      assertProblem(
        await api.post('/v1/members/mem_b/level', { id: 'lvl_1', level: 'silver' }, api.admin),
        409,
        'id_reused',
      );
      assertProblem(
        await api.post('/v1/members/mem_b/level', { id: 'lvl_2', level: 'platinum' }, api.admin),
        422,
        'unknown_level',
        /"platinum" is not a configured level \(silver, gold\)/,
      );
      assertProblem(
        await api.post('/v1/members/mem_nobody/level', { id: 'lvl_3', level: 'gold' }, api.admin),
        404,
        'unknown_member',
      );
      assertProblem(
        await api.post('/v1/members/mem_b/level', { id: 'lvl_4', level: 5 }, api.admin),
        400,
        'invalid_request',
      );
      assertProblem(
        await api.post('/v1/members/mem_b/level', { level: 'gold' }, api.admin),
        400,
        'invalid_request',
      );
      assertProblem(
        await api.post('/v1/members/mem_b/level', { id: 'lvl_5', level: 'gold', colour: 'red' }, api.admin),
        400,
        'invalid_request',
        /unknown field "colour"/,
      );
    });
    const mine = expectOk(await api.get('/v1/members/mem_b/programs', api.admin), 'programs');
    assert.deepEqual([mine.level, mine.levelSetByAdmin, mine.levelOverride], ['gold', true, 'gold']);
    const programs = expectOk(await api.get('/v1/programs', api.admin), 'programs');
    assert.deepEqual(programs.levelOverrides.items, [
      { member: 'mem_b', level: 'gold', inUse: true, holds: 'gold' },
    ]);
    assert.deepEqual(
      programs.levelChanges.map((change: Json) => [change.member, change.level, change.actor]),
      [['mem_b', 'gold', 'acc_admin']],
    );
    const audit = expectOk(await api.get('/v1/audit', api.admin), 'audit');
    assert.ok(
      audit.items.some((item: Json) => item.action === 'member.level' && item.detail.member === 'mem_b'),
    );
    const activity = expectOk(await api.get('/v1/members/mem_b/activity', api.admin), 'activity');
    assert.deepEqual(activity.entries[0].summary, { level: 'gold', actor: 'acc_admin' });
    assert.equal(activity.entries[0].kind, 'level.set');
  });

  test('the level pays the differential on a downline’s order; cleared, the earned level applies', async () => {
    // mem_u (no consumption) buys 1000.00; mem_b (gold by hand) is its referrer: direct 3.00 and the
    // differential 1000.00 × 0.005 = 5.00; mem_a (no level) gets the indirect 2.00 and no differential.
    expectOk(await order(api, { id: 'ord_team_1', member: 'mem_u', amount: '1000.00' }), 'order');
    await settleAll(api);
    const rewards = expectOk(await api.get('/v1/members/mem_b/activity', api.admin), 'activity')
      .entries.filter((entry: Json) => entry.kind === 'reward')
      .map((entry: Json) => [entry.summary.kind, entry.summary.amount]);
    assert.deepEqual(rewards.sort(), [
      ['direct', '3.00'],
      ['levelDifferential', '5.00'],
    ]);
    const clear = await api.post('/v1/members/mem_b/level', { id: 'lvl_clear', level: null }, api.admin);
    assert.deepEqual(expectOk(clear, 'clear'), {
      outcome: 'accepted',
      member: 'mem_b',
      level: null,
      levelSetByAdmin: false,
    });
    assert.equal(expectOk(await api.get('/v1/programs', api.admin), 'programs').levelOverrides.total, 0);
    // mem_u has consumed 1000.00 itself: gold is earned.
    assert.equal(expectOk(await api.get('/v1/members/mem_u/programs', api.admin), 'u').level, 'gold');
  });

  test('401 without a caller; 403 for finance, a member and the shop', async () => {
    const asU = await api.memberCaller('mem_u');
    for (const as of [api.finance, asU, api.shop]) {
      assertProblem(
        await api.post('/v1/members/mem_b/level', { id: 'lvl_x', level: null }, as),
        403,
        'forbidden',
      );
    }
    assertProblem(
      await api.post('/v1/members/mem_b/level', { id: 'lvl_x', level: null }),
      401,
      'unauthenticated',
    );
    for (const as of [asU, api.shop]) assertProblem(await api.get('/v1/programs', as), 403, 'forbidden');
    assertProblem(await api.get('/v1/programs'), 401, 'unauthenticated');
  });
});

describe('dividends and legacy conversion', () => {
  let store: TestStore;
  let api: ApiHarness;
  let asU: Caller = nobody;
  before(async () => {
    store = await sqliteTestStore();
    api = await openWith(store);
    asU = await api.memberCaller('mem_u');
  });
  after(async () => {
    await api.app.close();
    await api.service.close();
    await store.cleanup();
  });

  test('POST /v1/shareholders: weights set, retried, refused; listed with their share of the weights', async () => {
    await configure(api, { dividends: { share: '0.25' } });
    for (const [id, member, weight] of [
      ['sh_1', 'mem_a', '1'],
      ['sh_2', 'mem_b', '2'],
    ] as const) {
      const set = expectOk(await api.post('/v1/shareholders', { id, member, weight }, api.admin), id);
      assert.equal(set.outcome, 'accepted');
      assert.equal(set.shareholder.weight, weight);
    }
    await api.unchanged(['mem_a'], async () => {
      const again = await api.post(
        '/v1/shareholders',
        { id: 'sh_1', member: 'mem_a', weight: '1' },
        api.admin,
      );
      assert.equal(expectOk(again, 'retry').outcome, 'duplicate');
      const other = { id: 'sh_1', member: 'mem_a', weight: '5' };
      assertProblem(await api.post('/v1/shareholders', other, api.admin), 409, 'id_reused');
      const heavy = { id: 'sh_3', member: 'mem_a', weight: '1000000001' };
      assertProblem(await api.post('/v1/shareholders', heavy, api.admin), 400, 'invalid_weight');
      const decimal = { id: 'sh_4', member: 'mem_a', weight: '1.5' };
      assertProblem(await api.post('/v1/shareholders', decimal, api.admin), 400, 'invalid_request', /weight/);
      const nobodyThere = { id: 'sh_5', member: 'mem_nobody', weight: '1' };
      assertProblem(await api.post('/v1/shareholders', nobodyThere, api.admin), 404, 'unknown_member');
      for (const as of [api.finance, asU, api.shop])
        assertProblem(
          await api.post('/v1/shareholders', { id: 'sh_6', member: 'mem_a', weight: '1' }, as),
          403,
          'forbidden',
        );
      assertProblem(
        await api.post('/v1/shareholders', { id: 'sh_6', member: 'mem_a', weight: '1' }),
        401,
        'unauthenticated',
      );
    });
    const listed = expectOk(await api.get('/v1/shareholders', api.finance), 'shareholders');
    assert.deepEqual(listed, {
      total: 2,
      totalWeight: '3',
      items: [
        { member: 'mem_a', weight: '1', shareOfWeights: '0.333333', dividendsReceived: '0.00' },
        { member: 'mem_b', weight: '2', shareOfWeights: '0.666666', dividendsReceived: '0.00' },
      ],
    });
    assertProblem(await api.get('/v1/shareholders', asU), 403, 'forbidden');
  });

  test('the pool accrues a quarter of what the platform keeps; the finished day is paid by weight', async () => {
    // docs/rules.md: 1000.00 at 20% with nobody to reward keeps 40.00; a quarter, 10.00, to the pool.
    expectOk(await order(api, { id: 'ord_div_1', member: 'mem_solo', amount: '1000.00' }), 'order');
    await settleAll(api);
    let dividends = expectOk(await api.get('/v1/dividends', api.finance), 'dividends');
    assert.deepEqual(
      [dividends.share, dividends.pool, dividends.lastDay, dividends.total],
      ['0.250000', '10.00', null, 0],
    );
    assert.equal(await api.service.runDaily(), 0, 'the day is not over');
    api.clock.advance(operatorMidnight(4) - api.clock.now());
    await api.signInStaff();
    assert.equal(await api.service.runDaily(), 1);
    dividends = expectOk(await api.get('/v1/dividends', api.admin), 'dividends');
    assert.deepEqual(dividends.items, [
      {
        day: '2025-03-03',
        atMs: operatorMidnight(4),
        pool: '10.00',
        paid: '9.99',
        payments: 2,
        carried: '0.01',
      },
    ]);
    assert.deepEqual(
      [dividends.pool, dividends.lastDay, dividends.accrued, dividends.paid],
      ['0.01', '2025-03-03', '10.00', '9.99'],
    );
    const listed = expectOk(await api.get('/v1/shareholders?search=mem_b', api.admin), 'shareholders');
    assert.deepEqual(
      listed.items.map((item: Json) => item.dividendsReceived),
      ['6.66'],
    );
    const mine = expectOk(await api.get('/v1/members/mem_a/programs', api.admin), 'mem_a');
    assert.deepEqual(
      [mine.dividendsReceived, mine.shareholderWeight, mine.shareOfWeights],
      ['3.33', '1', '0.333333'],
    );
    // Dividends are wallet cash, and in the member's history.
    assert.equal(expectOk(await api.get('/v1/members/mem_a', api.admin), 'summary').wallet, '3.33');
    const activity = expectOk(await api.get('/v1/members/mem_a/activity', api.admin), 'activity');
    assert.deepEqual(
      activity.entries.filter((entry: Json) => entry.kind === 'dividend').map((entry: Json) => entry.summary),
      [{ day: '2025-03-03', amount: '3.33' }],
    );
    const daily = expectOk(
      await api.get('/v1/reports/daily?from=2025-03-03&to=2025-03-04', api.finance),
      'daily',
    );
    assert.deepEqual(
      daily.days.map((day: Json) => [day.day, day.dividendAccrued, day.dividendsPaid]),
      [
        ['2025-03-03', '10.00', '0.00'],
        ['2025-03-04', '0.00', '9.99'],
      ],
    );
  });

  test('POST /v1/members/:member/coins: granted, retried, refused; the member sees the coins', async () => {
    await configure(api, { legacy: { enabled: true, releaseDays: '3' } });
    // The scheduler's pass that follows: the program is on, so today's release run is sent.
    assert.equal(await api.service.runDaily(), 1);
    asU = await api.memberCaller('mem_u');
    const grant = { id: 'grant_u', coins: '500.00', reason: 'balance in the old app' };
    const granted = expectOk(await api.post('/v1/members/mem_u/coins', grant, api.admin), 'grant');
    assert.equal(granted.outcome, 'accepted');
    assert.equal(granted.member.coins, '500.00');
    await api.unchanged(['mem_u'], async () => {
      assert.equal(
        expectOk(await api.post('/v1/members/mem_u/coins', grant, api.admin), 'retry').outcome,
        'duplicate',
      );
      const other = { ...grant, coins: '501.00' };
      assertProblem(await api.post('/v1/members/mem_u/coins', other, api.admin), 409, 'id_reused');
      const zero = { ...grant, id: 'grant_0', coins: '0.00' };
      assertProblem(await api.post('/v1/members/mem_u/coins', zero, api.admin), 400, 'invalid_amount');
      const blank = { ...grant, id: 'grant_blank', reason: '   ' };
      assertProblem(await api.post('/v1/members/mem_u/coins', blank, api.admin), 400, 'malformed', /reason/);
      const noReason = { id: 'grant_nr', coins: '1.00' };
      assertProblem(await api.post('/v1/members/mem_u/coins', noReason, api.admin), 400, 'invalid_request');
      const fraction = { ...grant, id: 'grant_f', coins: '1.001' };
      assertProblem(await api.post('/v1/members/mem_u/coins', fraction, api.admin), 400, 'invalid_request');
      for (const as of [api.finance, asU, api.shop])
        assertProblem(
          await api.post('/v1/members/mem_u/coins', { ...grant, id: 'grant_x' }, as),
          403,
          'forbidden',
        );
      assertProblem(
        await api.post('/v1/members/mem_nobody/coins', { ...grant, id: 'grant_n' }, api.admin),
        404,
        'unknown_member',
      );
    });
    const activity = expectOk(await api.get('/v1/members/mem_u/activity', asU), 'activity');
    assert.deepEqual(activity.entries[0], {
      ...activity.entries[0],
      kind: 'coins.granted',
      summary: { grant: 'grant_u', coins: '500.00', reason: 'balance in the old app' },
    });
  });

  test('an import with bad lines names each line and grants nothing', async () => {
    const csv = 'member,coins,reason\nmem_a,10.00,ok\nmem_zz,5.00\n\nmem_b,1e3\nmem_a,1.00\n';
    const answer = await api.post('/v1/legacy/imports', { batch: 'bad', csv }, api.admin);
    assertProblem(answer, 400, 'invalid_csv', /^line 3: mem_zz is not a member; line 5: coins: /);
    assert.deepEqual(
      answer.json.problems.map((problem: Json) => problem.line),
      [3, 5, 6],
    );
    assert.match(answer.json.problems[2].message, /listed twice \(first on line 2\)/);
    // A check answers the same problems without an error status.
    const check = expectOk(
      await api.post('/v1/legacy/imports', { batch: 'bad', csv, dryRun: true }, api.admin),
      'check',
    );
    assert.deepEqual([check.valid, check.code, check.problems], [false, 'invalid_csv', answer.json.problems]);
    assert.equal(expectOk(await api.get('/v1/members/mem_a/programs', api.admin), 'a').coins, '0.00');
    assertProblem(
      await api.post('/v1/legacy/imports', { batch: 'no spaces', csv: 'mem_a,1' }, api.admin),
      400,
      'invalid_request',
      /batch/,
    );
    assertProblem(
      await api.post('/v1/legacy/imports', { csv: 'mem_a,1' }, api.admin),
      400,
      'invalid_request',
      /batch/,
    );
  });

  test('an import as a text/csv body grants each row once; again, nothing; changed, 409 with the line', async () => {
    const csv = '\uFEFFmem_a,100.00\r\nmem_b,50.50,"moved from the old app, 2019"\r\n';
    const dry = expectOk(await uploadCsv(api, 'batch=b1&dryRun=true', csv), 'dry run');
    assert.deepEqual([dry.dryRun, dry.valid, dry.rows, dry.new, dry.coins], [true, true, 2, 2, '150.50']);
    assert.equal(expectOk(await api.get('/v1/members/mem_a/programs', api.admin), 'a').coins, '0.00');
    const imported = expectOk(await uploadCsv(api, 'batch=b1', csv), 'import');
    assert.deepEqual(
      [imported.rows, imported.granted, imported.duplicates, imported.coins, imported.refused],
      [2, 2, 0, '150.50', []],
    );
    const again = expectOk(await uploadCsv(api, 'batch=b1', csv), 'again');
    assert.deepEqual([again.granted, again.duplicates, again.coins], [0, 2, '0.00']);
    const changed = await uploadCsv(api, 'batch=b1', 'mem_a,100.00\nmem_b,60.00\n');
    assertProblem(changed, 409, 'id_reused', /^line 2: mem_b was already granted 50.50 by b1:mem_b/);
    assert.equal(expectOk(await api.get('/v1/members/mem_b/programs', api.admin), 'b').coins, '50.50');
    // JSON with the text is the same import.
    const json = expectOk(await api.post('/v1/legacy/imports', { batch: 'b1', csv }, api.admin), 'json');
    assert.equal(json.duplicates, 2);
    assertProblem(await uploadCsv(api, 'batch=b2', 'mem_a,1.00\n', asU), 403, 'forbidden');
    // CSV sent to another route is refused as a field that route does not know.
    const elsewhere = await api.app.inject({
      method: 'POST',
      url: '/v1/injections',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${api.admin.token}` },
      payload: 'mem_a,1.00',
    });
    assert.equal(elsewhere.statusCode, 400);
    // text/plain, which a page of another site can post without asking first, is not accepted.
    const plain = await api.app.inject({
      method: 'POST',
      url: '/v1/legacy/imports?batch=b3',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${api.admin.token}` },
      payload: 'mem_a,1.00',
    });
    assert.equal(plain.statusCode, 400, plain.body);
    assert.equal(expectOk(await api.get('/v1/members/mem_a/programs', api.admin), 'a').coins, '100.00');
    const legacy = expectOk(await api.get('/v1/legacy', api.finance), 'legacy');
    assert.deepEqual(
      legacy.batches.map((batch: Json) => [batch.batch, batch.grants, batch.coins]),
      [
        ['b1', 2, '150.50'],
        [null, 1, '500.00'],
      ],
    );
    const audit = expectOk(await api.get('/v1/audit', api.admin), 'audit');
    assert.equal(
      audit.items.filter((item: Json) => item.action === 'legacy.import').length,
      1,
      'granted once',
    );
  });

  test('an order paid partly in coins, with a product line; more coins than held is refused', async () => {
    await api.unchanged(['mem_u'], async () => {
      const tooMany = { id: 'ord_c_x', member: 'mem_u', amount: '1000.00', coins: '500.01' };
      assertProblem(
        await order(api, tooMany),
        422,
        'insufficient_coins',
        /500.00 in consumption coins, less than 500.01/,
      );
      const overAmount = { id: 'ord_c_y', member: 'mem_u', amount: '10.00', coins: '10.01' };
      assertProblem(await order(api, overAmount), 400, 'invalid_amount');
      const badLine = { id: 'ord_c_z', member: 'mem_u', amount: '10.00', productLine: '' };
      assertProblem(await order(api, badLine), 400, 'invalid_request');
    });
    const paid = expectOk(
      await order(api, {
        id: 'ord_c_1',
        member: 'mem_u',
        amount: '1000.00',
        coins: '400.00',
        productLine: 'tea',
      }),
      'order',
    );
    assert.deepEqual(
      [paid.order.coins, paid.order.productLine, paid.order.status],
      ['400.00', 'tea', 'pending'],
    );
    const retry = await order(api, {
      id: 'ord_c_1',
      member: 'mem_u',
      amount: '1000.00',
      coins: '400.00',
      productLine: 'tea',
    });
    assert.equal(expectOk(retry, 'retry').outcome, 'duplicate');
    const otherCoins = {
      id: 'ord_c_1',
      member: 'mem_u',
      amount: '1000.00',
      coins: '300.00',
      productLine: 'tea',
    };
    assertProblem(await order(api, otherCoins), 409, 'id_reused');
    assert.equal(
      expectOk(await api.get('/v1/members/mem_u/programs', asU), 'u').coins,
      '100.00',
      'spent when paid',
    );
    const bulk = expectOk(
      await api.post(
        '/v1/orders/bulk',
        {
          orders: [
            { id: 'ord_b_1', member: 'mem_u', merchant: 'mch_x', amount: '1000.00', coins: '999.00' },
            { id: 'ord_b_2', member: 'mem_solo', merchant: 'mch_x', amount: '10.00', productLine: 'noodles' },
          ],
        },
        api.shop,
      ),
      'bulk',
    );
    assert.deepEqual(
      bulk.outcomes.map((outcome: Json) => [outcome.id, outcome.outcome, outcome.code]),
      [
        ['ord_b_1', 'rejected', 'insufficient_coins'],
        ['ord_b_2', 'accepted', undefined],
      ],
    );
    assert.equal(expectOk(await api.get('/v1/orders/ord_b_2', api.admin), 'order').productLine, 'noodles');
    const spent = expectOk(await api.get('/v1/members/mem_u/activity', asU), 'activity').entries.find(
      (entry: Json) => entry.kind === 'coins.spent',
    );
    assert.deepEqual(spent.summary, { order: 'ord_c_1', coins: '400.00' });
  });

  test('a store payment partly or wholly in coins: the provider charges the cash part only', async () => {
    const qr = expectOk(await api.get('/v1/merchants/mch_x/qr', api.admin), 'qr').payload;
    const started = expectOk(
      await api.post('/v1/payments', { id: 'pay_c_1', qr, amount: '60.00', coins: '60.00' }, asU),
      'pay',
    );
    assert.deepEqual([started.amount, started.coins, started.cash], ['60.00', '60.00', '0.00']);
    assert.equal(api.service.payments.payment('pay_c_1')?.request.amount, 0n, 'nothing for the provider');
    const confirmed = expectOk(
      await api.call('POST', '/v1/payments/pay_c_1/confirm', { as: asU }),
      'confirm',
    );
    assert.deepEqual([confirmed.order.amount, confirmed.order.coins], ['60.00', '60.00']);
    // 100.00 - 60.00 = 40.00 coins left.
    const short = { id: 'pay_c_2', qr, amount: '100.00', coins: '40.01' };
    assertProblem(await api.post('/v1/payments', short, asU), 422, 'insufficient_coins');
    assertProblem(await api.post('/v1/payments', { ...short, coins: '100.01' }, asU), 400, 'invalid_amount');
    const partly = expectOk(
      await api.post('/v1/payments', { id: 'pay_c_3', qr, amount: '100.00', coins: '40.00' }, asU),
      'pay',
    );
    assert.deepEqual([partly.amount, partly.cash, partly.coins], ['100.00', '60.00', '40.00']);
    assert.equal(api.service.payments.payment('pay_c_3')?.request.amount, 6_000n);
    // Started while the coins were there; by its confirmation they are spent: the rules refuse it.
    expectOk(
      await api.post('/v1/payments', { id: 'pay_c_4', qr, amount: '50.00', coins: '30.00' }, asU),
      'pay',
    );
    expectOk(await api.call('POST', '/v1/payments/pay_c_3/confirm', { as: asU }), 'confirm');
    assertProblem(
      await api.call('POST', '/v1/payments/pay_c_4/confirm', { as: asU }),
      422,
      'insufficient_coins',
    );
    assert.equal(expectOk(await api.get('/v1/members/mem_u/programs', asU), 'u').coins, '0.00');
  });

  test('settled, the coin part’s points are locked with a release schedule; the runs release them', async () => {
    await settleAll(api);
    const before = expectOk(await api.get('/v1/members/mem_u/programs', asU), 'u');
    assert.ok(before.lockedPoints !== '0.000000', 'points locked');
    const locked = BigInt(before.lockedPoints.replace('.', ''));
    // Three equal batches (the last takes the floors' remainder), the first at the next run.
    assert.equal(before.release.nextDay, '2025-03-05');
    assert.equal(BigInt(before.release.nextPoints.replace('.', '')), locked / 3n);
    assert.equal(before.release.lastDay, '2025-03-07');
    assert.deepEqual(
      before.release.lots.map((lot: Json) => [lot.kind, lot.batches, lot.released, lot.firstDay]),
      [['points', 3, 0, null]],
    );
    const legacy = expectOk(await api.get('/v1/legacy', api.admin), 'legacy');
    assert.deepEqual(
      [legacy.granted, legacy.redeemed, legacy.pending, legacy.outstanding, legacy.lockedPoints],
      ['650.50', '500.00', '0.00', '150.50', before.lockedPoints],
    );
    api.clock.advance(operatorMidnight(5) - api.clock.now());
    await api.signInStaff();
    asU = await api.memberCaller('mem_u');
    assert.equal(await api.service.runDaily(), 2, 'the release run of the 5th and the dividends of the 4th');
    const after = expectOk(await api.get('/v1/members/mem_u/programs', asU), 'u');
    assert.equal(BigInt(after.lockedPoints.replace('.', '')), locked - locked / 3n);
    assert.equal(after.release.nextDay, '2025-03-06');
    const runs = expectOk(await api.get('/v1/legacy', api.admin), 'legacy').items;
    assert.equal(runs[0].day, '2025-03-05');
    assert.equal(BigInt(runs[0].points.replace('.', '')), locked / 3n);
    const accounts = expectOk(await api.get('/v1/legacy/accounts', api.finance), 'accounts');
    assert.deepEqual(
      accounts.items.map((item: Json) => [item.member, item.coins]),
      [
        ['mem_a', '100.00'],
        ['mem_b', '50.50'],
        ['mem_u', '0.00'],
      ],
    );
    // A page and a search: the total counts what matched, the page holds its slice, formatted.
    const page = expectOk(await api.get('/v1/legacy/accounts?offset=1&limit=1', api.finance), 'page');
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.items.map((item: Json) => [item.member, item.coins, item.lockedCash]),
      [['mem_b', '50.50', '0.00']],
    );
    const found = expectOk(await api.get('/v1/legacy/accounts?search=MEM_U', api.finance), 'search');
    assert.equal(found.total, 1);
    assert.equal(found.items[0].member, 'mem_u');
    assert.equal(found.items[0].lockedPoints, after.lockedPoints);
    const summary = expectOk(await api.get('/v1/reports/summary', api.finance), 'summary');
    assert.deepEqual([summary.coinsGranted, summary.coinsRedeemed], ['650.50', '500.00']);
  });

  test('after a restart from a snapshot the programs’ read models answer the same', async () => {
    const urls = [
      '/v1/dividends',
      '/v1/legacy',
      '/v1/programs',
      '/v1/members/mem_u/activity',
      '/v1/members/mem_a/activity',
      '/v1/reports/summary',
    ];
    const answers = new Map<string, string>();
    for (const url of urls) {
      const answer = await api.get(url, api.admin);
      expectOk(answer, url);
      answers.set(url, answer.text);
    }
    const clockMs = api.clock.now();
    await api.app.close();
    await api.service.close();
    const writer = await PoolpointService.open({
      database: store.database,
      clock: api.clock,
      settleEveryMs: 0,
      sequencer: { snapshotEveryEvents: 1 },
    });
    await writer.submit({ type: 'registerMember', member: 'mem_late', referrer: null });
    await writer.close();
    api = await ApiHarness.open(store);
    api.clock.advance(clockMs - api.clock.now());
    await api.signInStaff();
    assert.ok(api.service.node.snapshotSequence > 0, 'started from a snapshot');
    await api.service.readModels.settled();
    for (const url of urls) assert.equal((await api.get(url, api.admin)).text, answers.get(url), url);
  });
});
