// The operator's reports over HTTP: per-day figures and totals (service/reports.ts), top referrers,
// merchants' sales, pending orders (to refund), wallet totals, a compliance preview
// of a configuration before it is saved, and CSV exports of orders, rewards and withdrawals for a
// date range, streamed from the log page by page (never all in memory).
import { Readable } from 'node:stream';
import { complianceReport } from '../domain/compliance.ts';
import { ConfigError, configWithChanges, formatConfig, parseConfig } from '../domain/config.ts';
import { formatDay, parseDay } from '../domain/days.ts';
import type { Event } from '../domain/messages.ts';
import { NOBODY, Slot, type State } from '../domain/state.ts';
import { cents, formatCents, formatMicros, formatPpm } from '../domain/units.ts';
import type { Session } from '../service/accounts.ts';
import { addTally, emptyTally, eventTimeMs, orderOf, type Reports, tallyView } from '../service/reports.ts';
import { type PoolpointService, ServiceError } from '../service/service.ts';
import { decodeEvent } from '../store/codec.ts';
import { object, type Route } from './routes.ts';

/** The reports read model in use (replaced once when a rebuild after a restart finishes). */
const reportsOf = (service: PoolpointService): Reports => service.readModels.current.reports;

/** The longest date range of a report or an export, in days (a leap year). */
export const rangeDaysMax = 366;
/** Days the daily report shows when no range is given. */
export const defaultRangeDays = 30;
export const reportPageSizeMax = 200;
export const topReferrersMax = 100;
/** Log rows read per page of an export: a page is decoded and written before the next is read. */
export const exportReadRowsMax = 2_000;
/** A byte-order mark first, so that Excel reads the file as UTF-8 (Chinese notes, names). */
const utf8Bom = '\uFEFF';

const dateSchema = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2025-03-01'] };
const page = {
  offset: { type: 'string', pattern: '^\\d{1,9}$' },
  limit: { type: 'string', pattern: '^\\d{1,4}$' },
};
const searchable = { search: { type: 'string', maxLength: 64 }, ...page };
const query = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

function paging(values: Record<string, string>): { offset: number; limit: number } {
  return {
    offset: Number(values.offset ?? 0),
    limit: Math.min(reportPageSizeMax, Number(values.limit ?? 50) || 50),
  };
}

/** "2025-03-01" → its day number (days since 1970-01-01), or a 400 naming the field. */
function dayNumber(text: string, what: string): number {
  const day = parseDay(text);
  if (day === null) throw new ServiceError(400, 'invalid_range', `${what}: ${text} is not a date`);
  return day;
}

export interface DayRange {
  readonly fromDay: number;
  readonly toDay: number;
}

/** from..to, both days included, in order and at most rangeDaysMax long. */
function dayRange(from: string, to: string): DayRange {
  const range = { fromDay: dayNumber(from, 'from'), toDay: dayNumber(to, 'to') };
  if (range.toDay < range.fromDay)
    throw new ServiceError(400, 'invalid_range', `to ${to} is before from ${from}`);
  if (range.toDay - range.fromDay + 1 > rangeDaysMax) {
    throw new ServiceError(400, 'invalid_range', `a range spans at most ${rangeDaysMax} days`);
  }
  return range;
}

/** The daily figures of a range, every day listed (zeros where nothing happened), and their sum. */
function dailyReport(reports: Reports, range: DayRange): Record<string, unknown> {
  const sum = emptyTally(0);
  const days: Record<string, unknown>[] = [];
  for (let day = range.fromDay; day <= range.toDay; day += 1) {
    const tally = reports.day(day) ?? emptyTally(0);
    addTally(sum, tally);
    days.push({ day: formatDay(day), ...tallyView(tally) });
  }
  return {
    utcOffset: reports.utcOffset,
    from: formatDay(range.fromDay),
    to: formatDay(range.toDay),
    days,
    totals: tallyView(sum),
  };
}

