// The API client: JSON over fetch on the same origin. The bearer token is kept in memory only; the
// HttpOnly session cookie the API sets on sign-in carries the session across reloads.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole answer (some errors carry more than code and message: an import's `problems`). */
    readonly body: Record<string, unknown> = {},
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
      json,
    );
    if (response.status === 401 && path !== '/v1/auth/login') onUnauthenticated();
    throw error;
  }
  return json as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = undefined): Promise<T> => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown): Promise<T> => api<T>('PUT', path, body);

/** Fetches a file (a CSV export) and hands it to the browser as a download named by the server. */
export async function download(path: string): Promise<string> {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(path, { headers, credentials: 'same-origin' });
  if (!response.ok) {
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status === 401) onUnauthenticated();
    throw new ApiError(
      response.status,
      String(json.code ?? 'error'),
      String(json.message ?? response.statusText),
    );
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'export.csv';
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

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
  /** amount − fee; the reason of a rejection; when it was last reviewed (ISO). */
  payout?: string;
  reason?: string | null;
  reviewedAt?: string | null;
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

/** Figures of one day (or their sum) in the operator's time zone; money as decimal strings. */
export interface DayFigures {
  ordersPaid: number;
  volumePaid: string;
  ordersSettled: number;
  volumeSettled: string;
  commission: string;
  inflow: string;
  budget: string;
  rewardsPaid: string;
  refunds: number;
  refundedAmount: string;
  forcedExits: number;
}

export interface DailyReport {
  utcOffset: string;
  from: string;
  to: string;
  days: (DayFigures & { day: string })[];
  totals: DayFigures;
  complete: boolean;
}

export interface ReportSummary extends DayFigures {
  utcOffset: string;
  budgetUnused: string;
  rewardsByKind: Record<string, string>;
}

export interface Referrer {
  member: string;
  referred: number;
  direct: string;
  indirect: string;
  referralRewards: string;
  rewardsTotal: string;
}

export interface Agent {
  member: string;
  level: 'district' | 'city' | 'province';
  region: string;
  appointedAt: string | null;
  earnings: string | null;
  orders: number | null;
}

export interface ForcedExit {
  member: string;
  points: string;
  gross: string;
  payout: string;
  atMs: number;
  at: string;
}

// The compliance shapes live with their translation (compliance.ts), which a Node test also reads.
export type { ConfigValue, Finding, PlainConfig } from './compliance';

// The programs (levels and team rewards, campaigns, dividends, legacy conversion): all off by default.
export interface ProgramsOn {
  levels: boolean;
  teamRewards: boolean;
  dividends: boolean;
  legacy: boolean;
}

export interface LotSchedule {
  kind: 'points' | 'cash';
  amount: string;
  left: string;
  batches: number;
  released: number;
  firstDay: string | null;
  lastDay: string;
}

/** GET /v1/members/:member/programs. */
export interface MemberPrograms {
  member: string;
  programs: ProgramsOn;
  level: string | null;
  levelSetByAdmin: boolean;
  levelOverride: string | null;
  coins: string;
  lockedPoints: string;
  lockedCash: string;
  release: {
    nextDay: string;
    nextPoints: string;
    nextCash: string;
    lastDay: string;
    lots: LotSchedule[];
  } | null;
  shareholderWeight: string;
  shareOfWeights: string | null;
  dividendsReceived: string;
}

export interface LevelSetting {
  name: string;
  threshold: string;
  rate: string;
}

export interface CampaignSetting {
  id: string;
  merchant: string;
  productLine?: string | null;
  startMs: string;
  endMs: string;
  mintRatio: string;
}

export interface ProgramSettings {
  levels: LevelSetting[];
  teamRewards: { enabled: boolean; depthMax: string; peerShare: string };
  campaigns: CampaignSetting[];
  dividends: { share: string };
  legacy: { enabled: boolean; releaseDays: string };
}

export interface CampaignView {
  id: string;
  merchant?: string;
  productLine?: string | null;
  startAt?: string;
  endAt?: string;
  mintRatio?: string;
  configured: boolean;
  status: 'upcoming' | 'running' | 'ended' | 'removed';
  orders: number;
  amount: string;
  inflow: string;
  minted: string;
}

export interface DividendFigures {
  share: string;
  pool: string;
  lastDay: string | null;
  shareholders: number;
  totalWeight: string;
  accrued: string;
  paid: string;
}

export interface GrantBatch {
  batch: string | null;
  grants: number;
  coins: string;
  firstAtMs: number;
  lastAtMs: number;
  actor: string;
}

export interface LegacyFigures {
  enabled: boolean;
  releaseDays: number;
  granted: string;
  redeemed: string;
  pending: string;
  outstanding: string;
  lockedPoints: string;
  lockedCash: string;
  membersWithLocked: number;
  lastReleaseDay: string | null;
  nextReleaseDay: string;
  releasedPoints: string;
  releasedCash: string;
  platform: string;
  batches: GrantBatch[];
}

/** GET /v1/programs. */
export interface ProgramsOverview {
  on: ProgramsOn;
  settings: ProgramSettings;
  levelOverrides: {
    total: number;
    items: { member: string; level: string; inUse: boolean; holds: string | null }[];
  };
  levelChanges: {
    sequence: number;
    atMs: number;
    member: string;
    level: string | null;
    actor: string | null;
  }[];
  campaigns: CampaignView[];
  dividends: DividendFigures;
  legacy: LegacyFigures;
  findings: import('./compliance').Finding[];
  utcOffset: string;
  complete: boolean;
}

export interface Shareholder {
  member: string;
  weight: string;
  shareOfWeights: string;
  dividendsReceived: string;
}

export interface DividendDay {
  day: string;
  atMs: number;
  pool: string;
  paid: string;
  payments: number;
  carried: string;
}

export interface ReleaseRun {
  day: string;
  atMs: number;
  points: string;
  cash: string;
}

export interface LegacyAccount {
  member: string;
  coins: string;
  lockedPoints: string;
  lockedCash: string;
}

/**
 * POST /v1/legacy/imports: a check (dryRun: answers `valid` with the problems either way) or an
 * import (a file with problems is a 400 or 409 with `problems`).
 */
export interface ImportAnswer {
  dryRun: boolean;
  valid?: boolean;
  problems?: { line: number; message: string }[];
  batch: string;
  rows: number;
  new: number;
  duplicates: number;
  coins: string;
  legacyEnabled: boolean;
  granted?: number;
  refused?: { line: number; code: string; message: string }[];
}
