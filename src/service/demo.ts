// Demo data for a first start: staff and merchant logins, stores in real region codes (Shenzhen
// Bao'an, Guangzhou Tianhe, Beijing Chaoyang), members in referral chains, agents, and thirty days
// of paid orders written as they happened: the service's clock is set back to thirty-one days ago
// and stepped forward, each step reporting the orders paid by then and settling those past their
// hold window, so the price chart has a point per step instead of one. Passwords are generated and
// printed once.
import { randomBytes } from 'node:crypto';
import type { Command, Pay } from '../domain/messages.ts';
import { cents, micros } from '../domain/units.ts';
import { newId } from './accounts.ts';
import type { PoolpointService } from './service.ts';

export interface DemoLogins {
  readonly lines: string[];
}

const stores = [
  { name: 'tea', region: '440306' },
  { name: 'noodles', region: '440106' },
  { name: 'bakery', region: '110105' },
] as const;

const demoPassword = (): string => randomBytes(9).toString('base64url');

export async function seedDemo(service: PoolpointService): Promise<DemoLogins> {
  const nowMs = service.clock.now();
  const lines: string[] = [];
  const account = async (
    login: string,
    role: 'admin' | 'finance' | 'merchant' | 'member',
    subject: string | null,
  ) => {
    const password = demoPassword();
    await service.accounts.create({ id: newId('acc'), login, role, subject, createdAtMs: nowMs }, password);
    lines.push(`${role.padEnd(8)} ${login.padEnd(12)} ${password}`);
  };
  await account('admin', 'admin', null);
  await account('finance', 'finance', null);
  const members = Array.from({ length: 24 }, (_, index) => `mem_demo${String(index + 1).padStart(2, '0')}`);
  const setup: Command[] = members.map((member, index) => ({
    type: 'registerMember',
    member,
    referrer: index >= 4 ? (members[Math.floor((index - 4) / 2)] as string) : null,
  }));
  const merchantIds = stores.map((store) => `mch_demo_${store.name}`);
  stores.forEach((store, index) => {
    setup.push({
      type: 'registerMerchant',
      merchant: merchantIds[index] as string,
      owner: members[index] as string,
      recruiter: members[3] as string,
      region: store.region,
      commissionRate: null,
    });
  });
  setup.push({ type: 'appointAgent', member: members[5] as string, level: 'district', region: '440306' });
  setup.push({ type: 'appointAgent', member: members[6] as string, level: 'city', region: '440300' });
  setup.push({ type: 'appointAgent', member: members[7] as string, level: 'province', region: '440000' });
  const dayMs = 24 * 3600 * 1000;
  const startMs = nowMs - 31 * dayMs;
  service.clock.pin(startMs);
  try {
    await service.submitMany(setup);
    await replayHistory(service, history(members, merchantIds, nowMs), startMs, nowMs);
  } finally {
    service.clock.pin(null);
  }
  for (const [index, merchant] of merchantIds.entries())
    await account(`store${index + 1}`, 'merchant', merchant);
  for (const [index, member] of members.slice(0, 6).entries())
    await account(`member${index + 1}`, 'member', member);
  const key = await service.accounts.createApiKey('demo-shop', nowMs);
  lines.push(`shop API key (x-api-key): ${key}`);
  await service.submitMany(
    members.slice(8, 12).map((member, index) => ({
      type: 'sell',
      id: `sel_demo_${index}`,
      member,
      points: micros(2_000_000n),
    })),
  );
  return { lines };
}

/** The clock moves through the history in steps of this much (a point of the price chart each). */
const historyStepMs = 3 * 3600 * 1000;

/**
 * From `startMs` to `endMs`, a step at a time: the orders paid by then are reported (with their own
 * payment times) and the orders past their hold window settle, in time order, as they would have.
 */
async function replayHistory(
  service: PoolpointService,
  orders: readonly Pay[],
  startMs: number,
  endMs: number,
): Promise<void> {
  let next = 0;
  // Bounded: (endMs − startMs) / historyStepMs steps.
  for (let atMs = startMs; atMs < endMs + historyStepMs; atMs += historyStepMs) {
    const stepMs = Math.min(atMs, endMs);
    service.clock.pin(stepMs);
    const due: Pay[] = [];
    while (next < orders.length && (orders[next] as Pay).paidAtMs <= stepMs) due.push(orders[next++] as Pay);
    if (due.length > 0) await service.submitMany(due);
    await service.settleDue();
  }
}

/** Thirty days of paid orders in time order; all but the last week's pass their hold window. */
function history(members: readonly string[], merchants: readonly string[], nowMs: number): Pay[] {
  const dayMs = 24 * 3600 * 1000;
  const commands: Pay[] = [];
  for (let day = 30; day >= 1; day -= 1) {
    for (let slot = 0; slot < 4; slot += 1) {
      const index = (day * 7 + slot * 5) % members.length;
      commands.push({
        type: 'pay',
        id: `ord_demo_${day}_${slot}`,
        member: members[index] as string,
        merchant: merchants[(day + slot) % merchants.length] as string,
        amount: cents(BigInt(2_000 + ((day * 137 + slot * 911) % 48_000))),
        paidAtMs: nowMs - day * dayMs + slot * 6 * 3600 * 1000, // spread over the day
      });
    }
  }
  return commands;
}
