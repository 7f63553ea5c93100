// A poolpoint process's place in the cluster. On SQLite the process is the only writer. On
// PostgreSQL one process leads (it holds the leader lock and runs the sequencer); any other is a
// standby that serves reads from its own replay of the log, follows the log as it grows, and takes
// over within seconds when the leader's session ends. A leader that loses its lock stops writing
// at once and reports it: the process should exit and start again as a standby.

import { hostname } from 'node:os';
import type { State } from '../domain/state.ts';
import { catchUp, type EventListener, loadState, openStore } from './ledger.ts';
import { defaultSequencerOptions, Sequencer, type SequencerOptions } from './sequencer.ts';
import type { EventStore, LogHead } from './store.ts';

export type Role = 'leader' | 'standby';

export interface NodeOptions {
  /** How often a standby looks for new events and for the lock. */
  readonly followMs: number;
  readonly sequencer: Partial<SequencerOptions>;
  readonly onRole?: (role: Role) => void;
  /** The lock was lost while leading: nothing more is written; the process should restart. */
  readonly onLeadershipLost?: (error: Error) => void;
  /** Told of every event this process applies: loaded, followed, or written (read models). */
  readonly onEvent?: EventListener;
  /** Where clients reach this process (its public URL), told to standbys while it leads; null if unknown. */
  readonly address?: string | null;
}

export const defaultNodeOptions: NodeOptions = { followMs: 250, sequencer: {} };

/** Pages a standby applies per follow tick, so one tick never holds the event loop for long. */
const followPagesMax = 4;

export class NotLeaderError extends Error {
  readonly code = 'not_leader';
  constructor(leader = '') {
    super(`this process is a standby: send writes to the leader${leader === '' ? '' : ` (${leader})`}`);
    this.name = 'NotLeaderError';
  }
}

/** The record kind and id where the leader says who and where it is (operational, not ledger state). */
const leaderRecord = { kind: 'cluster', id: 'leader' } as const;

interface LeaderNotice {
  readonly address: string | null;
  readonly host: string;
  readonly pid: number;
  readonly sinceMs: number;
  /** Set when it stopped leading on purpose (closed). */
  readonly leftAtMs?: number;
}

export class LedgerNode {
  role: Role = 'standby';
  private sequencerOrNull: Sequencer | null = null;
  private followTimer: NodeJS.Timeout | null = null;
  private following: Promise<void> = Promise.resolve();
  private readonly stopWaiting = new AbortController();
  private closed = false;
  /** Set as soon as this process starts taking over, so that no follow tick starts after it. */
  private takingOver = false;
  private leadingSinceMs: number | null = null;
  private lostLeadership = false;

  private constructor(
    readonly store: EventStore,
    readonly state: State,
    private head: LogHead,
    private readonly options: NodeOptions,
    /** The snapshot the state was loaded from (0: replayed from the first event): read models before it were not fed. */
    readonly snapshotSequence: number,
  ) {}

  static async start(database: string, options: Partial<NodeOptions> = {}): Promise<LedgerNode> {
    const settings = { ...defaultNodeOptions, ...options };
    let node: LedgerNode | null = null;
    const store = database.startsWith('sqlite:')
      ? await openStore(database)
      : await (await import('./postgres.ts')).PostgresStore.open(database, {
          onLeadershipLost: (error) => node?.leadershipLost(error),
        });
    const { state, head, snapshotSequence } = await loadState(
      store,
      settings.onEvent === undefined ? {} : { onEvent: settings.onEvent },
    );
    node = new LedgerNode(store, state, head, settings, snapshotSequence);
    await node.elect();
    return node;
  }

  /** The writer; only a leader has one. */
  get sequencer(): Sequencer {
    if (this.sequencerOrNull === null) throw new NotLeaderError();
    return this.sequencerOrNull;
  }

  private async elect(): Promise<void> {
    const postgres = this.store as EventStore & {
      tryAcquireLeadership?: () => Promise<boolean>;
      waitForLeadership?: (options: { pollMs: number; signal?: AbortSignal }) => Promise<void>;
    };
    if (postgres.tryAcquireLeadership === undefined || (await postgres.tryAcquireLeadership())) {
      await this.lead();
      return;
    }
    this.options.onRole?.('standby');
    this.follow();
    postgres
      .waitForLeadership?.({ pollMs: this.options.followMs, signal: this.stopWaiting.signal })
      .then(() => this.lead())
      .catch((error: Error) => {
        if (!this.closed) this.options.onLeadershipLost?.(error);
      });
  }

