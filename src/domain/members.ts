// Members live in columns, not objects: with a million members, a million objects each holding
// ten bigint fields spends its time in the garbage collector and in cache misses (every bigint
// is a separate heap object). Here a member is an index; its amounts sit side by side in one
// BigInt64Array row of 8 slots (one 64-byte cache line). Writes go through `set`, which refuses a
// value outside the signed 64-bit range instead of letting the typed array wrap it silently. The
// member's links (its referrer, its place in the exit queue) share the row as two 32-bit words, so
// that settling an order finds them in the cache line it reads anyway.
//
// The table also keeps the referral trees as disjoint sets (union by rank, path halving), with the
// root member of each set's tree, so that "the root of m's tree" costs a couple of array reads
// instead of a walk of m's whole upline (one random row per level, ~14 levels at a million members).
// Referrers only change here, and only by joining trees: a new member joins its referrer's tree,
// and a binding hangs an unbound member (the root of its tree) under a member of another tree.
// The sets are derived data: a snapshot does not hold them, `load` rebuilds them.
import { PackedStringIndex } from './packed-string-index.ts';
import { assert, checkedInt64, type Micros } from './units.ts';

/** A member's index in the member table; −1 stands for "nobody". */
export type MemberIndex = number;
export const NOBODY: MemberIndex = -1;

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

export interface MemberColumns {
  readonly ids: readonly string[];
  readonly rows: BigInt64Array;
  readonly referrer: Int32Array;
  readonly exits: Int32Array;
  readonly cycleOpen: Uint8Array;
  readonly cycleOpenedSequence: Float64Array;
}

export class MemberTable {
  private readonly index = new PackedStringIndex();
  private rows = new BigInt64Array(INITIAL_CAPACITY * SLOTS);
  /** The same memory as `rows`, as 32-bit words (for the links). */
  private words = new Int32Array(this.rows.buffer);
  exits = new Int32Array(INITIAL_CAPACITY);
  cycleOpen = new Uint8Array(INITIAL_CAPACITY);
  /** The sequence number of the command that opened the cycle (ties between equal trigger prices). */
  cycleOpenedSequence = new Float64Array(INITIAL_CAPACITY);
  /** Referral-tree sets: each member's parent in its set, a representative being its own parent. */
  private setParent = new Int32Array(INITIAL_CAPACITY);
  /** A representative's rank: at most log2(size), so a set's depth is below 32. */
  private setRank = new Uint8Array(INITIAL_CAPACITY);
  /** A representative's tree root: the one member of its set with no referrer. */
  private setRoot = new Int32Array(INITIAL_CAPACITY);

  /** Member ids by index. */
  get ids(): readonly string[] {
    return this.index.keys;
  }

  get size(): number {
    return this.index.size;
  }

  /** Members the columns have room for before they grow. */
  get capacity(): number {
    return this.exits.length;
  }

  indexOf(id: string): MemberIndex {
    return this.index.get(id);
  }

  has(id: string): boolean {
    return this.index.get(id) !== NOBODY;
  }

  add(id: string, referrer: MemberIndex): MemberIndex {
    assert(referrer >= NOBODY && referrer < this.size, 'a referrer is an existing member');
    if (this.index.size === this.exits.length) this.grow();
    const index = this.index.add(id);
    this.words[index * WORDS + REFERRER_WORD] = referrer;
    this.words[index * WORDS + QUEUE_WORD] = -1;
    this.setRank[index] = 0;
    if (referrer === NOBODY) {
      this.setParent[index] = index;
      this.setRoot[index] = index;
    } else {
      // A leaf joining a tree: it hangs right under the set's representative, whose rank stays.
      this.setParent[index] = this.representative(referrer);
    }
    return index;
  }

  /** The member's referrer, or NOBODY. */
  referrerOf(member: MemberIndex): MemberIndex {
    return this.words[member * WORDS + REFERRER_WORD] as MemberIndex;
  }

  /** Binds an unbound member: its whole tree joins the referrer's tree. */
  setReferrer(member: MemberIndex, referrer: MemberIndex): void {
    assert(this.referrerOf(member) === NOBODY, 'only an unbound member is bound');
    assert(referrer >= 0 && referrer < this.size, 'a member is bound to an existing member');
    this.joinTrees(member, referrer);
    this.words[member * WORDS + REFERRER_WORD] = referrer;
  }

