// The single writer. Commands queue here; one writer decides them in order against the in-memory
// state and appends their events in batches (group commit). A command's outcome is released only
// after its batch is durable. Past a bounded queue it answers "busy" instead of growing.
//
// It does not wait for a batch to be durable before deciding the next: a few appends are in flight
// at once (the store writes them in order and may commit several in one transaction), so deciding
// overlaps with the store's work. They are acknowledged in order, each once it is durable.
//
// If an append fails, the in-memory state is ahead of the durable log and can no longer be
// trusted: the sequencer stops for good and every caller is told to restart (the state is then
// rebuilt from the log, which holds exactly the acknowledged batches; the store writes nothing
// that was sent after the failed append).
import { execute, type Outcome } from '../domain/engine.ts';
import type { Command, Event, Rejection } from '../domain/messages.ts';
import { PREFETCH_WINDOW, prefetch } from '../domain/prefetch.ts';
import { snapshotOf } from '../domain/snapshot.ts';
import type { State } from '../domain/state.ts';
import { commandIdOf, encodeEvent } from './codec.ts';
import { encodeSnapshot } from './snapshot-codec.ts';
import {
  type EventStore,
  type LogHead,
  type LogRow,
  type OutcomeRow,
  rowHash,
  type SnapshotRow,
  type UnlinkedRow,
} from './store.ts';

/** A command refused before it reached the rules (malformed input): recorded like any rejection. */
export interface PreRejected {
  readonly type: 'preRejected';
  readonly id: string | null;
  readonly rejection: Rejection;
}

export type Submission = Command | PreRejected;

export interface SequencerOptions {
  /** Commands decided per batch (one append; the store may commit several in one transaction). */
  readonly batchCommandsMax: number;
  /** Batches sent to the store and not yet durable, at most; then the writer waits for the oldest. */
  readonly appendsInFlightMax: number;
  /** How long a batch may wait for more commands; 0 closes it on the next turn of the event loop. */
  readonly batchDelayMs: number;
  /** Commands waiting at most; more are answered with BusyError. */
  readonly queueCommandsMax: number;
  /**
   * A snapshot after every this many events; 0 for none. One that takes long waits until it would
   * cost at most a twentieth of the writer's time (snapshotTimeShareMax).
   */
  readonly snapshotEveryEvents: number;
  /**
   * Every snapshotEveryEvents exactly, however long snapshots take: when the spacing was asked for
   * (`poolpoint import --snapshot-every`), and so that it does not depend on the machine's load.
   */
  readonly snapshotSpacingExact?: boolean;
  /** The clock for `recordedAtMs` (tests move it). */
  readonly now: () => number;
  /**
   * Told of each event once its batch is durable, in log order (read models beside the state). The
   * state is the writer's current one: it already includes the batch, and may include later ones.
   */
  readonly onEvent?: (event: Event, sequence: number, recordedAtMs: number, state: State) => void;
  /**
   * Told once when an append fails and the writer stops for good (every later write is refused
   * until the process restarts and recovers from the log); `poolpoint serve` exits on it.
   */
  readonly onStopped?: (reason: string) => void;
}

export const defaultSequencerOptions: SequencerOptions = {
  // Small batches: a batch's rows are short-lived garbage, not data that survives collections.
  batchCommandsMax: 1_024,
  appendsInFlightMax: 16,
  batchDelayMs: 0,
  queueCommandsMax: 200_000,
  snapshotEveryEvents: 100_000,
  now: Date.now,
};

export class BusyError extends Error {
  readonly code = 'busy';
  constructor(queued: number) {
    super(`the writer queue is full (${queued} commands waiting); retry shortly`);
    this.name = 'BusyError';
  }
}

export class SequencerStoppedError extends Error {
  readonly code = 'stopped';
  constructor(reason: string) {
    super(reason);
    this.name = 'SequencerStoppedError';
  }
}

interface Pending {
  readonly submissions: readonly Submission[];
  readonly outcomes: Outcome[];
  readonly resolve: (outcomes: Outcome[]) => void;
  readonly reject: (error: Error) => void;
}

