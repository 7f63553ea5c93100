// docs/rules.md "Member levels and team rewards": levels earned by consumption or set by an admin,
// the level differential (级差) and the peer reward (平级), the depth limit, the configuration keys
// and what the compliance report says of them. One rule per test, given/when/then.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { complianceReport, type Finding } from '../src/domain/compliance.ts';
import { ConfigError, type ConfigInput, formatConfig, parseConfig } from '../src/domain/config.ts';
import { execute, type Outcome } from '../src/domain/engine.ts';
import type { Event, OrderSettled, SetMemberLevel } from '../src/domain/messages.ts';
import { reportState } from '../src/domain/report.ts';
import type { State } from '../src/domain/state.ts';
import { memberLevel, teamDepthMax } from '../src/domain/team.ts';
import { formatDecimal } from '../src/domain/units.ts';
import {
  acceptedEvents,
  given,
  givenAccepted,
  member,
  order,
  rejectionOf,
  type SetupSpec,
  snapshot,
  when,
} from './support/given.ts';

/** Levels of the examples: silver 0.2%, gold 0.5%, diamond 1% of the order amount. */
const levels = [
  { name: 'silver', threshold: '100.00', rate: '0.002' },
  { name: 'gold', threshold: '1000.00', rate: '0.005' },
  { name: 'diamond', threshold: '5000.00', rate: '0.010' },
];

/** Only the team rewards pay: SPEC.md's rewards are set to 0, so the whole 20.00 budget is theirs. */
const quiet: ConfigInput = {
  rewards: {
    direct: '0',
    indirect: '0',
    merchantRecruiter: '0',
    agents: { district: '0', city: '0', province: '0' },
  },
};

function teamConfig(team: ConfigInput['teamRewards'] = {}, extra: ConfigInput = quiet): ConfigInput {
  return { ...extra, levels, teamRewards: { enabled: true, ...team } };
}

/** A chain: `ids[0]` is the buyer, each next one the referrer of the one before. */
function chain(...ids: string[]): SetupSpec {
  return {
    members: ids.map((id, index) =>
      index + 1 < ids.length ? { id, referrer: ids[index + 1] as string } : { id },
    ),
    merchants: [{ id: 'shop' }],
  };
}

const setLevel = (id: string, memberId: string, level: string | null, actor?: string): SetMemberLevel =>
  actor === undefined
    ? { type: 'setMemberLevel', id, member: memberId, level }
    : { type: 'setMemberLevel', id, member: memberId, level, actor };

/** Admin-set levels, one command each: `{ a: 'gold' }`. */
function withLevels(state: State, assigned: Record<string, string>): void {
  for (const [memberId, level] of Object.entries(assigned)) {
    acceptedEvents(execute(state, setLevel(`lvl_${memberId}`, memberId, level)));
  }
}

function settled(outcome: Outcome): OrderSettled {
  const event = acceptedEvents(outcome)[0] as Event;
  assert.equal(event.type, 'OrderSettled');
  return event as OrderSettled;
}

/** The rewards of kind levelDifferential / levelPeer, as [kind, member, cents]. */
function teamRewardsOf(event: OrderSettled): [string, string, bigint][] {
  return event.rewards
    .filter((reward) => reward.kind === 'levelDifferential' || reward.kind === 'levelPeer')
    .map((reward) => [reward.kind, reward.member, reward.amount]);
}

const thousand = '1000.00';

describe('off by default', () => {
  test('given levels but team rewards not enabled, an order pays no team reward and settles as without levels', () => {
    const plain = given(chain('buyer', 'a', 'b'));
    const withLevelsOnly = given(chain('buyer', 'a', 'b'), { levels });
    withLevels(withLevelsOnly, { a: 'gold', b: 'diamond' });

    const event = settled(when(withLevelsOnly, order('o1', 'buyer', 'shop', thousand)));
    givenAccepted(plain, order('o1', 'buyer', 'shop', thousand));

    assert.deepEqual(teamRewardsOf(event), []);
    assert.deepEqual(reportState(withLevelsOnly), reportState(plain));
  });

  test('given team rewards enabled but no levels, nobody holds a level and nothing is paid', () => {
    const state = given(chain('buyer', 'a'), { ...quiet, teamRewards: { enabled: true } });
    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));
    assert.deepEqual(event.rewards, []);
    assert.equal(state.platform, 4_000n, 'the platform keeps the whole budget');
  });
});

