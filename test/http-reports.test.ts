// The operator's reports and exports, in-process (Fastify inject): per-day figures and totals
// against figures worked out by hand from SPEC.md, top referrers, wallet totals, merchants, pending
// orders, the compliance preview, and the CSV exports (UTF-8 with a BOM, times with the operator's
// offset, amounts with two decimals, rows read from the log for a bounded date range); 400 for a
// bad range, 401 without a caller, 403 for a member, a merchant or the shop; the same answers after
// a restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { csvLine, exportReadRowsMax, rangeDaysMax } from '../src/http/reports.ts';
import { PoolpointService } from '../src/service/service.ts';
import { csvRows } from './support/csv.ts';
import {
  ApiHarness,
  assertProblem,
  type Caller,
  dayMs,
  type Json,
  minuteMs,
  nobody,
  startMs,
} from './support/http.ts';
import { sqliteTestStore, type TestStore } from './support/stores.ts';

let store: TestStore;
let api: ApiHarness;
let asMember: Caller = nobody;
let asMerchant: Caller = nobody;

// Days in the operator's zone (UTC+08:00): the clock starts on 2025-03-03 at 09:00 there.
const day0 = '2025-03-03';
const day1 = '2025-03-04';
const day2 = '2025-03-05';
const day3 = '2025-03-06';
const bulkDay = '2025-03-08';
const bulkOrders = exportReadRowsMax + 100;

async function exported(
  kind: string,
  from: string,
  to: string,
  as: Caller = api.finance,
): Promise<string[][]> {
  const answer = await api.get(`/v1/exports/${kind}.csv?from=${from}&to=${to}`, as);
  assert.equal(answer.status, 200, answer.text);
  assert.match(String(answer.headers['content-type']), /^text\/csv; charset=utf-8/);
  assert.match(
    String(answer.headers['content-disposition']),
    new RegExp(`attachment; filename="poolpoint-${kind}-${from}-to-${to}.csv"`),
  );
  return csvRows(answer.text);
}

const ok = async (url: string, as: Caller = api.admin): Promise<Json> => {
  const answer = await api.get(url, as);
  assert.equal(answer.status, 200, `${url}: ${answer.text}`);
  return answer.json;
};

let configurations = 0;
async function configure(config: Json): Promise<void> {
  configurations += 1;
  const body = { id: `cfg_${configurations}`, config };
  const answer = await api.call('PUT', '/v1/config', { as: api.admin, body });
  assert.equal(answer.status, 200, answer.text);
}

async function pay(id: string, member: string, amount: string): Promise<void> {
  const answer = await api.post('/v1/orders', { id, member, merchant: 'mch_x', amount }, api.shop);
  assert.equal(answer.status, 200, answer.text);
}

/** Moves the clock to `minutes` past 09:00 of day `day` (operator's zone) and settles what is due. */
async function at(day: number, minutes = 0): Promise<void> {
  const target = startMs + day * dayMs + minutes * minuteMs;
  api.clock.advance(target - api.clock.now());
  await api.service.settleDue();
  await api.signInStaff(); // sessions last 12 hours of the clock
  asMember = await api.memberCaller('mem_c');
  asMerchant = await api.signIn('store-x');
}

before(async () => {
  store = await sqliteTestStore();
  api = await ApiHarness.open(store);
  await api.setup([
    { type: 'registerMember', member: 'mem_a', referrer: null },
    { type: 'registerMember', member: 'mem_b', referrer: 'mem_a' },
    { type: 'registerMember', member: 'mem_c', referrer: 'mem_b' },
    { type: 'registerMember', member: 'mem_d', referrer: null },
    { type: 'registerMember', member: 'mem_e', referrer: null },
    {
      type: 'registerMerchant',
      merchant: 'mch_x',
      owner: 'mem_a',
      recruiter: 'mem_d',
      region: '440306',
      commissionRate: null,
    },
    { type: 'appointAgent', member: 'mem_e', level: 'district', region: '440306' },
  ]);
  await api.account('store-x', 'merchant', 'mch_x');
  await configure({ holdWindowSeconds: String(2 * 24 * 3600), withdrawalFeeRate: '0.01' });
  await at(0);
  await pay('o1', 'mem_c', '100.00');
  await pay('o2', 'mem_b', '50.00');
  await at(1);
  await pay('o3', 'mem_c', '200.00');
});

