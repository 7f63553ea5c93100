// Leader election: one PostgresStore at a time holds the advisory lock; a standby takes over when the
// leader closes or its session dies (pg_terminate_backend from a third connection stands in for a
// crash), and the old leader is told it lost the lock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres.ts';
import { createTestDatabase, type TestDatabase } from './support/postgres.ts';

/** How long a standby may take to notice the lock is free: a few polls, not a timing assertion. */
const takeoverTimeoutMs = 5_000;
const pollMs = 50;

/** Resolves with the error a store reports when it loses leadership. */
function lossListener(): { onLeadershipLost: (error: Error) => void; lost: Promise<Error>; count(): number } {
  let calls = 0;
  let resolveLost: (error: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => {
    resolveLost = resolve;
  });
  return {
    onLeadershipLost: (error) => {
      calls += 1;
      resolveLost(error);
    },
    lost,
    count: () => calls,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Ends every session that holds an advisory lock in this database, as a crash would. */
async function terminateLockHolders(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

describe('PostgresStore leadership', () => {
  let database: TestDatabase | undefined;
  const opened: PostgresStore[] = [];

  async function open(options: Parameters<typeof PostgresStore.open>[1] = {}): Promise<PostgresStore> {
    if (database === undefined) throw new Error('the test database was not created');
    const store = await PostgresStore.open(database.url, options);
    opened.push(store);
    return store;
  }

  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    try {
      await Promise.all(opened.map((store) => store.close()));
    } finally {
      await database?.drop();
    }
  });

  it('lets one store lead; a standby takes over once the leader closes', async () => {
    const leaderLoss = lossListener();
    const leader = await open({ onLeadershipLost: leaderLoss.onLeadershipLost });
    const standby = await open();
    assert.equal(await leader.tryAcquireLeadership(), true);
    assert.equal(await leader.tryAcquireLeadership(), true, 'asking again while leading keeps leading');
    assert.equal(await standby.tryAcquireLeadership(), false);
    assert.equal(standby.isLeader, false);

    const takeover = standby.waitForLeadership({ pollMs, signal: AbortSignal.timeout(takeoverTimeoutMs) });
    await leader.close();
    await takeover;
    assert.equal(standby.isLeader, true);
    assert.equal(leaderLoss.count(), 0, 'closing is a release, not a loss');
    await standby.close();
  });

  it('lets a standby take over when the leader’s session dies, and tells the old leader', async () => {
    const leaderLoss = lossListener();
    const leader = await open({ onLeadershipLost: leaderLoss.onLeadershipLost });
    const standby = await open();
    assert.equal(await leader.tryAcquireLeadership(), true);
    assert.equal(await standby.tryAcquireLeadership(), false);

    const takeover = standby.waitForLeadership({ pollMs, signal: AbortSignal.timeout(takeoverTimeoutMs) });
    assert.equal(await terminateLockHolders((database as TestDatabase).url), 1);
    const error = await withTimeout(leaderLoss.lost, takeoverTimeoutMs, 'onLeadershipLost');
    assert.ok(error instanceof Error);
    await takeover;
    assert.equal(leader.isLeader, false);
    assert.equal(standby.isLeader, true);
    assert.equal(await leader.tryAcquireLeadership(), false, 'the old leader reconnects as a standby');
    assert.equal(leaderLoss.count(), 1);

    // The old leader's pool is unaffected: only its leader session was ended.
    assert.deepEqual(await leader.head(), await standby.head());
    await standby.close();
    await leader.close();
  });

  it('stops waiting when the signal aborts', async () => {
    const leader = await open();
    const standby = await open();
    assert.equal(await leader.tryAcquireLeadership(), true);
    const controller = new AbortController();
    const waiting = standby.waitForLeadership({ pollMs, signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await assert.rejects(waiting, /shutting down/);
    assert.equal(standby.isLeader, false);
    await leader.close();
    await standby.close();
  });
});
