// SPEC.md "Idempotency and rejection": ids, duplicates, reused ids, and clear reasons.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execute } from '../src/domain/engine.ts';
import { cents } from '../src/domain/units.ts';
import { parseScenario, replayScenario } from '../src/scenario/scenario.ts';
import {
  acceptedEvents,
  given,
  givenAccepted,
  inject,
  member,
  members,
  order,
  rejectionOf,
  sell,
  snapshot,
  when,
} from './support/given.ts';

function givenOneOrder() {
  const state = given({ members: members('u1', 'u2'), merchants: [{ id: 'm1' }] });
  givenAccepted(state, order('o1', 'u1', 'm1', '1000.00'));
  return state;
}

describe('duplicates', () => {
  const sent = [order('o2', 'u2', 'm1', '500.00'), sell('s1', 'u1', '10'), inject('i1', '25.00')];
  for (const event of sent) {
    test(`a ${event.type} sent again with the same content is a duplicate and changes nothing`, () => {
      const state = givenOneOrder();
      givenAccepted(state, event);
      const before = snapshot(state);

      assert.deepEqual(when(state, { ...event }), { kind: 'duplicate' });

      assert.deepEqual(snapshot(state), before);
    });
  }

  test('an id stays a duplicate after later events moved the state on', () => {
    const state = givenOneOrder();
    givenAccepted(state, order('o2', 'u2', 'm1', '500.00'), sell('s1', 'u1', '10'));

    assert.deepEqual(when(state, order('o1', 'u1', 'm1', '1000.00')), { kind: 'duplicate' });
  });
});

describe('reused ids', () => {
  const reuses = [
    { name: 'another amount', event: order('o1', 'u1', 'm1', '999.99') },
    { name: 'another member', event: order('o1', 'u2', 'm1', '1000.00') },
    { name: 'another type', event: inject('o1', '1000.00') },
    { name: 'a sell', event: sell('o1', 'u1', '1') },
  ];
  for (const { name, event } of reuses) {
    test(`the same id with ${name} is rejected as id_reused and changes nothing`, () => {
      const state = givenOneOrder();
      const before = snapshot(state);

      const rejection = rejectionOf(when(state, event));

      assert.equal(rejection.code, 'id_reused');
      assert.match(rejection.message, /o1 reused with different content/);
      assert.deepEqual(snapshot(state), before);
      assert.deepEqual(when(state, order('o1', 'u1', 'm1', '1000.00')), { kind: 'duplicate' });
    });
  }
});

describe('a rejected event leaves no trace of its id', () => {
  test('a sell rejected for want of points can be sent again with the same id and accepted', () => {
    const state = givenOneOrder();

    assert.equal(rejectionOf(when(state, sell('s1', 'u1', '500'))).code, 'insufficient_points');
    acceptedEvents(when(state, sell('s1', 'u1', '5')));

    assert.equal(member(state, 'u1').points, 107_000_000n);
  });

  test('an event rejected for a malformed amount can be sent again, corrected, under the same id', () => {
    const state = givenOneOrder();

    assert.equal(rejectionOf(when(state, order('o2', 'u2', 'm1', '1e3'))).code, 'invalid_amount');
    acceptedEvents(when(state, order('o2', 'u2', 'm1', '1000.00')));
  });

  test('an order rejected for an unknown merchant does not make its id a duplicate later', () => {
    const state = givenOneOrder();

    rejectionOf(when(state, order('o2', 'u2', 'm9', '10.00')));
    rejectionOf(when(state, order('o2', 'u2', 'm9', '10.00')));
    acceptedEvents(when(state, order('o2', 'u2', 'm1', '10.00')));
  });
});

