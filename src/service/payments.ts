// The payment provider seam: WeChat Pay and Alipay adapters implement PaymentProvider later; the
// sandbox implements it now for tests and the demo. Also the signed links printed as store QR codes
// and shared as referral links.
//
// Failures a caller can expect (unknown payment, refund too large) are thrown as PaymentError with a
// stable code, because the provider calls are promises that real adapters can also reject for
// network reasons; the edge maps codes to HTTP statuses.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AMOUNT_MAX, type Cents, cents, ZERO_CENTS } from '../domain/units.ts';

export type PaymentStatus = 'pending' | 'paid' | 'failed';

export interface PaymentRequest {
  /** Our id for the payment (the provider's out_trade_no); creating it twice is idempotent. */
  paymentId: string;
  /** What the provider charges: the order's cash part. */
  amount: Cents;
  /**
   * The part of the order the member pays in consumption coins (消费币, docs/rules.md "Legacy
   * conversion"): not charged by the provider; the order's amount is `amount + coins`. A payment
   * wholly in coins has `amount` 0: an adapter then calls no provider and only awaits the member's
   * confirmation, as the sandbox does.
   */
  coins?: Cents;
  description: string;
  merchant: string;
  member: string;
}

export interface PaymentCreated {
  paymentId: string;
  status: PaymentStatus;
  providerReference: string;
  /** Where the member confirms the payment; null when there is nothing left to confirm. */
  payUrl: string | null;
}

export interface PaymentQuery {
  status: PaymentStatus;
  providerReference: string;
  paidAtMs: number | null;
}

export interface RefundResult {
  refunded: boolean;
  providerReference: string;
}

export interface PaymentProvider {
  readonly name: string;
  createPayment(request: PaymentRequest): Promise<PaymentCreated>;
  queryPayment(paymentId: string): Promise<PaymentQuery>;
  refund(paymentId: string, amount: Cents): Promise<RefundResult>;
}

export type PaymentErrorCode =
  | 'unknown_payment'
  | 'invalid_request'
  | 'invalid_amount'
  | 'payment_id_conflict'
  | 'not_pending'
  | 'not_paid'
  | 'already_refunded'
  | 'refund_exceeds_paid';

export class PaymentError extends Error {
  override readonly name = 'PaymentError';

