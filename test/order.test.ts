// SPEC.md "Settling an order": binding, commission, pool and budget, rewards, agents, minting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { printedPrice } from '../src/domain/report.ts';
import type { State } from '../src/domain/state.ts';
import { merchantPayable } from '../src/domain/views.ts';
import {
  acceptedEvents,
  given,
  givenAccepted,
  inject,
  member,
  members,
  order,
  sell,
  when,
} from './support/given.ts';

// One order of 1000.00 at the default 20% commission: 200.00 commission, 160.00 into the pool,
// a 20.00 reward budget and 112.00 of minted value.
const thousand = '1000.00';

/** The reward each member received, in cents, for the members named. */
const rewardsOf = (state: State, ...ids: string[]) =>
  Object.fromEntries(ids.map((id) => [id, member(state, id).rewards]));

describe('binding on the first order (收款码锁粉)', () => {
  const shop = { id: 'm1', owner: 'owner' };

  test('an unbound buyer is bound to the merchant owner, who is paid the direct reward', () => {
    const state = given({ members: members('owner', 'u1'), merchants: [shop] });

    const [settled] = acceptedEvents(when(state, order('o1', 'u1', 'm1', thousand)));

    assert.equal(member(state, 'u1').referrer, 'owner');
    assert.equal(settled?.type === 'OrderSettled' && settled.bound, 'owner');
    assert.equal(member(state, 'owner').wallet, 300n);
  });

  test('a buyer above the owner in the referral tree is not bound under its own downline', () => {
    const state = given({
      members: [{ id: 'top' }, { id: 'middle', referrer: 'top' }, { id: 'owner', referrer: 'middle' }],
      merchants: [shop],
    });

    acceptedEvents(when(state, order('o1', 'top', 'm1', thousand)));

    assert.equal(member(state, 'top').referrer, null);
    assert.equal(member(state, 'owner').wallet, 0n);
  });

  test('the owner buying in its own shop is not bound to itself', () => {
    const state = given({ members: members('owner'), merchants: [shop] });

    acceptedEvents(when(state, order('o1', 'owner', 'm1', thousand)));

    assert.equal(member(state, 'owner').referrer, null);
    assert.equal(member(state, 'owner').rewards, 0n);
  });

  test('with bindOnFirstOrder false nobody is bound and no direct reward is paid', () => {
    const state = given({ members: members('owner', 'u1'), merchants: [shop] }, { bindOnFirstOrder: false });

    acceptedEvents(when(state, order('o1', 'u1', 'm1', thousand)));

    assert.equal(member(state, 'u1').referrer, null);
    assert.equal(member(state, 'owner').wallet, 0n);
  });

  test('the first binding wins: a later order at another owner’s shop pays the first owner', () => {
    const state = given({
      members: members('first', 'second', 'u1'),
      merchants: [
        { id: 'm1', owner: 'first' },
        { id: 'm2', owner: 'second' },
      ],
    });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));
    const [settled] = acceptedEvents(when(state, order('o2', 'u1', 'm2', thousand)));

    assert.equal(member(state, 'u1').referrer, 'first');
    assert.equal(settled?.type === 'OrderSettled' && settled.bound, null);
    assert.deepEqual(rewardsOf(state, 'first', 'second'), { first: 600n, second: 0n });
  });

  test('a buyer with a referrer from the setup is never rebound', () => {
    const state = given({
      members: [{ id: 'sponsor' }, { id: 'owner' }, { id: 'u1', referrer: 'sponsor' }],
      merchants: [shop],
    });

    acceptedEvents(when(state, order('o1', 'u1', 'm1', thousand)));

    assert.equal(member(state, 'u1').referrer, 'sponsor');
    assert.deepEqual(rewardsOf(state, 'sponsor', 'owner'), { sponsor: 300n, owner: 0n });
  });
});