describe('the level differential (级差)', () => {
  test('each upline is paid its rate minus the highest rate already reached', () => {
    const state = given(chain('buyer', 's', 'g', 'd'), teamConfig({ depthMax: '3' }));
    withLevels(state, { s: 'silver', g: 'gold', d: 'diamond' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 's', 200n],
      ['levelDifferential', 'g', 300n],
      ['levelDifferential', 'd', 500n],
    ]);
    assert.equal(member(state, 'd').wallet, 500n);
    assert.equal(member(state, 'd').rewards, 500n, 'team rewards count in the member rewards');
    assert.equal(state.platform, 20_000n - 16_000n - 1_000n, 'the platform keeps the rest of the budget');
  });

  test('an upline of a lower level than one already reached, or of no level, is paid nothing', () => {
    const state = given(chain('buyer', 'g', 's', 'd'), teamConfig({ depthMax: '3' }));
    withLevels(state, { g: 'gold', s: 'silver', d: 'diamond' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 'g', 500n],
      ['levelDifferential', 'd', 500n],
    ]);
    assert.equal(member(state, 's').rewards, 0n);
  });

  test('given an empty chain (a buyer with no referrer), no team reward is paid', () => {
    const state = given(
      { members: [{ id: 'buyer' }, { id: 'g' }], merchants: [{ id: 'shop' }] },
      teamConfig(),
    );
    withLevels(state, { g: 'gold', buyer: 'diamond' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(event.rewards, [], 'the buyer is never paid for its own order');
    assert.equal(state.platform, 4_000n);
  });

  test('the merchant owner bound by this very order (SPEC.md step 1) is the first upline', () => {
    const state = given(
      { members: [{ id: 'buyer' }, { id: 'owner' }], merchants: [{ id: 'shop', owner: 'owner' }] },
      teamConfig(),
    );
    withLevels(state, { owner: 'gold' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.equal(event.bound, 'owner');
    assert.deepEqual(teamRewardsOf(event), [['levelDifferential', 'owner', 500n]]);
  });

  test('a higher level with the same rate as the one reached is paid nothing and opens no peer reward', () => {
    const sameRates = [
      { name: 'silver', threshold: '100.00', rate: '0.002' },
      { name: 'silver-plus', threshold: '200.00', rate: '0.002' },
      { name: 'gold', threshold: '1000.00', rate: '0.005' },
    ];
    const state = given(chain('buyer', 's', 'p', 'p2', 'g'), {
      ...quiet,
      levels: sameRates,
      teamRewards: { enabled: true, depthMax: '4', peerShare: '0.5' },
    });
    withLevels(state, { s: 'silver', p: 'silver-plus', p2: 'silver-plus', g: 'gold' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 's', 200n],
      ['levelDifferential', 'g', 300n],
    ]);
  });

  test('rewards are floored at the cent: 0.5% of 0.99 is 0.00 and not listed; of 1.99, 0.00; of 2.00, 0.01', () => {
    const state = given(chain('buyer', 'g'), teamConfig());
    withLevels(state, { g: 'gold' });
    const paid = ['0.99', '1.99', '2.00'].map((amount, index) =>
      teamRewardsOf(settled(when(state, order(`o${index}`, 'buyer', 'shop', amount)))),
    );
    assert.deepEqual(paid, [[], [], [['levelDifferential', 'g', 1n]]]);
  });
});

describe('the budget: team rewards come after SPEC.md step 4 and are cut to what is left', () => {
  test('given the worked example of docs/rules.md (default rewards), the team rewards fit in the rest', () => {
    const state = given(chain('buyer', 'a', 'b', 'c', 'd'), {
      levels: levels.slice(0, 2),
      teamRewards: { enabled: true, depthMax: '3', peerShare: '0.10' },
    });
    withLevels(state, { a: 'silver', b: 'silver', c: 'gold', d: 'gold' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(
      event.rewards.map((reward) => [reward.kind, reward.member, reward.amount]),
      [
        ['direct', 'a', 300n],
        ['indirect', 'b', 200n],
        ['levelDifferential', 'a', 200n],
        ['levelPeer', 'b', 20n],
        ['levelDifferential', 'c', 300n],
      ],
    );
    assert.equal(state.platform, 2_980n);
    assert.equal(member(state, 'd').rewards, 0n, 'depth 4 is not visited');
  });

  test('a differential cut by the budget still counts as reached, and leaves nothing for a peer', () => {
    // Budget 20.00; direct 15.00 leaves 5.00; s is owed 2.00, g 8.00 (cut to 3.00), g2 nothing is left.
    const state = given(chain('buyer', 's', 'g', 'g2', 'd'), {
      rewards: { direct: '0.015', indirect: '0', merchantRecruiter: '0' },
      levels: [
        { name: 'silver', threshold: '100.00', rate: '0.002' },
        { name: 'gold', threshold: '1000.00', rate: '0.010' },
        { name: 'diamond', threshold: '5000.00', rate: '0.011' },
      ],
      teamRewards: { enabled: true, depthMax: '4', peerShare: '1' },
    });
    withLevels(state, { s: 'silver', g: 'gold', g2: 'gold', d: 'diamond' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(
      event.rewards.map((reward) => [reward.kind, reward.member, reward.amount]),
      [
        ['direct', 's', 1_500n],
        ['levelDifferential', 's', 200n],
        ['levelDifferential', 'g', 300n],
      ],
    );
    assert.equal(state.platform, 20_000n - 16_000n - 2_000n, 'the whole budget is paid out');
  });
});

describe('the depth limit', () => {
  test('given the default depth 2 and a chain of 3 uplines, the third is never visited', () => {
    const state = given(chain('buyer', 's', 'g', 'd'), teamConfig());
    withLevels(state, { s: 'silver', g: 'gold', d: 'diamond' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 's', 200n],
      ['levelDifferential', 'g', 300n],
    ]);
    assert.equal(member(state, 'd').rewards, 0n);
  });

  test('uplines with no level count toward the depth', () => {
    const state = given(chain('buyer', 'x', 'y', 'd'), teamConfig());
    withLevels(state, { d: 'diamond' });
    assert.deepEqual(teamRewardsOf(settled(when(state, order('o1', 'buyer', 'shop', thousand)))), []);

    const deeper = given(chain('buyer', 'x', 'y', 'd'), teamConfig({ depthMax: '3' }));
    withLevels(deeper, { d: 'diamond' });
    assert.deepEqual(teamRewardsOf(settled(when(deeper, order('o1', 'buyer', 'shop', thousand)))), [
      ['levelDifferential', 'd', 1_000n],
    ]);
  });

  test(`given depthMax ${teamDepthMax} (the largest allowed) and a longer chain, exactly ${teamDepthMax} uplines are visited`, () => {
    const ids = Array.from({ length: teamDepthMax + 2 }, (_, index) => `u${index}`);
    const state = given(chain(...ids), {
      ...quiet,
      levels: Array.from({ length: teamDepthMax + 1 }, (_, index) => ({
        name: `L${index + 1}`,
        threshold: `${index}.00`,
        rate: formatDecimal(BigInt((index + 1) * 1_000), 6),
      })),
      teamRewards: { enabled: true, depthMax: String(teamDepthMax) },
    });
    // u1 holds L1, u2 L2, …: every visited upline is one level up and is paid 0.1% of 1000.00.
    for (const [index, id] of ids.slice(1).entries()) {
      acceptedEvents(execute(state, setLevel(`lvl_${id}`, id, `L${index + 1}`)));
    }

    const paid = teamRewardsOf(settled(when(state, order('o1', 'u0', 'shop', thousand))));

    assert.equal(paid.length, teamDepthMax);
    assert.deepEqual(
      paid.map(([, id]) => id),
      ids.slice(1, teamDepthMax + 1),
    );
    assert.ok(paid.every(([, , amount]) => amount === 100n));
  });
});

describe('the peer reward (平级)', () => {
  test('given equal levels, the first upline of the same level is paid peerShare of the differential; the next nothing', () => {
    const state = given(chain('buyer', 'g1', 'g2', 'g3'), teamConfig({ depthMax: '3', peerShare: '0.10' }));
    withLevels(state, { g1: 'gold', g2: 'gold', g3: 'gold' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 'g1', 500n],
      ['levelPeer', 'g2', 50n],
    ]);
    assert.equal(member(state, 'g3').rewards, 0n);
  });

  test('a higher level opens a new peer reward, on its own differential', () => {
    const state = given(
      chain('buyer', 's1', 's2', 'g1', 'g2'),
      teamConfig({ depthMax: '4', peerShare: '0.10' }),
    );
    withLevels(state, { s1: 'silver', s2: 'silver', g1: 'gold', g2: 'gold' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 's1', 200n],
      ['levelPeer', 's2', 20n],
      ['levelDifferential', 'g1', 300n],
      ['levelPeer', 'g2', 30n],
    ]);
  });

  test('the peer is the first of the same level: a lower level in between does not close it', () => {
    const state = given(chain('buyer', 'g1', 's', 'g2'), teamConfig({ depthMax: '3', peerShare: '0.5' }));
    withLevels(state, { g1: 'gold', s: 'silver', g2: 'gold' });

    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));

    assert.deepEqual(teamRewardsOf(event), [
      ['levelDifferential', 'g1', 500n],
      ['levelPeer', 'g2', 250n],
    ]);
  });

  test('given peerShare 0 (the default), equal levels pay only the differential', () => {
    const state = given(chain('buyer', 'g1', 'g2'), teamConfig());
    withLevels(state, { g1: 'gold', g2: 'gold' });
    const event = settled(when(state, order('o1', 'buyer', 'shop', thousand)));
    assert.deepEqual(teamRewardsOf(event), [['levelDifferential', 'g1', 500n]]);
  });
});

