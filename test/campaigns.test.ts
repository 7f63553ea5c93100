// docs/rules.md "Clearance campaigns": a merchant or one product line mints at a boosted ratio for
// paid orders paid within [startMs, endMs); immediate orders carry no time and are never covered;
// the configuration keys, the campaign totals and the price that never falls.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CampaignInput } from '../src/domain/campaigns.ts';
import { ConfigError, type ConfigInput, formatConfig, parseConfig } from '../src/domain/config.ts';
import { execute } from '../src/domain/engine.ts';
import type { Command, Event, PaidOrderSettled, Pay } from '../src/domain/messages.ts';
import { reportState } from '../src/domain/report.ts';
import type { State } from '../src/domain/state.ts';
import { cents, micros } from '../src/domain/units.ts';
import { parseScenario, replayScenario } from '../src/scenario/scenario.ts';
import { acceptedEvents, given, member, rejectionOf, snapshot } from './support/given.ts';
import { defaultHoldMs, orderNow, settle } from './support/lifecycle.ts';

/** 2025-03-01T00:00:00.000Z and 12:00 the same day: a campaign that ends mid-day. */
const startMs = Date.UTC(2025, 2, 1);
const noonMs = Date.UTC(2025, 2, 1, 12);
const thousand = 100_000n;

const setup = {
  members: [{ id: 'buyer' }, { id: 'other' }],
  merchants: [{ id: 'm1' }, { id: 'm2' }],
};

const spring: CampaignInput = {
  id: 'spring',
  merchant: 'm1',
  startMs: String(startMs),
  endMs: String(noonMs),
  mintRatio: '0.90',
};

const withCampaigns = (...campaigns: CampaignInput[]): ConfigInput => ({ campaigns });

function payAt(id: string, paidAtMs: number, fields: Partial<Pay> = {}): Pay {
  return {
    type: 'pay',
    id,
    member: 'buyer',
    merchant: 'm1',
    amount: cents(thousand),
    paidAtMs,
    ...fields,
  };
}

function run(state: State, ...commands: Command[]): readonly Event[] {
  return commands.flatMap((command) => acceptedEvents(execute(state, command)));
}

/** Pays, then settles when due, in a state of its own: the settlement event. */
function settledAlone(config: ConfigInput, paid: Pay, before: Command[] = []): PaidOrderSettled {
  const state = given(setup, config);
  run(state, ...before, paid);
  const [event] = run(state, settle(paid.id, paid.paidAtMs + defaultHoldMs));
  assert.equal(event?.type, 'PaidOrderSettled');
  return event as PaidOrderSettled;
}

/** At the initial price of 1.00, 1000.00 mints 112 points at 0.70 and 144 at 0.90. */
const usual = 112_000_000n;
const boosted = 144_000_000n;

describe('the window is half-open, in milliseconds: [startMs, endMs)', () => {
  const cases: { name: string; paidAtMs: number; minted: bigint; campaign?: string }[] = [
    { name: 'a millisecond before the start', paidAtMs: startMs - 1, minted: usual },
    { name: 'at the start', paidAtMs: startMs, minted: boosted, campaign: 'spring' },
    {
      name: 'a millisecond before the end (11:59:59.999)',
      paidAtMs: noonMs - 1,
      minted: boosted,
      campaign: 'spring',
    },
    { name: 'at the end (12:00:00.000, mid-day)', paidAtMs: noonMs, minted: usual },
  ];
  for (const { name, paidAtMs, minted, campaign } of cases) {
    test(`given a campaign ending at noon, an order paid ${name} mints ${minted / 1_000_000n} points`, () => {
      const event = settledAlone(withCampaigns(spring), payAt('p1', paidAtMs));
      assert.equal(event.minted, minted);
      assert.equal(event.campaign, campaign);
      assert.equal('campaign' in event, campaign !== undefined, 'no campaign field when none applied');
      assert.equal(event.inflow, 16_000n, 'the inflow is unchanged');
      assert.equal(event.commission, 20_000n);
    });
  }

  test('the paid time decides, not the settlement time: settled days after the end, still boosted', () => {
    const event = settledAlone(withCampaigns(spring), payAt('p1', noonMs - 1));
    assert.equal(event.command.nowMs, noonMs - 1 + defaultHoldMs);
    assert.equal(event.minted, boosted);
  });
});