describe('commission, payable, pool inflow and budget', () => {
  test('a merchant’s own commissionRate overrides the default', () => {
    const state = given({
      members: members('u1'),
      merchants: [{ id: 'cheap', commissionRate: '0.10' }, { id: 'standard' }],
    });

    givenAccepted(state, order('o1', 'u1', 'cheap', thousand));
    // commission 100.00: pool 80.00, budget 10.00 unspent (no recipients), platform 20.00
    assert.equal(merchantPayable(state, 'cheap'), 90_000n);
    assert.equal(state.pool, 8_000n);
    assert.equal(state.platform, 2_000n);
    assert.equal(member(state, 'u1').points, 56_000_000n);

    givenAccepted(state, order('o2', 'u1', 'standard', thousand));
    assert.equal(merchantPayable(state, 'standard'), 80_000n);
    assert.equal(state.pool, 24_000n);
  });

  test('every share is floored at its own step and the platform keeps what rounding leaves', () => {
    const state = given({ members: members('u1'), merchants: [{ id: 'm1' }] });

    givenAccepted(state, order('o1', 'u1', 'm1', '0.99'));

    // commission floor(19.8) = 19, payable 80, inflow floor(15.2) = 15, value floor(10.5) = 10
    assert.equal(merchantPayable(state, 'm1'), 80n);
    assert.equal(state.pool, 15n);
    assert.equal(state.platform, 4n);
    assert.equal(member(state, 'u1').points, 100_000n);
  });

  test('the pool gets poolShare of the commission; the platform keeps it less inflow and rewards', () => {
    const state = given({
      members: [{ id: 'boss' }, { id: 'owner', referrer: 'boss' }, { id: 'promoter' }, { id: 'u1' }],
      merchants: [{ id: 'm1', owner: 'owner', recruiter: 'promoter' }],
    });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    // commission 200.00 = pool 160.00 + rewards 3.00 + 2.00 + 5.00 + platform 30.00
    assert.equal(state.pool, 16_000n);
    assert.deepEqual(rewardsOf(state, 'owner', 'boss', 'promoter'), {
      owner: 300n,
      boss: 200n,
      promoter: 500n,
    });
    assert.equal(state.platform, 3_000n);
    assert.equal(merchantPayable(state, 'm1'), 80_000n);
  });

  test('a zero commission puts nothing anywhere but the payable', () => {
    const state = given({
      members: members('owner', 'u1'),
      merchants: [{ id: 'm1', owner: 'owner', commissionRate: '0' }],
    });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(merchantPayable(state, 'm1'), 100_000n);
    assert.deepEqual([state.pool, state.platform, state.supply], [0n, 0n, 0n]);
    assert.equal(member(state, 'owner').rewards, 0n);
    assert.equal(member(state, 'u1').referrer, 'owner');
  });
});

describe('rewards: direct, indirect, merchant recruiter, and the budget', () => {
  const setup = {
    members: [
      { id: 'grand' },
      { id: 'parent', referrer: 'grand' },
      { id: 'u1', referrer: 'parent' },
      { id: 'promoter' },
    ],
    merchants: [{ id: 'm1', recruiter: 'promoter' }],
  };

  test('the referrer, the referrer’s referrer and the recruiter are paid their rates into their wallets', () => {
    const state = given(setup);

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'parent', 'grand', 'promoter', 'u1'), {
      parent: 300n,
      grand: 200n,
      promoter: 500n,
      u1: 0n,
    });
    assert.equal(member(state, 'promoter').wallet, 500n);
  });

  test('an exhausted budget cuts the rewards in order: direct first, then indirect, then recruiter', () => {
    // budget floor(200.00 × 0.03) = 6.00: direct 3.00, indirect 2.00, recruiter cut to 1.00
    const state = given(setup, { distributionShare: '0.03' });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'parent', 'grand', 'promoter'), {
      parent: 300n,
      grand: 200n,
      promoter: 100n,
    });
    assert.equal(state.platform, 20_000n - 16_000n - 600n);
  });

  test('a budget smaller than the direct reward leaves nothing for the others', () => {
    // budget floor(200.00 × 0.01) = 2.00
    const state = given(setup, { distributionShare: '0.01' });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'parent', 'grand', 'promoter'), {
      parent: 200n,
      grand: 0n,
      promoter: 0n,
    });
  });

  test('missing recipients get nothing and use no budget', () => {
    // budget 5.00; no referrer, no referrer’s referrer: the recruiter is paid in full
    const state = given(
      { members: members('u1', 'promoter'), merchants: [{ id: 'm1', recruiter: 'promoter' }] },
      { distributionShare: '0.025' },
    );

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'promoter').rewards, 500n);
    assert.equal(state.platform, 20_000n - 16_000n - 500n);
  });

  test('a referrer without a referrer gets the direct reward and no indirect reward is paid', () => {
    const state = given({
      members: [{ id: 'parent' }, { id: 'u1', referrer: 'parent' }],
      merchants: [{ id: 'm1' }],
    });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'parent').rewards, 300n);
    assert.equal(state.platform, 20_000n - 16_000n - 300n);
  });
});

