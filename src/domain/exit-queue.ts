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

export class ExitQueue {
  private readonly heap: MemberIndex[] = [];

  constructor(
    private readonly members: MemberTable,
    private readonly capMultiple: () => Ppm,
  ) {}

  /** N = cap × C − R × 10^6 of a member's open cycle. */
  numerator(member: MemberIndex): bigint {
    const members = this.members;
    return (
      this.capMultiple() * members.get(member, Slot.CycleConsumption) -
      members.get(member, Slot.CycleRealised) * PPM_ONE
    );
  }

  get size(): number {
    return this.heap.length;
  }

  /** The open cycle with the lowest trigger price, or −1. */
  peek(): MemberIndex {
    return this.heap.length === 0 ? -1 : (this.heap[0] as MemberIndex);
  }

  /** Re-keys `member` after its cycle, holdings or the cap changed: queued, moved or removed. */
  refresh(member: MemberIndex): void {
    const members = this.members;
    const numerator = this.numerator(member);
    const points = members.points(member);
    if (members.cycleOpen[member] === 0 || (points === 0n && numerator > 0n)) {
      this.remove(member);
      return;
    }
    members.set(member, Slot.TriggerKey, triggerKeyOf(numerator, points));
    this.upsert(member);
  }

  /** Inserts or re-positions `member` after its trigger key changed. */
  private upsert(member: MemberIndex): void {
    const index = this.members.queueIndex[member] as number;
    if (index === -1) {
      this.heap.push(member);
      this.siftUp(this.heap.length - 1, member);
      return;
    }
    this.siftUp(index, member);
    this.siftDown(this.members.queueIndex[member] as number, member);
  }

  remove(member: MemberIndex): void {
    const index = this.members.queueIndex[member] as number;
    if (index === -1) return;
    assert(this.heap[index] === member, 'exit queue index out of step');
    const last = this.heap.pop() as MemberIndex;
    this.members.queueIndex[member] = -1;
    if (last === member) return;
    this.siftUp(index, last);
    this.siftDown(this.members.queueIndex[last] as number, last);
  }

  /** Does `left` exit before `right`? */
  private before(left: MemberIndex, right: MemberIndex): boolean {
    const members = this.members;
    const leftKey = members.get(left, Slot.TriggerKey);
    const rightKey = members.get(right, Slot.TriggerKey);
    if (leftKey !== rightKey) return leftKey < rightKey;
    if (leftKey !== MINUS_INFINITY_KEY) {
      const leftScaled = this.numerator(left) * members.get(right, Slot.Points);
      const rightScaled = this.numerator(right) * members.get(left, Slot.Points);
      if (leftScaled !== rightScaled) return leftScaled < rightScaled;
    }
    return (members.cycleOpenedSequence[left] as number) < (members.cycleOpenedSequence[right] as number);
  }

  private place(index: number, member: MemberIndex): void {
    this.heap[index] = member;
    this.members.queueIndex[member] = index;
  }

  private siftUp(start: number, moving: MemberIndex): void {
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex] as MemberIndex;
      if (!this.before(moving, parent)) break;
      this.place(index, parent);
      index = parentIndex;
    }
    this.place(index, moving);
  }

  private siftDown(start: number, moving: MemberIndex): void {
    const heap = this.heap;
    const length = heap.length;
    let index = start;
    // Bounded by the heap's depth: each pass moves one level down.
    while (2 * index + 1 < length) {
      const leftIndex = 2 * index + 1;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      if (
        rightIndex < length &&
        this.before(heap[rightIndex] as MemberIndex, heap[leftIndex] as MemberIndex)
      ) {
        childIndex = rightIndex;
      }
      const child = heap[childIndex] as MemberIndex;
      if (!this.before(child, moving)) break;
      this.place(index, child);
      index = childIndex;
    }
    this.place(index, moving);
  }
}
