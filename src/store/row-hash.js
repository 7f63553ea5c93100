// The event log's hash chain, in plain JavaScript so that the SQLite writer thread
// (sqlite-writer.js, which does not get the TypeScript loader) links rows exactly as verify checks
// them. Everything else imports it through store.ts. Types: row-hash.d.ts.
import { createHash, hash } from 'node:crypto';

/** The hash before the first event: a fixed genesis, so every chain starts from the same point. */
export const GENESIS_HASH = createHash('sha256').update('poolpoint event log v1').digest('hex');

/** sha256 over the previous hash, the position, the time and the body: no field can change unnoticed. */
export function rowHash(previousHash, sequence, recordedAtMs, body) {
  // crypto.hash (Node ≥ 20.12) is the one-shot form: half the cost of a createHash object per row.
  return hash('sha256', `${previousHash}\n${sequence}\n${recordedAtMs}\n${body}`, 'hex');
}
