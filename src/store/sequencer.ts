// The single writer. Commands queue here; one writer decides them in order against the in-memory
// state and appends their events in batches (group commit). A command's outcome is released only
// after its batch is durable. Past a bounded queue it answers "busy" instead of growing.
//
// If an append fails, the in-memory state is ahead of the durable log and can no longer be
// trusted: the sequencer stops for good and every caller is told to restart (the state is then
// rebuilt from the log, which holds exactly the acknowledged batches).
import { execute, type Outcome } from '../domain/engine.ts';
import type { Command, Event, Rejection } from '../domain/messages.ts';
import { snapshotOf } from '../domain/snapshot.ts';
import type { State } from '../domain/state.ts';
import { commandIdOf, encodeEvent } from './codec.ts';
import { encodeSnapshot } from './snapshot-codec.ts';
import { type EventStore, type LogHead, type LogRow, type OutcomeRow, rowHash } from './store.ts';

/** A command refused before it reached the rules (malformed input): recorded like any rejection. */
export interface PreRejected {
  readonly type: 'preRejected';
  readonly id: string | null;
  readonly rejection: Rejection;
}

export type Submission = Command | PreRejected;

export interface SequencerOptions {
  /** Commands decided per batch (one durable transaction). */
  readonly batchCommandsMax: number;
  /** How long a batch may wait for more commands; 0 closes it on the next turn of the event loop. */
  readonly batchDelayMs: number;
  /** Commands waiting at most; more are answered with BusyError. */
  readonly queueCommandsMax: number;
  /** A snapshot after every this many events; 0 for none. */
  readonly snapshotEveryEvents: number;
  /** The clock for `recordedAtMs` (tests move it). */
  readonly now: () => number;
  /** Told of each event once its batch is durable, in log order (read models beside the state). */
  readonly onEvent?: (event: Event, sequence: number, recordedAtMs: number, state: State) => void;
}

export const defaultSequencerOptions: SequencerOptions = {
  batchCommandsMax: 4_096,
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

export class Sequencer {
  private readonly queue: Pending[] = [];
  private queuedCommands = 0;
  private running = false;
  private stopped: Error | null = null;
  private eventsSinceSnapshot = 0;
  private idleWaiters: (() => void)[] = [];
  private currentHead: LogHead;

  constructor(
    readonly state: State,
    private readonly store: EventStore,
    head: LogHead,
    private outcomePosition: number,
    private readonly options: SequencerOptions = defaultSequencerOptions,
  ) {
    this.currentHead = head;
  }

  /** The last durable event. */
  get head(): LogHead {
    return this.currentHead;
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

  private async run(): Promise<void> {
    while (this.queue.length > 0 && this.stopped === null) {
      const batch = this.decideBatch();
      try {
        await this.store.append(batch.rows, batch.outcomeRows);
      } catch (error) {
        this.stop(error as Error, batch.touched);
        break;
      }
      if (batch.rows.length > 0) {
        const last = batch.rows[batch.rows.length - 1] as LogRow;
        this.currentHead = { sequence: last.sequence, hash: last.hash };
      }
      const onEvent = this.options.onEvent;
      if (onEvent !== undefined) {
        for (const [index, row] of batch.rows.entries())
          onEvent(batch.events[index] as Event, row.sequence, row.recordedAtMs, this.state);
      }
      for (const pending of batch.completed) pending.resolve(pending.outcomes);
      await this.snapshotIfDue(batch.rows.length);
    }
    this.running = false;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /** Decides up to batchCommandsMax queued commands and builds their rows, chained by hash. */
  private decideBatch(): {
    rows: LogRow[];
    events: Event[];
    outcomeRows: OutcomeRow[];
    completed: Pending[];
    touched: Pending[];
  } {
    const rows: LogRow[] = [];
    const events: Event[] = [];
    const outcomeRows: OutcomeRow[] = [];
    const completed: Pending[] = [];
    const touched: Pending[] = [];
    const recordedAtMs = this.options.now();
    let { sequence, hash } = this.currentHead;
    let decided = 0;
    while (decided < this.options.batchCommandsMax && this.queue.length > 0) {
      const pending = this.queue[0] as Pending;
      if (touched[touched.length - 1] !== pending) touched.push(pending);
      while (
        decided < this.options.batchCommandsMax &&
        pending.outcomes.length < pending.submissions.length
      ) {
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
            const rowHashValue = rowHash(hash, sequence, recordedAtMs, body);
            rows.push({
              sequence,
              type: event.type,
              commandId: commandIdOf(event),
              body,
              recordedAtMs,
              previousHash: hash,
              hash: rowHashValue,
            });
            hash = rowHashValue;
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
    return { rows, events, outcomeRows, completed, touched };
  }

  /** Stops for good: nothing queued is written, and callers are told `reason`. */
  halt(reason: string): void {
    this.stopped ??= new Error(reason);
    const stoppedError = new SequencerStoppedError(reason);
    for (const pending of this.queue) pending.reject(stoppedError);
    this.queue.length = 0;
    this.queuedCommands = 0;
  }

  private stop(error: Error, inFlight: readonly Pending[]): void {
    this.stopped = new Error(
      `the log could not be written (${error.message}); restart to recover from the log`,
    );
    const stoppedError = new SequencerStoppedError(this.stopped.message);
    for (const pending of new Set([...inFlight, ...this.queue])) pending.reject(stoppedError);
    this.queue.length = 0;
    this.queuedCommands = 0;
  }

  private async snapshotIfDue(events: number): Promise<void> {
    this.eventsSinceSnapshot += events;
    const every = this.options.snapshotEveryEvents;
    if (every === 0 || this.eventsSinceSnapshot < every) return;
    this.eventsSinceSnapshot = 0;
    try {
      await this.store.saveSnapshot({
        sequence: this.currentHead.sequence,
        hash: this.currentHead.hash,
        body: encodeSnapshot(snapshotOf(this.state)),
        createdAtMs: this.options.now(),
      });
    } catch (error) {
      // Not fatal: the log is the truth; start-up just replays from an older snapshot.
      process.emitWarning(
        `snapshot at event ${this.currentHead.sequence} not saved: ${(error as Error).message}`,
      );
    }
  }
}

function submissionId(submission: Submission): string | null {
  if (submission.type === 'preRejected') return submission.id;
  return 'id' in submission ? submission.id : null;
}
