// docs/rules.md "Legacy conversion: the import file": CSV rows → grantCoins commands, the whole file
// validated first, every problem reported with its line.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execute } from '../src/domain/engine.ts';
import { legacyErrorsMax, parseLegacyCsv, splitCsvLine } from '../src/scenario/legacy-csv.ts';
import { given, members } from './support/given.ts';
import { legacyOf } from './support/legacy-dividends.ts';

const known = new Set(['buyer', 'other', '会员7']);
const options = { batch: 'import_2025_01', actor: 'admin_1', isMember: (id: string) => known.has(id) };

describe('parseLegacyCsv', () => {
  test('a file with a header: columns by name, others ignored, quotes and a BOM understood', () => {
    const text =
      '\uFEFFmember,name,coins,reason\r\nbuyer,Zhang San,500.00,"old card, 2019"\r\n\r\n"other","Li ""Si""",12.5,\r\n会员7,,0.01,x\r\n';

    const parsed = parseLegacyCsv(text, options);

    assert.deepEqual(parsed, {
      ok: true,
      commands: [
        {
          type: 'grantCoins',
          id: 'import_2025_01:buyer',
          member: 'buyer',
          coins: 50_000n,
          reason: 'old card, 2019',
          actor: 'admin_1',
        },
        {
          type: 'grantCoins',
          id: 'import_2025_01:other',
          member: 'other',
          coins: 1_250n,
          reason: 'legacy import import_2025_01',
          actor: 'admin_1',
        },
        {
          type: 'grantCoins',
          id: 'import_2025_01:会员7',
          member: '会员7',
          coins: 1n,
          reason: 'x',
          actor: 'admin_1',
        },
      ],
    });
  });

  test('a file without a header is member,coins[,reason]', () => {
    const parsed = parseLegacyCsv('buyer,500\nother, 1.25 , migrated from v1\n', {
      ...options,
      reason: 'v1',
    });

    assert.deepEqual(
      parsed.ok && parsed.commands.map(({ member, coins, reason }) => [member, coins, reason]),
      [
        ['buyer', 50_000n, 'v1'],
        ['other', 125n, 'migrated from v1'],
      ],
    );
  });

  test('every bad line is reported with its number, and nothing is returned to apply', () => {
    const text = [
      'buyer,500.00',
      'other,abc',
      'ghost,1.00',
      'buyer,2.00',
      '',
      'other,0.00',
      '"broken,1.00',
      'a,b,c,d',
      ',1.00',
      'other,1.001',
      'other',
      'other,1e3',
    ].join('\n');

    const parsed = parseLegacyCsv(text, options);

    assert.deepEqual(parsed, {
      ok: false,
      errors: [
        { line: 2, message: 'coins: "abc" is not a plain decimal number' },
        { line: 3, message: 'ghost is not a member' },
        { line: 4, message: 'member buyer is listed twice (first on line 1)' },
        { line: 6, message: 'the coins of other must be above zero' },
        { line: 7, message: 'a quoted field is not closed' },
        {
          line: 8,
          message:
            'expected member,coins[,reason], got 4 columns (write amounts without thousands separators, or quote them)',
        },
        { line: 9, message: 'the member is empty' },
        { line: 10, message: 'coins: "1.001" has more than 2 decimals' },
        { line: 11, message: 'the coins of other are missing' },
        { line: 12, message: 'coins: "1e3" is not a plain decimal number' },
      ],
    });
  });

  test('a header without the needed columns, an empty file, or a file of only a header is an error', () => {
    assert.deepEqual(parseLegacyCsv('member,amount\nbuyer,1.00\n', options), {
      ok: false,
      errors: [{ line: 1, message: 'the header needs the columns "member" and "coins"' }],
    });
    assert.deepEqual(parseLegacyCsv('\n\n', options), {
      ok: false,
      errors: [{ line: 0, message: 'the file has no rows' }],
    });
    assert.equal(parseLegacyCsv('member,coins\n', options).ok, false);
    assert.deepEqual(parseLegacyCsv('member,coins,coins\nbuyer,1,2\n', options), {
      ok: false,
      errors: [{ line: 1, message: 'the header names the column "coins" twice' }],
    });
  });

  test('at most legacyErrorsMax problems are listed, then how many more', () => {
    const text = Array.from({ length: legacyErrorsMax + 7 }, (_, index) => `m${index},x`).join('\n');
    const parsed = parseLegacyCsv(text, { batch: 'b', actor: 'a' });
    assert.ok(!parsed.ok);
    assert.equal(parsed.errors.length, legacyErrorsMax + 1);
    assert.deepEqual(parsed.errors.at(-1), { line: 0, message: 'and 7 more problems' });
  });

  test('splitCsvLine: quotes, doubled quotes, spaces around fields', () => {
    assert.deepEqual(splitCsvLine(' a , "b,c" ,"d""e",'), ['a', 'b,c', 'd"e', '']);
    assert.equal(splitCsvLine('"a"b'), 'text after a quoted field');
    assert.equal(splitCsvLine('a"b'), 'a quote inside an unquoted field');
  });
});

describe('applying an import', () => {
  test('the commands grant the coins; importing the same file again changes nothing', () => {
    const state = given({ members: members('buyer', 'other'), merchants: [] }, { legacy: { enabled: true } });
    const parsed = parseLegacyCsv('buyer,500.00\nother,1.00\n', options);
    assert.ok(parsed.ok);

    const first = parsed.commands.map((command) => execute(state, command).kind);
    const again = parsed.commands.map((command) => execute(state, command).kind);

    assert.deepEqual(first, ['accepted', 'accepted']);
    assert.deepEqual(again, ['duplicate', 'duplicate']);
    assert.deepEqual([legacyOf(state, 'buyer').coins, legacyOf(state, 'other').coins], [50_000n, 100n]);
  });
});
