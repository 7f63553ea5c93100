// Outbound webhooks to the operator's shop. The event log stays the source of truth: a webhook is a
// notification the shop may miss (the queue is in memory and is lost when the process exits), so
// every delivery carries its id for de-duplication and the shop can always re-read state over the API.
//
// Delivery is at least once: a request that times out may still have been processed by the shop, and
// is sent again with the same `poolpoint-delivery` id and the same body bytes.
//
// Queue overflow: past `queueLengthMax` pending deliveries the OLDEST pending one is dropped (marked
// failed, with the reason recorded, and retryable by hand). Refusing the new one instead would push
// the failure onto a caller whose event is already committed, and when the queue is full the shop is
// usually unreachable, so the newest notifications are the ones worth keeping.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** The types poolpoint emits; other strings are allowed so that new events need no change here. */
export type WebhookEventType = 'order.settled' | 'points.minted' | 'member.forced_out' | 'withdrawal.status';

/** `skipped`: no URL is configured, the delivery is only logged. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

export interface WebhookAttempt {
  readonly atMs: number;
  readonly durationMs: number;
  /** The HTTP status answered, or null when no answer came (then `error` says why). */
  readonly statusCode: number | null;
  readonly error: string | null;
}

export interface WebhookDelivery {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly createdAtMs: number;
  readonly attempts: readonly WebhookAttempt[];
  readonly status: WebhookDeliveryStatus;
  /** Why a delivery failed (attempts exhausted, dropped from a full queue, dispatcher closed). */
  readonly failureReason: string | null;
  /** When the next automatic attempt is due, while one is scheduled. */
  readonly nextAttemptAtMs: number | null;
}

/** Runs `run` after `delayMs` and returns a function that cancels it. */
export type Schedule = (run: () => void, delayMs: number) => () => void;

export interface WebhookDispatcherOptions {
  /** The shop's endpoint; null logs every delivery as skipped. */
  url: string | null;
  secret: string;
  fetch?: typeof fetch;
  now?: () => number;
  schedule?: Schedule;
  /** Source of jitter in [0, 1); injectable so that tests can pin the backoff. */
  random?: () => number;
  retryAttemptsMax?: number;
  retryDelayMsBase?: number;
  retryDelayMsMax?: number;
  deliveryTimeoutMs?: number;
  queueLengthMax?: number;
  deliveryLogMax?: number;
  /** Requests in flight at once, so that a burst of events does not open thousands of sockets. */
  deliveryConcurrencyMax?: number;
}

export type RetryOutcome =
  | { ok: true; delivery: WebhookDelivery }
  | { ok: false; code: 'unknown_delivery' | 'not_failed' | 'closed'; message: string };

export const signatureHeader = 'poolpoint-signature';
export const deliveryHeader = 'poolpoint-delivery';
/** A signature header longer than this is not one of ours; refuse it before parsing. */
export const signatureHeaderLengthMax = 1_000;
/** Attempts kept per delivery: manual retries add rounds, and the record must stay bounded. */
export const attemptsRecordedMax = 100;

const defaults = {
  retryAttemptsMax: 8,
  retryDelayMsBase: 1_000,
  retryDelayMsMax: 10 * 60_000,
  deliveryTimeoutMs: 5_000,
  queueLengthMax: 10_000,
  deliveryLogMax: 1_000,
  deliveryConcurrencyMax: 8,
} as const;

type Limits = { -readonly [Key in keyof typeof defaults]: number };

// --- Signatures -------------------------------------------------------------------------------------

function signatureHex(secret: string, timestampMs: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex');
}

/** `t=<timestampMs>,v1=<hex HMAC-SHA256 of "<timestampMs>.<body>">`, the timestamp binding against replay. */
export function signPayload(secret: string, timestampMs: number, body: string): string {
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
    throw new RangeError(`signPayload: timestampMs must be a non-negative integer, got ${timestampMs}`);
  }
  return `t=${timestampMs},v1=${signatureHex(secret, timestampMs, body)}`;
}

/**
 * What a shop runs on receipt: true when one `v1` of `header` signs `body` with `secret` and its
 * timestamp is within `toleranceMs` of `nowMs` (either side: clocks drift both ways). Several `v1`
 * entries are accepted so that a secret can be rotated without a gap.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  nowMs: number,
  toleranceMs: number,
): boolean {
  const parsed = parseSignatureHeader(header);
  if (parsed === null) return false;
  if (Math.abs(nowMs - parsed.timestampMs) > toleranceMs) return false;
  const expected = Buffer.from(signatureHex(secret, parsed.timestampMs, body), 'hex');
  // Every candidate is compared, so the time taken does not reveal which one matched.
  let matched = false;
  for (const candidate of parsed.signatures) {
    const given = Buffer.from(candidate, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

function parseSignatureHeader(header: string): { timestampMs: number; signatures: string[] } | null {
  if (header.length > signatureHeaderLengthMax) return null;
  let timestampMs: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestampMs = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestampMs === null || signatures.length === 0) return null;
  return { timestampMs, signatures };
}

// --- Payload ----------------------------------------------------------------------------------------

/** JSON has no bigint: amounts travel as decimal strings of their smallest unit, as everywhere else. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(max, base × 2^(n−1))) after the n-th
 * failed attempt. Jitter spreads the retries of many deliveries that failed together (a shop outage).
 */
