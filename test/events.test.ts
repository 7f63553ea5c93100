// parseEvent: raw events from a file become commands or rejections; decimals are never rounded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEvent } from '../src/scenario/scenario.ts';

function rejected(raw: unknown): { code: string; message: string } {
  const parsed = parseEvent(raw);
  if (parsed.ok) assert.fail(`accepted ${JSON.stringify(raw)}`);
  return parsed.rejection;
}

const order = (amount: unknown) => ({ type: 'order', id: 'o1', member: 'u1', merchant: 'm1', amount });
const sell = (points: unknown) => ({ type: 'sell', id: 's1', member: 'u1', points });

/** The amount (cents) or points (micro-points) an event parses to. */
function quantity(raw: unknown): bigint {
  const parsed = parseEvent(raw);
  if (!parsed.ok) return assert.fail(parsed.rejection.message);
  return parsed.command.type === 'sell' ? parsed.command.points : parsed.command.amount;
}

describe('decimals', () => {
  test('money takes at most 2 decimals and points at most 6, as integers of cents and micro-points', () => {
    const parsed = [
      order('1000'),
      order('0.5'),
      order('12.34'),
      sell('3'),
      sell('0.000001'),
      sell('1.5'),
    ].map(quantity);

    assert.deepEqual(parsed, [100_000n, 50n, 1_234n, 3_000_000n, 1n, 1_500_000n]);
    assert.equal(quantity({ type: 'inject', id: 'i1', amount: '007.10' }), 710n);
  });

  const malformed: { input: unknown; says: RegExp }[] = [
    { input: '1000.001', says: /more than 2 decimals/ },
    { input: '1e3', says: /not a plain decimal/ },
    { input: 1000, says: /the number 1000 \(write decimals as strings\)/ },
    { input: 10.5, says: /the number 10\.5/ },
    { input: '1,000.00', says: /not a plain decimal/ },
    { input: ' 1.00', says: /not a plain decimal/ },
    { input: '+1.00', says: /not a plain decimal/ },
    { input: '1.', says: /not a plain decimal/ },
    { input: '.5', says: /not a plain decimal/ },
    { input: '0x10', says: /not a plain decimal/ },
    { input: 'NaN', says: /not a plain decimal/ },
    { input: '', says: /not a plain decimal/ },
    { input: null, says: /got null/ },
    { input: undefined, says: /decimal string/ },
  ];
  for (const { input, says } of malformed) {
    test(`an amount of ${JSON.stringify(input) ?? 'undefined'} is rejected, never rounded`, () => {
      const rejection = rejected(order(input));
      assert.equal(rejection.code, 'invalid_amount');
      assert.match(rejection.message, says);
    });
  }

  test('points with more than 6 decimals, an exponent, or a number are rejected', () => {
    for (const points of ['1.0000001', '1e-6', 5]) {
      assert.equal(rejected(sell(points)).code, 'invalid_points', String(points));
    }
    assert.match(rejected(sell('1.0000001')).message, /more than 6 decimals/);
  });

  test('an injection amount follows the money rules', () => {
    assert.match(rejected({ type: 'inject', id: 'i1', amount: '5.005' }).message, /more than 2 decimals/);
  });
});

describe('shapes', () => {
  const cases: { name: string; raw: unknown; code: string; says: RegExp }[] = [
    { name: 'not an object', raw: 'order', code: 'malformed', says: /must be an object/ },
    { name: 'null', raw: null, code: 'malformed', says: /must be an object/ },
    { name: 'an array', raw: [order('1.00')], code: 'malformed', says: /must be an object/ },
    {
      name: 'an unknown type',
      raw: { ...order('1.00'), type: 'refund' },
      code: 'unknown_type',
      says: /"refund"/,
    },
    { name: 'no type', raw: { id: 'x', amount: '1.00' }, code: 'unknown_type', says: /unknown event type/ },
    { name: 'an unknown field', raw: { ...order('1.00'), note: 'hi' }, code: 'malformed', says: /"note"/ },
    {
      name: 'a field of another type',
      raw: { type: 'inject', id: 'i1', amount: '1.00', member: 'u1' },
      code: 'malformed',
      says: /"member"/,
    },
    { name: 'no member', raw: { type: 'sell', id: 's1', points: '1' }, code: 'malformed', says: /member/ },
    {
      name: 'an empty merchant',
      raw: { ...order('1.00'), merchant: '' },
      code: 'malformed',
      says: /merchant/,
    },
    { name: 'a numeric member', raw: { ...order('1.00'), member: 5 }, code: 'malformed', says: /member/ },
  ];
  for (const { name, raw, code, says } of cases) {
    test(`an event with ${name} is rejected`, () => {
      const rejection = rejected(raw);
      assert.equal(rejection.code, code);
      assert.match(rejection.message, says);
    });
  }

  test('the rejection keeps the id it was given, so that the replay can list it', () => {
    const parsed = parseEvent(order('1e3'));
    assert.equal(!parsed.ok && parsed.id, 'o1');
  });

  for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    test(`an event of type "${type}" is rejected as an unknown type, not a crash`, () => {
      assert.equal(rejected({ ...order('1.00'), type }).code, 'unknown_type');
    });
  }

  test('an order whose type is the array ["order"] is rejected, not settled as an injection', () => {
    assert.equal(rejected({ ...order('1.00'), type: ['order'] }).code, 'unknown_type');
  });
});
