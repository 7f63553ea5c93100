// The programs in a real browser (Debian's Chromium driven by playwright-core) against a real server
// on the demo data: the admin's programs page (all off at first; each tab says what its program
// does and risks; turning team rewards on warns and moves a compliance finding, a deeper walk turns
// it red before anything is saved; levels, dividends and legacy conversion saved through the
// configuration's flow; a member's level; shareholders and a settled dividend day; a CSV import
// refused with its line, then imported once, also from a chosen file), a member paying a store
// partly in coins, and the member's page with level, coins, locked points and their release, and
// dividends. Every figure on screen is checked against the API; no page logs an error.
// Needs `npm run build:web` first (npm test does it) and a Chromium (test/support/console.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { ManualClock } from '../src/service/clock.ts';
import type { PoolpointService } from '../src/service/service.ts';
import { type ConsoleWorld, desktop, openConsole, phone } from './support/console.ts';

const hourMs = 3600 * 1000;
const dayMs = 24 * hourMs;

// JSON answers are read field by field; each step states the shape it expects.
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of an HTTP answer
type Json = any;

let world: ConsoleWorld;
let service: PoolpointService;
let clock: ManualClock;
let base = '';
let passwords = new Map<string, string>();
let browserErrors: string[] = [];

before(async () => {
  world = await openConsole('console-programs');
  ({ service, clock, base, passwords, browserErrors } = world);
});

after(async () => world?.close());

const newPage = (viewport = desktop, mobile = false): Promise<Page> => world.newPage(viewport, mobile);

async function signIn(page: Page, login: string, next: string): Promise<void> {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.locator('[data-test=login-name] input').fill(login);
  await page.locator('[data-test=login-password] input').fill(passwords.get(login) ?? '');
  await page.locator('[data-test=login-submit]').click();
  await page.waitForURL(`${base}${next}`);
}

