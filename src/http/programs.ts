// The programs of docs/rules.md over HTTP (all off by default): member levels and team rewards,
// clearance campaigns, shareholder dividends, legacy conversion. Their settings are configuration
// (PUT /v1/config, previewed with POST /v1/compliance/preview); here are the programs' own writes
// (a member's level, a shareholder's weight, coins granted one at a time or imported from a CSV
// file) and what staff and members read of them.
import type { FastifyInstance } from 'fastify';
import { complianceReport } from '../domain/compliance.ts';
import { formatConfig } from '../domain/config.ts';
import { formatDay } from '../domain/days.ts';
import { coinsPending } from '../domain/legacy.ts';
import type { IdentifiedCommand } from '../domain/messages.ts';
import type { State } from '../domain/state.ts';
import { levelOf, memberLevel } from '../domain/team.ts';
import {
  CENTS_DECIMALS,
  cents,
  formatCents,
  formatMicros,
  formatPpm,
  micros,
  PPM_ONE,
  parseDecimal,
  ppm,
} from '../domain/units.ts';
import type { Session } from '../service/accounts.ts';
import {
  applyLegacyImport,
  batchPattern,
  checkLegacyImport,
  problemsText,
} from '../service/legacy-import.ts';
import type { ProgramHistory } from '../service/program-history.ts';
import { memberPrograms, nextReleaseDay, programsOn } from '../service/programs.ts';
import { formatUtcOffset } from '../service/reports.ts';
import { type PoolpointService, ServiceError } from '../service/service.ts';
import { idSchema, moneySchema, object, type Route } from './routes.ts';

/** Members listed with an admin-set level, shareholders and coin holders per page. */
export const programPageSizeMax = 200;
/** The longest reason kept with a grant of coins (as in an import file). */
const reasonLengthMax = 500;
/** The most CSV text one request may carry is the API's body limit (1 MiB, about 20,000 rows): the CLI takes larger files. */
// text/csv only: text/plain is a type a browser posts cross-site without asking first (a form),
// so accepting it would let another site's page import into a signed-in admin's ledger.
const csvContentTypes = ['text/csv'];

const page = {
  offset: { type: 'string', pattern: '^\\d{1,9}$' },
  limit: { type: 'string', pattern: '^\\d{1,4}$' },
};
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { search: { type: 'string', maxLength: 64 }, ...page },
};
function paging(query: Record<string, string>): { offset: number; limit: number } {
  return {
    offset: Number(query.offset ?? 0),
    limit: Math.min(programPageSizeMax, Number(query.limit ?? 50) || 50),
  };
}

const historyOf = (service: PoolpointService): ProgramHistory => service.readModels.current.programs;
const actorOf = (session: Session | null): string => (session as Session).account;

/**
 * Submits an admin's command and audits it (once per id, a duplicate retry included: see
 * auditCommand); a rejection becomes its ServiceError; answers whether it was a duplicate.
 */
async function submitted(
  service: PoolpointService,
  command: IdentifiedCommand & { readonly actor: string },
  action: string,
  detail: Record<string, unknown>,
): Promise<string> {
  const outcome = await service.submitOrFail(command);
  await service.auditCommand(outcome, command.id, command.actor, action, detail);
  return outcome.kind === 'duplicate' ? 'duplicate' : 'accepted';
}

/**
 * Lets the legacy import take the file itself as its body (Content-Type text/csv): the
 * text arrives as `{csv}`, checked by the same schema as the JSON form. Any other route given CSV
 * refuses it as an unknown field.
 */
export function acceptCsvBodies(app: FastifyInstance): void {
  app.addContentTypeParser(csvContentTypes, { parseAs: 'string' }, (_request, body, done) => {
    done(null, { csv: body });
  });
}