/** Decided commands on their way to the store. */
interface Batch {
  /** Dropped once sent: the store has them, and rows are most of what a batch allocates. */
  rows: UnlinkedRow[] | null;
  /** The last event before the batch. */
  readonly after: number;
  /** The batch's last event, when this thread hashed the rows (else the store says, once durable). */
  readonly linkedHead: LogHead | null;
  readonly recordedAtMs: number;
  readonly events: Event[];
  readonly outcomeRows: OutcomeRow[];
  /** Submissions whose last command is in this batch: answered once it is durable. */
  readonly completed: Pending[];
  /** Submissions with a command in this batch: told if it fails. */
  readonly touched: Pending[];
  /** The state right after this batch, encoded, when a snapshot is due: saved once it is durable. */
  snapshotBody: Buffer | null;
  /** Settles (never rejects) when the append has: then `durable` or `failure` says how. */
  settled: Promise<void>;
  durable: LogHead | null;
  failure: Error | null;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A due snapshot waits while the last one's cost is more than this share of the time since: a
 * state with a long history takes long to encode (every processed command is in it), and a
 * snapshot every snapshotEveryEvents would otherwise take more and more of the writer's time.
 */
const snapshotTimeShareMax = 0.05;
/** A snapshot that took less is never put off (a small state: snapshotEveryEvents holds exactly). */
const snapshotNegligibleMs = 20;

export class Sequencer {
  private readonly queue: Pending[] = [];
  private queuedCommands = 0;
  /** The submissions prefetchAhead reads next: one array, reused. */
  private readonly ahead: Submission[] = [];
  private running = false;
  private stopped: Error | null = null;
  private eventsSinceSnapshot = 0;
  /** When the last snapshot was taken and how long it took (performance.now() milliseconds). */
  private lastSnapshotEndMs = 0;
  private lastSnapshotMs = 0;
  private idleWaiters: (() => void)[] = [];
  /** Sent to the store, oldest first; acknowledged in this order. */
  private readonly inFlight: Batch[] = [];
  /** The last durable event. */
  private durableHead: LogHead;
  /** The last decided event (durable or in flight): the next batch follows it. */
  private decidedSequence: number;
  /** Its hash, when this thread links the rows (the store cannot: no appendLinked). */
  private decidedHash: string;
  /** Whether the store links rows into the chain (appendLinked) rather than this thread. */
  private readonly storeLinks: boolean;

  constructor(
    readonly state: State,
    private readonly store: EventStore,
    head: LogHead,
    private outcomePosition: number,
    private readonly options: SequencerOptions = defaultSequencerOptions,
  ) {
    this.durableHead = head;
    this.decidedSequence = head.sequence;
    this.decidedHash = head.hash;
    this.storeLinks = store.appendLinked !== undefined;
  }

  /** The last durable event. */
  get head(): LogHead {
    return this.durableHead;
  }

  submit(command: Submission): Promise<Outcome> {
    return this.submitMany([command]).then((outcomes) => outcomes[0] as Outcome);
  }