after(async () => {
  await api.close();
});

describe('before anything settles', () => {
  test('pending orders list in settlement order, with search and paging; finance reads them, a member may not', async () => {
    const all = await ok('/v1/pending-orders', api.finance);
    assert.equal(all.total, 3);
    assert.deepEqual(
      all.items.map((item: Json) => [item.id, item.member, item.amount]),
      [
        ['o1', 'mem_c', '100.00'],
        ['o2', 'mem_b', '50.00'],
        ['o3', 'mem_c', '200.00'],
      ],
    );
    assert.equal(all.items[0].paidAt, new Date(startMs).toISOString());
    assert.equal(all.items[0].settlesAt, new Date(startMs + 2 * dayMs).toISOString());
    const searched = await ok('/v1/pending-orders?search=MEM_B');
    assert.deepEqual([searched.total, searched.items.map((item: Json) => item.id)], [1, ['o2']]);
    const second = await ok('/v1/pending-orders?offset=1&limit=1');
    assert.deepEqual([second.total, second.items.map((item: Json) => item.id)], [3, ['o2']]);
    assertProblem(await api.get('/v1/pending-orders', asMember), 403, 'forbidden');
    assertProblem(await api.get('/v1/pending-orders'), 401, 'unauthenticated');
  });

  test('a refunded order leaves the pending list', async () => {
    const refund = await api.post('/v1/orders/o2/refund', { id: 'ref_o2' }, api.admin);
    assert.equal(refund.status, 200, refund.text);
    const pending = await ok('/v1/pending-orders');
    assert.deepEqual(
      pending.items.map((item: Json) => item.id),
      ['o1', 'o3'],
    );
  });
});

