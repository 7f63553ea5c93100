// Random worlds and event streams for the property tests. An intent is resolved into a raw event
// only when it is sent, against the state of that moment (a sell takes a share of what the member
// holds then), so a stream stays meaningful as fast-check shrinks it.
import fc from 'fast-check';
import type { ConfigInput } from '../../src/domain/config.ts';
import type { State } from '../../src/domain/state.ts';
import { formatDecimal } from '../../src/domain/units.ts';
import { memberView } from '../../src/domain/views.ts';
import type { AgentSpec, MemberSpec, MerchantSpec } from './given.ts';

export interface World {
  config: ConfigInput;
  setup: { members: MemberSpec[]; merchants: MerchantSpec[]; agents: AgentSpec[] };
}

export type Intent =
  | { kind: 'order'; member: number; merchant: number; cents: number }
  | { kind: 'sell'; fromHolder: boolean; member: number; shareOfHoldingsPpm: number }
  | { kind: 'inject'; cents: number }
  | { kind: 'repeat'; pick: number }
  | { kind: 'reuse'; pick: number; cents: number }
  | { kind: 'invalid'; variant: number; member: number; merchant: number };

const ppmText = (value: number): string => formatDecimal(BigInt(value), 6);
const centsText = (value: number | bigint): string => formatDecimal(BigInt(value), 2);

// fast-check leans toward the ends of a range; money rules are most interesting in the middle too.
const between = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));
const rate = (max: number) => between(0, max).map(ppmText);
const rewardRate = fc.oneof(rate(10_000), rate(100_000));
/** Mostly a usual commission (up to 30%); now and then anything up to 100%. */
const commissionRate = fc.oneof(
  { arbitrary: rate(300_000), weight: 3 },
  { arbitrary: rate(1_000_000), weight: 1 },
);

/** Regions sharing cities and provinces, so that agents of every level are reached. */
const regions = ['440306', '440305', '440106', '110105'];
const seats: { level: string; regions: string[] }[] = [
  { level: 'district', regions: ['440306', '440305', '110105'] },
  { level: 'city', regions: ['440300', '440399', '440106', '110100'] },
  { level: 'province', regions: ['440000', '441234', '110000'] },
];

const configArbitrary: fc.Arbitrary<ConfigInput> = fc
  .record({
    initialPrice: fc.oneof(fc.constant('1.00'), between(1, 10_000).map(centsText)),
    commissionRate: fc.oneof(fc.constant('0.20'), commissionRate),
    poolShare: fc.oneof(
      { arbitrary: between(300_000, 1_000_000), weight: 3 },
      { arbitrary: between(0, 1_000_000), weight: 1 },
    ),
    distributionShare: between(0, 1_000_000),
    mintRatio: fc.oneof(
      { arbitrary: fc.constant('0.70'), weight: 2 },
      { arbitrary: between(100_000, 1_000_000).map(ppmText), weight: 2 },
      { arbitrary: rate(1_000_000), weight: 1 },
    ),
    sellFee: fc.oneof(fc.constant('0.20'), rate(1_000_000)),
    // Low multiples (1.05) make forced exits and their cascades frequent.
    capMultiple: fc.oneof(
      { arbitrary: fc.constantFrom('1.05', '1.1', '1.2', '1.5', '2'), weight: 3 },
      { arbitrary: between(0, 3_000_000).map(ppmText), weight: 1 },
    ),
    minConsumptionToSell: fc.oneof(
      { arbitrary: fc.constant('0.00'), weight: 3 },
      { arbitrary: between(0, 50_000).map(centsText), weight: 1 },
    ),
    maxMintValuePerOrder: fc.option(between(0, 50_000).map(centsText), { nil: null, freq: 3 }),
    minSupply: fc.oneof(fc.constant('1.000000'), between(0, 5_000_000).map(ppmText)),
    bindOnFirstOrder: fc.boolean(),
    rewards: fc.record({
      direct: rewardRate,
      indirect: rewardRate,
      merchantRecruiter: rewardRate,
      agents: fc.record({ district: rewardRate, city: rewardRate, province: rewardRate }),
    }),
  })
  .map(({ poolShare, distributionShare, ...rest }) => ({
    ...rest,
    poolShare: ppmText(poolShare),
    distributionShare: ppmText(Math.min(distributionShare, 1_000_000 - poolShare)),
  }));