  private follow(): void {
    if (this.closed || this.takingOver) return;
    this.followTimer = setTimeout(() => {
      this.following = catchUp(this.store, this.state, this.head, {
        pagesMax: followPagesMax,
        ...this.listener(),
      })
        .then((head) => {
          this.head = head;
        })
        .finally(() => this.follow());
    }, this.options.followMs);
  }

  private async lead(): Promise<void> {
    this.takingOver = true;
    if (this.followTimer !== null) clearTimeout(this.followTimer);
    await this.following.catch(() => undefined);
    // Everything the old leader made durable comes first.
    this.head = await catchUp(this.store, this.state, this.head, this.listener());
    this.sequencerOrNull = new Sequencer(this.state, this.store, this.head, await this.store.outcomeCount(), {
      ...defaultSequencerOptions,
      ...this.options.sequencer,
      ...this.listener(),
    });
    this.role = 'leader';
    this.options.onRole?.('leader');
    if (this.store.kind === 'postgres') await this.announce({}); // only PostgreSQL has standbys
  }

  /** Tells standbys where the leader is; a failure only costs them the hint. */
  private async announce(extra: { leftAtMs?: number }): Promise<void> {
    const nowMs = Date.now();
    this.leadingSinceMs ??= nowMs;
    const notice: LeaderNotice = {
      address: this.options.address ?? null,
      host: hostname(),
      pid: process.pid,
      sinceMs: this.leadingSinceMs,
      ...extra,
    };
    await this.store
      .putRecord(leaderRecord.kind, leaderRecord.id, JSON.stringify(notice), nowMs)
      .catch((error: Error) => process.emitWarning(`leader notice not saved: ${error.message}`));
  }

  /**
   * A leader that stops on purpose says so, so that standbys do not send clients to it; only if the
   * notice is still its own (a leader that lost its lock must not overwrite its successor's).
   */
  private async announceLeaving(): Promise<void> {
    if (this.lostLeadership) return;
    const record = await this.store.getRecord(leaderRecord.kind, leaderRecord.id).catch(() => null);
    const notice = record === null ? null : (JSON.parse(record.body) as LeaderNotice);
    if (notice?.pid !== process.pid || notice.host !== hostname() || notice.sinceMs !== this.leadingSinceMs)
      return;
    await this.announce({ leftAtMs: Date.now() });
  }

  /**
   * Why this process cannot write, and where the leader is as far as it knows: the error a standby
   * answers a write with.
   */
  async notLeaderError(): Promise<NotLeaderError> {
    const record = await this.store.getRecord(leaderRecord.kind, leaderRecord.id).catch(() => null);
    if (record === null) return new NotLeaderError('no leader has announced itself yet');
    const notice = JSON.parse(record.body) as LeaderNotice;
    const who = `${notice.address ?? 'address not configured (POOLPOINT_PUBLIC_URL)'}: process ${notice.pid} on ${notice.host}`;
    if (notice.leftAtMs !== undefined) {
      return new NotLeaderError(
        `the last leader, ${who}, stopped at ${new Date(notice.leftAtMs).toISOString()}; a standby takes over within seconds`,
      );
    }
    return new NotLeaderError(
      `the leader is ${who}, leading since ${new Date(notice.sinceMs).toISOString()}`,
    );
  }

  private listener(): { onEvent?: EventListener } {
    return this.options.onEvent === undefined ? {} : { onEvent: this.options.onEvent };
  }

  private leadershipLost(error: Error): void {
    this.lostLeadership = true;
    this.sequencerOrNull?.halt(`leadership lost (${error.message})`);
    this.options.onLeadershipLost?.(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWaiting.abort();
    if (this.followTimer !== null) clearTimeout(this.followTimer);
    await this.following.catch(() => undefined);
    await this.sequencerOrNull?.close();
    if (this.role === 'leader' && this.store.kind === 'postgres') await this.announceLeaving();
    await this.store.close();
  }
}