describe('after settlement', () => {
  before(async () => {
    await at(2, 1); // o1 settles on day 2
    await configure({ distributionShare: '0.15' });
    await at(3, 1); // o3 settles on day 3, with the budget share changed
    const request = await api.post(
      '/v1/members/mem_d/withdrawals',
      { id: 'wdr_d', amount: '1.20' },
      await api.memberCaller('mem_d'),
    );
    assert.equal(request.status, 200, request.text);
    for (const [id, decision, note] of [
      ['rev_1', 'approve', ''],
      ['rev_2', 'paid', '=BANK,"REF" 7'],
    ] as const) {
      const review = await api.post('/v1/withdrawals/wdr_d/review', { id, decision, note }, api.finance);
      assert.equal(review.status, 200, review.text);
    }
  });

  test('daily figures: orders and volume by day paid, settlements, budget and rewards by day settled, refunds', async () => {
    const report = await ok(`/v1/reports/daily?from=${day0}&to=${day3}`, api.finance);
    assert.equal(report.utcOffset, '+08:00');
    assert.deepEqual(
      report.days.map((day: Json) => [
        day.day,
        day.ordersPaid,
        day.volumePaid,
        day.refunds,
        day.refundedAmount,
      ]),
      [
        [day0, 2, '150.00', 0, '0.00'],
        [day1, 1, '200.00', 1, '50.00'],
        [day2, 0, '0.00', 0, '0.00'],
        [day3, 0, '0.00', 0, '0.00'],
      ],
    );
    // o1: 100.00 → commission 20.00, budget 10% = 2.00; rewards direct 0.30, indirect 0.20,
    // recruiter 0.50, district agent 0.10. o3: 200.00 → 40.00, budget 15% = 6.00; rewards 2.20.
    const settled = report.days.map((day: Json) => [
      day.ordersSettled,
      day.volumeSettled,
      day.commission,
      day.budget,
      day.rewardsPaid,
    ]);
    assert.deepEqual(settled, [
      [0, '0.00', '0.00', '0.00', '0.00'],
      [0, '0.00', '0.00', '0.00', '0.00'],
      [1, '100.00', '20.00', '2.00', '1.10'],
      [1, '200.00', '40.00', '6.00', '2.20'],
    ]);
    assert.equal(report.days[2].inflow, '16.00');
    assert.deepEqual(
      [report.totals.ordersPaid, report.totals.volumePaid, report.totals.budget, report.totals.rewardsPaid],
      [3, '350.00', '8.00', '3.30'],
    );
    assert.equal(report.complete, true);
  });

  test('without a range the daily report is the last 30 days up to today', async () => {
    const report = await ok('/v1/reports/daily');
    assert.equal(report.days.length, 30);
    assert.equal(report.to, day3);
    assert.equal(report.days.at(-1).rewardsPaid, '2.20');
  });

  test('summary: all-time budget against rewards paid, by kind; it agrees with the members’ own rewards', async () => {
    const summary = await ok('/v1/reports/summary', api.finance);
    assert.deepEqual(
      [
        summary.budget,
        summary.rewardsPaid,
        summary.budgetUnused,
        summary.ordersSettled,
        summary.volumeSettled,
      ],
      ['8.00', '3.30', '4.70', 2, '300.00'],
    );
    assert.deepEqual(summary.rewardsByKind, {
      direct: '0.90',
      indirect: '0.60',
      merchantRecruiter: '1.50',
      district: '0.30',
    });
    let rewards = 0n;
    for (const member of ['mem_a', 'mem_b', 'mem_c', 'mem_d', 'mem_e'])
      rewards += BigInt((await ok(`/v1/members/${member}`)).rewards.replace('.', ''));
    assert.equal(rewards, 330n);
  });

  test('top referrers: by referral rewards, with the members each referred', async () => {
    const top = await ok('/v1/reports/referrers?limit=5');
    assert.equal(top.approximate, false);
    assert.deepEqual(
      top.items.map((item: Json) => [
        item.member,
        item.direct,
        item.indirect,
        item.referralRewards,
        item.referred,
      ]),
      [
        ['mem_b', '0.90', '0.00', '0.90', 1],
        ['mem_a', '0.00', '0.60', '0.60', 1],
      ],
    );
    assert.equal(top.items[0].rewardsTotal, (await ok('/v1/members/mem_b')).rewards);
  });

  test('wallet totals: Σ wallets and frozen cash over the members, withdrawn, payables, pool, platform', async () => {
    const totals = await ok('/v1/reports/wallets', api.finance);
    let wallets = 0n;
    for (const member of ['mem_a', 'mem_b', 'mem_c', 'mem_d', 'mem_e'])
      wallets += BigInt((await ok(`/v1/members/${member}`)).wallet.replace('.', ''));
    assert.equal(totals.wallets, `${wallets / 100n}.${String(wallets % 100n).padStart(2, '0')}`);
    assert.equal(totals.frozen, '0.00');
    assert.equal(totals.withdrawn, '1.19'); // 1.20 less the 1% fee, floored: 0.01
    assert.equal(totals.payables, '240.00');
    assert.equal(totals.pool, (await ok('/v1/market')).pool);
    assert.equal(totals.received, '300.00');
    assert.deepEqual(totals.withdrawalsRequested, { count: 0, amount: '0.00' });
  });

  test('merchants: search by id, owner or region, with payables and settled sales', async () => {
    const found = await ok('/v1/reports/merchants?search=440306', api.finance);
    assert.equal(found.total, 1);
    assert.deepEqual(found.items[0], {
      id: 'mch_x',
      owner: 'mem_a',
      region: '440306',
      commissionRate: '0.200000',
      payable: '240.00',
      ordersSettled: 2,
      volumeSettled: '300.00',
      commission: '60.00',
    });
    assert.equal((await ok('/v1/reports/merchants?search=nothing')).total, 0);
  });

  test('orders CSV: paid, refunded and settled rows of the range, times with +08:00, two decimals', async () => {
    const rows = await exported('orders', day0, day3);
    assert.deepEqual(rows[0], [
      '时间 time (ISO 8601, UTC+08:00)',
      '事件 event',
      '订单 order',
      '会员 member',
      '商户 merchant',
      '金额 amount',
      '佣金 commission',
      '入池 pool inflow',
      '奖励 rewards',
      '铸造积分 points minted',
    ]);
    const body = rows.slice(1);
    assert.deepEqual(
      body.map((row) => row.slice(0, 9)),
      [
        ['2025-03-03T09:00:00.000+08:00', 'paid', 'o1', 'mem_c', 'mch_x', '100.00', '', '', ''],
        ['2025-03-03T09:00:00.000+08:00', 'paid', 'o2', 'mem_b', 'mch_x', '50.00', '', '', ''],
        ['2025-03-04T09:00:00.000+08:00', 'paid', 'o3', 'mem_c', 'mch_x', '200.00', '', '', ''],
        ['2025-03-04T09:00:00.000+08:00', 'refunded', 'o2', 'mem_b', 'mch_x', '50.00', '', '', ''],
        [
          '2025-03-05T09:01:00.000+08:00',
          'settled',
          'o1',
          'mem_c',
          'mch_x',
          '100.00',
          '20.00',
          '16.00',
          '1.10',
        ],
        [
          '2025-03-06T09:01:00.000+08:00',
          'settled',
          'o3',
          'mem_c',
          'mch_x',
          '200.00',
          '40.00',
          '32.00',
          '2.20',
        ],
      ],
    );
    // Points minted are the member's: o1 and o3 are all mem_c ever bought.
    const minted = body
      .filter((row) => row[1] === 'settled')
      .map((row) => BigInt((row[9] as string).replace('.', '')));
    assert.equal(
      minted.reduce((sum, value) => sum + value, 0n),
      BigInt((await ok('/v1/members/mem_c')).points.replace('.', '')),
    );
    // One day only: that day's rows.
    assert.deepEqual(
      (await exported('orders', day1, day1)).slice(1).map((row) => [row[1], row[2]]),
      [
        ['paid', 'o3'],
        ['refunded', 'o2'],
      ],
    );
    assert.equal(
      (await exported('orders', '2025-01-01', '2025-01-31')).length,
      1,
      'a range without events: the header',
    );
  });

  test('rewards CSV: one row per reward, as the members’ activity shows them', async () => {
    const rows = (await exported('rewards', day2, day3, api.admin)).slice(1);
    assert.deepEqual(
      rows.map((row) => row.slice(1)),
      [
        ['o1', 'mem_c', 'mem_b', 'direct', '0.30'],
        ['o1', 'mem_c', 'mem_a', 'indirect', '0.20'],
        ['o1', 'mem_c', 'mem_d', 'merchantRecruiter', '0.50'],
        ['o1', 'mem_c', 'mem_e', 'district', '0.10'],
        ['o3', 'mem_c', 'mem_b', 'direct', '0.60'],
        ['o3', 'mem_c', 'mem_a', 'indirect', '0.40'],
        ['o3', 'mem_c', 'mem_d', 'merchantRecruiter', '1.00'],
        ['o3', 'mem_c', 'mem_e', 'district', '0.20'],
      ],
    );
    const activity = (await ok('/v1/members/mem_d/activity')).entries.filter(
      (entry: Json) => entry.kind === 'reward',
    );
    assert.deepEqual(activity.map((entry: Json) => [entry.summary.order, entry.summary.amount]).sort(), [
      ['o1', '0.50'],
      ['o3', '1.00'],
    ]);
  });

  test('withdrawals CSV: requested, approved and paid, with the fee, the payout and the note made safe', async () => {
    const rows = (await exported('withdrawals', day3, day3)).slice(1);
    assert.deepEqual(
      rows.map((row) => row.slice(1)),
      [
        ['requested', 'wdr_d', 'mem_d', '1.20', '0.01', '', '', ''],
        ['approved', 'wdr_d', 'mem_d', '1.20', '0.01', '', 'acc_finance', ''],
        // A note that a spreadsheet would run as a formula starts with an apostrophe.
        ['paid', 'wdr_d', 'mem_d', '1.20', '0.01', '1.19', 'acc_finance', `'=BANK,"REF" 7`],
      ],
    );
    const withdrawal = (await ok('/v1/withdrawals?status=paid')).items.find(
      (item: Json) => item.id === 'wdr_d',
    );
    assert.deepEqual([withdrawal.amount, withdrawal.fee, withdrawal.note], ['1.20', '0.01', '=BANK,"REF" 7']);
  });

  test('a bad range is 400 and says why', async () => {
    for (const kind of ['orders', 'rewards', 'withdrawals']) {
      assertProblem(
        await api.get(`/v1/exports/${kind}.csv?from=${day0}`, api.finance),
        400,
        'invalid_request',
        /to/,
      );
      assertProblem(await api.get(`/v1/exports/${kind}.csv`, api.finance), 400, 'invalid_request');
    }
    const bad: [string, string, RegExp][] = [
      ['2025-02-30', '2025-03-01', /from: 2025-02-30 is not a date/],
      [day1, day0, /before/],
      ['2024-01-01', '2025-01-01', new RegExp(`at most ${rangeDaysMax} days`)],
    ];
    for (const [from, to, why] of bad) {
      assertProblem(
        await api.get(`/v1/exports/orders.csv?from=${from}&to=${to}`, api.admin),
        400,
        'invalid_range',
        why,
      );
      assertProblem(
        await api.get(`/v1/reports/daily?from=${from}&to=${to}`, api.admin),
        400,
        'invalid_range',
        why,
      );
    }
    assertProblem(
      await api.get('/v1/exports/orders.csv?from=2025-3-1&to=2025-03-02', api.admin),
      400,
      'invalid_request',
    );
    assertProblem(await api.get(`/v1/reports/daily?from=${day0}`, api.admin), 400, 'invalid_range', /both/);
    // 366 days (a leap year) is the longest range.
    assert.equal(
      (await api.get('/v1/exports/orders.csv?from=2024-01-01&to=2024-12-31', api.admin)).status,
      200,
    );
  });

  test('no caller is 401; a member, a merchant or the shop is 403', async () => {
    const paths = [
      `/v1/exports/orders.csv?from=${day0}&to=${day3}`,
      `/v1/exports/rewards.csv?from=${day0}&to=${day3}`,
      `/v1/exports/withdrawals.csv?from=${day0}&to=${day3}`,
      '/v1/reports/daily',
      '/v1/reports/summary',
      '/v1/reports/referrers',
      '/v1/reports/wallets',
      '/v1/reports/merchants',
    ];
    for (const path of paths) {
      assertProblem(await api.get(path), 401, 'unauthenticated');
      for (const caller of [asMember, asMerchant, api.shop])
        assertProblem(await api.get(path, caller), 403, 'forbidden');
    }
  });
});

