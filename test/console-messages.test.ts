// The console's Chinese compliance reasons (web/src/messages.ts, web/src/compliance.ts) against the
// server's findings (src/domain/compliance.ts): every rule and level the server can give has
// Chinese text, every figure the Chinese names is one the English names (the same arithmetic), no
// placeholder is left unfilled, and no Chinese text is left that no configuration reaches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complianceReport, type Finding } from '../src/domain/compliance.ts';
import { type ConfigInput, formatConfig, parseConfig } from '../src/domain/config.ts';
import { caseOf, findingInChinese, type PlainConfig } from '../web/src/compliance.ts';
import { complianceZh } from '../web/src/messages.ts';

const noRewards = { direct: '0', indirect: '0' };
const levels = [{ name: '银卡', threshold: '1000.00', rate: '0.01' }];

/** Configurations that between them reach every case and level of every rule. */
const configurations: Record<string, ConfigInput> = {
  defaults: {},
  'cap at exactly what was spent': { capMultiple: '1.25' },
  'cap above what was spent': { capMultiple: '2', sellFee: '0' },
  'no rewards at all': {
    rewards: {
      direct: '0',
      indirect: '0',
      merchantRecruiter: '0',
      agents: { district: '0', city: '0', province: '0' },
    },
  },
  'one referral level': { rewards: { indirect: '0' } },
  'a low mint ratio': { mintRatio: '0.2' },
  'a middling mint ratio': { mintRatio: '0.4' },
  'team rewards one level deep': {
    rewards: noRewards,
    levels,
    teamRewards: { enabled: true, depthMax: '1' },
  },
  'team rewards two deep, with peers': {
    rewards: noRewards,
    levels,
    teamRewards: { enabled: true, depthMax: '2', peerShare: '0.5' },
  },
  'team rewards three deep': { levels, teamRewards: { enabled: true, depthMax: '3' } },
  'dividends, legacy conversion and a campaign on': {
    dividends: { share: '0.25' },
    legacy: { enabled: true, releaseDays: '45' },
    campaigns: [
      {
        id: 'spring',
        merchant: 'mch_1',
        startMs: '1767225600000',
        endMs: '1767312000000',
        mintRatio: '0.85',
      },
    ],
  },
  'team rewards on, no level paid': {
    levels: [{ name: '银卡', threshold: '1000.00', rate: '0' }],
    teamRewards: { enabled: true },
  },
};

interface Judged {
  readonly name: string;
  readonly config: PlainConfig;
  readonly finding: Finding;
}

function judged(): Judged[] {
  const all: Judged[] = [];
  for (const [name, input] of Object.entries(configurations)) {
    const config = parseConfig(input);
    const plain = formatConfig(config) as PlainConfig;
    for (const finding of complianceReport(config)) all.push({ name, config: plain, finding });
  }
  // Configurable texts that promise returns.
  const config = parseConfig({});
  for (const finding of complianceReport(config, { banner: '稳赚不赔' }))
    all.push({ name: 'a banner promising returns', config: formatConfig(config) as PlainConfig, finding });
  return all;
}

const numbers = (text: string): string[] => text.match(/\d+(?:\.\d+)?/g) ?? [];

test('every finding the server gives has Chinese text, with the figures the English states', () => {
  for (const { name, config, finding } of judged()) {
    const where = `${name}: "${finding.rule}" ${caseOf(finding.rule, config)}${finding.level}`;
    const chinese = findingInChinese(finding, config);
    assert.ok(chinese !== null, `${where} has no Chinese text in web/src/messages.ts (complianceZh)`);
    assert.match(chinese.reason, /[\u4e00-\u9fff]/, where);
    assert.doesNotMatch(
      chinese.reason,
      /\{\w+\}/,
      `${where}: a placeholder without a figure: ${chinese.reason}`,
    );
    for (const figure of numbers(chinese.reason)) {
      assert.ok(
        finding.reason.includes(figure),
        `${where}: ${figure} is not in the server's reason "${finding.reason}" (Chinese: ${chinese.reason})`,
      );
    }
  }
});

test('no Chinese text is left that no configuration reaches (a stale or misspelt rule id or level)', () => {
  const reached = new Set(
    judged().map(({ config, finding }) => `${finding.rule}|${caseOf(finding.rule, config)}${finding.level}`),
  );
  for (const [rule, texts] of Object.entries(complianceZh)) {
    for (const key of Object.keys(texts)) {
      if (key === 'title') continue;
      assert.ok(reached.has(`${rule}|${key}`), `complianceZh["${rule}"]["${key}"] is never used`);
    }
  }
});

test('the Chinese reason of the default configuration reads as the console shows it', () => {
  const config = formatConfig(parseConfig({})) as PlainConfig;
  const staticReturn = findingInChinese({ rule: 'maximum static return', level: 'green' }, config);
  assert.deepEqual(staticReturn, {
    title: '最高静态收益',
    reason:
      '封顶倍数 1.200000 ×（1 − 卖出手续费 0.200000）= 0.960000：即使达到封顶，会员拿回的也少于所花的钱',
  });
  // A rule the console has no Chinese for is shown in the server's English.
  assert.equal(findingInChinese({ rule: 'a rule added later', level: 'red' }, config), null);
});
