// SPEC.md "Configuration": defaults, and every invalid value an error that names its key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, configWithChanges, formatConfig, parseConfig } from '../src/domain/config.ts';

function configError(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  return assert.fail(`accepted ${JSON.stringify(input)}`);
}

test('an empty config takes the defaults of SPEC.md, in integer units', () => {
  const config = parseConfig({});

  assert.deepEqual(
    {
      initialPrice: config.initialPrice,
      commissionRate: config.commissionRate,
      poolShare: config.poolShare,
      distributionShare: config.distributionShare,
      mintRatio: config.mintRatio,
      sellFee: config.sellFee,
      capMultiple: config.capMultiple,
      minConsumptionToSell: config.minConsumptionToSell,
      maxMintValuePerOrder: config.maxMintValuePerOrder,
      minSupply: config.minSupply,
      bindOnFirstOrder: config.bindOnFirstOrder,
      rewards: config.rewards,
    },
    {
      initialPrice: 100n,
      commissionRate: 200_000n,
      poolShare: 800_000n,
      distributionShare: 100_000n,
      mintRatio: 700_000n,
      sellFee: 200_000n,
      capMultiple: 1_200_000n,
      minConsumptionToSell: 0n,
      maxMintValuePerOrder: null,
      minSupply: 1_000_000n,
      bindOnFirstOrder: true,
      rewards: {
        direct: 3_000n,
        indirect: 2_000n,
        merchantRecruiter: 5_000n,
        agents: { district: 1_000n, city: 2_000n, province: 3_000n },
      },
    },
  );
});

test('given keys replace their defaults, nested ones one by one', () => {
  const config = parseConfig({
    capMultiple: '1.05',
    maxMintValuePerOrder: '50.00',
    rewards: { agents: { city: '0.0025' } },
  });

  assert.equal(config.capMultiple, 1_050_000n);
  assert.equal(config.maxMintValuePerOrder, 5_000n);
  assert.deepEqual(config.rewards.agents, { district: 1_000n, city: 2_500n, province: 3_000n });
  assert.equal(config.rewards.direct, 3_000n);
});

describe('unknown keys are named', () => {
  const cases: { input: unknown; key: string }[] = [
    { input: { capMultiplier: '2' }, key: 'capMultiplier' },
    { input: { rewards: { bonus: '0.1' } }, key: 'rewards.bonus' },
    { input: { rewards: { agents: { town: '0.001' } } }, key: 'rewards.agents.town' },
  ];
  for (const { input, key } of cases) {
    test(key, () => {
      const error = configError(input);
      assert.equal(error.key, key);
      assert.equal(error.message, `config.${key}: unknown key`);
    });
  }

  for (const key of ['constructor', 'toString', 'hasOwnProperty']) {
    test(`${key} (a name every object inherits)`, () => {
      assert.equal(configError({ [key]: {} }).key, key);
      assert.equal(configError({ rewards: { [key]: {} } }).key, `rewards.${key}`);
    });
  }
});

