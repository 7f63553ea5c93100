// The browser tests' world: a service on the demo data with a manual clock, its HTTP server on a
// free port, and Chromium (through playwright-core) with pages that collect every console error.
// Needs `npm run build:web` first (npm test does it) and a Chromium: POOLPOINT_CHROMIUM, else Debian's
// /usr/bin/chromium (.ci/run installs it); npm test hands over @sparticuz/chromium's when neither is there.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { ManualClock } from '../../src/service/clock.ts';
import { seedDemo } from '../../src/service/demo.ts';
import { PoolpointService } from '../../src/service/service.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = process.env.POOLPOINT_CHROMIUM ?? '/usr/bin/chromium';
/** Every wait in the browser; a step that takes longer has failed. */
export const waitMs = 10_000;
export const desktop = { width: 1280, height: 900 };
export const phone = { width: 390, height: 844 };
/** When the demo's clock starts: 2025-03-03 01:00 UTC. */
const startMs = Date.UTC(2025, 2, 3, 1, 0, 0);

export interface ConsoleWorld {
  readonly folder: string;
  readonly service: PoolpointService;
  readonly clock: ManualClock;
  readonly app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly browser: Browser;
  /** Demo sign-ins: login → password (tests may add their own). */
  readonly passwords: Map<string, string>;
  /** Every page's console errors and uncaught exceptions, as "URL: message". */
  readonly browserErrors: string[];
  /** A fresh browser profile (its own cookies) whose errors are collected. */
  newPage(viewport?: { width: number; height: number }, mobile?: boolean): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Opens the world: the demo seeded on a manual clock, then `prepare` (more history, say) before the
 * server listens, then the browser.
 */
export async function openConsole(
  name: string,
  prepare: (service: PoolpointService, clock: ManualClock) => Promise<void> = async () => {},
): Promise<ConsoleWorld> {
  assert.ok(
    existsSync(join(root, 'web', 'dist', 'index.html')),
    'web/dist is missing: run `npm run build:web`',
  );
  assert.ok(
    existsSync(chromiumPath),
    `${chromiumPath} is missing: apt-get install -y chromium, set POOLPOINT_CHROMIUM, or run the tests through npm test`,
  );
  const folder = mkdtempSync(join(tmpdir(), `poolpoint-${name}-`));
  const clock = new ManualClock(startMs);
  const service = await PoolpointService.open({
    database: `sqlite:${join(folder, 'console.db')}`,
    clock,
    settleEveryMs: 0,
  });
  const demo = await seedDemo(service);
  // Lines are "role login password".
  const passwords = new Map(
    demo.lines
      .map((line) => line.trim().split(/\s+/))
      .filter((words) => words.length === 3)
      .map(([, login, password]) => [login as string, password as string]),
  );
  await prepare(service, clock);
  const app = buildApp(service);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
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
  const browserErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    folder,
    service,
    clock,
    app,
    base,
    browser,
    passwords,
    browserErrors,
    async newPage(viewport = desktop, mobile = false) {
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
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await app.close();
      await service.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
