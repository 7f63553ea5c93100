// Admin writes that carry no ledger id (configuration, onboarding, staff accounts, API keys) made
// idempotent by a client-chosen id, with SPEC.md's semantics: the same id with the same content
// answers the original result; with other content it is `id_reused` (409); a refused write leaves
// its id free. Each id is kept as a record (kind `client-write`): claimed `pending` with the plan
// of what it will create before any work, then `accepted` with its answer. A retry of a pending
// one (the process stopped midway) finishes the same plan instead of starting another.
import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { LoginTakenError } from '../service/accounts.ts';
import { type PoolpointService, ServiceError } from '../service/service.ts';
import { idSchema, type Schema } from './routes.ts';

const recordKind = 'client-write';

/** The header that may carry the client id instead of the body's `id`. */
export const idempotencyHeader = 'idempotency-key';

/** The body's optional `id` on these routes: one of it or the Idempotency-Key header is required. */
export const clientIdSchema: Schema = {
  ...idSchema,
  description: 'client-chosen id of this write (or send it as the Idempotency-Key header)',
};

interface ClientWriteRecord {
  /** The route, part of the content: an id names one write of one route. */
  readonly route: string;
  /** HMAC of the canonical content under the service secret (a password in it stays unreadable). */
  readonly contentHash: string;
  readonly actor: string;
  readonly plan: unknown;
  status: 'pending' | 'accepted' | 'rejected';
  answer?: Record<string, unknown>;
  audit?: Record<string, unknown> | null;
}

export interface ClientWrite<Plan> {
  /** `PUT /v1/config`… */
  readonly route: string;
  /** The audit action, written once per id. */
  readonly action: string;
  /** What a retry must repeat exactly: every field of the body but the id. */
  readonly content: Record<string, unknown>;
  readonly actor: string;
  /** Refusals checked before the id is claimed, so a refusal leaves no trace; skipped when finishing. */
  check?(): Promise<void>;
  /** What the write will create (its ids), kept with the claim so that a retry finishes the same. */
  plan(): Plan;
  /** Does the work; with `finishing`, an earlier attempt may have done part of it. */
  perform(plan: Plan, finishing: boolean): Promise<Performed>;
}

export interface Performed {
  /** `duplicate` when the write found its effect already there (a configuration it equals); default `accepted`. */
  readonly outcome?: 'accepted' | 'duplicate';
  /** The answer (after `outcome`). */
  readonly answer: Record<string, unknown>;
  /** The answer a retry gets, when it must differ (a secret is shown once); default `answer`. */
  readonly kept?: Record<string, unknown>;
  /** The audit entry's detail; null when the write changed nothing, so there is nothing to audit. */
  readonly audit: Record<string, unknown> | null;
}

/** Keys sorted at every level, so that the same content always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content's fingerprint kept with an id: an HMAC, so that a password in it cannot be guessed from the store. */
export function clientWriteHash(secret: string, route: string, content: Record<string, unknown>): string {
  return createHmac('sha256', secret).update(canonical({ route, content })).digest('hex');
}

/**
 * The client id of a request: the body's `id` or the Idempotency-Key header (both: they must agree).
 * Neither is `missing_id` (400), checked before anything else.
 */
export function clientIdOf(request: FastifyRequest, body: Record<string, unknown>): string {
  const header = request.headers[idempotencyHeader];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromBody = typeof body.id === 'string' ? body.id : undefined;
  if (fromHeader !== undefined) {
    const pattern = new RegExp(idSchema.pattern);
    if (fromHeader.length > idSchema.maxLength || !pattern.test(fromHeader)) {
      throw new ServiceError(
        400,
        'malformed',
        `header Idempotency-Key must be 1 to ${idSchema.maxLength} characters of A-Z a-z 0-9 _ . : -`,
      );
    }
    if (fromBody !== undefined && fromBody !== fromHeader)
      throw new ServiceError(400, 'malformed', 'the body’s id and the Idempotency-Key header differ');
  }
  const id = fromBody ?? fromHeader;
  if (id === undefined || id === '') {
    throw new ServiceError(
      400,
      'missing_id',
      'send a client-chosen id (the body’s "id" or an Idempotency-Key header), kept for retries, so that a retry cannot do this twice',
    );
  }
  return id;
}

/** Runs client-id writes one at a time: a retry of an id waits for the first to finish, then answers it. */
export class ClientWrites {
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly service: PoolpointService) {}

  run<Plan>(id: string, write: ClientWrite<Plan>): Promise<Record<string, unknown>> {
    const next = this.running.then(
      () => this.once(id, write),
      () => this.once(id, write),
    );
    this.running = next.catch(() => undefined);
    return next;
  }

  private save(id: string, record: ClientWriteRecord): Promise<void> {
    return this.service.store.putRecord(recordKind, id, JSON.stringify(record), this.service.clock.now());
  }

  private async audit(id: string, record: ClientWriteRecord, action: string): Promise<void> {
    if (record.audit === null || record.audit === undefined) return;
    await this.service.auditOnce(`${recordKind}:${id}`, record.actor, action, { id, ...record.audit });
  }

  private async once<Plan>(id: string, write: ClientWrite<Plan>): Promise<Record<string, unknown>> {
    const found = await this.service.store.getRecord(recordKind, id);
    const saved = found === null ? null : (JSON.parse(found.body) as ClientWriteRecord);
    const contentHash = clientWriteHash(this.service.secret, write.route, write.content);
    const live = saved !== null && saved.status !== 'rejected' ? saved : null;
    if (live !== null && live.contentHash !== contentHash)
      throw new ServiceError(409, 'id_reused', `id ${id} reused with different content`);
    if (live?.status === 'accepted') {
      await this.audit(id, live, write.action); // a crash may have come between the save and the audit
      return { outcome: 'duplicate', ...live.answer };
    }
    const finishing = live !== null; // pending: an earlier attempt was cut short
    if (!finishing) await write.check?.();
    const plan = finishing ? (live.plan as Plan) : write.plan();
    const record: ClientWriteRecord = {
      route: write.route,
      contentHash,
      actor: write.actor,
      plan,
      status: 'pending',
    };
    if (!finishing) await this.save(id, record);
    let performed: Performed;
    try {
      performed = await write.perform(plan, finishing);
    } catch (error) {
      // A refusal frees the id; anything else (busy, a lost store) leaves it pending for a retry to finish.
      const refused =
        (error instanceof ServiceError && error.status < 500) || error instanceof LoginTakenError;
      if (refused) await this.save(id, { ...record, status: 'rejected' });
      throw error;
    }
    const accepted: ClientWriteRecord = {
      ...record,
      status: 'accepted',
      answer: performed.kept ?? performed.answer,
      audit: performed.audit,
    };
    await this.save(id, accepted);
    await this.audit(id, accepted, write.action);
    return { outcome: performed.outcome ?? 'accepted', ...performed.answer };
  }
}
