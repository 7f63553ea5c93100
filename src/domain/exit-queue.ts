// Open cycles ordered by trigger price, so that finding the next forced exit costs O(log n), not a scan.
//
// A cycle with consumption C, realised value R and holdings H > 0 exits once the price reaches
// (cap × C − R) / H. In integers: numerator N = cap[ppm] × C − R × 10^6, and the cycle is due when
// N × S ≤ P × H × 10^6. Cycles are ordered by N / H (ties: the cycle opened first). To keep the
// heap's comparisons cheap, each member's row carries `key = floor(N × 2^32 / H)` clamped to 64
// bits; floor and clamping are monotone, so unequal keys order correctly and only equal keys need
// the exact cross-multiplication. A cycle with H = 0 is queued only when already due (R ≥ cap × C),
// with the key −∞ (the lowest 64-bit value); otherwise no price can trigger it and it stays out.
import { type MemberIndex, type MemberTable, Slot } from './members.ts';
import { assert, divFloor, PPM_ONE, type Ppm } from './units.ts';

const KEY_SHIFT = 32n;
export const MINUS_INFINITY_KEY = -(1n << 63n);
const KEY_MIN = MINUS_INFINITY_KEY + 1n;
const KEY_MAX = (1n << 63n) - 1n;

export function triggerKeyOf(numerator: bigint, holdings: bigint): bigint {
  if (holdings === 0n) return MINUS_INFINITY_KEY;
  const key = divFloor(numerator << KEY_SHIFT, holdings);
  return key < KEY_MIN ? KEY_MIN : key > KEY_MAX ? KEY_MAX : key;
}