describe('agents: district → city → province, differential (级差)', () => {
  const agentMembers = members('u1', 'district', 'city', 'province');
  const shop = { id: 'm1', region: '440306' };
  const district = { member: 'district', level: 'district', region: '440306' };
  // An agent's own region is cut at its level: 440399 is city 440300, 441234 is province 440000.
  const city = { member: 'city', level: 'city', region: '440399' };
  const province = { member: 'province', level: 'province', region: '441234' };

  test('each level is paid its rate less the highest rate already reached', () => {
    const state = given({ members: agentMembers, merchants: [shop], agents: [district, city, province] });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'district', 'city', 'province'), {
      district: 100n,
      city: 100n,
      province: 100n,
    });
  });

  test('a level with no agent is skipped and the next level is paid over the last one reached', () => {
    const state = given({ members: agentMembers, merchants: [shop], agents: [district, province] });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'district', 'city', 'province'), {
      district: 100n,
      city: 0n,
      province: 200n,
    });
  });

  test('a lone province agent is paid its whole rate', () => {
    const state = given({ members: agentMembers, merchants: [shop], agents: [province] });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'province').rewards, 300n);
  });

  test('a level whose rate is not above the rate reached is skipped', () => {
    const state = given(
      { members: agentMembers, merchants: [shop], agents: [district, city, province] },
      { rewards: { agents: { district: '0.002', city: '0.002', province: '0.003' } } },
    );

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'district', 'city', 'province'), {
      district: 200n,
      city: 0n,
      province: 100n,
    });
  });

  test('an agent reached counts even when its pay rounds to nothing', () => {
    // 9.99 × 0.1% floors to 0 for the district agent; the city agent gets 9.99 × (0.2% − 0.1%) = 0,
    // not 9.99 × 0.2% = 0.01.
    const state = given({ members: agentMembers, merchants: [shop], agents: [district, city] });

    givenAccepted(state, order('o1', 'u1', 'm1', '9.99'));

    assert.deepEqual(rewardsOf(state, 'district', 'city'), { district: 0n, city: 0n });
  });

  test('an agent whose pay the budget cuts is still reached; the later levels get nothing', () => {
    // budget floor(200.00 × 0.0075) = 1.50: district 1.00, city cut from 1.00 to 0.50, province 0.
    // A cut leaves nothing, so the rate the cut agent reached only shows where pay rounds to zero
    // (the test above); here the cut itself is what can be seen.
    const state = given(
      { members: agentMembers, merchants: [shop], agents: [district, city, province] },
      { distributionShare: '0.0075' },
    );

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.deepEqual(rewardsOf(state, 'district', 'city', 'province'), {
      district: 100n,
      city: 50n,
      province: 0n,
    });
  });

  test('agents are paid after direct, indirect and recruiter, from what they leave of the budget', () => {
    // budget floor(200.00 × 0.055) = 11.00; direct 3.00 and recruiter 5.00 leave 3.00 for the agents
    const state = given(
      {
        members: [...agentMembers, { id: 'owner' }, { id: 'promoter' }],
        merchants: [{ ...shop, owner: 'owner', recruiter: 'promoter' }],
        agents: [district, city, province],
      },
      {
        distributionShare: '0.055',
        rewards: { agents: { district: '0.001', city: '0.003', province: '0.009' } },
      },
    );

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    // district 1.00, city 3.00 − 1.00 = 2.00 (all that is left), province 9.00 − 3.00 cut to 0
    assert.deepEqual(rewardsOf(state, 'owner', 'promoter', 'district', 'city', 'province'), {
      owner: 300n,
      promoter: 500n,
      district: 100n,
      city: 200n,
      province: 0n,
    });
  });

  test('agents of another region are not paid; a merchant without a region pays no agents', () => {
    const state = given({
      members: agentMembers,
      merchants: [{ id: 'beijing', region: '110105' }, { id: 'nowhere' }],
      agents: [district, city, province],
    });

    givenAccepted(state, order('o1', 'u1', 'beijing', thousand), order('o2', 'u1', 'nowhere', thousand));

    assert.deepEqual(rewardsOf(state, 'district', 'city', 'province'), {
      district: 0n,
      city: 0n,
      province: 0n,
    });
  });

  test('a shop in another district of the same city pays the city and province agents', () => {
    const state = given({
      members: agentMembers,
      merchants: [{ id: 'm2', region: '440305' }],
      agents: [district, city, province],
    });

    givenAccepted(state, order('o1', 'u1', 'm2', thousand));

    assert.deepEqual(rewardsOf(state, 'district', 'city', 'province'), {
      district: 0n,
      city: 200n,
      province: 100n,
    });
  });
});

