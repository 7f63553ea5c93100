// A state snapshot as bytes: gzip of [u32 header length][header JSON][member columns, raw]. The
// columns are the typed arrays' bytes in this machine's order (little-endian on every platform
// Node supports); the header says so, and a reader on another order refuses the snapshot.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CampaignTotals } from '../domain/campaigns.ts';
import type { MemberColumns } from '../domain/members.ts';
import type { StateSnapshot } from '../domain/snapshot.ts';
import { encodeCommand, type Json, reviveIdentifiedCommand } from './codec.ts';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Header = Omit<StateSnapshot, 'members' | 'processed'> & {
  readonly littleEndian: boolean;
  readonly memberIds: readonly string[];
  /** Each processed command as the `command` of a stored event would be encoded. */
  readonly processed: readonly string[];
};

const columnOrder = ['rows', 'referrer', 'exits', 'cycleOpen', 'cycleOpenedSequence'] as const;

const bigintReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** The uncompressed bytes: deterministic for a given state, so two states compare byte for byte. */
export function snapshotBytes(snapshot: StateSnapshot): Buffer {
  const { members, processed, ...rest } = snapshot;
  const header: Header = {
    ...rest,
    littleEndian,
    memberIds: members.ids,
    // The codec's canonical form, so the bytes do not depend on the order a command's keys were set in.
    processed: processed.map(encodeCommand),
  };
  const headerBytes = Buffer.from(JSON.stringify(header, bigintReplacer));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const columns = columnOrder.map((name) => {
    const column = members[name];
    return Buffer.from(column.buffer, column.byteOffset, column.byteLength);
  });
  return Buffer.concat([length, headerBytes, ...columns]);
}

export function encodeSnapshot(snapshot: StateSnapshot): Buffer {
  return gzipSync(snapshotBytes(snapshot), { level: 1 });
}

export function decodeSnapshot(body: Buffer): StateSnapshot {
  return parseSnapshotBytes(gunzipSync(body));
}

export function parseSnapshotBytes(bytes: Buffer): StateSnapshot {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Header;
  if (header.littleEndian !== littleEndian)
    throw new Error('snapshot written on a machine of another byte order');
  const size = header.memberIds.length;
  let offset = 4 + headerLength;
  const take = (bytesPerElement: number, count: number): ArrayBuffer => {
    const slice = bytes.subarray(offset, offset + bytesPerElement * count);
    offset += slice.length;
    return slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.byteLength) as ArrayBuffer;
  };
  const members: MemberColumns = {
    ids: header.memberIds,
    rows: new BigInt64Array(take(8, size * 8)),
    referrer: new Int32Array(take(4, size)),
    exits: new Int32Array(take(4, size)),
    cycleOpen: new Uint8Array(take(1, size)),
    cycleOpenedSequence: new Float64Array(take(8, size)),
  };
  if (offset !== bytes.length) throw new Error('snapshot has trailing bytes');
  const bigintOrNull = (value: unknown): bigint | null => (value === null ? null : BigInt(value as string));
  return {
    ...header,
    pool: BigInt(header.pool) as StateSnapshot['pool'],
    supply: BigInt(header.supply) as StateSnapshot['supply'],
    platform: BigInt(header.platform) as StateSnapshot['platform'],
    injected: BigInt(header.injected) as StateSnapshot['injected'],
    received: BigInt(header.received) as StateSnapshot['received'],
    withdrawn: BigInt(header.withdrawn) as StateSnapshot['withdrawn'],
    pendingAmount: BigInt(header.pendingAmount) as StateSnapshot['pendingAmount'],
    withdrawals: header.withdrawals.map((withdrawal) => ({
      ...withdrawal,
      amount: BigInt(withdrawal.amount) as StateSnapshot['withdrawn'],
      fee: BigInt(withdrawal.fee) as StateSnapshot['withdrawn'],
    })),
    lastPriceBeforeEmpty:
      header.lastPriceBeforeEmpty === null
        ? null
        : {
            pool: BigInt(header.lastPriceBeforeEmpty.pool) as StateSnapshot['pool'],
            supply: BigInt(header.lastPriceBeforeEmpty.supply) as StateSnapshot['supply'],
          },
    members,
    merchants: header.merchants.map((merchant) => ({
      ...merchant,
      commissionRate: bigintOrNull(
        merchant.commissionRate,
      ) as StateSnapshot['merchants'][number]['commissionRate'],
      payable: BigInt(merchant.payable) as StateSnapshot['merchants'][number]['payable'],
    })),
    processed: header.processed.map(decodeProcessed),
    ...(header.campaignTotals === undefined
      ? {}
      : {
          campaignTotals: header.campaignTotals.map((totals) => ({
            ...totals,
            amount: BigInt(totals.amount) as CampaignTotals['amount'],
            inflow: BigInt(totals.inflow) as CampaignTotals['inflow'],
            minted: BigInt(totals.minted) as CampaignTotals['minted'],
          })),
        }),
  };
}

function decodeProcessed(text: string): StateSnapshot['processed'][number] {
  return reviveIdentifiedCommand(JSON.parse(text) as Json);
}
