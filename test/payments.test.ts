// The sandbox payment provider behaves as the real adapters must (pending → paid or failed, refunds
// only of what was paid), and signed store QR codes and referral links cannot be edited into another's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cents } from '../src/domain/units.ts';
import {
  PaymentError,
  type PaymentErrorCode,
  type PaymentProvider,
  type PaymentRequest,
  referralLink,
  SandboxPaymentProvider,
  storeQrPayload,
  verifyReferralLink,
  verifyStoreQr,
} from '../src/service/payments.ts';

const request: PaymentRequest = {
  paymentId: 'pay_1',
  amount: cents(48_000n),
  description: 'Order ord_1 at Tea House',
  merchant: 'mer_tea',
  member: 'mem_alice',
};

async function rejectsWith(
  promise: Promise<unknown> | (() => unknown),
  code: PaymentErrorCode,
): Promise<void> {
  await assert.rejects(
    async () => (typeof promise === 'function' ? promise() : promise),
    (error: unknown) => error instanceof PaymentError && error.code === code,
  );
}

test('given a new payment, when the member confirms in the sandbox, then it is paid at that time', async () => {
  const sandbox = new SandboxPaymentProvider({ payUrlOf: (id) => `http://localhost:8080/sandbox/pay/${id}` });
  const provider: PaymentProvider = sandbox;
  const created = await provider.createPayment(request);
  assert.deepEqual(created, {
    paymentId: 'pay_1',
    status: 'pending',
    providerReference: 'sandbox_pay_00000001',
    payUrl: 'http://localhost:8080/sandbox/pay/pay_1',
  });
  assert.deepEqual(await provider.queryPayment('pay_1'), {
    status: 'pending',
    providerReference: 'sandbox_pay_00000001',
    paidAtMs: null,
  });
  sandbox.completePayment('pay_1', 1_700_000_000_000);
  sandbox.completePayment('pay_1', 1_800_000_000_000); // a second press of the pay button
  assert.deepEqual(await provider.queryPayment('pay_1'), {
    status: 'paid',
    providerReference: 'sandbox_pay_00000001',
    paidAtMs: 1_700_000_000_000,
  });
  assert.equal(provider.name, 'sandbox');
  assert.equal(sandbox.payment('pay_1')?.request.merchant, 'mer_tea');
});

test('given autoComplete, a payment is paid at creation, with no page to visit', async () => {
  const sandbox = new SandboxPaymentProvider({
    autoComplete: true,
    now: () => 42,
    payUrlOf: (id) => `/pay/${id}`,
  });
  const created = await sandbox.createPayment(request);
  assert.equal(created.status, 'paid');
  assert.equal(created.payUrl, null);
  assert.equal((await sandbox.queryPayment('pay_1')).paidAtMs, 42);
});

test('creating the same payment twice is idempotent; the same id with another body is refused', async () => {
  const sandbox = new SandboxPaymentProvider();
  const first = await sandbox.createPayment(request);
  assert.deepEqual(await sandbox.createPayment({ ...request }), first);
  await rejectsWith(sandbox.createPayment({ ...request, amount: cents(48_001n) }), 'payment_id_conflict');
  await rejectsWith(sandbox.createPayment({ ...request, member: 'mem_bob' }), 'payment_id_conflict');
});

test('invalid requests and unknown ids are refused with a code', async () => {
  const sandbox = new SandboxPaymentProvider();
  await rejectsWith(sandbox.createPayment({ ...request, amount: cents(0n) }), 'invalid_amount');
  await rejectsWith(sandbox.createPayment({ ...request, amount: cents(-5n) }), 'invalid_amount');
  await rejectsWith(sandbox.createPayment({ ...request, amount: cents(1n << 63n) }), 'invalid_amount');
  await rejectsWith(sandbox.createPayment({ ...request, paymentId: '' }), 'invalid_request');
  await rejectsWith(sandbox.createPayment({ ...request, paymentId: 'p'.repeat(65) }), 'invalid_request');
  await rejectsWith(sandbox.queryPayment('pay_nope'), 'unknown_payment');
  await rejectsWith(sandbox.refund('pay_nope', cents(1n)), 'unknown_payment');
  await rejectsWith(() => sandbox.completePayment('pay_nope', 0), 'unknown_payment');
  await rejectsWith(() => sandbox.failPayment('pay_nope'), 'unknown_payment');
  assert.equal(sandbox.payment('pay_nope'), null);
  const error = new PaymentError('unknown_payment', 'no payment pay_nope');
  assert.equal(error.name, 'PaymentError');
  assert.ok(error instanceof Error);
});

