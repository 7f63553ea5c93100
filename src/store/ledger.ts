// Opening a store: load the newest snapshot that belongs to this log, replay the events after it,
// and hand the state to a sequencer. Also `openStore` for the `--db` / DATABASE_URL strings.
import { resolve } from 'node:path';
import { parseConfig } from '../domain/config.ts';
import { evolve } from '../domain/evolve.ts';
import type { Event } from '../domain/messages.ts';
import { stateFromSnapshot } from '../domain/snapshot.ts';
import { createState, type State } from '../domain/state.ts';
import { decodeEvent } from './codec.ts';
import { defaultSequencerOptions, Sequencer, type SequencerOptions } from './sequencer.ts';
import { decodeSnapshot } from './snapshot-codec.ts';
import { SqliteStore } from './sqlite.ts';
import { type EventStore, GENESIS_HASH, type LogHead, readRowsMax } from './store.ts';

export const defaultDatabase = 'sqlite:./data/poolpoint.db';

export class LogCorruptError extends Error {
  constructor(
    readonly sequence: number,
    message: string,
  ) {
    super(`event ${sequence}: ${message}`);
    this.name = 'LogCorruptError';
  }
}

/** `sqlite:PATH` or `postgres://…` (also `postgresql://…`). */
export async function openStore(database: string): Promise<EventStore> {
  if (database.startsWith('sqlite:')) {
    const path = database.slice('sqlite:'.length);
    if (path === '') throw new Error('sqlite: needs a file path, e.g. sqlite:./data/poolpoint.db');
    return new SqliteStore(path === ':memory:' ? path : resolve(path));
  }
  if (database.startsWith('postgres://') || database.startsWith('postgresql://')) {
    const { PostgresStore } = await import('./postgres.ts');
    return PostgresStore.open(database);
  }
  throw new Error(`unknown database "${database}": use sqlite:PATH or postgres://…`);
}

export type LoadProgress = (done: number, total: number) => void;

export interface LoadedState {
  readonly state: State;
  readonly head: LogHead;
  /** The snapshot the state started from (0: the genesis). */
  readonly snapshotSequence: number;
}

/** The newest snapshot whose hash matches the log at its sequence, or the genesis. */
async function startingPoint(store: EventStore): Promise<{ state: State; head: LogHead }> {
  for (const sequence of await store.snapshotSequences()) {
    const [row] = await store.read(sequence, 1);
    const snapshot = await store.loadSnapshot(sequence);
    if (row === undefined || snapshot === null || row.hash !== snapshot.hash) continue;
    return { state: stateFromSnapshot(decodeSnapshot(snapshot.body)), head: { sequence, hash: row.hash } };
  }
  return { state: createState(parseConfig({})), head: { sequence: 0, hash: GENESIS_HASH } };
}

/** Rebuilds the state: newest valid snapshot, then every later event (checking the chain links). */
/** Called for each event applied, with its position and time (for read models beside the state). */
export type EventListener = (event: Event, sequence: number, recordedAtMs: number, state: State) => void;

export interface CatchUpOptions {
  readonly onProgress?: LoadProgress;
  readonly onEvent?: EventListener;
  /** Pages of readRowsMax rows at most (a standby's follow tick), else all. */
  readonly pagesMax?: number;
}

export async function loadState(store: EventStore, options: CatchUpOptions = {}): Promise<LoadedState> {
  const start = await startingPoint(store);
  const head = await catchUp(store, start.state, start.head, options);
  return { state: start.state, head, snapshotSequence: start.head.sequence };
}

/** Applies every event after `head` to `state` (checking position and chain); returns the new head. */
export async function catchUp(
  store: EventStore,
  state: State,
  from: LogHead,
  { onProgress, onEvent, pagesMax = Number.POSITIVE_INFINITY }: CatchUpOptions = {},
): Promise<LogHead> {
  let head = from;
  const last = onProgress === undefined ? null : await store.head();
  for (let page = 0; page < pagesMax; page += 1) {
    const rows = await store.read(head.sequence + 1, readRowsMax);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.sequence !== head.sequence + 1) throw new LogCorruptError(row.sequence, 'a gap in the log');
      if (row.previousHash !== head.hash) throw new LogCorruptError(row.sequence, 'the hash chain is broken');
      const event = decodeEvent(row.body);
      evolve(state, event);
      onEvent?.(event, row.sequence, row.recordedAtMs, state);
      head = { sequence: row.sequence, hash: row.hash };
    }
    onProgress?.(head.sequence, last?.sequence ?? head.sequence);
  }
  return head;
}

export interface Ledger {
  readonly store: EventStore;
  readonly state: State;
  readonly sequencer: Sequencer;
  close(): Promise<void>;
}

/** Loads the state and starts the single writer on it. */
export async function openLedger(
  store: EventStore,
  options: Partial<SequencerOptions> = {},
  onProgress?: LoadProgress,
): Promise<Ledger> {
  const { state, head } = await loadState(store, { onProgress });
  const sequencer = new Sequencer(state, store, head, await store.outcomeCount(), {
    ...defaultSequencerOptions,
    ...options,
  });
  return {
    store,
    state,
    sequencer,
    close: async () => {
      await sequencer.close();
      await store.close();
    },
  };
}
