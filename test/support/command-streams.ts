// What the command streams of lifecycle-streams.ts and legacy-streams.ts share: a world of
// streams.ts with a configuration laid over it, a stream input of 1 to 60 intents, order amounts,
// the intents that send an earlier command again or reuse its id, and the stream's own state,
// clock and sent commands, with the member ids it picks from.
import fc from 'fast-check';
import type { ConfigInput } from '../../src/domain/config.ts';
import type { Command, IdentifiedCommand } from '../../src/domain/messages.ts';
import type { State } from '../../src/domain/state.ts';
import { cents } from '../../src/domain/units.ts';
import { given } from './given.ts';
import { type World, worldArbitrary } from './streams.ts';

export const between = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));

/** The random worlds of streams.ts with `config` laid over their configuration. */
export function worldWith(config: fc.Arbitrary<ConfigInput>): fc.Arbitrary<World> {
  return fc
    .tuple(worldArbitrary, config)
    .map(([world, extra]) => ({ ...world, config: { ...world.config, ...extra } }));
}

/** One world and the intents sent into it. */
export interface StreamInput<Intent> {
  world: World;
  intents: Intent[];
}

/** One world and 1 to 60 intents. */
export function streamInputArbitrary<Intent>(
  world: fc.Arbitrary<World>,
  intent: fc.Arbitrary<Intent>,
): fc.Arbitrary<StreamInput<Intent>> {
  return fc.record({ world, intents: fc.array(intent, { minLength: 1, maxLength: 60, size: 'max' }) });
}

/** Order amounts in cents: small ones (up to 20.00), any up to 2,000.00, now and then exactly 1,000.00. */
export const orderCents = fc.oneof(
  { arbitrary: between(1, 2_000), weight: 2 },
  { arbitrary: between(1, 200_000), weight: 3 },
  { arbitrary: fc.constant(100_000), weight: 1 },
);

/** `repeat` sends an earlier command again; `reuse` sends another command under an earlier id. */
export type RepeatIntent = { kind: 'repeat'; pick: number } | { kind: 'reuse'; pick: number; cents: number };

export const repeatIntentArbitrary: fc.Arbitrary<RepeatIntent> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('reuse' as const), pick: fc.nat(), cents: orderCents }),
    weight: 1,
  },
);

/** The clock of a stream starts at 2025-01-01T00:00:00.000Z. */
export const streamStartMs = Date.UTC(2025, 0, 1);

export const isIdentified = (command: Command): command is IdentifiedCommand => 'id' in command;

/** Mostly one of `ids`, one time in 8 × ids.length + 1 the `unknown` id. */
export function pickId(ids: readonly string[], pick: number, unknown: string): string {
  const index = pick % (ids.length * 8 + 1);
  return index === ids.length * 8 ? unknown : (ids[index % ids.length] as string);
}

/** One world driven by commands: its state, the clock, the commands sent so far and the ids to pick. */
export abstract class CommandStream {
  readonly state: State;
  readonly holdMs: number;
  clockMs = streamStartMs;
  readonly sent: Command[] = [];
  protected readonly memberIds: string[];
  protected readonly merchantIds: string[];

  constructor(readonly world: World) {
    this.state = this.fresh();
    this.holdMs = this.state.config.holdWindowSeconds * 1000;
    this.memberIds = world.setup.members.map((member) => member.id).sort();
    this.merchantIds = world.setup.merchants.map((merchant) => merchant.id);
  }

  /** A state built from the same configuration and setup, as the stream's own was. */
  fresh(): State {
    return given(this.world.setup, this.world.config);
  }

  /** `repeat`: an earlier command sent again, or a 1-cent injection while none was sent. */
  protected repeated(pick: number, id: string): Command {
    return this.sent.length === 0
      ? { type: 'inject', id, amount: cents(1n) }
      : structuredClone(this.sent[pick % this.sent.length] as Command);
  }

  /** `reuse`: the id of an earlier command if it had one, else `id`. */
  protected reusedId(pick: number, id: string): string {
    const earlier = this.sent.length === 0 ? undefined : this.sent[pick % this.sent.length];
    return earlier !== undefined && isIdentified(earlier) ? earlier.id : id;
  }

  /** Mostly a listed member, now and then one that is not. */
  protected memberAt(pick: number): string {
    return pickId(this.memberIds, pick, 'mem_ghost');
  }
}
