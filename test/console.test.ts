// The web console in a real browser (Debian's Chromium driven by playwright-core) against a real
// server on the demo data: each role signs in and walks its main flow (the dashboard's charts and
// reports, a refund, an application, the configuration edited with its compliance preview, CSV
// exports read back), the figures on screen are checked against the API, a member cannot reach
// staff pages, and no page logs an error.
// Needs `npm run build:web` first (npm test does it) and a Chromium (test/support/console.ts).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import { formatConfig } from '../src/domain/config.ts';
import type { Command } from '../src/domain/messages.ts';
import { cents, formatPpm, ppm } from '../src/domain/units.ts';
import { memberView } from '../src/domain/views.ts';
import type { ManualClock } from '../src/service/clock.ts';
import type { PoolpointService } from '../src/service/service.ts';
import { type ConsoleWorld, desktop, openConsole, phone } from './support/console.ts';
import { csvRows } from './support/csv.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The README's screenshots, rewritten by every run; elsewhere when npm test's browser lacks the CJK fonts. */
const screenshots = process.env.POOLPOINT_SCREENSHOTS ?? join(root, 'docs', 'img');
const dayMs = 24 * 3600 * 1000;
const walkIn = { login: 'walkin', password: 'walk-in-password' };

// JSON answers are read field by field; each step states the shape it expects.
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of an HTTP answer
type Json = any;

let world: ConsoleWorld;
let service: PoolpointService;
let clock: ManualClock;
let base = '';
let passwords = new Map<string, string>();
let browserErrors: string[] = [];
const tokens = new Map<string, string>();

before(async () => {
  world = await openConsole('console', async (opened, openedClock) => {
    service = opened;
    clock = openedClock;
    await tradeDays(14);
    await forceTopMemberOut();
  });
  ({ base, passwords, browserErrors } = world);
  passwords.set(walkIn.login, walkIn.password);
  mkdirSync(screenshots, { recursive: true });
});

after(async () => world?.close());

/**
 * Days of trading after the demo's thirty, one at a time: a few paid orders a day, and what is past
 * its hold window settles, so the price has a history to chart (the demo settles all at one moment).
 */
async function tradeDays(days: number): Promise<void> {
  const stores = ['mch_demo_tea', 'mch_demo_noodles', 'mch_demo_bakery'];
  for (let day = 1; day <= days; day += 1) {
    clock.advance(dayMs);
    const orders: Command[] = [0, 1, 2].map((slot) => ({
      type: 'pay',
      id: `ord_console_${day}_${slot}`,
      member: `mem_demo${String(((day * 5 + slot * 7) % 24) + 1).padStart(2, '0')}`,
      merchant: stores[(day + slot) % stores.length] as string,
      amount: cents(BigInt(3_000 + ((day * 4_111 + slot * 977) % 40_000))),
      paidAtMs: clock.now(),
    }));
    await service.submitMany(orders);
    await service.settleDue();
  }
}

/**
 * One forced exit for the dashboard to list: the cap is lowered just below the highest cycle value
 * (value ÷ consumption) of any member, so that member is forced out, and then set back.
 */
async function forceTopMemberOut(): Promise<void> {
  const state = service.state;
  const ratios: bigint[] = [];
  for (const id of state.members.ids) {
    const member = memberView(state, id);
    if (member === undefined || !member.cycleOpen || member.cycleConsumption === 0n) continue;
    const value = (member.points * state.pool) / state.supply;
    ratios.push(((member.cycleRealised + value) * 1_000_000n) / member.cycleConsumption);
  }
  ratios.sort((left, right) => (left < right ? 1 : left > right ? -1 : 0));
  const [top, second] = ratios;
  assert.ok(top !== undefined && second !== undefined && top > second, 'two cycles with different values');
  const config = formatConfig(state.config);
  for (const capMultiple of [formatPpm(ppm(second + 1n)), config.capMultiple as string]) {
    const outcome = await service.submit({ type: 'configure', config: { ...config, capMultiple } });
    assert.equal(outcome.kind, 'accepted');
  }
  assert.ok(service.state.forcedExits >= 1, 'a member was forced out');
}

const newPage = (viewport = desktop, mobile = false): Promise<Page> => world.newPage(viewport, mobile);