  /** The root of the member's referral tree: the member itself when it has no referrer. */
  rootOf(member: MemberIndex): MemberIndex {
    return this.setRoot[this.representative(member)] as MemberIndex;
  }

  // Reads for prefetch.ts: each returns a number made of what it read, so that the reads cannot be
  // dropped as unused; nothing the table holds is written (encodeId fills the caller's array and the
  // index's encoding scratch).

  /** Reads the member's row: its first and last words, both cache lines a row may span. */
  touch(member: MemberIndex): number {
    const at = member * WORDS;
    return (this.words[at] as number) ^ (this.words[at + WORDS - 1] as number);
  }

  /** Reads the member's link in its referral set, where a binding's look-ups start. */
  touchSet(member: MemberIndex): number {
    return this.setParent[member] as number;
  }

  /** Reads whether the member's cycle is open (a column of its own, read by every order). */
  touchCycle(member: MemberIndex): number {
    return this.cycleOpen[member] as number;
  }

  /** Reads the member's slot of `ids` (the reference, not the string). */
  touchId(member: MemberIndex): number {
    return this.index.keys[member] === undefined ? 0 : 1;
  }

  /** For a prefetch: encodes a member id for `likelyIndexOf` (PackedStringIndex.encodeInto). */
  static encodeId(id: string, out: Int32Array, offset: number): void {
    PackedStringIndex.encodeInto(id, out, offset);
  }

  /**
   * For a prefetch: the member whose id `encodeId` encoded at `encoded[offset]`, or NOBODY.
   * Unconfirmed for an id too long to sit in its record (packed-string-index.ts): another id with
   * the same 32-bit hash would be taken for it.
   */
  likelyIndexOf(encoded: Int32Array, offset: number): MemberIndex {
    return this.index.likelyGet(encoded, offset);
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
    assert(columns.referrer.length === size, 'member referrers match the ids');
    for (const id of columns.ids) this.add(id, NOBODY);
    this.rows.set(columns.rows);
    // After the rows: their links slot is zero in a snapshot.
    for (let member = 0; member < size; member += 1) {
      const referrer = columns.referrer[member] as MemberIndex;
      assert(referrer >= NOBODY && referrer < size, 'a snapshot referrer is a member');
      this.words[member * WORDS + REFERRER_WORD] = referrer;
      this.setQueuePosition(member, -1);
    }
    // In any order: a member whose link is not joined yet is the top of its set's tree, as a
    // binding's member is, so each link joins two trees like a binding does.
    for (let member = 0; member < size; member += 1) {
      const referrer = this.referrerOf(member);
      if (referrer !== NOBODY) this.joinTrees(member, referrer);
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
    this.setParent = grown(this.setParent, new Int32Array(capacity));
    this.setRank = grown(this.setRank, new Uint8Array(capacity));
    this.setRoot = grown(this.setRoot, new Int32Array(capacity));
  }

  /**
   * The representative of the member's set. Path halving rewrites links on the way, even from
   * `decide`: the sets stay the same, only later look-ups get shorter.
   */
  private representative(member: MemberIndex): MemberIndex {
    const parent = this.setParent;
    let node = member;
    let up = parent[node] as MemberIndex;
    // Bounded by the rank (below 32): the steps are counted so that a broken link crashes instead.
    for (let steps = 0; up !== node; steps += 1) {
      assert(steps < 64, 'a referral set deeper than its rank allows');
      const grandparent = parent[up] as MemberIndex;
      parent[node] = grandparent;
      node = grandparent;
      up = parent[node] as MemberIndex;
    }
    return node;
  }

  /** `top`, the root of its tree, now hangs under `referrer`: the union's root is referrer's root. */
  private joinTrees(top: MemberIndex, referrer: MemberIndex): void {
    const lower = this.representative(top);
    const upper = this.representative(referrer);
    assert(lower !== upper, 'a binding does not close a referral cycle');
    const root = this.setRoot[upper] as MemberIndex;
    const lowerRank = this.setRank[lower] as number;
    const upperRank = this.setRank[upper] as number;
    // Union by rank: the shallower set goes under the other's representative.
    const representative = lowerRank < upperRank ? upper : lower;
    this.setParent[representative === upper ? lower : upper] = representative;
    if (lowerRank === upperRank) this.setRank[representative] = lowerRank + 1;
    this.setRoot[representative] = root;
  }
}

function grown<T extends Int32Array | Uint8Array | Float64Array>(source: T, target: T): T {
  target.set(source);
  return target;
}
