// `poolpoint replay` as a user runs it: a child process, its exit status, stdout and stderr.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { poolpoint, type Run } from './support/cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'poolpoint-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
function fileWith(text: string): string {
  fileCount += 1;
  const path = join(scratch, `scenario-${fileCount}.json`);
  writeFileSync(path, text);
  return path;
}

const validSetup = { members: [{ id: 'u1' }], merchants: [{ id: 'm1' }] };

/** A user error: non-zero exit, nothing on stdout, one line on stderr and no stack trace. */
function assertOneLineError(run: Run, says: RegExp): void {
  assert.notEqual(run.status, 0);
  assert.equal(run.stdout, '');
  const message = run.stderr.trim();
  assert.ok(!message.includes('\n'), `more than one line on stderr:\n${run.stderr}`);
  assert.doesNotMatch(message, /\bat .*:\d+:\d+/, 'a stack trace on stderr');
  assert.match(message, says);
}

describe('poolpoint replay refuses invalid files', { concurrency: true }, () => {
  const invalid: { name: string; file: Record<string, unknown>; says: RegExp }[] = [
    {
      name: 'an unknown nested config key',
      file: { config: { rewards: { agents: { town: '0.001' } } } },
      says: /config\.rewards\.agents\.town: unknown key/,
    },
    {
      name: 'a malformed decimal in the config',
      file: { config: { sellFee: '0.2.0' } },
      says: /config\.sellFee: .*not a plain decimal/,
    },
    {
      name: 'a referrer that is not a member',
      file: { setup: { members: [{ id: 'u1', referrer: 'ghost' }] } },
      says: /setup\.members\[0\]\.referrer: "ghost" is not a listed member/,
    },
    {
      name: 'a referral cycle',
      file: {
        setup: {
          members: [
            { id: 'a', referrer: 'b' },
            { id: 'b', referrer: 'a' },
          ],
        },
      },
      says: /referral cycle/,
    },
  ];
  for (const { name, file, says } of invalid) {
    test(name, async () => {
      assertOneLineError(await poolpoint('replay', fileWith(JSON.stringify({ ...file, events: [] }))), says);
    });
  }

  test('a missing file', async () => {
    assertOneLineError(
      await poolpoint('replay', join(scratch, 'absent.json')),
      /cannot read .*absent\.json: ENOENT/,
    );
  });

  test('a file that is not JSON', async () => {
    assertOneLineError(await poolpoint('replay', fileWith('{"config": {,}')), /is not valid JSON/);
  });

  test('no file at all', async () => {
    const run = await poolpoint('replay');
    assertOneLineError(run, /usage: poolpoint replay FILE/);
    assert.equal(run.status, 2);
  });
});

describe('poolpoint replay goes on past bad events', { concurrency: true }, () => {
  test('bad events are listed as rejected and the state is printed', async () => {
    const events = [
      { type: 'order', id: 'o1', member: 'u1', merchant: 'm1', amount: '1000.00' },
      { type: 'order', id: 'o2', member: 'u1', merchant: 'm1', amount: '1e3' },
      { type: 'sell', id: 's1', member: 'u1', points: 1 },
      { type: 'order', id: 'o3', member: 'ghost', merchant: 'm1', amount: '1.00' },
      { type: 'refund', id: 'r1' },
    ];

    const run = await poolpoint(
      'replay',
      fileWith(JSON.stringify({ setup: validSetup, events })),
      '--reasons',
    );

    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    const printed = JSON.parse(run.stdout);
    assert.deepEqual(printed.rejected, ['o2', 's1', 'o3', 'r1']);
    assert.deepEqual(
      printed.rejections.map((rejection: { code: string }) => rejection.code),
      ['invalid_amount', 'invalid_points', 'unknown_member', 'unknown_type'],
    );
    assert.equal(printed.pool, '160.00');
    assert.equal(printed.members.u1.points, '112.000000');
  });

  test('an event whose type is an inherited property name is rejected, not a crash', async () => {
    const events = [{ type: 'constructor', id: 'x1', member: 'u1', merchant: 'm1', amount: '1.00' }];

    const run = await poolpoint('replay', fileWith(JSON.stringify({ setup: validSetup, events })));

    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).rejected, ['x1']);
  });
});
