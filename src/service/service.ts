// The application: the ledger node (state + single writer), accounts, read models, the settlement
// scheduler and the clock. HTTP handlers call this; they do authentication and input shapes only.
import type { Outcome } from '../domain/engine.ts';
import type { Command, Event, Rejection } from '../domain/messages.ts';
import type { State } from '../domain/state.ts';
import { LedgerNode, NotLeaderError } from '../store/node.ts';
import { BusyError, type SequencerOptions, SequencerStoppedError } from '../store/sequencer.ts';
import type { EventStore } from '../store/store.ts';
import { Accounts, LoginThrottle, serviceSecret } from './accounts.ts';
import { Activity } from './activity.ts';
import { AgentEarnings } from './agents.ts';
import { type Clock, ServiceClock, systemClock } from './clock.ts';
import { SandboxPaymentProvider } from './payments.ts';
import { ProgramHistory } from './program-history.ts';
import { DailyRuns } from './programs.ts';
import { ReadModels } from './projections.ts';
import { operatorUtcOffsetMinutes, Reports } from './reports.ts';
import { WebhookDispatcher } from './webhooks.ts';
import { MemberWithdrawals } from './withdrawals.ts';

/** An expected failure, with the HTTP status the edge gives it. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

const notFound = new Set(['unknown_member', 'unknown_merchant', 'unknown_order', 'unknown_withdrawal']);
const conflict = new Set(['id_reused', 'member_exists', 'merchant_exists', 'agent_exists']);
const badInput = new Set([
  'malformed',
  'missing_id',
  'invalid_amount',
  'invalid_points',
  'invalid_region',
  'invalid_config',
  'unknown_type',
  'amount_too_large',
  'invalid_weight',
]);

/** Rules refused it (insufficient points, below minimum, wrong state…): 422 unless the input was malformed. */
export function statusOf(rejection: Rejection): number {
  if (notFound.has(rejection.code)) return 404;
  if (conflict.has(rejection.code)) return 409;
  if (badInput.has(rejection.code)) return 400;
  return 422;
}

export interface ServiceOptions {
  readonly database: string;
  readonly clock?: Clock;
  /** How often due paid orders are settled; 0 for never (tests call settleDue). */
  readonly settleEveryMs?: number;
  readonly sequencer?: Partial<SequencerOptions>;
  /** Where webhooks go (the shop's endpoint); null or absent: logged as skipped. */
  readonly webhookUrl?: string | null;
  readonly webhookSecret?: string;
  /** This process's public URL, told to standbys while it leads (default: POOLPOINT_PUBLIC_URL). */
  readonly publicUrl?: string | null;
}

/** The shop hears of settlements, mints, forced exits and withdrawal changes (written by this process). */
function notify(webhooks: WebhookDispatcher, events: readonly Event[]): void {
  for (const event of events) {
    switch (event.type) {
      case 'OrderSettled':
      case 'PaidOrderSettled': {
        const order = event.type === 'OrderSettled' ? event.command.id : event.command.order;
        webhooks.enqueue('order.settled', {
          order,
          commission: event.commission,
          inflow: event.inflow,
          rewards: event.rewards,
        });
        webhooks.enqueue('points.minted', { order, points: event.minted });
        break;
      }
      case 'MemberForcedOut':
        webhooks.enqueue('member.forced_out', {
          member: event.member,
          points: event.points,
          gross: event.gross,
          payout: event.payout,
        });
        break;
      case 'WithdrawalRequested':
        webhooks.enqueue('withdrawal.status', {
          withdrawal: event.command.id,
          member: event.command.member,
          status: 'requested',
        });
        break;
      case 'WithdrawalReviewed': {
        const status = { approve: 'approved', reject: 'rejected', paid: 'paid' }[event.command.decision];
        webhooks.enqueue('withdrawal.status', {
          withdrawal: event.command.withdrawal,
          status,
          note: event.command.note,
        });
        break;
      }
      default:
        break;
    }
  }
}

/**
 * The read models beside the state (projections.ts). Each is fed every event in log order, live,
 * and after a restart from a snapshot a fresh set is fed the whole log in the background. To add a
 * read model, add it here (a projection with `record(event, sequence, atMs, state)`): it is then fed
 * and rebuilt like the others, and read as `service.readModels.current.NAME`.
 */
export const makeReadModels = () => ({
  activity: new Activity(),
  agents: new AgentEarnings(),
  withdrawals: new MemberWithdrawals(),
  reports: new Reports(),
  programs: new ProgramHistory(),
});
export type ReadModelSet = ReturnType<typeof makeReadModels>;

/** Paid orders settled per scheduler pass, so one pass never holds the writer for long. */
const settlementsPerPassMax = 10_000;

export class PoolpointService {
  private settleTimer: NodeJS.Timeout | null = null;
  /** The operator's offset from UTC, in minutes (POOLPOINT_UTC_OFFSET): its days name the daily runs. */
  readonly utcOffsetMinutes = operatorUtcOffsetMinutes();
  private readonly dailyRuns = new DailyRuns(this.utcOffsetMinutes);

  private constructor(
    readonly node: LedgerNode,
    readonly accounts: Accounts,
    readonly readModels: ReadModels<ReadModelSet>,
    readonly clock: ServiceClock,
    readonly secret: string,
    readonly throttle: LoginThrottle,
    readonly webhooks: WebhookDispatcher,
    readonly payments: SandboxPaymentProvider,
  ) {}

