// Model-based property tests of both string indexes (STYLE.md "Tests"): StringIndex (hash pairs,
// the processed-id index) and PackedStringIndex (short keys inside their records, the member-id
// index). Every kind of key the engine meets, and the kinds on both sides of the packed index's
// inline limit (length, Latin-1, NUL), checked against a Map; and keys with forced equal hashes,
// which an index must tell apart by the keys themselves. Every check runs on both.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PackedStringIndex } from '../src/domain/packed-string-index.ts';
import { hashString, StringIndex } from '../src/domain/string-index.ts';

/** The longest key stored inside its record (packed-string-index.ts): keys are generated on both sides. */
const inlineUnitsMax = 12;
const fnvPrime = 0x01000193;

const latin1Unit = fc.integer({ min: 0, max: 0xff }).map((unit) => String.fromCharCode(unit));
const cjkUnit = fc.integer({ min: 0x4e00, max: 0x9fff }).map((unit) => String.fromCharCode(unit));
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

const idArbitrary = fc
  .tuple(fc.constantFrom('mem_', 'ord_', 'sel_', 'mch_'), fc.nat({ max: 9_999_999 }))
  .map(([prefix, number]) => `${prefix}${number}`);

/** The service's ids (service/accounts.ts newId): a prefix and 12 base64url characters. */
const serviceIdArbitrary = fc
  .string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength: 12,
    maxLength: 12,
  })
  .map((suffix) => `mem_${suffix}`);

const keyArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  idArbitrary,
  serviceIdArbitrary,
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: inlineUnitsMax, maxLength: inlineUnitsMax }),
  fc.string({ minLength: inlineUnitsMax + 1, maxLength: inlineUnitsMax + 1 }),
  fc.string({ minLength: inlineUnitsMax + 2, maxLength: 40 }),
  fc.uuid(),
  // Units 128–255 land in the sign bit of a packed word; a NUL keeps a key out of its record.
  fc.string({ unit: latin1Unit, maxLength: inlineUnitsMax + 1 }),
  fc.string({ unit: cjkUnit, minLength: 1, maxLength: 12 }),
  fc.string({ unit: anyUnit, maxLength: inlineUnitsMax + 1 }),
  // One unit above Latin-1 among Latin-1 ones, anywhere: the key is not inline.
  fc.tuple(fc.string({ unit: latin1Unit, maxLength: 19 }), cjkUnit, fc.nat()).map(([text, unit, at]) => {
    const cut = at % (text.length + 1);
    return text.slice(0, cut) + unit + text.slice(cut);
  }),
);

/**
 * Keys that share a prefix: a base, its prefixes, variants differing only in the last unit, and the
 * base followed by NULs (an inline key's bytes are zero past its end).
 */
const familyArbitrary = fc
  .tuple(keyArbitrary, fc.array(fc.oneof(latin1Unit, anyUnit), { maxLength: 6 }))
  .map(([base, lastUnits]) => [
    base,
    base.slice(0, -1),
    base.slice(0, -2),
    `${base}\0`,
    `${base}\0\0`,
    ...lastUnits.map((unit) => base + unit),
    ...lastUnits.map((unit) => base.slice(0, -1) + unit),
  ]);

/** Keys in groups (single keys and families), from `minLength` to `maxLength` groups. */
const keysArbitrary = (minLength: number, maxLength: number): fc.Arbitrary<string[]> =>
  fc
    .array(
      fc.oneof(
        keyArbitrary.map((key) => [key]),
        familyArbitrary,
      ),
      { minLength, maxLength, size: 'max' },
    )
    .map((groups) => groups.flat());

/** A string equal to `key` but not the same object, as a key parsed from a request would be. */
function copyOf(key: string): string {
  return key.split('').join('');
}

/** Adds the keys not yet present, checking each number, then every key and `absent` against the model. */
function assertMatchesModel(keys: readonly string[], absent: readonly string[]): void {
  for (const Index of [StringIndex, PackedStringIndex]) assertIndexMatchesModel(new Index(), keys, absent);
}

function assertIndexMatchesModel(
  index: StringIndex | PackedStringIndex,
  keys: readonly string[],
  absent: readonly string[],
): void {
  const model = new Map<string, number>();
  for (const key of keys) {
    const expected = model.get(key);
    if (expected === undefined) {
      assert.equal(index.get(key), -1, `absent before it is added: ${JSON.stringify(key)}`);
      assert.equal(index.add(key), model.size, `number of ${JSON.stringify(key)}`);
      model.set(key, model.size);
    } else {
      assert.equal(index.get(copyOf(key)), expected, `number of ${JSON.stringify(key)}`);
    }
  }
  assert.equal(index.size, model.size);
  assert.deepEqual([...index.keys], [...model.keys()]);
  for (const [key, number] of model) assert.equal(index.get(copyOf(key)), number, JSON.stringify(key));
  for (const key of absent) assert.equal(index.get(key), model.get(key) ?? -1, JSON.stringify(key));
  if (index instanceof PackedStringIndex) assertLikelyGets(index, [...model.keys()], absent, model);
}

