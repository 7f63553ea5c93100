// Serving the web console's files (src/http/static.ts), in-process on a folder the test writes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { registerConsole } from '../src/http/static.ts';

const folder = mkdtempSync(join(tmpdir(), 'poolpoint-static-'));
after(() => rmSync(folder, { recursive: true, force: true }));

function consoleOn(dist: string) {
  const app = Fastify();
  app.get('/v1/market', async () => ({ price: '1.000000' }));
  registerConsole(app, dist);
  return app;
}

test('given a built console, pages answer index.html and assets their own type', async () => {
  const dist = join(folder, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dist, 'assets', 'app-1234.js'), 'export {};');
  writeFileSync(join(dist, 'assets', 'app-1234.css'), 'body{}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
  writeFileSync(join(folder, 'secret.txt'), 'outside the console');
  const app = consoleOn(dist);

  for (const path of ['/', '/admin', '/member/price', '/pay/mch_1?sig=abc']) {
    const page = await app.inject({ url: path });
    assert.equal(page.statusCode, 200, path);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, /<title>console<\/title>/);
  }
  const script = await app.inject({ url: '/assets/app-1234.js' });
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(
    (await app.inject({ url: '/assets/app-1234.css' })).headers['content-type'],
    'text/css; charset=utf-8',
  );
  assert.equal((await app.inject({ url: '/favicon.svg' })).headers['content-type'], 'image/svg+xml');
  assert.equal((await app.inject({ method: 'HEAD', url: '/admin' })).statusCode, 200);

  const missing = await app.inject({ url: '/assets/gone-9999.js' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'not_found');
  assert.equal((await app.inject({ url: '/robots.txt' })).statusCode, 404);
  for (const path of [
    '/assets/..%2f..%2fsecret.txt',
    '/..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
  ]) {
    const escaped = await app.inject({ url: path });
    assert.notEqual(escaped.body, 'outside the console', path);
  }

  // The API keeps its own answers; an unknown API path is the API's 404, never the console's page.
  assert.equal((await app.inject({ url: '/v1/market' })).json().price, '1.000000');
  for (const path of ['/v1/nothing', '/v1', '/docs/x', '/openapi.json']) {
    const answer = await app.inject({ url: path });
    assert.equal(answer.statusCode, 404, path);
    assert.equal(answer.json().code, 'not_found', path);
  }
  await app.close();
});

test('given no build, the root says how to build the console', async () => {
  const app = consoleOn(join(folder, 'not-built'));
  const page = await app.inject({ url: '/' });
  assert.equal(page.statusCode, 503);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(page.body, /npm run build:web/);
  assert.equal((await app.inject({ url: '/assets/app.js' })).statusCode, 404);
  await app.close();
});