describe('the compliance preview', () => {
  test('shows the findings of a change before it is saved, and saves nothing', async () => {
    const before = await ok('/v1/config');
    const answer = await api.post(
      '/v1/compliance/preview',
      { config: { capMultiple: '2', sellFee: '0' } },
      api.admin,
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.valid, true);
    assert.equal(answer.json.config.capMultiple, '2.000000');
    assert.equal(answer.json.config.distributionShare, '0.150000', 'laid over the configuration in force');
    const staticReturn = answer.json.findings.find(
      (finding: Json) => finding.rule === 'maximum static return',
    );
    assert.equal(staticReturn.level, 'red');
    assert.deepEqual(await ok('/v1/config'), before);
    const current = (await ok('/v1/compliance')).findings.find(
      (finding: Json) => finding.rule === 'maximum static return',
    );
    assert.equal(current.level, 'green');
  });

  test('a bad value is not valid, naming the key; only an admin may ask; a body without a config is 400', async () => {
    const bad = await api.post('/v1/compliance/preview', { config: { sellFee: '1.5' } }, api.admin);
    assert.equal(bad.status, 200, bad.text);
    assert.equal(bad.json.valid, false);
    assert.equal(bad.json.problem.code, 'invalid_config');
    assert.match(bad.json.problem.message, /config\.sellFee/);
    assert.equal(bad.json.findings, undefined);
    assertProblem(await api.post('/v1/compliance/preview', { config: {} }, api.finance), 403, 'forbidden');
    assertProblem(await api.post('/v1/compliance/preview', { config: {} }, asMember), 403, 'forbidden');
    assertProblem(await api.post('/v1/compliance/preview', { config: {} }), 401, 'unauthenticated');
    assertProblem(await api.post('/v1/compliance/preview', {}, api.admin), 400, 'invalid_request');
  });
});

