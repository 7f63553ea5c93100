// The exit queue's keys and heap against exact arithmetic (STYLE.md "Tests"): a lower key is never
// a later trigger price, also where keys are clamped to 64 bits; and the heap
// gives the cycles in the exact order of SPEC.md "Forced exit" (trigger price N / H, then the cycle
// opened first), checked against a sort by cross-multiplication, with members holding a few
// micro-points against large consumption (clamped, tying keys) among them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ExitQueue, MINUS_INFINITY_KEY, triggerKeyOf } from '../src/domain/exit-queue.ts';
import { MemberTable, NOBODY, Slot } from '../src/domain/members.ts';
import { ppm } from '../src/domain/units.ts';

const int64Max = (1n << 63n) - 1n;
const cap = ppm(1_200_000n);

/** Numerators and holdings from tiny to the 64-bit limit of their columns (N up to cap × C). */
const numerator = fc.oneof(
  fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
  fc.bigInt({ min: -(int64Max * 1_000_000n), max: int64Max * 2_000_000n }),
);
const holdings = fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: int64Max }));

/** Exact comparison of N1 / H1 with N2 / H2 (both H positive). */
const compareRatios = (n1: bigint, h1: bigint, n2: bigint, h2: bigint): number => {
  const left = n1 * h2;
  const right = n2 * h1;
  return left < right ? -1 : left > right ? 1 : 0;
};

describe('trigger keys', () => {
  test('a lower key is never a higher trigger price, and every key is a 64-bit value above −∞', () => {
    fc.assert(
      fc.property(numerator, holdings, numerator, holdings, (n1, h1, n2, h2) => {
        const k1 = triggerKeyOf(n1, h1);
        const k2 = triggerKeyOf(n2, h2);
        for (const key of [k1, k2]) assert.ok(key > MINUS_INFINITY_KEY && key <= int64Max);
        const exact = compareRatios(n1, h1, n2, h2);
        if (k1 < k2) assert.ok(exact < 0, `${n1}/${h1} keyed below ${n2}/${h2}`);
        if (k1 > k2) assert.ok(exact > 0, `${n1}/${h1} keyed above ${n2}/${h2}`);
      }),
      { numRuns: 20_000 },
    );
  });
});

interface Cycle {
  consumption: bigint;
  realised: bigint;
  points: bigint;
}

const cycleArbitrary: fc.Arbitrary<Cycle> = fc.record({
  consumption: fc.oneof(fc.bigInt({ min: 1n, max: 10_000n }), fc.bigInt({ min: 1n, max: 10n ** 15n })),
  realised: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 15n })),
  points: fc.oneof(
    fc.constant(0n),
    fc.bigInt({ min: 1n, max: 100n }),
    fc.bigInt({ min: 1n, max: 10n ** 12n }),
  ),
});

/** Is a before b in SPEC.md's order? Trigger price (a held-nothing due cycle first), then the earlier cycle. */
function exactlyBefore(a: number, b: number, cycles: readonly Cycle[]): boolean {
  const numeratorOf = (c: Cycle): bigint => cap * c.consumption - c.realised * 1_000_000n;
  const ca = cycles[a] as Cycle;
  const cb = cycles[b] as Cycle;
  if (ca.points === 0n || cb.points === 0n) {
    if (ca.points === 0n && cb.points !== 0n) return true;
    if (cb.points === 0n && ca.points !== 0n) return false;
    return a < b;
  }
  const order = compareRatios(numeratorOf(ca), ca.points, numeratorOf(cb), cb.points);
  return order !== 0 ? order < 0 : a < b;
}

/** Empties the queue from the top, giving the members in the order they came out. */
function popAll(queue: ExitQueue): number[] {
  const popped: number[] = [];
  while (queue.peek() !== NOBODY) {
    const top = queue.peek();
    popped.push(top);
    queue.remove(top);
  }
  return popped;
}

describe('the exit queue', () => {
  test('gives every queued cycle in the exact order of trigger price, then opening, after any re-keying', () => {
    fc.assert(
      fc.property(
        fc.array(cycleArbitrary, { minLength: 1, maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(), cycleArbitrary), { maxLength: 60 }),
        (initial, changes) => {
          const table = new MemberTable();
          const queue = new ExitQueue(table, () => cap);
          const cycles = initial.map((cycle) => ({ ...cycle }));
          const write = (member: number, cycle: Cycle): void => {
            table.set(member, Slot.CycleConsumption, cycle.consumption);
            table.set(member, Slot.CycleRealised, cycle.realised);
            table.set(member, Slot.Points, cycle.points);
            queue.refresh(member);
          };
          for (const [member, cycle] of cycles.entries()) {
            table.add(`m${member}`, NOBODY);
            table.cycleOpen[member] = 1;
            table.cycleOpenedSequence[member] = member;
            write(member, cycle);
          }
          for (const [at, cycle] of changes) {
            const member = at % cycles.length;
            cycles[member] = { ...cycle };
            write(member, cycle);
          }
          // Queued: every cycle that holds points, and a held-nothing one only when already due.
          const expected = cycles
            .map((_, member) => member)
            .filter((member) => {
              const c = cycles[member] as Cycle;
              return c.points > 0n || cap * c.consumption - c.realised * 1_000_000n <= 0n;
            })
            .sort((a, b) => (exactlyBefore(a, b, cycles) ? -1 : 1));
          assert.deepEqual(popAll(queue), expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the exit queue past its first buffer', () => {
  // The heap's buffer starts at 1,024 entries. Registration reserves room for every member
  // (evolve.ts calls reserve); members loaded from a snapshot are not registered one by one, and
  // the heap then makes room as cycles are queued. Both ways, past the first buffer, every cycle
  // must come out in the exact order.
  for (const reserveOnAdd of [true, false]) {
    test(`given 5,000 open cycles, ${reserveOnAdd ? 'room reserved as members are added' : 'no room reserved (a loaded snapshot)'}, then they pop in the exact order`, () => {
      const table = new MemberTable();
      const queue = new ExitQueue(table, () => cap);
      const cycles: Cycle[] = [];
      let seed = 7;
      const next = (limit: number): bigint => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return BigInt(seed % limit);
      };
      for (let member = 0; member < 5_000; member += 1) {
        table.add(`m${member}`, NOBODY);
        if (reserveOnAdd) queue.reserve();
        const cycle = {
          consumption: 1n + next(100_000),
          realised: next(50_000),
          points: 1n + next(1_000_000),
        };
        cycles.push(cycle);
        table.cycleOpen[member] = 1;
        table.cycleOpenedSequence[member] = member;
        table.set(member, Slot.CycleConsumption, cycle.consumption);
        table.set(member, Slot.CycleRealised, cycle.realised);
        table.set(member, Slot.Points, cycle.points);
        queue.refresh(member);
      }
      assert.equal(queue.size, 5_000);
      const expected = cycles
        .map((_, member) => member)
        .sort((a, b) => (exactlyBefore(a, b, cycles) ? -1 : 1));
      assert.deepEqual(popAll(queue), expected);
    });
  }
});
