// The member table's referral-tree roots (disjoint sets kept beside the referrer links) agree with
// a plain walk up the referrers after every registration and binding, and survive a snapshot's
// columns()/load() round trip; isSelfOrAncestor, which uses them, agrees with the walk too.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type MemberIndex, MemberTable, NOBODY } from '../src/domain/members.ts';
import { isSelfOrAncestor } from '../src/domain/state.ts';

/** A step; each pick is reduced modulo what it picks from at the time, so every step applies. */
type Step =
  | { kind: 'add'; referrer: number | 'none' | 'newest' }
  | { kind: 'bind'; member: number; referrer: number }
  | { kind: 'reload' };

/** Pairs (candidate, member) to compare after a step. */
type Probe = [number, number];

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), referrer: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('add' as const), referrer: fc.constant('none' as const) }),
  },
  // Long chains: the deep trees the walk is slow on.
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('add' as const), referrer: fc.constant('newest' as const) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('bind' as const), member: fc.nat(), referrer: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
);

const probesArbitrary = fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 });

function walkedRoot(members: MemberTable, member: MemberIndex): MemberIndex {
  let node = member;
  for (let steps = 0; members.referrerOf(node) !== NOBODY; steps += 1) {
    assert.ok(steps <= members.size, 'no cycle in the referrers');
    node = members.referrerOf(node);
  }
  return node;
}

function walkedSelfOrAncestor(members: MemberTable, candidate: MemberIndex, member: MemberIndex): boolean {
  for (let node = member; node !== NOBODY; node = members.referrerOf(node)) {
    if (node === candidate) return true;
  }
  return false;
}

function reloaded(members: MemberTable): MemberTable {
  const copy = new MemberTable();
  copy.load(members.columns());
  return copy;
}

/** Applies a step; a binding with no unbound member or no referrer outside its tree changes nothing. */
function apply(members: MemberTable, step: Step): MemberTable {
  const size = members.size;
  switch (step.kind) {
    case 'add': {
      const referrer =
        size === 0 || step.referrer === 'none'
          ? NOBODY
          : step.referrer === 'newest'
            ? size - 1
            : step.referrer % size;
      members.add(`mem_${size}`, referrer);
      return members;
    }
    case 'bind': {
      const unbound = [...Array(size).keys()].filter((member) => members.referrerOf(member) === NOBODY);
      if (unbound.length === 0) return members;
      const member = unbound[step.member % unbound.length] as MemberIndex;
      const outside = [...Array(size).keys()].filter(
        (other) => !walkedSelfOrAncestor(members, member, other),
      );
      if (outside.length === 0) return members;
      members.setReferrer(member, outside[step.referrer % outside.length] as MemberIndex);
      return members;
    }
    case 'reload':
      return reloaded(members);
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

function assertRootsMatchWalk(members: MemberTable): void {
  for (let member = 0; member < members.size; member += 1) {
    assert.equal(members.rootOf(member), walkedRoot(members, member), `root of member ${member}`);
  }
}

function assertProbesMatchWalk(members: MemberTable, probes: readonly Probe[]): void {
  const size = members.size;
  if (size === 0) return;
  for (const [candidatePick, memberPick] of probes) {
    const candidate = candidatePick % size;
    const member = memberPick % size;
    assert.equal(
      isSelfOrAncestor(members, candidate, member),
      walkedSelfOrAncestor(members, candidate, member),
      `isSelfOrAncestor(${candidate}, ${member})`,
    );
  }
}

describe('referral roots', () => {
  test('given random registrations and bindings, then roots and ancestry match a walk after each step', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(stepArbitrary, probesArbitrary), { maxLength: 80 }), (steps) => {
        let members = new MemberTable();
        for (const [step, probes] of steps) {
          members = apply(members, step);
          assertRootsMatchWalk(members);
          assertProbesMatchWalk(members, probes);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('given every pair of a random forest, then isSelfOrAncestor matches a walk, roots or not', () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { maxLength: 40 }), (steps) => {
        let members = new MemberTable();
        for (const step of steps) members = apply(members, step);
        for (let candidate = 0; candidate < members.size; candidate += 1) {
          for (let member = 0; member < members.size; member += 1) {
            assert.equal(
              isSelfOrAncestor(members, candidate, member),
              walkedSelfOrAncestor(members, candidate, member),
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  test('given more members than the initial capacity, then roots match a walk, before and after a reload', () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { minLength: 1500, maxLength: 3000 }), (steps) => {
        let members = new MemberTable();
        for (const step of steps) {
          // Bindings cost a scan of the table each here; a few suffice at this size.
          if (step.kind === 'bind' && members.size % 16 !== 0) continue;
          members = apply(members, step);
        }
        assertRootsMatchWalk(members);
        const copy = reloaded(members);
        assertRootsMatchWalk(copy);
        for (let member = 0; member < members.size; member += 1) {
          assert.equal(copy.rootOf(member), members.rootOf(member));
        }
      }),
      { numRuns: 10 },
    );
  });

  test('given a chain under root A and a lone root B, when A binds under B, then every chain member has root B', () => {
    const members = new MemberTable();
    let newest = members.add('mem_a', NOBODY);
    for (let length = 1; length < 2000; length += 1) newest = members.add(`mem_${length}`, newest);
    const rootB = members.add('mem_b', NOBODY);
    assert.equal(members.rootOf(newest), 0);
    members.setReferrer(0, rootB);
    assert.equal(members.rootOf(newest), rootB);
    assert.equal(isSelfOrAncestor(members, rootB, newest), true);
    assert.equal(isSelfOrAncestor(members, newest, rootB), false);
  });

  test('given a member bound or a binding into its own tree, then the table refuses it', () => {
    const members = new MemberTable();
    const root = members.add('mem_root', NOBODY);
    const child = members.add('mem_child', root);
    const other = members.add('mem_other', NOBODY);
    assert.throws(() => members.setReferrer(root, child), /referral cycle/);
    assert.throws(() => members.setReferrer(root, root), /referral cycle/);
    assert.throws(() => members.setReferrer(child, other), /only an unbound member is bound/);
    assert.equal(members.rootOf(child), root);
  });

  test('given snapshot columns whose referrers close a cycle, then load refuses them', () => {
    const members = new MemberTable();
    const first = members.add('mem_first', NOBODY);
    members.add('mem_second', first);
    const columns = members.columns();
    columns.referrer[first] = 1;
    assert.throws(() => new MemberTable().load(columns), /referral cycle/);
  });
});