describe('which orders a campaign covers', () => {
  test('an immediate order carries no time: never covered, even with a campaign for its merchant', () => {
    const state = given(
      setup,
      withCampaigns({ ...spring, startMs: '0', endMs: String(Number.MAX_SAFE_INTEGER) }),
    );
    const [event] = run(state, orderNow('o1', 'buyer', 'm1', thousand));
    assert.equal(event?.type === 'OrderSettled' && event.minted, usual);
    assert.equal(state.campaignTotals.size, 0);
  });

  test('another merchant is not covered', () => {
    const event = settledAlone(withCampaigns(spring), payAt('p1', startMs, { merchant: 'm2' }));
    assert.equal(event.minted, usual);
    assert.equal(event.campaign, undefined);
  });

  test('a campaign for a product line covers only paid orders of that line', () => {
    const coats = { ...spring, id: 'coats', productLine: 'winter-coats' };
    const config = withCampaigns(coats);
    assert.equal(settledAlone(config, payAt('p1', startMs, { productLine: 'winter-coats' })).minted, boosted);
    assert.equal(settledAlone(config, payAt('p1', startMs, { productLine: 'boots' })).minted, usual);
    assert.equal(settledAlone(config, payAt('p1', startMs)).minted, usual, 'an order naming no line');
  });

  test('a campaign for the whole merchant covers every product line', () => {
    const event = settledAlone(withCampaigns(spring), payAt('p1', startMs, { productLine: 'boots' }));
    assert.equal(event.minted, boosted);
  });

  test('of several campaigns covering an order, the highest ratio; of equal ratios, the first listed', () => {
    const coats = { ...spring, id: 'coats', productLine: 'winter-coats', mintRatio: '0.95' };
    const higher = settledAlone(
      withCampaigns(spring, coats),
      payAt('p1', startMs, { productLine: 'winter-coats' }),
    );
    assert.equal(higher.campaign, 'coats');
    assert.equal(higher.minted, 152_000_000n);
    const twin = { ...spring, id: 'twin' };
    assert.equal(settledAlone(withCampaigns(spring, twin), payAt('p1', startMs)).campaign, 'spring');
    assert.equal(settledAlone(withCampaigns(twin, spring), payAt('p1', startMs)).campaign, 'twin');
  });

  test('the campaigns in force at settlement apply, matched against the paid time', () => {
    // Configured after the payment, before the settlement: it applies.
    const added = given(setup);
    run(added, payAt('p1', startMs), { type: 'configure', config: withCampaigns(spring) });
    const [late] = run(added, settle('p1', startMs + defaultHoldMs));
    assert.equal(late?.type === 'PaidOrderSettled' && late.campaign, 'spring');
    // In force at the payment, removed before the settlement: it does not.
    const removed = given(setup, withCampaigns(spring));
    run(removed, payAt('p1', startMs), { type: 'configure', config: {} });
    const [plain] = run(removed, settle('p1', startMs + defaultHoldMs));
    assert.equal(plain?.type === 'PaidOrderSettled' && plain.minted, usual);
  });

  test('maxMintValuePerOrder still cuts a boosted mint', () => {
    const event = settledAlone(
      { ...withCampaigns(spring), maxMintValuePerOrder: '120.00' },
      payAt('p1', startMs),
    );
    assert.equal(event.minted, 120_000_000n);
  });
});

describe('a campaign never mints more than its inflow: the price never falls', () => {
  test('given mintRatio 1, the value minted is the whole inflow and the price does not move', () => {
    const state = given(setup, withCampaigns({ ...spring, mintRatio: '1' }));
    run(state, orderNow('o1', 'other', 'm2', thousand), payAt('p1', startMs));
    const priceBefore = reportState(state).price;
    const [event] = run(state, settle('p1', startMs + defaultHoldMs));
    assert.equal(event?.type === 'PaidOrderSettled' && event.campaign, 'spring');
    // 160.00 of inflow at 160.00 per 112 points mints another 112 points: pool and supply both double.
    assert.equal(event?.type === 'PaidOrderSettled' && event.minted, 112_000_000n);
    assert.deepEqual([state.pool, state.supply], [32_000n, 224_000_000n]);
    assert.equal(reportState(state).price, priceBefore);
  });

  test('given a boosted ratio after sales and injections, the price after the settlement is at least the price before', () => {
    const state = given(setup, withCampaigns({ ...spring, mintRatio: '0.999999' }));
    run(
      state,
      orderNow('o1', 'other', 'm2', 123_456n),
      { type: 'sell', id: 's1', member: 'other', points: micros(3_333_333n) },
      { type: 'inject', id: 'i1', amount: cents(777n) },
      payAt('p1', startMs, { amount: cents(98_765n) }),
    );
    const pool = state.pool;
    const supply = state.supply;
    run(state, settle('p1', startMs + defaultHoldMs));
    assert.ok(state.pool * supply >= pool * state.supply, 'P′/S′ ≥ P/S');
  });
});