describe('rejections say what is wrong and change nothing', () => {
  const cases = [
    {
      name: 'no id',
      event: { type: 'order', member: 'u1', merchant: 'm1', amount: '1.00' },
      code: 'missing_id',
      says: /id/,
    },
    {
      name: 'a null id',
      event: { ...order('x', 'u1', 'm1', '1.00'), id: null },
      code: 'missing_id',
      says: /id/,
    },
    { name: 'an empty id', event: order('', 'u1', 'm1', '1.00'), code: 'missing_id', says: /id/ },
    {
      name: 'a numeric id',
      event: { ...order('x', 'u1', 'm1', '1.00'), id: 7 },
      code: 'malformed',
      says: /id must be a string/,
    },
    {
      name: 'an unknown buyer',
      event: order('o2', 'ghost', 'm1', '1.00'),
      code: 'unknown_member',
      says: /ghost is not a member/,
    },
    {
      name: 'an unknown merchant',
      event: order('o2', 'u1', 'm9', '1.00'),
      code: 'unknown_merchant',
      says: /m9 is not a merchant/,
    },
    {
      name: 'a zero order',
      event: order('o2', 'u1', 'm1', '0.00'),
      code: 'invalid_amount',
      says: /above zero/,
    },
    {
      name: 'a negative order',
      event: order('o2', 'u1', 'm1', '-1.00'),
      code: 'invalid_amount',
      says: /above zero/,
    },
  ];
  for (const { name, event, code, says } of cases) {
    test(name, () => {
      const state = givenOneOrder();
      const before = snapshot(state);

      const rejection = rejectionOf(when(state, event));

      assert.equal(rejection.code, code);
      assert.match(rejection.message, says);
      assert.deepEqual(snapshot(state), before);
    });
  }

  test('a command with an empty id is rejected by the decider itself, not only by the parser', () => {
    const state = givenOneOrder();
    const before = snapshot(state);

    const outcome = execute(state, { type: 'inject', id: '', amount: cents(100n) });

    assert.equal(rejectionOf(outcome).code, 'missing_id');
    assert.deepEqual(snapshot(state), before);
  });
});

describe('never a crash', () => {
  // SPEC.md sets no maximum amount: an amount too large for the engine must be settled exactly or
  // rejected with a reason, and a rejection changes nothing.
  const huge = [
    { name: 'an order of 2^63 − 1 cents', event: order('big', 'u1', 'm1', '92233720368547758.07') },
    { name: 'an order of 10^20 yuan', event: order('big', 'u1', 'm1', '100000000000000000000.00') },
    { name: 'an injection of 10^20 yuan', event: inject('big', '100000000000000000000.00') },
  ];
  for (const { name, event } of huge) {
    test(`${name} is settled or rejected with a reason`, () => {
      const state = givenOneOrder();
      const before = snapshot(state);

      const outcome = when(state, event);

      if (outcome.kind === 'rejected') assert.deepEqual(snapshot(state), before);
      else assert.equal(outcome.kind, 'accepted');
    });
  }

  test('thousands of members and ids: every id is still known, as a duplicate or a reuse', () => {
    const memberCount = 3_000;
    const ids = Array.from({ length: memberCount }, (_, index) => `mem_${index}`);
    const state = given({
      members: ids.map((id, index) =>
        index === 0 ? { id } : { id, referrer: ids[(index - 1) >> 1] as string },
      ),
      merchants: [{ id: 'm1' }],
    });
    ids.forEach((id, index) => {
      givenAccepted(state, order(`ord_${index}`, id, 'm1', '10.00'));
    });
    const before = snapshot(state);

    ids.forEach((id, index) => {
      assert.deepEqual(when(state, order(`ord_${index}`, id, 'm1', '10.00')), { kind: 'duplicate' });
      assert.equal(rejectionOf(when(state, order(`ord_${index}`, id, 'm1', '10.01'))).code, 'id_reused');
    });

    assert.deepEqual(snapshot(state), before);
    assert.equal(member(state, 'mem_2999').referrer, 'mem_1499');
    assert.equal(member(state, 'mem_2999').consumption, 1_000n);
  });
});

test('a replay lists rejected ids (null without one) and duplicates in order, and goes on', () => {
  const scenario = parseScenario({
    setup: { members: members('u1'), merchants: [{ id: 'm1' }] },
    events: [
      order('o1', 'u1', 'm1', '100.00'),
      { type: 'order', member: 'u1', merchant: 'm1', amount: '1.00' },
      order('o1', 'u1', 'm1', '100.00'),
      order('o1', 'u1', 'm1', '200.00'),
      sell('s1', 'u1', '1e3'),
      inject('i1', '1.00'),
      inject('i1', '1.00'),
    ],
  });

  const result = replayScenario(scenario);

  assert.deepEqual(result.rejected, [null, 'o1', 's1']);
  assert.deepEqual(
    result.rejections.map((rejection) => rejection.code),
    ['missing_id', 'id_reused', 'invalid_points'],
  );
  assert.deepEqual(result.duplicates, ['o1', 'i1']);
  assert.equal(result.state.sequence, 2 + 2); // two setup commands, two accepted events
});
