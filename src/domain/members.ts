// Members live in columns, not objects: with a million members, a million objects each holding
// ten bigint fields spends its time in the garbage collector and in cache misses (every bigint
// is a separate heap object). Here a member is an index; its amounts sit side by side in one
// BigInt64Array row of 8 slots (one 64-byte cache line). Writes go through `set`, which refuses a
// value outside the signed 64-bit range instead of letting the typed array wrap it silently. The
// member's links (its referrer, its place in the exit queue) share the row as two 32-bit words, so
// that settling an order finds them in the cache line it reads anyway.
import { StringIndex } from './string-index.ts';
import { assert, type Micros } from './units.ts';

/** A member's index in the member table; −1 stands for "nobody". */
export type MemberIndex = number;
export const NOBODY: MemberIndex = -1;

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Slots of a member's row. */
export const Slot = {
  Points: 0,
  Wallet: 1,
  /** Lifetime rewards received (direct, indirect, recruiter, agent). */
  Rewards: 2,
  /** Lifetime consumption. */
  Consumption: 3,
  /** C: consumption of the open cycle. */
  CycleConsumption: 4,
  /** R: gross value realised by sales in the open cycle. */
  CycleRealised: 5,
  /** Not an amount: two 32-bit words, the referrer and the exit-queue position (referrerOf, queuePosition). */
  Links: 6,
  /** Cash of withdrawals under review: out of the wallet, not yet paid or returned. */
  Frozen: 7,
} as const;
export type Slot = (typeof Slot)[keyof typeof Slot];
const SLOTS = 8;
/** The 32-bit words of a row, and where its links sit among them. */
const WORDS = SLOTS * 2;
const REFERRER_WORD = Slot.Links * 2;
const QUEUE_WORD = Slot.Links * 2 + 1;
const INITIAL_CAPACITY = 1024;

export function checkedInt64(value: bigint, what: string): bigint {
  assert(value >= INT64_MIN && value <= INT64_MAX, `${what} outside the 64-bit range`);
  return value;
}

export interface MemberColumns {
  readonly ids: readonly string[];
  readonly rows: BigInt64Array;
  readonly referrer: Int32Array;
  readonly exits: Int32Array;
  readonly cycleOpen: Uint8Array;
  readonly cycleOpenedSequence: Float64Array;
}

export class MemberTable {
  private readonly index = new StringIndex();
  private rows = new BigInt64Array(INITIAL_CAPACITY * SLOTS);
  /** The same memory as `rows`, as 32-bit words (for the links). */
  private words = new Int32Array(this.rows.buffer);
  exits = new Int32Array(INITIAL_CAPACITY);
  cycleOpen = new Uint8Array(INITIAL_CAPACITY);
  /** The sequence number of the command that opened the cycle (ties between equal trigger prices). */
  cycleOpenedSequence = new Float64Array(INITIAL_CAPACITY);

  /** Member ids by index. */
  get ids(): readonly string[] {
    return this.index.keys;
  }

  get size(): number {
    return this.index.size;
  }

  indexOf(id: string): MemberIndex {
    return this.index.get(id);
  }

  has(id: string): boolean {
    return this.index.get(id) !== NOBODY;
  }

  add(id: string, referrer: MemberIndex): MemberIndex {
    if (this.index.size === this.exits.length) this.grow();
    const index = this.index.add(id);
    this.words[index * WORDS + REFERRER_WORD] = referrer;
    this.words[index * WORDS + QUEUE_WORD] = -1;
    return index;
  }

  /** The member's referrer, or NOBODY. */
  referrerOf(member: MemberIndex): MemberIndex {
    return this.words[member * WORDS + REFERRER_WORD] as MemberIndex;
  }

  setReferrer(member: MemberIndex, referrer: MemberIndex): void {
    this.words[member * WORDS + REFERRER_WORD] = referrer;
  }

  /** Position in the exit queue's heap, or −1. */
  queuePosition(member: MemberIndex): number {
    return this.words[member * WORDS + QUEUE_WORD] as number;
  }

  setQueuePosition(member: MemberIndex, position: number): void {
    this.words[member * WORDS + QUEUE_WORD] = position;
  }

  get(member: MemberIndex, slot: Slot): bigint {
    return this.rows[member * SLOTS + slot] as bigint;
  }

  set(member: MemberIndex, slot: Slot, value: bigint): void {
    this.rows[member * SLOTS + slot] = checkedInt64(value, 'a member amount');
  }

  add64(member: MemberIndex, slot: Slot, delta: bigint): void {
    const at = member * SLOTS + slot;
    this.rows[at] = checkedInt64((this.rows[at] as bigint) + delta, 'a member amount');
  }

  points(member: MemberIndex): Micros {
    return this.get(member, Slot.Points) as Micros;
  }

  id(member: MemberIndex): string {
    return this.index.keys[member] as string;
  }

  /** The table's columns trimmed to its size, copied (links as their own column; the row's slot zeroed). */
  columns(): MemberColumns {
    const size = this.size;
    const rows = this.rows.slice(0, size * SLOTS);
    const referrer = new Int32Array(size);
    for (let member = 0; member < size; member += 1) {
      rows[member * SLOTS + Slot.Links] = 0n;
      referrer[member] = this.referrerOf(member);
    }
    return {
      ids: [...this.ids],
      rows,
      referrer,
      exits: this.exits.slice(0, size),
      cycleOpen: this.cycleOpen.slice(0, size),
      cycleOpenedSequence: this.cycleOpenedSequence.slice(0, size),
    };
  }

  /** Fills an empty table from columns (the exit queue is rebuilt by the caller). */
  load(columns: MemberColumns): void {
    assert(this.size === 0, 'load into an empty member table');
    const size = columns.ids.length;
    assert(columns.rows.length === size * SLOTS, 'member rows match the ids');
    for (const id of columns.ids) this.add(id, NOBODY);
    this.rows.set(columns.rows);
    // After the rows: their links slot is zero in a snapshot.
    for (let member = 0; member < size; member += 1) {
      this.setReferrer(member, columns.referrer[member] as MemberIndex);
      this.setQueuePosition(member, -1);
    }
    this.exits.set(columns.exits);
    this.cycleOpen.set(columns.cycleOpen);
    this.cycleOpenedSequence.set(columns.cycleOpenedSequence);
  }

  private grow(): void {
    const capacity = this.exits.length * 2;
    const rows = new BigInt64Array(capacity * SLOTS);
    rows.set(this.rows);
    this.rows = rows;
    this.words = new Int32Array(rows.buffer);
    this.exits = grown(this.exits, new Int32Array(capacity));
    this.cycleOpen = grown(this.cycleOpen, new Uint8Array(capacity));
    this.cycleOpenedSequence = grown(this.cycleOpenedSequence, new Float64Array(capacity));
  }
}

function grown<T extends Int32Array | Uint8Array | Float64Array>(source: T, target: T): T {
  target.set(source);
  return target;
}
