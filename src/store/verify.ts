// `poolpoint verify`: recompute everything from the log and say exactly where it first disagrees.
// Checks, per event: position, hash chain, the row's own hash, that the rules decide the very same
// event from the state before it (commands and forced exits alike), and the invariants; snapshots
// are compared byte for byte with the recomputed state at their position.
import { cashHeld, cashInOf } from '../domain/cash.ts';
import { parseConfig } from '../domain/config.ts';
import { decide, decideForcedExit } from '../domain/decide.ts';
import { evolve } from '../domain/evolve.ts';
import type { Command, Event } from '../domain/messages.ts';
import { snapshotOf } from '../domain/snapshot.ts';
import { createState, type State } from '../domain/state.ts';
import { cents, formatCents, formatMicros, micros } from '../domain/units.ts';
import { CodecError, commandIdOf, decodeEvent, encodeEvent } from './codec.ts';
import type { LoadProgress } from './ledger.ts';
import { decodeSnapshot, snapshotBytes } from './snapshot-codec.ts';
import { type EventStore, GENESIS_HASH, type LogRow, readRowsMax, rowHash } from './store.ts';

export interface Disagreement {
  readonly sequence: number;
  readonly type: string;
  readonly commandId: string | null;
  readonly problem: string;
  readonly expected?: string;
  readonly found?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly snapshotsChecked: number;
  readonly firstDisagreement: Disagreement | null;
}

class Mismatch extends Error {
  constructor(
    readonly problem: string,
    readonly expected?: string,
    readonly found?: string,
  ) {
    super(problem);
  }
}

/** The command a stored event answers for (forced exits answer for none). */
function commandOf(event: Event): Command | null {
  switch (event.type) {
    case 'ConfigChanged':
      return event.actor === undefined
        ? { type: 'configure', config: event.config }
        : { type: 'configure', config: event.config, actor: event.actor };
    case 'MemberForcedOut':
      return null;
    default:
      return event.command;
  }
}

function checkDecision(state: State, event: Event, body: string): void {
  const command = commandOf(event);
  if (command === null) {
    const exit = decideForcedExit(state);
    if (exit === null)
      throw new Mismatch('a forced exit that the rules do not make due here', 'no exit', body);
    const expected = encodeEvent(exit);
    if (expected !== body) throw new Mismatch('the forced exit differs from the rules', expected, body);
    return;
  }
  const due = decideForcedExit(state);
  if (due !== null) throw new Mismatch('a forced exit is missing before this event', encodeEvent(due), body);
  const decision = decide(state, command);
  if (decision.kind !== 'event') {
    const why = decision.kind === 'rejected' ? decision.rejection.message : 'a duplicate';
    throw new Mismatch(`the rules would not accept this command: ${why}`, decision.kind, body);
  }
  const expected = encodeEvent(decision.event);
  if (expected !== body) throw new Mismatch('the event differs from what the rules decide', expected, body);
}

function checkRow(row: LogRow, previousHash: string, expectedSequence: number): Event {
  if (row.sequence !== expectedSequence) {
    throw new Mismatch('a gap or reordering in the log', String(expectedSequence), String(row.sequence));
  }
  if (row.previousHash !== previousHash)
    throw new Mismatch('the hash chain is broken', previousHash, row.previousHash);
  const hash = rowHash(row.previousHash, row.sequence, row.recordedAtMs, row.body);
  if (hash !== row.hash)
    throw new Mismatch('the row does not match its hash (changed after it was written)', hash, row.hash);
  let event: Event;
  try {
    event = decodeEvent(row.body);
  } catch (error) {
    if (error instanceof CodecError) throw new Mismatch(`unreadable event: ${error.message}`);
    throw error;
  }
  if (event.type !== row.type)
    throw new Mismatch('the type column differs from the event', event.type, row.type);
  if (commandIdOf(event) !== row.commandId) {
    throw new Mismatch(
      'the command id column differs from the event',
      String(commandIdOf(event)),
      String(row.commandId),
    );
  }
  return event;
}

/** Cash in (orders, injections) must equal cash held, wherever it sits (src/domain/cash.ts). */
function checkInvariants(state: State, cashIn: bigint): void {
  const members = state.members;
  let points = 0n;
  for (let member = 0; member < members.size; member += 1) points += members.points(member);
  const held = cashHeld(state);
  if (held !== cashIn) {
    throw new Mismatch('cash is not conserved', formatCents(cents(cashIn)), formatCents(held));
  }
  if (points !== state.supply) {
    throw new Mismatch(
      'supply differs from the members holdings',
      formatMicros(state.supply),
      formatMicros(micros(points)),
    );
  }
  if (state.pool < 0n) throw new Mismatch('the pool is negative');
}

export async function verifyLog(store: EventStore, onProgress?: LoadProgress): Promise<VerifyReport> {
  const state = createState(parseConfig({}));
  const snapshots = new Set(await store.snapshotSequences());
  const total = (await store.head()).sequence;
  let previousHash = GENESIS_HASH;
  let sequence = 0;
  let cashIn = 0n;
  let snapshotsChecked = 0;
  let current: LogRow | null = null;
  const report = (disagreement: Disagreement | null): VerifyReport => ({
    ok: disagreement === null,
    events: sequence,
    snapshotsChecked,
    firstDisagreement: disagreement,
  });
  try {
    // Bounded: every pass consumes at least one row of a finite log, or stops.
    for (;;) {
      const rows = await store.read(sequence + 1, readRowsMax);
      if (rows.length === 0) break;
      for (const row of rows) {
        current = row;
        const event = checkRow(row, previousHash, sequence + 1);
        checkDecision(state, event, row.body);
        cashIn += cashInOf(state, event);
        evolve(state, event);
        sequence = row.sequence;
        previousHash = row.hash;
        if (snapshots.has(sequence)) {
          await checkSnapshot(store, state, row, cashIn);
          snapshotsChecked += 1;
        }
      }
      onProgress?.(sequence, total);
    }
    current = null;
    const due = decideForcedExit(state);
    if (due !== null)
      throw new Mismatch('the log ends with a forced exit due but not recorded', encodeEvent(due));
    checkInvariants(state, cashIn);
    return report(null);
  } catch (error) {
    if (!(error instanceof Mismatch)) throw error;
    const row = current as LogRow | null;
    return report({
      sequence: row?.sequence ?? sequence,
      type: row?.type ?? '(end of log)',
      commandId: row?.commandId ?? null,
      problem: error.problem,
      ...(error.expected === undefined ? {} : { expected: error.expected }),
      ...(error.found === undefined ? {} : { found: error.found }),
    });
  }
}

async function checkSnapshot(store: EventStore, state: State, row: LogRow, cashIn: bigint): Promise<void> {
  const snapshot = await store.loadSnapshot(row.sequence);
  if (snapshot === null) return;
  if (snapshot.hash !== row.hash)
    throw new Mismatch('a snapshot names another history', row.hash, snapshot.hash);
  const stored = snapshotBytes(decodeSnapshot(snapshot.body));
  const recomputed = snapshotBytes(snapshotOf(state));
  if (!stored.equals(recomputed))
    throw new Mismatch('the snapshot differs from the state recomputed from the log');
  checkInvariants(state, cashIn);
}
