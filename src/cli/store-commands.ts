// `poolpoint import | state | verify --db …`: the durable log from the command line.
import { formatConfig, regionAt } from '../domain/config.ts';
import type { SetupCommand } from '../domain/messages.ts';
import { reportState } from '../domain/report.ts';
import { agentKey, type State } from '../domain/state.ts';
import { parseEvent, parseScenario, type Scenario } from '../scenario/scenario.ts';
import { defaultDatabase, loadState, openLedger, openStore } from '../store/ledger.ts';
import { defaultSequencerOptions, type Submission } from '../store/sequencer.ts';
import type { EventStore } from '../store/store.ts';
import { readRowsMax } from '../store/store.ts';
import { verifyLog } from '../store/verify.ts';
import { CliError } from './errors.ts';
import { integerOption, parseArguments } from './options.ts';
import { progressBar } from './progress.ts';
import { readJsonFile } from './replay.ts';

export interface CommandResult {
  readonly output: string;
  readonly exitCode: number;
}

const databaseHelp = `--db sqlite:PATH | postgres://… (default: $DATABASE_URL or ${defaultDatabase})`;
const importUsage = `usage: poolpoint import FILE [${databaseHelp}] [--chunk N] [--snapshot-every N] [--acks]`;
const stateUsage = `usage: poolpoint state [${databaseHelp}]`;
const verifyUsage = `usage: poolpoint verify [${databaseHelp}]`;

export function databaseOf(options: Map<string, string | true>): string {
  const given = options.get('db');
  return typeof given === 'string' ? given : (process.env.DATABASE_URL ?? defaultDatabase);
}