describe('minting', () => {
  const shop = { id: 'm1' };

  test('the first points are minted at initialPrice', () => {
    const state = given({ members: members('u1'), merchants: [shop] }, { initialPrice: '2.50' });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'u1').points, 44_800_000n);
    assert.equal(state.supply, 44_800_000n);
    assert.equal(state.pool, 16_000n);
  });

  test('points are minted at the price before the order’s own inflow', () => {
    const state = given({ members: members('u1', 'u2'), merchants: [shop] });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand), order('o2', 'u2', 'm1', thousand));

    // 112.00 of value at 160.00 / 112 points, not at 320.00 / 112
    assert.equal(member(state, 'u2').points, 78_400_000n);
    assert.equal(state.pool, 32_000n);
  });

  test('initialPrice holds while the supply has never been above zero, injections included', () => {
    const state = given({ members: members('u1'), merchants: [shop] });

    givenAccepted(state, inject('i1', '100.00'), order('tiny', 'u1', 'm1', '0.01'));
    assert.equal(state.supply, 0n);
    assert.equal(printedPrice(state), '1.000000');

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'u1').points, 112_000_000n);
    assert.equal(state.pool, 26_000n);
  });

  test('after the supply fell to zero, the next mint uses the last price and leftover cash goes to the new holder', () => {
    const state = given({ members: members('u1', 'u2'), merchants: [shop] });
    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    // selling all 112 points: gross 160.00, payout 128.00, the 32.00 fee stays in the pool
    givenAccepted(state, sell('s1', 'u1', '112'));
    assert.deepEqual([state.pool, state.supply], [3_200n, 0n]);
    assert.equal(printedPrice(state), '1.428571');

    givenAccepted(state, inject('i1', '50.00'));
    assert.equal(printedPrice(state), '1.428571');

    givenAccepted(state, order('o2', 'u2', 'm1', thousand));

    assert.equal(member(state, 'u2').points, 78_400_000n);
    assert.equal(state.supply, 78_400_000n);
    assert.equal(state.pool, 3_200n + 5_000n + 16_000n);
    assert.equal(printedPrice(state), '3.086734');
  });

  test('maxMintValuePerOrder caps the minted value; the whole inflow still enters the pool', () => {
    const state = given({ members: members('u1'), merchants: [shop] }, { maxMintValuePerOrder: '50.00' });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'u1').points, 50_000_000n);
    assert.equal(state.pool, 16_000n);
  });

  test('mintRatio sets the share of the inflow minted', () => {
    const state = given({ members: members('u1'), merchants: [shop] }, { mintRatio: '0.5' });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand));

    assert.equal(member(state, 'u1').points, 80_000_000n);
  });

  test('the buyer’s lifetime and cycle consumption grow by the amount', () => {
    const state = given({ members: members('u1'), merchants: [shop] });

    givenAccepted(state, order('o1', 'u1', 'm1', thousand), order('o2', 'u1', 'm1', '0.50'));

    const buyer = member(state, 'u1');
    assert.equal(buyer.consumption, 100_050n);
    assert.equal(buyer.cycleConsumption, 100_050n);
    assert.equal(buyer.cycleOpen, true);
  });
});