describe('invalid values name their key and the problem', () => {
  const cases: { name: string; input: unknown; key: string; says: RegExp }[] = [
    {
      name: 'a rate above 1',
      input: { commissionRate: '1.5' },
      key: 'commissionRate',
      says: /between 0 and 1/,
    },
    { name: 'a negative rate', input: { sellFee: '-0.1' }, key: 'sellFee', says: /between 0 and 1/ },
    {
      name: 'a nested rate above 1',
      input: { rewards: { agents: { province: '1.000001' } } },
      key: 'rewards.agents.province',
      says: /between 0 and 1/,
    },
    {
      name: 'negative money',
      input: { minConsumptionToSell: '-1.00' },
      key: 'minConsumptionToSell',
      says: /negative/,
    },
    {
      name: 'a negative mint cap',
      input: { maxMintValuePerOrder: '-0.01' },
      key: 'maxMintValuePerOrder',
      says: /negative/,
    },
    {
      name: 'a negative initial price',
      input: { initialPrice: '-1.00' },
      key: 'initialPrice',
      says: /negative/,
    },
    {
      name: 'a zero initial price',
      input: { initialPrice: '0.00' },
      key: 'initialPrice',
      says: /above zero/,
    },
    { name: 'a negative capMultiple', input: { capMultiple: '-1' }, key: 'capMultiple', says: /negative/ },
    { name: 'a negative minSupply', input: { minSupply: '-1' }, key: 'minSupply', says: /negative/ },
    {
      name: 'money with 3 decimals',
      input: { initialPrice: '1.001' },
      key: 'initialPrice',
      says: /more than 2 decimals/,
    },
    {
      name: 'points with 7 decimals',
      input: { minSupply: '1.0000001' },
      key: 'minSupply',
      says: /more than 6 decimals/,
    },
    {
      name: 'a rate with 7 decimals',
      input: { poolShare: '0.1234567' },
      key: 'poolShare',
      says: /more than 6 decimals/,
    },
    {
      name: 'a malformed decimal',
      input: { poolShare: '0.8.0' },
      key: 'poolShare',
      says: /not a plain decimal/,
    },
    { name: 'an exponent', input: { capMultiple: '1.2e0' }, key: 'capMultiple', says: /not a plain decimal/ },
    { name: 'a number for a decimal', input: { sellFee: 0.2 }, key: 'sellFee', says: /the number 0\.2/ },
    { name: 'null for a rate', input: { mintRatio: null }, key: 'mintRatio', says: /got null/ },
    {
      name: 'a string for a boolean',
      input: { bindOnFirstOrder: 'yes' },
      key: 'bindOnFirstOrder',
      says: /true or false/,
    },
    {
      name: 'rewards that are not an object',
      input: { rewards: '0.01' },
      key: 'rewards',
      says: /expected an object/,
    },
    { name: 'a config that is an array', input: [], key: '(root)', says: /expected an object/ },
    {
      name: 'poolShare + distributionShare above 1',
      input: { poolShare: '0.95', distributionShare: '0.10' },
      key: 'distributionShare',
      says: /poolShare \+ distributionShare must not exceed 1/,
    },
  ];
  for (const { name, input, key, says } of cases) {
    test(name, () => {
      const error = configError(input);
      assert.equal(error.key, key);
      assert.ok(error.message.startsWith(`config.${key}: `), error.message);
      assert.match(error.message, says);
    });
  }
});

test('the edges of the ranges are valid: rates 0 and 1, shares summing to exactly 1, zero money', () => {
  const config = parseConfig({
    commissionRate: '1',
    sellFee: '0',
    poolShare: '0.9',
    distributionShare: '0.1',
    minConsumptionToSell: '0',
    maxMintValuePerOrder: '0.00',
    minSupply: '0',
    capMultiple: '0',
  });

  assert.equal(config.poolShare + config.distributionShare, 1_000_000n);
  assert.equal(config.maxMintValuePerOrder, 0n);
});

test('configWithChanges: nested objects merge key by key, lists and other values are replaced whole', () => {
  const levels = [{ name: 'gold', threshold: '1000.00', rate: '0.004' }];
  const base = parseConfig({ levels: [{ name: 'silver', threshold: '100.00', rate: '0.002' }, ...levels] });
  const changed = configWithChanges(base, { rewards: { direct: '0.004' }, levels, sellFee: '0.25' });
  assert.equal(changed.rewards?.direct, '0.004');
  assert.equal(changed.rewards?.indirect, '0.002000', 'a sibling key is kept');
  assert.deepEqual(changed.levels, levels, 'the list is replaced, not merged by index');
  assert.equal(changed.sellFee, '0.25');
  assert.equal(formatConfig(base).sellFee, '0.200000', 'the configuration itself is unchanged');
});
