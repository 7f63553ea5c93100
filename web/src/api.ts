// The API client: JSON over fetch on the same origin. The bearer token is kept in memory only; the
// HttpOnly session cookie the API sets on sign-in carries the session across reloads.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let bearer: string | null = null;
let onUnauthenticated: () => void = () => {};

export function setBearer(token: string | null): void {
  bearer = token;
}

/** What to do when the server says the session is gone (401): the router sends the user to sign in. */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      String(json.code ?? 'error'),
      String(json.message ?? response.statusText),
    );
    if (response.status === 401 && path !== '/v1/auth/login') onUnauthenticated();
    throw error;
  }
  return json as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = undefined): Promise<T> => api<T>('POST', path, body);

// The shapes the console reads (see /openapi.json); money and points are decimal strings.
export type Role = 'admin' | 'finance' | 'merchant' | 'member' | 'shop';

export interface Market {
  price: string;
  pool: string;
  supply: string;
  forcedExits: number;
  members: number;
  sellFee: string;
  capMultiple: string;
}

export interface PriceSample {
  atMs: number;
  price: string;
  pool: string;
  supply: string;
}

export interface MemberSummary {
  id: string;
  referrer: string | null;
  points: string;
  valueAtPrice: string;
  price: string;
  wallet: string;
  frozen: string;
  rewards: string;
  consumption: string;
  cycle: { open: boolean; consumption: string; realised: string; capMultiple: string; progress: string };
  exits: number;
}

export interface ActivityEntry {
  sequence: number;
  atMs: number;
  kind: string;
  summary: Record<string, string | number | null>;
}

export interface Withdrawal {
  id: string;
  member: string;
  amount: string;
  fee: string;
  status: 'requested' | 'approved' | 'paid' | 'rejected';
  note: string;
  reviewer: string | null;
  requestedAtMs: number;
}

export interface MerchantDetail {
  id: string;
  owner: string | null;
  recruiter: string | null;
  region: string;
  commissionRate: string;
  payable: string;
  activity: ActivityEntry[];
}

export interface Page<T> {
  total: number;
  items: T[];
}
