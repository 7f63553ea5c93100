// Leader election over PostgreSQL: one process at a time may append to a database. The leader holds
// a session-level advisory lock on a dedicated connection; PostgreSQL releases it when that session
// ends, whether by close, crash or pg_terminate_backend, which is how a standby takes over.
//
// The lock is not a fence on its own: a leader that has lost its session may still have an append in
// flight on another connection. The log's sequence primary key is the fence: the stale leader and the
// new one both write the sequence after the head they know, so whichever appends second fails and
// the log never forks.
import { createHash } from 'node:crypto';
import pg from 'pg';

/** A signed 64-bit advisory lock key derived from a name, so that keys are stable and documented. */
export function advisoryLockKey(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigInt64BE(0);
}

/** The advisory lock key every poolpoint leader takes. */
export const leaderLockKey = advisoryLockKey('poolpoint leader');

/** A poll interval below this would hammer the database; above this a standby waits too long. */
export const leaderPollMsMin = 10;
export const leaderPollMsMax = 60_000;
/** How often the leader proves its session is alive, and how long a proof may take. */
export const leaderHeartbeatMs = 1_000;
export const leaderQueryTimeoutMs = 5_000;
/** How long waitForLeadership keeps polling a database it cannot reach (a restart takes seconds). */
export const leaderUnreachableMsMax = 60_000;
/**
 * TCP keepalive of the leader's session on the server side: if the leader's host vanishes without
 * closing its socket, PostgreSQL drops the session (and the lock) after about idle + interval × count
 * seconds instead of the operating system's default two hours.
 */
const serverKeepaliveIdleSeconds = 5;
const serverKeepaliveIntervalSeconds = 2;
const serverKeepaliveCount = 3;

export interface LeaderLockOptions {
  /** Called once when a held lock is lost (its session errored or ended); not called on release. */
  onLeadershipLost?: (error: Error) => void;
  /** Parsers for the dedicated connection (the store passes its own, with int8 as bigint). */
  types?: pg.CustomTypesConfig;
}

export interface WaitForLeadershipOptions {
  pollMs: number;
  signal?: AbortSignal;
}

export class LeaderLock {
  private client: pg.Client | null = null;
  private held = false;
  private closed = false;
  private heartbeat: NodeJS.Timeout | null = null;
  /** The attempt in progress: concurrent callers share it rather than stacking the lock twice. */
  private attempt: Promise<boolean> | null = null;

  constructor(
    private readonly url: string,
    private readonly options: LeaderLockOptions = {},
  ) {}

  /** Whether this process believes it holds the lock (false as soon as its session is known lost). */
  get isLeader(): boolean {
    return this.held;
  }

  /** Takes the lock if nobody holds it; true if this process now holds it. Never waits. */
  async tryAcquire(): Promise<boolean> {
    if (this.closed) throw new Error('LeaderLock: closed');
    if (this.held) return true; // session locks stack: taking it twice would need two unlocks
    this.attempt ??= this.attemptOnce().finally(() => {
      this.attempt = null;
    });
    return this.attempt;
  }

  /** Polls every `pollMs` (bounded) until the lock is taken; rejects with the signal's reason on abort. */
  async waitForLeadership({ pollMs, signal }: WaitForLeadershipOptions): Promise<void> {
    const intervalMs = Math.min(Math.max(pollMs, leaderPollMsMin), leaderPollMsMax);
    let unreachableSinceMs: number | null = null;
    // Ends when the lock is taken, the signal aborts, or the database stays unreachable; each turn sleeps.
    for (;;) {
      signal?.throwIfAborted();
      try {
        if (await this.tryAcquire()) return;
        unreachableSinceMs = null;
      } catch (error) {
        // The database may be restarting: keep waiting, but not forever against a dead address.
        unreachableSinceMs ??= Date.now();
        if (this.closed || Date.now() - unreachableSinceMs >= leaderUnreachableMsMax) throw error;
      }
      await sleep(intervalMs, signal);
    }
  }

  /** Releases the lock and closes the dedicated connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.stopHeartbeat();
    this.client = null;
    if (client === null) return;
    if (this.held) {
      this.held = false;
      // Ending the session would release it too; unlocking first does not wait on a slow disconnect.
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [leaderLockKey]).catch(() => undefined);
    }
    await client.end().catch(() => undefined);
  }

  private async attemptOnce(): Promise<boolean> {
    const client = await this.connection();
    const result = await client.query<{ acquired: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS acquired',
      [leaderLockKey],
    );
    const acquired = result.rows[0]?.acquired === true;
    if (acquired && this.client === client) {
      this.held = true;
      this.startHeartbeat(client);
    }
    return this.held;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client !== null) return this.client;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'poolpoint leader',
      keepAlive: true,
      query_timeout: leaderQueryTimeoutMs,
      ...(this.options.types === undefined ? {} : { types: this.options.types }),
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('leader session ended')));
    this.client = client;
    try {
      await client.connect();
      await client.query(
        `SET tcp_keepalives_idle = ${serverKeepaliveIdleSeconds};
         SET tcp_keepalives_interval = ${serverKeepaliveIntervalSeconds};
         SET tcp_keepalives_count = ${serverKeepaliveCount}`,
      );
    } catch (error) {
      this.lost(client, error as Error);
      throw error;
    }
    return client;
  }

  /** The session behind `client` is gone: forget it, and tell the owner if it held the lock. */
  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return; // an older session, already handled
    this.client = null;
    this.stopHeartbeat();
    client.end().catch(() => undefined);
    if (!this.held) return;
    this.held = false;
    this.options.onLeadershipLost?.(error);
  }

  /** An idle socket can die unnoticed; a periodic query notices within the query timeout. */
  private startHeartbeat(client: pg.Client): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: Error) => this.lost(client, error));
    }, leaderHeartbeatMs);
    this.heartbeat.unref(); // the leader's own work keeps the process alive, not its heartbeat
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