/** Can `key` sit inside its record (packed-string-index.ts)? At most 12 units, all in 1–255. */
const inlineable = (key: string): boolean =>
  key.length <= inlineUnitsMax &&
  [...key].every((unit) => unit.charCodeAt(0) >= 1 && unit.charCodeAt(0) <= 0xff);

/**
 * `likelyGet`, the prefetch's unconfirmed look-up, gives what `get` gives, except that a key which
 * cannot sit inside its record may be taken for another such key with the same 32-bit hash.
 */
function assertLikelyGets(
  index: PackedStringIndex,
  present: readonly string[],
  absent: readonly string[],
  model: ReadonlyMap<string, number>,
): void {
  for (const key of [...present, ...absent]) {
    const encoded = new Int32Array(4);
    PackedStringIndex.encodeInto(copyOf(key), encoded, 0);
    const likely = index.likelyGet(encoded, 0);
    const exact = model.get(key) ?? -1;
    if (likely === exact) continue;
    const other = index.keys[likely] as string;
    assert.ok(
      likely >= 0 && !inlineable(key) && !inlineable(other) && hashString(other) === hashString(key),
      `likelyGet(${JSON.stringify(key)}) gave ${likely}, not ${exact}, without an equal hash to explain it`,
    );
  }
}

describe('StringIndex against a Map', () => {
  test('numbers, lookups of present and absent keys, insertion order and size', () => {
    fc.assert(
      fc.property(keysArbitrary(0, 100), keysArbitrary(0, 40), (keys, absent) =>
        assertMatchesModel(keys, absent),
      ),
      { numRuns: 300 },
    );
  });

  test('through several growths (the table starts at 1,024 records, at most half full)', () => {
    fc.assert(
      fc.property(keysArbitrary(1_000, 1_500), keysArbitrary(0, 200), (keys, absent) =>
        assertMatchesModel(keys, absent),
      ),
      { numRuns: 15 },
    );
  });

  test('a hundred thousand ids of every shape', () => {
    const keys: string[] = [];
    for (let number = 0; number < 20_000; number += 1) {
      const hex = number.toString(16).padStart(12, '0');
      keys.push(`mem_${number}`, `ord_${number * 7}`, `00000000-0000-4000-8000-${hex}`, `会员${number}`);
      // At the inline limit and one past it, alternately.
      keys.push(`m${hex}`.slice(-(inlineUnitsMax + (number % 2))));
      // Nine units ending in 0x01: the last word of the record is 1, as in a key that is not inline.
      if (number % 10 === 0) keys.push(`${String(number).padStart(8, 'k')}\u0001`);
    }
    const absent = keys.map((key) => `${key}x`).concat(['', 'mem_', 'mem_20000', '会员']);
    assertMatchesModel(keys, absent);
  });
});

/**
 * `prefix` and two more code units such that the whole has the hash `target`, or null. FNV-1a's step
 * h ↦ (h ^ unit) · prime (mod 2³²) can be undone, the prime being odd: the last unit must make
 * (h ^ unit) equal target · prime⁻¹, which a 16-bit unit can when the high halves already agree.
 */
function forgeCollision(prefix: string, target: number): string | null {
  let inverse = fnvPrime; // Newton's iteration: each step doubles the correct low bits
  for (let step = 0; step < 5; step += 1) inverse = Math.imul(inverse, 2 - Math.imul(fnvPrime, inverse));
  const wanted = Math.imul(target, inverse) >>> 0;
  const state = hashString(prefix);
  for (let unit = 0x100; unit <= 0xffff; unit += 1) {
    const next = Math.imul(state ^ unit, fnvPrime) >>> 0;
    if (next >>> 16 === wanted >>> 16) return prefix + String.fromCharCode(unit, (next ^ wanted) & 0xffff);
  }
  return null;
}

/** Keys with equal hashes, found by search: equal hashes stay equal when both get the same suffix. */
const foundPairs: [string, string][] = [
  ['mem_005uzx', 'mem_00g2ad'],
  ['k9fk6a1q', 'xo4v9z0db'],
  ['00000000-0000-4000-8000-000000001pfs', '00000000-0000-4000-8000-00000000ivja'],
  ['会员0033zx', '会员00epad'],
];