test('a failed payment cannot be paid, and a paid one cannot fail', async () => {
  const sandbox = new SandboxPaymentProvider();
  await sandbox.createPayment(request);
  await sandbox.createPayment({ ...request, paymentId: 'pay_2' });
  assert.equal(sandbox.failPayment('pay_1').status, 'failed');
  assert.equal(sandbox.failPayment('pay_1').status, 'failed', 'failing again changes nothing');
  await rejectsWith(() => sandbox.completePayment('pay_1', 1), 'not_pending');
  sandbox.completePayment('pay_2', 1);
  await rejectsWith(() => sandbox.failPayment('pay_2'), 'not_pending');
  await rejectsWith(sandbox.refund('pay_1', cents(1n)), 'not_paid');
});

test('refunds: only of a paid payment, partial ones add up, never more than was paid', async () => {
  const sandbox = new SandboxPaymentProvider();
  await sandbox.createPayment(request);
  await rejectsWith(sandbox.refund('pay_1', cents(100n)), 'not_paid');
  sandbox.completePayment('pay_1', 1);
  await rejectsWith(sandbox.refund('pay_1', cents(0n)), 'invalid_amount');
  await rejectsWith(sandbox.refund('pay_1', cents(-1n)), 'invalid_amount');
  await rejectsWith(sandbox.refund('pay_1', cents(48_001n)), 'refund_exceeds_paid');
  assert.deepEqual(await sandbox.refund('pay_1', cents(8_000n)), {
    refunded: true,
    providerReference: 'sandbox_refund_00000002',
  });
  await rejectsWith(sandbox.refund('pay_1', cents(40_001n)), 'refund_exceeds_paid');
  assert.equal((await sandbox.refund('pay_1', cents(40_000n))).refunded, true);
  assert.equal(sandbox.payment('pay_1')?.refundedAmount, 48_000n);
  await rejectsWith(sandbox.refund('pay_1', cents(1n)), 'already_refunded');
});

test('the sandbox is bounded: past paymentsMax the oldest payment is forgotten', async () => {
  const sandbox = new SandboxPaymentProvider({ paymentsMax: 2 });
  for (const paymentId of ['pay_a', 'pay_b', 'pay_c']) await sandbox.createPayment({ ...request, paymentId });
  await rejectsWith(sandbox.queryPayment('pay_a'), 'unknown_payment');
  assert.equal((await sandbox.queryPayment('pay_c')).status, 'pending');
  assert.throws(() => new SandboxPaymentProvider({ paymentsMax: 0 }), RangeError);
});

test('a store QR verifies to its merchant, and an edited one to nothing', () => {
  const secret = 'qr-secret';
  const url = storeQrPayload('https://points.example/', 'mer_tea', secret);
  assert.match(url, /^https:\/\/points\.example\/pay\/mer_tea\?sig=[0-9a-f]{16}$/);
  assert.equal(verifyStoreQr(url, secret), 'mer_tea');
  assert.equal(verifyStoreQr(url.replace('mer_tea', 'mer_coffee'), secret), null, 'another store');
  assert.equal(verifyStoreQr(url, 'another-secret'), null);
  assert.equal(verifyStoreQr(`${url}&sig=0000000000000000`, secret), null, 'two signatures');
  assert.equal(verifyStoreQr(url.replace(/sig=.*/, 'sig='), secret), null);
  assert.equal(verifyStoreQr('not a url', secret), null);
  assert.equal(verifyStoreQr(`https://points.example/pay/%E0%A4%A?sig=00`, secret), null, 'bad escape');
  const spaced = storeQrPayload('https://points.example/shop', 'mer tea/1', secret);
  assert.match(spaced, /\/shop\/pay\/mer%20tea%2F1\?sig=/);
  assert.equal(verifyStoreQr(spaced, secret), 'mer tea/1');
  assert.throws(() => storeQrPayload('https://points.example', '', secret), RangeError);
});

test('a referral link verifies to its member; a store signature does not make a referral one', () => {
  const secret = 'link-secret';
  const url = referralLink('https://points.example', 'mem_alice', secret);
  assert.match(url, /^https:\/\/points\.example\/join\?ref=mem_alice&sig=[0-9a-f]{16}$/);
  assert.equal(verifyReferralLink(url, secret), 'mem_alice');
  assert.equal(verifyReferralLink(url.replace('mem_alice', 'mem_mallory'), secret), null);
  assert.equal(verifyReferralLink(`${url}&ref=mem_mallory`, secret), null, 'two refs');
  assert.equal(verifyReferralLink(url.replace('/join', '/pay'), secret), null);
  assert.equal(verifyReferralLink(url, 'another-secret'), null);
  const storeSignature = new URL(
    storeQrPayload('https://points.example', 'same_id', secret),
  ).searchParams.get('sig');
  const forged = `https://points.example/join?ref=same_id&sig=${storeSignature}`;
  assert.equal(verifyReferralLink(forged, secret), null);
  const unusual = referralLink('https://points.example', 'mem a&b=c', secret);
  assert.equal(verifyReferralLink(unusual, secret), 'mem a&b=c');
});