async function signIn(page: Page, login: string, landing: string | RegExp): Promise<void> {
  if (!page.url().includes('/login')) await page.goto(`${base}/login`);
  await page.locator('[data-test=login-name] input').fill(login);
  await page.locator('[data-test=login-password] input').fill(passwords.get(login) ?? '');
  await page.locator('[data-test=login-submit]').click();
  await page.waitForURL(
    typeof landing === 'string' && landing.startsWith('/') ? `${base}${landing}` : landing,
  );
}

/** The API as `login` (signed in over the socket once per clock period). */
async function api(
  login: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Json> {
  let token = tokens.get(login);
  if (token === undefined) {
    const answer = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password: passwords.get(login) }),
    });
    assert.equal(answer.status, 200, `sign-in of ${login}`);
    token = ((await answer.json()) as Json).token as string;
    tokens.set(login, token);
  }
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, ...((await response.json()) as Json) };
}

// Code run in the page, as source text: the test project is type-checked without the DOM library.
const imageLoaded = `(selector) => {
  const image = document.querySelector(selector);
  return image !== null && image.complete && image.naturalWidth > 0;
}`;
/** Each module of a QR image, 1 for dark: the pixel at its centre, read back through a canvas. */
const darkModules = `(selector, size, margin) => {
  const image = document.querySelector(selector);
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const scale = image.naturalWidth / (size + 2 * margin);
  const bits = [];
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      const x = Math.floor((margin + column + 0.5) * scale);
      const y = Math.floor((margin + row + 0.5) * scale);
      bits.push(context.getImageData(x, y, 1, 1).data[0] < 128 ? 1 : 0);
    }
  }
  return bits;
}`;

/** Money and points on screen without the currency sign and thousands separators: "¥1,234.50" → "1234.50". */
const plain = (text: string | null): string => (text ?? '').replace(/[¥,\s−-]/g, '');
const textOf = async (page: Page, test: string): Promise<string> =>
  plain(await page.locator(`[data-test=${test}]`).first().textContent());

