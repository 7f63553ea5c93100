// ChunkedList (src/domain/chunked-list.ts) against a plain array: the processed commands and their
// ids live in it, so every entry must come back at its index, in order, across chunk boundaries.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkedList } from '../src/domain/chunked-list.ts';

/** Entries per chunk in chunked-list.ts: the sizes below cross two boundaries. */
const chunk = 65_536;

describe('ChunkedList', () => {
  test('given values pushed past two chunk boundaries, then every index, the size and the order match an array', () => {
    const list = new ChunkedList<{ readonly n: number }>();
    const model: { readonly n: number }[] = [];
    for (let n = 0; n < 2 * chunk + 3; n += 1) {
      const value = { n };
      list.push(value);
      model.push(value);
      assert.equal(list.size, model.length);
    }
    for (const index of [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk - 1, 2 * chunk, 2 * chunk + 2]) {
      assert.equal(list.at(index), model[index], `entry ${index}`);
    }
    let index = 0;
    for (const value of list) {
      assert.equal(value, model[index]);
      index += 1;
    }
    assert.equal(index, model.length);
  });

  test('given any size, then any index but an integer in 0 ≤ index < size gives undefined', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 300 }),
        fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY)),
        (size, index) => {
          const list = new ChunkedList<string>();
          for (let n = 0; n < size; n += 1) list.push(`v${n}`);
          const inside = Number.isInteger(index) && index >= 0 && index < size;
          assert.equal(list.at(index), inside ? `v${index}` : undefined);
          assert.deepEqual(
            [...list],
            Array.from({ length: size }, (_, n) => `v${n}`),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  test('given a value of undefined pushed, then it is kept like any other (the size counts it)', () => {
    const list = new ChunkedList<string | undefined>();
    list.push(undefined);
    list.push('a');
    assert.equal(list.size, 2);
    assert.deepEqual([...list], [undefined, 'a']);
  });
});