/** Heap capacity to start with; `reserve` grows it to the member table's. */
const HEAP_INITIAL_CAPACITY = 1024;
/** One 64-bit word seen as two 32-bit halves: a key splits without bigint shifts and conversions. */
const keyWord = new BigInt64Array(1);
const keyHalves = new Int32Array(keyWord.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HIGH_HALF = littleEndian ? 1 : 0;
const LOW_HALF = 1 - HIGH_HALF;
const ENTRY_WORDS = 4;
/** The high word of MINUS_INFINITY_KEY (its low word is 0). */
const MINUS_INFINITY_HIGH = -(2 ** 31);

export class ExitQueue {
  // The heap keeps each entry's key beside it, split into two 32-bit words, so sifting compares
  // plain numbers in arrays that move with the heap: no bigint is read (and allocated) per level,
  // and no member row is touched unless two keys are equal.
  // One entry is four int32s side by side (member, key's high word, key's low word, unused), so a
  // heap position and its key share a cache line, and two siblings usually do too.
  private entries = new Int32Array(HEAP_INITIAL_CAPACITY * ENTRY_WORDS);
  private length = 0;
  // The top's N and H × 10^6, kept from the first `topDue` after the top last changed: the due
  // test runs after every command, and the top changes far less often. A write at position 0 (a
  // new top, or the top re-keyed), a removal or a cap change drops them. This holds because every
  // change to a queued member's points, C or R is followed by its refresh or removal.
  private topKept = false;
  private topNumerator = 0n;
  private topScaledPoints = 0n;
  private topCap = 0n;

  constructor(
    private readonly table: MemberTable,
    private readonly capMultiple: () => Ppm,
  ) {}

  /** N = cap × C − R × 10^6 of a member's open cycle. */
  numerator(member: MemberIndex): bigint {
    const table = this.table;
    return (
      this.capMultiple() * table.get(member, Slot.CycleConsumption) -
      table.get(member, Slot.CycleRealised) * PPM_ONE
    );
  }

  get size(): number {
    return this.length;
  }

  /** The open cycle with the lowest trigger price, or −1. */
  peek(): MemberIndex {
    return this.length === 0 ? -1 : this.memberAt(0);
  }

  /**
   * Has the price pool / supply reached the top cycle's trigger price? `R + H × P / S ≥ cap × C`,
   * cross-multiplied: `N × S ≤ P × H × 10^6`. The queue must not be empty.
   */
  topDue(pool: bigint, supply: bigint): boolean {
    assert(this.length > 0, 'the due test of an empty exit queue');
    const cap = this.capMultiple();
    if (!this.topKept || cap !== this.topCap) {
      this.topCap = cap;
      const top = this.memberAt(0);
      this.topNumerator = this.numerator(top);
      this.topScaledPoints = this.table.points(top) * PPM_ONE;
      this.topKept = true;
    }
    return this.topNumerator * supply <= pool * this.topScaledPoints;
  }

  /** Re-keys `member` after its cycle, holdings or the cap changed: queued, moved or removed. */
  refresh(member: MemberIndex): void {
    const table = this.table;
    const numerator = this.numerator(member);
    const points = table.points(member);
    if (table.cycleOpen[member] === 0 || (points === 0n && numerator > 0n)) {
      this.remove(member);
      return;
    }
    keyWord[0] = triggerKeyOf(numerator, points);
    const high = keyHalves[HIGH_HALF] as number;
    const low = (keyHalves[LOW_HALF] as number) >>> 0;
    const index = table.queuePosition(member);
    if (index === -1) {
      // A new entry goes in at the end, where it has no children: it can only move up.
      if (this.length * ENTRY_WORDS === this.entries.length) {
        this.reserve(); // after a snapshot's load, whose members were not registered one by one
        assert(this.length * ENTRY_WORDS < this.entries.length, 'at most one exit-queue entry per member');
      }
      this.length += 1;
      this.siftUp(this.length - 1, member, high, low);
      return;
    }
    // A key that only grew can only move down, one that only shrank only up: the other side's
    // entries (a random place in a big heap, so a cache miss) need not be read.
    const oldHigh = this.highAt(index);
    const oldLow = this.lowAt(index);
    if (high > oldHigh || (high === oldHigh && low > oldLow)) {
      this.siftDown(index, member, high, low);
    } else if (high < oldHigh || (high === oldHigh && low < oldLow)) {
      this.siftUp(index, member, high, low);
    } else {
      // The same key: the exact trigger price may still have moved among the equal keys.
      this.siftUp(index, member, high, low);
      this.siftDown(table.queuePosition(member), member, high, low);
    }
  }

  /**
   * Reads the heap entry at `position` and its parent's and first child's, where a re-key starts
   * (prefetch.ts); returns a number made of what it read. −1 (not queued) reads nothing.
   */
  touch(position: number): number {
    if (position < 0) return 0;
    const entries = this.entries;
    const parent = ((position - 1) >> 1) * ENTRY_WORDS;
    const child = (2 * position + 1) * ENTRY_WORDS;
    return (
      (entries[position * ENTRY_WORDS] as number) ^
      (position === 0 ? 0 : (entries[parent] as number)) ^
      (child < entries.length ? (entries[child] as number) : 0)
    );
  }

  remove(member: MemberIndex): void {
    const table = this.table;
    const index = table.queuePosition(member);
    if (index === -1) return;
    assert(this.memberAt(index) === member, 'exit queue index out of step');
    this.topKept = false;
    this.length -= 1;
    table.setQueuePosition(member, -1);
    const lastIndex = this.length;
    if (lastIndex === index) return;
    const last = this.memberAt(lastIndex);
    const high = this.highAt(lastIndex);
    const low = this.lowAt(lastIndex);
    this.siftUp(index, last, high, low);
    this.siftDown(table.queuePosition(last), last, high, low);
  }

  /** Does `left` (key leftHigh:leftLow) exit before `right` (key rightHigh:rightLow)? */
  private before(
    left: MemberIndex,
    leftHigh: number,
    leftLow: number,
    right: MemberIndex,
    rightHigh: number,
    rightLow: number,
  ): boolean {
    if (leftHigh !== rightHigh) return leftHigh < rightHigh;
    if (leftLow !== rightLow) return leftLow < rightLow;
    return this.tieBefore(left, right, leftHigh === MINUS_INFINITY_HIGH && leftLow === 0);
  }

  /** Does `moving` (key high:low) exit before the entry at heap position `at`? */
  private beforeAt(moving: MemberIndex, high: number, low: number, at: number): boolean {
    return this.before(moving, high, low, this.memberAt(at), this.highAt(at), this.lowAt(at));
  }

  /** Equal keys: the exact trigger prices decide, then the cycle opened first. */
  private tieBefore(left: MemberIndex, right: MemberIndex, minusInfinity: boolean): boolean {
    const table = this.table;
    if (!minusInfinity) {
      const leftScaled = this.numerator(left) * table.get(right, Slot.Points);
      const rightScaled = this.numerator(right) * table.get(left, Slot.Points);
      if (leftScaled !== rightScaled) return leftScaled < rightScaled;
    }
    return (table.cycleOpenedSequence[left] as number) < (table.cycleOpenedSequence[right] as number);
  }

  private move(from: number, to: number): void {
    const entries = this.entries;
    const source = from * ENTRY_WORDS;
    const target = to * ENTRY_WORDS;
    const member = entries[source] as MemberIndex;
    entries[target] = member;
    entries[target + 1] = entries[source + 1] as number;
    entries[target + 2] = entries[source + 2] as number;
    this.table.setQueuePosition(member, to);
    if (to === 0) this.topKept = false;
  }

  private place(index: number, member: MemberIndex, high: number, low: number): void {
    const at = index * ENTRY_WORDS;
    this.entries[at] = member;
    this.entries[at + 1] = high;
    this.entries[at + 2] = low; // stored as int32; lowAt reads it back unsigned
    this.table.setQueuePosition(member, index);
    if (index === 0) this.topKept = false;
  }

  private siftUp(start: number, moving: MemberIndex, high: number, low: number): void {
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      if (!this.beforeAt(moving, high, low, parentIndex)) break;
      this.move(parentIndex, index);
      index = parentIndex;
    }
    this.place(index, moving, high, low);
  }

  private siftDown(start: number, moving: MemberIndex, high: number, low: number): void {
    const length = this.length;
    let index = start;
    // Bounded by the heap's depth: each pass moves one level down.
    while (2 * index + 1 < length) {
      const leftIndex = 2 * index + 1;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      if (
        rightIndex < length &&
        this.beforeAt(this.memberAt(rightIndex), this.highAt(rightIndex), this.lowAt(rightIndex), leftIndex)
      ) {
        childIndex = rightIndex;
      }
      const child = this.memberAt(childIndex);
      const childHigh = this.highAt(childIndex);
      const childLow = this.lowAt(childIndex);
      if (!this.before(child, childHigh, childLow, moving, high, low)) break;
      this.move(childIndex, index);
      index = childIndex;
    }
    this.place(index, moving, high, low);
  }

  private memberAt(index: number): MemberIndex {
    return this.entries[index * ENTRY_WORDS] as MemberIndex;
  }

  private highAt(index: number): number {
    return this.entries[index * ENTRY_WORDS + 1] as number;
  }

  private lowAt(index: number): number {
    return (this.entries[index * ENTRY_WORDS + 2] as number) >>> 0;
  }

  /**
   * Makes room for one entry per member of the table (no heap holds more). Called as members are
   * registered (evolve.ts), so that with a million members the heap's buffer is allocated with the
   * member table's, not step by step as cycles open: each step would allocate a buffer outside the
   * JS heap and leave the last one for the collector, and V8 starts a major collection once enough
   * outside memory is allocated (the steps from 1,024 entries to a million added 32 MB).
   */
  reserve(): void {
    const words = this.table.capacity * ENTRY_WORDS;
    if (this.entries.length >= words) return;
    const entries = new Int32Array(Math.max(words, this.entries.length * 2));
    entries.set(this.entries);
    this.entries = entries;
  }
}