describe('an export longer than one page of the log', () => {
  test(`${bulkOrders} orders of one day: every row, and the day's volume`, async () => {
    await at(5);
    const orders = Array.from({ length: bulkOrders }, (_, index) => ({
      id: `bulk_${index}`,
      member: 'mem_c',
      merchant: 'mch_x',
      amount: `${1 + (index % 97)}.${String(index % 100).padStart(2, '0')}`,
    }));
    const answer = await api.post('/v1/orders/bulk', { orders }, api.shop);
    assert.equal(answer.status, 200);
    const rows = (await exported('orders', bulkDay, bulkDay)).slice(1);
    assert.equal(rows.length, bulkOrders);
    assert.deepEqual(rows.at(-1)?.slice(1, 3), ['paid', `bulk_${bulkOrders - 1}`]);
    const volume = rows.reduce((sum, row) => sum + BigInt((row[5] as string).replace('.', '')), 0n);
    const day = (await ok(`/v1/reports/daily?from=${bulkDay}&to=${bulkDay}`)).days[0];
    assert.equal(day.ordersPaid, bulkOrders);
    assert.equal(BigInt(day.volumePaid.replace('.', '')), volume);
  });
});

describe('after a restart', () => {
  const urls = [
    `/v1/reports/daily?from=${day0}&to=${bulkDay}`,
    '/v1/reports/summary',
    '/v1/reports/referrers',
    '/v1/reports/merchants',
    `/v1/exports/orders.csv?from=${day0}&to=${bulkDay}`,
    `/v1/exports/rewards.csv?from=${day0}&to=${bulkDay}`,
    `/v1/exports/withdrawals.csv?from=${day0}&to=${bulkDay}`,
  ];
  const answers = new Map<string, string>();

  async function reopen(): Promise<void> {
    const clockMs = api.clock.now();
    api = await ApiHarness.open(store);
    api.clock.advance(clockMs - api.clock.now());
    await api.signInStaff();
  }

  test('the reports and exports answer the same (the read model is fed the log again)', async () => {
    for (const url of urls) answers.set(url, (await api.get(url, api.admin)).text);
    await api.app.close();
    await api.service.close();
    await reopen();
    for (const url of urls) assert.equal((await api.get(url, api.admin)).text, answers.get(url), url);
  });

  test('also when the state starts from a snapshot: exports read the log, the reports are rebuilt', async () => {
    await api.app.close();
    await api.service.close();
    // One more event through a writer that snapshots after every event, then a start from that snapshot.
    const writer = await PoolpointService.open({
      database: store.database,
      clock: api.clock,
      settleEveryMs: 0,
      sequencer: { snapshotEveryEvents: 1 },
    });
    await writer.submit({ type: 'registerMember', member: 'mem_z', referrer: null });
    await writer.close();
    await reopen();
    assert.ok(api.service.node.snapshotSequence > 0, 'started from a snapshot');
    for (const url of urls.filter((path) => path.includes('.csv')))
      assert.equal((await api.get(url, api.admin)).text, answers.get(url), `${url}, at once`);
    await api.service.readModels.settled();
    for (const url of urls) assert.equal((await api.get(url, api.admin)).text, answers.get(url), url);
  });
});

test('a CSV cell that a spreadsheet would run as a formula is text: ids too, never the numbers', () => {
  assert.equal(
    csvLine(['-A1:B9', '=SUM(1)', '+1', '@x', '-12.30', '0.00', 'mem_1', 'a,b']),
    `'-A1:B9,'=SUM(1),'+1,'@x,-12.30,0.00,mem_1,"a,b"\r\n`,
  );
});
