// The HTTP API (Fastify 5). Handlers authenticate, check the caller may touch the subject, turn
// decimal strings into exact integers, and hand commands to the service's single writer.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { complianceReport } from '../domain/compliance.ts';
import { type AgentLevel, agentLevels, configWithChanges, formatConfig, regionAt } from '../domain/config.ts';
import type { Outcome } from '../domain/engine.ts';
import { type Command, type Pay, sameContent } from '../domain/messages.ts';
import { printedPrice } from '../domain/report.ts';
import { agentKey, NOBODY, Slot } from '../domain/state.ts';
import {
  CENTS_DECIMALS,
  type Cents,
  cents,
  formatCents,
  formatMicros,
  formatPpm,
  MICROS_DECIMALS,
  type Micros,
  micros,
  PPM_ONE,
  parseDecimal,
} from '../domain/units.ts';
import { memberView } from '../domain/views.ts';
import {
  hashPassword,
  LoginTakenError,
  newId,
  passwordLengthMax,
  passwordLengthMin,
  readSession,
  type Session,
  sessionLifetimeMs,
  signSession,
  verifyPassword,
} from '../service/accounts.ts';
import { PaymentError, referralLink, storeQrPayload, verifyStoreQr } from '../service/payments.ts';
import { type PoolpointService, ServiceError, statusOf } from '../service/service.ts';
import { bigintReplacer } from '../service/webhooks.ts';
import { ClientWrites, clientIdOf, clientIdSchema } from './client-writes.ts';
import { docsPage } from './docs.ts';
import { acceptCsvBodies, programRoutes } from './programs.ts';
import { reportRoutes } from './reports.ts';
import {
  idSchema,
  moneySchema,
  object,
  openApiDocument,
  pointsSchema,
  type Route,
  register,
} from './routes.ts';
import { registerConsole } from './static.ts';

export const bodyBytesMax = 1024 * 1024;
export const bulkOrdersMax = 5_000;
export const pageSizeMax = 200;
const sessionCookie = 'pp_session';

function decimal(value: unknown, scale: number, what: string): bigint {
  const parsed = parseDecimal(value, scale);
  if (!parsed.ok) throw new ServiceError(400, 'invalid_amount', `${what}: ${parsed.message}`);
  return parsed.value;
}
const money = (value: unknown, what: string): Cents => cents(decimal(value, CENTS_DECIMALS, what));
const points = (value: unknown, what: string): Micros => micros(decimal(value, MICROS_DECIMALS, what));

/** Ajv's first complaint in words a caller can act on: the field, and what is wrong with it. */
function validationMessage(error: Error & { validation?: unknown; validationContext?: string }): string {
  const [first] = error.validation as {
    keyword: string;
    instancePath: string;
    params: Record<string, unknown>;
    message?: string;
  }[];
  if (first === undefined) return error.message;
  const where = `${error.validationContext ?? 'body'}${first.instancePath.replaceAll('/', '.')}`;
  if (first.keyword === 'additionalProperties')
    return `${where}: unknown field "${String(first.params.additionalProperty)}"`;
  if (first.keyword === 'required')
    return `${where}: missing field "${String(first.params.missingProperty)}"`;
  return `${where} ${first.message ?? 'is invalid'}`;
}

function cookieValue(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

function outcomeBody(outcome: Outcome, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { outcome: outcome.kind === 'duplicate' ? 'duplicate' : 'accepted', ...extra };
}

/** Only the subject itself, or staff (admin, finance), may read or act for a member or merchant. */
function requireSubject(
  session: Session | null,
  subject: string,
  staff: readonly string[] = ['admin', 'finance'],
): void {
  if (session === null) throw new ServiceError(401, 'unauthenticated', 'sign in first');
  if (staff.includes(session.role)) return;
  if (session.subject !== subject) throw new ServiceError(403, 'forbidden', 'you may only act for yourself');
}

const page = {
  offset: { type: 'string', pattern: '^\\d{1,9}$' },
  limit: { type: 'string', pattern: '^\\d{1,4}$' },
};
function paging(query: Record<string, string>): { offset: number; limit: number } {
  return {
    offset: Number(query.offset ?? 0),
    limit: Math.min(pageSizeMax, Number(query.limit ?? 50) || 50),
  };
}

function requireMember(service: PoolpointService, id: string): void {
  if (!service.state.members.has(id)) throw new ServiceError(404, 'unknown_member', `${id} is not a member`);
}

export function memberSummary(service: PoolpointService, id: string): Record<string, unknown> {
  const state = service.state;
  const member = memberView(state, id);
  if (member === undefined) throw new ServiceError(404, 'unknown_member', `${id} is not a member`);
  const index = state.members.indexOf(id);
  const value = state.supply > 0n ? (member.points * state.pool) / state.supply : 0n;
  const cap = state.config.capMultiple * member.cycleConsumption;
  // Progress to the cap: (realised + value now) ÷ (cap × consumption), in ppm, floored.
  const progressPpm = cap === 0n ? 0n : ((member.cycleRealised + value) * PPM_ONE * PPM_ONE) / cap;
  return {
    id,
    referrer: member.referrer,
    points: formatMicros(member.points),
    valueAtPrice: formatCents(cents(value)),
    price: printedPrice(state),
    wallet: formatCents(member.wallet),
    frozen: formatCents(cents(state.members.get(index, Slot.Frozen))),
    rewards: formatCents(member.rewards),
    consumption: formatCents(member.consumption),
    cycle: {
      open: member.cycleOpen,
      consumption: formatCents(member.cycleConsumption),
      realised: formatCents(member.cycleRealised),
      capMultiple: formatConfig(state.config).capMultiple,
      progress: formatDecimalShare(progressPpm),
    },
    exits: member.exits,
  };
}

/** A share in ppm as a decimal string with 6 decimals ("0.512345" = 51.2345%). */
function formatDecimalShare(share: bigint): string {
  const whole = share / PPM_ONE;
  return `${whole}.${(share % PPM_ONE).toString().padStart(6, '0')}`;
}

export function buildApp(service: PoolpointService): FastifyInstance {
  const app = Fastify({
    bodyLimit: bodyBytesMax,
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.setErrorHandler(
    (error: Error & { validation?: unknown; statusCode?: number; code?: string }, _request, reply) => {
      if (error instanceof ServiceError)
        return reply.code(error.status).send({ code: error.code, message: error.message });
      if (error instanceof LoginTakenError)
        return reply.code(409).send({ code: error.code, message: error.message });
      if (error.validation !== undefined)
        return reply.code(400).send({ code: 'invalid_request', message: validationMessage(error) });
      if (error.statusCode !== undefined && error.statusCode < 500) {
        return reply
          .code(error.statusCode)
          .send({ code: error.code ?? 'invalid_request', message: error.message });
      }
      process.emitWarning(`request failed: ${error.stack ?? error.message}`);
      return reply.code(500).send({ code: 'internal', message: 'internal error' });
    },
  );
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'not_found', message: `no route ${request.method} ${request.url}` }),
  );

  const authenticate = async (request: FastifyRequest): Promise<Session | null> => {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string') {
      const name = await service.accounts.apiKeyName(apiKey);
      if (name === null) throw new ServiceError(401, 'unauthenticated', 'unknown API key');
      return { account: `key:${name}`, role: 'shop', subject: null, expiresAtMs: Number.MAX_SAFE_INTEGER };
    }
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : cookieValue(request, sessionCookie);
    if (token === null || token === undefined) return null;
    const session = readSession(service.secret, token, service.clock.now());
    if (session === null) throw new ServiceError(401, 'unauthenticated', 'the session is invalid or expired');
    if (await service.accounts.sessionEnded(session)) {
      throw new ServiceError(401, 'unauthenticated', 'the session was ended by signing out');
    }
    return session;
  };

  acceptCsvBodies(app);
  const routes = apiRoutes(service);
  register(app, routes, authenticate);
  const document = openApiDocument(routes);
  app.get('/openapi.json', async () => document);
  app.get('/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(document)),
  );
  registerConsole(app, new URL('../../web/dist', import.meta.url).pathname);
  return app;
}