/** All-time figures, the distribution budget against what rewards took of it, rewards by kind. */
function summary(reports: Reports): Record<string, unknown> {
  const totals = reports.totals;
  const byKind: Record<string, string> = {};
  for (const [kind, amount] of reports.rewardsByKind) byKind[kind] = formatCents(amount);
  return {
    utcOffset: reports.utcOffset,
    ...tallyView(totals),
    budgetUnused: formatCents(cents(totals.budget - totals.rewardsPaid)),
    rewardsByKind: byKind,
  };
}

/** Σ wallets and frozen cash over every member, and the platform's other balances. */
function walletTotals(state: State): Record<string, unknown> {
  let wallets = 0n;
  let frozen = 0n;
  let membersWithWallet = 0;
  for (let member = 0; member < state.members.size; member += 1) {
    const wallet = state.members.get(member, Slot.Wallet);
    wallets += wallet;
    frozen += state.members.get(member, Slot.Frozen);
    if (wallet > 0n) membersWithWallet += 1;
  }
  let payables = 0n;
  for (const merchant of state.merchants.values()) payables += state.payable(merchant);
  // The withdrawals under review: their cash is the frozen total, by status.
  const queued = { requested: { count: 0, amount: 0n }, approved: { count: 0, amount: 0n } };
  for (const withdrawal of state.withdrawals.values()) {
    if (withdrawal.status !== 'requested' && withdrawal.status !== 'approved') continue;
    queued[withdrawal.status].count += 1;
    queued[withdrawal.status].amount += withdrawal.amount;
  }
  const money = (value: bigint) => formatCents(cents(value));
  return {
    wallets: money(wallets),
    frozen: money(frozen),
    membersWithWallet,
    withdrawn: money(state.withdrawn),
    payables: money(payables),
    pool: money(state.pool),
    platform: money(state.platform),
    pending: money(state.pendingAmount),
    received: money(state.received),
    injected: money(state.injected),
    withdrawalsRequested: { count: queued.requested.count, amount: money(queued.requested.amount) },
    withdrawalsApproved: { count: queued.approved.count, amount: money(queued.approved.amount) },
  };
}

/**
 * The findings of a configuration change, or why it is not a valid configuration: a preview answers
 * the question either way (200), so that an editor can ask while a value is half typed.
 */
function compliancePreview(state: State, change: Record<string, unknown>): Record<string, unknown> {
  try {
    const config = parseConfig(configWithChanges(state.config, change));
    return { valid: true, config: formatConfig(config), findings: complianceReport(config) };
  } catch (error) {
    if (error instanceof ConfigError) {
      return { valid: false, problem: { code: 'invalid_config', message: error.message } };
    }
    throw error;
  }
}

function pendingOrders(state: State, search: string, offset: number, limit: number) {
  const matches = (order: { id: string; member: string; merchant: string }) =>
    search === '' || [order.id, order.member, order.merchant].some((id) => id.toLowerCase().includes(search));
  const holdMs = state.config.holdWindowSeconds * 1000;
  const items: Record<string, unknown>[] = [];
  let total = 0;
  for (const { command } of state.pendingOrdersInOrder()) {
    if (!matches(command)) continue;
    total += 1;
    // Without a search the total is known: once the page is full, the rest need not be walked.
    if (search === '' && items.length >= limit) return { total: state.pendingOrders.size, items };
    if (total <= offset || items.length >= limit) continue;
    items.push({
      id: command.id,
      member: command.member,
      merchant: command.merchant,
      amount: formatCents(command.amount),
      paidAt: new Date(command.paidAtMs).toISOString(),
      settlesAt: new Date(command.paidAtMs + holdMs).toISOString(),
    });
  }
  return { total, items };
}

