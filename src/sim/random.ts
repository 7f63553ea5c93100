// A seeded generator: the same seed draws the same history on every run. xoshiro128** in 32-bit
// integer arithmetic, its four words filled by splitmix32. Its draws decide behaviour only (who buys,
// how much, who sells); every amount handed to the engine is made an exact integer before it leaves
// the simulator.

const GOLDEN_GAMMA = 0x9e3779b9;
const UINT32_RANGE = 4_294_967_296;

const rotateLeft = (value: number, bits: number): number => (value << bits) | (value >>> (32 - bits));

/** splitmix32: spreads a small seed over 32 bits so that seeds 1, 2, 3 start far apart. */
function splitmix32(state: { value: number }): number {
  state.value = (state.value + GOLDEN_GAMMA) | 0;
  let mixed = state.value;
  mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
  mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) >>> 0;
}

export class Random {
  private word0: number;
  private word1: number;
  private word2: number;
  private word3: number;

  /** `stream` separates independent draws of one seed (the population, the history). */
  constructor(seed: number, stream = 0) {
    const state = { value: (seed ^ Math.imul(stream, GOLDEN_GAMMA)) | 0 };
    this.word0 = splitmix32(state);
    this.word1 = splitmix32(state);
    this.word2 = splitmix32(state);
    this.word3 = splitmix32(state);
    if ((this.word0 | this.word1 | this.word2 | this.word3) === 0) this.word0 = 1;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.word1, 5), 7), 9) >>> 0;
    const shifted = this.word1 << 9;
    this.word2 ^= this.word0;
    this.word3 ^= this.word1;
    this.word1 ^= this.word2;
    this.word0 ^= this.word3;
    this.word2 ^= shifted;
    this.word3 = rotateLeft(this.word3, 11);
    return result;
  }

  /** A draw in [0, 1). */
  next(): number {
    return this.nextUint32() / UINT32_RANGE;
  }

  /** An integer in [0, count). */
  below(count: number): number {
    return Math.floor(this.next() * count);
  }

  /** A standard normal draw (Box–Muller; one of the pair, so each call uses exactly two draws). */
  normal(): number {
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    return radius * Math.cos(2 * Math.PI * this.next());
  }
}