describe('a member level: earned by consumption, or set by an admin', () => {
  test('the highest level whose threshold is at most the lifetime consumption; the threshold itself counts', () => {
    const state = given(
      { members: [{ id: 'buyer', referrer: 'up' }, { id: 'up' }], merchants: [{ id: 'shop' }] },
      teamConfig(),
    );
    assert.deepEqual(memberLevel(state, 'up'), { level: null, setByAdmin: false });

    givenAccepted(state, order('u1', 'up', 'shop', '99.99'));
    assert.equal(memberLevel(state, 'up')?.level, null, '99.99 is below silver');
    givenAccepted(state, order('u2', 'up', 'shop', '0.01'));
    assert.equal(memberLevel(state, 'up')?.level, 'silver', 'exactly 100.00 is silver');
    assert.deepEqual(teamRewardsOf(settled(when(state, order('o1', 'buyer', 'shop', thousand)))), [
      ['levelDifferential', 'up', 200n],
    ]);

    givenAccepted(state, order('u3', 'up', 'shop', '900.00'));
    assert.equal(memberLevel(state, 'up')?.level, 'gold');
    assert.deepEqual(teamRewardsOf(settled(when(state, order('o2', 'buyer', 'shop', thousand)))), [
      ['levelDifferential', 'up', 500n],
    ]);
  });

  test('the buyer own order counts toward its level only after it settles (uplines are looked up first)', () => {
    const state = given(chain('buyer', 'up', 'top'), teamConfig());
    withLevels(state, { top: 'gold' });
    // up has no consumption when its own first order of 1000.00 settles; top is paid on it.
    const first = settled(when(state, order('o1', 'up', 'shop', thousand)));
    assert.deepEqual(teamRewardsOf(first), [['levelDifferential', 'top', 500n]]);
    assert.equal(memberLevel(state, 'up')?.level, 'gold');
  });

  test('an admin-set level overrides the earned one, down as well as up; null restores the earned level', () => {
    const state = given(chain('buyer', 'up'), teamConfig());
    givenAccepted(state, order('u1', 'up', 'shop', '5000.00'));
    assert.equal(memberLevel(state, 'up')?.level, 'diamond');

    acceptedEvents(execute(state, setLevel('set1', 'up', 'silver', 'admin_1')));
    assert.deepEqual(memberLevel(state, 'up'), { level: 'silver', setByAdmin: true });
    assert.deepEqual(teamRewardsOf(settled(when(state, order('o1', 'buyer', 'shop', thousand)))), [
      ['levelDifferential', 'up', 200n],
    ]);

    acceptedEvents(execute(state, setLevel('set2', 'up', null)));
    assert.deepEqual(memberLevel(state, 'up'), { level: 'diamond', setByAdmin: false });
  });

  test('an admin-set level the configuration no longer has is not used, and applies again when it returns', () => {
    const state = given(chain('buyer', 'up'), teamConfig());
    withLevels(state, { up: 'diamond' });
    const withoutDiamond = { ...teamConfig(), levels: levels.slice(0, 2) };
    acceptedEvents(execute(state, { type: 'configure', config: withoutDiamond }));
    assert.equal(memberLevel(state, 'up')?.level, null, 'no consumption, and diamond is gone');

    acceptedEvents(execute(state, { type: 'configure', config: teamConfig() }));
    assert.deepEqual(memberLevel(state, 'up'), { level: 'diamond', setByAdmin: true });
  });
});