function apiRoutes(service: PoolpointService): Route[] {
  const state = () => service.state;
  return [
    {
      method: 'GET',
      path: '/v1/market',
      summary: 'Current price, pool and supply',
      tag: 'public',
      roles: [],
      handler: async () => ({
        price: printedPrice(state()),
        pool: formatCents(state().pool),
        supply: formatMicros(state().supply),
        forcedExits: state().forcedExits,
        members: state().members.size,
        // The rules a member needs to understand their own numbers (a sale's fee, the cap).
        sellFee: formatConfig(state().config).sellFee,
        capMultiple: formatConfig(state().config).capMultiple,
        // What a member needs before asking for a withdrawal: the smallest amount and the fee's share.
        withdrawalMinimum: formatCents(state().config.withdrawalMinimum),
        withdrawalFeeRate: formatPpm(state().config.withdrawalFeeRate),
      }),
    },
    {
      method: 'GET',
      path: '/v1/market/history',
      summary: 'Price, pool and supply over time (for charts)',
      tag: 'public',
      roles: [],
      // `complete` is false while the read models are still being rebuilt from the log after a restart.
      handler: async () => ({
        samples: service.activity.prices,
        complete: service.readModels.progress.complete,
      }),
    },
    {
      method: 'POST',
      path: '/v1/auth/login',
      summary: 'Sign in; answers a bearer token and sets an HttpOnly session cookie',
      tag: 'accounts',
      roles: [],
      body: object({
        login: { type: 'string', minLength: 1, maxLength: 64 },
        password: { type: 'string', maxLength: passwordLengthMax },
      }),
      handler: async ({ body, reply, request }) => {
        const login = String(body.login).toLowerCase();
        const nowMs = service.clock.now();
        const throttleKey = `${login}|${request.ip}`;
        if (service.throttle.blocked(throttleKey, nowMs)) {
          throw new ServiceError(429, 'throttled', 'too many failed sign-ins: wait 15 minutes');
        }
        const account = await service.accounts.byLogin(login);
        if (account === null || !(await verifyPassword(String(body.password), account.passwordHash))) {
          service.throttle.fail(throttleKey, nowMs);
          await service.audit(login, 'login.failed', { ip: request.ip });
          throw new ServiceError(401, 'bad_credentials', 'wrong login or password');
        }
        service.throttle.succeed(throttleKey);
        const session: Session = {
          account: account.id,
          id: newId('ses'),
          role: account.role,
          subject: account.subject,
          expiresAtMs: nowMs + sessionLifetimeMs,
        };
        const token = signSession(service.secret, session);
        reply.header(
          'set-cookie',
          `${sessionCookie}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${sessionLifetimeMs / 1000}`,
        );
        if (account.role === 'admin' || account.role === 'finance')
          await service.audit(account.id, 'login', { ip: request.ip });
        return { token, role: account.role, account: account.id, subject: account.subject };
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/logout',
      summary: 'Sign out (clears the session cookie)',
      tag: 'accounts',
      roles: [],
      handler: async ({ reply, session }) => {
        // The session ends for good, not only this cookie (a copied token stops working too).
        if (session !== null) await service.accounts.endSession(session);
        reply.header('set-cookie', `${sessionCookie}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
        return { signedOut: true };
      },
    },
    {
      method: 'GET',
      path: '/v1/me',
      summary: 'Who is signed in',
      tag: 'accounts',
      roles: ['admin', 'finance', 'merchant', 'member', 'shop'],
      handler: async ({ session }) => session,
    },
    {
      method: 'POST',
      path: '/v1/members',
      summary: 'Register a member (optionally through a referrer’s share link)',
      tag: 'members',
      roles: [],
      body: object(
        {
          login: { type: 'string', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.@+-]+$' },
          password: { type: 'string', minLength: passwordLengthMin, maxLength: passwordLengthMax },
          referrer: idSchema,
        },
        ['login', 'password'],
      ),
      handler: async ({ body }) => {
        const login = String(body.login).toLowerCase();
        if ((await service.accounts.byLogin(login)) !== null) {
          throw new ServiceError(409, 'login_taken', `the login ${login} is taken`);
        }
        const member = newId('mem');
        const referrer = typeof body.referrer === 'string' ? body.referrer : null;
        if (referrer !== null && !service.state.members.has(referrer)) {
          throw new ServiceError(404, 'unknown_member', `referrer ${referrer} is not a member`);
        }
        // The login is claimed first (a unique record), so two sign-ups with one login cannot both pass.
        const nowMs = service.clock.now();
        await service.accounts.create(
          { id: newId('acc'), login, role: 'member', subject: member, createdAtMs: nowMs },
          String(body.password),
        );
        await service.submitOrFail({ type: 'registerMember', member, referrer });
        return { member, login };
      },
    },
    {
      method: 'GET',
      path: '/v1/members/:member',
      summary: 'A member’s points, value at today’s price, progress to the cap, wallet',
      tag: 'members',
      roles: ['admin', 'finance', 'member'],
      handler: async ({ session, params }) => {
        requireSubject(session, params.member as string);
        return memberSummary(service, params.member as string);
      },
    },
    {
      method: 'GET',
      path: '/v1/members/:member/activity',
      summary: 'A member’s recent orders, rewards, sales, exits and withdrawals',
      tag: 'members',
      roles: ['admin', 'finance', 'member'],
      handler: async ({ session, params }) => {
        requireSubject(session, params.member as string);
        requireMember(service, params.member as string);
        return {
          entries: service.activity.memberActivity(params.member as string),
          complete: service.readModels.progress.complete,
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/members/:member/withdrawals',
      summary: 'A member’s withdrawals (newest first), each with its review status and note',
      tag: 'withdrawals',
      roles: ['admin', 'finance', 'member'],
      response: listAnswer(withdrawalAnswer),
      query: {
        type: 'object',
        additionalProperties: false,
        properties: { status: withdrawalStatusSchema, ...page },
      },
      handler: async ({ session, params, query }) => {
        const member = params.member as string;
        requireSubject(session, member);
        requireMember(service, member);
        const { offset, limit } = paging(query);
        const all = memberWithdrawalIds(service, member)
          .map((id) => state().withdrawals.get(id))
          .filter(
            (item) => item !== undefined && (query.status === undefined || item.status === query.status),
          );
        return {
          total: all.length,
          items: all
            .slice(offset, offset + limit)
            .map((item) => withdrawalView(service, (item as { id: string }).id)),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/members/:member/referrer',
      summary: 'Bind to a referrer (share link); the first binding wins',
      tag: 'members',
      roles: ['member'],
      body: object({ referrer: idSchema }),
      handler: async ({ session, params, body }) => {
        requireSubject(session, params.member as string, []);
        const outcome = await service.submitOrFail({
          type: 'bindReferrer',
          member: params.member as string,
          referrer: String(body.referrer),
        });
        return outcomeBody(outcome, { referrer: body.referrer });
      },
    },
    {
      method: 'POST',
      path: '/v1/members/:member/sell',
      summary: 'Sell points into the wallet (the sell fee stays in the pool)',
      tag: 'points',
      roles: ['member'],
      body: object({ id: idSchema, points: pointsSchema }),
      handler: async ({ session, params, body }) => {
        requireSubject(session, params.member as string, []);
        const outcome = await service.submitOrFail({
          type: 'sell',
          id: String(body.id),
          member: params.member as string,
          points: points(body.points, 'points'),
        });
        const sold = outcome.kind === 'accepted' ? outcome.events[0] : undefined;
        // A retry answers the original sale's figures (kept in the member's recent activity).
        const original = service.activity
          .memberActivity(params.member as string)
          .find((entry) => entry.kind === 'sell' && entry.summary.sell === body.id);
        const figures =
          sold?.type === 'PointsSold'
            ? { gross: formatCents(sold.gross), payout: formatCents(sold.payout) }
            : original === undefined
              ? {}
              : { gross: original.summary.gross, payout: original.summary.payout };
        return outcomeBody(outcome, { ...figures, member: memberSummary(service, params.member as string) });
      },
    },
    {
      method: 'POST',
      path: '/v1/members/:member/withdrawals',
      summary: 'Request a withdrawal (提现): the amount is frozen until finance reviews it',
      tag: 'withdrawals',
      roles: ['member'],
      body: object({ id: idSchema, amount: moneySchema }),
      handler: async ({ session, params, body }) => {
        requireSubject(session, params.member as string, []);
        const outcome = await service.submitOrFail({
          type: 'requestWithdrawal',
          id: String(body.id),
          member: params.member as string,
          amount: money(body.amount, 'amount'),
          requestedAtMs: service.clock.now(),
        });
        return outcomeBody(outcome, { withdrawal: withdrawalView(service, String(body.id)) });
      },
    },
    {
      method: 'GET',
      path: '/v1/withdrawals',
      summary: 'The withdrawal queue (finance)',
      tag: 'withdrawals',
      roles: ['admin', 'finance'],
      query: {
        type: 'object',
        additionalProperties: false,
        properties: { status: withdrawalStatusSchema, ...page },
      },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const all = [...state().withdrawals.values()].filter(
          (item) => query.status === undefined || item.status === query.status,
        );
        return {
          total: all.length,
          items: all.slice(offset, offset + limit).map((item) => withdrawalView(service, item.id)),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/withdrawals/:withdrawal/review',
      summary: 'Approve, reject (with a reason) or mark paid a withdrawal',
      tag: 'withdrawals',
      roles: ['admin', 'finance'],
      body: object(
        {
          id: idSchema,
          decision: { type: 'string', enum: ['approve', 'reject', 'paid'] },
          note: { type: 'string', maxLength: 500 },
        },
        ['id', 'decision'],
      ),
      handler: async ({ session, params, body }) => {
        const actor = (session as Session).account;
        const outcome = await service.submitOrFail({
          type: 'reviewWithdrawal',
          id: String(body.id),
          withdrawal: params.withdrawal as string,
          decision: body.decision as 'approve' | 'reject' | 'paid',
          note: typeof body.note === 'string' ? body.note : '',
          actor,
          atMs: service.clock.now(),
        });
        await service.auditCommand(outcome, String(body.id), actor, `withdrawal.${String(body.decision)}`, {
          withdrawal: params.withdrawal,
          note: body.note ?? '',
        });
        return outcomeBody(outcome, { withdrawal: withdrawalView(service, params.withdrawal as string) });
      },
    },
    ...orderRoutes(service),
    ...storeRoutes(service),
    ...adminRoutes(service),
    ...reportRoutes(service),
    ...programRoutes(service),
  ];
}

/** A store payment's coins: within the bill and the member's balance (the rules check again when paid). */
function checkPaymentCoins(service: PoolpointService, member: string, coins: Cents, amount: Cents): void {
  if (coins > amount) {
    throw new ServiceError(
      400,
      'invalid_amount',
      `coins ${formatCents(coins)} cannot exceed the order amount ${formatCents(amount)}`,
    );
  }
  const index = service.state.members.indexOf(member);
  const balance = index === NOBODY ? cents(0n) : service.state.legacy.coins(index);
  if (coins > balance) {
    throw new ServiceError(
      422,
      'insufficient_coins',
      `${member} has ${formatCents(balance)} in consumption coins, less than ${formatCents(coins)}`,
    );
  }
}

const baseUrlOf = (request: FastifyRequest): string =>
  process.env.POOLPOINT_PUBLIC_URL ?? `${request.protocol}://${request.headers.host ?? '127.0.0.1'}`;

/** The O2O flow: a store's payment QR code, a member pays the sandbox, the order is reported paid. */
function storeRoutes(service: PoolpointService): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/merchants/:merchant/qr',
      summary: 'The store’s payment QR payload (a signed pay-page URL)',
      tag: 'merchants',
      roles: ['admin', 'merchant'],
      handler: async ({ params, session, request }) => {
        const merchant = params.merchant as string;
        requireSubject(session, merchant, ['admin']);
        if (!service.state.merchants.has(merchant))
          throw new ServiceError(404, 'unknown_merchant', `${merchant} is not a merchant`);
        return { merchant, payload: storeQrPayload(baseUrlOf(request), merchant, service.secret) };
      },
    },
    {
      method: 'GET',
      path: '/v1/members/:member/referral-link',
      summary: 'The member’s share link (a signed join URL)',
      tag: 'members',
      roles: ['member', 'admin'],
      handler: async ({ params, session, request }) => {
        const member = params.member as string;
        requireSubject(session, member, ['admin']);
        requireMember(service, member);
        return { member, link: referralLink(baseUrlOf(request), member, service.secret) };
      },
    },
    {
      method: 'POST',
      path: '/v1/payments',
      summary: 'Pay at a store: from its scanned QR payload and an amount, a sandbox payment to confirm',
      tag: 'payments',
      roles: ['member'],
      body: object(
        {
          id: idSchema,
          qr: { type: 'string', minLength: 1, maxLength: 2048 },
          amount: moneySchema,
          coins: {
            ...moneySchema,
            description:
              'of the amount, the part the member pays in consumption coins (消费币); the provider charges the rest',
          },
        },
        ['id', 'qr', 'amount'],
      ),
      handler: async ({ body, session }) => {
        const merchant = verifyStoreQr(String(body.qr), service.secret);
        if (merchant === null || !service.state.merchants.has(merchant)) {
          throw new ServiceError(400, 'invalid_qr', 'this is not a payment QR code of a store here');
        }
        const amount = money(body.amount, 'amount');
        if (amount <= 0n) throw new ServiceError(400, 'invalid_amount', 'the amount must be above zero');
        const member = (session as Session).subject as string;
        const coins = body.coins === undefined ? cents(0n) : money(body.coins, 'coins');
        checkPaymentCoins(service, member, coins, amount);
        if (service.state.processed(String(body.id)) !== undefined) {
          throw new ServiceError(409, 'id_reused', `the id ${String(body.id)} is already used by an order`);
        }
        const created = await service.payments
          .createPayment({
            paymentId: String(body.id),
            amount: cents(amount - coins),
            ...(coins === 0n ? {} : { coins }),
            description: `poolpoint ${merchant}`,
            merchant,
            member,
          })
          .catch(paymentFailure);
        return {
          payment: created.paymentId,
          status: created.status,
          payUrl: created.payUrl,
          merchant,
          amount: formatCents(amount),
          // Paid partly in coins: what the provider charges, and the coins (spent when confirmed).
          ...(coins === 0n ? {} : { coins: formatCents(coins), cash: formatCents(cents(amount - coins)) }),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/payments/:payment/confirm',
      summary:
        'Confirm a sandbox payment: the order is reported paid (an unbound member is bound to the store’s owner when it settles)',
      tag: 'payments',
      roles: ['member'],
      handler: async ({ params, session }) => {
        const id = params.payment as string;
        const payment = service.payments.payment(id);
        const member = (session as Session).subject as string;
        if (payment === null || payment.request.member !== member) {
          throw new ServiceError(404, 'unknown_payment', `${id} is not a payment of yours`);
        }
        const coins = payment.request.coins ?? cents(0n);
        const order: Command = {
          type: 'pay',
          id,
          member,
          merchant: payment.request.merchant,
          // The order is the whole bill: the provider's cash part and the coins.
          amount: cents(payment.request.amount + coins),
          paidAtMs: service.clock.now(),
          ...(coins === 0n ? {} : { coins }),
        };
        const earlier = service.state.processed(id);
        if (earlier !== undefined && !sameContent(earlier, order as Pay)) {
          throw new ServiceError(409, 'id_reused', `the id ${id} is already used by another order`);
        }
        try {
          service.payments.completePayment(id, service.clock.now());
        } catch (error) {
          paymentFailure(error);
        }
        // The store's owner becomes the buyer's referrer when the order settles (SPEC.md step 1,
        // 收款码锁粉), under the configuration's bindOnFirstOrder: nothing is bound before.
        const outcome = await service.submit(order);
        if (outcome.kind === 'rejected') {
          // The member paid but the order was refused: give the money back, then say why.
          await service.payments.refund(id, payment.request.amount).catch(() => undefined);
          throw new ServiceError(
            statusOf(outcome.rejection),
            outcome.rejection.code,
            outcome.rejection.message,
          );
        }
        return outcomeBody(outcome, {
          order: orderStatus(service, id),
          member: memberSummary(service, member),
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/webhooks/deliveries',
      summary: 'The webhook delivery log (newest first)',
      tag: 'platform',
      roles: ['admin'],
      query: { type: 'object', additionalProperties: false, properties: page },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        return plainJson({ items: service.webhooks.deliveries(limit, offset), ...service.webhooks.stats() });
      },
    },
    {
      method: 'POST',
      path: '/v1/webhooks/deliveries/:delivery/retry',
      summary: 'Send a failed webhook delivery again',
      tag: 'platform',
      roles: ['admin'],
      handler: async ({ params, session }) => {
        const result = service.webhooks.retry(params.delivery as string);
        if (!result.ok)
          throw new ServiceError(result.code === 'unknown_delivery' ? 404 : 422, result.code, result.message);
        await service.audit((session as Session).account, 'webhook.retry', { delivery: params.delivery });
        return plainJson(result.delivery);
      },
    },
  ];
}

/** An appointment kept by its client-chosen id (appointAgent carries none): `rejected` leaves the id free. */
interface AgentAppointment {
  readonly member: string;
  readonly level: AgentLevel;
  readonly region: string;
  readonly actor: string;
  status: 'pending' | 'accepted' | 'rejected';
}

// Answers of the routes below, for the OpenAPI document (amounts are decimal strings).
const text = { type: 'string' };
const nullableText = { type: 'string', nullable: true };
const agentAnswer = object({
  member: text,
  level: { type: 'string', enum: [...agentLevels] },
  region: { ...text, description: 'cut to the level: 440306 district, 440300 city, 440000 province' },
  appointedAt: { ...nullableText, description: 'null while the read models are rebuilt after a restart' },
  earnings: { ...nullableText, description: 'agent rewards paid to this position so far (yuan)' },
  orders: { type: 'integer', nullable: true, description: 'orders it was paid on' },
});
const forcedExitAnswer = object({
  sequence: { type: 'integer' },
  member: text,
  points: text,
  gross: text,
  payout: text,
  atMs: { type: 'integer' },
  at: text,
});
const withdrawalAnswer = object({
  id: text,
  member: text,
  amount: text,
  fee: text,
  payout: { ...text, description: 'amount − fee: what the member receives when it is paid' },
  status: { type: 'string', enum: ['requested', 'approved', 'paid', 'rejected'] },
  reason: { ...nullableText, description: 'why it was rejected (null unless rejected)' },
  note: { ...text, description: 'the reviewer’s note: the rejection reason or the payment reference' },
  reviewer: nullableText,
  requestedAtMs: { type: 'integer' },
  requestedAt: text,
  reviewedAt: nullableText,
});
const listAnswer = (item: Record<string, unknown>, extra: Record<string, Record<string, unknown>> = {}) =>
  object({ total: { type: 'integer' }, ...extra, items: { type: 'array', items: item } });

/** Agents whose region lies within `area`: a province code (XX0000), a city code (XXXX00) or a district. */
function regionWithin(region: string, area: string): boolean {
  const prefix = area.endsWith('0000') ? area.slice(0, 2) : area.endsWith('00') ? area.slice(0, 4) : area;
  return region.startsWith(prefix);
}

/** Regional agents (区代 / 市代 / 省代): the admin appoints them; staff list them with what they have earned. */
function agentRoutes(service: PoolpointService): Route[] {
  // Appointments run one at a time: a retry of an id waits for the first to finish, then answers it.
  let appointing: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = appointing.then(work, work);
    appointing = next.catch(() => undefined);
    return next;
  };
  const save = (id: string, appointment: AgentAppointment) =>
    service.store.putRecord('agent-appointment', id, JSON.stringify(appointment), service.clock.now());
  const agentView = (key: string, memberIndex: number): Record<string, unknown> => {
    const [level, region] = key.split(':') as [AgentLevel, string];
    const known = service.readModels.current.agents.position(key);
    return {
      member: service.state.members.id(memberIndex),
      level,
      region,
      appointedAt: known === undefined ? null : new Date(known.appointedAtMs).toISOString(),
      earnings: known === undefined ? null : formatCents(known.earned),
      orders: known === undefined ? null : known.orders,
    };
  };
  const auditAppointment = (id: string, appointment: Omit<AgentAppointment, 'status'>): Promise<boolean> =>
    service.auditOnce(`agent-appointment:${id}`, appointment.actor, 'agent.appoint', {
      id,
      member: appointment.member,
      level: appointment.level,
      region: appointment.region,
    });
  const appoint = async (
    id: string,
    wanted: Omit<AgentAppointment, 'status'>,
  ): Promise<Record<string, unknown>> => {
    const record = await service.store.getRecord('agent-appointment', id);
    const saved = record === null ? null : (JSON.parse(record.body) as AgentAppointment);
    const key = agentKey(wanted.level, regionAt(wanted.region, wanted.level));
    if (saved !== null && saved.status !== 'rejected') {
      if (saved.member !== wanted.member || saved.level !== wanted.level || saved.region !== wanted.region)
        throw new ServiceError(409, 'id_reused', `id ${id} reused with different content`);
      if (saved.status === 'accepted') {
        await auditAppointment(id, saved); // a crash may have come between the save and the audit
        return { outcome: 'duplicate', agent: agentView(key, service.state.agents.get(key) as number) };
      }
    }
    // What the rules would refuse is refused before the id is claimed, so a refusal leaves no trace.
    const memberIndex = service.state.members.indexOf(wanted.member);
    if (memberIndex === NOBODY)
      throw new ServiceError(404, 'unknown_member', `agent ${wanted.member} is not a member`);
    const holder = service.state.agents.get(key);
    const finishing = saved?.status === 'pending' && holder === memberIndex; // an earlier attempt was cut short
    if (holder !== undefined && !finishing) {
      throw new ServiceError(
        409,
        'agent_exists',
        `region ${key.split(':')[1]} already has a ${wanted.level} agent (${service.state.members.id(holder)})`,
      );
    }
    if (!finishing) {
      await save(id, { ...wanted, status: 'pending' });
      const outcome = await service.submit({
        type: 'appointAgent',
        member: wanted.member,
        level: wanted.level,
        region: wanted.region,
      });
      if (outcome.kind === 'rejected') {
        await save(id, { ...wanted, status: 'rejected' });
        throw new ServiceError(
          statusOf(outcome.rejection),
          outcome.rejection.code,
          outcome.rejection.message,
        );
      }
    }
    await save(id, { ...wanted, status: 'accepted' });
    await auditAppointment(id, wanted);
    return { outcome: 'accepted', agent: agentView(key, memberIndex) };
  };
  return [
    {
      method: 'POST',
      path: '/v1/agents',
      summary:
        'Appoint a regional agent (district, city or province) of a region code; paid on orders in its region (级差)',
      tag: 'agents',
      roles: ['admin'],
      response: object({ outcome: { type: 'string', enum: ['accepted', 'duplicate'] }, agent: agentAnswer }),
      body: object({
        id: idSchema,
        member: idSchema,
        level: { type: 'string', enum: [...agentLevels] },
        region: { type: 'string', pattern: '^\\d{6}$', examples: ['440306'] },
      }),
      handler: async ({ body, session }) =>
        serialised(() =>
          appoint(String(body.id), {
            member: String(body.member),
            level: body.level as AgentLevel,
            region: String(body.region),
            actor: (session as Session).account,
          }),
        ),
    },
    {
      method: 'GET',
      path: '/v1/agents',
      summary: 'Regional agents in appointment order, with the agent rewards paid to each so far',
      tag: 'agents',
      roles: ['admin', 'finance'],
      response: listAnswer(agentAnswer, { complete: { type: 'boolean' } }),
      query: {
        type: 'object',
        additionalProperties: false,
        properties: {
          search: { type: 'string', maxLength: 64 },
          level: { type: 'string', enum: [...agentLevels] },
          region: { type: 'string', pattern: '^\\d{6}$' },
          ...page,
        },
      },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const search = (query.search ?? '').toLowerCase();
        const members = service.state.members;
        const matching = [...service.state.agents.entries()].filter(([key, member]) => {
          const [level, region] = key.split(':') as [string, string];
          if (query.level !== undefined && level !== query.level) return false;
          if (query.region !== undefined && !regionWithin(region, query.region)) return false;
          return search === '' || members.id(member).toLowerCase().includes(search);
        });
        return {
          total: matching.length,
          complete: service.readModels.progress.complete,
          items: matching.slice(offset, offset + limit).map(([key, member]) => agentView(key, member)),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/forced-exits',
      summary: 'Forced exits (出局), newest first: member, points sold, gross, payout, when',
      tag: 'platform',
      roles: ['admin', 'finance'],
      response: listAnswer(forcedExitAnswer, {
        forcedExits: {
          type: 'integer',
          description: 'all forced exits ever (the list keeps the newest 10,000)',
        },
        complete: { type: 'boolean' },
      }),
      query: {
        type: 'object',
        additionalProperties: false,
        properties: { member: idSchema, ...page },
      },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const exits = service.activity.forcedExits(query.member ?? null);
        return {
          total: exits.length,
          // All forced exits ever; the list keeps the newest forcedExitsMax.
          forcedExits: service.state.forcedExits,
          complete: service.readModels.progress.complete,
          items: exits
            .slice(offset, offset + limit)
            .map((exit) => ({ ...exit, at: new Date(exit.atMs).toISOString() })),
        };
      },
    },
  ];
}

interface MerchantApplication {
  readonly id: string;
  readonly applicant: string;
  readonly name: string;
  readonly region: string;
  readonly commissionRate: string | null;
  readonly recruiter: string | null;
  readonly login: string;
  readonly passwordHash: string;
  readonly createdAtMs: number;
  status: 'pending' | 'approved' | 'rejected';
  merchant: string | null;
  reason: string;
  /** The admin who decided (absent in applications decided before it was kept). */
  decidedBy?: string;
}

const applicationView = ({ passwordHash: _hidden, ...application }: MerchantApplication) => application;

/** Merchant onboarding: a member applies to open a store; an admin approves (the store is registered) or rejects. */
function applicationRoutes(service: PoolpointService): Route[] {
  const load = async (id: string): Promise<MerchantApplication> => {
    const record = await service.store.getRecord('merchant-application', id);
    if (record === null)
      throw new ServiceError(404, 'unknown_application', `${id} is not a merchant application`);
    return JSON.parse(record.body) as MerchantApplication;
  };
  const auditDecision = (application: MerchantApplication, actor: string): Promise<boolean> =>
    service.auditOnce(
      `merchant-application:${application.id}`,
      actor,
      `merchant-application.${application.status === 'approved' ? 'approve' : 'reject'}`,
      { application: application.id, merchant: application.merchant },
    );
  const save = (application: MerchantApplication) =>
    service.store.putRecord(
      'merchant-application',
      application.id,
      JSON.stringify(application),
      service.clock.now(),
    );
  return [
    {
      method: 'POST',
      path: '/v1/merchant-applications',
      summary: 'Apply to open a store (the applicant becomes its owner once approved)',
      tag: 'merchants',
      roles: ['member'],
      body: object(
        {
          name: { type: 'string', minLength: 1, maxLength: 80 },
          region: { type: 'string', pattern: '^\\d{6}$' },
          commissionRate: { type: 'string', pattern: '^(0(\\.\\d{1,6})?|1(\\.0{1,6})?)$' },
          recruiter: idSchema,
          login: { type: 'string', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.@+-]+$' },
          password: { type: 'string', minLength: passwordLengthMin, maxLength: passwordLengthMax },
        },
        ['name', 'region', 'login', 'password'],
      ),
      handler: async ({ body, session }) => {
        const login = String(body.login).toLowerCase();
        if ((await service.accounts.byLogin(login)) !== null)
          throw new ServiceError(409, 'login_taken', `the login ${login} is taken`);
        const recruiter = typeof body.recruiter === 'string' ? body.recruiter : null;
        if (recruiter !== null && !service.state.members.has(recruiter)) {
          throw new ServiceError(404, 'unknown_member', `recruiter ${recruiter} is not a member`);
        }
        const application: MerchantApplication = {
          id: newId('app'),
          applicant: (session as Session).subject as string,
          name: String(body.name),
          region: String(body.region),
          commissionRate: typeof body.commissionRate === 'string' ? body.commissionRate : null,
          recruiter,
          login,
          passwordHash: await hashPassword(String(body.password)),
          createdAtMs: service.clock.now(),
          status: 'pending',
          merchant: null,
          reason: '',
        };
        await save(application);
        return applicationView(application);
      },
    },
    {
      method: 'GET',
      path: '/v1/merchant-applications',
      summary: 'Merchant applications (newest first)',
      tag: 'merchants',
      roles: ['admin'],
      query: { type: 'object', additionalProperties: false, properties: page },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const records = await service.store.listRecords('merchant-application', offset, limit);
        return {
          items: records.map((record) => applicationView(JSON.parse(record.body) as MerchantApplication)),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/merchant-applications/:application/decision',
      summary: 'Approve (registers the store and its staff login) or reject (with a reason) an application',
      tag: 'merchants',
      roles: ['admin'],
      body: object(
        {
          decision: { type: 'string', enum: ['approve', 'reject'] },
          reason: { type: 'string', maxLength: 500 },
        },
        ['decision'],
      ),
      handler: async ({ params, body, session }) => {
        const application = await load(params.application as string);
        if (application.status !== 'pending') {
          // A retry after a crash between the save and the audit: the decision gets its entry now.
          if (application.decidedBy !== undefined) await auditDecision(application, application.decidedBy);
          throw new ServiceError(
            422,
            'application_decided',
            `application ${application.id} is already ${application.status}`,
          );
        }
        const actor = (session as Session).account;
        if (body.decision === 'reject') {
          if (typeof body.reason !== 'string' || body.reason.trim() === '')
            throw new ServiceError(400, 'malformed', 'a rejection needs a reason');
          application.status = 'rejected';
          application.reason = body.reason;
        } else {
          const merchant = newId('mch');
          const rate =
            application.commissionRate === null
              ? null
              : decimal(application.commissionRate, 6, 'commissionRate');
          await service.accounts.createHashed({
            id: newId('acc'),
            login: application.login,
            role: 'merchant',
            subject: merchant,
            passwordHash: application.passwordHash,
            createdAtMs: service.clock.now(),
          });
          await service.submitOrFail({
            type: 'registerMerchant',
            merchant,
            owner: application.applicant,
            recruiter: application.recruiter,
            region: application.region,
            commissionRate: rate === null ? null : (rate as never),
          });
          application.status = 'approved';
          application.merchant = merchant;
        }
        application.decidedBy = actor;
        await save(application);
        await auditDecision(application, actor);
        return applicationView(application);
      },
    },
  ];
}

/** Webhook data keeps bigints (cents, micro-points); answers carry them as decimal strings. */
const plainJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value, bigintReplacer));

function paymentFailure(error: unknown): never {
  if (error instanceof PaymentError) {
    const status =
      error.code === 'unknown_payment'
        ? 404
        : error.code === 'payment_id_conflict'
          ? 409
          : error.code === 'invalid_request' || error.code === 'invalid_amount'
            ? 400
            : 422;
    // A payment id is a client-chosen id like any other: reused with other content is id_reused.
    throw new ServiceError(
      status,
      error.code === 'payment_id_conflict' ? 'id_reused' : error.code,
      error.message,
    );
  }
  throw error;
}

const withdrawalStatusSchema = { type: 'string', enum: ['requested', 'approved', 'paid', 'rejected'] };

/**
 * A withdrawal as callers see it: `status` requested → approved → paid, or rejected; `reason` is the
 * note of a rejection (the payment reference of a payout stays in `note`); `payout` = amount − fee.
 */
function withdrawalView(service: PoolpointService, id: string): Record<string, unknown> {
  const withdrawal = service.state.withdrawals.get(id);
  if (withdrawal === undefined)
    throw new ServiceError(404, 'unknown_withdrawal', `${id} is not a withdrawal`);
  const reviewedAtMs = service.readModels.current.withdrawals.reviewedAt(id);
  return {
    ...withdrawal,
    amount: formatCents(withdrawal.amount),
    fee: formatCents(withdrawal.fee),
    payout: formatCents(cents(withdrawal.amount - withdrawal.fee)),
    reason: withdrawal.status === 'rejected' ? withdrawal.note : null,
    requestedAt: new Date(withdrawal.requestedAtMs).toISOString(),
    reviewedAt: reviewedAtMs === null ? null : new Date(reviewedAtMs).toISOString(),
  };
}

/** A member's withdrawal ids, newest first: from the read model, or the state while it is rebuilt. */
function memberWithdrawalIds(service: PoolpointService, member: string): string[] {
  if (service.readModels.progress.complete)
    return [...service.readModels.current.withdrawals.ids(member)].reverse();
  const ids: string[] = [];
  for (const withdrawal of service.state.withdrawals.values())
    if (withdrawal.member === member) ids.push(withdrawal.id);
  return ids.reverse();
}

const orderSchema = object(
  {
    id: idSchema,
    member: idSchema,
    merchant: idSchema,
    amount: moneySchema,
    // The programs (docs/rules.md): the part paid in consumption coins, and the product line sold
    // (a clearance campaign may cover only one line).
    coins: { ...moneySchema, description: 'of the amount, the part paid in consumption coins (消费币)' },
    productLine: { type: 'string', minLength: 1, maxLength: 64 },
  },
  ['id', 'member', 'merchant', 'amount'],
);

function orderStatus(service: PoolpointService, id: string): Record<string, unknown> {
  const state = service.state;
  const pending = state.pendingOrders.get(id);
  const command = state.processed(id);
  if (command === undefined || (command.type !== 'pay' && command.type !== 'order')) {
    throw new ServiceError(404, 'unknown_order', `${id} is not an order`);
  }
  const status = pending !== undefined ? 'pending' : state.refundedOrders.has(id) ? 'refunded' : 'settled';
  const paidAtMs = command.type === 'pay' ? command.paidAtMs : null;
  return {
    id,
    member: command.member,
    merchant: command.merchant,
    amount: formatCents(command.amount),
    // The programs' fields only where an order has them (paid partly in coins, a product line).
    ...(command.coins === undefined || command.coins === 0n ? {} : { coins: formatCents(command.coins) }),
    ...(command.type === 'pay' && command.productLine !== undefined
      ? { productLine: command.productLine }
      : {}),
    status,
    paidAt: paidAtMs === null ? null : new Date(paidAtMs).toISOString(),
    settlesAt:
      paidAtMs === null ? null : new Date(paidAtMs + state.config.holdWindowSeconds * 1000).toISOString(),
  };
}

function orderRoutes(service: PoolpointService): Route[] {
  const pay = (body: Record<string, unknown>, nowMs: number): Command => {
    const coins = body.coins === undefined ? 0n : money(body.coins, `order ${String(body.id)} coins`);
    return {
      type: 'pay',
      id: String(body.id),
      member: String(body.member),
      merchant: String(body.merchant),
      amount: money(body.amount, `order ${String(body.id)} amount`),
      paidAtMs: nowMs,
      // Coins 0 is the same order as none (docs/rules.md): left out, so the command is the same.
      ...(coins === 0n ? {} : { coins: cents(coins) }),
      ...(typeof body.productLine === 'string' ? { productLine: body.productLine } : {}),
    };
  };
  return [
    {
      method: 'POST',
      path: '/v1/orders',
      summary: 'Report an order paid; it settles after the hold window unless refunded',
      tag: 'orders',
      roles: ['shop', 'admin'],
      body: orderSchema,
      handler: async ({ body }) => {
        const outcome = await service.submitOrFail(pay(body, service.clock.now()));
        return outcomeBody(outcome, { order: orderStatus(service, String(body.id)) });
      },
    },
    {
      method: 'POST',
      path: '/v1/orders/bulk',
      summary: `Report up to ${bulkOrdersMax} paid orders in one call; each gets its own outcome`,
      tag: 'orders',
      roles: ['shop', 'admin'],
      body: object({ orders: { type: 'array', minItems: 1, maxItems: bulkOrdersMax, items: orderSchema } }),
      handler: async ({ body }) => {
        const nowMs = service.clock.now();
        const orders = body.orders as Record<string, unknown>[];
        const outcomes = await service.submitMany(orders.map((order) => pay(order, nowMs)));
        return {
          outcomes: outcomes.map((outcome, index) => ({
            id: orders[index]?.id,
            outcome: outcome.kind,
            ...(outcome.kind === 'rejected'
              ? { code: outcome.rejection.code, message: outcome.rejection.message }
              : {}),
          })),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/orders/:order',
      summary: 'An order’s status: pending (with when it settles), settled or refunded',
      tag: 'orders',
      roles: ['shop', 'admin', 'finance'],
      handler: async ({ params }) => orderStatus(service, params.order as string),
    },
    {
      method: 'POST',
      path: '/v1/orders/:order/refund',
      summary: 'Refund a paid order before it settles (after settlement: refused)',
      tag: 'orders',
      roles: ['shop', 'admin'],
      body: object({ id: idSchema }),
      handler: async ({ params, body, session }) => {
        const outcome = await service.submitOrFail({
          type: 'refund',
          id: String(body.id),
          order: params.order as string,
          refundedAtMs: service.clock.now(),
          actor: (session as Session).account,
        });
        await service.auditCommand(outcome, String(body.id), (session as Session).account, 'order.refund', {
          order: params.order,
          id: body.id,
        });
        return outcomeBody(outcome, { order: orderStatus(service, params.order as string) });
      },
    },
  ];
}

const outcomeSchema = { type: 'string', enum: ['accepted', 'duplicate'] };
const withoutId = ({ id: _id, ...content }: Record<string, unknown>): Record<string, unknown> => content;
const apiKeyShownOnce =
  'this id already created its key, which is shown once only; create another key with a new id if it was lost';

/** Creates the account planned as `account`, unless an earlier attempt of the same write did. */
async function createAccountOnce(
  service: PoolpointService,
  account: string,
  login: string,
  password: string,
  role: 'admin' | 'finance' | 'merchant',
  subject: string | null,
): Promise<void> {
  const existing = await service.accounts.byLogin(login);
  if (existing?.id === account) return;
  if (existing !== null) throw new LoginTakenError(login);
  await service.accounts.create(
    { id: account, login, role, subject, createdAtMs: service.clock.now() },
    password,
  );
}

function adminRoutes(service: PoolpointService): Route[] {
  const writes = new ClientWrites(service);
  return [
    {
      method: 'POST',
      path: '/v1/injections',
      summary: 'Put cash into the pool (融资注资 / 补贴); the price rises',
      tag: 'platform',
      roles: ['admin'],
      body: object({ id: idSchema, amount: moneySchema }),
      handler: async ({ body, session }) => {
        const actor = (session as Session).account;
        const outcome = await service.submitOrFail({
          type: 'inject',
          id: String(body.id),
          amount: money(body.amount, 'amount'),
          actor,
        });
        await service.auditCommand(outcome, String(body.id), actor, 'inject', {
          id: body.id,
          amount: body.amount,
        });
        return outcomeBody(outcome, {
          price: printedPrice(service.state),
          pool: formatCents(service.state.pool),
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/config',
      summary: 'The configuration in force and its history',
      tag: 'platform',
      roles: ['admin', 'finance'],
      handler: async () => ({
        config: formatConfig(service.state.config),
        history: service.activity.configHistory,
      }),
    },
    {
      method: 'PUT',
      path: '/v1/config',
      summary: 'Change the configuration; it applies from the next event',
      tag: 'platform',
      roles: ['admin'],
      clientId: true,
      response: object({ outcome: outcomeSchema, config: { type: 'object' } }),
      body: object({ id: clientIdSchema, config: { type: 'object' } }, ['config']),
      handler: async ({ request, body, session }) => {
        const id = clientIdOf(request, body);
        const changes = body.config as Record<string, unknown>;
        const actor = (session as Session).account;
        return writes.run(id, {
          route: 'PUT /v1/config',
          action: 'configure',
          content: { config: changes },
          actor,
          plan: () => null,
          // Finishing a cut-short change lays the same changes over again: the ledger answers duplicate if it was made.
          perform: async (_plan, finishing) => {
            const merged = configWithChanges(service.state.config, changes);
            const outcome = await service.submitOrFail({ type: 'configure', config: merged, actor });
            // Audited when it changed the configuration, or may have (the cut-short attempt was not audited).
            const changed = outcome.kind === 'accepted' || finishing;
            return {
              outcome: outcome.kind,
              answer: { config: formatConfig(service.state.config) },
              audit: changed ? { changes } : null,
            };
          },
        });
      },
    },
    {
      method: 'POST',
      path: '/v1/merchants',
      summary: 'Onboard an approved merchant, with a staff login',
      tag: 'merchants',
      roles: ['admin'],
      clientId: true,
      response: object({ outcome: outcomeSchema, merchant: { type: 'string' }, login: { type: 'string' } }),
      body: object(
        {
          id: clientIdSchema,
          owner: idSchema,
          recruiter: idSchema,
          region: { type: 'string', pattern: '^\\d{6}$' },
          commissionRate: { type: 'string', pattern: '^(0(\\.\\d{1,6})?|1(\\.0{1,6})?)$' },
          login: { type: 'string', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.@+-]+$' },
          password: { type: 'string', minLength: passwordLengthMin, maxLength: passwordLengthMax },
        },
        ['region', 'login', 'password'],
      ),
      handler: async ({ request, body, session }) => {
        const id = clientIdOf(request, body);
        const login = String(body.login).toLowerCase();
        const rate =
          body.commissionRate === undefined ? null : decimal(body.commissionRate, 6, 'commissionRate');
        return writes.run(id, {
          route: 'POST /v1/merchants',
          action: 'merchant.onboard',
          content: withoutId(body),
          actor: (session as Session).account,
          // What the ledger would refuse is checked before the login is claimed, so a refusal leaves no login behind.
          check: async () => {
            if ((await service.accounts.byLogin(login)) !== null)
              throw new ServiceError(409, 'login_taken', `the login ${login} is taken`);
            for (const member of [body.owner, body.recruiter]) {
              if (typeof member === 'string' && !service.state.members.has(member)) {
                throw new ServiceError(404, 'unknown_member', `${member} is not a member`);
              }
            }
          },
          plan: () => ({ merchant: newId('mch'), account: newId('acc') }),
          perform: async ({ merchant, account }) => {
            await createAccountOnce(service, account, login, String(body.password), 'merchant', merchant);
            if (!service.state.merchants.has(merchant)) {
              await service.submitOrFail({
                type: 'registerMerchant',
                merchant,
                owner: typeof body.owner === 'string' ? body.owner : null,
                recruiter: typeof body.recruiter === 'string' ? body.recruiter : null,
                region: String(body.region),
                commissionRate: rate === null ? null : (rate as never),
              });
            }
            return { answer: { merchant, login }, audit: { merchant, login } };
          },
        });
      },
    },
    ...applicationRoutes(service),
    ...agentRoutes(service),
    {
      method: 'GET',
      path: '/v1/merchants/:merchant',
      summary: 'A merchant’s payable, commission rate and recent orders',
      tag: 'merchants',
      roles: ['admin', 'finance', 'merchant'],
      handler: async ({ params, session }) => {
        const id = params.merchant as string;
        requireSubject(session, id);
        const merchant = service.state.merchants.get(id);
        if (merchant === undefined)
          throw new ServiceError(404, 'unknown_merchant', `${id} is not a merchant`);
        const members = service.state.members;
        return {
          id,
          owner: merchant.owner === NOBODY ? null : members.id(merchant.owner),
          recruiter: merchant.recruiter === NOBODY ? null : members.id(merchant.recruiter),
          region: merchant.region,
          commissionRate: formatPpm(merchant.commissionRate ?? service.state.config.commissionRate),
          payable: formatCents(service.state.payable(merchant)),
          activity: service.activity.merchantActivity(id),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/accounts',
      summary: 'Create a staff account (admin or finance)',
      tag: 'accounts',
      roles: ['admin'],
      clientId: true,
      response: object({
        outcome: outcomeSchema,
        account: { type: 'string' },
        login: { type: 'string' },
        role: { type: 'string', enum: ['admin', 'finance'] },
      }),
      body: object(
        {
          id: clientIdSchema,
          login: { type: 'string', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.@+-]+$' },
          password: { type: 'string', minLength: passwordLengthMin, maxLength: passwordLengthMax },
          role: { type: 'string', enum: ['admin', 'finance'] },
        },
        ['login', 'password', 'role'],
      ),
      handler: async ({ request, body, session }) => {
        const id = clientIdOf(request, body);
        const login = String(body.login).toLowerCase();
        const role = body.role as 'admin' | 'finance';
        return writes.run(id, {
          route: 'POST /v1/accounts',
          action: 'account.create',
          content: withoutId(body),
          actor: (session as Session).account,
          check: async () => {
            if ((await service.accounts.byLogin(login)) !== null)
              throw new ServiceError(409, 'login_taken', `the login ${login} is taken`);
          },
          plan: () => ({ account: newId('acc') }),
          perform: async ({ account }) => {
            await createAccountOnce(service, account, login, String(body.password), role, null);
            return { answer: { account, login, role }, audit: { login, role } };
          },
        });
      },
    },
    {
      method: 'POST',
      path: '/v1/api-keys',
      summary:
        'Create an API key for the shop back-end. The key is shown once: a retry with the same id answers duplicate with key null',
      tag: 'accounts',
      roles: ['admin'],
      clientId: true,
      response: object(
        {
          outcome: outcomeSchema,
          name: { type: 'string' },
          key: {
            type: 'string',
            nullable: true,
            description: 'the key; null when a retry answers duplicate',
          },
          note: { type: 'string', description: 'on a duplicate: the key was shown once' },
        },
        ['outcome', 'name', 'key'],
      ),
      body: object({ id: clientIdSchema, name: { type: 'string', minLength: 1, maxLength: 64 } }, ['name']),
      handler: async ({ request, body, session }) => {
        const id = clientIdOf(request, body);
        const name = String(body.name);
        return writes.run(id, {
          route: 'POST /v1/api-keys',
          action: 'apikey.create',
          content: { name },
          actor: (session as Session).account,
          plan: () => null,
          // Only the key's digest is kept, so no retry can show it again. Finishing a cut-short attempt
          // makes a new key: one the earlier attempt may have stored was never shown to anyone.
          perform: async () => {
            const key = await service.accounts.createApiKey(name, service.clock.now());
            return {
              answer: { name, key },
              kept: { name, key: null, note: apiKeyShownOnce },
              audit: { name },
            };
          },
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/compliance',
      summary: 'The compliance report of the configuration in force (green / amber / red, with reasons)',
      tag: 'platform',
      roles: ['admin', 'finance'],
      handler: async () => ({ findings: complianceReport(service.state.config) }),
    },
    {
      method: 'GET',
      path: '/v1/members',
      summary: 'Members (search by id, paging), with their balances',
      tag: 'members',
      roles: ['admin', 'finance'],
      query: {
        type: 'object',
        additionalProperties: false,
        properties: { search: { type: 'string', maxLength: 64 }, ...page },
      },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const search = (query.search ?? '').toLowerCase();
        const ids = service.state.members.ids.filter(
          (id) => search === '' || id.toLowerCase().includes(search),
        );
        return {
          total: ids.length,
          items: ids.slice(offset, offset + limit).map((id) => memberSummary(service, id)),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/merchants',
      summary: 'Merchants with their payables',
      tag: 'merchants',
      roles: ['admin', 'finance'],
      query: { type: 'object', additionalProperties: false, properties: page },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const merchants = [...service.state.merchants.values()];
        const members = service.state.members;
        return {
          total: merchants.length,
          items: merchants.slice(offset, offset + limit).map((merchant) => ({
            id: merchant.id,
            owner: merchant.owner === NOBODY ? null : members.id(merchant.owner),
            region: merchant.region,
            payable: formatCents(service.state.payable(merchant)),
          })),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/audit',
      summary: 'The audit trail: who did what, when',
      tag: 'platform',
      roles: ['admin'],
      query: { type: 'object', additionalProperties: false, properties: page },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const rows = await service.store.readAudit(offset, limit);
        return {
          items: rows.map((row) => ({
            ...row,
            at: new Date(row.atMs).toISOString(),
            detail: JSON.parse(row.detail),
          })),
        };
      },
    },
  ] satisfies Route[] as Route[];
}
