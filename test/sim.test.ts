// The simulator runs the real engine: a fixed seed repeats exactly, `poolpoint replay` of an exported
// history lands on the simulation's final state, the price never falls (even in a run on the pool),
// and the cohort table accounts for every member simulated.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { replayCommand } from '../src/cli/replay.ts';
import { simulateCommand } from '../src/cli/simulate.ts';
import { execute } from '../src/domain/engine.ts';
import { printedPrice } from '../src/domain/report.ts';
import { parseDecimal } from '../src/domain/units.ts';
import { parseEvent, parseScenario, stateFromSetup } from '../src/scenario/scenario.ts';
import type { SimulationResult } from '../src/sim/simulator.ts';

const scratch = mkdtempSync(join(tmpdir(), 'poolpoint-sim-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let outputs = 0;
/** Runs `poolpoint simulate` in-process into a fresh folder; returns the folder and its result. */
async function simulateInto(
  ...args: string[]
): Promise<{ out: string; stdout: string; result: SimulationResult }> {
  outputs += 1;
  const out = join(scratch, `out-${outputs}`);
  const stdout = await simulateCommand([...args, '--out', out]);
  return {
    out,
    stdout,
    result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as SimulationResult,
  };
}

const small = ['--orders', '3000', '--members', '300', '--seed', '11'];
const decimalValue = (printed: string | number): bigint => {
  const parsed = parseDecimal(String(printed), 6);
  assert.ok(parsed.ok);
  return parsed.value;
};

describe('poolpoint simulate', () => {
  test('a fixed seed gives the same report and result twice', async () => {
    const compare = join(scratch, 'compare.json');
    writeFileSync(compare, JSON.stringify({ mintRatio: '0.50', capMultiple: '1.5' }));
    const args = ['--scenario', 'plateau', ...small, '--runs', '3', '--compare', compare];
    const first = await simulateInto(...args);
    const second = await simulateInto(...args);
    for (const file of ['report.html', 'result.json']) {
      assert.equal(
        readFileSync(join(first.out, file), 'utf8'),
        readFileSync(join(second.out, file), 'utf8'),
        file,
      );
    }
    assert.equal(first.stdout.replaceAll(first.out, ''), second.stdout.replaceAll(second.out, ''));
  });

  test('another seed gives another history', async () => {
    const one = await simulateInto('--scenario', 'growth', ...small);
    const other = await simulateInto(
      '--scenario',
      'growth',
      '--orders',
      '3000',
      '--members',
      '300',
      '--seed',
      '12',
    );
    assert.notDeepEqual(one.result.final, other.result.final);
  });

  for (const scenario of ['growth', 'plateau', 'decline', 'run', 'injection']) {
    test(`replay of the exported ${scenario} history equals the simulation's final state`, async () => {
      const events = join(scratch, `${scenario}-events.json`);
      const { result } = await simulateInto('--scenario', scenario, ...small, '--export-events', events);
      const replayed = JSON.parse(replayCommand([events]));
      assert.deepEqual(replayed, result.final);
      assert.equal(Object.keys(result.final.members).length, 300);
    });
  }

  test('with growth the price rises, day after day', async () => {
    const { result } = await simulateInto('--scenario', 'growth', ...small, '--runs', '2');
    const prices = result.series.price.p50.map(decimalValue);
    for (let day = 1; day < prices.length; day += 1) {
      assert.ok((prices[day] as bigint) >= (prices[day - 1] as bigint), `day ${day + 1}`);
    }
    assert.ok((prices.at(-1) as bigint) > decimalValue(result.summary.initialPrice) * 2n);
    assert.equal(result.summary.priceNeverFell, true);
  });

  test('with a run on the pool the price still never falls, event after event', async () => {
    const events = join(scratch, 'run-events.json');
    const { result } = await simulateInto('--scenario', 'run', ...small, '--export-events', events);
    const runDay = (result.scenario.run as { day: number }).day;
    const sells = result.series.sells.p50 as number[];
    const pool = result.series.pool.p50.map(decimalValue);
    assert.ok(
      (sells[runDay] as number) - (sells[runDay - 1] as number) > 20,
      'many members sold on the run day',
    );
    assert.ok((pool[runDay] as bigint) < (pool[runDay - 1] as bigint), 'the run drained the pool');
    const scenario = parseScenario(JSON.parse(readFileSync(events, 'utf8')));
    const state = stateFromSetup(scenario.config, scenario.setup);
    let price = decimalValue(printedPrice(state));
    let sales = 0;
    for (const raw of scenario.events) {
      const parsed = parseEvent(raw);
      assert.ok(parsed.ok);
      if (execute(state, parsed.command).kind === 'accepted' && parsed.command.type === 'sell') sales += 1;
      const next = decimalValue(printedPrice(state));
      assert.ok(next >= price, `the price fell at ${parsed.command.id}`);
      price = next;
    }
    assert.ok(sales > 20);
  });

  test('the cohort table adds up to the members simulated', async () => {
    const { result } = await simulateInto('--scenario', 'decline', ...small, '--runs', '3');
    const cohortMembers = result.cohorts.reduce((sum, cohort) => sum + cohort.members, 0);
    assert.equal(cohortMembers, 300 * 3);
    assert.equal(result.summary.everyone.members, 300 * 3);
    assert.equal(result.cohorts.length, 12);
    assert.equal(result.series.members.p50.at(-1), 300);
    for (const cohort of result.cohorts) {
      assert.ok(cohort.brokeEven <= cohort.members && cohort.reachedCap <= cohort.members);
      assert.ok(cohort.brokeEvenAfterFee <= cohort.brokeEven, 'the sell fee never helps');
    }
    const late = result.summary.lateJoiners;
    assert.ok(late !== null && late.fromDay === 181);
    const lateCohorts = result.cohorts.filter((cohort) => cohort.fromDay >= late.fromDay);
    assert.equal(
      late.members,
      lateCohorts.reduce((sum, cohort) => sum + cohort.members, 0),
    );
  });

  test('--compare runs the second configuration on the same histories', async () => {
    const compare = join(scratch, 'compare-wrapped.json');
    writeFileSync(compare, JSON.stringify({ config: { mintRatio: '0.30' } }));
    const { result } = await simulateInto(
      '--scenario',
      'growth',
      ...small,
      '--runs',
      '2',
      '--compare',
      compare,
    );
    assert.ok(result.compare !== null);
    assert.equal(result.compare.config.mintRatio, '0.300000');
    assert.deepEqual(result.compare.series.consumption, result.series.consumption, 'the same orders');
    assert.deepEqual(result.compare.series.members, result.series.members);
    assert.notDeepEqual(result.compare.series.price, result.series.price);
    assert.ok(
      decimalValue(result.compare.summary.finalPrice.p50) > decimalValue(result.summary.finalPrice.p50),
    );
  });
});
