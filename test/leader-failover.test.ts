// Leader failover on PostgreSQL, with real processes: the first `poolpoint node` leads, the second
// waits as a standby serving reads; the leader is killed with SIGKILL, the standby takes over within
// seconds, and nothing the dead leader acknowledged is lost.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { reportState } from '../src/domain/report.ts';
import { openStore } from '../src/store/ledger.ts';
import { verifyLog } from '../src/store/verify.ts';
import { generatedScenario } from './support/generated-scenario.ts';
import { createTestDatabase } from './support/postgres.ts';
import { replayOfStoredEvents } from './support/stores.ts';

const root = new URL('..', import.meta.url).pathname;
const takeoverMsMax = 10_000;

interface NodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly answers: Record<string, unknown>[];
  readonly roles: string[];
  send(line: unknown): void;
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

function startNode(database: string): NodeProcess {
  const child = spawn(process.execPath, [join(root, 'bin/poolpoint.js'), 'node', '--db', database]);
  const answers: Record<string, unknown>[] = [];
  const roles: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => answers.push(JSON.parse(line)));
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (line.startsWith('{"role"')) roles.push((JSON.parse(line) as { role: string }).role);
  });
  return {
    child,
    answers,
    roles,
    send: (line) => child.stdin.write(`${JSON.stringify(line)}\n`),
    async until(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        if (child.exitCode !== null) throw new Error(`node exited (${child.exitCode}) waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

test('leader failover on PostgreSQL: kill the leader, the standby takes over, nothing acknowledged is lost', async () => {
  const database = await createTestDatabase();
  const folder = mkdtempSync(join(tmpdir(), 'poolpoint-leader-'));
  const nodes: NodeProcess[] = [];
  try {
    const raw = generatedScenario({ members: 100, events: 600, seed: 3 }) as {
      events: Record<string, unknown>[];
    };
    const setupOnly = join(folder, 'setup.json');
    writeFileSync(setupOnly, JSON.stringify({ ...raw, events: [] }));
    const imported = spawnSync(
      process.execPath,
      [join(root, 'bin/poolpoint.js'), 'import', setupOnly, '--db', database.url],
      { encoding: 'utf8' },
    );
    assert.equal(imported.status, 0, imported.stderr);

    const first = startNode(database.url);
    nodes.push(first);
    await first.until(() => first.roles.includes('leader'), 15_000, 'the first node to lead');
    const second = startNode(database.url);
    nodes.push(second);
    await second.until(() => second.roles.includes('standby'), 15_000, 'the second node to stand by');

    const [early, late] = [raw.events.slice(0, 400), raw.events.slice(400)];
    for (const event of early) first.send(event);
    await first.until(() => first.answers.length === early.length, 30_000, 'the leader to answer');
    // A write sent to the standby is refused, not lost or applied.
    second.send(early[0]);
    await second.until(() => second.answers.length === 1, 5_000, 'the standby to answer');
    assert.equal(second.answers[0]?.outcome, 'not_leader');
    // The standby serves reads from its own replay of the log.
    first.send({ query: 'state' });
    await first.until(() => first.answers.length === early.length + 1, 5_000, 'the leader state');
    const leaderState = (first.answers.at(-1) as { state: { pool: string } }).state;
    await second.until(
      () => {
        if (second.answers.length === 1) second.send({ query: 'state' });
        const last = second.answers.at(-1) as { state?: { pool: string } };
        if (last.state !== undefined && last.state.pool !== leaderState.pool) second.answers.pop();
        return last.state?.pool === leaderState.pool;
      },
      10_000,
      'the standby to follow the log',
    );

    for (const event of late) first.send(event);
    first.child.kill('SIGKILL');
    const acknowledged = first.answers
      .filter((answer) => answer.outcome === 'accepted')
      .map((answer) => answer.id);
    const killedAt = Date.now();
    await second.until(() => second.roles.includes('leader'), takeoverMsMax, 'the standby to take over');
    assert.ok(Date.now() - killedAt <= takeoverMsMax);

    const before = second.answers.length;
    for (const event of raw.events) second.send(event);
    await second.until(
      () => second.answers.length === before + raw.events.length,
      30_000,
      'the new leader to answer',
    );
    const replies = second.answers.slice(before);
    for (const [index, event] of raw.events.entries()) {
      if (acknowledged.includes(event.id)) {
        assert.equal(
          replies[index]?.outcome,
          'duplicate',
          `${String(event.id)} was acknowledged by the dead leader`,
        );
      }
    }
    second.send({ query: 'state' });
    await second.until(
      () => second.answers.length === before + raw.events.length + 1,
      5_000,
      'the final state',
    );
    const finalState = (second.answers.at(-1) as { state: unknown }).state;
    // The new leader's state is exactly what the stored log implies (verified below).
    const logStore = await openStore(database.url);
    try {
      assert.deepEqual(finalState, reportState(await replayOfStoredEvents(logStore)));
    } finally {
      await logStore.close();
    }
    second.child.stdin.end();
    await new Promise((resolve) => second.child.on('exit', resolve));

    const store = await openStore(database.url);
    try {
      const report = await verifyLog(store);
      assert.equal(report.ok, true, JSON.stringify(report.firstDisagreement));
    } finally {
      await store.close();
    }
  } finally {
    for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    await database.drop();
    rmSync(folder, { recursive: true, force: true });
  }
});