export function backoffDelayMs(
  failedAttempts: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 52); // 2^52 × base is past any cap
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.floor(random() * ceilingMs);
}

const defaultSchedule: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  return () => clearTimeout(timer);
};

// --- Dispatcher -------------------------------------------------------------------------------------

interface DeliveryRecord {
  id: string;
  type: string;
  data: unknown;
  createdAtMs: number;
  attempts: WebhookAttempt[];
  status: WebhookDeliveryStatus;
  failureReason: string | null;
  nextAttemptAtMs: number | null;
  /** Serialised once, so that every attempt sends the same bytes whatever the caller does to `data`. */
  body: string;
  /** Attempts in the current round; a manual retry starts a new round. */
  roundAttempts: number;
}

export class WebhookDispatcher {
  private readonly url: string | null;
  private readonly secret: string;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly schedule: Schedule;
  private readonly random: () => number;
  private readonly limits: Limits;
  /** The last `deliveryLogMax` deliveries in creation order, whatever their status. */
  private readonly log = new Map<string, DeliveryRecord>();
  /** Pending deliveries in admission order: the queue, which may outlive their place in the log. */
  private readonly queue = new Map<string, DeliveryRecord>();
  /** Pending deliveries due now, waiting for a free request slot. */
  private readonly ready = new Set<string>();
  private readonly timers = new Map<string, () => void>();
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.url = options.url;
    this.secret = options.secret;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? defaultSchedule;
    this.random = options.random ?? Math.random;
    this.limits = limitsOf(options);
    if (this.url !== null && this.secret.length === 0) {
      throw new Error('WebhookDispatcher: a secret is required when a URL is configured');
    }
  }

  /** Records an event for the shop and starts delivering it; never throws on delivery problems. */
  enqueue(type: WebhookEventType | (string & Record<never, never>), data: unknown): WebhookDelivery {
    const record = this.newRecord(type, data);
    this.remember(record);
    if (this.url === null) {
      record.status = 'skipped';
    } else if (this.closed) {
      this.fail(record, 'the dispatcher was closed before this delivery was sent');
    } else {
      this.admit(record);
    }
    return view(record);
  }

  /** Newest first; `limit` is clamped to the log's size. */
  deliveries(limit: number, offset = 0): WebhookDelivery[] {
    const count = Math.max(0, Math.min(Math.floor(limit), this.limits.deliveryLogMax));
    const start = Math.max(0, Math.floor(offset));
    return [...this.log.values()]
      .reverse()
      .slice(start, start + count)
      .map(view);
  }

  delivery(id: string): WebhookDelivery | null {
    const record = this.log.get(id) ?? this.queue.get(id);
    return record === undefined ? null : view(record);
  }

  /** Sends a failed delivery again, by hand, with a fresh round of automatic retries. */
  retry(id: string): RetryOutcome {
    if (this.closed) return { ok: false, code: 'closed', message: 'the webhook dispatcher is closed' };
    const record = this.log.get(id) ?? this.queue.get(id);
    if (record === undefined) {
      return { ok: false, code: 'unknown_delivery', message: `no delivery ${id} in the log` };
    }
    if (record.status !== 'failed') {
      return { ok: false, code: 'not_failed', message: `delivery ${id} is ${record.status}, not failed` };
    }
    record.roundAttempts = 0;
    record.failureReason = null;
    this.admit(record);
    return { ok: true, delivery: view(record) };
  }

  stats(): { queued: number; inFlight: number; logged: number } {
    return { queued: this.queue.size, inFlight: this.inFlight.size, logged: this.log.size };
  }

  /** Resolves once no delivery is pending (or the dispatcher is closed): for tests and graceful stops. */
  whenIdle(): Promise<void> {
    if (this.queue.size === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Cancels every retry timer and aborts requests in flight, so that the process can exit. Pending
   * deliveries stay pending in the log: they were not given up on, the process is going away.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.ready.clear();
    const requests = [...this.inFlight.values()];
    for (const request of requests) request.controller.abort();
    this.inFlight.clear();
    await Promise.all(requests.map((request) => request.done));
    this.notifyIdle();
  }

  private newRecord(type: string, data: unknown): DeliveryRecord {
    const id = `whd_${randomBytes(12).toString('hex')}`;
    const createdAtMs = this.now();
    // Serialising here makes unserialisable data (a cycle) the caller's error, at the call.
    const body = JSON.stringify(
      { id, type, createdAt: new Date(createdAtMs).toISOString(), data },
      bigintReplacer,
    );
    return {
      id,
      type,
      data,
      createdAtMs,
      attempts: [],
      status: 'pending',
      failureReason: null,
      nextAttemptAtMs: null,
      body,
      roundAttempts: 0,
    };
  }

  private remember(record: DeliveryRecord): void {
    this.log.set(record.id, record);
    if (this.log.size <= this.limits.deliveryLogMax) return;
    const oldest = this.log.keys().next();
    if (!oldest.done) this.log.delete(oldest.value);
  }

  private admit(record: DeliveryRecord): void {
    if (this.queue.size >= this.limits.queueLengthMax) this.dropOldestPending();
    record.status = 'pending';
    this.queue.set(record.id, record);
    this.ready.add(record.id);
    this.pump();
  }

  private dropOldestPending(): void {
    const oldest = this.queue.values().next();
    if (oldest.done) return;
    const record = oldest.value;
    this.timers.get(record.id)?.();
    this.timers.delete(record.id);
    this.ready.delete(record.id);
    this.inFlight.get(record.id)?.controller.abort(); // its attempt sees the abort and records nothing
    this.inFlight.delete(record.id);
    this.fail(record, `dropped: the queue was full (${this.limits.queueLengthMax} pending deliveries)`);
  }

  /** Starts due deliveries while request slots are free. */
  private pump(): void {
    while (!this.closed && this.inFlight.size < this.limits.deliveryConcurrencyMax) {
      const next = this.ready.values().next();
      if (next.done) return;
      this.ready.delete(next.value);
      const record = this.queue.get(next.value);
      if (record === undefined) continue;
      const controller = new AbortController();
      const done = this.attempt(record, controller);
      this.inFlight.set(record.id, { controller, done });
    }
  }

  private async attempt(record: DeliveryRecord, controller: AbortController): Promise<void> {
    record.nextAttemptAtMs = null;
    const atMs = this.now();
    const startMs = performance.now(); // monotonic: a wall-clock step must not make a negative duration
    const answer = await this.post(record, atMs, controller.signal);
    const durationMs = Math.round(performance.now() - startMs);
    // Aborted by close() or by a drop from a full queue, which already freed the slot: the answer
    // no longer decides anything (and the slot may now belong to a manual retry of the same id).
    if (controller.signal.aborted) return;
    this.inFlight.delete(record.id);
    record.roundAttempts += 1;
    record.attempts.push({ atMs, durationMs, ...answer });
    if (record.attempts.length > attemptsRecordedMax) record.attempts.shift();
    this.conclude(record, answer.statusCode);
    this.pump();
  }

  private async post(
    record: DeliveryRecord,
    atMs: number,
    cancelSignal: AbortSignal,
  ): Promise<{ statusCode: number | null; error: string | null }> {
    const timeoutMs = this.limits.deliveryTimeoutMs;
    try {
      const response = await this.fetch(this.url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [signatureHeader]: signPayload(this.secret, atMs, record.body),
          [deliveryHeader]: record.id,
        },
        body: record.body,
        // A redirect would carry the signed body somewhere the operator did not configure.
        redirect: 'manual',
        signal: AbortSignal.any([cancelSignal, AbortSignal.timeout(timeoutMs)]),
      });
      await response.body?.cancel(); // the answer's body is not used; release the connection
      return { statusCode: response.status, error: null };
    } catch (error) {
      return { statusCode: null, error: describeFailure(error, timeoutMs) };
    }
  }

  private conclude(record: DeliveryRecord, statusCode: number | null): void {
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      record.status = 'delivered';
      this.settle(record);
    } else if (record.roundAttempts >= this.limits.retryAttemptsMax) {
      this.fail(record, `gave up after ${record.roundAttempts} attempts`);
    } else {
      this.scheduleRetry(record);
    }
  }

  private scheduleRetry(record: DeliveryRecord): void {
    const { retryDelayMsBase, retryDelayMsMax } = this.limits;
    const delayMs = backoffDelayMs(record.roundAttempts, retryDelayMsBase, retryDelayMsMax, this.random);
    record.nextAttemptAtMs = this.now() + delayMs;
    const cancel = this.schedule(() => {
      this.timers.delete(record.id);
      if (this.closed || record.status !== 'pending') return;
      this.ready.add(record.id);
      this.pump();
    }, delayMs);
    this.timers.set(record.id, cancel);
  }

  private fail(record: DeliveryRecord, reason: string): void {
    record.status = 'failed';
    record.failureReason = reason;
    this.settle(record);
  }

  /** A delivery leaves the queue (delivered or failed). */
  private settle(record: DeliveryRecord): void {
    record.nextAttemptAtMs = null;
    this.queue.delete(record.id);
    if (this.queue.size === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function limitsOf(options: WebhookDispatcherOptions): Limits {
  const limits: Limits = { ...defaults };
  for (const key of Object.keys(defaults) as Array<keyof Limits>) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < (key === 'retryDelayMsBase' ? 0 : 1)) {
      throw new RangeError(`WebhookDispatcher: ${key} must be a positive integer, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // fetch reports "fetch failed" and puts the reason (ECONNREFUSED, a reset) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function view(record: DeliveryRecord): WebhookDelivery {
  return {
    id: record.id,
    type: record.type,
    data: record.data,
    createdAtMs: record.createdAtMs,
    attempts: [...record.attempts],
    status: record.status,
    failureReason: record.failureReason,
    nextAttemptAtMs: record.nextAttemptAtMs,
  };
}
