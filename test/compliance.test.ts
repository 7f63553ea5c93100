// The compliance report: each rule at its edges, and `poolpoint check-config` on the seed's defaults
// (green static return, 1.2 × 0.8 = 0.96) and on capMultiple 2 (red, 1.6).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { complianceReport, type Finding, maximumStaticReturnPpm } from '../src/domain/compliance.ts';
import { parseConfig } from '../src/domain/config.ts';

const root = new URL('..', import.meta.url).pathname;
const folder = mkdtempSync(join(tmpdir(), 'poolpoint-compliance-'));

const finding = (findings: Finding[], rule: string): Finding => {
  const found = findings.find((candidate) => candidate.rule === rule);
  assert.ok(found, `no finding for ${rule}`);
  return found;
};

function checkConfig(content: unknown, ...flags: string[]) {
  const file = join(folder, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return spawnSync(process.execPath, [join(root, 'bin/poolpoint.js'), 'check-config', file, ...flags], {
    encoding: 'utf8',
  });
}

describe('maximum static return capMultiple × (1 − sellFee)', () => {
  test('given the defaults, it is 0.96 and green', () => {
    const config = parseConfig({});
    assert.equal(maximumStaticReturnPpm(config), 960_000n);
    assert.equal(finding(complianceReport(config), 'maximum static return').level, 'green');
  });
  test('given capMultiple 1.25 and sellFee 0.2, it is exactly 1: amber', () => {
    const config = parseConfig({ capMultiple: '1.25' });
    assert.equal(finding(complianceReport(config), 'maximum static return').level, 'amber');
  });
  test('given capMultiple 2, it is 1.6: red, saying a member is paid more than spent', () => {
    const result = finding(complianceReport(parseConfig({ capMultiple: '2' })), 'maximum static return');
    assert.equal(result.level, 'red');
    assert.match(result.reason, /= 1\.600000/);
    assert.match(result.reason, /more than they spent/);
    assert.match(result.source, /消费返利/);
  });
});

describe('the programs: turning one on shows what it risks', () => {
  test('given the defaults, dividends, legacy conversion and campaigns are green (off)', () => {
    const findings = complianceReport(parseConfig({}));
    for (const rule of ['shareholder dividends', 'legacy conversion', 'clearance campaigns'])
      assert.equal(finding(findings, rule).level, 'green', rule);
  });
  test("given dividends on, amber: income from other people's orders, never sell shareholder places", () => {
    const result = finding(
      complianceReport(parseConfig({ dividends: { share: '0.25' } })),
      'shareholder dividends',
    );
    assert.equal(result.level, 'amber');
    assert.match(result.reason, /dividends\.share 0\.250000/);
    assert.match(result.reason, /never sell shareholder places/);
    assert.match(result.source, /444/);
  });
  test('given legacy conversion on, amber: the platform funds the coin part, points locked for the release days', () => {
    const config = parseConfig({ legacy: { enabled: true, releaseDays: '45' } });
    const result = finding(complianceReport(config), 'legacy conversion');
    assert.equal(result.level, 'amber');
    assert.match(result.reason, /platform funds/);
    assert.match(result.reason, /locked for 45 days/);
  });
  test('given two campaigns, amber, naming the highest mint ratio and that it never exceeds the inflow', () => {
    const window = { merchant: 'mch_1', startMs: '1767225600000', endMs: '1767312000000' };
    const config = parseConfig({
      campaigns: [
        { id: 'a', ...window, mintRatio: '0.85' },
        { id: 'b', ...window, mintRatio: '0.9' },
      ],
    });
    const result = finding(complianceReport(config), 'clearance campaigns');
    assert.equal(result.level, 'amber');
    assert.match(result.reason, /^2 clearance campaigns mint up to 0\.900000 of the pool inflow/);
    assert.match(result.source, /广告法/);
  });
});

describe('the other rules', () => {
  test('referral depth: two paid levels are amber, one is green, none is green', () => {
    assert.equal(finding(complianceReport(parseConfig({})), 'referral depth').level, 'amber');
    const one = parseConfig({ rewards: { indirect: '0' } });
    assert.equal(finding(complianceReport(one), 'referral depth').level, 'green');
    const none = parseConfig({ rewards: { direct: '0', indirect: '0' } });
    assert.match(finding(complianceReport(none), 'referral depth').reason, /no referral rewards/);
  });
  test('agents paid on regional orders are amber, with the warning against selling territories', () => {
    const result = finding(complianceReport(parseConfig({})), 'regional agents');
    assert.equal(result.level, 'amber');
    assert.match(result.reason, /territories/);
    const off = parseConfig({ rewards: { agents: { district: '0', city: '0', province: '0' } } });
    assert.equal(finding(complianceReport(off), 'regional agents').level, 'green');
  });
  test('a low mint ratio makes the price outrun consumption: amber below 0.5, red below 0.3', () => {
    assert.equal(
      finding(complianceReport(parseConfig({ mintRatio: '0.5' })), 'price growth against consumption').level,
      'green',
    );
    assert.equal(
      finding(complianceReport(parseConfig({ mintRatio: '0.4' })), 'price growth against consumption').level,
      'amber',
    );
    assert.equal(
      finding(complianceReport(parseConfig({ mintRatio: '0.29' })), 'price growth against consumption').level,
      'red',
    );
  });
  test('configurable texts promising returns are red and quoted; plain wording is green', () => {
    const config = parseConfig({});
    const red = finding(
      complianceReport(config, { banner: '消费全返，稳赚不赔', footer: 'Risk-free income' }),
      'wording of returns',
    );
    assert.equal(red.level, 'red');
    assert.match(red.reason, /banner: "稳赚"/);
    assert.match(red.reason, /footer: "risk-free"/);
    const green = finding(
      complianceReport(config, { banner: '积分价值随盈利池变化，可能下降为零以外的任何值之前请阅读规则' }),
      'wording of returns',
    );
    assert.equal(green.level, 'green');
  });
});

describe('poolpoint check-config', () => {
  test('the seed defaults: green for the static return, exit 0', () => {
    const run = checkConfig({});
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^GREEN maximum static return: .*= 0\.960000/m);
    assert.match(run.stdout, /no red findings/);
  });
  test('capMultiple 2: red for the static return with the reason, exit 1', () => {
    const run = checkConfig({ config: { capMultiple: '2' } });
    assert.equal(run.status, 1);
    assert.match(
      run.stdout,
      /^RED {3}maximum static return: .*= 1\.600000: a member reaching the cap is paid more than they spent/m,
    );
  });
  test('--json lists every finding; a bad configuration is one clear error', () => {
    const run = checkConfig({ capMultiple: '2' }, '--json');
    const findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings;
    assert.equal(findings.length, 10);
    const bad = checkConfig({ capMultiple: 2 });
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /config\.capMultiple/);
  });
});
