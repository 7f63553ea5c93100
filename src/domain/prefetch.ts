// prefetch(state, commands): reads, and changes nothing, what settling the next commands will read
// first, so that their cache misses overlap. With a million members nearly every order misses the
// cache a dozen times, one miss after another: the buyer's id record, the buyer's row, which names
// the referrer, whose row names the indirect referrer, whose row and id are read in turn, the
// buyer's exit-queue entry and cycle flag, and the row of the merchant's recruiter. A buyer with no
// referrer, at a merchant with an owner, is likely bound to the owner by the order: then the owner
// stands for the referrer, and the two members' referral-set links are read too. Each such miss
// waits for the one before it (150–270 ns each on this project's machines). Here the same reads run
// one kind at a time over a window of commands, so the reads of one pass do not depend on each
// other and the processor keeps many in flight. Settling the window then finds most of what it
// reads in the cache. With fewer than PREFETCH_MEMBERS_MIN members, whose data the caches hold
// anyway, only the processed-id slots are read ahead.
//
// A hint only: it reads memory and writes nothing the state holds (only its own scratch arrays and
// the member index's encoding scratch, which every look-up rewrites before it reads), so whatever it
// reads or skips, every outcome is the same (test/properties.test.ts checks that).
// The sequencer calls it per window of PREFETCH_WINDOW commands, as does bench:engine.
import { MemberTable, NOBODY, type State } from './state.ts';
import { hashString } from './string-index.ts';

/**
 * Commands per call, for the service and the benchmark: enough misses to overlap, few enough that
 * what they bring in is still cached when the window is settled.
 */
export const PREFETCH_WINDOW = 32;

/** The commands' member ids encoded (MemberTable.encodeId), four words each. */
const ENCODED_WORDS = 4;
const memberIds = new Int32Array(PREFETCH_WINDOW * ENCODED_WORDS);
const hasMember = new Uint8Array(PREFETCH_WINDOW);
const buyers = new Int32Array(PREFETCH_WINDOW);
const recruiters = new Int32Array(PREFETCH_WINDOW);
const owners = new Int32Array(PREFETCH_WINDOW);
const uplines = new Int32Array(PREFETCH_WINDOW);
/** What the reads gave, folded together and stored, so that the compiler cannot drop them as unused. */
const sink = new Int32Array(1);

/**
 * Below this many members their rows, id records and links take a few megabytes at most and stay
 * in the processor's caches (2 MB per core on this project's machines, and a shared third level):
 * reading them ahead would only cost. Then only the processed-id slots are read ahead (one id per
 * command ever accepted: a table far larger than the members').
 */
export const PREFETCH_MEMBERS_MIN = 16_384;

/**
 * Reads what settling commands[from, to) reads first, a window of PREFETCH_WINDOW at a time. Any
 * values and any bounds (cut to the array): a command without ids reads nothing. Commands are plain
 * data, as parsed from JSON: a getter that throws would throw here. `membersMin` is for the tests,
 * which prefetch the members of small states too.
 */
export function prefetch(
  state: State,
  commands: readonly unknown[],
  from: number,
  to: number,
  membersMin = PREFETCH_MEMBERS_MIN,
): void {
  const start = Math.max(0, Math.trunc(from) || 0);
  const end = Math.min(commands.length, Math.trunc(to) || 0);
  const withMembers = state.members.size >= membersMin;
  for (let window = start; window < end; window += PREFETCH_WINDOW) {
    const count = Math.min(end, window + PREFETCH_WINDOW) - window;
    if (withMembers) prefetchWindow(state, commands, window, count);
    else prefetchProcessed(state, commands, window, count);
  }
}

/** The processed-id slots of commands[from, from + count): each hash, then its slot, independent of the others. */
function prefetchProcessed(state: State, commands: readonly unknown[], from: number, count: number): void {
  const processed = state.processedIds;
  let read = 0;
  for (let at = 0; at < count; at += 1) {
    const id = (commands[from + at] as { id?: unknown } | null)?.id;
    if (typeof id === 'string') read ^= processed.touch(hashString(id));
  }
  sink[0] = (sink[0] as number) ^ read;
}

/** prefetch over commands[from, from + count), count at most PREFETCH_WINDOW, both within the array. */
function prefetchWindow(state: State, commands: readonly unknown[], from: number, count: number): void {
  prefetchProcessed(state, commands, from, count);
  const members = state.members;
  const binds = state.config.bindOnFirstOrder;
  let read = 0;
  // The member ids' encodings (no memory but the commands' own) and the merchants.
  for (let at = 0; at < count; at += 1) {
    const command = commands[from + at] as Partial<Record<'member' | 'merchant', unknown>> | null;
    const member = command?.member;
    const merchantId = command?.merchant;
    hasMember[at] = typeof member === 'string' ? 1 : 0;
    if (typeof member === 'string') MemberTable.encodeId(member, memberIds, at * ENCODED_WORDS);
    // The merchant and its agent chain; its recruiter's and owner's rows are read below.
    const merchant = typeof merchantId === 'string' ? state.merchants.get(merchantId) : undefined;
    if (merchant !== undefined) read ^= state.touchAgentChain(merchant);
    recruiters[at] = merchant === undefined ? NOBODY : merchant.recruiter;
    owners[at] = merchant === undefined || !binds ? NOBODY : merchant.owner;
  }
  // The id records, each read independent of the others. A record names its member (a long id is
  // taken by its hash: another row is read, harmlessly, if two collide).
  for (let at = 0; at < count; at += 1) {
    buyers[at] = hasMember[at] === 0 ? NOBODY : members.likelyIndexOf(memberIds, at * ENCODED_WORDS);
  }
  // The buyers' rows, which name the referrers (or the owner a buyer may be bound to), and cycle
  // flags; the recruiters' rows.
  for (let at = 0; at < count; at += 1) {
    const recruiter = recruiters[at] as number;
    if (recruiter !== NOBODY) read ^= members.touch(recruiter);
    const buyer = buyers[at] as number;
    if (buyer === NOBODY) continue;
    read ^= members.touch(buyer) ^ members.touchCycle(buyer);
    let referrer = members.referrerOf(buyer);
    const owner = owners[at] as number;
    if (referrer === NOBODY && owner !== NOBODY) {
      referrer = owner;
      read ^= members.touchSet(buyer) ^ members.touchSet(owner);
    }
    uplines[at] = referrer;
  }
  // The buyers' exit-queue entries; the referrers' rows and ids, which name the indirect referrers.
  for (let at = 0; at < count; at += 1) {
    const buyer = buyers[at] as number;
    if (buyer === NOBODY) continue;
    read ^= state.exitQueue.touch(members.queuePosition(buyer));
    const referrer = uplines[at] as number;
    uplines[at] = NOBODY;
    if (referrer === NOBODY) continue;
    read ^= members.touch(referrer) ^ members.touchId(referrer);
    uplines[at] = members.referrerOf(referrer);
  }
  for (let at = 0; at < count; at += 1) {
    const indirect = buyers[at] === NOBODY ? NOBODY : (uplines[at] as number);
    if (indirect !== NOBODY) read ^= members.touch(indirect) ^ members.touchId(indirect);
  }
  sink[0] = (sink[0] as number) ^ read;
}
