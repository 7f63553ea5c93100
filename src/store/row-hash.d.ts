// Types of row-hash.js.

/** The hash before the first event: a fixed genesis, so every chain starts from the same point. */
export declare const GENESIS_HASH: string;

/** sha256 over the previous hash, the position, the time and the body: no field can change unnoticed. */
export declare function rowHash(
  previousHash: string,
  sequence: number,
  recordedAtMs: number,
  body: string,
): string;
