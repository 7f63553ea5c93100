// SPEC.md "Conformance": a scenario file's config and setup are validated before any event runs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseScenario, ScenarioError, stateFromSetup } from '../src/scenario/scenario.ts';
import { member } from './support/given.ts';

function scenarioError(file: unknown): ScenarioError {
  try {
    parseScenario(file);
  } catch (error) {
    assert.ok(error instanceof ScenarioError, `expected a ScenarioError, got ${String(error)}`);
    return error;
  }
  return assert.fail(`accepted ${JSON.stringify(file)}`);
}

const ids = (...names: string[]) => names.map((id) => ({ id }));

describe('invalid files are errors that name the problem', () => {
  const cases: { name: string; file: unknown; says: RegExp }[] = [
    { name: 'a file that is not an object', file: [], says: /^scenario: expected an object/ },
    { name: 'an unknown top-level key', file: { event: [] }, says: /^scenario: unknown key "event"/ },
    {
      name: 'an unknown config key',
      file: { config: { rewards: { agents: { town: '0.1' } } } },
      says: /^config\.rewards\.agents\.town: unknown key/,
    },
    {
      name: 'a malformed config decimal',
      file: { config: { initialPrice: '1.005' } },
      says: /^config\.initialPrice: .*more than 2 decimals/,
    },
    { name: 'an unknown setup key', file: { setup: { shops: [] } }, says: /^setup: unknown key "shops"/ },
    { name: 'events that are not a list', file: { events: {} }, says: /^events: expected an array/ },
    {
      name: 'a referrer that is not a listed member',
      file: { setup: { members: [{ id: 'u1' }, { id: 'u2', referrer: 'ghost' }] } },
      says: /^setup\.members\[1\]\.referrer: "ghost" is not a listed member/,
    },
    {
      name: 'an owner that is not a listed member',
      file: { setup: { members: ids('u1'), merchants: [{ id: 'm1', owner: 'ghost' }] } },
      says: /^setup\.merchants\[0\]\.owner: "ghost" is not a listed member/,
    },
    {
      name: 'a recruiter that is not a listed member',
      file: { setup: { members: ids('u1'), merchants: [{ id: 'm1', recruiter: 'ghost' }] } },
      says: /^setup\.merchants\[0\]\.recruiter: "ghost" is not a listed member/,
    },
    {
      name: 'an agent that is not a listed member',
      file: { setup: { members: ids('u1'), agents: [{ member: 'ghost', level: 'city', region: '440300' }] } },
      says: /^setup\.agents\[0\]\.member: "ghost" is not a listed member/,
    },
    {
      name: 'an agent without a member',
      file: { setup: { members: ids('u1'), agents: [{ level: 'city', region: '440300' }] } },
      says: /^setup\.agents\[0\]\.member: an agent must be a listed member/,
    },
    {
      name: 'a merchant region of 5 digits',
      file: { setup: { merchants: [{ id: 'm1', region: '44030' }] } },
      says: /^setup\.merchants\[0\]\.region: region must be a 6-digit code, got "44030"/,
    },
    {
      name: 'a merchant region of 7 digits',
      file: { setup: { merchants: [{ id: 'm1', region: '4403061' }] } },
      says: /6-digit code/,
    },
    {
      name: 'a merchant region given as a number',
      file: { setup: { merchants: [{ id: 'm1', region: 440306 }] } },
      says: /6-digit code, got 440306/,
    },
    {
      name: 'an agent region with a letter',
      file: { setup: { members: ids('a'), agents: [{ member: 'a', level: 'district', region: '44030a' }] } },
      says: /^setup\.agents\[0\]\.region: region must be a 6-digit code/,
    },
    {
      name: 'an unknown agent level',
      file: { setup: { members: ids('a'), agents: [{ member: 'a', level: 'town', region: '440306' }] } },
      says: /^setup\.agents\[0\]\.level: must be one of district, city, province/,
    },
    {
      name: 'two agents in one seat (the region cut to the level)',
      file: {
        setup: {
          members: ids('a', 'b'),
          agents: [
            { member: 'a', level: 'city', region: '440306' },
            { member: 'b', level: 'city', region: '440399' },
          ],
        },
      },
      says: /^setup\.agents\[1\]: that city region already has an agent/,
    },
    {
      name: 'a member listed twice',
      file: { setup: { members: ids('u1', 'u2', 'u1') } },
      says: /^setup\.members\[2\]: member "u1" is listed twice/,
    },
    {
      name: 'a merchant listed twice',
      file: { setup: { merchants: [{ id: 'm1' }, { id: 'm1' }] } },
      says: /^setup\.merchants\[1\]: merchant "m1" is listed twice/,
    },
    {
      name: 'a referral cycle',
      file: {
        setup: {
          members: [
            { id: 'a', referrer: 'c' },
            { id: 'b', referrer: 'a' },
            { id: 'c', referrer: 'b' },
          ],
        },
      },
      says: /^setup\.members: referral cycle through "[abc]"/,
    },
    {
      name: 'a member referring itself',
      file: { setup: { members: [{ id: 'a', referrer: 'a' }] } },
      says: /referral cycle through "a"/,
    },
    {
      name: 'an empty member id',
      file: { setup: { members: [{ id: '' }] } },
      says: /^setup\.members\[0\]\.id: expected a non-empty string id/,
    },
    { name: 'a numeric member id', file: { setup: { members: [{ id: 7 }] } }, says: /non-empty string id/ },
    {
      name: 'an unknown member key',
      file: { setup: { members: [{ id: 'u1', sponsor: 'x' }] } },
      says: /^setup\.members\[0\]: unknown key "sponsor"/,
    },
    {
      name: 'an unknown merchant key',
      file: { setup: { merchants: [{ id: 'm1', rate: '0.1' }] } },
      says: /^setup\.merchants\[0\]: unknown key "rate"/,
    },
    {
      name: 'a merchant commissionRate above 1',
      file: { setup: { merchants: [{ id: 'm1', commissionRate: '1.5' }] } },
      says: /^setup\.merchants\[0\]\.commissionRate: must be a rate between 0 and 1/,
    },
    {
      name: 'a merchant commissionRate given as a number',
      file: { setup: { merchants: [{ id: 'm1', commissionRate: 0.1 }] } },
      says: /^setup\.merchants\[0\]\.commissionRate: .*the number 0\.1/,
    },
  ];
  for (const { name, file, says } of cases) {
    test(name, () => {
      assert.match(scenarioError(file).message, says);
    });
  }
});

test('members may be listed before their referrers; the setup builds the referral tree', () => {
  const scenario = parseScenario({
    setup: {
      members: [{ id: 'child', referrer: 'parent' }, { id: 'parent', referrer: 'grand' }, { id: 'grand' }],
      merchants: [{ id: 'm1', owner: 'grand', recruiter: 'child', region: '440306', commissionRate: '0.15' }],
      agents: [{ member: 'parent', level: 'province', region: '440306' }],
    },
  });

  const state = stateFromSetup(scenario.config, scenario.setup);

  assert.equal(member(state, 'child').referrer, 'parent');
  assert.equal(member(state, 'parent').referrer, 'grand');
  assert.equal(member(state, 'grand').referrer, null);
  assert.deepEqual(scenario.events, []);
});

test('a file with nothing but an empty object is a valid empty scenario', () => {
  const scenario = parseScenario({});
  const state = stateFromSetup(scenario.config, scenario.setup);

  assert.deepEqual([state.pool, state.supply, state.sequence], [0n, 0n, 0]);
});
