// A poolpoint process's place in the cluster. On SQLite the process is the only writer. On
// PostgreSQL one process leads (it holds the leader lock and runs the sequencer); any other is a
// standby that serves reads from its own replay of the log, follows the log as it grows, and takes
// over within seconds when the leader's session ends. A leader that loses its lock stops writing
// at once and reports it: the process should exit and start again as a standby.

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
}

export const defaultNodeOptions: NodeOptions = { followMs: 250, sequencer: {} };

/** Pages a standby applies per follow tick, so one tick never holds the event loop for long. */
const followPagesMax = 4;

export class NotLeaderError extends Error {
  readonly code = 'not_leader';
  constructor() {
    super('this process is a standby: send writes to the leader');
    this.name = 'NotLeaderError';
  }
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

  private constructor(
    readonly store: EventStore,
    readonly state: State,
    private head: LogHead,
    private readonly options: NodeOptions,
  ) {}

  static async start(database: string, options: Partial<NodeOptions> = {}): Promise<LedgerNode> {
    const settings = { ...defaultNodeOptions, ...options };
    let node: LedgerNode | null = null;
    const store = database.startsWith('sqlite:')
      ? await openStore(database)
      : await (await import('./postgres.ts')).PostgresStore.open(database, {
          onLeadershipLost: (error) => node?.leadershipLost(error),
        });
    const { state, head } = await loadState(
      store,
      settings.onEvent === undefined ? {} : { onEvent: settings.onEvent },
    );
    node = new LedgerNode(store, state, head, settings);
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
  }

  private listener(): { onEvent?: EventListener } {
    return this.options.onEvent === undefined ? {} : { onEvent: this.options.onEvent };
  }

  private leadershipLost(error: Error): void {
    this.sequencerOrNull?.halt(`leadership lost (${error.message})`);
    this.options.onLeadershipLost?.(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWaiting.abort();
    if (this.followTimer !== null) clearTimeout(this.followTimer);
    await this.following.catch(() => undefined);
    await this.sequencerOrNull?.close();
    await this.store.close();
  }
}
