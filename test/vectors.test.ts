// SPEC.md "Conformance": every vector's answer, as the CLI prints it and as the engine computes it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reportState } from '../src/domain/report.ts';
import { parseScenario, replayScenario } from '../src/scenario/scenario.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const vectorsDirectory = join(root, 'test', 'fixtures', 'vectors');
const sharedVectorsDirectory = join(root, '..', 'shared', 'vectors');
const cli = join(root, 'bin', 'poolpoint.js');
const expectedSuffix = '.expected.json';

const vectorNames = readdirSync(vectorsDirectory)
  .filter((name) => name.endsWith('.json') && !name.endsWith(expectedSuffix))
  .map((name) => name.slice(0, -'.json'.length))
  .sort();

const readVector = (name: string, suffix: string): string =>
  readFileSync(join(vectorsDirectory, `${name}${suffix}`), 'utf8');

test('the vectors folder holds vectors, each with its answer', () => {
  assert.ok(vectorNames.length >= 3, `only ${vectorNames.length} vectors in ${vectorsDirectory}`);
  for (const name of vectorNames) {
    assert.ok(existsSync(join(vectorsDirectory, `${name}${expectedSuffix}`)), `${name} has no answer`);
  }
});

describe('poolpoint replay prints exactly the expected answer', { concurrency: true }, () => {
  for (const name of vectorNames) {
    test(name, async () => {
      const { stdout, stderr } = await run(
        process.execPath,
        [cli, 'replay', join(vectorsDirectory, `${name}.json`)],
        {
          cwd: root,
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      assert.equal(stderr, '');
      assert.equal(stdout.trim(), readVector(name, expectedSuffix).trim());
    });
  }
});

describe('replayScenario and reportState give the expected answer in-process', () => {
  for (const name of vectorNames) {
    test(name, () => {
      const result = replayScenario(parseScenario(JSON.parse(readVector(name, '.json'))));
      assert.deepEqual(
        { ...reportState(result.state), rejected: result.rejected, duplicates: result.duplicates },
        JSON.parse(readVector(name, expectedSuffix)),
      );
    });
  }
});

test('the repository copy of the vectors is byte-identical to ../shared/vectors', (t) => {
  if (!existsSync(sharedVectorsDirectory)) {
    t.skip(`${sharedVectorsDirectory} is absent (a clone on its own)`);
    return;
  }
  const shared = readdirSync(sharedVectorsDirectory).sort();
  assert.deepEqual(readdirSync(vectorsDirectory).sort(), shared);
  for (const name of shared) {
    const copy = readFileSync(join(vectorsDirectory, name));
    assert.ok(
      copy.equals(readFileSync(join(sharedVectorsDirectory, name))),
      `${name} differs from the shared copy`,
    );
  }
});