/** The programs' settings with every key given (the configuration leaves defaults out). */
function programSettings(state: State): Record<string, unknown> {
  const config = state.config;
  return {
    levels: config.levels.map((level) => ({
      name: level.name,
      threshold: formatCents(level.threshold),
      rate: formatPpm(level.rate),
    })),
    teamRewards: {
      enabled: config.teamRewards.enabled,
      depthMax: String(config.teamRewards.depthMax),
      peerShare: formatPpm(config.teamRewards.peerShare),
    },
    campaigns: formatConfig(config).campaigns ?? [],
    dividends: { share: formatPpm(config.dividends.share) },
    legacy: { enabled: config.legacy.enabled, releaseDays: String(config.legacy.releaseDays) },
  };
}

/** Each configured campaign with its state at `nowMs` and its totals; then totals of removed ones. */
function campaignsView(state: State, nowMs: number): Record<string, unknown>[] {
  const totalsOf = (id: string) => {
    const totals = state.campaignTotals.get(id);
    return {
      orders: totals?.orders ?? 0,
      amount: formatCents(totals?.amount ?? cents(0n)),
      inflow: formatCents(totals?.inflow ?? cents(0n)),
      minted: formatMicros(totals?.minted ?? micros(0n)),
    };
  };
  const configured = state.config.campaigns.map((campaign) => ({
    id: campaign.id,
    merchant: campaign.merchant,
    productLine: campaign.productLine,
    startAt: new Date(campaign.startMs).toISOString(),
    endAt: new Date(campaign.endMs).toISOString(),
    mintRatio: formatPpm(campaign.mintRatio),
    configured: true,
    status: nowMs < campaign.startMs ? 'upcoming' : nowMs < campaign.endMs ? 'running' : 'ended',
    ...totalsOf(campaign.id),
  }));
  const ids = new Set(state.config.campaigns.map((campaign) => campaign.id));
  const removed = [...state.campaignTotals.keys()]
    .filter((id) => !ids.has(id))
    .map((id) => ({ id, configured: false, status: 'removed', ...totalsOf(id) }));
  return [...configured, ...removed];
}

/** Members whose level an admin set, in member order, with the level they hold now. */
function levelOverrides(state: State): { total: number; items: Record<string, unknown>[] } {
  const items = [...state.levelOverrides.entries()]
    .map(([index, level]) => {
      const held = levelOf(state, index);
      return {
        member: state.members.id(index),
        level,
        // A name the configuration no longer has is kept but unused (the earned level applies).
        inUse: state.config.levels.some((configured) => configured.name === level),
        holds: held === 0 ? null : (state.config.levels[held - 1]?.name ?? null),
      };
    })
    .sort((left, right) => (left.member < right.member ? -1 : left.member > right.member ? 1 : 0));
  return { total: items.length, items: items.slice(0, programPageSizeMax) };
}

function dividendFigures(service: PoolpointService): Record<string, unknown> {
  const state = service.state;
  const book = state.dividends;
  const history = historyOf(service);
  return {
    share: formatPpm(state.config.dividends.share),
    pool: formatCents(book.pool),
    lastDay: book.lastDay === null ? null : formatDay(book.lastDay),
    shareholders: book.weights.size,
    totalWeight: String(book.totalWeight),
    accrued: formatCents(history.dividendAccrued),
    paid: formatCents(history.dividendsPaid),
  };
}

function legacyFigures(service: PoolpointService): Record<string, unknown> {
  const state = service.state;
  const legacy = state.legacy;
  const pending = coinsPending(state);
  const history = historyOf(service);
  return {
    enabled: state.config.legacy.enabled,
    releaseDays: state.config.legacy.releaseDays,
    granted: formatCents(legacy.granted),
    redeemed: formatCents(legacy.redeemed),
    // Coins in paid orders not yet settled: out of the balances, not yet redeemed.
    pending: formatCents(pending),
    // What members still hold: each yuan of it, when spent, is a yuan the platform funds in cash.
    outstanding: formatCents(cents(legacy.granted - legacy.redeemed - pending)),
    lockedPoints: formatMicros(legacy.lockedPointsTotal),
    lockedCash: formatCents(legacy.lockedCashTotal),
    membersWithLocked: legacy.lots.size,
    lastReleaseDay: legacy.lastReleaseDay === null ? null : formatDay(legacy.lastReleaseDay),
    nextReleaseDay: formatDay(nextReleaseDay(state, service.clock.now(), service.utcOffsetMinutes)),
    releasedPoints: formatMicros(history.lockedPointsReleased),
    releasedCash: formatCents(history.lockedCashReleased),
    // The platform's balance: the coin part of orders is funded from it, so it may be negative.
    platform: formatCents(state.platform),
  };
}