describe('setMemberLevel: checks and idempotency', () => {
  const base = () => {
    const state = given(chain('buyer', 'up'), teamConfig());
    acceptedEvents(execute(state, setLevel('set1', 'up', 'gold', 'admin_1')));
    return state;
  };

  test('accepted, it is the event MemberLevelSet and moves no cash or points', () => {
    const state = given(chain('buyer', 'up'), teamConfig());
    const before = reportState(state);
    const events = acceptedEvents(execute(state, setLevel('set1', 'up', 'gold', 'admin_1')));
    assert.deepEqual(events, [
      { type: 'MemberLevelSet', command: setLevel('set1', 'up', 'gold', 'admin_1') },
    ]);
    assert.deepEqual(reportState(state), before);
  });

  const refusals: { name: string; command: SetMemberLevel; code: string; says?: RegExp }[] = [
    { name: 'an empty id', command: setLevel('', 'up', 'gold'), code: 'missing_id' },
    { name: 'an unknown member', command: setLevel('set9', 'ghost', 'gold'), code: 'unknown_member' },
    {
      name: 'a level name that is not configured',
      command: setLevel('set9', 'up', 'platinum'),
      code: 'unknown_level',
      says: /"platinum" is not a configured level \(silver, gold, diamond\)/,
    },
    {
      name: 'the id of an earlier command with other content',
      command: setLevel('set1', 'up', 'silver'),
      code: 'id_reused',
    },
  ];
  for (const { name, command, code, says } of refusals) {
    test(`${name} is refused as ${code} and changes nothing`, () => {
      const state = base();
      const before = snapshot(state);
      const refusal = rejectionOf(execute(state, command));
      assert.equal(refusal.code, code);
      if (says !== undefined) assert.match(refusal.message, says);
      assert.deepEqual(snapshot(state), before);
      assert.equal(state.levelOverrides.size, 1);
    });
  }

  test('the same id with the same member and level is a duplicate, whatever the actor', () => {
    const state = base();
    assert.equal(execute(state, setLevel('set1', 'up', 'gold', 'admin_2')).kind, 'duplicate');
    assert.equal(execute(state, setLevel('set1', 'up', 'gold')).kind, 'duplicate');
  });

  test('given no levels configured, any name is unknown and says so', () => {
    const state = given(chain('buyer', 'up'));
    assert.match(rejectionOf(execute(state, setLevel('s', 'up', 'gold'))).message, /none are configured/);
    acceptedEvents(execute(state, setLevel('s', 'up', null)));
  });

  test('a rejected id leaves no trace: the same id may be sent again', () => {
    const state = given(chain('buyer', 'up'), teamConfig());
    assert.equal(rejectionOf(execute(state, setLevel('s', 'ghost', 'gold'))).code, 'unknown_member');
    acceptedEvents(execute(state, setLevel('s', 'up', 'gold')));
  });
});