  static async open(options: ServiceOptions): Promise<PoolpointService> {
    const clock = new ServiceClock(options.clock ?? systemClock);
    const readModels = new ReadModels(makeReadModels);
    const node = await LedgerNode.start(options.database, {
      onEvent: readModels.record,
      sequencer: { now: () => clock.now(), ...options.sequencer },
      address: options.publicUrl ?? process.env.POOLPOINT_PUBLIC_URL ?? null,
    });
    const secret = await serviceSecret(node.store, clock.now());
    const webhooks = new WebhookDispatcher({
      url: options.webhookUrl ?? null,
      secret: options.webhookSecret ?? secret,
      now: () => clock.now(),
    });
    const payments = new SandboxPaymentProvider({ now: () => clock.now(), payUrlOf: (id) => `/pay/${id}` });
    const accounts = new Accounts(node.store);
    const service = new PoolpointService(
      node,
      accounts,
      readModels,
      clock,
      secret,
      new LoginThrottle(),
      webhooks,
      payments,
    );
    const every = options.settleEveryMs ?? 1_000;
    if (every > 0) service.scheduleSettlement(every);
    // In the background: start-up does not wait for a long log (progress: readModels.progress).
    void readModels.rebuildFrom(node.store, node.snapshotSequence);
    return service;
  }

  /** Recent activity, price history, configuration history, forced exits. */
  get activity(): Activity {
    return this.readModels.current.activity;
  }

  get state(): State {
    return this.node.state;
  }

  get store(): EventStore {
    return this.node.store;
  }

  /** Runs commands through the single writer; outcomes come back once durable. */
  async submitMany(commands: readonly Command[]): Promise<Outcome[]> {
    try {
      const outcomes = await this.node.sequencer.submitMany(commands);
      for (const outcome of outcomes) if (outcome.kind === 'accepted') notify(this.webhooks, outcome.events);
      return outcomes;
    } catch (error) {
      if (error instanceof BusyError) throw new ServiceError(503, 'busy', error.message);
      if (error instanceof NotLeaderError) {
        throw new ServiceError(503, 'not_leader', (await this.node.notLeaderError()).message);
      }
      if (error instanceof SequencerStoppedError) throw new ServiceError(503, 'stopped', error.message);
      throw error;
    }
  }

  async submit(command: Command): Promise<Outcome> {
    return (await this.submitMany([command]))[0] as Outcome;
  }

  /** Submits and turns a rejection into a ServiceError; returns whether it was a duplicate. */
  async submitOrFail(command: Command): Promise<Outcome & { kind: 'accepted' | 'duplicate' }> {
    const outcome = await this.submit(command);
    if (outcome.kind === 'rejected') {
      throw new ServiceError(statusOf(outcome.rejection), outcome.rejection.code, outcome.rejection.message);
    }
    return outcome;
  }

  /**
   * The programs' daily commands due now (programs.ts): the release run of each day, the dividend
   * settlement of each finished day, in the operator's days. Sent before the pass settles orders,
   * so that points locked by an order settled after a day's first moment start on the next day.
   * Returns how many were accepted (a retried day is a duplicate, never sent twice).
   */
  async runDaily(): Promise<number> {
    if (this.node.role !== 'leader') return 0;
    const due = this.dailyRuns.due(this.state, this.clock.now());
    if (due.length === 0) return 0;
    const outcomes = await this.submitMany(due);
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.kind === 'rejected')
        process.emitWarning(`${due[index]?.id ?? 'a daily command'} refused: ${outcome.rejection.message}`);
    }
    return outcomes.filter((outcome) => outcome.kind === 'accepted').length;
  }

  /** Settles every paid order whose hold window has passed, oldest first. Returns how many. */
  async settleDue(): Promise<number> {
    if (this.node.role !== 'leader') return 0;
    const nowMs = this.clock.now();
    const holdMs = this.state.config.holdWindowSeconds * 1000;
    const due: Command[] = [];
    for (const pending of this.state.pendingOrdersInOrder()) {
      if (pending.command.paidAtMs + holdMs > nowMs || due.length >= settlementsPerPassMax) break;
      due.push({ type: 'settle', order: pending.command.id, nowMs });
    }
    if (due.length === 0) return 0;
    const outcomes = await this.submitMany(due);
    return outcomes.filter((outcome) => outcome.kind === 'accepted').length;
  }

  private scheduleSettlement(everyMs: number): void {
    this.settleTimer = setTimeout(() => {
      this.runDaily()
        .then(() => this.settleDue())
        .catch((error: Error) => process.emitWarning(`settlement pass failed: ${error.message}`))
        .finally(() => {
          if (this.settleTimer !== null) this.scheduleSettlement(everyMs);
        });
    }, everyMs);
    this.settleTimer.unref();
  }

  async audit(actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
    await this.store.appendAudit(this.clock.now(), actor, action, JSON.stringify(detail));
  }

  /**
   * Appends the audit entry of what `key` names (`command:ID`, `agent-appointment:ID`…) unless it has
   * one already: a retry then writes the entry a crash lost, and never a second one.
   */
  async auditOnce(
    key: string,
    actor: string,
    action: string,
    detail: Record<string, unknown>,
  ): Promise<boolean> {
    return this.store.appendAudit(this.clock.now(), actor, action, JSON.stringify(detail), key);
  }

  /**
   * Audits an admin or finance command by its id: when accepted, and again when a retry answers
   * duplicate, since the process may have stopped between the ledger write and the audit entry. One
   * entry per command whatever the retries; its actor is the one the log keeps with the command.
   */
  async auditCommand(
    outcome: Outcome,
    commandId: string,
    actor: string,
    action: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    if (outcome.kind === 'rejected') return;
    const original = this.state.processed(commandId) as { readonly actor?: unknown } | undefined;
    const who = typeof original?.actor === 'string' ? original.actor : actor;
    await this.auditOnce(`command:${commandId}`, who, action, detail);
  }

  async close(): Promise<void> {
    await this.webhooks.close();
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    await this.readModels.stop();
    await this.node.close();
  }
}
