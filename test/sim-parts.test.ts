// The simulator's parts: the seeded generator, the schedule, scenario files, the command line's
// refusals, percentiles, exact return ratios, stable charts and the progress bar.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { CliError } from '../src/cli/errors.ts';
import { replayCommand } from '../src/cli/replay.ts';
import { simulateCommand } from '../src/cli/simulate.ts';
import { PPM_ONE } from '../src/domain/units.ts';
import { memberView } from '../src/domain/views.ts';
import { parseScenario, replayScenario } from '../src/scenario/scenario.ts';
import { lineChart } from '../src/sim/charts.ts';
import { percentileOf } from '../src/sim/outcomes.ts';
import { namedProfiles, parseProfileFile } from '../src/sim/profile.ts';
import { Random } from '../src/sim/random.ts';
import { apportion, buildSchedule } from '../src/sim/schedule.ts';
import { simulate } from '../src/sim/simulator.ts';

const scratch = mkdtempSync(join(tmpdir(), 'poolpoint-sim-parts-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const profile = (name: string) => namedProfiles[name] ?? assert.fail(`no scenario ${name}`);

describe('the seeded generator', () => {
  test('the same seed and stream draw the same numbers; another seed or stream does not', () => {
    const draws = (seed: number, stream: number) => {
      const random = new Random(seed, stream);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    assert.deepEqual(draws(5, 1), draws(5, 1));
    assert.notDeepEqual(draws(5, 1), draws(6, 1));
    assert.notDeepEqual(draws(5, 1), draws(5, 2));
  });

  test('draws stay in range', () => {
    const random = new Random(1);
    for (let draw = 0; draw < 10_000; draw += 1) {
      const value = random.next();
      assert.ok(value >= 0 && value < 1);
      const index = random.below(7);
      assert.ok(Number.isInteger(index) && index >= 0 && index < 7);
      assert.ok(Number.isFinite(random.normal()));
    }
  });
});

describe('the schedule', () => {
  test('apportion hands out exactly the total, whatever the weights', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 400 }),
        (total, weights) => {
          fc.pre(weights.some((weight) => weight > 0));
          const counts = apportion(total, Float64Array.from(weights));
          assert.equal(
            counts.reduce((sum, count) => sum + count, 0),
            total,
          );
          assert.ok(counts.every((count) => count >= 0));
        },
      ),
    );
  });

  test('every member joins and every order is placed, in every scenario', () => {
    for (const name of Object.keys(namedProfiles)) {
      const schedule = buildSchedule(profile(name), 50_000, 4_000);
      assert.equal(
        schedule.arrivals.reduce((sum, count) => sum + count, 0),
        4_000,
        name,
      );
      assert.equal(
        schedule.repeats.reduce((sum, count) => sum + count, 0),
        46_000,
        name,
      );
    }
  });

  test('growth keeps arrivals rising; a plateau holds them level once growth stops', () => {
    const growth = buildSchedule(profile('growth'), 100_000, 20_000);
    const plateau = buildSchedule(profile('plateau'), 100_000, 20_000);
    const month = (arrivals: Int32Array, index: number) =>
      arrivals.slice(index * 30, index * 30 + 30).reduce((sum, count) => sum + count, 0);
    assert.ok(month(growth.arrivals, 11) > month(growth.arrivals, 6) * 2);
    assert.ok(Math.abs(month(plateau.arrivals, 11) - month(plateau.arrivals, 7)) <= 2);
  });
});