/** The API as `login`, signed in afresh each time (the manual clock moves past sessions). */
async function api(
  login: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Json> {
  const signedIn = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: passwords.get(login) }),
  });
  assert.equal(signedIn.status, 200, `sign-in of ${login}`);
  const token = ((await signedIn.json()) as Json).token as string;
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const json = (await response.json()) as Json;
  assert.ok(response.status < 400, `${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Money and points on screen without the currency sign and thousands separators. */
const plain = (text: string | null): string => (text ?? '').replace(/[¥,\s]/g, '');
async function shown(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return plain(await locator.first().textContent());
}
/** Waits until the locator's text (plain) is `expected`; answers the last text seen when it never is. */
async function shows(locator: Locator, expected: string): Promise<string> {
  await locator.first().waitFor();
  for (let tries = 0; tries < 50; tries += 1) {
    const text = plain(await locator.first().textContent());
    if (text === expected) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return plain(await locator.first().textContent());
}

async function confirmDialog(page: Page): Promise<void> {
  await page.locator('.el-message-box__btns .el-button--primary').click();
}

/** A finding's level in a section's preview of moved findings, once it shows `level`. */
async function movedFinding(page: Page, program: string, rule: string, level: string): Promise<void> {
  await page
    .locator(
      `[data-test=program-settings-${program}] [data-test=program-preview-moved] [data-rule="${rule}"][data-level=${level}]`,
    )
    .waitFor();
}

let admin: Page;

test('the programs page: every program off at first, each with what it does and what it risks', async () => {
  admin = await newPage();
  await signIn(admin, 'admin', '/admin/programs');
  for (const name of ['levels', 'campaigns', 'dividends', 'legacy']) {
    assert.equal(
      await admin.locator(`[data-test=program-state-${name}]`).getAttribute('data-on'),
      'false',
      name,
    );
  }
  await admin.locator('[data-test=levels-table]').waitFor();
  const risk = await admin.locator('.risk').first().textContent();
  assert.match(risk ?? '', /禁止传销条例/);
  await admin
    .locator('[data-test=program-settings-levels] [data-test=program-preview] [data-test=finding]')
    .first()
    .waitFor();
});

test('team rewards: turning them on warns and moves a finding; three levels deep is red; saved once confirmed', async () => {
  const settings = admin.locator('[data-test=program-settings-levels]');
  await admin.locator('[data-test=level-add]').click();
  await admin.locator('input[data-test=level-name]').fill('银卡');
  await admin.locator('input[data-test=level-threshold]').fill('100.00');
  await admin.locator('input[data-test=level-rate]').fill('0.002');
  await admin.locator('[data-test=team-enabled]').click();
  await settings.locator('[data-test=program-turning-on]').waitFor();
  assert.match(
    (await settings.locator('[data-test=program-turning-on]').textContent()) ?? '',
    /团队业绩计酬/,
  );
  await movedFinding(admin, 'levels', 'team-based pay', 'amber');
  await admin.locator('input[data-test=team-depth]').fill('3');
  await movedFinding(admin, 'levels', 'team-based pay', 'red');
  await movedFinding(admin, 'levels', 'referral depth', 'red');
  assert.equal((await api('admin', '/v1/config')).config.levels, undefined, 'nothing saved by the preview');
  await admin.locator('input[data-test=team-depth]').fill('2');
  await movedFinding(admin, 'levels', 'team-based pay', 'amber');
  await settings.locator('[data-test=program-save]').click();
  await confirmDialog(admin);
  await admin.locator('[data-test=program-state-levels][data-on=true]').waitFor();
  const config = (await api('admin', '/v1/config')).config;
  assert.deepEqual(config.levels, [{ name: '银卡', threshold: '100.00', rate: '0.002000' }]);
  assert.deepEqual(config.teamRewards, { enabled: true, depthMax: '2', peerShare: '0.000000' });
  const findings = (await api('admin', '/v1/compliance')).findings as Json[];
  assert.equal(findings.find((finding) => finding.rule === 'team-based pay').level, 'amber');
});

test('a member’s level set by hand, listed with the level it holds', async () => {
  await admin.locator('input[data-test=set-level-member]').fill('mem_demo05');
  await admin.locator('[data-test=set-level-select]').click();
  await admin.locator('.el-select-dropdown__item', { hasText: '银卡' }).click();
  await admin.locator('[data-test=set-level-submit]').click();
  await admin
    .locator('[data-test=level-overrides] [data-test=override-level]', { hasText: '银卡' })
    .waitFor();
  const figures = await api('admin', '/v1/members/mem_demo05/programs');
  assert.deepEqual([figures.level, figures.levelSetByAdmin], ['银卡', true]);
});

test('dividends: a share of revenue turned on with its risk; shareholders; a finished day paid by weight', async () => {
  await admin.locator('[data-test=programs-tab-dividends]').click();
  await admin.locator('input[data-test=dividend-share]').fill('0.25');
  const settings = admin.locator('[data-test=program-settings-dividends]');
  await settings.locator('[data-test=program-turning-on]').waitFor();
  assert.match(
    (await settings.locator('[data-test=program-turning-on]').textContent()) ?? '',
    /不能向任何人承诺/,
  );
  await settings.locator('[data-test=program-no-moves]').waitFor();
  await settings.locator('[data-test=program-save]').click();
  await confirmDialog(admin);
  await admin.locator('[data-test=program-state-dividends][data-on=true]').waitFor();
  for (const [member, weight] of [
    ['mem_demo01', '1'],
    ['mem_demo02', '3'],
  ] as const) {
    await admin.locator('input[data-test=shareholder-member]').fill(member);
    await admin.locator('input[data-test=shareholder-weight]').fill(weight);
    await admin.locator('[data-test=shareholder-submit]').click();
    await admin.locator(`[data-test=shareholder-weight-cell][data-member=${member}]`).waitFor();
  }
  // Days pass, and with them the page's session: it is closed first, so that no request of it is
  // still on its way when the clock moves (it would be refused, and the page would log it).
  await admin.context().close();
  // A day of trading: the demo's last week of orders settle as their hold window passes.
  clock.advance(2 * dayMs);
  await service.settleDue();
  assert.equal(await service.runDaily(), 0, 'no finished day yet');
  const pool = (await api('admin', '/v1/dividends')).pool as string;
  assert.notEqual(pool, '0.00', 'revenue accrued');
  clock.advance(dayMs);
  assert.equal(await service.runDaily(), 1);
  // The session ended with the days passed: a fresh browser signs in again.
  admin = await newPage();
  await signIn(admin, 'admin', '/admin/programs');
  await admin.locator('[data-test=programs-tab-dividends]').click();
  const dividends = await api('admin', '/v1/dividends');
  assert.equal(dividends.items.length, 1);
  assert.equal(await shows(admin.locator('[data-test=dividend-pool]'), dividends.pool), dividends.pool);
  assert.equal(await shown(admin.locator('[data-test=dividend-last-day]')), dividends.lastDay);
  assert.equal(await shown(admin.locator('[data-test=dividend-day]')), dividends.items[0].day);
  assert.equal(await shown(admin.locator('[data-test=dividend-day-paid]')), dividends.items[0].paid);
  assert.equal(await shown(admin.locator('[data-test=dividend-paid]')), dividends.paid);
  const holders = (await api('admin', '/v1/shareholders')).items as Json[];
  for (const holder of holders) {
    const cell = admin.locator(`[data-test=shareholder-received][data-member=${holder.member}]`);
    assert.equal(await shows(cell, holder.dividendsReceived), holder.dividendsReceived, holder.member);
  }
  // 1 : 3, floored: the second is paid three times the first, give or take the floors.
  const [first, second] = holders.map((holder) => BigInt(holder.dividendsReceived.replace('.', '')));
  assert.ok(first !== undefined && second !== undefined && second >= 3n * first && second <= 3n * first + 3n);
});

test('legacy conversion: turned on with its risk; a bad CSV names its line; fixed, imported once; from a file too', async () => {
  await admin.locator('[data-test=programs-tab-legacy]').click();
  await admin.locator('[data-test=legacy-enabled]').click();
  await admin.locator('input[data-test=legacy-release-days]').fill('5');
  const settings = admin.locator('[data-test=program-settings-legacy]');
  await settings.locator('[data-test=program-turning-on]').waitFor();
  assert.match(
    (await settings.locator('[data-test=program-turning-on]').textContent()) ?? '',
    /平台余额可能变成负数/,
  );
  await settings.locator('[data-test=program-save]').click();
  await confirmDialog(admin);
  await admin.locator('[data-test=program-state-legacy][data-on=true]').waitFor();

  await admin.locator('input[data-test=legacy-batch]').fill('old-app-1');
  await admin
    .locator('textarea[data-test=legacy-csv]')
    .fill('member,coins\nmem_demo01,300.00\nmem_nobody,10.00\n');
  await admin.locator('[data-test=legacy-check]').click();
  await admin.locator('[data-test=legacy-problems]').waitFor();
  assert.deepEqual(await admin.locator('[data-test=legacy-problem-line]').allTextContents(), ['3']);
  assert.ok(
    await admin.locator('[data-test=legacy-import]').isDisabled(),
    'a refused file cannot be imported',
  );
  assert.equal((await api('admin', '/v1/legacy')).granted, '0.00');

  await admin
    .locator('textarea[data-test=legacy-csv]')
    .fill('member,coins\nmem_demo01,300.00\nmem_demo02,50.00\n');
  await admin.locator('[data-test=legacy-check]').click();
  await admin.locator('[data-test=legacy-checked]').waitFor();
  await admin.locator('[data-test=legacy-import]').click();
  await admin.locator('[data-test=legacy-imported]').waitFor();
  assert.equal((await api('admin', '/v1/legacy')).granted, '350.00');
  assert.equal(await shows(admin.locator('[data-test=legacy-granted]'), '350.00'), '350.00');
  // The same file again: every row a duplicate, nothing granted.
  await admin.locator('[data-test=legacy-check]').click();
  await admin.locator('[data-test=legacy-checked]').waitFor();
  assert.match((await admin.locator('[data-test=legacy-checked]').textContent()) ?? '', /新发放 0 行/);

  await admin.locator('input[data-test=legacy-batch]').fill('');
  await admin.locator('[data-test=legacy-file]').setInputFiles({
    name: 'old-app-2.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('mem_demo03,20.00,旧钱包余额\n'),
  });
  const batchName = admin.locator('input[data-test=legacy-batch]');
  for (let tries = 0; tries < 50 && (await batchName.inputValue()) === ''; tries += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await batchName.inputValue(), 'old-app-2', 'the batch is named after the file');
  await admin.locator('[data-test=legacy-check]').click();
  await admin.locator('[data-test=legacy-checked]').waitFor();
  await admin.locator('[data-test=legacy-import]').click();
  await admin.locator('[data-test=legacy-imported]').waitFor();
  const legacy = await api('admin', '/v1/legacy');
  assert.equal(legacy.granted, '370.00');
  assert.deepEqual(
    legacy.batches.map((batch: Json) => [batch.batch, batch.coins]),
    [
      ['old-app-2', '20.00'],
      ['old-app-1', '350.00'],
    ],
  );
  assert.equal(
    await shows(admin.locator('[data-test=legacy-outstanding]'), legacy.outstanding),
    legacy.outstanding,
  );
  const coins = admin.locator('[data-test=legacy-account-coins][data-member=mem_demo03]');
  assert.equal(await shows(coins, '20.00'), '20.00');
});

test('a grant whose answer is lost is retried with the same id: the coins are granted once', async () => {
  const member = 'mem_demo04';
  const coinsOf = async (): Promise<string> => (await api('admin', `/v1/members/${member}/programs`)).coins;
  const before = await coinsOf();
  await admin.locator('input[data-test=grant-member]').fill(member);
  await admin.locator('input[data-test=grant-coins]').fill('12.34');
  await admin.locator('input[data-test=grant-reason]').fill('旧卡余额');
  // The server grants, but the answer never reaches the page (a proxy timing out, say).
  const sent: string[] = [];
  const errorsBefore = browserErrors.length;
  await admin.route('**/v1/members/*/coins', async (route) => {
    sent.push(JSON.parse(route.request().postData() ?? '{}').id);
    await route.fetch();
    await route.fulfill({
      status: 502,
      contentType: 'application/json',
      body: '{"code":"bad_gateway","message":"the answer was lost"}',
    });
  });
  await admin.locator('[data-test=grant-submit]').click();
  for (let tries = 0; tries < 50 && sent.length === 0; tries += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await admin.locator('[data-test=grant-submit].is-loading').waitFor({ state: 'detached' });
  await admin.unroute('**/v1/members/*/coins');
  // The browser logs the 502 it was shown; that is this test's doing, not the page's.
  const logged = browserErrors.splice(errorsBefore);
  assert.ok(
    logged.every((line) => /502/.test(line)),
    logged.join('\n'),
  );
  // The admin clicks again: the same id, so the server answers "duplicate" and grants nothing more.
  const answered = admin.waitForResponse(
    (response) => response.url().includes('/coins') && response.request().method() === 'POST',
  );
  await admin.locator('[data-test=grant-submit]').click();
  const retry = await answered;
  assert.equal(JSON.parse(retry.request().postData() ?? '{}').id, sent[0]);
  assert.equal((await retry.json()).outcome, 'duplicate');
  const after = await coinsOf();
  assert.equal(
    BigInt(after.replace('.', '')) - BigInt(before.replace('.', '')),
    1234n,
    `${before} → ${after}`,
  );
});

test('a member pays a store partly in coins: the provider charges the cash part', async () => {
  const page = await newPage(phone, true);
  const qr = (await api('admin', '/v1/merchants/mch_demo_tea/qr')).payload as string;
  const path = new URL(qr).pathname + new URL(qr).search;
  await signIn(page, 'member1', '/member');
  await page.goto(`${base}${path}`);
  await page.locator('[data-test=pay-amount] input').fill('100.00');
  await page.locator('[data-test=pay-use-coins]').click();
  assert.equal(
    await page.locator('[data-test=pay-coins] input').inputValue(),
    '100.00',
    'as much as the balance covers',
  );
  await page.locator('[data-test=pay-coins] input').fill('40.00');
  await page.locator('[data-test=pay-start]').click();
  await page.locator('[data-test=pay-confirm]').waitFor();
  assert.match(
    (await page.locator('[data-test=pay-confirm]').textContent()) ?? '',
    /现金 ¥60\.00，消费币 ¥40\.00/,
  );
  await page.locator('[data-test=pay-confirm]').click();
  await page.locator('[data-test=pay-split]').waitFor();
  const order = await page.locator('[data-test=pay-order]').getAttribute('data-order');
  const status = await api('admin', `/v1/orders/${order}`);
  assert.deepEqual([status.amount, status.coins, status.status], ['100.00', '40.00', 'pending']);
  assert.equal((await api('admin', '/v1/members/mem_demo01/programs')).coins, '260.00');
  await page.context().close(); // before the clock moves on (see above)
});

test('the member’s page: level, coins, locked points with the next release, dividends, as the API says', async () => {
  // The order settles after the hold window; the release runs of the days after it follow.
  clock.advance(7 * dayMs + hourMs);
  await service.runDaily();
  await service.settleDue();
  clock.advance(dayMs);
  await service.runDaily();
  const figures = await api('admin', '/v1/members/mem_demo01/programs');
  assert.notEqual(figures.lockedPoints, '0.000000', 'the coin part’s points are locked');
  assert.ok(figures.release !== null);
  const page = await newPage(phone, true);
  await signIn(page, 'member1', '/member');
  await page.locator('[data-test=member-programs]').waitFor();
  assert.equal(await shown(page.locator('[data-test=member-coins]')), figures.coins);
  assert.equal(await shown(page.locator('[data-test=member-locked-points]')), figures.lockedPoints);
  assert.equal(await shown(page.locator('[data-test=member-level]')), figures.level ?? '暂无等级');
  assert.equal(await shown(page.locator('[data-test=member-dividends]')), figures.dividendsReceived);
  const release = (await page.locator('[data-test=member-release-next]').textContent()) ?? '';
  assert.ok(release.includes(figures.release.nextDay), release);
  assert.ok(
    plain(release).includes(figures.release.nextPoints),
    `${release} names ${figures.release.nextPoints}`,
  );
  const history = await page.locator('[data-test=activity-entry]').allTextContents();
  assert.ok(
    history.some((entry) => entry.includes('使用消费币')),
    'coins spent are in the history',
  );
  assert.ok(
    history.some((entry) => entry.includes('获得消费币')),
    'coins granted are in the history',
  );
  // Nothing on the page promises a return.
  const text = (await page.locator('[data-test=member-programs]').textContent()) ?? '';
  assert.doesNotMatch(text, /保本|稳赚|保证收益|保证回报|稳赚不赔|只涨不跌/);
});

test('no page logged an error', () => {
  assert.deepEqual(browserErrors, []);
});