async function withStore<T>(database: string, work: (store: EventStore) => Promise<T>): Promise<T> {
  let store: EventStore;
  try {
    store = await openStore(database);
  } catch (error) {
    throw new CliError(`cannot open ${database}: ${(error as Error).message}`);
  }
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The setup commands still missing from the state, so that an interrupted import can resume. */
function missingSetup(state: State, scenario: Scenario, logIsEmpty: boolean): SetupCommand[] {
  const wanted = JSON.stringify(formatConfig(scenario.config));
  if (!logIsEmpty && JSON.stringify(formatConfig(state.config)) !== wanted) {
    throw new CliError(
      'the database has another configuration than this file: import into an empty database',
    );
  }
  const configChanges = JSON.stringify(formatConfig(state.config)) !== wanted;
  const commands: SetupCommand[] = configChanges
    ? [{ type: 'configure', config: formatConfig(scenario.config) }]
    : [];
  for (const command of scenario.setup) {
    const present =
      command.type === 'registerMember'
        ? state.members.has(command.member)
        : command.type === 'registerMerchant'
          ? state.merchants.has(command.merchant)
          : command.type === 'appointAgent'
            ? state.agents.has(agentKey(command.level, regionAt(command.region, command.level)))
            : false;
    if (!present) commands.push(command);
  }
  return commands;
}

/**
 * How many of the file's events an interrupted import already settled. Every event of the file
 * leaves exactly one trace, in the same durable batch as the rest of its effects: an accepted
 * command, or an outcome (duplicate or rejection). Resuming from the next one repeats nothing: a
 * rejected event sent again could be accepted by a later state, and change history.
 */
async function importedSoFar(store: EventStore, state: State): Promise<number> {
  return state.processedCommands.size + (await store.outcomeCount());
}

export function submissionOf(raw: unknown): Submission {
  const parsed = parseEvent(raw);
  if (parsed.ok) return parsed.command;
  return {
    type: 'preRejected',
    id: typeof parsed.id === 'string' ? parsed.id : null,
    rejection: parsed.rejection,
  };
}

export async function importCommand(args: readonly string[]): Promise<CommandResult> {
  const parsed = parseArguments(args, ['db', 'chunk', 'snapshot-every'], ['acks'], importUsage);
  if (parsed.positionals.length !== 1) throw new CliError(importUsage, 2);
  const chunkCommands = integerOption(parsed, 'chunk', 10_000);
  const snapshotEveryEvents = integerOption(
    parsed,
    'snapshot-every',
    defaultSequencerOptions.snapshotEveryEvents,
    0,
  );
  const scenario = parseScenario(readJsonFile(parsed.positionals[0] as string));
  return withStore(databaseOf(parsed.options), async (store) => {
    const loading = progressBar('loading ');
    const logIsEmpty = (await store.head()).sequence === 0;
    // A spacing given on the command line is kept exactly; the default one adapts to snapshot cost.
    const snapshotSpacingExact = parsed.options.has('snapshot-every');
    const ledger = await openLedger(store, { snapshotEveryEvents, snapshotSpacingExact }, loading.update);
    loading.finish();
    const setup = missingSetup(ledger.state, scenario, logIsEmpty);
    const setupOutcomes = await ledger.sequencer.submitMany(setup);
    const refused = setupOutcomes.find((outcome) => outcome.kind === 'rejected');
    if (refused?.kind === 'rejected') throw new CliError(`setup refused: ${refused.rejection.message}`);
    const counts = { accepted: 0, duplicates: 0, rejected: 0 };
    const importing = progressBar('importing');
    const total = scenario.events.length;
    const resumeFrom = logIsEmpty ? 0 : await importedSoFar(store, ledger.state);
    if (resumeFrom > total) {
      throw new CliError(`the database holds ${resumeFrom} imported events, more than this file's ${total}`);
    }
    for (let start = resumeFrom; start < total; start += chunkCommands) {
      const chunk = scenario.events.slice(start, start + chunkCommands).map(submissionOf);
      for (const outcome of await ledger.sequencer.submitMany(chunk)) {
        counts[
          outcome.kind === 'accepted' ? 'accepted' : outcome.kind === 'duplicate' ? 'duplicates' : 'rejected'
        ] += 1;
      }
      // Everything up to here is durable: say so, for whoever must know what survived a crash.
      if (parsed.options.has('acks'))
        process.stdout.write(`${JSON.stringify({ acknowledged: start + chunk.length })}\n`);
      importing.update(start + chunk.length, total);
    }
    importing.finish();
    await ledger.sequencer.close();
    const summary = {
      imported: total - resumeFrom,
      resumedAt: resumeFrom,
      ...counts,
      events: ledger.sequencer.head.sequence,
    };
    return { output: `${JSON.stringify(summary)}\n`, exitCode: 0 };
  });
}

async function outcomeLists(
  store: EventStore,
): Promise<{ rejected: (string | null)[]; duplicates: (string | null)[] }> {
  const rejected: (string | null)[] = [];
  const duplicates: (string | null)[] = [];
  let position = 1;
  // Bounded: every pass consumes at least one outcome of a finite table, or stops.
  for (;;) {
    const rows = await store.readOutcomes(position, readRowsMax);
    if (rows.length === 0) break;
    for (const row of rows) (row.kind === 'rejected' ? rejected : duplicates).push(row.commandId);
    position = (rows[rows.length - 1]?.position ?? position) + 1;
  }
  return { rejected, duplicates };
}

export async function stateCommand(args: readonly string[]): Promise<CommandResult> {
  const parsed = parseArguments(args, ['db'], [], stateUsage);
  if (parsed.positionals.length !== 0) throw new CliError(stateUsage, 2);
  return withStore(databaseOf(parsed.options), async (store) => {
    const loading = progressBar('loading');
    const { state } = await loadState(store, { onProgress: loading.update });
    loading.finish();
    const output = { ...reportState(state), ...(await outcomeLists(store)) };
    return { output: `${JSON.stringify(output, null, 1)}\n`, exitCode: 0 };
  });
}

export async function verifyCommand(args: readonly string[]): Promise<CommandResult> {
  const parsed = parseArguments(args, ['db'], [], verifyUsage);
  if (parsed.positionals.length !== 0) throw new CliError(verifyUsage, 2);
  return withStore(databaseOf(parsed.options), async (store) => {
    const verifying = progressBar('verifying');
    const report = await verifyLog(store, verifying.update);
    verifying.finish();
    if (report.ok) {
      return {
        output: `verified ${report.events} events and ${report.snapshotsChecked} snapshots: the log is intact\n`,
        exitCode: 0,
      };
    }
    const disagreement = report.firstDisagreement;
    const lines = [
      `event ${disagreement?.sequence} (${disagreement?.type}${disagreement?.commandId ? `, id ${disagreement.commandId}` : ''}): ${disagreement?.problem}`,
      ...(disagreement?.expected === undefined ? [] : [`  expected: ${disagreement.expected}`]),
      ...(disagreement?.found === undefined ? [] : [`  found:    ${disagreement.found}`]),
      `${report.events} events before it agree`,
    ];
    return { output: `${lines.join('\n')}\n`, exitCode: 1 };
  });
}