describe('scenario files', () => {
  const write = (name: string, content: unknown): string => {
    const path = join(scratch, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  test('a file sets arrivals, order sizes, selling, injections and configuration over a base', async () => {
    const file = write('custom.json', {
      base: 'plateau',
      days: 120,
      growthDays: 60,
      arrivals: { monthlyWeights: [1, 3, 2, 1] },
      activeDays: 45,
      orderAmount: { median: '80.00', spread: 0.5, minimum: '10.00', maximum: '900.00' },
      selling: { sellsPerOrder: 0.1, pointsShare: '0.25' },
      injections: { fromDay: 30, everyDays: 30, amount: '500.00' },
      population: { referredShare: 0.5, merchants: 7, regions: ['440306', '110105'] },
      config: { sellFee: '0.10', capMultiple: '1.5' },
    });
    const events = join(scratch, 'custom-events.json');
    const out = join(scratch, 'custom-out');
    const stdout = await simulateCommand([
      '--scenario',
      file,
      '--orders',
      '2000',
      '--members',
      '200',
      '--seed',
      '3',
      '--out',
      out,
      '--export-events',
      events,
    ]);
    assert.match(stdout, /scenario custom: 2,000 orders, 200 members, 120 days/);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    assert.equal(result.config.sellFee, '0.100000');
    assert.equal(result.cohorts.length, 4);
    assert.equal(result.summary.injected.p50, '1500.00', 'days 31, 61 and 91');
    const exported = JSON.parse(readFileSync(events, 'utf8'));
    assert.equal(exported.setup.merchants.length, 7);
    const amounts = exported.events
      .filter((event: { type: string }) => event.type === 'order')
      .map((event: { amount: string }) => Number(event.amount));
    assert.ok(amounts.every((amount: number) => amount >= 10 && amount <= 900));
    assert.deepEqual(JSON.parse(replayCommand([events])), result.final);
  });

  test('a bad scenario file is refused with one line that names the key', async () => {
    const cases: [unknown, RegExp][] = [
      [{ unknown: 1 }, /scenario\.unknown: unknown key/],
      [{ base: 'boom' }, /scenario\.base: must be one of growth, plateau, decline, run, injection/],
      [
        { orderAmount: { median: '1.234' } },
        /scenario\.orderAmount\.median: "1\.234" has more than 2 decimals/,
      ],
      [{ selling: { sellsPerOrder: 2 } }, /scenario\.selling\.sellsPerOrder: must be a number from 0 to 1/],
      [{ injections: { fromDay: 1 } }, /give exactly one of "amount" and "platformRevenueShare"/],
      [{ config: { mintRatio: '1.5' } }, /config\.mintRatio: must be a rate between 0 and 1/],
      [
        { population: { regions: ['44'] } },
        /scenario\.population\.regions\[0\]: must be a six-digit region code/,
      ],
    ];
    for (const [content, message] of cases) {
      const file = write('bad.json', content);
      await assert.rejects(
        simulateCommand([
          '--scenario',
          file,
          '--orders',
          '20',
          '--members',
          '2',
          '--seed',
          '1',
          '--out',
          join(scratch, 'never'),
        ]),
        (error: unknown) =>
          error instanceof CliError && message.test(error.message) && !error.message.includes('\n'),
        String(message),
      );
    }
  });

  test('parseProfileFile keeps the base for what the file leaves out', () => {
    const parsed = parseProfileFile({ base: 'run', run: { day: 200 } }, 'late-run');
    assert.equal(parsed.name, 'late-run');
    assert.equal(parsed.growthDays, profile('run').growthDays);
    assert.deepEqual(parsed.run, { day: 200, memberShare: 0.5, pointsShare: PPM_ONE });
  });
});

describe('the command line', () => {
  const refused = async (args: string[], message: RegExp) =>
    assert.rejects(
      simulateCommand(args),
      (error: unknown) =>
        error instanceof CliError && message.test(error.message) && !error.message.includes('\n'),
    );
  const base = [
    '--scenario',
    'growth',
    '--orders',
    '100',
    '--members',
    '10',
    '--seed',
    '1',
    '--out',
    join(scratch, 'cli'),
  ];

  test('refuses bad usage with one clear line', async () => {
    await refused(['--scenario', 'growth'], /--orders is required/);
    await refused([...base, '--bogus', '1'], /unexpected argument "--bogus"/);
    await refused([...base, '--seed', '2'], /--seed is given twice/);
    await refused(
      ['--scenario', 'nowhere', ...base.slice(2)],
      /unknown scenario "nowhere": use growth, plateau, decline, run, injection or a scenario file/,
    );
    await refused(
      [...base.slice(0, 2), '--orders', '5', ...base.slice(4)],
      /--orders \(5\) must be at least --members \(10\)/,
    );
    await refused(
      [...base.slice(0, 2), '--orders', '1e5', ...base.slice(4)],
      /--orders must be a whole number/,
    );
    await refused([...base, '--runs', '0'], /--runs must be a whole number from 1/);
    await refused([...base, '--compare', join(scratch, 'missing.json')], /cannot read/);
    writeFileSync(join(scratch, 'bad-compare.json'), JSON.stringify({ sellFee: '2' }));
    await refused([...base, '--compare', join(scratch, 'bad-compare.json')], /--compare .*config\.sellFee/);
    await refused(
      [...base, '--export-events', join(scratch, 'no', 'such', 'folder', 'e.json')],
      /does not exist/,
    );
  });

  test('--help prints the usage', async () => {
    assert.match(await simulateCommand(['--help']), /^usage: poolpoint simulate --scenario NAME\|FILE/);
  });
});

describe('outcomes', () => {
  test('percentiles are nearest-rank values of the data', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentileOf(sorted, 10), 1);
    assert.equal(percentileOf(sorted, 50), 5);
    assert.equal(percentileOf(sorted, 90), 9);
    assert.equal(percentileOf([42], 10), 42);
  });

  test('return ratios are exact: floor((points value + wallet) × 10^6 ÷ consumption)', () => {
    const events = join(scratch, 'ratio-events.json');
    const result = simulate({
      profile: profile('plateau'),
      orders: 2000,
      members: 150,
      seed: 9,
      runs: 1,
      compareConfig: null,
      exportPath: events,
    });
    const state = replayScenario(parseScenario(JSON.parse(readFileSync(events, 'utf8')))).state;
    const ratios = state.members.ids.map((id) => {
      const member = memberView(state, id) ?? assert.fail(id);
      const value = (member.points * state.pool) / state.supply;
      return ((value + member.wallet) * PPM_ONE) / member.consumption;
    });
    ratios.sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
    const expected = (percent: number) => {
      const ratio = percentileOf(ratios, percent);
      return `${ratio / PPM_ONE}.${String(ratio % PPM_ONE).padStart(6, '0')}`;
    };
    assert.deepEqual(result.summary.everyone.returnRatio, {
      p10: expected(10),
      p50: expected(50),
      p90: expected(90),
    });
    const brokeEven = ratios.filter((ratio) => ratio >= PPM_ONE).length;
    assert.equal(result.summary.everyone.brokeEven, brokeEven);
  });
});

describe('charts and the terminal', () => {
  test('the same chart renders to the same SVG, whatever was rendered before', () => {
    const spec = {
      id: 'same',
      title: 'Same',
      xName: 'day',
      yName: 'yuan',
      x: [1, 2, 3],
      lines: [{ name: 'a', color: '#000', values: [1, 2, 3], band: { low: [1, 1, 2], high: [2, 3, 4] } }],
    };
    const first = lineChart(spec);
    lineChart({ ...spec, id: 'other' });
    assert.equal(lineChart(spec), first);
    assert.match(first, /^<svg[\s\S]*<\/svg>$/);
    assert.doesNotMatch(first, /zr\d+-/);
  });

  test('nothing is drawn on stderr when it is not a terminal', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => written.push(text) > 0) as typeof process.stderr.write;
    try {
      await simulateCommand([
        '--scenario',
        'growth',
        '--orders',
        '40000',
        '--members',
        '100',
        '--seed',
        '1',
        '--out',
        join(scratch, 'quiet'),
      ]);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(process.stderr.isTTY === true, false);
    assert.deepEqual(written, []);
  });
});