function configError(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  return assert.fail(`accepted ${JSON.stringify(input)}`);
}

describe('configuration: levels and teamRewards', () => {
  test('the defaults: no levels, team rewards off, depth 2, peer share 0', () => {
    const config = parseConfig({});
    assert.deepEqual(config.levels, []);
    assert.deepEqual(config.teamRewards, { enabled: false, depthMax: 2, peerShare: 0n });
  });

  test('a configuration without the new keys formats exactly as before (no new keys printed)', () => {
    const printed = formatConfig(parseConfig({}));
    assert.ok(!('levels' in printed) && !('teamRewards' in printed) && !('campaigns' in printed));
    const allDefaults = formatConfig(
      parseConfig({ levels: [], teamRewards: { enabled: false, depthMax: '2', peerShare: '0' } }),
    );
    assert.deepEqual(allDefaults, printed);
  });

  test('formatConfig round-trips levels and team rewards, in integer units', () => {
    const config = parseConfig(teamConfig({ depthMax: '3', peerShare: '0.1' }));
    assert.deepEqual(config.levels[1], { name: 'gold', threshold: 100_000n, rate: 5_000n });
    assert.deepEqual(config.teamRewards, { enabled: true, depthMax: 3, peerShare: 100_000n });
    const printed = formatConfig(config);
    assert.deepEqual(printed.levels?.[0], { name: 'silver', threshold: '100.00', rate: '0.002000' });
    assert.deepEqual(printed.teamRewards, { enabled: true, depthMax: '3', peerShare: '0.100000' });
    assert.deepEqual(parseConfig(printed), config);
    assert.deepEqual(formatConfig(parseConfig(printed)), printed);
  });

  const invalid: { name: string; input: unknown; key: string; says: RegExp }[] = [
    { name: 'levels not a list', input: { levels: {} }, key: 'levels', says: /expected an array/ },
    {
      name: 'more than 16 levels',
      input: {
        levels: Array.from({ length: 17 }, (_, index) => ({
          name: `L${index}`,
          threshold: `${index}.00`,
          rate: '0',
        })),
      },
      key: 'levels',
      says: /at most 16/,
    },
    { name: 'a level not an object', input: { levels: ['gold'] }, key: 'levels[0]', says: /an object/ },
    {
      name: 'an unknown key in a level',
      input: { levels: [{ ...levels[0], colour: 'grey' }] },
      key: 'levels[0].colour',
      says: /unknown key/,
    },
    {
      name: 'a missing threshold',
      input: { levels: [{ name: 'silver', rate: '0.002' }] },
      key: 'levels[0].threshold',
      says: /expected a decimal string/,
    },
    {
      name: 'an empty name',
      input: { levels: [{ ...levels[0], name: ' ' }] },
      key: 'levels[0].name',
      says: /name of 1 to 40/,
    },
    {
      name: 'a name used twice',
      input: { levels: [levels[0], { ...levels[1], name: 'silver' }] },
      key: 'levels[1].name',
      says: /names two levels/,
    },
    {
      name: 'a threshold not above the one below',
      input: { levels: [levels[0], { ...levels[1], threshold: '100.00' }] },
      key: 'levels[1].threshold',
      says: /above the threshold of the level below \(100\.00\)/,
    },
    {
      name: 'a rate below the one below',
      input: { levels: [levels[0], { ...levels[1], rate: '0.001' }] },
      key: 'levels[1].rate',
      says: /not be below the rate of the level below \(0\.002000\)/,
    },
    {
      name: 'a threshold with 3 decimals',
      input: { levels: [{ ...levels[0], threshold: '1.001' }] },
      key: 'levels[0].threshold',
      says: /more than 2 decimals/,
    },
    {
      name: 'a negative threshold',
      input: { levels: [{ ...levels[0], threshold: '-1.00' }] },
      key: 'levels[0].threshold',
      says: /negative/,
    },
    {
      name: 'a rate above 1',
      input: { levels: [{ ...levels[0], rate: '1.5' }] },
      key: 'levels[0].rate',
      says: /between 0 and 1/,
    },
    { name: 'teamRewards not an object', input: { teamRewards: true }, key: 'teamRewards', says: /object/ },
    {
      name: 'an unknown key in teamRewards',
      input: { teamRewards: { depth: '2' } },
      key: 'teamRewards.depth',
      says: /unknown key/,
    },
    {
      name: 'enabled as a string',
      input: { teamRewards: { enabled: 'yes' } },
      key: 'teamRewards.enabled',
      says: /true or false/,
    },
    {
      name: 'depth 0',
      input: { teamRewards: { depthMax: '0' } },
      key: 'teamRewards.depthMax',
      says: /from 1 to 10/,
    },
    {
      name: 'depth 11',
      input: { teamRewards: { depthMax: '11' } },
      key: 'teamRewards.depthMax',
      says: /from 1 to 10/,
    },
    {
      name: 'depth with decimals',
      input: { teamRewards: { depthMax: '2.5' } },
      key: 'teamRewards.depthMax',
      says: /more than 0 decimals/,
    },
    {
      name: 'depth as a number',
      input: { teamRewards: { depthMax: 2 } },
      key: 'teamRewards.depthMax',
      says: /decimal string/,
    },
    {
      name: 'a peer share above 1',
      input: { teamRewards: { peerShare: '1.000001' } },
      key: 'teamRewards.peerShare',
      says: /between 0 and 1/,
    },
  ];
  for (const { name, input, key, says } of invalid) {
    test(`${name}: an error naming config.${key}`, () => {
      const error = configError(input);
      assert.equal(error.key, key);
      assert.ok(error.message.startsWith(`config.${key}: `), error.message);
      assert.match(error.message, says);
    });
  }

  test('a configure command with a bad level is rejected as invalid_config and changes nothing', () => {
    const state = given(chain('buyer', 'up'));
    const before = snapshot(state);
    const refusal = rejectionOf(
      execute(state, { type: 'configure', config: { levels: [{ ...levels[0], rate: '2' }] } }),
    );
    assert.equal(refusal.code, 'invalid_config');
    assert.match(refusal.message, /^config\.levels\[0\]\.rate: /);
    assert.deepEqual(snapshot(state), before);
  });

  test('a scenario file with a bad level is an error naming the key', () => {
    assert.throws(
      () => given(chain('a'), { teamRewards: { depthMax: '99' } }),
      /config\.teamRewards\.depthMax/,
    );
  });
});