const outcomeAnswer = { type: 'string', enum: ['accepted', 'duplicate'] };
const text = { type: 'string' };
const nullableText = { type: 'string', nullable: true };
const memberProgramsAnswer = object({
  member: text,
  programs: { type: 'object' },
  level: { ...nullableText, description: 'the level held now (earned, or set by an admin)' },
  levelSetByAdmin: { type: 'boolean' },
  levelOverride: { ...nullableText, description: 'the level an admin set, even if no longer configured' },
  coins: { ...text, description: 'consumption coins (消费币): pay for orders only; never sold or withdrawn' },
  lockedPoints: text,
  lockedCash: { ...text, description: 'cash of locked points sold at a forced exit: released to the wallet' },
  release: {
    type: 'object',
    nullable: true,
    description: 'null when nothing is locked; else the next release day and what it frees, the last day',
  },
  shareholderWeight: text,
  shareOfWeights: nullableText,
  dividendsReceived: text,
});

export function programRoutes(service: PoolpointService): Route[] {
  return [...readRoutes(service), ...levelAndShareholderRoutes(service), ...legacyRoutes(service)];
}

function readRoutes(service: PoolpointService): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/programs',
      summary:
        'The programs (levels and team rewards, campaigns, dividends, legacy conversion): settings, figures and the compliance findings of the configuration in force',
      tag: 'programs',
      roles: ['admin', 'finance'],
      handler: async () => {
        const state = service.state;
        const history = historyOf(service);
        return {
          on: programsOn(state),
          settings: programSettings(state),
          levelOverrides: levelOverrides(state),
          levelChanges: history.levelChanges().slice(0, programPageSizeMax),
          campaigns: campaignsView(state, service.clock.now()),
          dividends: dividendFigures(service),
          legacy: { ...legacyFigures(service), batches: history.grantBatches().slice(0, programPageSizeMax) },
          findings: complianceReport(state.config),
          utcOffset: formatUtcOffset(service.utcOffsetMinutes),
          complete: service.readModels.progress.complete,
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/members/:member/programs',
      summary:
        'A member’s level, consumption coins, locked points and cash with the release schedule, shareholder weight and dividends received',
      tag: 'programs',
      roles: ['admin', 'finance', 'member'],
      response: memberProgramsAnswer,
      handler: async ({ params, session }) => {
        const member = params.member as string;
        if (session?.role === 'member' && session.subject !== member)
          throw new ServiceError(403, 'forbidden', 'you may only act for yourself');
        const figures = memberPrograms(service.state, member, service.clock.now(), service.utcOffsetMinutes);
        if (figures === null) throw new ServiceError(404, 'unknown_member', `${member} is not a member`);
        return figures;
      },
    },
    {
      method: 'GET',
      path: '/v1/dividends',
      summary: 'The dividend pool, its share of revenue, and the settled days (newest first)',
      tag: 'programs',
      roles: ['admin', 'finance'],
      query: { type: 'object', additionalProperties: false, properties: page },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const days = historyOf(service).dividendDays();
        return {
          ...dividendFigures(service),
          utcOffset: formatUtcOffset(service.utcOffsetMinutes),
          complete: service.readModels.progress.complete,
          total: days.length,
          items: days.slice(offset, offset + limit),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/shareholders',
      summary:
        'Shareholders (and former ones who were paid) in member order: weight, share of the weights, dividends received',
      tag: 'programs',
      roles: ['admin', 'finance'],
      query: listQuery,
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const search = (query.search ?? '').toLowerCase();
        const book = service.state.dividends;
        const members = service.state.members;
        const ids = [...new Set([...book.weights.keys(), ...book.received.keys()])]
          .map((index) => members.id(index))
          .filter((id) => search === '' || id.toLowerCase().includes(search))
          .sort();
        return {
          total: ids.length,
          totalWeight: String(book.totalWeight),
          items: ids.slice(offset, offset + limit).map((id) => shareholderView(service.state, id)),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/legacy',
      summary:
        'Legacy conversion: coins granted, redeemed, pending and outstanding, locked points and cash, release runs and import batches',
      tag: 'programs',
      roles: ['admin', 'finance'],
      query: { type: 'object', additionalProperties: false, properties: page },
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const runs = historyOf(service).releaseRuns();
        return {
          ...legacyFigures(service),
          utcOffset: formatUtcOffset(service.utcOffsetMinutes),
          complete: service.readModels.progress.complete,
          batches: historyOf(service).grantBatches().slice(0, programPageSizeMax),
          total: runs.length,
          items: runs.slice(offset, offset + limit),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/legacy/accounts',
      summary: 'Members holding coins, locked points or locked cash, in member order',
      tag: 'programs',
      roles: ['admin', 'finance'],
      query: listQuery,
      handler: async ({ query }) => {
        const { offset, limit } = paging(query);
        const search = (query.search ?? '').toLowerCase();
        const state = service.state;
        // Filtered and sorted by id first; only the page's amounts are formatted.
        const accounts = [...state.legacy.accounts()]
          .map(([index, coins, points, cash]) => ({ member: state.members.id(index), coins, points, cash }))
          .filter((account) => search === '' || account.member.toLowerCase().includes(search))
          .sort((left, right) => (left.member < right.member ? -1 : left.member > right.member ? 1 : 0));
        return {
          total: accounts.length,
          items: accounts.slice(offset, offset + limit).map(({ member, coins, points, cash }) => ({
            member,
            coins: formatCents(coins),
            lockedPoints: formatMicros(points),
            lockedCash: formatCents(cash),
          })),
        };
      },
    },
  ];
}

function shareholderView(state: State, member: string): Record<string, unknown> {
  const index = state.members.indexOf(member);
  const book = state.dividends;
  const weight = book.weights.get(index) ?? 0n;
  return {
    member,
    weight: String(weight),
    shareOfWeights: weight === 0n ? '0.000000' : formatPpm(ppm((weight * PPM_ONE) / book.totalWeight)),
    dividendsReceived: formatCents(book.received.get(index) ?? cents(0n)),
  };
}

function levelAndShareholderRoutes(service: PoolpointService): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/members/:member/level',
      summary:
        'Set a member’s level by hand (a configured level’s name), or clear it with null: the member then holds the level their own consumption earns',
      tag: 'programs',
      roles: ['admin'],
      response: object({
        outcome: outcomeAnswer,
        member: text,
        level: { ...nullableText, description: 'the level the member holds now' },
        levelSetByAdmin: { type: 'boolean' },
      }),
      body: object({
        id: idSchema,
        level: { type: 'string', minLength: 1, maxLength: 40, nullable: true },
      }),
      handler: async ({ params, body, session }) => {
        const member = params.member as string;
        const actor = actorOf(session);
        const level = body.level === null ? null : String(body.level);
        const outcome = await submitted(
          service,
          { type: 'setMemberLevel', id: String(body.id), member, level, actor },
          'member.level',
          { member, level },
        );
        const held = memberLevel(service.state, member);
        return { outcome, member, level: held?.level ?? null, levelSetByAdmin: held?.setByAdmin ?? false };
      },
    },
    {
      method: 'POST',
      path: '/v1/shareholders',
      summary:
        'Set a shareholder’s weight (a whole number; 0 removes the shareholder): each day’s dividend pool is paid out in proportion to the weights',
      tag: 'programs',
      roles: ['admin'],
      response: object({
        outcome: outcomeAnswer,
        shareholder: object({ member: text, weight: text, shareOfWeights: text, dividendsReceived: text }),
      }),
      body: object({
        id: idSchema,
        member: idSchema,
        weight: { type: 'string', pattern: '^\\d{1,10}$', examples: ['100'] },
      }),
      handler: async ({ body, session }) => {
        const actor = actorOf(session);
        const member = String(body.member);
        const weight = BigInt(String(body.weight));
        const outcome = await submitted(
          service,
          { type: 'setShareholder', id: String(body.id), member, weight, actor },
          'shareholder.set',
          { member, weight: String(weight) },
        );
        return { outcome, shareholder: shareholderView(service.state, member) };
      },
    },
  ];
}

