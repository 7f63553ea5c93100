// A string → insertion-number index: open addressing over one Int32Array of [hash, number + 1]
// pairs. With a million keys a Map lookup costs several cache misses (bucket, entry chain, key
// string); here a miss for an absent key touches one pair, and a present key is confirmed by one
// string comparison. The hash is FNV-1a over UTF-16 code units; equal hashes are always confirmed
// by comparing the strings, so collisions cost time, never correctness. The processed-id index is one
// (nearly every lookup is of an absent key, then an addition); the member-id index, mostly lookups of
// present keys, is a PackedStringIndex (packed-string-index.ts), which confirms short keys in place.

import { ChunkedList } from './chunked-list.ts';

const EMPTY = 0;
const LOAD_FACTOR_MAX = 0.5;
const INITIAL_CAPACITY = 1024;

/** FNV-1a's 32-bit parameters, shared with packed-string-index.ts (the same hash, packed with the key). */
export const FNV_OFFSET_BASIS = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

export function hashString(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  }
  return hash | 0;
}

export class StringIndex {
  /** The keys in insertion order: key i has the number i (chunked: one is added per command). */
  readonly keys = new ChunkedList<string>();
  private slots = new Int32Array(INITIAL_CAPACITY * 2);
  private mask = INITIAL_CAPACITY - 1;
  /**
   * The key `get` last found absent, and its hash: a command's id is looked up (decide), then
   * added (evolve), and the addition need not hash it again (an equal string has the same hash;
   * the same string, as here, compares at once).
   */
  private lastAbsent: string | null = null;
  private lastAbsentHash = 0;

  get size(): number {
    return this.keys.size;
  }

  /** The number of `key`, or −1 when absent. */
  get(key: string): number {
    const hash = hashString(key);
    const slots = this.slots;
    // Bounded: the table is at most half full, so an empty slot ends every probe sequence.
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const stored = slots[2 * slot + 1] as number;
      if (stored === EMPTY) {
        this.lastAbsent = key;
        this.lastAbsentHash = hash;
        return -1;
      }
      if (slots[2 * slot] === hash && this.keys.at(stored - 1) === key) return stored - 1;
    }
  }

  /** Reads the first slot of `hash`'s probe sequence, for a prefetch; returns a word of it. */
  touch(hash: number): number {
    return this.slots[2 * (hash & this.mask)] as number;
  }

  /** Adds a key that is not present and returns its number. */
  add(key: string): number {
    const number = this.keys.size;
    if ((number + 1) / (this.mask + 1) > LOAD_FACTOR_MAX) this.grow();
    this.keys.push(key);
    this.place(key === this.lastAbsent ? this.lastAbsentHash : hashString(key), number + 1);
    this.lastAbsent = null;
    return number;
  }

  private place(hash: number, stored: number): void {
    const slots = this.slots;
    let slot = hash & this.mask;
    while (slots[2 * slot + 1] !== EMPTY) slot = (slot + 1) & this.mask;
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = stored;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = old.length - 1; // old.length / 2 pairs before, twice as many now
    for (let pair = 0; pair < old.length; pair += 2) {
      const stored = old[pair + 1] as number;
      if (stored !== EMPTY) this.place(old[pair] as number, stored);
    }
  }
}
