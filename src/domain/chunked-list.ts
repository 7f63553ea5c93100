// An append-only list kept in chunks of CHUNK entries, for the lists that grow by one entry per
// command (the processed commands and their ids). A plain array grows by copying itself into one
// half as large again: over a million commands each such list leaves about three times its final
// size behind, and every copy lives long enough to be promoted before it dies. That garbage set
// off a major collection within a million orders (about a sixteenth of bench:engine's time at a
// million members). Here the first chunk grows as an array does (a small state stays small) and
// every later chunk is allocated at its full size, so growing copies nothing.

/** Entries per chunk: a power of two, so that an index splits with a shift and a mask. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

export class ChunkedList<T> implements Iterable<T> {
  private readonly chunks: T[][] = [[]];
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(value: T): void {
    const offset = this.length & CHUNK_MASK;
    if (offset === 0 && this.length > 0) {
      const chunk = new Array<T>(CHUNK);
      chunk[0] = value;
      this.chunks.push(chunk);
    } else {
      const chunk = this.chunks[this.length >>> CHUNK_BITS] as T[];
      if (this.length < CHUNK) chunk.push(value);
      else chunk[offset] = value;
    }
    this.length += 1;
  }

  /** The entry at `index`, or undefined, as an array gives, for anything but an integer in 0 ≤ index < size. */
  at(index: number): T | undefined {
    if (!(Number.isInteger(index) && index >= 0 && index < this.length)) return undefined;
    return (this.chunks[index >>> CHUNK_BITS] as T[])[index & CHUNK_MASK];
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let index = 0; index < this.length; index += 1) {
      yield (this.chunks[index >>> CHUNK_BITS] as T[])[index & CHUNK_MASK] as T;
    }
  }
}