test('the server answers pages, assets and API paths with the right types', async () => {
  const page = await fetch(`${base}/admin/members`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const html = await page.text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(script !== undefined, 'index.html loads a script from /assets/');
  const asset = await fetch(`${base}${script}`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
  assert.ok((await asset.arrayBuffer()).byteLength > 0); // read it all: an unread body holds the socket open
  const missing = await fetch(`${base}/assets/nothing-here.js`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as Json).code, 'not_found');
  const unknownApi = await fetch(`${base}/v1/nothing-here`);
  assert.equal(unknownApi.status, 404);
  assert.equal(((await unknownApi.json()) as Json).code, 'not_found');
  const outside = await fetch(`${base}/assets/..%2f..%2f..%2fpackage.json`);
  assert.equal(outside.status, 404);
  assert.equal(((await outside.json()) as Json).code, 'not_found');
});

/** Money as the API prints it, from cents ("12345" → "123.45"). */
const money = (value: bigint): string => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;
const centsOf = (text: string): bigint => BigInt(text.replace('.', ''));
/** How the console prints money: "¥1,234.50". */
const yuanText = (text: string): string => `¥${text.replace(/\B(?=(\d{3})+\.)/g, ',')}`;

let adminPage: Page;

test('admin: the dashboard draws the price chart and shows the market figures of the API', async () => {
  const page = await newPage();
  adminPage = page;
  await page.goto(`${base}/admin`);
  await page.waitForURL(`${base}/login?next=/admin`);
  await signIn(page, 'admin', '/admin');
  await page.locator('[data-test=price-chart] canvas').first().waitFor();
  await page.locator('[data-test=near-cap]').first().waitFor();
  const market = await api('admin', '/v1/market');
  assert.equal(await textOf(page, 'figure-price'), market.price);
  assert.equal(await textOf(page, 'figure-pool'), market.pool);
  assert.equal(await textOf(page, 'figure-supply'), market.supply);
  assert.equal(await textOf(page, 'figure-members'), String(market.members));
  assert.equal(await textOf(page, 'figure-forcedExits'), String(market.forcedExits));
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
});

test('admin: the dashboard charts orders and the budget per day, with the reports of the API', async () => {
  const page = adminPage;
  const daily = await api('admin', '/v1/reports/daily');
  const summary = await api('admin', '/v1/reports/summary');
  for (const chart of ['orders-chart', 'budget-chart']) {
    await page.locator(`[data-test=${chart}] canvas`).first().waitFor();
    assert.equal(await page.locator(`[data-test=${chart}]`).getAttribute('data-points'), '30');
  }
  assert.ok(daily.days.filter((day: Json) => day.ordersPaid > 0).length >= 14, 'orders on the days traded');
  assert.equal(await textOf(page, 'range-orders'), String(daily.totals.ordersPaid));
  assert.equal(await textOf(page, 'range-volume'), daily.totals.volumePaid);
  assert.equal(await textOf(page, 'total-budget'), summary.budget);
  assert.equal(await textOf(page, 'total-rewards'), summary.rewardsPaid);
  assert.equal(await textOf(page, 'total-unused'), summary.budgetUnused);
  assert.equal(money(centsOf(summary.budget) - centsOf(summary.rewardsPaid)), summary.budgetUnused);
  const referrers = await api('admin', '/v1/reports/referrers?limit=8');
  const shownReferrals = await page
    .locator('[data-test=top-referrers] [data-test=referral-rewards]')
    .allTextContents();
  assert.deepEqual(
    shownReferrals.map(plain),
    referrers.items.map((item: Json) => item.referralRewards),
  );
  const agents = (await api('admin', '/v1/agents?limit=200')).items as Json[];
  const earnings = agents
    .map((agent) => agent.earnings as string)
    .sort((left, right) => Number(centsOf(right) - centsOf(left)));
  const shownEarnings = await page
    .locator('[data-test=agents-earnings] [data-test=agent-earnings]')
    .allTextContents();
  assert.deepEqual(shownEarnings.map(plain), earnings.slice(0, 8));
  const exits = await api('admin', '/v1/forced-exits?limit=6');
  assert.ok(exits.total >= 1);
  await page.locator('[data-test=forced-exits] [data-test=exit-payout]').first().waitFor();
  const payouts = await page.locator('[data-test=forced-exits] [data-test=exit-payout]').allTextContents();
  assert.deepEqual(
    payouts.map(plain),
    exits.items.map((exit: Json) => exit.payout),
  );
  // The compliance findings in Chinese, with the figures of the configuration in force.
  const findings = (await api('admin', '/v1/compliance')).findings as Json[];
  const shown = page.locator('[data-test=compliance] [data-test=finding]');
  assert.equal(await shown.count(), findings.length);
  const reason = await page
    .locator('[data-test=compliance] [data-rule="maximum static return"] [data-test=finding-reason]')
    .textContent();
  assert.match(reason ?? '', /^封顶倍数 1\.200000 ×（1 − 卖出手续费 0\.200000）= 0\.960000：/);
  for (const text of await page
    .locator('[data-test=compliance] [data-test=finding-reason]')
    .allTextContents())
    assert.match(text, /[\u4e00-\u9fff]/, `a reason in Chinese: ${text}`);
  await page.screenshot({ path: join(screenshots, 'console-dashboard.png'), fullPage: true });
});

test('admin: an injection, the language switch, and members, merchants and agents with search', async () => {
  const page = adminPage;
  const market = await api('admin', '/v1/market');
  // An injection goes into the pool: the figures follow the API.
  await page.locator('input[data-test=inject-amount]').fill('100.00');
  await page.locator('[data-test=inject-submit]').click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  const poolAfter = money(centsOf(market.pool) + 10_000n);
  await page
    .locator('[data-test=figure-pool]')
    .filter({ hasText: yuanText(poolAfter) })
    .waitFor();
  assert.equal((await api('admin', '/v1/market')).pool, poolAfter);
  assert.equal(await textOf(page, 'figure-price'), (await api('admin', '/v1/market')).price);

  // English by the switch (the server's own reasons), and back.
  await page.locator('[data-test=lang-switch]').click();
  await page.getByText('Price of a point').first().waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  const english = (await api('admin', '/v1/compliance')).findings[0].reason as string;
  await page
    .locator('[data-test=compliance] [data-test=finding-reason]')
    .filter({ hasText: english })
    .waitFor();
  await page.locator('[data-test=lang-switch]').click();
  await page.getByText('积分价格').first().waitFor();

  // Members: search and paging come from the API.
  await page.locator('[data-test="nav-/admin/members"]').click();
  await page.waitForURL(`${base}/admin/members`);
  await page.locator('[data-test=members-table] .el-table__row').first().waitFor();
  await page.locator('input[data-test=member-search]').fill('demo01');
  await page.locator('[data-test=member-total]').filter({ hasText: '共 1 位会员' }).waitFor();
  assert.equal(await page.locator('[data-test=members-table] .el-table__row').count(), 1);

  await page.goto(`${base}/admin/merchants`);
  await page.locator('[data-test=merchants-table] .el-table__row').first().waitFor();
  await page.locator('input[data-test=merchant-search]').fill('440106');
  await page.locator('[data-test=merchant-total]').filter({ hasText: '共 1 家商户' }).waitFor();
  const noodles = await api('admin', '/v1/merchants/mch_demo_noodles');
  assert.equal(await textOf(page, 'merchant-payable'), noodles.payable);

  await page.goto(`${base}/admin/agents`);
  await page.locator('[data-test=agents-table] .el-table__row').first().waitFor();
  await page.locator('input[data-test=agent-search]').fill('demo06');
  await page.locator('[data-test=agent-total]').filter({ hasText: '共 1 个代理席位' }).waitFor();
  const agent = (await api('admin', '/v1/agents?search=demo06')).items[0];
  assert.equal(await textOf(page, 'agent-row-earnings'), agent.earnings);

  await page.goto(`${base}/admin/audit`);
  await page.locator('[data-test=audit-table] .el-table__row').first().waitFor();
});

test('admin: the dashboard fits a 390-px-wide phone', async () => {
  const page = await newPage(phone, true);
  await signIn(page, 'admin', '/admin');
  await page.locator('[data-test=orders-chart] canvas').first().waitFor();
  await page.locator('[data-test=forced-exits] [data-test=exit-payout]').first().waitFor();
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  assert.ok(width <= phone.width, `the page is ${width}px wide`);
  await page.screenshot({ path: join(screenshots, 'console-dashboard-phone.png') });
});

test('admin: refunds a pending order in the console; it is void and leaves the list', async () => {
  const page = adminPage;
  const order = 'ord_console_14_1';
  assert.equal((await api('admin', `/v1/orders/${order}`)).status, 'pending');
  const pending = await api('admin', '/v1/pending-orders');
  await page.goto(`${base}/admin/orders`);
  await page
    .locator('[data-test=order-total]')
    .filter({ hasText: `共 ${pending.total} 笔待结算订单` })
    .waitFor();
  await page.locator('input[data-test=order-search]').fill(order);
  const row = page.locator('[data-test=orders-table] .el-table__row').filter({ hasText: order });
  await page.locator('[data-test=order-total]').filter({ hasText: '共 1 笔待结算订单' }).waitFor();
  assert.equal(
    plain(await row.locator('[data-test=order-amount]').textContent()),
    (await api('admin', `/v1/orders/${order}`)).amount,
  );
  await row.locator('[data-test=refund]').first().click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.locator('[data-test=order-total]').filter({ hasText: '共 0 笔待结算订单' }).waitFor();
  assert.equal((await api('admin', `/v1/orders/${order}`)).status, 'refunded');
  assert.equal((await api('admin', '/v1/pending-orders')).total, pending.total - 1);
  const audit = (await api('admin', '/v1/audit?limit=5')).items as Json[];
  assert.ok(audit.some((entry) => entry.action === 'order.refund' && entry.detail.order === order));
});

test('admin: approves a merchant application; the store is registered with the applicant as owner', async () => {
  const page = adminPage;
  const applied = await api('member1', '/v1/merchant-applications', {
    method: 'POST',
    body: { name: '宝安糖水铺', region: '440306', login: 'sweets', password: 'sweets-password' },
  });
  assert.equal(applied.status, 'pending', JSON.stringify(applied));
  await page.goto(`${base}/admin/applications`);
  const row = page.locator('[data-test=applications-table] .el-table__row').filter({ hasText: '宝安糖水铺' });
  await row.locator('[data-test=approve-application]').first().click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await row.locator('[data-test=application-status]').filter({ hasText: '已批准' }).waitFor();
  const decided = (await api('admin', '/v1/merchant-applications')).items.find(
    (item: Json) => item.id === applied.id,
  );
  assert.equal(decided.status, 'approved');
  const store = await api('admin', `/v1/merchants/${decided.merchant}`);
  assert.equal(store.owner, 'mem_demo01');
  assert.equal(store.region, '440306');
});

test('admin: the webhook delivery log lists what the API logged', async () => {
  const page = adminPage;
  const log = await api('admin', '/v1/webhooks/deliveries?limit=50');
  assert.ok(log.items.length > 0);
  await page.goto(`${base}/admin/webhooks`);
  await page.locator('[data-test=webhooks-table] .el-table__row').first().waitFor();
  assert.equal(await page.locator('[data-test=webhooks-table] .el-table__row').count(), log.items.length);
  assert.equal(await page.locator('[data-test=webhook-status]').first().textContent(), '未配置地址');
});

test('merchant: the store page shows a QR image that encodes its signed pay-page URL', async () => {
  const page = await newPage();
  await signIn(page, 'store1', '/merchant');
  const payload = (await api('admin', '/v1/merchants/mch_demo_tea/qr')).payload as string;
  assert.equal(await page.locator('[data-test=store-qr-payload]').textContent(), payload);
  const image = page.locator('img[data-test=store-qr]');
  await image.waitFor();
  await page.waitForFunction(`(${imageLoaded})('img[data-test=store-qr]')`);
  // Read the image back module by module and compare with the QR code of the payload.
  const code = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  const size = code.modules.size;
  const margin = 2; // as web/src/components/QrImage.vue draws it
  const drawn = (await page.evaluate(
    `(${darkModules})('img[data-test=store-qr]', ${size}, ${margin})`,
  )) as number[];
  assert.deepEqual(drawn, Array.from(code.modules.data));
});

let orderId = '';

test('member: joins, opens the store QR URL, signs in, pays, and the order is reported paid', async () => {
  const page = await newPage();
  await page.goto(`${base}/join`);
  await page.locator('input[autocomplete=username]').fill(walkIn.login);
  await page.locator('input[autocomplete=new-password]').fill(walkIn.password);
  await page.locator('button[type=submit]').click();
  await page.waitForURL(`${base}/member`);
  await page.locator('[data-test=sign-out]').click();
  await page.waitForURL(`${base}/login`);

  const payload = (await api('admin', '/v1/merchants/mch_demo_tea/qr')).payload as string;
  await page.goto(payload);
  await page.waitForURL(/\/login\?next=/);
  await signIn(page, walkIn.login, payload);
  await page.locator('[data-test=pay-amount] input').fill('288.00');
  await page.locator('[data-test=pay-start]').click();
  await page.locator('[data-test=pay-confirm]').click();
  const done = page.locator('[data-test=pay-order]');
  await done.waitFor();
  orderId = (await done.getAttribute('data-order')) ?? '';
  const order = await api('admin', `/v1/orders/${orderId}`);
  assert.equal(order.status, 'pending');
  assert.equal(order.amount, '288.00');
  assert.equal(order.merchant, 'mch_demo_tea');
  assert.equal((await api('admin', `/v1/members/${order.member}`)).referrer, null);
  await page.locator('[data-test=pay-binding]').waitFor();
});

let memberPage: Page;
let memberId = '';

test('after the hold window the order settles and the member page shows the API figures', async () => {
  clock.advance(8 * dayMs);
  await service.settleDue();
  tokens.clear(); // sessions last 12 hours of the service's clock
  assert.equal((await api('admin', `/v1/orders/${orderId}`)).status, 'settled');
  // The walk-in had no referrer: settling the order bound them to the store's owner (收款码锁粉).
  const order = await api('admin', `/v1/orders/${orderId}`);
  assert.equal((await api('admin', `/v1/members/${order.member}`)).referrer, 'mem_demo01');
  memberPage = await newPage();
  await signIn(memberPage, walkIn.login, '/member');
  memberId = (await api(walkIn.login, '/v1/me')).subject as string;
  const summary = await api(walkIn.login, `/v1/members/${memberId}`);
  await memberPage.locator('[data-test=member-points]').waitFor();
  assert.equal(await textOf(memberPage, 'member-points'), summary.points);
  assert.equal(await textOf(memberPage, 'member-value'), summary.valueAtPrice);
  assert.equal(await textOf(memberPage, 'member-wallet'), summary.wallet);
  assert.equal(await textOf(memberPage, 'member-referrer'), 'mem_demo01');
  assert.ok(BigInt(summary.points.replace('.', '')) > 0n, 'the settled order minted points');
  await memberPage.locator('[data-test=activity-entry]').first().waitFor();
});

test('member: the sale preview shows the payout and fee, and the server pays exactly that', async () => {
  const page = memberPage;
  await page.locator('[data-test=open-sell]').click();
  await page.locator('[data-test=sell-points] input').fill('1.234567');
  await page.locator('[data-test=sell-preview]').waitFor();
  const preview = {
    gross: await textOf(page, 'preview-gross'),
    fee: await textOf(page, 'preview-fee'),
    payout: await textOf(page, 'preview-payout'),
  };
  // The rules: gross = floor(points × pool ÷ supply), payout = floor(gross × (1 − fee)).
  const market = await api(walkIn.login, '/v1/market');
  const cents = (text: string): bigint => BigInt(text.replace('.', ''));
  const gross = (1_234_567n * cents(market.pool)) / cents(market.supply);
  const feePpm = BigInt(Math.round(Number(market.sellFee) * 1e6));
  const payout = (gross * (1_000_000n - feePpm)) / 1_000_000n;
  assert.equal(cents(preview.gross), gross);
  assert.equal(cents(preview.payout), payout);
  assert.equal(cents(preview.fee), gross - payout);
  await page.locator('[data-test=confirm-sell]').click();
  await page.locator('[data-test=sell-result]').waitFor();
  const sale = (await api(walkIn.login, `/v1/members/${memberId}/activity`)).entries.find(
    (entry: Json) => entry.kind === 'sell',
  );
  assert.equal(sale.summary.gross, preview.gross);
  assert.equal(sale.summary.payout, preview.payout);
  assert.match(
    plain(await page.locator('[data-test=sell-result]').textContent()),
    new RegExp(preview.payout),
  );
  await page.locator('.van-popup__close-icon:visible').click();
});

test('member: requests a withdrawal; the amount is frozen', async () => {
  const page = memberPage;
  await page.locator('[data-test=open-withdraw]').click();
  await page.locator('[data-test=withdraw-amount] input').fill('2.50');
  await page.locator('[data-test=confirm-withdraw]').click();
  await page.locator('[data-test=member-frozen]').filter({ hasText: '¥2.50' }).waitFor();
  // The share link and its QR code.
  await page.locator('[data-test=open-share]').click();
  await page.locator('img[data-test=referral-qr]').waitFor();
  const link = (await api(walkIn.login, `/v1/members/${memberId}/referral-link`)).link as string;
  assert.equal(await page.locator('[data-test=referral-link]').textContent(), link);
  await page.locator('.van-popup__close-icon:visible').click();
  const queue = await api('finance', '/v1/withdrawals?status=requested');
  const request = queue.items.find((item: Json) => item.member === memberId);
  assert.equal(request?.amount, '2.50');
});

test('member: the H5 page fits a 390-px-wide phone', async () => {
  const page = await newPage(phone, true);
  await signIn(page, walkIn.login, '/member');
  await page.locator('[data-test=member-cap-progress]').waitFor();
  await page.locator('[data-test=activity-entry]').first().waitFor();
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  assert.ok(width <= phone.width, `the page is ${width}px wide`);
  await page.screenshot({ path: join(screenshots, 'console-member-phone.png') });
  await page.locator('[data-test=to-price]').click();
  await page.waitForURL(`${base}/member/price`);
  const market = await api(walkIn.login, '/v1/market');
  assert.match(plain(await page.locator('[data-test=price-now]').textContent()), new RegExp(market.pool));
});

test('finance: approves the withdrawal, then marks it paid', async () => {
  const page = await newPage();
  await signIn(page, 'finance', '/finance');
  const row = page.locator('[data-test=withdrawals-table] .el-table__row').filter({ hasText: memberId });
  await row.locator('[data-test=approve]').first().click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await row.first().waitFor({ state: 'detached' });
  await page.locator('[data-test=withdrawal-filter]').getByText('已批准').click();
  await row.locator('[data-test=mark-paid]').first().click();
  await page.locator('.el-message-box__input input').fill('BANK-REF-001');
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await row.first().waitFor({ state: 'detached' });
  const paid = await api('finance', '/v1/withdrawals?status=paid');
  const withdrawal = paid.items.find((item: Json) => item.member === memberId);
  assert.equal(withdrawal?.status, 'paid');
  assert.equal(withdrawal?.note, 'BANK-REF-001');
  assert.equal((await api(walkIn.login, `/v1/members/${memberId}`)).frozen, '0.00');
});

test('member: sees the withdrawal paid, with the payout, on their page (desktop screenshot)', async () => {
  const page = memberPage;
  await page.reload();
  const mine = (await api(walkIn.login, `/v1/members/${memberId}/withdrawals`)).items as Json[];
  assert.equal(mine[0]?.status, 'paid');
  const row = page.locator(`[data-test=my-withdrawal][data-withdrawal="${mine[0].id}"]`);
  await row.locator('[data-test=my-withdrawal-status]').filter({ hasText: '已打款' }).waitFor();
  assert.match(plain(await row.textContent()), new RegExp(`到账${mine[0].payout.replace('.', '\\.')}`));
  await page.screenshot({ path: join(screenshots, 'console-member-desktop.png'), fullPage: true });
});

test('finance: wallet totals and a date range’s figures as the API; the CSV exports read back against the API', async () => {
  const page = await newPage();
  await signIn(page, 'finance', '/finance');
  await page.goto(`${base}/finance/reports`);
  const totals = await api('finance', '/v1/reports/wallets');
  for (const key of ['wallets', 'frozen', 'withdrawn', 'payables', 'pool', 'platform', 'received']) {
    await page.locator(`[data-test=total-${key}]`).waitFor();
    assert.equal(await textOf(page, `total-${key}`), totals[key], key);
  }
  // A range typed into the date picker: the last week before today.
  const today = (await api('finance', '/v1/reports/daily')).to as string;
  const from = new Date(Date.parse(today) - 6 * dayMs).toISOString().slice(0, 10);
  const inputs = page.locator('[data-test=export-range] input');
  await inputs.nth(0).fill(from);
  await inputs.nth(1).fill(today);
  await inputs.nth(1).press('Enter');
  const daily = await api('finance', `/v1/reports/daily?from=${from}&to=${today}`);
  await page
    .locator('[data-test=range-volumePaid]')
    .filter({ hasText: yuanText(daily.totals.volumePaid) })
    .waitFor();
  assert.equal(await textOf(page, 'range-ordersPaid'), String(daily.totals.ordersPaid));
  assert.equal(await textOf(page, 'range-rewardsPaid'), daily.totals.rewardsPaid);

  const exported = async (kind: string): Promise<string[][]> => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`[data-test=export-${kind}]`).click(),
    ]);
    assert.equal(download.suggestedFilename(), `poolpoint-${kind}-${from}-to-${today}.csv`);
    return csvRows(readFileSync(await download.path(), 'utf8'));
  };
  const orders = await exported('orders');
  assert.equal(orders[0]?.[0], '时间 time (ISO 8601, UTC+08:00)');
  const paid = orders.slice(1).filter((row) => row[1] === 'paid');
  const settled = orders.slice(1).filter((row) => row[1] === 'settled');
  assert.equal(paid.length, daily.totals.ordersPaid);
  assert.equal(settled.length, daily.totals.ordersSettled);
  const sum = (rows: string[][], column: number): string =>
    money(rows.reduce((total, row) => total + centsOf(row[column] as string), 0n));
  assert.equal(sum(paid, 5), daily.totals.volumePaid);
  assert.equal(sum(settled, 5), daily.totals.volumeSettled);
  assert.equal(sum(settled, 6), daily.totals.commission);
  for (const row of paid) {
    const order = await api('finance', `/v1/orders/${row[2]}`);
    assert.deepEqual(
      [row[3], row[4], row[5]],
      [order.member, order.merchant, order.amount],
      `order ${row[2]}`,
    );
    assert.match(row[0] as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);
    assert.equal(Date.parse(row[0] as string), Date.parse(order.paidAt));
  }
  const rewards = await exported('rewards');
  assert.equal(sum(rewards.slice(1), 5), daily.totals.rewardsPaid);
  const withdrawals = (await exported('withdrawals')).slice(1);
  const paidOut = withdrawals.find((row) => row[1] === 'paid' && row[3] === memberId);
  const withdrawal = (await api('finance', '/v1/withdrawals?status=paid')).items.find(
    (item: Json) => item.member === memberId,
  );
  assert.deepEqual(paidOut?.slice(2, 7), [
    withdrawal.id,
    memberId,
    withdrawal.amount,
    withdrawal.fee,
    withdrawal.payout,
  ]);
  assert.equal(paidOut?.[8], 'BANK-REF-001');
});