function collidingGroups(): string[][] {
  const groups: string[][] = [];
  for (const [first, second] of foundPairs) {
    groups.push([first, second]);
    // The longer one padded to the inline limit, then one past it, then with a unit above Latin-1.
    const pad = 'p'.repeat(Math.max(0, inlineUnitsMax - Math.max(first.length, second.length)));
    groups.push(
      [first + pad, second + pad],
      [`${first + pad}q`, `${second + pad}q`],
      [`${first}中`, `${second}中`],
    );
  }
  // Inline keys and keys that are not, all with one hash.
  for (const target of ['', 'mem_123456', 'ord_1234567', 'sel_123', 'mem_AbCdEfGhIjKl']) {
    const forged = ['会员', 'x', 'mem_12345', '00000000-0000-4000-8000-0000000000'].map((prefix) =>
      forgeCollision(prefix, hashString(target)),
    );
    groups.push([target, ...forged.filter((key): key is string => key !== null)]);
  }
  return groups;
}

describe('StringIndex adding keys in any order of look-ups', () => {
  // add() reuses the hash of the key the last get() found absent. Keys here are added after a
  // look-up of another key, of none, or of the same key, across growths: every one must be found.
  test('additions after look-ups of other keys, of no key and of the same key', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArbitrary, { minLength: 1, maxLength: 1_500 }),
        fc.array(fc.constantFrom('same', 'other', 'none', 'twice'), { minLength: 1, maxLength: 1_500 }),
        (keys, plan) => {
          const index = new StringIndex();
          const decoy = '\u0000decoy'.repeat(10);
          for (const [number, key] of keys.entries()) {
            const step = plan[number % plan.length];
            if (step === 'same') assert.equal(index.get(copyOf(key)), -1);
            if (step === 'other') assert.equal(index.get(`${decoy}${number}`), -1);
            if (step === 'twice') {
              assert.equal(index.get(key), -1);
              assert.equal(index.get(`${decoy}${number}`), -1);
            }
            assert.equal(index.add(key), number);
          }
          for (const [number, key] of keys.entries()) assert.equal(index.get(copyOf(key)), number);
          assert.equal(index.get(decoy), -1);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('StringIndex with keys that differ by trailing NULs', () => {
  // Keys whose hash is a multiple of 2²⁰: appending NUL multiplies the hash by the FNV prime, so the
  // key, key + NUL and key + NUL + NUL start their probe at the same record in any table of up to
  // 2²¹ records, where a NUL-blind comparison would confuse them.
  const keys = ['id_113d', 'id_2ndfs', 'id_2zhij', 'id_63o01'];

  test('the test keys really start at the same record', () => {
    for (const key of keys) {
      assert.equal(hashString(key) & 0xfffff, 0);
      assert.equal(hashString(`${key}\0`) & 0x1fffff, hashString(key) & 0x1fffff);
      assert.equal(hashString(`${key}\0\0`) & 0x1fffff, hashString(key) & 0x1fffff);
    }
  });

  test('each is found only as itself', () => {
    for (const key of keys) {
      const family = [key, `${key}\0`, `${key}\0\0`];
      for (let count = 1; count <= family.length; count += 1) {
        assertMatchesModel(family.slice(0, count), family.slice(count));
        assertMatchesModel(family.slice(-count), family.slice(0, -count));
      }
    }
  });
});

describe('StringIndex with equal hashes', () => {
  test('the test keys really collide', () => {
    for (const group of collidingGroups()) {
      assert.ok(group.length >= 2, `a collision for ${JSON.stringify(group[0])}`);
      assert.equal(new Set(group).size, group.length);
      for (const key of group)
        assert.equal(hashString(key), hashString(group[0] as string), JSON.stringify(group));
    }
  });

  test('a key is never found through another key with its hash', () => {
    for (const group of collidingGroups()) {
      for (let count = 1; count <= group.length; count += 1) {
        // Each rotation adds a different key first, so every key meets the others before and after it.
        for (let start = 0; start < group.length; start += 1) {
          const rotated = [...group.slice(start), ...group.slice(0, start)];
          assertMatchesModel(rotated.slice(0, count), rotated.slice(count));
        }
      }
    }
  });

  test('colliding keys among many others, through growths', () => {
    const groups = collidingGroups();
    const keys: string[] = [];
    for (let number = 0; number < 3_000; number += 1) {
      keys.push(`mem_${number}`);
      const group = groups[number % groups.length] as string[];
      if (number % 7 === 0) keys.push(group[(number / 7) % group.length] as string);
    }
    assertMatchesModel(keys, groups.flat());
  });
});