describe('campaign totals', () => {
  test('each covered settlement adds its order, amount, inflow and points to its campaign', () => {
    const state = given(setup, withCampaigns(spring));
    run(
      state,
      payAt('p1', startMs),
      payAt('p2', startMs + 1, { amount: cents(50_000n), member: 'other' }),
      payAt('p3', noonMs),
    );
    run(state, settle('p1', noonMs + defaultHoldMs), settle('p2', noonMs + defaultHoldMs));
    run(state, settle('p3', noonMs + defaultHoldMs));
    const totals = state.campaignTotals.get('spring');
    assert.deepEqual(totals && { ...totals }, {
      campaign: 'spring',
      orders: 2,
      amount: 150_000n,
      inflow: 24_000n,
      minted: boosted + member(state, 'other').points,
    });
    assert.ok(
      totals !== undefined && totals.minted < member(state, 'buyer').points + member(state, 'other').points,
    );
  });

  test('totals survive a configuration that removes the campaign', () => {
    const state = given(setup, withCampaigns(spring));
    run(state, payAt('p1', startMs), settle('p1', startMs + defaultHoldMs), {
      type: 'configure',
      config: {},
    });
    assert.equal(state.campaignTotals.get('spring')?.orders, 1);
  });
});

describe('pay with a product line', () => {
  test('an empty product line is malformed and changes nothing', () => {
    const state = given(setup, withCampaigns(spring));
    const before = snapshot(state);
    const refusal = rejectionOf(execute(state, payAt('p1', startMs, { productLine: '' })));
    assert.equal(refusal.code, 'malformed');
    assert.match(refusal.message, /productLine/);
    assert.deepEqual(snapshot(state), before);
  });

  test('the product line is content: the same id with another line is id_reused, with the same a duplicate', () => {
    const state = given(setup, withCampaigns(spring));
    run(state, payAt('p1', startMs, { productLine: 'coats' }));
    assert.equal(execute(state, payAt('p1', startMs + 5, { productLine: 'coats' })).kind, 'duplicate');
    assert.equal(
      rejectionOf(execute(state, payAt('p1', startMs, { productLine: 'boots' }))).code,
      'id_reused',
    );
    assert.equal(rejectionOf(execute(state, payAt('p1', startMs))).code, 'id_reused');
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

describe('configuration: campaigns', () => {
  test('none by default, and a configuration without campaigns formats without the key', () => {
    assert.deepEqual(parseConfig({}).campaigns, []);
    assert.ok(!('campaigns' in formatConfig(parseConfig({ campaigns: [] }))));
  });

  test('formatConfig round-trips campaigns; a product line is printed only when given', () => {
    const config = parseConfig(withCampaigns(spring, { ...spring, id: 'coats', productLine: 'coats' }));
    assert.deepEqual(config.campaigns[0], {
      id: 'spring',
      merchant: 'm1',
      productLine: null,
      startMs,
      endMs: noonMs,
      mintRatio: 900_000n,
    });
    const printed = formatConfig(config);
    assert.deepEqual(printed.campaigns, [
      { ...spring, mintRatio: '0.900000' },
      { ...spring, id: 'coats', productLine: 'coats', mintRatio: '0.900000' },
    ]);
    assert.deepEqual(parseConfig(printed), config);
    assert.deepEqual(
      parseConfig(withCampaigns({ ...spring, productLine: null })).campaigns[0]?.productLine,
      null,
    );
  });

  const invalid: { name: string; input: unknown; key: string; says: RegExp }[] = [
    { name: 'not a list', input: { campaigns: spring }, key: 'campaigns', says: /expected an array/ },
    {
      name: 'more than 64',
      input: { campaigns: Array.from({ length: 65 }, (_, index) => ({ ...spring, id: `c${index}` })) },
      key: 'campaigns',
      says: /at most 64/,
    },
    { name: 'not an object', input: withCampaigns('spring' as never), key: 'campaigns[0]', says: /object/ },
    {
      name: 'an unknown key',
      input: withCampaigns({ ...spring, budget: '10.00' } as never),
      key: 'campaigns[0].budget',
      says: /unknown key/,
    },
    {
      name: 'a ratio above 1 (it would mint more than the inflow)',
      input: withCampaigns({ ...spring, mintRatio: '1.01' }),
      key: 'campaigns[0].mintRatio',
      says: /between 0 and 1/,
    },
    {
      name: 'a ratio below mintRatio',
      input: withCampaigns({ ...spring, mintRatio: '0.69' }),
      key: 'campaigns[0].mintRatio',
      says: /must not be below mintRatio \(0\.700000\)/,
    },
    {
      name: 'a mintRatio raised above a listed campaign',
      input: { mintRatio: '0.95', campaigns: [spring] },
      key: 'campaigns[0].mintRatio',
      says: /below mintRatio \(0\.950000\)/,
    },
    {
      name: 'an empty window',
      input: withCampaigns({ ...spring, endMs: String(startMs) }),
      key: 'campaigns[0].endMs',
      says: /after startMs/,
    },
    {
      name: 'a time as a number',
      input: withCampaigns({ ...spring, startMs: startMs as never }),
      key: 'campaigns[0].startMs',
      says: /decimal string/,
    },
    {
      name: 'a time with decimals',
      input: withCampaigns({ ...spring, endMs: `${noonMs}.5` }),
      key: 'campaigns[0].endMs',
      says: /more than 0 decimals/,
    },
    {
      name: 'a time past 2^53 − 1',
      input: withCampaigns({ ...spring, endMs: '9007199254740992' }),
      key: 'campaigns[0].endMs',
      says: /whole milliseconds/,
    },
    {
      name: 'a negative time',
      input: withCampaigns({ ...spring, startMs: '-1' }),
      key: 'campaigns[0].startMs',
      says: /whole milliseconds/,
    },
    {
      name: 'an empty merchant',
      input: withCampaigns({ ...spring, merchant: '' }),
      key: 'campaigns[0].merchant',
      says: /1 to 64 characters/,
    },
    {
      name: 'an empty product line',
      input: withCampaigns({ ...spring, productLine: '' }),
      key: 'campaigns[0].productLine',
      says: /1 to 64 characters/,
    },
    {
      name: 'an id used twice',
      input: withCampaigns(spring, { ...spring, merchant: 'm2' }),
      key: 'campaigns[1].id',
      says: /"spring" names two campaigns/,
    },
  ];
  for (const { name, input, key, says } of invalid) {
    test(`${name}: an error naming config.${key}`, () => {
      const error = configError(input);
      assert.equal(error.key, key);
      assert.match(error.message, says);
    });
  }

  test('a configure command with a bad campaign is rejected as invalid_config and changes nothing', () => {
    const state = given(setup);
    const before = snapshot(state);
    const refusal = rejectionOf(
      execute(state, { type: 'configure', config: withCampaigns({ ...spring, mintRatio: '2' }) }),
    );
    assert.equal(refusal.code, 'invalid_config');
    assert.deepEqual(snapshot(state), before);
  });
});

describe('with every program configured but off or inapplicable, every vector gives its exact answer', () => {
  const folder = fileURLToPath(new URL('fixtures/vectors/', import.meta.url));
  const names = readdirSync(folder)
    .filter((name) => name.endsWith('.json') && !name.endsWith('.expected.json'))
    .map((name) => name.slice(0, -'.json'.length));
  for (const name of names) {
    test(`${name}: levels listed, team rewards off, campaigns on every merchant (immediate orders)`, () => {
      const raw = JSON.parse(readFileSync(`${folder}${name}.json`, 'utf8')) as {
        config?: ConfigInput;
        setup?: { merchants?: { id: string }[] };
      };
      const campaigns = (raw.setup?.merchants ?? []).map((merchant, index) => ({
        id: `c${index}`,
        merchant: merchant.id,
        startMs: '0',
        endMs: String(Number.MAX_SAFE_INTEGER),
        mintRatio: '1',
      }));
      const config = {
        ...raw.config,
        levels: [{ name: 'anyone', threshold: '0.00', rate: '0.5' }],
        teamRewards: { enabled: false, depthMax: '10', peerShare: '1' },
        campaigns,
      };
      const result = replayScenario(parseScenario({ ...raw, config }));
      const expected = JSON.parse(readFileSync(`${folder}${name}.expected.json`, 'utf8'));
      assert.deepEqual(
        { ...reportState(result.state), rejected: result.rejected, duplicates: result.duplicates },
        expected,
      );
    });
  }
});