describe('the compliance report reads the team rewards', () => {
  const finding = (config: ConfigInput, rule: string): Finding => {
    const found = complianceReport(parseConfig(config)).find((candidate) => candidate.rule === rule);
    assert.ok(found, `no finding for ${rule}`);
    return found;
  };

  test('off: team-based pay is green', () => {
    assert.equal(finding({ levels }, 'team-based pay').level, 'green');
  });

  test('on with depth 2: team-based pay is amber, naming the regulation', () => {
    const result = finding(teamConfig(), 'team-based pay');
    assert.equal(result.level, 'amber');
    assert.match(result.reason, /team rewards are on/);
    assert.match(result.source, /禁止传销条例/);
  });

  test('on with depth 3: team-based pay and referral depth are red, saying why', () => {
    const team = finding(teamConfig({ depthMax: '3', peerShare: '0.1' }), 'team-based pay');
    assert.equal(team.level, 'red');
    assert.match(team.reason, /teamRewards\.depthMax 3 > 2/);
    assert.match(team.reason, /平级/);
    const depth = finding(teamConfig({ depthMax: '3' }), 'referral depth');
    assert.equal(depth.level, 'red');
    assert.match(depth.reason, /more than two referral levels/);
  });

  test('on with depth 3 but no level paying a rate: referral depth is as without team rewards', () => {
    const zeroRates = levels.map((level) => ({ ...level, rate: '0' }));
    const config = { levels: zeroRates, teamRewards: { enabled: true, depthMax: '3' } };
    assert.equal(finding(config, 'referral depth').level, 'amber');
    assert.equal(finding(config, 'team-based pay').level, 'red', 'still flagged: it is switched on');
  });
});