test('admin: edits the configuration; the compliance preview updates before saving; saving makes a new version', async () => {
  const page = await newPage();
  await signIn(page, 'admin', '/admin');
  await page.goto(`${base}/admin/config`);
  const before = await api('admin', '/v1/config');
  const preview = page.locator('[data-test=config-preview] [data-rule="maximum static return"]');
  await preview.and(page.locator('[data-level=green]')).waitFor();
  await page.locator('input[data-test="config-capMultiple"]').fill('1.5');
  // 1.5 × (1 − 0.2) = 1.2: above what was spent, red, and in Chinese with the new figures.
  await preview.and(page.locator('[data-level=red]')).waitFor();
  assert.match(
    (await preview.locator('[data-test=finding-reason]').textContent()) ?? '',
    /^封顶倍数 1\.500000 ×（1 − 卖出手续费 0\.200000）= 1\.200000：/,
  );
  await page.locator('[data-test=config-changed]').filter({ hasText: '已修改 1 项' }).waitFor();
  // Nothing is saved yet.
  assert.deepEqual(await api('admin', '/v1/config'), before);
  const staticReturn = async () =>
    ((await api('admin', '/v1/compliance')).findings as Json[]).find(
      (finding) => finding.rule === 'maximum static return',
    );
  assert.equal((await staticReturn()).level, 'green');
  // A bad value is refused by the preview, with the server's reason.
  await page.locator('input[data-test="config-sellFee"]').fill('1.5');
  await page.locator('[data-test=config-invalid]').filter({ hasText: 'config.sellFee' }).waitFor();
  assert.equal(await page.locator('[data-test=config-save]').isDisabled(), true);
  await page.locator('input[data-test="config-sellFee"]').fill('0.200000');
  await preview.and(page.locator('[data-level=red]')).waitFor();

  await page.locator('[data-test=config-save]').click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  const versions = before.history.length + 1;
  await page
    .locator('[data-test=config-versions] .el-table__row')
    .nth(versions - 1)
    .waitFor();
  const after = await api('admin', '/v1/config');
  assert.equal(after.config.capMultiple, '1.500000');
  assert.equal(after.history.length, versions);
  assert.equal((await staticReturn()).level, 'red');
  await page.locator('[data-test=config-changed]').filter({ hasText: '没有修改' }).waitFor();
  // Back as it was, for what follows.
  const restored = await api('admin', '/v1/config', {
    method: 'PUT',
    body: { id: 'cfg_restore_cap', config: { capMultiple: '1.2' } },
  });
  assert.equal(restored.status, 200);
});

test('a member cannot reach staff pages: the console sends them to their own page', async () => {
  for (const path of [
    '/admin',
    '/admin/audit',
    '/admin/config',
    '/admin/orders',
    '/finance',
    '/finance/reports',
    '/merchant',
  ]) {
    await memberPage.goto(`${base}${path}`);
    await memberPage.waitForURL(`${base}/member`);
  }
  assert.equal((await api(walkIn.login, '/v1/audit')).status, 403);
  assert.equal((await api(walkIn.login, '/v1/reports/summary')).status, 403);
  assert.equal((await api(walkIn.login, '/v1/exports/orders.csv?from=2025-03-01&to=2025-03-31')).status, 403);
});

test('no page logged an error', () => {
  assert.deepEqual(browserErrors, []);
});