function merchantsReport(service: PoolpointService, search: string, offset: number, limit: number) {
  const state = service.state;
  const members = state.members;
  const rows = [...state.merchants.values()].map((merchant) => ({
    merchant,
    owner: merchant.owner === NOBODY ? null : members.id(merchant.owner),
  }));
  const found = rows.filter(
    ({ merchant, owner }) =>
      search === '' ||
      [merchant.id, owner ?? '', merchant.region ?? ''].some((text) => text.toLowerCase().includes(search)),
  );
  return {
    total: found.length,
    items: found.slice(offset, offset + limit).map(({ merchant, owner }) => {
      const sales = reportsOf(service).merchants.get(merchant.id);
      return {
        id: merchant.id,
        owner,
        region: merchant.region,
        commissionRate: formatPpm(merchant.commissionRate ?? state.config.commissionRate),
        payable: formatCents(state.payable(merchant)),
        ordersSettled: sales?.ordersSettled ?? 0,
        volumeSettled: formatCents(sales?.volumeSettled ?? cents(0n)),
        commission: formatCents(sales?.commission ?? cents(0n)),
      };
    }),
  };
}

function topReferrers(service: PoolpointService, limit: number) {
  const state = service.state;
  return {
    approximate: reportsOf(service).referrersApproximate,
    complete: service.readModels.progress.complete,
    items: reportsOf(service)
      .topReferrers(limit)
      .map(({ member, tally }) => {
        const index = state.members.indexOf(member);
        return {
          member,
          referred: tally.referred,
          direct: formatCents(tally.direct),
          indirect: formatCents(tally.indirect),
          referralRewards: formatCents(cents(tally.direct + tally.indirect)),
          rewardsTotal: formatCents(cents(index === NOBODY ? 0n : state.members.get(index, Slot.Rewards))),
        };
      }),
  };
}

// ---- CSV exports -------------------------------------------------------------------------------

export type ExportKind = 'orders' | 'rewards' | 'withdrawals';

/** Free text (a note, a reviewer) that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe. */
const freeText = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
/** A number as this file writes it (amounts, points, counts): never a formula, kept as it is. */
const plainNumber = /^-?\d+(\.\d+)?$/;
/**
 * Every cell that is not a plain number is treated as free text (ids too: an id may start with "-"),
 * then quoted when it holds a separator, a quote or a line break (RFC 4180).
 */