function setupArbitrary(memberCount: number): fc.Arbitrary<World['setup']> {
  const ids = Array.from({ length: memberCount }, (_, index) => `mem_${index}`);
  const someone = fc.constantFrom(...ids);
  // Each member's referrer is an earlier member (no cycles); the listing order is shuffled.
  const members = fc
    .tuple(
      fc.array(fc.option(fc.nat(), { nil: null }), { minLength: memberCount, maxLength: memberCount }),
      fc.shuffledSubarray([...ids.keys()], { minLength: memberCount, maxLength: memberCount }),
    )
    .map(([referrerPicks, listing]) =>
      listing.map((index) => {
        const id = ids[index] as string;
        const pick = referrerPicks[index] ?? null;
        return pick === null || index === 0 ? { id } : { id, referrer: ids[pick % index] as string };
      }),
    );
  const merchant = fc.record(
    {
      owner: someone,
      recruiter: someone,
      region: fc.constantFrom(...regions),
      commissionRate,
    },
    { requiredKeys: [] },
  );
  const merchants = fc
    .array(merchant, { minLength: 1, maxLength: 4 })
    .map((list) => list.map((fields, index) => ({ id: `mch_${index}`, ...fields })));
  // One pick per candidate seat; a candidate whose seat (the region cut to the level) is taken is skipped.
  const candidates = seats.flatMap(({ level, regions: seatRegions }) =>
    seatRegions.map((region) => ({ level, region })),
  );
  const agents = fc
    .array(fc.option(someone, { nil: null, freq: 2 }), {
      minLength: candidates.length,
      maxLength: candidates.length,
    })
    .map((picks) => {
      const appointed: AgentSpec[] = [];
      const taken = new Set<string>();
      for (const [index, { level, region }] of candidates.entries()) {
        const agent = picks[index] ?? null;
        const seat = `${level}:${level === 'city' ? region.slice(0, 4) : level === 'province' ? region.slice(0, 2) : region}`;
        if (agent === null || taken.has(seat)) continue;
        taken.add(seat);
        appointed.push({ member: agent, level, region });
      }
      return appointed;
    });
  return fc.record({ members, merchants, agents });
}

export const worldArbitrary: fc.Arbitrary<World> = fc
  .integer({ min: 2, max: 8 })
  .chain((memberCount) => fc.record({ config: configArbitrary, setup: setupArbitrary(memberCount) }));

const invalidVariants = 9;

const amountCents = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 2_000 }), weight: 2 },
  { arbitrary: between(1, 200_000), weight: 3 },
  { arbitrary: fc.constant(100_000), weight: 1 },
);

const orderIntent = (cents: fc.Arbitrary<number>) =>
  fc.record({ kind: fc.constant('order' as const), member: fc.nat(), merchant: fc.nat(), cents });

const sellIntent = (fromHolder: fc.Arbitrary<boolean>, shareOfHoldingsPpm: fc.Arbitrary<number>) =>
  fc.record({ kind: fc.constant('sell' as const), fromHolder, member: fc.nat(), shareOfHoldingsPpm });

const injectIntent = (cents: fc.Arbitrary<number>) =>
  fc.record({ kind: fc.constant('inject' as const), cents });

export const intentArbitrary: fc.Arbitrary<Intent> = fc.oneof(
  { arbitrary: orderIntent(amountCents), weight: 8 },
  {
    arbitrary: sellIntent(
      fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
      fc.oneof(
        { arbitrary: fc.constant(1_000_000), weight: 2 },
        { arbitrary: between(1, 1_000_000), weight: 5 },
        { arbitrary: between(1_000_001, 2_000_000), weight: 1 },
        { arbitrary: fc.constant(0), weight: 1 },
      ),
    ),
    weight: 5,
  },
  // Injections are mostly smaller than orders (each adds all of itself to the pool, an order a sixth
  // of it); the large ones push holders over their caps, often several at once.
  {
    arbitrary: injectIntent(
      fc.oneof(
        { arbitrary: between(1, 20_000), weight: 3 },
        { arbitrary: between(20_000, 500_000), weight: 1 },
      ),
    ),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('reuse' as const), pick: fc.nat(), cents: amountCents }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('invalid' as const),
      variant: fc.nat({ max: invalidVariants - 1 }),
      member: fc.nat(),
      merchant: fc.nat(),
    }),
    weight: 2,
  },
);

export const streamArbitrary = fc.record({
  world: worldArbitrary,
  intents: fc.array(intentArbitrary, { minLength: 1, maxLength: 60, size: 'max' }),
});

/**
 * Worlds made for equal trigger prices: with mintRatio 1 and one commission rate, every order before
 * the first sale or injection mints at exactly initialPrice, so all those cycles share one trigger
 * price; a large injection then forces several out at once and only the tie-break orders them.
 */
export const tiedStreamArbitrary = fc.record({
  world: worldArbitrary.map(({ config, setup }) => ({
    config: {
      ...config,
      initialPrice: '1.00',
      commissionRate: '0.20',
      mintRatio: '1',
      maxMintValuePerOrder: null,
    },
    setup: {
      ...setup,
      merchants: setup.merchants.map(({ commissionRate: _ignored, ...merchant }) => merchant),
    },
  })),
  intents: fc.array<Intent>(
    fc.oneof(orderIntent(fc.constantFrom(10_000, 20_000, 50_000)), injectIntent(between(10_000, 2_000_000))),
    { minLength: 1, maxLength: 30, size: 'max' },
  ),
});

/**
 * Crowded worlds: many members buying at shops of very different commissions (so trigger prices come
 * in every order), selling out now and then and lifted by small injections, so that many open cycles
 * are re-ranked, dropped and forced out one by one.
 */
