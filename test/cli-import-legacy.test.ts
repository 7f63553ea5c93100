// `poolpoint import-legacy FILE.csv --db …` as an operator runs it: a child process against a real
// SQLite log whose configuration turns legacy conversion on. A good file grants each row through
// the single writer; the same file again grants nothing; a file with bad lines is refused with each
// line named, exit 1, and nothing written; with the program off, nothing is written either.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatCents } from '../src/domain/units.ts';
import { loadState, openStore } from '../src/store/ledger.ts';
import { poolpoint } from './support/cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'poolpoint-legacy-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** A log with members u1..u3, made by `poolpoint import` of a scenario with this configuration. */
async function database(name: string, config: Record<string, unknown>): Promise<string> {
  const scenario = file(
    `${name}.json`,
    JSON.stringify({
      config,
      setup: { members: [{ id: 'u1' }, { id: 'u2' }, { id: 'u3' }], merchants: [{ id: 'm1' }] },
      events: [{ type: 'order', id: 'o1', member: 'u1', merchant: 'm1', amount: '10.00' }],
    }),
  );
  const db = `sqlite:${join(scratch, `${name}.db`)}`;
  const run = await poolpoint('import', scenario, '--db', db);
  assert.equal(run.status, 0, run.stderr);
  return db;
}

/** Coins per member and the log's length, read back from the database. */
async function coinsIn(db: string): Promise<{ coins: Record<string, string>; events: number }> {
  const store = await openStore(db);
  try {
    const { state, head } = await loadState(store);
    const coins: Record<string, string> = {};
    for (const [member, balance] of state.legacy.accounts())
      coins[state.members.id(member)] = formatCents(balance);
    return { coins, events: head.sequence };
  } finally {
    await store.close();
  }
}

/** The audit trail's legacy.import entries, oldest first, read back from the database. */
async function importAudit(db: string): Promise<{ actor: string; detail: Record<string, unknown> }[]> {
  const store = await openStore(db);
  try {
    const rows = await store.readAudit(0, 100);
    return rows
      .filter((row) => row.action === 'legacy.import')
      .reverse()
      .map((row) => ({ actor: row.actor, detail: JSON.parse(row.detail) }));
  } finally {
    await store.close();
  }
}

describe('poolpoint import-legacy', () => {
  let db = '';
  before(async () => {
    db = await database('on', { legacy: { enabled: true, releaseDays: '10' } });
  });

  test('a good file: each row granted once, through the writer; its name is the batch', async () => {
    const csv = file('march-2025.csv', '\uFEFFmember,coins,reason\nu1,100.00,old wallet\n\nu2,25.50\n');
    const run = await poolpoint('import-legacy', csv, '--db', db, '--actor', 'ops-lee');
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      batch: 'march-2025',
      rows: 2,
      granted: 2,
      duplicates: 0,
      coins: '125.50',
      refused: [],
    });
    assert.deepEqual((await coinsIn(db)).coins, { u1: '100.00', u2: '25.50' });
    const store = await openStore(db);
    try {
      const { state } = await loadState(store);
      const grant = state.processed('march-2025:u1');
      assert.ok(grant?.type === 'grantCoins');
      assert.deepEqual([grant.actor, grant.reason], ['ops-lee', 'old wallet']);
      const second = state.processed('march-2025:u2');
      assert.ok(second?.type === 'grantCoins');
      assert.equal(second.reason, 'legacy import march-2025', 'the default reason names the batch');
    } finally {
      await store.close();
    }
    // The audit trail has it, as it has the admin's upload: who, the batch, its rows and coins.
    assert.deepEqual(await importAudit(db), [
      {
        actor: 'ops-lee',
        detail: { batch: 'march-2025', lines: '2-4', rows: 2, granted: 2, earlier: 0, coins: '125.50' },
      },
    ]);
  });

  test('the same file again grants nothing; a dry run writes nothing', async () => {
    const csv = join(scratch, 'march-2025.csv');
    const before = await coinsIn(db);
    const again = await poolpoint('import-legacy', csv, '--db', db);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(
      (({ granted, duplicates, coins }) => ({ granted, duplicates, coins }))(JSON.parse(again.stdout)),
      { granted: 0, duplicates: 2, coins: '0.00' },
    );
    assert.equal((await importAudit(db)).length, 1, 'audited once');
    const dry = await poolpoint('import-legacy', file('april.csv', 'u3,7.00\n'), '--db', db, '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout), {
      batch: 'april',
      dryRun: true,
      rows: 1,
      new: 1,
      duplicates: 0,
    });
    assert.deepEqual(await coinsIn(db), before);
  });

  test('bad lines: each named with its line, exit 1, nothing written', async () => {
    const before = await coinsIn(db);
    const csv = file('bad.csv', 'u3,10.00\nnobody,5.00\nu1,1e3\nu3,1.00\nu2\n');
    const run = await poolpoint('import-legacy', csv, '--db', db, '--batch', 'may');
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.doesNotMatch(run.stderr, /\bat .*:\d+:\d+/, 'no stack trace');
    const lines = run.stderr.trim().split('\n');
    assert.match(lines[0] as string, /bad\.csv: nothing was granted:$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.trim().replace(/:.*/, '')),
      ['line 2', 'line 3', 'line 4', 'line 5'],
    );
    assert.match(run.stderr, /line 2: nobody is not a member/);
    assert.match(run.stderr, /line 4: member u3 is listed twice \(first on line 1\)/);
    assert.deepEqual(await coinsIn(db), before);
  });

  test('a batch that granted other amounts is refused with the line; an unusable name needs --batch', async () => {
    const before = await coinsIn(db);
    const changed = file('changed.csv', 'u1,100.00\nu2,30.00\n');
    const run = await poolpoint('import-legacy', changed, '--db', db, '--batch', 'march-2025');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /line 2: u2 was already granted 25.50 by march-2025:u2/);
    assert.deepEqual(await coinsIn(db), before);
    const named = await poolpoint('import-legacy', file('名单.csv', 'u3,1.00\n'), '--db', db);
    assert.equal(named.status, 2);
    assert.match(named.stderr, /give --batch NAME/);
    const usage = await poolpoint('import-legacy', '--db', db);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: poolpoint import-legacy FILE\.csv/);
  });

  test('with legacy conversion off nothing is granted', async () => {
    const off = await database('off', {});
    const before = await coinsIn(off);
    const run = await poolpoint('import-legacy', file('june.csv', 'u1,1.00\n'), '--db', off);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /legacy conversion is off \(config legacy\.enabled\)/);
    assert.deepEqual(await coinsIn(off), before);
  });
});
