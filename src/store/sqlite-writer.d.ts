// Types of sqlite-writer.js (plain JavaScript: it is also a worker thread's entry point).
import type Database from 'better-sqlite3';

export declare const eventFields: number;
export declare const outcomeFields: number;
export declare const unlinkedFields: number;

export type WriteValue = string | number | bigint | null | Uint8Array;

export type WriterRequest =
  | {
      readonly kind: 'append';
      /** eventFields values per row: sequence, type, command id, body, recorded at, previous hash, hash. */
      readonly events: readonly WriteValue[];
      /** outcomeFields values per row: position, command id, kind, code, message, recorded at. */
      readonly outcomes: readonly WriteValue[];
    }
  | {
      readonly kind: 'appendLinked';
      /** The sequence of the log's last event, which the rows must follow. */
      readonly after: number;
      /** unlinkedFields values per row: sequence, type, command id, body, recorded at. */
      readonly events: readonly WriteValue[];
      readonly outcomes: readonly WriteValue[];
    }
  | { readonly kind: 'write'; readonly sql: string; readonly parameters: readonly WriteValue[] }
  | { readonly kind: 'reset' };

export type WriterReply =
  | {
      readonly changes: number;
      /** After appendLinked: the log's last event. */
      readonly head?: { readonly sequence: number; readonly hash: string };
      readonly error?: undefined;
    }
  | { readonly error: string; readonly failedAppend: boolean };

export declare function configure(db: Database.Database): void;

export declare class LogWriter {
  constructor(db: Database.Database);
  readonly db: Database.Database;
  run(requests: readonly WriterRequest[]): WriterReply[];
}
