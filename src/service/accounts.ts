// Accounts, passwords, sessions and API keys. Passwords are hashed with scrypt (node:crypto);
// sessions are signed tokens (HMAC-SHA256 over the account, role and expiry), so a restart keeps
// them valid and nothing about a session is stored; API keys are stored only as their SHA-256.
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { EventStore } from '../store/store.ts';

export type Role = 'admin' | 'finance' | 'merchant' | 'member' | 'shop';
export const roles: readonly Role[] = ['admin', 'finance', 'merchant', 'member', 'shop'];

export interface Account {
  readonly id: string;
  readonly login: string;
  readonly role: Role;
  readonly passwordHash: string;
  /** The member or merchant this account acts for (members and merchant staff). */
  readonly subject: string | null;
  readonly createdAtMs: number;
}

export interface Session {
  readonly account: string;
  /** A random id, so one session can be ended without ending the account's others. */
  readonly id?: string;
  readonly role: Role;
  readonly subject: string | null;
  readonly expiresAtMs: number;
}

const scryptCost = { N: 16_384, r: 8, p: 1 } as const;
const scryptKeyBytes = 32;
export const sessionLifetimeMs = 12 * 3600 * 1000;
export const passwordLengthMin = 8;
export const passwordLengthMax = 256;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, scryptKeyBytes, scryptCost, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return `scrypt$${scryptCost.N}$${scryptCost.r}$${scryptCost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, , , , salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const base64url = (text: string): string => Buffer.from(text).toString('base64url');

export function signSession(secret: string, session: Session): string {
  const payload = base64url(JSON.stringify(session));
  const signature = createHmac('sha256', secret).update(payload).digest('base64url');
  return `${payload}.${signature}`;
}

/** The session a token stands for, or null when it is forged, malformed or expired. */
export function readSession(secret: string, token: string, nowMs: number): Session | null {
  const [payload, signature] = token.split('.');
  if (payload === undefined || signature === undefined) return null;
  const expected = createHmac('sha256', secret).update(payload).digest();
  const given = Buffer.from(signature, 'base64url');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
    return session.expiresAtMs > nowMs ? session : null;
  } catch {
    return null;
  }
}

export const apiKeyDigest = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Accounts by login (and API keys by digest), kept as records beside the log. */
export class LoginTakenError extends Error {
  readonly code = 'login_taken';
  constructor(login: string) {
    super(`the login ${login} is taken`);
    this.name = 'LoginTakenError';
  }
}

/** Session ids whose state is cached (a session is checked on every request). */
const sessionCacheMax = 100_000;

/** API keys looked up recently (by digest): a shop sends its key with every request. */
const apiKeyCacheMax = 1_000;

export class Accounts {
  private readonly apiKeyNames = new Map<string, string>();
  /** Session ids known to be ended (true) or live (false). */
  private readonly endedSessions = new Map<string, boolean>();

  constructor(private readonly store: EventStore) {}

  async byLogin(login: string): Promise<Account | null> {
    const record = await this.store.getRecord('account', login.toLowerCase());
    return record === null ? null : (JSON.parse(record.body) as Account);
  }

  async create(account: Omit<Account, 'passwordHash'>, password: string): Promise<Account> {
    return this.createHashed({ ...account, passwordHash: await hashPassword(password) });
  }

  /** For a password hashed earlier (a merchant application keeps the hash, never the password). */
  async createHashed(account: Account): Promise<Account> {
    const login = account.login.toLowerCase();
    const claimed = await this.store.insertRecord(
      'account',
      login,
      JSON.stringify(account),
      account.createdAtMs,
    );
    if (!claimed) throw new LoginTakenError(account.login);
    return account;
  }

  /** Ends one session (sign-out) until it would have expired anyway; kept as a record, so a restart keeps it ended. */
  async endSession(session: Session): Promise<void> {
    if (session.id === undefined) return;
    await this.store.putRecord('ended-session', session.id, String(session.expiresAtMs), session.expiresAtMs);
    if (this.endedSessions.size >= sessionCacheMax) this.endedSessions.clear();
    this.endedSessions.set(session.id, true);
  }

  async sessionEnded(session: Session): Promise<boolean> {
    if (session.id === undefined) return false;
    const cached = this.endedSessions.get(session.id);
    if (cached !== undefined) return cached;
    const ended = (await this.store.getRecord('ended-session', session.id)) !== null;
    if (this.endedSessions.size >= sessionCacheMax) this.endedSessions.clear();
    this.endedSessions.set(session.id, ended);
    return ended;
  }

  async createApiKey(name: string, nowMs: number): Promise<string> {
    const key = `pk_${randomBytes(24).toString('base64url')}`;
    const body = JSON.stringify({ name, createdAtMs: nowMs });
    await this.store.putRecord('apikey', apiKeyDigest(key), body, nowMs);
    return key;
  }

  async apiKeyName(key: string): Promise<string | null> {
    const digest = apiKeyDigest(key);
    const cached = this.apiKeyNames.get(digest);
    if (cached !== undefined) return cached;
    const record = await this.store.getRecord('apikey', digest);
    if (record === null) return null;
    const name = (JSON.parse(record.body) as { name: string }).name;
    if (this.apiKeyNames.size >= apiKeyCacheMax) this.apiKeyNames.clear();
    this.apiKeyNames.set(digest, name);
    return name;
  }

  async list(offset: number, limit: number): Promise<Omit<Account, 'passwordHash'>[]> {
    const records = await this.store.listRecords('account', offset, limit);
    return records.map((record) => {
      const { passwordHash: _hidden, ...account } = JSON.parse(record.body) as Account;
      return account;
    });
  }
}

/** Failed logins per login name, in memory: past the limit, a login waits out the window. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly failuresMax = 5,
    private readonly windowMs = 15 * 60 * 1000,
    private readonly trackedMax = 100_000,
  ) {}

  blocked(key: string, nowMs: number): boolean {
    const recent = (this.failures.get(key) ?? []).filter((atMs) => nowMs - atMs < this.windowMs);
    return recent.length >= this.failuresMax;
  }

  fail(key: string, nowMs: number): void {
    if (this.failures.size >= this.trackedMax) this.failures.clear(); // bounded: forget rather than grow
    const recent = (this.failures.get(key) ?? []).filter((atMs) => nowMs - atMs < this.windowMs);
    recent.push(nowMs);
    this.failures.set(key, recent);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

/** The service's signing secret, made once and kept as a record. */
export async function serviceSecret(store: EventStore, nowMs: number): Promise<string> {
  const existing = await store.getRecord('secret', 'session');
  if (existing !== null) return existing.body;
  const secret = randomBytes(32).toString('base64url');
  await store.putRecord('secret', 'session', secret, nowMs);
  return secret;
}
