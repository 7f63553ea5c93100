// The web console in a real browser (Debian's Chromium driven by playwright-core) against a real
// server on the demo data: each role signs in and walks its main flow, the figures on screen are
// checked against the API, a member cannot reach staff pages, and no page logs an error.
// Needs `npm run build:web` first (npm test does it) and /usr/bin/chromium (.ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import QRCode from 'qrcode';
import type { Command } from '../src/domain/messages.ts';
import { cents } from '../src/domain/units.ts';
import { buildApp } from '../src/http/app.ts';
import { ManualClock } from '../src/service/clock.ts';
import { seedDemo } from '../src/service/demo.ts';
import { PoolpointService } from '../src/service/service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const screenshots = join(root, 'docs', 'img');
const chromiumPath = process.env.POOLPOINT_CHROMIUM ?? '/usr/bin/chromium';
const dayMs = 24 * 3600 * 1000;
/** Every wait in the browser; a step that takes longer has failed. */
const waitMs = 10_000;
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
const walkIn = { login: 'walkin', password: 'walk-in-password' };

// JSON answers are read field by field; each step states the shape it expects.
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of an HTTP answer
type Json = any;

let folder = '';
let service: PoolpointService;
let app: FastifyInstance;
let clock: ManualClock;
let base = '';
let browser: Browser;
let passwords = new Map<string, string>();
const contexts: BrowserContext[] = [];
const browserErrors: string[] = [];
const tokens = new Map<string, string>();

before(async () => {
  assert.ok(
    existsSync(join(root, 'web', 'dist', 'index.html')),
    'web/dist is missing: run `npm run build:web` first',
  );
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  folder = mkdtempSync(join(tmpdir(), 'poolpoint-console-'));
  clock = new ManualClock(Date.UTC(2025, 2, 3, 1, 0, 0));
  service = await PoolpointService.open({
    database: `sqlite:${join(folder, 'console.db')}`,
    clock,
    settleEveryMs: 0,
  });
  const demo = await seedDemo(service);
  // Lines are "role login password".
  passwords = new Map(
    demo.lines
      .map((line) => line.trim().split(/\s+/))
      .filter((words) => words.length === 3)
      .map(([, login, password]) => [login as string, password as string]),
  );
  passwords.set(walkIn.login, walkIn.password);
  await tradeDays(14);
  app = buildApp(service);
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await service?.close();
  if (folder !== '') rmSync(folder, { recursive: true, force: true });
});

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

/** A fresh browser profile (its own cookies); every page's console errors are collected. */
async function newPage(viewport = desktop, mobile = false): Promise<Page> {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    isMobile: mobile,
    hasTouch: mobile,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(waitMs);
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => browserErrors.push(`${page.url()}: ${error.message}`));
  return page;
}

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

test('admin: the dashboard draws the price chart and shows the market figures of the API', async () => {
  const page = await newPage();
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
  await page.screenshot({ path: join(screenshots, 'console-dashboard.png') });

  // An injection goes into the pool: the figures follow the API.
  await page.locator('input[data-test=inject-amount]').fill('100.00');
  await page.locator('[data-test=inject-submit]').click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  const pool = (BigInt(market.pool.replace('.', '')) + 10_000n).toString();
  const poolAfter = `${pool.slice(0, -2)}.${pool.slice(-2)}`;
  await page
    .locator('[data-test=figure-pool]')
    .filter({ hasText: poolAfter.replace(/\B(?=(\d{3})+\.)/g, ',') })
    .waitFor();
  assert.equal((await api('admin', '/v1/market')).pool, poolAfter);
  assert.equal(await textOf(page, 'figure-price'), (await api('admin', '/v1/market')).price);

  // English by the switch, and back.
  await page.locator('[data-test=lang-switch]').click();
  await page.getByText('Price of a point').first().waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.locator('[data-test=lang-switch]').click();
  await page.getByText('积分价格').first().waitFor();

  // Members: search and paging come from the API.
  await page.locator('[data-test="nav-/admin/members"]').click();
  await page.waitForURL(`${base}/admin/members`);
  await page.locator('[data-test=members-table] .el-table__row').first().waitFor();
  await page.locator('input[data-test=member-search]').fill('demo01');
  await page.locator('[data-test=member-total]').filter({ hasText: '共 1 位会员' }).waitFor();
  assert.equal(await page.locator('[data-test=members-table] .el-table__row').count(), 1);

  await page.locator('[data-test="nav-/admin/audit"]').click();
  await page.locator('[data-test=audit-table] .el-table__row').first().waitFor();
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
  await memberPage.screenshot({ path: join(screenshots, 'console-member-desktop.png'), fullPage: true });
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

test('a member cannot reach staff pages: the console sends them to their own page', async () => {
  for (const path of ['/admin', '/admin/audit', '/finance', '/merchant']) {
    await memberPage.goto(`${base}${path}`);
    await memberPage.waitForURL(`${base}/member`);
  }
  assert.equal((await api(walkIn.login, '/v1/audit')).status, 403);
});

test('no page logged an error', () => {
  assert.deepEqual(browserErrors, []);
});
