// npm run bench:engine — settles 1,000,000 orders (plus 10% sells) over 1,000,000 members and over
// 1,000 members, with random referral trees, merchants in real region codes and agents, and prints one
// JSON line per case. Generation and registration are not timed; settlement is.
//
// Each case runs in a process of its own (the second case does not inherit the first one's heap),
// with the 64 MB young generation `npm start` gives the service, a full collection between setup and
// the timed loop (so that the loop does not promote what generating the orders left young), and,
// unless BENCH_HUGE_PAGES=0, glibc's transparent huge pages for large allocations
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, a deployment setting the README recommends): they back the
// member table's typed arrays with 2 MB pages instead of 4 KB ones, and with a million members
// nearly every row is a TLB miss otherwise. Each line says which (`hugePages`).
//
// Orders are settled as the sequencer settles them: each window of PREFETCH_WINDOW orders is first
// prefetched (src/domain/prefetch.ts), so that its cache misses overlap; BENCH_PREFETCH=0 turns that
// off (`prefetch` in the line). The sells are planned with the orders (who sells after which order),
// and prefetched with them; how much each sells is half of what it holds when its turn comes.
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../src/domain/config.ts';
import { execute } from '../src/domain/engine.ts';
import type { IdentifiedCommand } from '../src/domain/messages.ts';
import { PREFETCH_WINDOW, prefetch } from '../src/domain/prefetch.ts';
import { createState, type State } from '../src/domain/state.ts';
import { cents, micros } from '../src/domain/units.ts';

const ordersPerCase = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const memberCounts = (process.env.BENCH_MEMBERS ?? '1000000,1000').split(',').map(Number);
const merchantCount = 2_000;
const sellShare = 0.1;
const districts = ['440306', '440305', '440106', '110105', '310115', '330106', '510107', '420111'];

/** xorshift32: a seeded generator, so every run benches the same history. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

function setup(members: number, next: () => number): State {
  const state = createState(parseConfig({}));
  const accept = (outcome: ReturnType<typeof execute>): void => {
    if (outcome.kind !== 'accepted') throw new Error(`setup rejected: ${JSON.stringify(outcome)}`);
  };
  for (let index = 0; index < members; index += 1) {
    // Referral trees: most members were referred by an earlier one, a few came on their own.
    const referrer = index > 0 && next() < 0.8 ? `mem_${Math.floor(next() * index)}` : null;
    accept(execute(state, { type: 'registerMember', member: `mem_${index}`, referrer }));
  }
  for (let index = 0; index < merchantCount; index += 1) {
    const owner = next() < 0.7 ? `mem_${Math.floor(next() * members)}` : null;
    accept(
      execute(state, {
        type: 'registerMerchant',
        merchant: `mch_${index}`,
        owner,
        recruiter: `mem_${Math.floor(next() * members)}`,
        region: districts[index % districts.length] as string,
        commissionRate: null,
      }),
    );
  }
  for (const [index, region] of districts.entries()) {
    const agent = (level: 'district' | 'city' | 'province'): void =>
      accept(
        execute(state, {
          type: 'appointAgent',
          member: `mem_${(index * 7 + level.length) % members}`,
          level,
          region,
        }),
      );
    agent('district');
    if (index % 2 === 0) agent('city');
    if (index % 4 === 0 && region.slice(0, 2) !== '44') agent('province');
  }
  return state;
}

function generateOrders(members: number, next: () => number): IdentifiedCommand[] {
  const orders: IdentifiedCommand[] = [];
  for (let index = 0; index < ordersPerCase; index += 1) {
    orders.push({
      type: 'order',
      id: `ord_${index}`,
      member: `mem_${Math.floor(next() * members)}`,
      merchant: `mch_${Math.floor(next() * merchantCount)}`,
      amount: cents(BigInt(1_000 + Math.floor(next() * 99_000))), // ¥10.00 – ¥1,000.00
    });
  }
  return orders;
}

/** BENCH_PREFETCH=0 settles without prefetch.ts, to see what it does. */
const window = process.env.BENCH_PREFETCH === '0' ? 0 : PREFETCH_WINDOW;

/** A sell planned with the orders: its points are half of what the member holds when it comes. */
interface PlannedSell {
  readonly type: 'plannedSell';
  readonly id: string;
  readonly member: string;
}

/** The orders with the sells among them: after each order, now and then, a sell by an earlier buyer. */
function planCommands(
  orders: readonly IdentifiedCommand[],
  next: () => number,
): (IdentifiedCommand | PlannedSell)[] {
  const planned: (IdentifiedCommand | PlannedSell)[] = [];
  for (let index = 0; index < orders.length; index += 1) {
    planned.push(orders[index] as IdentifiedCommand);
    if (next() < sellShare / (1 - sellShare)) {
      const seller = (orders[Math.floor(next() * (index + 1))] as { member: string }).member;
      planned.push({ type: 'plannedSell', id: `sel_${index}`, member: seller });
    }
  }
  return planned;
}

function runCase(members: number): void {
  const next = random(members);
  const state = setup(members, next);
  const orders = generateOrders(members, next);
  const commands = planCommands(orders, next);
  let sells = 0;
  let rejected = 0;
  global.gc?.();
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let at = 0; at < commands.length; at += 1) {
    // As the sequencer does: each window of commands is prefetched before it is settled.
    if (window > 0 && at % window === 0) prefetch(state, commands, at, at + window);
    const command = commands[at] as IdentifiedCommand | PlannedSell;
    if (command.type !== 'plannedSell') {
      if (execute(state, command).kind !== 'accepted') rejected += 1;
      continue;
    }
    // Sell half of what the member holds, if anything.
    const holdings = state.members.points(state.members.indexOf(command.member));
    if (holdings < 2n) continue;
    const outcome = execute(state, {
      type: 'sell',
      id: command.id,
      member: command.member,
      points: micros(holdings / 2n),
    });
    if (outcome.kind === 'accepted') sells += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // On a shared machine the wall clock counts time spent waiting for a core; CPU time does not.
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (rejected > 0) throw new Error(`${rejected} orders were rejected`);
  const line = {
    bench: 'engine',
    members,
    orders: orders.length,
    sells,
    forcedExits: state.forcedExits,
    seconds: Number(seconds.toFixed(3)),
    cpuSeconds: Number(cpuSeconds.toFixed(3)),
    ordersPerSecond: Math.round(orders.length / seconds),
    eventsPerSecond: Math.round((orders.length + sells) / seconds),
    heapMB: Math.round(process.memoryUsage().heapUsed / 1048576),
    hugePages: (process.env.GLIBC_TUNABLES ?? '').includes('hugetlb=1'),
    prefetch: window > 0,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const caseMembers = process.env.BENCH_CASE;
if (caseMembers !== undefined) {
  runCase(Number(caseMembers));
} else {
  for (const members of memberCounts) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, '--max-semi-space-size=64', '--expose-gc', process.argv[1] as string],
      {
        stdio: 'inherit',
        env: {
          ...(process.env.BENCH_HUGE_PAGES === '0' ? {} : { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }),
          ...process.env,
          BENCH_CASE: String(members),
        },
      },
    );
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}