function legacyRoutes(service: PoolpointService): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/members/:member/coins',
      summary:
        'Grant consumption coins (消费币) to one member, for an old liability: they pay for orders only (legacy.enabled must be on)',
      tag: 'programs',
      roles: ['admin'],
      body: object({
        id: idSchema,
        coins: moneySchema,
        reason: { type: 'string', minLength: 1, maxLength: reasonLengthMax },
      }),
      handler: async ({ params, body, session }) => {
        const member = params.member as string;
        const actor = actorOf(session);
        const parsed = parseDecimal(body.coins, CENTS_DECIMALS);
        if (!parsed.ok) throw new ServiceError(400, 'invalid_amount', `coins: ${parsed.message}`);
        const coins = cents(parsed.value);
        const outcome = await submitted(
          service,
          { type: 'grantCoins', id: String(body.id), member, coins, reason: String(body.reason), actor },
          'coins.grant',
          { id: body.id, member, coins: formatCents(coins) },
        );
        return {
          outcome,
          member: memberPrograms(service.state, member, service.clock.now(), service.utcOffsetMinutes),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/legacy/imports',
      summary:
        'Import old members as consumption coins from a CSV file (member,coins[,reason]; a header row is optional): as JSON {batch, csv} or the file itself with Content-Type text/csv and ?batch=NAME. Every problem is answered with its line and nothing is granted; importing the same batch again grants nothing twice. A dry run checks without granting and answers 200 either way (valid: false with the problems).',
      tag: 'programs',
      roles: ['admin'],
      query: {
        type: 'object',
        additionalProperties: false,
        properties: {
          batch: { type: 'string', pattern: batchPattern.source },
          dryRun: { type: 'string', enum: ['true', 'false'] },
        },
      },
      body: object(
        {
          batch: { type: 'string', pattern: batchPattern.source, examples: ['legacy-2025-03'] },
          csv: { type: 'string', minLength: 1, description: 'the file’s text (UTF-8)' },
          dryRun: { type: 'boolean' },
        },
        ['csv'],
      ),
      handler: async ({ body, query, session, reply }) => {
        const batch = typeof body.batch === 'string' ? body.batch : query.batch;
        if (batch === undefined)
          throw new ServiceError(400, 'invalid_request', 'name the import: batch in the body or ?batch=');
        const dryRun = body.dryRun === true || query.dryRun === 'true';
        const actor = actorOf(session);
        const checked = checkLegacyImport(service.state, String(body.csv), batch, actor);
        if (!checked.ok) {
          const problem = {
            code: checked.code,
            message: problemsText(checked.problems),
            problems: checked.problems,
          };
          // A check answers either way (as the compliance preview does); an import is refused.
          if (dryRun) return { dryRun: true, valid: false, batch, ...problem };
          return reply.code(checked.code === 'id_reused' ? 409 : 400).send(problem);
        }
        const plan = checked.plan;
        const enabled = service.state.config.legacy.enabled;
        const summary = {
          batch,
          rows: plan.grants.length,
          new: plan.grants.length - plan.duplicates,
          duplicates: plan.duplicates,
          coins: formatCents(cents(plan.coins)),
          legacyEnabled: enabled,
        };
        if (dryRun) return { dryRun: true, valid: true, ...summary, problems: [] };
        if (!enabled && summary.new > 0) {
          throw new ServiceError(
            422,
            'legacy_off',
            'legacy conversion is off (config legacy.enabled): no coins can be granted',
          );
        }
        const result = await applyLegacyImport(
          plan,
          (grants) => service.submitMany(grants),
          (entry) => service.auditOnce(entry.key, actor, 'legacy.import', entry.detail),
        );
        return { dryRun: false, ...summary, ...result };
      },
    },
  ];
}
