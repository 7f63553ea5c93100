// The member-id index (MemberTable): a string → insertion-number index for a million keys, looked
// up far more often than added to (every order looks up its buyer), where each random access into a
// big table costs a cache and TLB miss (100–250 ns here). The processed-id index, where nearly every
// lookup is of an absent key and every command adds one, keeps string-index.ts's 8-byte pairs: these
// twice-as-large records made its additions slower by more than they saved. Bench:engine with a
// million members: about 12% more orders per second with this index for the member ids (three
// alternating pairs of runs, each pair in its favour). Open addressing with linear probing over one
// Int32Array of 16-byte records:
//
//   word 0      number + 1; 0 marks an empty record
//   words 1–3   an inline key: its code units as bytes, four to a word, zero past its end
//               another key: 0, its hash (FNV-1a over the UTF-16 code units), NOT_INLINE
//
// A key is inline when it has at most 12 code units, all in 1–255 (Latin-1 without NUL): 'mem_123456',
// 'ord_1234567', 'sel_123'. Its bytes end at the first zero byte, so they give its length too, and
// they never equal another key's words: the only inline key whose first word is 0 is the empty key,
// all zeros. A lookup encodes its key the same way and compares words 1–3, so a present inline key
// is found and confirmed in its record alone, on one cache line, without touching `keys` or the
// stored string (a Map, or a table of hashes alone, takes two or three misses). Other keys (UUIDs,
// Chinese text, ids of 13 units or more such as the service's 'mem_' + 12 base64url characters)
// are matched by hash and confirmed against `keys[number]`. A match is always confirmed by the key
// itself, its bytes or the string, so equal hashes cost time, never correctness (except in
// `likelyGet`, the prefetch's guess, which takes such a key by its hash and decides nothing).
//
// Why 16 bytes and not 32 (20 inline units, enough for the service's ids): the table holds two to
// four records per key, and a table four times as large as 8-byte pairs made absent keys and
// additions slower by more than it made present keys faster. Growing faults in fresh pages (~3 µs
// per 4 KB here) and every miss lands in a larger table; the engine benchmark ran about a fifth
// slower. 16-byte records also never straddle a cache line, an ArrayBuffer's memory being 16-byte
// aligned (a big one sits 16 bytes past a page start under glibc), where half of 32-byte ones would.
//
// The table is at most half full, so a probe for an absent key usually ends at its first or second
// record, most often on the same line. Growth moves whole records without reading a key string:
// an inline key's hash is recomputed from its bytes, another key's is in its record.

import { FNV_OFFSET_BASIS, FNV_PRIME } from './string-index.ts';

const RECORD_WORDS = 4;
const NUMBER_WORD = 0;
const KEY_WORD = 1;
/** The words of a key that is not inline: KEY_WORD holds 0, then these. */
const HASH_WORD = 2;
const MARK_WORD = 3;
const NOT_INLINE = 1;
const INLINE_UNITS_MAX = (RECORD_WORDS - KEY_WORD) * 4;
const LATIN1_MAX = 0xff;
const EMPTY = 0;
const LOAD_FACTOR_MAX = 0.5;
const INITIAL_CAPACITY = 1024;

/** The record of the key being looked up or added; shared, as no call re-enters another. */
const probe = new Int32Array(RECORD_WORDS);

/**
 * Fills the key words of `probe` with the encoding of `key` and returns its hash. The hash and the
 * packing share one pass over the key: two passes cost more.
 */
function encode(key: string): number {
  const length = key.length;
  let hash = FNV_OFFSET_BASIS;
  let inline = length <= INLINE_UNITS_MAX;
  let word = 0;
  probe[KEY_WORD] = 0;
  probe[KEY_WORD + 1] = 0;
  probe[KEY_WORD + 2] = 0;
  for (let index = 0; index < length; index += 1) {
    const unit = key.charCodeAt(index);
    hash = Math.imul(hash ^ unit, FNV_PRIME);
    if (unit === 0 || unit > LATIN1_MAX) inline = false;
    word |= unit << ((index & 3) * 8);
    if ((index & 3) === 3) {
      if (index < INLINE_UNITS_MAX) probe[KEY_WORD + (index >> 2)] = word;
      word = 0;
    }
  }
  hash |= 0;
  if (inline) {
    if ((length & 3) !== 0) probe[KEY_WORD + (length >> 2)] = word;
  } else {
    // Overwrites what the packing wrote before the key was known not to be inline.
    probe[KEY_WORD] = 0;
    probe[HASH_WORD] = hash;
    probe[MARK_WORD] = NOT_INLINE;
  }
  return hash;
}

