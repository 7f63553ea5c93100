// Open cycles ordered by trigger price, so that finding the next forced exit costs O(log n), not a scan.
//
// A cycle with consumption C, realised value R and holdings H > 0 exits once the price reaches
// (cap × C − R) / H. In integers: numerator N = cap[ppm] × C − R × 10^6, and the cycle is due when
// N × S ≤ P × H × 10^6. Cycles are ordered by N / H (ties: the cycle opened first). To keep the
// heap's comparisons allocation-free, each member carries `triggerKey = floor(N × 2^64 / H)`;
// floor is monotone, so unequal keys order correctly and only equal keys need the exact
// cross-multiplication. A cycle with H = 0 is queued only when already due (R ≥ cap × C), with
// the key −∞; otherwise no price can trigger it and it stays out of the queue.
import type { Member } from './state.ts';
import { assert, divFloor } from './units.ts';

const KEY_SHIFT = 64n;
export const MINUS_INFINITY_KEY = -(1n << 512n);

export function triggerKeyOf(numerator: bigint, holdings: bigint): bigint {
  return holdings === 0n ? MINUS_INFINITY_KEY : divFloor(numerator << KEY_SHIFT, holdings);
}

/** Does `left` exit before `right`? */
function before(left: Member, right: Member): boolean {
  if (left.triggerKey !== right.triggerKey) return left.triggerKey < right.triggerKey;
  if (left.triggerKey !== MINUS_INFINITY_KEY) {
    const leftScaled = left.triggerNumerator * right.points;
    const rightScaled = right.triggerNumerator * left.points;
    if (leftScaled !== rightScaled) return leftScaled < rightScaled;
  }
  return left.cycleOpenedSequence < right.cycleOpenedSequence;
}

export class ExitQueue {
  private readonly heap: Member[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Member | undefined {
    return this.heap[0];
  }

  /** Inserts or re-positions `member` after its trigger fields changed. */
  upsert(member: Member): void {
    if (member.queueIndex === -1) {
      member.queueIndex = this.heap.length;
      this.heap.push(member);
      this.siftUp(member.queueIndex);
      return;
    }
    this.siftUp(member.queueIndex);
    this.siftDown(member.queueIndex);
  }

  remove(member: Member): void {
    const index = member.queueIndex;
    if (index === -1) return;
    assert(this.heap[index] === member, 'exit queue index out of step');
    const last = this.heap.pop() as Member;
    member.queueIndex = -1;
    if (last === member) return;
    this.heap[index] = last;
    last.queueIndex = index;
    this.siftUp(index);
    this.siftDown(last.queueIndex);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    const moving = heap[start] as Member;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as Member;
      if (!before(moving, parent)) break;
      heap[index] = parent;
      parent.queueIndex = index;
      index = parentIndex;
    }
    heap[index] = moving;
    moving.queueIndex = index;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const length = heap.length;
    const moving = heap[start] as Member;
    let index = start;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= length) break;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      if (rightIndex < length && before(heap[rightIndex] as Member, heap[leftIndex] as Member)) {
        childIndex = rightIndex;
      }
      const child = heap[childIndex] as Member;
      if (!before(child, moving)) break;
      heap[index] = child;
      child.queueIndex = index;
      index = childIndex;
    }
    heap[index] = moving;
    moving.queueIndex = index;
  }
}
