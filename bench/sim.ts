// npm run bench:sim — one simulated history of 1,000,000 orders by 100,000 members (the growth
// scenario, seed 1) through the real engine. `seconds` runs from the first generated member to the
// last daily sample (generation, registration, the engine, the series); `reportSeconds` is what
// follows (cohorts, percentiles, the final state as `replay` prints it, the HTML and the JSON text),
// `totalSeconds` both. Prints one JSON line. BENCH_ORDERS, BENCH_MEMBERS, BENCH_SCENARIO change the case.
import { namedProfiles } from '../src/sim/profile.ts';
import { renderReport } from '../src/sim/report-html.ts';
import { gatherResult, runHistories } from '../src/sim/simulator.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const members = Number(process.env.BENCH_MEMBERS ?? 100_000);
const scenario = process.env.BENCH_SCENARIO ?? 'growth';
const profile = namedProfiles[scenario];
if (profile === undefined) throw new Error(`unknown scenario ${scenario}`);

const secondsSince = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

const options = { profile, orders, members, seed: 1, runs: 1, compareConfig: null, exportPath: null };
global.gc?.();
const started = process.hrtime.bigint();
const histories = runHistories(options);
const seconds = secondsSince(started);
const reportStarted = process.hrtime.bigint();
const result = gatherResult(options, histories);
const html = renderReport(result);
const json = JSON.stringify(result, null, 1);
const reportSeconds = secondsSince(reportStarted);

const line = {
  bench: 'sim',
  scenario,
  orders,
  members,
  seconds: Number(seconds.toFixed(3)),
  ordersPerSecond: Math.round(orders / seconds),
  reportSeconds: Number(reportSeconds.toFixed(3)),
  totalSeconds: Number((seconds + reportSeconds).toFixed(3)),
  reportBytes: html.length + json.length,
  finalPrice: result.summary.finalPrice.p50,
  forcedExits: result.summary.forcedExits.p50,
  heapMB: Math.round(process.memoryUsage().heapUsed / 1048576),
};
process.stdout.write(`${JSON.stringify(line)}\n`);