const cell = (value: string): string => {
  const text = plainNumber.test(value) ? value : freeText(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
export const csvLine = (cells: readonly string[]): string => `${cells.map(cell).join(',')}\r\n`;

function headers(kind: ExportKind, offset: string): string[] {
  const time = `时间 time (ISO 8601, UTC${offset})`;
  switch (kind) {
    case 'orders':
      return [
        time,
        '事件 event',
        '订单 order',
        '会员 member',
        '商户 merchant',
        '金额 amount',
        '佣金 commission',
        '入池 pool inflow',
        '奖励 rewards',
        '铸造积分 points minted',
      ];
    case 'rewards':
      return [time, '订单 order', '买家 buyer', '获得者 recipient', '类型 kind', '金额 amount'];
    case 'withdrawals':
      return [
        time,
        '事件 event',
        '提现 withdrawal',
        '会员 member',
        '金额 amount',
        '手续费 fee',
        '实付 paid out',
        '审核人 reviewer',
        '备注 note',
      ];
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** ISO 8601 with the operator's offset: "2025-03-03T09:00:00.000+08:00". */
function isoAt(atMs: number, offsetMinutes: number, offset: string): string {
  return `${new Date(atMs + offsetMinutes * 60_000).toISOString().slice(0, -1)}${offset}`;
}

function orderLines(event: Event, time: string, state: State): string[] {
  switch (event.type) {
    case 'OrderPaid': {
      const { id, member, merchant, amount } = event.command;
      return [csvLine([time, 'paid', id, member, merchant, formatCents(amount), '', '', '', ''])];
    }
    case 'OrderRefunded': {
      const order = orderOf(state, event.command.order);
      if (order === undefined) return [];
      const { id, member, merchant, amount } = order;
      return [csvLine([time, 'refunded', id, member, merchant, formatCents(amount), '', '', '', ''])];
    }
    case 'OrderSettled':
    case 'PaidOrderSettled': {
      const order = event.type === 'OrderSettled' ? event.command : orderOf(state, event.command.order);
      if (order === undefined) return [];
      const rewards = cents(event.rewards.reduce((sum, reward) => sum + reward.amount, 0n));
      return [
        csvLine([
          time,
          'settled',
          order.id,
          order.member,
          order.merchant,
          formatCents(order.amount),
          formatCents(event.commission),
          formatCents(event.inflow),
          formatCents(rewards),
          formatMicros(event.minted),
        ]),
      ];
    }
    default:
      return [];
  }
}

function rewardLines(event: Event, time: string, state: State): string[] {
  if (event.type !== 'OrderSettled' && event.type !== 'PaidOrderSettled') return [];
  const order = event.type === 'OrderSettled' ? event.command : orderOf(state, event.command.order);
  if (order === undefined) return [];
  return event.rewards.map((reward) =>
    csvLine([time, order.id, order.member, reward.member, reward.kind, formatCents(reward.amount)]),
  );
}

const reviewed = { approve: 'approved', reject: 'rejected', paid: 'paid' } as const;

function withdrawalLines(event: Event, time: string, state: State): string[] {
  if (event.type === 'WithdrawalRequested') {
    const { id, member, amount } = event.command;
    return [
      csvLine([time, 'requested', id, member, formatCents(amount), formatCents(event.fee), '', '', '']),
    ];
  }
  if (event.type !== 'WithdrawalReviewed') return [];
  const { withdrawal: id, decision, actor, note } = event.command;
  const withdrawal = state.withdrawals.get(id);
  if (withdrawal === undefined) return [];
  const paidOut = decision === 'paid' ? formatCents(cents(withdrawal.amount - withdrawal.fee)) : '';
  return [
    csvLine([
      time,
      reviewed[decision],
      id,
      withdrawal.member,
      formatCents(withdrawal.amount),
      formatCents(withdrawal.fee),
      paidOut,
      actor,
      note,
    ]),
  ];
}

const linesOf: Record<ExportKind, (event: Event, time: string, state: State) => string[]> = {
  orders: orderLines,
  rewards: rewardLines,
  withdrawals: withdrawalLines,
};

/** The CSV of one kind for a range: the header, then the rows of events dated in it, in log order. */
export async function* exportCsv(
  service: PoolpointService,
  kind: ExportKind,
  range: DayRange,
): AsyncGenerator<string> {
  const reports = reportsOf(service);
  yield utf8Bom + csvLine(headers(kind, reports.utcOffset));
  const span = reports.exportSpan(range.fromDay, range.toDay);
  if (span === null) return;
  const startMs = reports.dayStartMs(range.fromDay);
  const endMs = reports.dayStartMs(range.toDay + 1);
  for (let next = span.first; next <= span.last; ) {
    const rows = await service.store.read(next, exportReadRowsMax);
    if (rows.length === 0) return;
    let chunk = '';
    for (const row of rows) {
      if (row.sequence > span.last) break;
      const event = decodeEvent(row.body);
      const atMs = eventTimeMs(event, row.recordedAtMs);
      if (atMs < startMs || atMs >= endMs) continue;
      const time = isoAt(atMs, reports.utcOffsetMinutes, reports.utcOffset);
      chunk += linesOf[kind](event, time, service.state).join('');
    }
    if (chunk !== '') yield chunk;
    next = (rows[rows.length - 1]?.sequence ?? span.last) + 1;
  }
}

function exportRoute(service: PoolpointService, kind: ExportKind): Route {
  return {
    method: 'GET',
    path: `/v1/exports/${kind}.csv`,
    summary: `CSV of the ${kind} events dated from..to (days in the operator's time zone, both included; at most ${rangeDaysMax} days): UTF-8 with a BOM, amounts with two decimals, times in ISO 8601 with the offset named in the header`,
    tag: 'reports',
    roles: ['admin', 'finance'],
    query: query({ from: dateSchema, to: dateSchema }, ['from', 'to']),
    handler: async ({ query: values, reply, session }) => {
      const range = dayRange(values.from as string, values.to as string);
      // Every member's data leaves here: who took which kind for which days is audited before it does.
      await service.audit((session as Session).account, 'export', {
        kind,
        from: values.from,
        to: values.to,
      });
      reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="poolpoint-${kind}-${values.from}-to-${values.to}.csv"`,
        )
        .header('cache-control', 'no-store');
      return Readable.from(exportCsv(service, kind, range));
    },
  };
}

/** Registered by app.ts beside its own routes (same authentication, same OpenAPI document). */
export function reportRoutes(service: PoolpointService): Route[] {
  const staff = ['admin', 'finance'] as const;
  const lower = (values: Record<string, string>) => (values.search ?? '').toLowerCase();
  return [
    {
      method: 'GET',
      path: '/v1/reports/daily',
      summary: `Figures per day in the operator's time zone (orders and volume, budget and rewards, refunds, forced exits) from..to, both included (default: the last ${defaultRangeDays} days)`,
      tag: 'reports',
      roles: staff,
      query: query({ from: dateSchema, to: dateSchema }),
      handler: async ({ query: values }) => {
        if ((values.from === undefined) !== (values.to === undefined)) {
          throw new ServiceError(400, 'invalid_range', 'give both from and to, or neither');
        }
        const reports = reportsOf(service);
        const today = reports.dayOf(service.clock.now());
        const range =
          values.from === undefined
            ? { fromDay: today - defaultRangeDays + 1, toDay: today }
            : dayRange(values.from, values.to as string);
        return { ...dailyReport(reports, range), complete: service.readModels.progress.complete };
      },
    },
    {
      method: 'GET',
      path: '/v1/reports/summary',
      summary:
        'All-time figures: orders, volume, the distribution budget and the rewards paid from it (by kind)',
      tag: 'reports',
      roles: staff,
      handler: async () => ({
        ...summary(reportsOf(service)),
        complete: service.readModels.progress.complete,
      }),
    },
    {
      method: 'GET',
      path: '/v1/reports/referrers',
      summary: `Top referrers by referral rewards (direct + indirect), with the members they referred (at most ${topReferrersMax})`,
      tag: 'reports',
      roles: staff,
      query: query({ limit: page.limit }),
      handler: async ({ query: values }) =>
        topReferrers(service, Math.min(topReferrersMax, Number(values.limit ?? 10) || 10)),
    },
    {
      method: 'GET',
      path: '/v1/reports/wallets',
      summary:
        'Wallet totals: Σ wallets, frozen cash, withdrawn, payables, the pool and the platform’s revenue',
      tag: 'reports',
      roles: staff,
      handler: async () => walletTotals(service.state),
    },
    {
      method: 'GET',
      path: '/v1/reports/merchants',
      summary: 'Merchants (search by id, owner or region; paging) with payables and settled sales',
      tag: 'reports',
      roles: staff,
      query: query(searchable),
      handler: async ({ query: values }) => {
        const { offset, limit } = paging(values);
        return merchantsReport(service, lower(values), offset, limit);
      },
    },
    {
      method: 'GET',
      path: '/v1/pending-orders',
      summary:
        'Paid orders not yet settled, in settlement order (search by order, member or merchant; paging)',
      tag: 'orders',
      roles: ['admin', 'finance', 'shop'],
      query: query(searchable),
      handler: async ({ query: values }) => {
        const { offset, limit } = paging(values);
        return pendingOrders(service.state, lower(values), offset, limit);
      },
    },
    {
      method: 'POST',
      path: '/v1/compliance/preview',
      summary:
        'The compliance report of a configuration change before it is saved (laid over the configuration in force, as PUT /v1/config does); an invalid change answers valid: false and why',
      tag: 'platform',
      roles: ['admin'],
      body: object({ config: { type: 'object' } }),
      handler: async ({ body }) => compliancePreview(service.state, body.config as Record<string, unknown>),
    },
    exportRoute(service, 'orders'),
    exportRoute(service, 'rewards'),
    exportRoute(service, 'withdrawals'),
  ];
}
