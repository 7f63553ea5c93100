// Read models (projections) beside the state, and how they come to cover the whole log.
//
// A process that starts from a snapshot has the state at once, but its read models hear only of the
// events after the snapshot: the price chart and each member's history would start there. So, after
// a start from a snapshot, a fresh set of read models is fed the whole log from the first event in
// the background, against a scratch state evolved alongside (a price sample needs the state as it
// was after each event, not today's), a chunk at a time so that requests are served meanwhile. When
// it has caught up with the events the live set has seen, it replaces the live set in the same turn
// of the event loop, so no event is missed or fed twice. The scratch state is dropped after.
import { parseConfig } from '../domain/config.ts';
import { evolve } from '../domain/evolve.ts';
import type { Event } from '../domain/messages.ts';
import { createState, type State } from '../domain/state.ts';
import { decodeEvent } from '../store/codec.ts';
import { LogCorruptError } from '../store/ledger.ts';
import { type EventStore, GENESIS_HASH, type LogHead } from '../store/store.ts';

/**
 * A read model fed every event in log order. Fed live, `state` is the state after the durable
 * batch that holds the event (it may hold later events too); rebuilt, it is the state just after
 * the event. So a projection takes its figures from the event itself, and reads from the state only
 * what no later event can change (a command's content, a merchant's region), or what it samples
 * again at every event that changes it (Activity samples the price at each one).
 */
export interface Projection {
  record(event: Event, sequence: number, atMs: number, state: State): void;
}

export type ProjectionSet = { readonly [name: string]: Projection };

/** Events fed to the scratch set per turn of the event loop: a turn stays within a few milliseconds. */
export const rebuildChunkEventsMax = 2_048;

export interface RebuildProgress {
  /** True when the read models cover the whole log (no rebuild needed, or it has finished). */
  readonly complete: boolean;
  /** The last event the rebuild has fed (while it runs), or the live head. */
  readonly rebuiltThrough: number;
  /** The last event the live read models have seen. */
  readonly liveThrough: number;
}

export class ReadModels<Set extends ProjectionSet> {
  private live: Set;
  private fed: Projection[];
  /** The last sequence the live set stands for: fed to it, or covered by the snapshot it started from. */
  private liveSequence = 0;
  private rebuiltSequence = 0;
  private rebuilding: Promise<void> | null = null;
  private stopped = false;
  private completeNow = true;

  constructor(private readonly make: () => Set) {
    this.live = make();
    this.fed = Object.values(this.live);
  }

  /** The read models in use (replaced once when a rebuild finishes: read it per request). */
  get current(): Set {
    return this.live;
  }

  get progress(): RebuildProgress {
    return {
      complete: this.completeNow,
      rebuiltThrough: this.completeNow ? this.liveSequence : this.rebuiltSequence,
      liveThrough: this.liveSequence,
    };
  }

  /** The node's event listener: feeds every live projection. */
  readonly record = (event: Event, sequence: number, atMs: number, state: State): void => {
    for (const projection of this.fed) projection.record(event, sequence, atMs, state);
    this.liveSequence = sequence;
  };

  /**
   * The state was loaded from a snapshot at `snapshotSequence`: the live set missed events up to
   * it. Starts feeding a fresh set the whole log in the background; resolves when it is in use.
   */
  rebuildFrom(store: EventStore, snapshotSequence: number): Promise<void> {
    if (snapshotSequence <= 0 || this.rebuilding !== null) return this.rebuilding ?? Promise.resolve();
    this.liveSequence = Math.max(this.liveSequence, snapshotSequence);
    this.completeNow = false;
    this.rebuilding = this.rebuild(store).catch((error: Error) => {
      if (!this.stopped) process.emitWarning(`read models not rebuilt: ${error.message}`);
    });
    return this.rebuilding;
  }

  /** Resolves when the rebuild (if any) has finished or stopped. */
  settled(): Promise<void> {
    return this.rebuilding ?? Promise.resolve();
  }

  /** Stops a rebuild in progress (before the store closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  private async rebuild(store: EventStore): Promise<void> {
    const scratch = this.make();
    const projections = Object.values(scratch);
    const state = createState(parseConfig({}));
    let head: LogHead = { sequence: 0, hash: GENESIS_HASH };
    // Ends when the scratch set has caught up with the live one; each turn reads one bounded chunk.
    while (!this.stopped) {
      if (head.sequence >= this.liveSequence) {
        this.live = scratch;
        this.fed = projections;
        this.completeNow = true;
        return;
      }
      // Never past what the live set has seen: later events reach the new set live, once it is in use.
      const rows = await store.read(
        head.sequence + 1,
        Math.min(rebuildChunkEventsMax, this.liveSequence - head.sequence),
      );
      if (rows.length === 0) throw new LogCorruptError(head.sequence + 1, 'missing from the log');
      for (const row of rows) {
        if (row.sequence !== head.sequence + 1) throw new LogCorruptError(row.sequence, 'a gap in the log');
        if (row.previousHash !== head.hash)
          throw new LogCorruptError(row.sequence, 'the hash chain is broken');
        const event = decodeEvent(row.body);
        evolve(state, event);
        for (const projection of projections) projection.record(event, row.sequence, row.recordedAtMs, state);
        head = { sequence: row.sequence, hash: row.hash };
      }
      this.rebuiltSequence = head.sequence;
      // Let requests and the writer through between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