/** Whether the key words at `at` hold an inline key: only the words of another key start 0, …, NOT_INLINE. */
function isInline(words: Int32Array, at: number): boolean {
  return words[at + KEY_WORD] !== 0 || words[at + MARK_WORD] !== NOT_INLINE;
}

/** The hash of the inline key at `at`, from its bytes: the same as hashString of the key. */
function inlineHash(words: Int32Array, at: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let word = KEY_WORD; word < RECORD_WORDS; word += 1) {
    const packed = words[at + word] as number;
    for (let shift = 0; shift < 32; shift += 8) {
      const unit = (packed >>> shift) & LATIN1_MAX;
      if (unit === 0) return hash | 0;
      hash = Math.imul(hash ^ unit, FNV_PRIME);
    }
  }
  return hash | 0;
}

export class PackedStringIndex {
  /** The keys in insertion order: key i has the number i. */
  readonly keys: string[] = [];
  private records = new Int32Array(INITIAL_CAPACITY * RECORD_WORDS);
  private mask = INITIAL_CAPACITY - 1;

  get size(): number {
    return this.keys.length;
  }

  /** The number of `key`, or −1 when absent. */
  get(key: string): number {
    const hash = encode(key);
    // A key that is not inline is matched by its hash: the string confirms it.
    return this.probeFor(hash, probe, 0, isInline(probe, 0) ? null : key);
  }

  /**
   * For a prefetch, in two steps, so that a window of look-ups can first be encoded (no memory but
   * the keys') and then probed (one record each, independent of the others): writes `key`'s hash
   * and the three key words of its record at `out[offset]` to `out[offset + 3]`.
   */
  static encodeInto(key: string, out: Int32Array, offset: number): void {
    out[offset] = encode(key);
    out[offset + 1] = probe[KEY_WORD] as number;
    out[offset + 2] = probe[KEY_WORD + 1] as number;
    out[offset + 3] = probe[KEY_WORD + 2] as number;
  }

  /**
   * The number of the key `encodeInto` encoded at `encoded[offset]`, or −1: `get` without
   * confirming a key that is not inline against its string (two more places to read). Such a key's
   * record is taken by its 32-bit hash, so another key with the same hash would be taken for it.
   */
  likelyGet(encoded: Int32Array, offset: number): number {
    return this.probeFor(encoded[offset] as number, encoded, offset, null);
  }

  /**
   * The number in the record whose key words match `words[from + 1]` to `words[from + 3]` (`probe`'s
   * or an encoding's), looked for from `hash`'s record on; −1 when absent. A key that is not inline
   * is confirmed against `confirm`, when given.
   */
  private probeFor(hash: number, words: Int32Array, from: number, confirm: string | null): number {
    const first = words[from + KEY_WORD] as number;
    const second = words[from + KEY_WORD + 1] as number;
    const third = words[from + KEY_WORD + 2] as number;
    const records = this.records;
    // Bounded: the table is at most half full, so an empty record ends every probe sequence.
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * RECORD_WORDS;
      const stored = records[at + NUMBER_WORD] as number;
      if (stored === EMPTY) return -1;
      const sameWords =
        records[at + KEY_WORD] === first &&
        records[at + KEY_WORD + 1] === second &&
        records[at + KEY_WORD + 2] === third;
      if (sameWords && (confirm === null || this.keys[stored - 1] === confirm)) return stored - 1;
    }
  }

  /** Adds a key that is not present and returns its number. */
  add(key: string): number {
    const number = this.keys.length;
    if ((number + 1) / (this.mask + 1) > LOAD_FACTOR_MAX) this.grow();
    this.keys.push(key);
    const hash = encode(key);
    probe[NUMBER_WORD] = number + 1;
    this.place(probe, 0, hash);
    return number;
  }

  /** Copies the record at `from` in `source` into the first empty record of its probe sequence. */
  private place(source: Int32Array, from: number, hash: number): void {
    const records = this.records;
    let slot = hash & this.mask;
    while (records[slot * RECORD_WORDS + NUMBER_WORD] !== EMPTY) slot = (slot + 1) & this.mask;
    const at = slot * RECORD_WORDS;
    for (let word = 0; word < RECORD_WORDS; word += 1) records[at + word] = source[from + word] as number;
  }

  private grow(): void {
    const old = this.records;
    const capacity = (old.length / RECORD_WORDS) * 2;
    this.records = new Int32Array(capacity * RECORD_WORDS);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += RECORD_WORDS) {
      if (old[at + NUMBER_WORD] === EMPTY) continue;
      this.place(old, at, isInline(old, at) ? inlineHash(old, at) : (old[at + HASH_WORD] as number));
    }
  }
}