  constructor(
    readonly code: PaymentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Out-trade-number length accepted by Alipay (WeChat Pay's is 32); the sandbox is no more lenient. */
export const paymentIdLengthMax = 64;
/** Payments the sandbox remembers; past it the oldest is forgotten (a sandbox, not a ledger). */
export const sandboxPaymentsMax = 10_000;

/** Everything the sandbox knows of a payment, for the demo's pay page and for tests. */
export interface SandboxPayment {
  readonly request: Readonly<PaymentRequest>;
  readonly status: PaymentStatus;
  readonly providerReference: string;
  readonly paidAtMs: number | null;
  readonly refundedAmount: Cents;
}

export interface SandboxOptions {
  /** Pays every payment at creation, as if the member confirmed at once. */
  autoComplete?: boolean;
  /** The pay page of a pending payment (the demo's); without it payUrl is null. */
  payUrlOf?: (paymentId: string) => string;
  now?: () => number;
  paymentsMax?: number;
}

type SandboxRecord = { -readonly [Key in keyof SandboxPayment]: SandboxPayment[Key] };

/**
 * A deterministic in-memory provider: references count up from 1, and nothing happens on its own
 * except `autoComplete`. The member's confirmation is `completePayment` or `failPayment`.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox';
  private readonly payments = new Map<string, SandboxRecord>();
  private readonly autoComplete: boolean;
  private readonly payUrlOf: ((paymentId: string) => string) | null;
  private readonly now: () => number;
  private readonly paymentsMax: number;
  private referencesIssued = 0;

  constructor(options: SandboxOptions = {}) {
    this.autoComplete = options.autoComplete ?? false;
    this.payUrlOf = options.payUrlOf ?? null;
    this.now = options.now ?? Date.now;
    this.paymentsMax = options.paymentsMax ?? sandboxPaymentsMax;
    if (!Number.isSafeInteger(this.paymentsMax) || this.paymentsMax < 1) {
      throw new RangeError(`SandboxPaymentProvider: paymentsMax must be a positive integer`);
    }
  }

  async createPayment(request: PaymentRequest): Promise<PaymentCreated> {
    validateRequest(request);
    const existing = this.payments.get(request.paymentId);
    if (existing !== undefined) {
      if (!sameRequest(existing.request, request)) {
        throw new PaymentError(
          'payment_id_conflict',
          `payment ${request.paymentId} already exists with another amount, coins, description, merchant or member`,
        );
      }
      return this.created(existing);
    }
    const record: SandboxRecord = {
      request: { ...request },
      status: 'pending',
      providerReference: this.nextReference('pay'),
      paidAtMs: null,
      refundedAmount: ZERO_CENTS,
    };
    this.remember(record);
    if (this.autoComplete) this.completePayment(request.paymentId, this.now());
    return this.created(record);
  }

  async queryPayment(paymentId: string): Promise<PaymentQuery> {
    const record = this.find(paymentId);
    return { status: record.status, providerReference: record.providerReference, paidAtMs: record.paidAtMs };
  }

  /** Partial refunds add up; their total never exceeds the amount paid. */
  async refund(paymentId: string, amount: Cents): Promise<RefundResult> {
    const record = this.find(paymentId);
    if (amount <= 0n)
      throw new PaymentError('invalid_amount', `a refund must be positive, got ${amount} cents`);
    if (record.status !== 'paid') {
      throw new PaymentError(
        'not_paid',
        `payment ${paymentId} is ${record.status}; only paid payments are refunded`,
      );
    }
    const refundableAmount = record.request.amount - record.refundedAmount;
    if (refundableAmount === 0n) {
      throw new PaymentError('already_refunded', `payment ${paymentId} has already been refunded in full`);
    }
    if (amount > refundableAmount) {
      throw new PaymentError(
        'refund_exceeds_paid',
        `refund of ${amount} cents exceeds the ${refundableAmount} cents still refundable on ${paymentId}`,
      );
    }
    record.refundedAmount = cents(record.refundedAmount + amount);
    return { refunded: true, providerReference: this.nextReference('refund') };
  }

  /** The member confirms in the sandbox. Confirming a paid payment again changes nothing. */
  completePayment(paymentId: string, nowMs: number): PaymentQuery {
    const record = this.find(paymentId);
    if (record.status === 'failed') {
      throw new PaymentError('not_pending', `payment ${paymentId} has failed and cannot be paid`);
    }
    if (record.status === 'pending') {
      record.status = 'paid';
      record.paidAtMs = nowMs;
    }
    return { status: record.status, providerReference: record.providerReference, paidAtMs: record.paidAtMs };
  }

  /** The member cancels, or the payment is declined. Failing a failed payment again changes nothing. */
  failPayment(paymentId: string): PaymentQuery {
    const record = this.find(paymentId);
    if (record.status === 'paid') {
      throw new PaymentError('not_pending', `payment ${paymentId} is paid; refund it instead`);
    }
    record.status = 'failed';
    return { status: record.status, providerReference: record.providerReference, paidAtMs: null };
  }

  /** What the demo's pay page shows; null when the sandbox does not know (or has forgotten) the id. */
  payment(paymentId: string): SandboxPayment | null {
    const record = this.payments.get(paymentId);
    return record === undefined ? null : { ...record };
  }

  private find(paymentId: string): SandboxRecord {
    const record = this.payments.get(paymentId);
    if (record === undefined) throw new PaymentError('unknown_payment', `no payment ${paymentId}`);
    return record;
  }

  private remember(record: SandboxRecord): void {
    this.payments.set(record.request.paymentId, record);
    if (this.payments.size <= this.paymentsMax) return;
    const oldest = this.payments.keys().next();
    if (!oldest.done) this.payments.delete(oldest.value);
  }

  private created(record: SandboxRecord): PaymentCreated {
    const payUrl =
      record.status === 'pending' && this.payUrlOf !== null ? this.payUrlOf(record.request.paymentId) : null;
    return {
      paymentId: record.request.paymentId,
      status: record.status,
      providerReference: record.providerReference,
      payUrl,
    };
  }

  private nextReference(kind: 'pay' | 'refund'): string {
    this.referencesIssued += 1;
    return `sandbox_${kind}_${String(this.referencesIssued).padStart(8, '0')}`;
  }
}

function validateRequest(request: PaymentRequest): void {
  const { paymentId, amount } = request;
  const coins = request.coins ?? ZERO_CENTS;
  if (paymentId.length === 0 || paymentId.length > paymentIdLengthMax) {
    throw new PaymentError('invalid_request', `paymentId must have 1 to ${paymentIdLengthMax} characters`);
  }
  if (coins < 0n || amount < 0n || (amount === 0n && coins === 0n) || amount + coins > AMOUNT_MAX) {
    throw new PaymentError('invalid_amount', `a payment must be positive, got ${amount} cents`);
  }
}

function sameRequest(left: Readonly<PaymentRequest>, right: PaymentRequest): boolean {
  return (
    left.amount === right.amount &&
    (left.coins ?? ZERO_CENTS) === (right.coins ?? ZERO_CENTS) &&
    left.description === right.description &&
    left.merchant === right.merchant &&
    left.member === right.member
  );
}

// --- Signed links -----------------------------------------------------------------------------------
// A 64-bit tag (16 hex) is enough: forging one takes ~2^63 online guesses against the service. Store
// QR codes sign the bare merchant id; referral links sign "referral:" + member id, so that a store
// signature can never double as a referral signature for a member with the same id.

/** Hex characters of HMAC-SHA256 kept in a link. */
export const linkSignatureHexLength = 16;
/** A link longer than this is not one we printed; refuse it before parsing. */
export const linkLengthMax = 2_048;

function linkSignature(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex').slice(0, linkSignatureHexLength);
}

function signatureMatches(given: string, expected: string): boolean {
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}

const trimSlash = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');

function requireId(kind: string, id: string): void {
  if (id.length === 0) throw new RangeError(`${kind} must not be empty`);
}

/** `${baseUrl}/pay/${merchantId}?sig=…`: the payload of the QR code at a store's till. */
export function storeQrPayload(baseUrl: string, merchantId: string, secret: string): string {
  requireId('merchantId', merchantId);
  const signature = linkSignature(secret, merchantId);
  return `${trimSlash(baseUrl)}/pay/${encodeURIComponent(merchantId)}?sig=${signature}`;
}

/** The merchant id of a store QR we signed, or null when it was edited or is not one. */
export function verifyStoreQr(url: string, secret: string): string | null {
  const parsed = parseLink(url);
  if (parsed === null) return null;
  const match = /\/pay\/([^/]+)$/.exec(parsed.pathname);
  const merchantId = match?.[1] === undefined ? null : decodeSegment(match[1]);
  const signature = singleParameter(parsed, 'sig');
  if (merchantId === null || merchantId.length === 0 || signature === null) return null;
  return signatureMatches(signature, linkSignature(secret, merchantId)) ? merchantId : null;
}

/** `${baseUrl}/join?ref=${memberId}&sig=…`: a member's share link, binding new members to them. */
export function referralLink(baseUrl: string, memberId: string, secret: string): string {
  requireId('memberId', memberId);
  const signature = linkSignature(secret, `referral:${memberId}`);
  return `${trimSlash(baseUrl)}/join?ref=${encodeURIComponent(memberId)}&sig=${signature}`;
}

/** The referring member of a share link we signed, or null when it was edited or is not one. */
export function verifyReferralLink(url: string, secret: string): string | null {
  const parsed = parseLink(url);
  if (parsed === null || !/\/join$/.test(parsed.pathname)) return null;
  const memberId = singleParameter(parsed, 'ref');
  const signature = singleParameter(parsed, 'sig');
  if (memberId === null || memberId.length === 0 || signature === null) return null;
  return signatureMatches(signature, linkSignature(secret, `referral:${memberId}`)) ? memberId : null;
}

function parseLink(url: string): URL | null {
  if (url.length > linkLengthMax || !URL.canParse(url)) return null;
  return new URL(url);
}

/** A parameter given exactly once: two `sig`s or two `ref`s are an edited link. */
function singleParameter(url: URL, name: string): string | null {
  const values = url.searchParams.getAll(name);
  return values.length === 1 && values[0] !== undefined ? values[0] : null;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null; // a malformed escape
  }
}
