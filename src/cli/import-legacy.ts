// `poolpoint import-legacy FILE.csv [--db URL] [--batch NAME] [--actor NAME] [--dry-run]`: an
// operator's old members as consumption coins (docs/rules.md "Legacy conversion: the import file"),
// fed through the single writer into the durable log. The whole file is checked first; any problem
// is printed with its line, the exit code is 1 and nothing is written. Importing the same file (the
// same batch) again grants nothing twice. Run it while the service is stopped, or use the admin's
// upload (POST /v1/legacy/imports), which goes through the running service's writer.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { applyLegacyImport, batchPattern, checkLegacyImport } from '../service/legacy-import.ts';
import { openLedger, openStore } from '../store/ledger.ts';
import type { EventStore } from '../store/store.ts';
import { CliError } from './errors.ts';
import { parseArguments } from './options.ts';
import { progressBar } from './progress.ts';
import { type CommandResult, databaseOf } from './store-commands.ts';

const usage =
  'usage: poolpoint import-legacy FILE.csv [--db URL] [--batch NAME] [--actor NAME] [--dry-run]\n' +
  '  FILE.csv: member,coins[,reason] per line (a header row "member,coins,reason" is optional)\n' +
  '  --batch: names the import (default: the file name); each grant’s id is BATCH:MEMBER\n' +
  '  --actor: who imports, kept with every grant (default: cli)';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** The batch: --batch, or the file's name without its extension when that is a valid batch name. */
function batchOf(path: string, given: string | true | undefined): string {
  if (typeof given === 'string') {
    if (!batchPattern.test(given))
      throw new CliError(`--batch "${given}": use 1 to 64 letters, digits, "_", "." or "-"`, 2);
    return given;
  }
  const name = basename(path, extname(path));
  if (!batchPattern.test(name)) {
    throw new CliError(`the file name "${name}" cannot name the import: give --batch NAME`, 2);
  }
  return name;
}

export async function importLegacyCommand(args: readonly string[]): Promise<CommandResult> {
  const parsed = parseArguments(args, ['db', 'batch', 'actor'], ['dry-run'], usage);
  if (parsed.positionals.length !== 1) throw new CliError(usage, 2);
  const path = parsed.positionals[0] as string;
  const batch = batchOf(path, parsed.options.get('batch'));
  const actorOption = parsed.options.get('actor');
  const actor = typeof actorOption === 'string' && actorOption.trim() !== '' ? actorOption : 'cli';
  const text = readText(path);
  const database = databaseOf(parsed.options);
  let store: EventStore;
  try {
    store = await openStore(database);
  } catch (error) {
    throw new CliError(`cannot open ${database}: ${(error as Error).message}`);
  }
  const loading = progressBar('loading  ');
  const ledger = await openLedger(store, {}, loading.update).catch(async (error: Error) => {
    await store.close();
    throw error;
  });
  loading.finish();
  try {
    const checked = checkLegacyImport(ledger.state, text, batch, actor);
    if (!checked.ok) {
      const lines = checked.problems.map((problem) =>
        problem.line === 0 ? `  ${problem.message}` : `  line ${problem.line}: ${problem.message}`,
      );
      throw new CliError(`${path}: nothing was granted:\n${lines.join('\n')}`);
    }
    const plan = checked.plan;
    const fresh = plan.grants.length - plan.duplicates;
    if (parsed.options.has('dry-run')) {
      const summary = {
        batch,
        dryRun: true,
        rows: plan.grants.length,
        new: fresh,
        duplicates: plan.duplicates,
      };
      return { output: `${JSON.stringify(summary)}\n`, exitCode: 0 };
    }
    if (fresh > 0 && !ledger.state.config.legacy.enabled) {
      throw new CliError(
        'legacy conversion is off (config legacy.enabled): turn it on first (the console’s programs page, or PUT /v1/config); nothing was granted',
      );
    }
    const importing = progressBar('importing');
    // The same audit entries as the admin's upload, so that the trail shows who imported from here too.
    const result = await applyLegacyImport(
      plan,
      (grants) => ledger.sequencer.submitMany(grants),
      (entry) =>
        store.appendAudit(Date.now(), actor, 'legacy.import', JSON.stringify(entry.detail), entry.key),
      importing.update,
    );
    importing.finish();
    const lines = result.refused.map((row) => `line ${row.line}: ${row.code}: ${row.message}`);
    if (lines.length > 0) process.stderr.write(`refused after the check:\n  ${lines.join('\n  ')}\n`);
    return { output: `${JSON.stringify(result)}\n`, exitCode: result.refused.length > 0 ? 1 : 0 };
  } finally {
    await ledger.close();
  }
}
