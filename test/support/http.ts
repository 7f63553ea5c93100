// The HTTP API for tests: a fresh service on its own store with a manual clock, the app built on
// it, staff and shop callers, and JSON calls in-process (Fastify inject) or over a real socket.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Command } from '../../src/domain/messages.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Role } from '../../src/service/accounts.ts';
import { ManualClock } from '../../src/service/clock.ts';
import { PoolpointService } from '../../src/service/service.ts';
import { sqliteTestStore, type TestStore } from './stores.ts';

/** Monday 3 March 2025, 09:00 in Beijing: every test clock starts here. */
export const startMs = Date.UTC(2025, 2, 3, 1, 0, 0);
export const minuteMs = 60_000;
export const hourMs = 60 * minuteMs;
export const dayMs = 24 * hourMs;

/** Who calls: a bearer token, a session cookie, an API key, or nobody. */
export interface Caller {
  readonly token?: string;
  readonly cookie?: string;
  readonly apiKey?: string;
}
export const nobody: Caller = {};

// JSON answers are read field by field; each test states the shape it expects.
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of an HTTP answer
export type Json = any;

export interface Answer {
  readonly status: number;
  readonly json: Json;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface CallOptions {
  readonly as?: Caller;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is, with a JSON content type (for malformed or oversized bodies). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

function requestHeaders(options: CallOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  const as = options.as ?? nobody;
  if (as.token !== undefined) headers.authorization = `Bearer ${as.token}`;
  if (as.cookie !== undefined) headers.cookie = as.cookie;
  if (as.apiKey !== undefined) headers['x-api-key'] = as.apiKey;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

const payloadOf = (options: CallOptions): string | undefined =>
  options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));

function parsed(text: string, contentType: string | undefined): Json {
  return contentType?.includes('application/json') === true && text !== '' ? JSON.parse(text) : undefined;
}

/** The password every fixture account gets: `<login>-password`. */
export const passwordOf = (login: string): string => `${login}-password`;

export class ApiHarness {
  /** Callers made by `open`: an admin, a finance reviewer and the shop back-end. */
  admin: Caller = nobody;
  finance: Caller = nobody;
  shop: Caller = nobody;

  private constructor(
    readonly service: PoolpointService,
    readonly app: FastifyInstance,
    readonly clock: ManualClock,
    private readonly store: TestStore,
  ) {}

  /** A service on `store` (a fresh SQLite file when not given), its app, and staff signed in. */
  static async open(given?: TestStore): Promise<ApiHarness> {
    const store = given ?? (await sqliteTestStore());
    const clock = new ManualClock(startMs);
    const service = await PoolpointService.open({ database: store.database, clock, settleEveryMs: 0 });
    const harness = new ApiHarness(service, buildApp(service), clock, store);
    await harness.app.ready();
    await harness.signInStaff();
    harness.shop = { apiKey: await service.accounts.createApiKey('test-shop', clock.now()) };
    return harness;
  }

  /** Signs the admin and finance fixtures in again (sessions last 12 hours of the manual clock). */
  async signInStaff(): Promise<void> {
    [this.admin, this.finance] = await Promise.all([
      this.account('admin', 'admin', null).then(() => this.signIn('admin')),
      this.account('finance', 'finance', null).then(() => this.signIn('finance')),
    ]);
  }

  async call(method: Method, url: string, options: CallOptions = {}): Promise<Answer> {
    const payload = payloadOf(options);
    const response = await this.app.inject({
      method,
      url,
      headers: requestHeaders(options),
      ...(payload === undefined ? {} : { payload }),
    });
    const contentType = response.headers['content-type'];
    return {
      status: response.statusCode,
      text: response.body,
      json: parsed(response.body, typeof contentType === 'string' ? contentType : undefined),
      headers: response.headers as Answer['headers'],
    };
  }

  get(url: string, as: Caller = nobody): Promise<Answer> {
    return this.call('GET', url, { as });
  }

  post(url: string, body: unknown, as: Caller = nobody): Promise<Answer> {
    return this.call('POST', url, { as, body });
  }

  /** Creates a login directly in the account store (once per login; later calls keep it). */
  async account(login: string, role: Role, subject: string | null): Promise<void> {
    if ((await this.service.accounts.byLogin(login)) !== null) return;
    await this.service.accounts.create(
      { id: `acc_${login}`, login, role, subject, createdAtMs: this.clock.now() },
      passwordOf(login),
    );
  }

  /** Signs in through POST /v1/auth/login and answers the bearer token. */
  async signIn(login: string, password = passwordOf(login)): Promise<Caller> {
    const answer = await this.post('/v1/auth/login', { login, password });
    assert.equal(answer.status, 200, `sign-in of ${login}: ${answer.text}`);
    return { token: answer.json.token as string };
  }

  /** A member's login (the account is made here) for the member id `member`. */
  async memberCaller(member: string, login = member.replace(/^mem_/, '')): Promise<Caller> {
    await this.account(login, 'member', member);
    return this.signIn(login);
  }

  /** Setup commands straight to the service (members, merchants, agents); each must be accepted. */
  async setup(commands: readonly Command[]): Promise<void> {
    const outcomes = await this.service.submitMany(commands);
    outcomes.forEach((outcome, index) => {
      assert.equal(outcome.kind, 'accepted', `setup ${JSON.stringify(commands[index], bigints)}`);
    });
  }

  /** Moves the manual clock and settles every paid order now due; answers how many settled. */
  async advanceAndSettle(milliseconds: number): Promise<number> {
    this.clock.advance(milliseconds);
    return this.service.settleDue();
  }

  /** What a read of the market and of each member shows (as the admin): to prove nothing changed. */
  async observe(members: readonly string[]): Promise<Json> {
    const market = await this.get('/v1/market');
    assert.equal(market.status, 200);
    const views: Record<string, Json> = {};
    for (const member of members) {
      const view = await this.get(`/v1/members/${member}`, this.admin);
      assert.equal(view.status, 200, `GET /v1/members/${member}: ${view.text}`);
      views[member] = view.json;
    }
    const withdrawals = await this.get('/v1/withdrawals', this.admin);
    return { market: market.json, members: views, withdrawals: withdrawals.json };
  }

  /** Runs `action` and asserts the market, the members' summaries and the withdrawal queue did not move. */
  async unchanged<T>(members: readonly string[], action: () => Promise<T>): Promise<T> {
    const before = await this.observe(members);
    const result = await action();
    assert.deepEqual(await this.observe(members), before, 'the request changed something');
    return result;
  }

  /** Listens on 127.0.0.1, port chosen by the system; answers the base URL. */
  async listen(): Promise<string> {
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    const address = this.app.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
      await this.service.close();
    } finally {
      await this.store.cleanup();
    }
  }
}

const bigints = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** An error answer: its status, its code, and a message that says what went wrong. */
export function assertProblem(answer: Answer, status: number, code: string, message?: RegExp): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  assert.equal(answer.json?.code, code, answer.text);
  assert.equal(typeof answer.json.message, 'string');
  assert.ok(answer.json.message.length > 0, 'an empty error message');
  if (message !== undefined) assert.match(answer.json.message, message);
}

/** A JSON call over a real socket with the global fetch. */
export async function fetchJson(
  base: string,
  method: Method,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const payload = payloadOf(options);
  const response = await fetch(`${base}${path}`, {
    method,
    headers: requestHeaders(options),
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await response.text();
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  return {
    status: response.status,
    text,
    json: parsed(text, response.headers.get('content-type') ?? undefined),
    headers,
  };
}