export const crowdedStreamArbitrary = fc.record({
  world: fc
    .integer({ min: 8, max: 16 })
    .chain((memberCount) =>
      fc.record({
        config: configArbitrary,
        setup: setupArbitrary(memberCount),
        capMultiple: between(1_100_000, 3_000_000),
      }),
    )
    .map(({ config, setup, capMultiple }) => ({
      config: { ...config, capMultiple: ppmText(capMultiple), minSupply: '0', minConsumptionToSell: '0.00' },
      setup: {
        ...setup,
        merchants: ['0.05', '0.20', '0.50', '1'].map((commissionRate, index) => ({
          id: `mch_${index}`,
          commissionRate,
        })),
      },
    })),
  intents: fc.array<Intent>(
    fc.oneof(
      { arbitrary: orderIntent(amountCents), weight: 6 },
      {
        arbitrary: sellIntent(fc.constant(true), fc.oneof(fc.constant(1_000_000), between(1, 1_000_000))),
        weight: 3,
      },
      { arbitrary: injectIntent(between(1, 20_000)), weight: 2 },
    ),
    { minLength: 1, maxLength: 60, size: 'max' },
  ),
});

/** One large world: more members and more accepted ids than the engine's tables start with. */
export const largeStreamArbitrary = fc.record({
  world: fc
    .integer({ min: 1_100, max: 1_300 })
    .chain((memberCount) => fc.record({ config: configArbitrary, setup: setupArbitrary(memberCount) })),
  intents: fc.array(intentArbitrary, { minLength: 1_500, maxLength: 1_500 }),
});

/** Mostly listed ids, now and then one that is not (an unknown member or merchant). */
function pickId(ids: readonly string[], pick: number, unknown: string): string {
  const index = pick % (ids.length * 8 + 1);
  return index === ids.length * 8 ? unknown : (ids[index % ids.length] as string);
}

const idsByWorld = new WeakMap<World, { memberIds: string[]; merchantIds: string[] }>();

/** The member ids (sorted: the listing order is shuffled) and merchant ids of a world. */
function idsOf(world: World): { memberIds: string[]; merchantIds: string[] } {
  let ids = idsByWorld.get(world);
  if (ids === undefined) {
    ids = {
      memberIds: world.setup.members.map((member) => member.id).sort(),
      merchantIds: world.setup.merchants.map((merchant) => merchant.id),
    };
    idsByWorld.set(world, ids);
  }
  return ids;
}

/** The raw event an intent stands for, sent as the `index`-th event after `history`. */
export function resolveIntent(
  intent: Intent,
  index: number,
  world: World,
  state: State,
  history: readonly unknown[],
): unknown {
  const id = `evt_${index}`;
  const { memberIds, merchantIds } = idsOf(world);
  switch (intent.kind) {
    case 'order':
      return {
        type: 'order',
        id,
        member: pickId(memberIds, intent.member, 'mem_ghost'),
        merchant: pickId(merchantIds, intent.merchant, 'mch_ghost'),
        amount: centsText(intent.cents),
      };
    case 'sell': {
      const holders = memberIds.filter((member) => (memberView(state, member)?.points ?? 0n) > 0n);
      const member =
        intent.fromHolder && holders.length > 0
          ? (holders[intent.member % holders.length] as string)
          : pickId(memberIds, intent.member, 'mem_ghost');
      const holdings = memberView(state, member)?.points ?? 0n;
      const points = (holdings * BigInt(intent.shareOfHoldingsPpm)) / 1_000_000n;
      return { type: 'sell', id, member, points: formatDecimal(points, 6) };
    }
    case 'inject':
      return { type: 'inject', id, amount: centsText(intent.cents) };
    case 'repeat':
      return history.length === 0
        ? { type: 'inject', id, amount: '0.01' }
        : structuredClone(history[intent.pick % history.length]);
    case 'reuse': {
      const earlier = history.length === 0 ? undefined : history[intent.pick % history.length];
      const earlierId = (earlier as { id?: unknown } | undefined)?.id;
      return {
        type: 'inject',
        id: typeof earlierId === 'string' ? earlierId : id,
        amount: centsText(intent.cents),
      };
    }
    case 'invalid':
      return invalidEvent(
        intent.variant,
        id,
        pickId(memberIds, intent.member, 'mem_ghost'),
        pickId(merchantIds, intent.merchant, 'mch_ghost'),
      );
    default: {
      const unreachable: never = intent;
      return unreachable;
    }
  }
}

function invalidEvent(variant: number, id: string, member: string, merchant: string): unknown {
  const order = { type: 'order', id, member, merchant, amount: '10.00' };
  switch (variant) {
    case 0:
      return { type: 'order', member, merchant, amount: '10.00' };
    case 1:
      return { ...order, amount: '1e3' };
    case 2:
      return { ...order, amount: 10 };
    case 3:
      return { ...order, amount: '10.001' };
    case 4:
      return { ...order, type: 'refund' };
    case 5:
      return { ...order, note: 'extra' };
    case 6:
      return { ...order, amount: '0.00' };
    case 7:
      return { type: 'sell', id, member, points: '-1' };
    default:
      return { type: 'sell', id, member, points: '0.0000001' };
  }
}