  /** Queues commands in order; resolves with their outcomes once all of them are durable. */
  submitMany(submissions: readonly Submission[]): Promise<Outcome[]> {
    if (this.stopped !== null) return Promise.reject(new SequencerStoppedError(this.stopped.message));
    if (this.queuedCommands + submissions.length > this.options.queueCommandsMax) {
      return Promise.reject(new BusyError(this.queuedCommands));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ submissions, outcomes: [], resolve, reject });
      this.queuedCommands += submissions.length;
      this.schedule();
    });
  }

  /** Resolves when every queued command has been written (or the sequencer stopped). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting commands; what is queued is still written. */
  async close(): Promise<void> {
    await this.idle();
    this.stopped ??= new Error('the writer was closed');
  }

  private schedule(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.batchDelayMs > 0) setTimeout(() => void this.run(), this.options.batchDelayMs);
    else setImmediate(() => void this.run());
  }

  /** Decides and sends batches while there is room in flight; acknowledges them as they become durable. */
  private async run(): Promise<void> {
    for (;;) {
      const snapshot = this.acknowledgeDurable();
      if (snapshot !== null) await this.saveSnapshot(snapshot);
      if (
        this.stopped === null &&
        this.queue.length > 0 &&
        this.inFlight.length < this.options.appendsInFlightMax
      ) {
        this.send(this.decideBatch());
        // Lets acknowledgements, new commands and other work in between two batches.
        await nextTurn();
      } else if (this.inFlight.length > 0) {
        await (this.inFlight[0] as Batch).settled;
      } else {
        break;
      }
    }
    this.running = false;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /** Sends a decided batch to the store (taking a snapshot first if one is due), without waiting. */
  private send(batch: Batch): void {
    const rows = batch.rows as UnlinkedRow[];
    batch.rows = null;
    this.eventsSinceSnapshot += rows.length;
    if (this.snapshotDue()) {
      // Now: the next batch changes the state. Its hash is known once the batch is durable.
      const startMs = performance.now();
      this.eventsSinceSnapshot = 0;
      batch.snapshotBody = encodeSnapshot(snapshotOf(this.state));
      this.lastSnapshotEndMs = performance.now();
      this.lastSnapshotMs = this.lastSnapshotEndMs - startMs;
    }
    const { appendLinked } = this.store;
    const appended =
      batch.linkedHead === null && appendLinked !== undefined
        ? appendLinked.call(this.store, batch.after, rows, batch.outcomeRows)
        : // Linked here (decideBatch): the rows are whole LogRows.
          this.store.append(rows as LogRow[], batch.outcomeRows).then(() => batch.linkedHead as LogHead);
    batch.settled = appended.then(
      (head) => {
        batch.durable = head;
      },
      (error: Error) => {
        batch.failure = error;
      },
    );
    this.inFlight.push(batch);
  }

  private snapshotDue(): boolean {
    const every = this.options.snapshotEveryEvents;
    if (every === 0 || this.eventsSinceSnapshot < every) return false;
    if (this.options.snapshotSpacingExact === true || this.lastSnapshotMs < snapshotNegligibleMs) return true;
    return (performance.now() - this.lastSnapshotEndMs) * snapshotTimeShareMax >= this.lastSnapshotMs;
  }

  /**
   * Answers the oldest batches that are durable, in order, and stops at the first failed one.
   * Returns the last snapshot among them that is due to be saved, if any.
   */
  private acknowledgeDurable(): SnapshotRow | null {
    let snapshot: SnapshotRow | null = null;
    for (let batch = this.inFlight[0]; batch !== undefined; batch = this.inFlight[0]) {
      if (batch.failure !== null) {
        this.stop(batch.failure);
        return null;
      }
      if (batch.durable === null) break;
      this.inFlight.shift();
      this.durableHead = batch.durable;
      const onEvent = this.options.onEvent;
      if (onEvent !== undefined) {
        for (const [index, event] of batch.events.entries())
          onEvent(event, batch.after + 1 + index, batch.recordedAtMs, this.state);
      }
      for (const pending of batch.completed) pending.resolve(pending.outcomes);
      if (batch.snapshotBody !== null) {
        snapshot = {
          sequence: batch.durable.sequence,
          hash: batch.durable.hash,
          body: batch.snapshotBody,
          createdAtMs: this.options.now(),
        };
      }
    }
    return snapshot;
  }

  /**
   * Prefetches the next PREFETCH_WINDOW queued submissions, across requests (prefetch.ts): a hint
   * that lets their cache misses overlap, changing nothing.
   */
  private prefetchAhead(): void {
    const ahead = this.ahead;
    ahead.length = 0;
    for (let at = 0; at < this.queue.length && ahead.length < PREFETCH_WINDOW; at += 1) {
      const { submissions, outcomes } = this.queue[at] as Pending;
      const end = Math.min(submissions.length, outcomes.length + PREFETCH_WINDOW - ahead.length);
      for (let next = outcomes.length; next < end; next += 1) ahead.push(submissions[next] as Submission);
    }
    prefetch(this.state, ahead, 0, ahead.length);
  }

  /**
   * Decides up to batchCommandsMax queued commands and builds their rows: chained by hash here,
   * or left for the store to link (appendLinked).
   */
  private decideBatch(): Batch {
    const rows: UnlinkedRow[] = [];
    const events: Event[] = [];
    const outcomeRows: OutcomeRow[] = [];
    const completed: Pending[] = [];
    const touched: Pending[] = [];
    const recordedAtMs = this.options.now();
    const after = this.decidedSequence;
    const linkHere = !this.storeLinks;
    let sequence = after;
    let hash = this.decidedHash;
    let decided = 0;
    while (decided < this.options.batchCommandsMax && this.queue.length > 0) {
      const pending = this.queue[0] as Pending;
      if (touched[touched.length - 1] !== pending) touched.push(pending);
      while (
        decided < this.options.batchCommandsMax &&
        pending.outcomes.length < pending.submissions.length
      ) {
        if (decided % PREFETCH_WINDOW === 0) this.prefetchAhead();
        const submission = pending.submissions[pending.outcomes.length] as Submission;
        const outcome: Outcome =
          submission.type === 'preRejected'
            ? { kind: 'rejected', rejection: submission.rejection }
            : execute(this.state, submission);
        pending.outcomes.push(outcome);
        decided += 1;
        if (outcome.kind === 'accepted') {
          for (const event of outcome.events) {
            sequence += 1;
            events.push(event);
            const body = encodeEvent(event);
            const commandId = commandIdOf(event);
            if (linkHere) {
              const rowHashValue = rowHash(hash, sequence, recordedAtMs, body);
              const row: LogRow = {
                sequence,
                type: event.type,
                commandId,
                body,
                recordedAtMs,
                previousHash: hash,
                hash: rowHashValue,
              };
              rows.push(row);
              hash = rowHashValue;
            } else {
              rows.push({ sequence, type: event.type, commandId, body, recordedAtMs });
            }
          }
        } else {
          this.outcomePosition += 1;
          outcomeRows.push({
            position: this.outcomePosition,
            commandId: submissionId(submission),
            kind: outcome.kind,
            code: outcome.kind === 'rejected' ? outcome.rejection.code : null,
            message: outcome.kind === 'rejected' ? outcome.rejection.message : null,
            recordedAtMs,
          });
        }
      }
      if (pending.outcomes.length === pending.submissions.length) {
        this.queue.shift();
        completed.push(pending);
      }
    }
    this.queuedCommands -= decided;
    this.decidedSequence = sequence;
    this.decidedHash = hash;
    return {
      rows,
      after,
      linkedHead: linkHere ? { sequence, hash } : null,
      recordedAtMs,
      events,
      outcomeRows,
      completed,
      touched,
      snapshotBody: null,
      settled: Promise.resolve(),
      durable: null,
      failure: null,
    };
  }

  /** Stops for good: nothing queued is written, and callers are told `reason`. */
  halt(reason: string): void {
    this.stopped ??= new Error(reason);
    const stoppedError = new SequencerStoppedError(reason);
    for (const pending of this.queue) pending.reject(stoppedError);
    this.queue.length = 0;
    this.queuedCommands = 0;
  }

  /** An append failed: every caller with a command in flight or queued is told, and nothing more is written. */
  private stop(error: Error): void {
    this.stopped = new Error(
      `the log could not be written (${error.message}); restart to recover from the log`,
    );
    const stoppedError = new SequencerStoppedError(this.stopped.message);
    const told = new Set([...this.inFlight.flatMap((batch) => batch.touched), ...this.queue]);
    for (const pending of told) pending.reject(stoppedError);
    this.inFlight.length = 0;
    this.queue.length = 0;
    this.queuedCommands = 0;
    this.options.onStopped?.(this.stopped.message);
  }

  private async saveSnapshot(snapshot: SnapshotRow): Promise<void> {
    try {
      await this.store.saveSnapshot(snapshot);
    } catch (error) {
      // Not fatal: the log is the truth; start-up just replays from an older snapshot.
      process.emitWarning(`snapshot at event ${snapshot.sequence} not saved: ${(error as Error).message}`);
    }
  }
}

function submissionId(submission: Submission): string | null {
  if (submission.type === 'preRejected') return submission.id;
  return 'id' in submission ? submission.id : null;
}
